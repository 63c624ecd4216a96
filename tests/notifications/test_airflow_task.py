"""Inside a real Airflow 3.3 task: ``send_once`` over the project's ``smtp_default`` connection.

The connection comes from ``airflow_settings.yaml`` (loaded with the project's loader, pointed at
an in-process mail catcher through ``FINGERTIP_SMTP_PORT``), so this checks the task SDK's
connection lookup, the extras as booleans and the ledger across two tasks: one mail, not two.
"""

from __future__ import annotations

import textwrap

import pytest
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings

from fingertip_dev.mailcatcher import MailCatcher, read_index

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG = textwrap.dedent('''
    import pendulum
    from airflow.sdk import dag, task


    @dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["fingertip"],
         doc_md="Test-only DAG: sends one mail through the notification ledger over smtp_default.")
    def mail_probe():
        @task
        def send(label: str):
            from fingertip.notifications import Email, send_once
            from fingertip.runtime import store_engine

            report = send_once(store_engine(), key="probe:2026Q3", kind="report",
                               email=Email(subject="【探针】季度报告已生成", to=["ops@cac.example.gov.cn"],
                                           text="这是一封测试邮件。"))
            print(f"MAIL-REPORT-{label}", report.summary())
            return {"sent": report.sent, "already_sent": report.already_sent}

        # the second task stands for a re-run / retry of the first: the ledger must not send again
        send.override(task_id="send")("first") >> send.override(task_id="send_again")("again")


    mail_probe()
''')


def test_send_once_in_a_dag_run(airflow_env, tmp_path):
    from fingertip.store import migrate

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "mail_probe.py").write_text(DAG, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate.upgrade(url)
    with MailCatcher(tmp_path / "mail", port=0) as catcher:
        env = {**airflow_env, "FINGERTIP_STORE_URL": url, "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
               "FINGERTIP_SMTP_PORT": str(catcher.port), "FINGERTIP_SMTP_HOST": "127.0.0.1"}
        env.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
        load_airflow_settings(env, ROOT / "airflow_settings.yaml")
        run = airflow_cmd(env, "dags", "test", "mail_probe", "2026-11-23", timeout=300)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]
    assert "MAIL-REPORT-first sent 1," in log and "MAIL-REPORT-again sent 0, already sent 1" in log, log[-4000:]
    entries = read_index(tmp_path / "mail")
    assert len(entries) == 1
    assert entries[0]["subject"] == "【探针】季度报告已生成"
    assert entries[0]["mail_from"] == "fingertip@cac.example.gov.cn"  # from_email extra of smtp_default
    assert entries[0]["rcpt_tos"] == ["ops@cac.example.gov.cn"]
