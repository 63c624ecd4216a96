"""The shutdown DAG end to end in real Airflow runs (``airflow dags test``).

``dags test`` never finishes a human-in-the-loop task (it waits in ``awaiting_input`` and ignores
SIGTERM), so the mapped ``approve_case`` task is marked success with ``--mark-success-pattern`` and the
answer is given the way Airflow delivers it: the operator's completion method with the event payload
of ``HITLDetail.as_resume_event_payload``. Every run has a subprocess timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings
from tests.lifecycle.conftest import add_finding, populate

from fingertip.store import migrate, schema
from fingertip.store.engine import create_store_engine

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
RULE = "app.zombie"  # fingertip/resources/policy/rules/apps.yaml: actions: [propose_shutdown]


@pytest.fixture(scope="module")
def _settings_loaded(airflow_env):
    """airflow_settings.yaml loaded into the session's metadata database once for the module: the load is
    an idempotent sync of the same file with the same environment, and no run here changes those settings."""
    load_airflow_settings(dict(airflow_env), ROOT / "airflow_settings.yaml")


@pytest.fixture(scope="module")
def _migrated_store(tmp_path_factory) -> Path:
    """A freshly migrated, empty SQLite store, migrated once for the module (each test gets a copy)."""
    path = tmp_path_factory.mktemp("shutdown-dag-template") / "store.db"
    migrate.upgrade(f"sqlite:///{path}")
    create_store_engine(f"sqlite:///{path}").dispose()
    assert not path.with_name(path.name + "-wal").exists() or path.with_name(path.name + "-wal").stat().st_size == 0
    return path


@pytest.fixture
def dag_env(airflow_env, _settings_loaded, _migrated_store, tmp_path):
    env = dict(airflow_env)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    shutil.copyfile(_migrated_store, tmp_path / "store.db")  # = migrate.upgrade(url)
    engine = create_store_engine(url)
    populate(engine)
    add_finding(engine, rule_id=RULE)
    env.update({"FINGERTIP_STORE_URL": url, "FINGERTIP_OUTPUT_URL": (tmp_path / "out").as_uri()})
    env.pop("FINGERTIP_DEMO", None)
    yield env, engine, tmp_path / "out"
    engine.dispose()


def _dags_test(env, logical_date, conf=None, mark_success="approve_case"):
    args = ["dags", "test", "shutdown_cases", logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    if mark_success:
        args += ["--mark-success-pattern", mark_success]
    proc = airflow_cmd(env, *args, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "state=success" in out, out[-5000:]
    return out


def _case(engine):
    from fingertip.lifecycle import cases

    with engine.connect() as conn:
        [case] = cases.list_cases(conn)
        return case, cases.events(conn, case["id"])


def test_case_end_to_end_with_the_approval_answered_through_hitl(dag_env, monkeypatch):
    env, engine, out = dag_env
    # run 1: the finding opens a case and an approval request is made
    _dags_test(env, "2026-11-20T00:00:00+00:00")
    case, _ = _case(engine)
    assert case["state"] == "proposed" and case["finding_id"] and case["successor_key"] == "APP-S"
    approval_state = case["details"]["approval"]
    assert approval_state["status"] == "pending" and approval_state["run_id"].startswith("manual__")

    # a second run the next day does not ask again while the first request is pending
    _dags_test(env, "2026-11-20T12:00:00+00:00")
    assert _case(engine)[0]["details"]["approval"]["run_id"] == approval_state["run_id"]

    # the approver answers; Airflow resumes the task into its completion method with this payload
    from fingertip.lifecycle.approval import APPROVE, CaseApprovalOperator

    monkeypatch.setenv("FINGERTIP_STORE_URL", env["FINGERTIP_STORE_URL"])
    op = CaseApprovalOperator(task_id="approve_case", case_key=case["case_key"], subject="关停审批", body="…")
    result = op.execute_complete(
        {"dag_run": type("R", (), {"run_id": approval_state["run_id"]})(), "ti": type("T", (), {"map_index": 0})()},
        {"chosen_options": [APPROVE], "params_input": {"comment": "同意关停，按期公告", "successor": ""},
         "responded_at": dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC),
         "responded_by_user": {"id": "admin", "name": "admin"}, "timedout": False})
    assert result["outcome"] == "approved"

    # run 2: announcement and checklist written and recorded, reminders queued
    _dags_test(env, "2026-11-21T00:00:00+00:00")
    case, events = _case(engine)
    assert case["state"] == "announced" and case["announced_on"] == dt.date(2026, 11, 21)
    assert case["stop_on"] == dt.date(2026, 12, 21)
    assert [(e["to_state"], e["actor"]) for e in events if e["from_state"] != e["to_state"]] == [
        ("proposed", "fingertip-shutdown-dag"), ("approved", "admin"), ("announced", "fingertip-shutdown-dag")]
    with engine.connect() as conn:
        docs = conn.execute(sa.select(schema.documents.c.doc_kind, schema.documents.c.doc_format, schema.documents.c.path)
                            .where(schema.documents.c.case_id == case["id"])).all()
        reminders = conn.execute(sa.select(sa.func.count()).select_from(schema.notifications)
                                 .where(schema.notifications.c.kind == "reminder")).scalar_one()
    assert len(docs) == 6 and all(Path(p.removeprefix("file://")).is_file() for _, _, p in docs)
    assert all(Path(p.removeprefix("file://")).parent == out / "cases" / case["case_key"] for _, _, p in docs)
    assert reminders == 12

    # run 3 (same day again): nothing changes, no second set of reminders
    _dags_test(env, "2026-11-21T06:00:00+00:00")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.notifications)).scalar_one() == 12
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.documents)).scalar_one() == 6


def test_dry_run_param_prints_the_timeline_and_changes_nothing(dag_env):
    env, engine, out = dag_env
    from fingertip.lifecycle import opening

    opening.open_by_ops(engine, target_type="app", target_key="APP-Z", actor="赵六", reason="僵尸应用",
                        successor="app:APP-S")
    with engine.connect() as conn:
        from fingertip.store.ops import table_counts

        before = table_counts(conn)
    log = _dags_test(env, "2026-11-20T00:00:00+00:00", {"dry_run": True})
    assert "last service day  2026-12-20" in log and "store:huawei" in log
    with engine.connect() as conn:
        assert table_counts(conn) == before
    assert not out.exists()


def test_demo_auto_approval_takes_a_finding_to_documents_in_one_run(dag_env):
    env, engine, out = dag_env
    env = {**env, "FINGERTIP_DEMO": "1"}
    log = _dags_test(env, "2026-11-20T00:00:00+00:00", {"demo_auto_approve": True}, mark_success=None)
    case, events = _case(engine)
    assert case["state"] == "announced"
    assert any(e["actor"] == "demo-auto-approval" and "演示环境自动批准（仅用于演示）" in e["reason"] for e in events)
    assert "DEMO AUTO-APPROVAL" in log
    assert len(list((out / "cases" / case["case_key"]).iterdir())) == 6
