"""Reports are exact for their period: re-producing Q3 after the store moved on gives the same figures.

The Q3 2026 dataset of ``conftest.py`` is reported; then the store changes the way the pipeline
changes it in Q4 — an app is closed through the shutdown workflow (``closed_on`` today), a work group
closes, findings are resolved and acknowledged, new findings, apps, accounts, inspections and case
events arrive, all dated in Q4 — and Q3 is reported again: every figure must be identical (on SQLite
and PostgreSQL). Q4 itself must see the changes (so the comparison can fail).
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from tests.reports.conftest import ARTICLES

from fingertip.lifecycle import cases
from fingertip.reports.figures import compute_figures
from fingertip.reports.periods import parse_period
from fingertip.store import schema

T = dt.datetime
PROV = dict(source="test-q4", fetched_at=T(2026, 11, 1), request_fingerprint="1" * 64)


def _figures(engine, period: str, province: str | None = None) -> str:
    return json.dumps(compute_figures(engine, parse_period(period), province=province, articles=ARTICLES),
                      sort_keys=True, ensure_ascii=False, default=str)


def _q4_changes(engine) -> None:
    f, w, e = schema.findings, schema.work_groups, schema.case_events
    with engine.begin() as conn:
        cases.set_target_status(conn, "app", "A1", "closed")  # closed_on: today (Beijing), after Q3
        conn.execute(sa.update(w).where(w.c.closed_on.is_(None)).values(status="closed", closed_on=dt.date(2026, 10, 15)))
        conn.execute(sa.update(f).where(f.c.id == "F1").values(state="resolved", resolved_at=T(2026, 10, 5)))
        conn.execute(sa.update(f).where(f.c.id == "F2").values(state="acknowledged", acknowledged_by="王五",
                                                                acknowledged_at=T(2026, 10, 6)))
        conn.execute(sa.update(f).where(f.c.id == "F6").values(state="waived", last_seen_at=T(2026, 11, 2)))
        conn.execute(sa.insert(schema.waivers).values(finding_id="F6", reason="已获批准的应急功能", approver="王五",
                                                       granted_at=T(2026, 11, 2), expires_at=T(2027, 5, 2)))
        conn.execute(sa.insert(f).values(
            id="F7", rule_id="zombie", target_type="app", target_key="A9", severity="high", state="open",
            title_zh="“僵尸”应用", basis=ARTICLES["opinions-12"], article="opinions-12", evidence={"k": 2},
            division_code="440000", sponsor_id=1, first_seen_at=T(2026, 11, 3), last_seen_at=T(2026, 11, 3)))
        conn.execute(sa.insert(schema.apps).values(
            app_key="A9", name="新上线应用", kind="app", sponsor_id=1, division_code="440000", status="active",
            launched_on=dt.date(2026, 10, 10), **PROV))
        conn.execute(sa.insert(schema.accounts).values(
            account_key="C9", platform="wechat", platform_account_id="wx-new", name="新账号", sponsor_id=1,
            division_code="440000", has_interaction_channel=True, status="active", opened_on=dt.date(2026, 11, 1),
            **PROV))
        conn.execute(sa.insert(schema.inspections).values(
            check_date=dt.date(2026, 11, 30), target_type="app", target_key="A2", division_code="440305",
            province_code="440000", sponsor_id=2, score=20, passed=False, outcome="failed", vetoes=["x"],
            deductions={}, risk_tier="high"))
        conn.execute(sa.insert(e).values(case_id=2, from_state="proposed", to_state="approved", actor="王五",
                                         occurred_at=T(2026, 10, 3)))
        conn.execute(sa.update(schema.shutdown_cases).where(schema.shutdown_cases.c.id == 2)
                     .values(state="approved", updated_at=T(2026, 10, 3)))
        conn.execute(sa.insert(schema.shutdown_cases).values(
            id=4, case_key="K4", target_type="app", target_key="A3", state="proposed", opened_by="ops",
            created_at=T(2026, 10, 20), updated_at=T(2026, 10, 20)))


def test_q3_reproduced_after_q4_changes_is_identical(dataset_engine):
    before = _figures(dataset_engine, "2026Q3")
    before_gd = _figures(dataset_engine, "2026Q3", "440000")
    q4_before = _figures(dataset_engine, "2026Q4")
    _q4_changes(dataset_engine)
    assert _figures(dataset_engine, "2026Q3") == before
    assert _figures(dataset_engine, "2026Q3", "440000") == before_gd
    q3 = json.loads(before)
    assert q3["as_of"] == "2026-09-30"  # the report states its as-of date
    # the figures Q3 keeps: A1 still open at the end of Q3, F1 open, K2 proposed at the end of Q3
    assert q3["inventory"]["totals"]["app"] == 3 and q3["findings"]["open_total"] == 4
    assert {r["state"]: r["count"] for r in q3["cases"]["by_state"]}["proposed"] == 1
    # Q4 sees what changed (the comparison above could fail)
    q4 = json.loads(_figures(dataset_engine, "2026Q4"))
    assert q4 != json.loads(q4_before)
    assert q4["as_of"] == "2026-12-31"
    assert q4["changes"]["closed"]["app"] == 1 and q4["changes"]["closed"]["work_group"] == 1
    assert q4["changes"]["new"]["app"] == 1 and q4["changes"]["new"]["account"] == 1
    assert q4["findings"]["resolved_in_period"] == 1 and q4["findings"]["new_in_period"] == 1
    assert q4["findings"]["open_total"] == json.loads(before)["findings"]["open_total"] - 2 + 1  # F1, F6 out; F7 in
    assert q4["inventory"]["totals"]["app"] == 3  # A1 closed, A9 opened
    states = {r["state"]: r["count"] for r in q4["cases"]["by_state"]}
    assert states["approved"] == 1 and states["proposed"] == 1 and q4["cases"]["opened_in_period"] == 1
    assert q4["inspections"]["check_date"] == "2026-11-30"


def test_closing_through_the_workflow_records_the_day(dataset_engine):
    with dataset_engine.begin() as conn:
        cases.set_target_status(conn, "account", "C1", "closed")
    with dataset_engine.connect() as conn:
        closed_on = conn.execute(sa.select(schema.accounts.c.closed_on)
                                 .where(schema.accounts.c.account_key == "C1")).scalar_one()
    assert closed_on is not None and closed_on >= dt.date(2026, 12, 1)
    with dataset_engine.begin() as conn:
        cases.set_target_status(conn, "account", "C1", "active")  # reopened: no closing day any more
    with dataset_engine.connect() as conn:
        assert conn.execute(sa.select(schema.accounts.c.closed_on)
                            .where(schema.accounts.c.account_key == "C1")).scalar_one() is None
