"""Risk tiers drive the monitoring frequency (Art. 16): which Apple ids are looked up on a day."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.sources.ingest import apple_ids_due, apple_ids_for_province, monitoring_intervals
from fingertip.sources.listings import record_listings
from fingertip.sources.records import ListingObservation
from fingertip.store import schema

PROV = {"source": "test", "fetched_at": dt.datetime(2026, 11, 1, 2), "request_fingerprint": "0" * 64}
DAY = dt.date(2026, 11, 30)
INTERVALS = {"high": 1, "medium": 7, "low": 30}
# app key → (tier at the latest inspection or None, days since the last observation or None, present then)
APPS = {
    "H-1": ("high", 1, True),      # high, seen yesterday: due (daily)
    "M-6": ("medium", 6, True),    # medium, 6 days: not due (weekly)
    "M-7": ("medium", 7, True),    # medium, 7 days: due
    "L-29": ("low", 29, True),     # low, 29 days: not due (monthly)
    "L-30": ("low", 30, True),     # low, 30 days: due
    "L-ABS": ("low", 2, False),    # low but absent at its last observation: due (the delisting count)
    "L-CASE": ("low", 3, True),    # low with a live shutdown case: due
    "L-GONE": ("low", 3, True),    # low with a cancelled case only: not due
    "N-NEW": (None, 3, True),      # no inspection yet: due
    "L-NEVER": ("low", None, True),  # never observed: due
}
EXPECTED_DUE = {"H-1", "M-7", "L-30", "L-ABS", "L-CASE", "N-NEW", "L-NEVER"}


def _track(i: int) -> int:
    return 1_000_000_000 + i


def _store(engine) -> dict[int, str]:
    by_track = {}
    with engine.begin() as conn:
        sid = conn.execute(sa.insert(schema.sponsors).values(
            credit_code="11441700007280420Y", name="阳江市人民政府办公室", division_code="441700",
            level="prefectural", nature="机关", **PROV)).inserted_primary_key[0]
        for i, key in enumerate(APPS):
            conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=f"应用{key}", kind="app", sponsor_id=sid, division_code="441700",
                apple_track_id=_track(i), **PROV))
            by_track[_track(i)] = key
        check_date = DAY - dt.timedelta(days=1)
        for key, (tier, _, _) in APPS.items():
            if tier is not None:
                conn.execute(sa.insert(schema.inspections).values(
                    check_date=check_date, target_type="app", target_key=key, division_code="441700",
                    province_code="440000", score=100, passed=True, vetoes=[], deductions={}, outcome="passed",
                    risk_tier=tier))
        # an older inspection saying "high" must not count: the latest check date decides
        conn.execute(sa.insert(schema.inspections).values(
            check_date=check_date - dt.timedelta(days=5), target_type="app", target_key="L-29",
            division_code="441700", province_code="440000", score=100, passed=True, vetoes=[], deductions={},
            outcome="passed", risk_tier="high"))
        for n, (key, state) in enumerate((("L-CASE", "announced"), ("L-GONE", "cancelled"))):
            conn.execute(sa.insert(schema.shutdown_cases).values(
                case_key=f"SC-{n}", target_type="app", target_key=key, state=state, opened_by="test"))
    for i, (key, (_, age, present)) in enumerate(APPS.items()):
        if age is None:
            continue
        day = DAY - dt.timedelta(days=age)
        obs = [ListingObservation(store="apple", store_app_id=str(_track(i)), name=f"应用{key}")] if present else []
        record_listings(engine, store="apple", snapshot_date=day, observations=obs,
                        absent_ids=[] if present else [str(_track(i))], source="apple_itunes",
                        fingerprint="f" * 64, fetched_at=dt.datetime.combine(day, dt.time(3)))
    return by_track


def test_only_due_apps_are_looked_up(store_engine):
    by_track = _store(store_engine)
    due, counts = apple_ids_due(store_engine, "440000", day=DAY, intervals=INTERVALS)
    assert {by_track[t] for t in due} == EXPECTED_DUE
    assert due == sorted(due)
    assert counts == {"due_always": 4, "due_high": 1, "due_medium": 1, "due_low": 1,
                      "deferred_medium": 1, "deferred_low": 2}
    # every inventory app is still in the daily list; the schedule only defers
    assert len(apple_ids_for_province(store_engine, "440000")) == len(APPS)
    # a day later the 6-day medium app and the 29-day low app are due too
    later, _ = apple_ids_due(store_engine, "440000", day=DAY + dt.timedelta(days=1), intervals=INTERVALS)
    assert {by_track[t] for t in later} == EXPECTED_DUE | {"M-6", "L-29"}
    # daily intervals everywhere: every app is due
    daily, _ = apple_ids_due(store_engine, "440000", day=DAY, intervals=dict.fromkeys(INTERVALS, 1))
    assert len(daily) == len(APPS)


def test_other_provinces_are_not_selected(store_engine):
    _store(store_engine)
    assert apple_ids_due(store_engine, "450000", day=DAY, intervals=INTERVALS) == ([], {})


def test_intervals_come_from_the_policy_settings():
    assert monitoring_intervals() == {"high": 1, "medium": 7, "low": 30}
