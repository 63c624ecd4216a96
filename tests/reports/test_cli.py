"""The project CLI: ``fingertip reports periodic|audit``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from tests.conftest import ROOT


@pytest.fixture
def sqlite_dataset(sqlite_url, tmp_path):
    from tests.reports.conftest import load_dataset

    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine

    migrate.upgrade(sqlite_url)
    engine = create_store_engine(sqlite_url)
    load_dataset(engine)
    engine.dispose()
    return {**os.environ, "FINGERTIP_STORE_URL": sqlite_url, "FINGERTIP_OUTPUT_URL": (tmp_path / "out").as_uri(),
            "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}"}


def _cli(env, *args):
    return subprocess.run([sys.executable, "-m", "fingertip.reports", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_cli_periodic_no_send(sqlite_dataset, tmp_path):
    proc = _cli(sqlite_dataset, "periodic", "--period", "2026Q3", "--formats", "xlsx,json", "--no-send")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["key"] == "report:quarterly:2026Q3" and out["sent"] is None
    doc = json.loads((tmp_path / "out" / "reports" / "2026Q3" / "report_quarterly_2026Q3.json").read_text("utf-8"))
    assert doc["figures"]["inventory"]["totals"]["all"] == 7


def test_cli_audit_bad_params(sqlite_dataset):
    proc = _cli(sqlite_dataset, "audit", "--conf", json.dumps({"divisions": ["123456"], "recipients": ["x@"]}))
    assert proc.returncode == 2
    assert "专项核查参数有误" in proc.stderr and "123456" in proc.stderr and "x@" in proc.stderr
