"""The bounded approval queue (issue 13): at most ``approval.max_open_requests`` approval requests are
open at once; further proposed cases wait, visibly, and are asked as slots free up."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from tests.lifecycle.conftest import DAY

from fingertip.lifecycle import approval, cases, opening
from fingertip.lifecycle.settings import SettingsError, load_settings, parse

NOW = dt.datetime(2026, 11, 20, 0, 0, 0)


@pytest.fixture
def three_cases(store_engine, population, monkeypatch):
    monkeypatch.setenv("FINGERTIP_STORE_URL", store_engine.url.render_as_string(hide_password=False))
    keys = []
    for target_type, key, succ in (("app", "APP-Z", "app:APP-S"), ("account", "ACC-Z", "account:ACC-S"),
                                   ("work_group", "WG-1", None)):
        case, _ = opening.open_by_ops(store_engine, target_type=target_type, target_key=key, actor="赵六",
                                      reason="测试", successor=succ)
        keys.append(case["case_key"])
    return keys


def _approval_state(engine, key):
    with engine.connect() as conn:
        return (cases.get_case(conn, key).get("details") or {}).get("approval") or {}


def test_shipped_defaults_bound_the_queue_at_20_and_new_cases_at_50():
    settings = load_settings()
    assert settings.max_open_approvals == 20
    assert settings.max_new_cases_per_run == 50


def test_bad_bounds_are_refused_with_the_key():
    with pytest.raises(SettingsError, match="approval.max_open_requests"):
        parse({"approval": {"max_open_requests": 0}}, "x.yaml")
    assert parse({"approval": {"max_open_requests": 3}}).max_open_approvals == 3


def test_at_most_n_open_requests_the_rest_wait_queued_and_are_asked_when_answered(store_engine, three_cases):
    settings = dataclasses.replace(load_settings(), max_open_approvals=2)
    first = approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)
    assert [r["case_key"] for r in first] == three_cases[:2]
    waiting = _approval_state(store_engine, three_cases[2])
    assert waiting["status"] == "queued" and waiting["place"] == 1
    # the next run while both requests are open: the queue is full, nothing new is asked
    assert approval.request_approvals(store_engine, settings=settings, run_id="r2", day=DAY,
                                      now=NOW + dt.timedelta(hours=1)) == []
    # r1 retried: its own two requests again, still not the third
    again = approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY, now=NOW)
    assert [r["case_key"] for r in again] == three_cases[:2]
    # one request answered: its slot goes to the queued case in the next run
    assert approval.apply_decision(store_engine, three_cases[0], approved=True, actor="admin", comment="同意")
    later = approval.request_approvals(store_engine, settings=settings, run_id="r3", day=DAY,
                                       now=NOW + dt.timedelta(hours=2))
    assert [r["case_key"] for r in later] == [three_cases[2]]
    assert _approval_state(store_engine, three_cases[2])["status"] == "pending"


def test_scheduled_runs_open_at_most_max_new_cases_per_run(store_engine, population, monkeypatch):
    """open_cases without a max_new_cases in the conf (a scheduled run) uses the settings' bound."""
    from fingertip.lifecycle import tasks

    seen = {}

    def fake_open(engine, **kwargs):
        seen.update(kwargs)
        return {"opened": []}

    monkeypatch.setattr(opening, "open_from_findings", fake_open)
    settings = dataclasses.replace(load_settings(), max_new_cases_per_run=7)
    tasks.open_cases(store_engine, day=DAY, settings=settings, conf={})
    assert seen["limit"] == 7
    tasks.open_cases(store_engine, day=DAY, settings=settings, conf={"max_new_cases": 2})
    assert seen["limit"] == 2
