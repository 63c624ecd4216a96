"""A real ``airflow dags test`` run of detect_findings: dry run stores nothing, a real run stores
findings and inspections, writes its outputs and emits the findings asset."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings
from tests.rules.conftest import AS_OF, SEED

from fingertip.store import schema

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def _findings_events(env) -> int:
    """Asset events of fingertip://rules/findings in the run's Airflow metadata database."""
    engine = sa.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with engine.connect() as c:
            return c.execute(sa.text(
                "SELECT count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = :uri"),
                {"uri": "fingertip://rules/findings"}).scalar_one()
    finally:
        engine.dispose()


def test_detect_findings_dag_run(airflow_env, tmp_path):
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.sample.load import generate_into_store

    env = dict(airflow_env)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env["FINGERTIP_STORE_URL"] = url
    out = tmp_path / "out"
    env["FINGERTIP_OUTPUT_URL"] = out.as_uri()
    load_airflow_settings(env, ROOT / "airflow_settings.yaml")
    generate_into_store(url, 800, SEED, AS_OF, tmp_path / "sample", inventory=False)
    engine = create_store_engine(url)

    proc = airflow_cmd(env, "dags", "test", "detect_findings", AS_OF.isoformat(), "--conf",
                       json.dumps({"dry_run": True}), timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "dry run: nothing stored" in log and "account.stale_14d" in log, log[-4000:]
    assert _findings_events(env) == 0  # a dry run emits no asset event
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(schema.findings)).scalar_one() == 0
    assert (out / "findings" / f"{AS_OF}-dry-run" / "findings.jsonl").exists()

    proc = airflow_cmd(env, "dags", "test", "detect_findings", AS_OF.isoformat(), timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    summary = json.loads((out / "findings" / AS_OF.isoformat() / "summary.json").read_text(encoding="utf-8"))
    with engine.connect() as c:
        findings = c.execute(sa.select(sa.func.count()).select_from(schema.findings)).scalar_one()
        inspections = c.execute(sa.select(sa.func.count()).select_from(schema.inspections)).scalar_one()
    engine.dispose()
    assert findings == summary["findings"] > 0
    assert inspections == summary["inspected"] > 0
    assert summary["article_labels"]["opinions-7"].startswith("《意见》第7条")
    assert _findings_events(env) == 1  # the real run emitted fingertip://rules/findings once
