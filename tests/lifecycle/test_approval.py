"""Human approval: one request per case, decisions recorded by the HITL task's completion method with
the event payload Airflow delivers, timeouts re-asked, demo auto-approval only with FINGERTIP_DEMO=1."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from tests.lifecycle.conftest import DAY

from fingertip.lifecycle import approval, cases, opening

NOW = dt.datetime(2026, 11, 20, 0, 0, 0)


@pytest.fixture
def two_cases(store_engine, population, monkeypatch):
    monkeypatch.setenv("FINGERTIP_STORE_URL", store_engine.url.render_as_string(hide_password=False))
    keys = []
    for target_type, key, succ in (("app", "APP-Z", "app:APP-S"), ("account", "ACC-Z", "account:ACC-S")):
        case, _ = opening.open_by_ops(store_engine, target_type=target_type, target_key=key, actor="赵六",
                                      reason="长期不更新", successor=succ)
        keys.append(case["case_key"])
    return keys


def _operator(key):
    return approval.CaseApprovalOperator(task_id="approve_case", case_key=key, subject="关停审批", body="…")


def _context(run_id="scheduled__2026-11-20", map_index=0):
    return {"dag_run": SimpleNamespace(run_id=run_id), "ti": SimpleNamespace(map_index=map_index)}


def _event(choice, comment="", successor="", user=None, timedout=False):
    """What Airflow 3.3 hands to execute_complete (HITLDetail.as_resume_event_payload)."""
    return {"chosen_options": [choice], "params_input": {"comment": comment, "successor": successor},
            "responded_at": dt.datetime(2026, 11, 20, 3, 4, 5, tzinfo=dt.UTC),
            "responded_by_user": user if user is not None else {"id": "admin", "name": "admin"},
            "timedout": timedout}


def test_one_request_per_case_and_pending_requests_are_not_asked_again(store_engine, settings, two_cases):
    first = approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)
    assert [r["case_key"] for r in first] == two_cases
    assert "阳江掌上通" in first[0]["subject"] and "**关停对象**" in first[0]["body"]
    assert "停止服务 2026-12-20" in first[0]["body"] and "阳江政务服务" in first[0]["body"]
    # a later run while r1 still waits: nothing to ask
    assert approval.request_approvals(store_engine, settings=settings, run_id="r2", day=DAY,
                                      now=NOW + dt.timedelta(hours=5)) == []
    # r1's task retried: the same requests again
    assert len(approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)) == 2
    # after the deadline (72 h) passed with no answer recorded: asked again, counted as a timeout
    late = approval.request_approvals(store_engine, settings=settings, run_id="r3", day=DAY,
                                      now=NOW + dt.timedelta(hours=80))
    assert len(late) == 2 and late[0]["subject"].startswith("【第2次请求】")


def test_approve_through_the_completion_method_records_the_responder(store_engine, settings, two_cases):
    approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)
    result = _operator(two_cases[0]).execute_complete(
        _context(), _event(approval.APPROVE, comment="同意，按期公告", user={"id": "u42", "name": "liwei"}))
    assert result["outcome"] == "approved" and result["actor"] == "liwei"
    with store_engine.connect() as conn:
        case = cases.get_case(conn, two_cases[0])
        ev = cases.events(conn, case["id"])[-1]
    assert case["state"] == "approved" and case["details"]["approval"]["status"] == "answered"
    assert (ev["from_state"], ev["to_state"], ev["actor"]) == ("proposed", "approved", "liwei")
    assert ev["reason"] == "审批通过：同意，按期公告"
    assert ev["evidence"]["hitl"]["run_id"] == "scheduled__2026-11-20"
    assert ev["evidence"]["hitl"]["responded_at"].startswith("2026-11-20T03:04:05")
    # an answered case is not asked again
    assert [r["case_key"] for r in approval.request_approvals(
        store_engine, settings=settings, run_id="r9", day=DAY, now=NOW + dt.timedelta(days=9))] == [two_cases[1]]


def test_reject_with_comment_and_successor_override(store_engine, settings, two_cases):
    result = _operator(two_cases[1]).execute_complete(_context(), _event(approval.REJECT, comment="该账号仍在使用"))
    assert result["outcome"] == "rejected"
    with store_engine.connect() as conn:
        case = cases.get_case(conn, two_cases[1])
        assert case["state"] == "rejected"
        assert cases.events(conn, case["id"])[-1]["reason"] == "审批驳回：该账号仍在使用"
    _operator(two_cases[0]).execute_complete(_context(), _event(approval.APPROVE, comment="同意",
                                                                successor="app:APP-D"))
    with store_engine.connect() as conn:
        assert cases.get_case(conn, two_cases[0])["successor_key"] == "APP-D"


def test_bad_answers_are_refused(store_engine, settings, two_cases):
    with pytest.raises(ValueError, match="not in"):
        _operator(two_cases[0]).execute_complete(_context(), _event("Approve"))
    with store_engine.connect() as conn:
        assert cases.get_case(conn, two_cases[0])["state"] == "proposed"


def test_timeout_leaves_the_case_proposed_and_it_is_asked_again(store_engine, settings, two_cases):
    approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)
    event = {"error": "The Human-in-the-loop response timeout has passed without a response.",
             "error_type": "timeout"}
    assert _operator(two_cases[0]).execute_complete(_context("r1"), event)["outcome"] == "timed_out"
    with store_engine.connect() as conn:
        case = cases.get_case(conn, two_cases[0])
        assert case["state"] == "proposed" and case["details"]["approval"]["status"] == "timed_out"
        assert "超时" in cases.events(conn, case["id"])[-1]["reason"]
    again = approval.request_approvals(store_engine, settings=settings, run_id="r2", day=DAY,
                                       now=NOW + dt.timedelta(hours=73))
    assert two_cases[0] in [r["case_key"] for r in again]


def test_repeated_timeouts_escalate_by_mail_once(store_engine, settings, two_cases):
    import sqlalchemy as sa

    from fingertip.store import schema

    event = {"error": "timeout", "error_type": "timeout"}
    for i in range(2):
        approval.request_approvals(store_engine, settings=settings, run_id=f"r{i}", day=DAY,
                                   now=NOW + dt.timedelta(hours=100 * i))
        _operator(two_cases[0]).execute_complete(_context(f"r{i}"), event)
    approval.request_approvals(store_engine, settings=settings, run_id="r2", day=DAY, now=NOW + dt.timedelta(hours=200))
    approval.request_approvals(store_engine, settings=settings, run_id="r2", day=DAY, now=NOW + dt.timedelta(hours=200))
    with store_engine.connect() as conn:
        keys = conn.execute(sa.select(schema.notifications.c.notification_key)).scalars().all()
    # the first case timed out twice; the second lapsed twice without an answer (its run never completed it)
    assert sorted(keys) == sorted(f"escalation:{k}:2:ops@cac.example.gov.cn" for k in two_cases)


def test_demo_auto_approval_needs_the_demo_environment(store_engine, settings, two_cases, monkeypatch):
    monkeypatch.delenv("FINGERTIP_DEMO", raising=False)
    asked = approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW,
                                       demo_auto_approve=True)
    assert len(asked) == 2  # ignored: people are asked
    monkeypatch.setenv("FINGERTIP_DEMO", "1")
    assert approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW,
                                      demo_auto_approve=True) == []
    with store_engine.connect() as conn:
        for key in two_cases:
            case = cases.get_case(conn, key)
            ev = cases.events(conn, case["id"])[-1]
            assert case["state"] == "approved"
            assert ev["actor"] == "demo-auto-approval" and "演示环境自动批准（仅用于演示）" in ev["reason"]


def test_the_request_form_has_the_comment_and_successor_fields(two_cases):
    op = _operator(two_cases[0])
    assert set(op.serialized_params) == {"comment", "successor"}
    assert op.options == [approval.APPROVE, approval.REJECT] and op.multiple is False


def test_two_runs_racing_ask_only_once(store_engine, settings, two_cases, monkeypatch):
    """Run r2 read the cases before r1 marked them pending: its claim fails, it asks nothing."""
    with store_engine.connect() as conn:
        stale = cases.list_cases(conn, ("proposed",))
    assert len(approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)) == 2
    monkeypatch.setattr(cases, "list_cases", lambda conn, states=None, **kw: [dict(x) for x in stale])
    assert approval.request_approvals(store_engine, settings=settings, run_id="r2", day=DAY, now=NOW) == []
    monkeypatch.undo()
    with store_engine.connect() as conn:
        assert {cases.get_case(conn, k)["details"]["approval"]["run_id"] for k in two_cases} == {"r1"}


def test_an_answer_to_a_case_decided_elsewhere_changes_nothing(store_engine, settings, two_cases):
    approval.apply_decision(store_engine, two_cases[0], approved=False, actor="李四", comment="驳回")
    result = _operator(two_cases[0]).execute_complete(_context(), _event(approval.APPROVE, comment="同意"))
    assert result["recorded"] is False
    with store_engine.connect() as conn:
        assert cases.get_case(conn, two_cases[0])["state"] == "rejected"
