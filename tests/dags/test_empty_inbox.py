"""A DAG configured to find input that found none says so (issue 13, item 2): ``import_inventory`` on
an empty inbox skips with the inbox's location instead of a green run that imported nothing."""

from __future__ import annotations

import pytest
from tests.conftest import airflow_cmd


@pytest.mark.airflow
@pytest.mark.slow
def test_empty_inbox_is_a_skip_naming_the_inbox(airflow_env, tmp_path):
    inbox = tmp_path / "empty-inbox"
    inbox.mkdir()
    env = {**airflow_env, "FINGERTIP_INBOX_URL": inbox.as_uri()}
    proc = airflow_cmd(env, "dags", "test", "import_inventory", "2026-12-02", timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert f"no spreadsheet waiting in the inbox {inbox.as_uri()}" in out, out[-3000:]
