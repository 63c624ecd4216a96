"""``FingertipMailNotifier``: templated mail through the exactly-once ledger, over a real SMTP server."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from tests.notifications.helpers import CONN_ID, conn_json
from tests.operators.conftest import run_dag, ti_states

from fingertip.notifiers import FingertipMailNotifier, default_key, event_facts

DAG = '''
    from fingertip.notifiers import FingertipMailNotifier

    with DAG("notify_probe", schedule=None, start_date=START, catchup=False, params={"to": "ops@cac.example.gov.cn"},
             on_failure_callback=FingertipMailNotifier(recipients=["central@cac.example.gov.cn"], smtp_conn_id="smtp_test")):

        @task(retries=0, on_failure_callback=FingertipMailNotifier(
            recipients="{{ params.to }}", smtp_conn_id="smtp_test"))
        def fetch_listings():
            raise RuntimeError("应用商店接口不可用 / store API down")

        @task(on_success_callback=FingertipMailNotifier(
            recipients=["ops@cac.example.gov.cn"], smtp_conn_id="smtp_test", key="summary-ready:{{ ds }}",
            subject="【指尖治理】{{ ti.task_id }} 已完成：{{ fingertip.check_date }}",
            body="摘要：{{ ti.xcom_pull(task_ids='summarise') }}"))
        def summarise():
            return "共 3 项问题"

        summarise()
        fetch_listings()
'''


def _task_context(state="failed", try_number=1, exception=None):
    from airflow.sdk import DAG

    ti = SimpleNamespace(dag_id="periodic_report", task_id="produce", run_id="scheduled__2026-10-01", map_index=2,
                         try_number=try_number, state=state, log_url="http://airflow/log")
    return {"dag": DAG("periodic_report", schedule=None), "ti": ti, "task_instance": ti,
            "task": SimpleNamespace(task_id="produce"), "run_id": ti.run_id,
            "dag_run": SimpleNamespace(dag_id="periodic_report", run_id=ti.run_id, state="running", run_after=None),
            "logical_date": dt.datetime(2026, 9, 30, 22, 0, tzinfo=dt.UTC), "exception": exception}


def _rows(engine):
    from fingertip.store import schema

    with engine.connect() as c:
        return c.execute(sa.select(schema.notifications.c.notification_key, schema.notifications.c.recipient,
                                   schema.notifications.c.status, schema.notifications.c.kind)).all()


def test_event_facts_and_a_stable_key_per_event():
    facts = event_facts(_task_context(exception=ValueError("坏了")))
    assert facts["check_date"] == "2026-10-01"  # 22:00 UTC is the next day in Beijing
    assert (facts["task_id"], facts["state"], facts["state_zh"], facts["exception"]) == ("produce", "failed", "失败", "坏了")
    key = default_key(facts)
    assert key == "airflow:periodic_report:scheduled__2026-10-01:produce:2:1:failed"
    assert default_key(event_facts(_task_context())) == key  # the same event, the same key
    assert default_key(event_facts(_task_context(try_number=2))) != key  # a later failure is a new event
    dag_ctx = {"dag": SimpleNamespace(dag_id="d"), "run_id": "r1",
               "dag_run": SimpleNamespace(dag_id="d", run_id="r1", state="failed", run_after=None), "reason": "task_failure"}
    assert default_key(event_facts(dag_ctx)) == "airflow:d:r1:dag:failed"
    # a DAG failure callback gets the failing task's context too: still a DAG event, naming the task
    dag_failure = {**_task_context(), "reason": "task_failure"}
    facts = event_facts(dag_failure)
    assert (facts["task_id"], facts["failed_task"], facts["state"]) == (None, "produce", "failed")
    assert default_key(facts) == "airflow:periodic_report:scheduled__2026-10-01:dag:failed"


def test_a_retried_callback_sends_once_with_chinese_subject(sqlite_store, smtp_server, smtp_conn, monkeypatch):
    monkeypatch.setenv("FINGERTIP_STORE_URL", sqlite_store.url.render_as_string(hide_password=False))
    notifier = FingertipMailNotifier(recipients="ops@cac.example.gov.cn; 李四 <lisi@cac.example.gov.cn>",
                                     smtp_conn_id=smtp_conn)
    notifier(_task_context(exception=RuntimeError("数据源不可用")))
    assert notifier.last_report.sent == 2
    # Airflow (or an operator) runs the callback again for the same failure: nothing new goes out
    again = FingertipMailNotifier(recipients="ops@cac.example.gov.cn; 李四 <lisi@cac.example.gov.cn>",
                                  smtp_conn_id=smtp_conn)
    again(_task_context(exception=RuntimeError("数据源不可用")))
    assert again.last_report.sent == 0 and again.last_report.already_sent == 2
    assert len(smtp_server.messages) == 2
    msg = smtp_server.messages[0].msg
    assert str(msg["Subject"]) == "【指尖治理】periodic_report.produce 失败（2026-10-01）"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "任务：produce[2]（第 1 次尝试）" in text and "错误：数据源不可用" in text and "日志：http://airflow/log" in text
    assert sorted(r.recipient for r in _rows(sqlite_store)) == ["lisi@cac.example.gov.cn", "ops@cac.example.gov.cn"]
    assert {r.kind for r in _rows(sqlite_store)} == {"alert"}


def test_no_recipients_anywhere_sends_nothing(sqlite_store, smtp_server, smtp_conn, monkeypatch):
    monkeypatch.setenv("FINGERTIP_STORE_URL", sqlite_store.url.render_as_string(hide_password=False))
    monkeypatch.setattr("fingertip.reports.settings.default_recipients", lambda: [])
    notifier = FingertipMailNotifier(recipients="None", smtp_conn_id=smtp_conn)
    notifier(_task_context())
    assert smtp_server.messages == [] and _rows(sqlite_store) == []


@pytest.mark.airflow
@pytest.mark.slow
def test_task_and_dag_callbacks_in_a_real_run(dag_env, smtp_server, smtp_port):
    import sqlalchemy as sa

    env = {**dag_env, f"AIRFLOW_CONN_{CONN_ID.upper()}": conn_json(smtp_port)}
    log = run_dag(env, "notify_probe", DAG, logical_date="2026-11-20T00:00:00+00:00")
    assert ti_states(env, "notify_probe") == {"fetch_listings": "failed", "summarise": "success"}, log[-4000:]
    by_subject = {str(m.msg["Subject"]): m for m in smtp_server.messages}
    assert "【指尖治理】notify_probe.fetch_listings 失败（2026-11-20）" in by_subject, (list(by_subject), log[-4000:])
    failed = by_subject["【指尖治理】notify_probe.fetch_listings 失败（2026-11-20）"]
    assert failed.rcpt_tos == ["ops@cac.example.gov.cn"]  # the templated recipient (params.to)
    assert "应用商店接口不可用" in failed.msg.get_body(preferencelist=("plain",)).get_content()
    ok = by_subject["【指尖治理】summarise 已完成：2026-11-20"]
    assert ok.msg.get_body(preferencelist=("plain",)).get_content().strip() == "摘要：共 3 项问题"
    dag_mails = [m for m in smtp_server.messages if m.rcpt_tos == ["central@cac.example.gov.cn"]]
    assert len(dag_mails) == 1 and str(dag_mails[0].msg["Subject"]) == "【指尖治理】notify_probe 失败（2026-11-20）"
    assert "失败任务：fetch_listings" in dag_mails[0].msg.get_body(preferencelist=("plain",)).get_content()
    engine = sa.create_engine(env["FINGERTIP_STORE_URL"])
    with engine.connect() as c:
        keys = sorted(r[0] for r in c.execute(sa.text("SELECT notification_key FROM notifications")))
    engine.dispose()
    assert "summary-ready:2026-11-20:ops@cac.example.gov.cn" in keys
    assert any(k.startswith("airflow:notify_probe:manual__") and ":fetch_listings:-1:1:failed:" in k for k in keys)
    assert len(smtp_server.messages) == 3


def test_dag_callback_with_the_minimal_context_renders_var_and_params(sqlite_store, smtp_server, smtp_conn,
                                                                       monkeypatch):
    """The DAG processor gives a DAG callback only dag, run_id and reason when no task is involved."""
    from airflow.sdk import DAG

    monkeypatch.setenv("FINGERTIP_STORE_URL", sqlite_store.url.render_as_string(hide_password=False))
    monkeypatch.setenv("AIRFLOW_VAR_FINGERTIP_OPS_RECIPIENTS", "ops@cac.example.gov.cn")
    notifier = FingertipMailNotifier(recipients="{{ var.value.get('fingertip_ops_recipients', '') }}",
                                     subject="【指尖治理】{{ params.title }}：{{ fingertip.state_zh }}", smtp_conn_id=smtp_conn)
    dag = DAG("periodic_report", schedule=None, params={"title": "定期报告"})
    notifier({"dag": dag, "run_id": "scheduled__2026-10-01", "reason": "success"})
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["ops@cac.example.gov.cn"] and str(mail.msg["Subject"]) == "【指尖治理】定期报告：成功"
    assert [r.notification_key for r in _rows(sqlite_store)] == [
        "airflow:periodic_report:scheduled__2026-10-01:dag:success:ops@cac.example.gov.cn"]
