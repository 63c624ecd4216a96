"""The official calendar in the case timeline: a disposal deadline counted beyond the calendar's data
carries a warning in the dry-run timeline and in the announcement's case event; one inside it none."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.lifecycle.conftest import DAY

from fingertip.lifecycle import approval, cases, opening, tasks, timeline
from fingertip.workdays import official_years

pytest.importorskip("fingertip.documents.disposal")


def _approved(engine):
    case, _ = opening.open_by_ops(engine, target_type="app", target_key="APP-Z", actor="赵六",
                                  reason="僵尸应用：686天未更新", successor="app:APP-S")
    approval.apply_decision(engine, case["case_key"], approved=True, actor="王五", comment="同意关停")
    return case["case_key"]


def test_timeline_warns_only_beyond_the_calendar(store_engine, population, settings):
    key = _approved(store_engine)
    last = official_years()[1]
    # announced 20 Nov of the last covered year: stop 20 Dec, deadline in January of the next year
    late = timeline.dry_run(store_engine, day=dt.date(last, 11, 20), settings=settings, case_keys=[key])[0]
    assert late["calendar_warning"] and str(last + 1) in late["calendar_warning"]
    # announced 18 Aug 2026: stop 17 Sep 2026, deadline inside 2026 (National Day counted): no warning
    early = timeline.dry_run(store_engine, day=dt.date(2026, 8, 18), settings=settings, case_keys=[key])[0]
    assert early["calendar_warning"] is None
    # 17 Sep (Thu) + 15: 18 Sep, Sun 20 Sep, 21-24 Sep, 28-30 Sep, 8-9 Oct, Sat 10 Oct, 12-14 Oct (国办发明电〔2025〕7号)
    assert early["last_service_day"] == "2026-09-17" and early["disposal_deadline"] == "2026-10-14"


def test_announcement_event_carries_the_calendar_warning(store_engine, population, settings, outputs):
    if official_years()[1] != DAY.year:
        pytest.skip("the installed calendar covers the year after the population's day")
    key = _approved(store_engine)
    tasks.announce_approved(store_engine, day=DAY, settings=settings)
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        ev = cases.events(conn, case["id"])[-1]
    assert ev["to_state"] == "announced" and "2027年尚无国务院节假日安排数据" in ev["reason"]
    assert ev["evidence"]["calendar_warning"] in ev["reason"]
