"""``FingertipPlugin``: listed by ``airflow plugins`` (entry point or the plugins-folder file, never twice),
its link, and its macros rendered in a real task."""

from __future__ import annotations

import datetime as dt
import json
import shutil

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
    _check(listed)
    assert "already registered" not in output


def test_the_plugins_folder_file_registers_it_without_the_distribution(airflow_env, tmp_path):
    """A checkout without installed metadata: plugins/fingertip_plugin.py registers it (fingertip/ is ignored)."""
    folder = tmp_path / "plugins"
    shutil.copytree(ROOT / "plugins" / "fingertip", folder / "fingertip",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("fingertip_plugin.py", ".airflowignore"):
        shutil.copy(ROOT / "plugins" / name, folder / name)
    env = {**airflow_env, "AIRFLOW__CORE__PLUGINS_FOLDER": str(folder), "PYTHONPATH": str(folder)}
    listed, output = _plugins(env)
    plugin = _check(listed)
    assert plugin["source"].endswith("fingertip_plugin.py"), plugin["source"]
    assert "already registered" not in output and "__main__" not in plugin["source"]


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
