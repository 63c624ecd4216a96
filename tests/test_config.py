"""``fingertip.config``: environment → ``[fingertip]`` section → default, and the folder options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fingertip import config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for option in config.OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
        monkeypatch.delenv(f"AIRFLOW__FINGERTIP__{option.name.upper()}", raising=False)


def test_default_when_nothing_is_set():
    assert config.get("timezone") == "Asia/Shanghai"
    assert config.get("store_conn_id") == "fingertip_store"
    assert config.get("console_url") is None


def test_section_beats_default(monkeypatch):
    monkeypatch.setenv("AIRFLOW__FINGERTIP__TIMEZONE", "UTC")
    assert config.get("timezone") == "UTC"
    assert config.timezone() == "UTC"


def test_environment_beats_section(monkeypatch):
    monkeypatch.setenv("AIRFLOW__FINGERTIP__TIMEZONE", "UTC")
    monkeypatch.setenv("FINGERTIP_TZ", "Europe/Berlin")
    assert config.get("timezone") == "Europe/Berlin"


def test_empty_environment_value_falls_through(monkeypatch):
    monkeypatch.setenv("FINGERTIP_TZ", "")
    monkeypatch.setenv("AIRFLOW__FINGERTIP__TIMEZONE", "UTC")
    assert config.get("timezone") == "UTC"
    monkeypatch.setenv("AIRFLOW__FINGERTIP__TIMEZONE", "")
    assert config.get("timezone") == "Asia/Shanghai"


@pytest.mark.parametrize("option", config.OPTIONS, ids=lambda o: o.name)
def test_every_option_reads_both_places(monkeypatch, option):
    monkeypatch.setenv(f"AIRFLOW__FINGERTIP__{option.name.upper()}", "from-section")
    assert config.get(option.name) == "from-section"
    monkeypatch.setenv(option.env, "from-env")
    assert config.get(option.name) == "from-env"


def test_unknown_option_is_an_error():
    with pytest.raises(KeyError):
        config.get("no_such_option")


def test_without_airflow_only_environment_and_default(monkeypatch):
    monkeypatch.setattr(config, "airflow_installed", lambda: False)
    monkeypatch.setenv("AIRFLOW__FINGERTIP__TIMEZONE", "UTC")
    assert config.get("timezone") == "Asia/Shanghai"
    monkeypatch.setenv("FINGERTIP_TZ", "Asia/Tokyo")
    assert config.get("timezone") == "Asia/Tokyo"


def test_airflow_that_cannot_be_imported_is_a_configuration_error(monkeypatch):
    """An installed but broken Airflow must not be mistaken for "no Airflow" (its settings would be skipped)."""
    monkeypatch.setitem(sys.modules, "airflow.configuration", None)  # the import now fails
    with pytest.raises(config.ConfigurationError, match="Airflow is installed but cannot be imported"):
        config.get("timezone")
    monkeypatch.setenv("FINGERTIP_TZ", "UTC")  # the environment is still read first
    assert config.get("timezone") == "UTC"


def test_airflow_cfg_section_is_read(tmp_path):
    """``[fingertip]`` in airflow.cfg itself (a fresh process reads the file)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "airflow.cfg").write_text("[fingertip]\noutput_url = s3://bucket/out\ntimezone = UTC\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINGERTIP_", "AIRFLOW__FINGERTIP__"))}
    env.update(AIRFLOW_HOME=str(home), PYTHONPATH=str(ROOT / "plugins"),
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}")
    code = "from fingertip import config; print(config.output_url()); print(config.timezone())"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-2:] == ["s3://bucket/out", "UTC"]
    env["FINGERTIP_OUTPUT_URL"] = "file:///srv/out"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.stdout.split()[-2:] == ["file:///srv/out", "UTC"]


# -- locations -------------------------------------------------------------------------------------
def test_home_data_and_output_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("FINGERTIP_HOME", str(tmp_path))
    assert config.home() == tmp_path.resolve()
    assert config.data_dir() == tmp_path.resolve() / "data"
    assert config.default_store_url() == f"sqlite:///{tmp_path.resolve() / 'data' / 'fingertip.db'}"
    assert config.output_url() == (tmp_path.resolve() / "out").as_uri()
    monkeypatch.setenv("AIRFLOW__FINGERTIP__DATA_DIR", str(tmp_path / "elsewhere"))
    assert config.data_dir() == (tmp_path / "elsewhere").resolve()
    assert config.inbox_url() == ((tmp_path / "elsewhere").resolve() / "inbox").as_uri()


def test_policy_dir_default_is_the_packaged_policy():
    path = config.policy_dir()
    assert path == config.resource("policy") and path.is_dir()
    assert config.overrides_dir() == path / "overrides"


def test_policy_dir_from_section_and_environment(monkeypatch, tmp_path):
    section, env = tmp_path / "section", tmp_path / "env"
    section.mkdir()
    env.mkdir()
    monkeypatch.setenv("AIRFLOW__FINGERTIP__POLICY_DIR", str(section))
    assert config.policy_dir() == section
    assert config.overrides_dir() == section / "overrides"  # follows the policy folder
    monkeypatch.setenv("FINGERTIP_POLICY_DIR", str(env))
    assert config.policy_dir() == env


def test_policy_dir_that_is_not_a_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("FINGERTIP_POLICY_DIR", str(tmp_path / "missing"))
    with pytest.raises(config.ConfigurationError, match=r"policy_dir .*missing is not a folder"):
        config.policy_dir()
    a_file = tmp_path / "file.yaml"
    a_file.write_text("x: 1\n")
    monkeypatch.setenv("FINGERTIP_POLICY_DIR", str(a_file))
    with pytest.raises(config.ConfigurationError, match="is not a folder"):
        config.policy_dir()


def test_overrides_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW__FINGERTIP__OVERRIDES_DIR", str(tmp_path))
    assert config.overrides_dir() == tmp_path
    monkeypatch.setenv("FINGERTIP_OVERRIDES_DIR", str(tmp_path / "nope"))
    with pytest.raises(config.ConfigurationError, match=r"overrides_dir .*nope is not a folder"):
        config.overrides_dir()
