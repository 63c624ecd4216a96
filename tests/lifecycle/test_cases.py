"""The case state machine: every allowed and forbidden transition, the concurrent-advance guard,
one live case per target, and the workflow settings."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa
from tests.store_templates import store_engine_fixtures

from fingertip.lifecycle import cases
from fingertip.lifecycle.settings import SettingsError, load_settings, parse
from fingertip.store import schema

ALL_PAIRS = [(a, b) for a, b in itertools.product(schema.CASE_STATES, schema.CASE_STATES) if a != b]
ALLOWED = {("proposed", "approved"), ("proposed", "rejected"), ("proposed", "cancelled"),
           ("approved", "announced"), ("approved", "cancelled"), ("announced", "service_stopped"),
           ("service_stopped", "data_disposed"), ("data_disposed", "delisting_verified"),
           ("delisting_verified", "closed"), ("delisting_verified", "service_stopped"),
           ("closed", "service_stopped")}


# -- one migrated store per backend for the module (tests/store_templates.py) -----------------------
_migrated_store, store_engine = store_engine_fixtures()


def _open(engine, target="APP-Z"):
    with engine.begin() as conn:
        case, created = cases.open_case(conn, target_type="app", target_key=target, opened_by="tester", reason="测试")
    return case, created


def _force_state(engine, case_id, state):
    with engine.begin() as conn:
        conn.execute(sa.update(schema.shutdown_cases).where(schema.shutdown_cases.c.id == case_id).values(state=state))


def test_transition_table_is_exactly_the_documented_one():
    assert {(a, b) for a, b in ALL_PAIRS if cases.allowed(a, b)} == ALLOWED


@pytest.mark.parametrize("from_state,to_state", ALL_PAIRS)
def test_every_transition_allowed_or_refused(store_engine, population, from_state, to_state):
    case, _ = _open(store_engine)
    _force_state(store_engine, case["id"], from_state)
    with store_engine.begin() as conn:
        if (from_state, to_state) in ALLOWED:
            assert cases.transition(conn, case["id"], from_state, to_state, actor="tester", reason="r", evidence={"x": 1})
        else:
            with pytest.raises(cases.InvalidTransition):
                cases.transition(conn, case["id"], from_state, to_state, actor="tester")
    with store_engine.connect() as conn:
        state = cases.get_case(conn, case["id"])["state"]
        evs = cases.events(conn, case["id"])
    if (from_state, to_state) in ALLOWED:
        assert state == to_state
        assert (evs[-1]["from_state"], evs[-1]["to_state"], evs[-1]["actor"], evs[-1]["evidence"]) == \
            (from_state, to_state, "tester", {"x": 1})
    else:
        assert state == from_state and len(evs) == 1  # only the opening event


def test_concurrent_advance_is_guarded(store_engine, population):
    """Two runs read the case as 'proposed'; only the first approval moves it, and only one event is written."""
    case, _ = _open(store_engine)
    with store_engine.connect() as conn:
        seen_by_a = cases.get_case(conn, case["id"])
        seen_by_b = cases.get_case(conn, case["id"])
    with store_engine.begin() as conn:
        assert cases.transition(conn, seen_by_a, "proposed", "approved", actor="a")
    with store_engine.begin() as conn:
        assert not cases.transition(conn, seen_by_b, seen_by_b["state"], "rejected", actor="b")
    with store_engine.connect() as conn:
        assert cases.get_case(conn, case["id"])["state"] == "approved"
        assert [(e["to_state"], e["actor"]) for e in cases.events(conn, case["id"])] == \
            [("proposed", "tester"), ("approved", "a")]


def test_one_live_case_per_target_and_a_new_one_after_rejection(store_engine, population):
    first, created = _open(store_engine)
    again, created_again = _open(store_engine)
    assert created and not created_again and again["case_key"] == first["case_key"]
    assert first["case_key"].startswith("SC-APP-") and first["case_key"].endswith("-1")
    with store_engine.begin() as conn:
        cases.transition(conn, first, "proposed", "rejected", actor="boss", reason="不同意")
    second, created = _open(store_engine)
    assert created and second["case_key"].endswith("-2")
    with store_engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(schema.shutdown_cases)).scalar_one()
    assert n == 2


def test_unknown_target_is_refused(store_engine, population):
    with store_engine.begin() as conn, pytest.raises(cases.CaseError, match="not in the inventory"):
        cases.open_case(conn, target_type="app", target_key="NOPE", opened_by="x", reason="y")
    with store_engine.begin() as conn, pytest.raises(cases.CaseError, match="unknown target type"):
        cases.open_case(conn, target_type="listing", target_key="x", opened_by="x", reason="y")


def test_settings_file_loads_with_the_default_notice():
    settings = load_settings()
    assert settings.min_notice_days == 30 and settings.consecutive_checks == 2
    assert "Fingertip默认值" in settings.min_notice_source and "提前发布公告" in settings.min_notice_source
    assert settings.disposal_working_days == 15
    assert settings.reminders["stop_date"] == (7, 1)


def test_notice_period_other_than_the_default_needs_its_source():
    with pytest.raises(SettingsError, match="x.yaml: min_notice_days: 20 differs from Fingertip's default of 30 days"):
        parse({"min_notice_days": 20}, "x.yaml")
    with pytest.raises(SettingsError, match="out of range"):
        parse({"min_notice_days": 0, "min_notice_source": "本地规定"}, "x.yaml")
    with pytest.raises(SettingsError, match="min_notice_source: expected the source"):
        parse({"min_notice_days": 20, "min_notice_source": "  "}, "x.yaml")
    local = parse({"min_notice_days": 15, "min_notice_source": "《某市政务应用管理规定》第九条"}, "x.yaml")
    assert local.min_notice_days == 15 and local.min_notice_source == "《某市政务应用管理规定》第九条"
    assert local.stop_date(dt.date(2026, 12, 1)) == dt.date(2026, 12, 16)
    longer = parse({"min_notice_days": 45, "min_notice_source": "本省规定"}, "x.yaml")
    assert longer.stop_date(dt.date(2026, 12, 1)) == dt.date(2027, 1, 15)
    assert parse({"min_notice_days": 30}, "x.yaml").min_notice_source.startswith("Fingertip默认值")


def test_settings_refuse_unknown_keys():
    with pytest.raises(SettingsError, match="x.yaml: unknown key"):
        parse({"min_notice_dayz": 40}, "x.yaml")
    with pytest.raises(SettingsError, match="verification: unknown key"):
        parse({"verification": {"consecutive": 3}}, "x.yaml")
    with pytest.raises(SettingsError, match="unknown milestone"):
        parse({"reminders": {"stop": [1]}}, "x.yaml")


def test_working_days_skip_weekends_and_holidays():
    import datetime as dt

    settings = parse({"holidays": ["2026-12-01"]})
    # Fri 2026-11-20 + 3 working days: Mon 23, Tue 24, Wed 25
    assert settings.add_working_days(dt.date(2026, 11, 20), 3) == dt.date(2026, 11, 25)
    assert settings.add_working_days(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 2)
    assert settings.stop_date(dt.date(2026, 11, 20)) == dt.date(2026, 12, 20)
