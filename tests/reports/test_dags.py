"""The two DAGs run for real once each (``airflow dags test``) against a sample store and an SMTP server."""

from __future__ import annotations

import datetime as dt
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings

from fingertip.store import schema

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def report_env(airflow_env):
    from fingertip.rules import detect
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.sample.load import generate_into_store

    env = dict(airflow_env)
    data = Path(env["FINGERTIP_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data / 'reports-store.db'}"
    env["FINGERTIP_STORE_URL"] = url
    load_airflow_settings(env, ROOT / "airflow_settings.yaml")
    generate_into_store(url, 1500, 5, AS_OF, None, inventory=False, replace=True)
    engine = create_store_engine(url)
    detect(engine, check_date=AS_OF, persist=True)
    yield env, engine, Path(env["FINGERTIP_OUTPUT_URL"].removeprefix("file://"))
    engine.dispose()


def _run(env, dag_id, logical_date, conf):
    proc = airflow_cmd(env, "dags", "test", dag_id, logical_date, "--conf", json.dumps(conf), timeout=900)
    return proc.returncode, proc.stdout + proc.stderr


def test_periodic_report_dag(report_env, smtp_server):
    env, engine, out = report_env
    env = {**env, "AIRFLOW_CONN_SMTP_DEFAULT": smtp_server.conn_json}
    code, log = _run(env, "periodic_report", "2026-10-01",
                     {"period": "2026Q3", "kind": "quarterly", "recipients": ["central@cac.example.gov.cn"]})
    assert code == 0 and "state=success" in log, log[-4000:]
    folder = out / "reports" / "2026Q3"
    assert {p.suffix for p in folder.iterdir() if p.is_file()} == {".xlsx", ".docx", ".pdf", ".json", ".md", ".html"}
    with engine.connect() as conn:
        run = conn.execute(sa.select(schema.audit_runs).where(schema.audit_runs.c.run_key == "report:quarterly:2026Q3")).one()
        ndocs = conn.execute(sa.select(sa.func.count()).select_from(schema.documents)
                             .where(schema.documents.c.audit_run_id == run.id)).scalar_one()
        open_findings = conn.execute(sa.select(sa.func.count()).select_from(schema.findings)
                                     .where(schema.findings.c.state.in_(["open", "acknowledged"]))).scalar_one()
    assert run.status == "succeeded" and ndocs == 6
    assert len(smtp_server.messages) == 1
    msg = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0]["data"])
    assert "2026年第三季度" in msg["Subject"]
    doc = json.loads((folder / "report_quarterly_2026Q3.json").read_text(encoding="utf-8"))
    assert doc["figures"]["findings"]["open_total"] == open_findings > 0
    # a second run of the same report sends nothing again
    code, log = _run(env, "periodic_report", "2026-10-01",
                     {"period": "2026Q3", "kind": "quarterly", "recipients": ["central@cac.example.gov.cn"]})
    assert code == 0 and "state=success" in log, log[-4000:]
    assert len(smtp_server.messages) == 1


def test_adhoc_audit_dag(report_env, smtp_server):
    env, engine, out = report_env
    env = {**env, "AIRFLOW_CONN_SMTP_DEFAULT": smtp_server.conn_json}
    with engine.connect() as conn:
        province = conn.execute(sa.select(sa.func.min(schema.apps.c.division_code))).scalar_one()[:2] + "0000"
    code, log = _run(env, "adhoc_audit", "2026-10-02",
                     {"provinces": [province], "sample_rate": 0.5, "sample_seed": 7, "check_date": AS_OF.isoformat(),
                      "recipients": ["audit@cac.example.gov.cn"]})
    assert code == 0 and "state=success" in log, log[-4000:]
    with engine.connect() as conn:
        run = conn.execute(sa.select(schema.audit_runs).where(schema.audit_runs.c.kind == "adhoc")).one()
    assert run.status == "succeeded" and (run.sample_rate, run.sample_seed) == (0.5, 7)
    assert run.run_key.startswith("adhoc_audit:")
    pdfs = list((out / "audits").glob("*/*.pdf"))
    assert len(pdfs) == 1
    assert len(smtp_server.messages) == 1
    msg = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0]["data"])
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "随机种子 7" in html

    # bad parameters: the validate task fails with every problem listed; nothing else runs
    code, log = _run(env, "adhoc_audit", "2026-10-03",
                     {"provinces": ["990000"], "recipients": ["zhang san@cac.example.gov.cn"]})
    assert code != 0 or "state=failed" in log, log[-3000:]
    assert "专项核查参数有误" in log and "990000" in log and "zhang san@cac.example.gov.cn" in log
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.audit_runs)
                            .where(schema.audit_runs.c.kind == "adhoc")).scalar_one() == 1
    assert len(smtp_server.messages) == 1
