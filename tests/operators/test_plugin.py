"""``FingertipPlugin``: listed by ``airflow plugins`` (entry point or the plugins-folder file, never twice),
its link, and its macros rendered in a real task."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tests.conftest import ROOT, airflow_cmd
from tests.operators.conftest import out_dir, run_dag, xcom

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG = '''
    with DAG("macro_probe", schedule=None, start_date=START, catchup=False):

        @task
        def show(day: str, url: str, fixed: str) -> list:
            return [day, url, fixed]

        show("{{ macros.fingertip.fingertip_check_date() }}",
             "{{ macros.fingertip.fingertip_output_url('findings', macros.fingertip.fingertip_check_date()) }}",
             "{{ macros.fingertip.fingertip_check_date(dag_run.logical_date) }}")
'''


def _plugins(env) -> tuple[list[dict], str]:
    proc = airflow_cmd(env, "plugins", "--output", "json", timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    start = proc.stdout.index("[")
    return json.loads(proc.stdout[start:]), proc.stdout + proc.stderr


def _check(listed: list[dict]) -> dict:
    ours = [p for p in listed if p["name"] == "fingertip"]
    assert len(ours) == 1, listed
    plugin = ours[0]
    assert plugin["macros"] == ["fingertip.plugin.fingertip_check_date", "fingertip.plugin.fingertip_output_url"]
    assert plugin["operator_extra_links"] == ["<fingertip.links.FingertipOutputLink object>"]
    assert plugin["global_operator_extra_links"] == []
    return plugin


def test_airflow_plugins_lists_it_from_this_plugins_folder(airflow_env):
    env = {**airflow_env, "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")}
    listed, output = _plugins(env)
    plugin = _check(listed)
    # make install installs the checkout (editable): the entry point registers the plugin and
    # plugins/fingertip_plugin.py, scanned too, defines nothing
    assert "EntryPoint" in plugin["source"], plugin["source"]
    assert "already registered" not in output


@pytest.mark.parametrize("installed", [True, False])
def test_the_plugins_folder_file_defines_the_plugin_only_without_the_distribution(monkeypatch, installed):
    """A checkout used as an Astro plugins folder without pip install: the file registers the plugin;
    with the distribution installed it defines nothing (its entry point does)."""
    import importlib.metadata
    import runpy

    real = importlib.metadata.entry_points

    def entry_points(**kwargs):
        found = real(**kwargs)
        if kwargs.get("group") == "airflow.plugins" and not installed:
            return importlib.metadata.EntryPoints(ep for ep in found if ep.value != "fingertip.plugin:FingertipPlugin")
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    names = runpy.run_path(str(ROOT / "plugins" / "fingertip_plugin.py"))
    assert ("FingertipPlugin" in names) is (not installed)


def test_macros_render_the_beijing_date_and_output_url(dag_env):
    # 20:00 UTC on 20 November is 04:00 on 21 November in Beijing
    log = run_dag(dag_env, "macro_probe", DAG, logical_date="2026-11-20T20:00:00+00:00")
    day, url, fixed = xcom(dag_env, "macro_probe", "show") or (None, None, None)
    assert day == "2026-11-21", log[-4000:]
    assert url == (out_dir(dag_env) / "findings" / "2026-11-21").as_uri() + "/"
    assert fixed == "2026-11-21"


def test_check_date_macro_from_python():
    from fingertip.plugin import fingertip_check_date

    assert fingertip_check_date({}, dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC)) == "2026-04-01"
    assert fingertip_check_date({"logical_date": dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC)}) == "2026-03-31"
    assert fingertip_check_date({}, "2026-06-30T18:00:00+00:00") == "2026-07-01"
