"""Snapshots, change events, delisting after consecutive absences, relisting; idempotent re-runs."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.sources.listings import record_listings
from fingertip.sources.records import ListingObservation
from fingertip.store import schema

T0 = dt.datetime(2026, 11, 1, 2, 0)
D = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(6)]
PROV = {"source": "test", "fetched_at": T0, "request_fingerprint": "0" * 64}


def _inventory(engine):
    with engine.begin() as conn:
        sid = conn.execute(sa.insert(schema.sponsors).values(
            credit_code="11441700007280420Y", name="阳江市人民政府办公室", division_code="441700",
            level="prefectural", nature="机关", **PROV)).inserted_primary_key[0]
        return conn.execute(sa.insert(schema.apps).values(
            app_key="APP-1", name="阳江通", kind="app", sponsor_id=sid, division_code="441700",
            apple_track_id=1000000001, **PROV)).inserted_primary_key[0]


def _obs(version="1.0", name="阳江通"):
    return ListingObservation(store="apple", store_app_id="1000000001", name=name, developer="阳江市人民政府办公室",
                              version=version, rating=4.1, rating_count=10)


def _record(engine, day, present=True, **kw):
    return record_listings(
        engine, store="apple", snapshot_date=day, observations=[_obs(**kw)] if present else [],
        absent_ids=[] if present else ["1000000001"], source="apple_itunes", fingerprint="f" * 64,
        fetched_at=dt.datetime.combine(day, dt.time(3)), absence_threshold=2,
    )


def _state(engine):
    with engine.connect() as conn:
        listing = conn.execute(sa.select(schema.store_listings)).mappings().one()
        events = [(r.event_date, r.event_type) for r in conn.execute(
            sa.select(schema.listing_events).order_by(schema.listing_events.c.event_date, schema.listing_events.c.event_type))]
        snaps = conn.execute(sa.select(sa.func.count()).select_from(schema.listing_snapshots)).scalar_one()
    return listing, events, snaps


def test_lifecycle_of_a_listing(store_engine):
    app_id = _inventory(store_engine)
    c = _record(store_engine, D[0])
    assert c["new_listings"] == 1 and c["present"] == 1
    listing, events, snaps = _state(store_engine)
    assert listing["app_id"] == app_id and listing["available"] and events == [] and snaps == 1

    c = _record(store_engine, D[1], version="1.1", name="阳江通2")
    assert c["version_changed"] == 1 and c["name_changed"] == 1
    _record(store_engine, D[2], present=False)
    listing, events, _ = _state(store_engine)
    assert listing["available"] and listing["consecutive_absences"] == 1  # one absence is not a delisting

    c = _record(store_engine, D[3], present=False)
    assert c["delisted"] == 1
    listing, events, _ = _state(store_engine)
    assert not listing["available"] and listing["delisted_at"] is not None
    assert (D[3], "delisted") in events

    # re-running the same day changes nothing
    c = _record(store_engine, D[3], present=False)
    assert c["delisted"] == 0
    assert _state(store_engine)[1] == events and _state(store_engine)[2] == 4

    c = _record(store_engine, D[4], version="1.1", name="阳江通2")
    assert c["relisted"] == 1
    listing, events, snaps = _state(store_engine)
    assert listing["available"] and listing["delisted_at"] is None and listing["consecutive_absences"] == 0
    assert [e for e in events if e[1] in ("delisted", "relisted")] == [(D[3], "delisted"), (D[4], "relisted")]
    assert snaps == 5


def test_absence_after_presence_resets_and_backfill_keeps_current_state(store_engine):
    _inventory(store_engine)
    _record(store_engine, D[0])
    _record(store_engine, D[1], present=False)
    _record(store_engine, D[2])  # back before the threshold: no delisting, no relisting
    _record(store_engine, D[3], present=False)
    listing, events, _ = _state(store_engine)
    assert listing["available"] and events == []
    # a late backfill of an older day adds history only
    _record(store_engine, D[0] - dt.timedelta(days=1), version="0.9")
    listing, events, snaps = _state(store_engine)
    assert listing["version"] == "1.0" and events == [] and snaps == 5


def test_unknown_listing_is_tracked_without_inventory_link(store_engine):
    c = record_listings(store_engine, store="huawei", snapshot_date=D[0],
                        observations=[ListingObservation(store="huawei", store_app_id="cn.gov.x", name="某应用")],
                        absent_ids=[], source="android_listing_feed", fingerprint="a" * 64, fetched_at=T0)
    assert c["new_listings"] == 1
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(schema.store_listings.c.app_id)).scalar_one() is None


def test_listing_seen_before_its_app_entered_the_inventory_is_linked_later(store_engine):
    """A listing first tracked without an inventory app (or detached when a sample was replaced)
    is linked on the next observation once the app exists."""
    _record(store_engine, D[0])
    listing, _, _ = _state(store_engine)
    assert listing["app_id"] is None
    app_id = _inventory(store_engine)
    c = _record(store_engine, D[1])
    listing, _, _ = _state(store_engine)
    assert listing["app_id"] == app_id and c["linked_to_inventory"] == 1
    assert _record(store_engine, D[2])["linked_to_inventory"] == 0  # once


def test_delisting_is_dated_by_the_run_and_says_when_the_listing_was_last_seen(store_engine):
    """Issue 14 item 20: ``delisted_at`` is the run's (Beijing) date, not the wall-clock fetch time."""
    _inventory(store_engine)
    _record(store_engine, D[0])
    _record(store_engine, D[1], present=False)
    # the run of D[2] is retried the next evening: wall clock 2026-11-04 13:00 UTC (21:00 Beijing)
    late = dt.datetime.combine(D[3], dt.time(13))
    c = record_listings(store_engine, store="apple", snapshot_date=D[2], observations=[],
                        absent_ids=["1000000001"], source="apple_itunes", fingerprint="f" * 64, fetched_at=late)
    assert c["delisted"] == 1
    with store_engine.connect() as conn:
        listing = conn.execute(sa.select(schema.store_listings)).mappings().one()
        event = conn.execute(sa.select(schema.listing_events)).mappings().one()
    assert listing["delisted_at"] == dt.datetime(2026, 11, 3)
    assert event["event_date"] == D[2] and event["old_value"] == "present on 2026-11-01"
    assert event["new_value"] == "absent 2 consecutive checks"


def test_an_id_never_seen_in_the_store_is_not_reported_as_having_been_present(store_engine):
    """Issue 14 item 20: an inventory id the store never returned gets no ``old_value: present``."""
    for day in D[:2]:
        record_listings(store_engine, store="apple", snapshot_date=day, observations=[], absent_ids=["1999999999"],
                        source="apple_itunes", fingerprint="f" * 64, fetched_at=dt.datetime.combine(day, dt.time(3)))
    with store_engine.connect() as conn:
        events = conn.execute(sa.select(schema.listing_events)).mappings().all()
        listing = conn.execute(sa.select(schema.store_listings)).mappings().one()
    assert [(e["event_type"], e["old_value"]) for e in events] == [("delisted", None)]
    assert "never seen" in events[0]["new_value"] and listing["last_seen_at"] is None
    assert listing["delisted_at"] == dt.datetime(2026, 11, 2)
