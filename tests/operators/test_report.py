"""``ProduceReportOperator`` in a real run: a quarterly report mailed once, an audit, bad audit params."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.notifications.helpers import CONN_ID, conn_json
from tests.operators.conftest import out_dir, run_dag, ti_states, xcom
from tests.reports.conftest import load_dataset

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG = '''
    from fingertip.operators import ProduceReportOperator

    with DAG("report_probe", schedule=None, start_date=START, catchup=False):
        first = ProduceReportOperator(task_id="quarterly", kind="quarterly", period="2026Q3", formats=["xlsx", "json", "html"],
                              recipients=["central@cac.example.gov.cn"], send=True, smtp_conn_id="smtp_test")
        first >> ProduceReportOperator(task_id="again", kind="quarterly", period="2026Q3", formats="xlsx,json,html",
                                       recipients="central@cac.example.gov.cn", send=True, smtp_conn_id="smtp_test")
        ProduceReportOperator(task_id="audit", run_key="probe-audit", audit={
            "provinces": ["440000"], "sample_rate": 0.5, "sample_seed": 7, "check_date": "2026-09-30",
            "formats": ["xlsx", "json"], "recipients": ["audit@cac.example.gov.cn"]})
        ProduceReportOperator(task_id="bad_audit", retries=3, audit={"provinces": ["990000"],
                                                                    "recipients": ["zhang san@example.cn"]})
'''


def test_report_audit_and_bad_parameters(dag_env, smtp_server, smtp_port):
    engine = sa.create_engine(dag_env["FINGERTIP_STORE_URL"])
    load_dataset(engine)
    env = {**dag_env, f"AIRFLOW_CONN_{CONN_ID.upper()}": conn_json(smtp_port)}
    log = run_dag(env, "report_probe", DAG, logical_date="2026-10-01")
    assert ti_states(env, "report_probe") == {"quarterly": "success", "again": "success", "audit": "success",
                                              "bad_audit": "failed"}, log[-4000:]
    out = out_dir(env)
    report = xcom(env, "report_probe", "quarterly")
    assert report["key"] == "report:quarterly:2026Q3" and report["output"]["ref"] == "reports/2026Q3"
    assert report["output"]["url"] == (out / "reports" / "2026Q3").as_uri() + "/"
    assert {p.suffix for p in (out / "reports" / "2026Q3").iterdir() if p.is_file()} == {".xlsx", ".json", ".html", ".md"}
    assert report["sent"]["delivery"]["sent"] == 1
    # the second task stands for a re-run: the ledger sends the same report only once
    assert xcom(env, "report_probe", "again")["sent"]["delivery"]["already_sent"] == 1
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0].rcpt_tos == ["central@cac.example.gov.cn"]
    assert "2026年第三季度" in str(smtp_server.messages[0].msg["Subject"])

    audit = xcom(env, "report_probe", "audit")
    assert audit["kind"] == "adhoc" and audit["output"]["ref"] == "audits/probe-audit"
    assert list((out / "audits" / "probe-audit").glob("*.xlsx"))
    with engine.connect() as c:
        runs = c.execute(sa.text("SELECT run_key, status, sample_rate, sample_seed FROM audit_runs ORDER BY run_key")).all()
    engine.dispose()
    assert [tuple(r) for r in runs] == [("probe-audit", "succeeded", 0.5, 7),
                                        ("report:quarterly:2026Q3", "succeeded", None, None)]
    # bad parameters: every problem named, no retry (the parameters are at fault), nothing recorded
    assert "专项核查参数有误" in log and "990000" in log and "zhang san@example.cn" in log
    assert "XCom not found" not in log  # the link of a failed task does not look for a result
    with sa.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).connect() as c:
        assert c.execute(sa.text("SELECT try_number FROM task_instance WHERE dag_id = 'report_probe' "
                                 "AND task_id = 'bad_audit'")).scalar_one() == 1


def test_report_or_audit_not_both():
    from fingertip.operators import ProduceReportOperator

    with pytest.raises(ValueError, match="not both"):
        ProduceReportOperator(task_id="x", kind="quarterly", audit={"provinces": ["440000"]})
