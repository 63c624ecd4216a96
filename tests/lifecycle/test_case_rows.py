"""The shutdown case state machine, asserted on the database rows.

Every transition of ``docs/shutdown.md`` (allowed and refused) with the case row (state, updated_at,
created_at, the columns the transition sets) and its ``case_events`` row (from, to, actor, reason,
evidence, occurred_at); the case keys, targets, reads, notes and detail updates each with an
expected value worked out here (hashlib, the inventory rows of ``population``, the clock of the
test), not taken from ``fingertip.lifecycle.cases``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.store_templates import store_engine_fixtures

# set_target_status imports fingertip.runtime (and Airflow with it) on first use; imported here, at
# collection, ``make mutation``'s forked children inherit it instead of importing Airflow once per mutant.
import fingertip.runtime  # noqa: F401
from fingertip.lifecycle import cases
from fingertip.store import schema

T = schema.shutdown_cases
E = schema.case_events
DOCS = Path(__file__).resolve().parents[2] / "docs" / "shutdown.md"

#: docs/shutdown.md's state diagram, written out by hand: state → the states it may move to.
DOCUMENTED = {
    "proposed": {"approved", "rejected", "cancelled"},
    "approved": {"announced", "cancelled"},
    "rejected": set(),
    "announced": {"service_stopped"},
    "service_stopped": {"data_disposed"},
    "data_disposed": {"delisting_verified"},
    "delisting_verified": {"closed", "service_stopped"},
    "closed": {"service_stopped"},
    "cancelled": set(),
}
STATES = list(DOCUMENTED)
PAIRS = [(a, b) for a in STATES for b in STATES if a != b]
#: the message's list of the allowed next states, sorted, or "none"
NEXT = {s: ", ".join(sorted(DOCUMENTED[s])) or "none" for s in STATES}


_migrated_store, store_engine = store_engine_fixtures()


def utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def expected_key(prefix: str, target_type: str, target_key: str, n: int) -> str:
    digest = hashlib.sha256(f"{target_type}\x1f{target_key}".encode()).hexdigest()
    return f"SC-{prefix}-{digest[:10]}-{n}"


def case_row(engine, case_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(T).where(T.c.id == case_id)).mappings().one()


def event_rows(engine, case_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(E).where(E.c.case_id == case_id).order_by(E.c.id)).mappings().all()


def open_(engine, target_type="app", target_key="APP-Z", **kw):
    kw.setdefault("opened_by", "tester")
    kw.setdefault("reason", "测试")
    with engine.begin() as conn:
        return cases.open_case(conn, target_type=target_type, target_key=target_key, **kw)


def force(engine, case_id, state, stamp):
    with engine.begin() as conn:
        conn.execute(sa.update(T).where(T.c.id == case_id).values(state=state, updated_at=stamp))


# -- the transition table ------------------------------------------------------------------------------

def test_documented_transitions_are_the_table():
    assert {s: set(cases.TRANSITIONS[s]) for s in cases.STATES} == DOCUMENTED
    assert set(cases.STATES) == set(DOCUMENTED)
    assert cases.FINISHED == {"rejected", "cancelled"}
    assert cases.LIVE == set(DOCUMENTED) - {"rejected", "cancelled"}
    assert not cases.allowed("nonsense", "approved") and not cases.allowed("proposed", "nonsense")


def test_the_system_actor_is_the_documented_one():
    assert cases.SYSTEM_ACTOR == "fingertip-shutdown-dag"
    assert f"`{cases.SYSTEM_ACTOR}`" in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("from_state,to_state", PAIRS)
def test_every_transition_on_the_rows(store_engine, population, from_state, to_state):
    case, _ = open_(store_engine)
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5)
    force(store_engine, case["id"], from_state, stamp)
    created_at = case_row(store_engine, case["id"])["created_at"]
    actor = "运维-" + "x" * 120  # longer than the 100 characters of the actor column
    before = utc()
    if to_state in DOCUMENTED[from_state]:
        with store_engine.begin() as conn:
            moved = cases.transition(conn, case, from_state, to_state, actor=actor, reason="理由",
                                     evidence={"check": 2}, values={"blocked_reason": "原因"})
        after = utc()
        assert moved is True
        r = case_row(store_engine, case["id"])
        assert (r["state"], r["blocked_reason"], r["created_at"]) == (to_state, "原因", created_at)
        assert before - dt.timedelta(seconds=1) <= r["updated_at"] <= after + dt.timedelta(seconds=1)
        opening, ev = event_rows(store_engine, case["id"])
        assert (opening["from_state"], opening["to_state"]) == (None, "proposed")
        assert (ev["from_state"], ev["to_state"], ev["actor"], ev["reason"], ev["evidence"]) == \
            (from_state, to_state, actor[:100], "理由", {"check": 2})
        assert len(ev["actor"]) == 100
        assert ev["occurred_at"] == r["updated_at"]
    else:
        with store_engine.begin() as conn, pytest.raises(cases.InvalidTransition) as exc:
            cases.transition(conn, case, from_state, to_state, actor=actor)
        assert str(exc.value) == (f"transition {from_state} → {to_state} is not allowed "
                                  f"(from {from_state}: {NEXT[from_state]})")
        r = case_row(store_engine, case["id"])
        assert (r["state"], r["updated_at"], r["blocked_reason"]) == (from_state, stamp, None)
        assert [e["to_state"] for e in event_rows(store_engine, case["id"])] == ["proposed"]


def test_a_transition_by_id_without_reason_or_evidence(store_engine, population):
    case, _ = open_(store_engine)
    with store_engine.begin() as conn:
        assert cases.transition(conn, case["id"], "proposed", "approved", actor="admin") is True
    ev = event_rows(store_engine, case["id"])[-1]
    assert (ev["from_state"], ev["to_state"], ev["actor"], ev["reason"], ev["evidence"]) == \
        ("proposed", "approved", "admin", None, {})


def test_a_case_moved_meanwhile_is_not_moved_again(store_engine, population):
    """The caller read 'proposed', but the case is 'approved' now: False, nothing written."""
    case, _ = open_(store_engine)
    other, _ = open_(store_engine, "app", "APP-S")
    force(store_engine, case["id"], "approved", dt.datetime(2026, 1, 1))
    with store_engine.begin() as conn:
        assert cases.transition(conn, case, "proposed", "cancelled", actor="b", values={"blocked_reason": "x"}) is False
    r = case_row(store_engine, case["id"])
    assert (r["state"], r["updated_at"], r["blocked_reason"]) == ("approved", dt.datetime(2026, 1, 1), None)
    assert len(event_rows(store_engine, case["id"])) == 1
    assert case_row(store_engine, other["id"])["state"] == "proposed"  # the other case is not touched either
    assert len(event_rows(store_engine, other["id"])) == 1


def test_advance_moves_from_the_current_state(store_engine, population):
    case, _ = open_(store_engine)
    force(store_engine, case["id"], "delisting_verified", dt.datetime(2026, 1, 1))
    assert cases.advance(store_engine, case["case_key"], "closed", actor="ops", reason="核验完成",
                         evidence={"stores": 2}) is True
    assert case_row(store_engine, case["id"])["state"] == "closed"
    ev = event_rows(store_engine, case["id"])[-1]
    assert (ev["from_state"], ev["to_state"], ev["actor"], ev["reason"], ev["evidence"]) == \
        ("delisting_verified", "closed", "ops", "核验完成", {"stores": 2})
    with pytest.raises(cases.InvalidTransition, match="closed → approved"):
        cases.advance(store_engine, case["case_key"], "approved", actor="ops")
    with pytest.raises(cases.CaseError, match="no shutdown case 'SC-NONE'"):
        cases.advance(store_engine, "SC-NONE", "approved", actor="ops")


# -- opening -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target_type,target_key,prefix", [
    ("app", "APP-Z", "APP"), ("account", "ACC-Z", "ACCO"), ("work_group", "WG-1", "WORK"),
    ("sponsor", "11441700007280420Y", "SPON")])
def test_open_a_case_for_every_target_type(store_engine, population, target_type, target_key, prefix):
    before = utc()
    case, created = open_(store_engine, target_type, target_key, reason="僵尸", finding_id=None,
                          successor=("app", "APP-S"), details={"rule": "r1"}, evidence={"days": 686})
    after = utc()
    key = expected_key(prefix, target_type, target_key, 1)
    assert created is True and case["case_key"] == key and len(key) <= 64
    r = case_row(store_engine, case["id"])
    assert (r["case_key"], r["target_type"], r["target_key"], r["state"], r["opened_by"], r["reason"],
            r["successor_kind"], r["successor_key"], r["details"]) == \
        (key, target_type, target_key, "proposed", "tester", "僵尸", "app", "APP-S", {"rule": "r1"})
    assert before - dt.timedelta(seconds=1) <= r["created_at"] == r["updated_at"] <= after + dt.timedelta(seconds=1)
    (ev,) = event_rows(store_engine, case["id"])
    assert (ev["from_state"], ev["to_state"], ev["actor"], ev["reason"], ev["evidence"], ev["occurred_at"]) == \
        (None, "proposed", "tester", "僵尸", {"days": 686}, r["created_at"])
    assert cases.make_case_key(target_type, target_key, 7) == expected_key(prefix, target_type, target_key, 7)
    assert cases.target_digest(target_type, target_key) == \
        hashlib.sha256(f"{target_type}\x1f{target_key}".encode()).hexdigest()


def test_open_without_successor_details_or_evidence(store_engine, population):
    case, created = open_(store_engine, reason=None)
    r = case_row(store_engine, case["id"])
    assert created and (r["successor_kind"], r["successor_key"], r["details"], r["reason"]) == (None, None, {}, None)
    assert event_rows(store_engine, case["id"])[0]["evidence"] == {}


def test_one_live_case_per_target_through_every_state(store_engine, population):
    """A live case (any state but rejected/cancelled) is returned as is; a finished one lets a new case open."""
    first, _ = open_(store_engine)
    for state in STATES:
        force(store_engine, first["id"], state, dt.datetime(2026, 1, 1))
        again, created = open_(store_engine)
        if state in ("rejected", "cancelled"):
            assert created is True and again["case_key"] == expected_key("APP", "app", "APP-Z", 2)
            with store_engine.begin() as conn:
                conn.execute(sa.delete(E).where(E.c.case_id == again["id"]))
                conn.execute(sa.delete(T).where(T.c.id == again["id"]))
        else:
            assert (created, again["id"], again["state"]) == (False, first["id"], state)
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T)).scalar_one() == 1


def test_numbering_counts_only_the_same_target(store_engine, population):
    a, _ = open_(store_engine, "app", "APP-Z")
    b, _ = open_(store_engine, "app", "APP-S")
    assert b["case_key"] == expected_key("APP", "app", "APP-S", 1)
    with store_engine.begin() as conn:
        cases.transition(conn, a, "proposed", "rejected", actor="boss")
        cases.transition(conn, b, "proposed", "rejected", actor="boss")
    c, _ = open_(store_engine, "app", "APP-Z")
    assert c["case_key"] == expected_key("APP", "app", "APP-Z", 2)


def test_a_concurrent_open_keeps_the_first_case(store_engine, population, monkeypatch):
    """Another run opens the same target between this run's reads and its insert: both compute the same
    key, the other run's row stays, this run writes no row and no event and says ``created`` False."""
    real_key = cases.make_case_key
    race = {}

    def key_then_the_other_run_commits(*args):
        key = real_key(*args)
        if not race:
            race["started"] = True
            with store_engine.begin() as other:
                race["winner"] = cases.open_case(other, target_type="app", target_key="APP-Z", opened_by="run-b",
                                                 reason="b")
        return key

    monkeypatch.setattr(cases, "make_case_key", key_then_the_other_run_commits)
    case, created = open_(store_engine, opened_by="run-a")
    winner, winner_created = race["winner"]
    assert winner_created is True
    assert (created, case["id"], case["opened_by"]) == (False, winner["id"], "run-b")
    assert case["case_key"] == expected_key("APP", "app", "APP-Z", 1)
    assert [(e["to_state"], e["actor"]) for e in event_rows(store_engine, case["id"])] == [("proposed", "run-b")]
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T)).scalar_one() == 1


def test_open_refuses_unknown_targets(store_engine, population):
    with pytest.raises(cases.CaseError, match=r"^unknown target type 'listing'; expected one of "
                                              r"app, account, work_group, sponsor$"):
        open_(store_engine, "listing", "store:1")
    for target_type, key in (("app", "NOPE"), ("account", "NOPE"), ("work_group", "NOPE"), ("sponsor", "NOPE")):
        with pytest.raises(cases.CaseError, match=f"^{target_type} 'NOPE' is not in the inventory"):
            open_(store_engine, target_type, key)
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(E)).scalar_one() == 0


# -- targets -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target_type,key,column,name", [
    ("app", "APP-S", "app_key", "阳江政务服务"), ("account", "ACC-S", "account_key", "阳江发布"),
    ("work_group", "WG-1", "group_key", "防汛临时工作群"), ("sponsor", "11441700007280420Y", "credit_code", "阳江市人民政府办公室")])
def test_target_row(store_engine, population, target_type, key, column, name):
    with store_engine.connect() as conn:
        found = cases.target_row(conn, target_type, key)
        assert (found[column], found["name"]) == (key, name)
        assert cases.target_row(conn, target_type, "NOPE") is None
        with pytest.raises(cases.CaseError, match="unknown target type 'listing'"):
            cases.target_row(conn, "listing", key)


def _inventory(engine, table, column, key):
    with engine.connect() as conn:
        return conn.execute(sa.select(table).where(table.c[column] == key)).mappings().one()


@pytest.mark.parametrize("target_type,table,column,key,other", [
    ("app", schema.apps, "app_key", "APP-Z", "APP-S"), ("account", schema.accounts, "account_key", "ACC-Z", "ACC-S")])
def test_set_target_status_of_apps_and_accounts(store_engine, population, target_type, table, column, key, other):
    untouched = _inventory(store_engine, table, column, other)
    with store_engine.begin() as conn:
        cases.set_target_status(conn, target_type, key, "shutting_down")
    r = _inventory(store_engine, table, column, key)
    assert (r["status"], r["closed_on"]) == ("shutting_down", None)
    start = utc()
    with store_engine.begin() as conn:
        cases.set_target_status(conn, target_type, key, "closed")
    r = _inventory(store_engine, table, column, key)
    assert (r["status"], r["closed_on"]) == ("closed", dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date())
    assert start - dt.timedelta(seconds=1) <= r["updated_at"] <= utc() + dt.timedelta(seconds=1)
    with store_engine.begin() as conn:  # reopened (relisted): no closing day any more
        cases.set_target_status(conn, target_type, key, "shutting_down")
    assert _inventory(store_engine, table, column, key)["closed_on"] is None
    assert _inventory(store_engine, table, column, other) == untouched


def test_set_target_status_of_a_work_group_keeps_its_declared_closing_day(store_engine, population):
    declared = dt.date(2025, 10, 8)
    with store_engine.begin() as conn:
        conn.execute(sa.update(schema.work_groups).values(closed_on=declared))
        cases.set_target_status(conn, "work_group", "WG-1", "closed")
    r = _inventory(store_engine, schema.work_groups, "group_key", "WG-1")
    assert (r["status"], r["closed_on"]) == ("closed", declared)


def test_set_target_status_leaves_sponsors_alone(store_engine, population):
    code = "11441700007280420Y"
    before = _inventory(store_engine, schema.sponsors, "credit_code", code)
    with store_engine.begin() as conn:
        cases.set_target_status(conn, "sponsor", code, "closed")
    assert _inventory(store_engine, schema.sponsors, "credit_code", code) == before


# -- reads ---------------------------------------------------------------------------------------------

def test_reads(store_engine, population):
    a, _ = open_(store_engine, "app", "APP-Z")
    b, _ = open_(store_engine, "account", "ACC-Z")
    c, _ = open_(store_engine, "work_group", "WG-1")
    force(store_engine, b["id"], "announced", dt.datetime(2026, 1, 1))
    force(store_engine, c["id"], "cancelled", dt.datetime(2026, 1, 1))
    with store_engine.connect() as conn:
        assert cases.get_case(conn, b["id"])["case_key"] == b["case_key"]
        assert cases.get_case(conn, b["case_key"])["id"] == b["id"]
        assert cases.get_case(conn, a["case_key"])["target_key"] == "APP-Z"
        with pytest.raises(cases.CaseError, match="no shutdown case 99"):
            cases.get_case(conn, 99)
        with pytest.raises(cases.CaseError, match="no shutdown case 'SC-X'"):
            cases.get_case(conn, "SC-X")
        assert [x["id"] for x in cases.list_cases(conn)] == [a["id"], b["id"], c["id"]]
        assert [x["id"] for x in cases.list_cases(conn, ["announced", "cancelled"])] == [b["id"], c["id"]]
        assert cases.list_cases(conn, []) == []
        assert [x["id"] for x in cases.list_cases(conn, case_keys=[c["case_key"], a["case_key"]])] == [a["id"], c["id"]]
        assert [x["id"] for x in cases.list_cases(conn, ["proposed"], case_keys=[b["case_key"]])] == []
        assert cases.live_case_for(conn, "account", "ACC-Z")["id"] == b["id"]
        assert cases.live_case_for(conn, "app", "APP-Z")["id"] == a["id"]
        assert cases.live_case_for(conn, "work_group", "WG-1") is None  # cancelled
        assert cases.live_case_for(conn, "app", "APP-S") is None
        assert cases.live_case_for(conn, "account", "APP-Z") is None  # the key of another type
        assert [e["to_state"] for e in cases.events(conn, a["id"])] == ["proposed"]
        assert cases.events(conn, 99) == []


# -- details and notes ---------------------------------------------------------------------------------

def test_update_details_merges_into_one_case(store_engine, population):
    a, _ = open_(store_engine, details={"rule": "r1", "days": 1})
    b, _ = open_(store_engine, "app", "APP-S", details={"rule": "r2"})
    force(store_engine, a["id"], "approved", dt.datetime(2026, 1, 1))
    start = utc()
    with store_engine.begin() as conn:
        merged = cases.update_details(conn, a["id"], {"days": 2, "notice": "x"}, blocked_reason="等待文书")
    assert merged == {"rule": "r1", "days": 2, "notice": "x"}
    r = case_row(store_engine, a["id"])
    assert (r["details"], r["blocked_reason"], r["state"]) == (merged, "等待文书", "approved")
    assert start - dt.timedelta(seconds=1) <= r["updated_at"] <= utc() + dt.timedelta(seconds=1)
    assert case_row(store_engine, b["id"])["details"] == {"rule": "r2"}
    with store_engine.begin() as conn:
        conn.execute(sa.update(T).where(T.c.id == b["id"]).values(details=None))
        assert cases.update_details(conn, b["id"], {"k": 1}) == {"k": 1}


def test_note_is_an_event_in_the_current_state(store_engine, population):
    case, _ = open_(store_engine)
    force(store_engine, case["id"], "approved", dt.datetime(2026, 1, 1))
    with store_engine.connect() as conn:
        current = cases.get_case(conn, case["id"])
    start = utc()
    with store_engine.begin() as conn:
        cases.note(conn, current, actor="y" * 150, reason="审批超时")
        cases.note(conn, current, actor="ops", reason="阻塞", evidence={"doc": "缺失"})
    first, second = event_rows(store_engine, case["id"])[1:]
    assert (first["from_state"], first["to_state"], first["actor"], first["reason"], first["evidence"]) == \
        ("approved", "approved", "y" * 100, "审批超时", {})
    assert start - dt.timedelta(seconds=1) <= first["occurred_at"] <= utc() + dt.timedelta(seconds=1)
    assert (second["actor"], second["evidence"]) == ("ops", {"doc": "缺失"})
    r = case_row(store_engine, case["id"])
    assert (r["state"], r["updated_at"]) == ("approved", dt.datetime(2026, 1, 1))  # a note moves nothing


def test_clocks_are_naive_utc():
    for clock in (cases.utcnow, cases.utcnow_precise):
        start = utc()
        value = clock()
        assert value.tzinfo is None
        assert start <= value <= utc()
