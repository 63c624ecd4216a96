"""Writing store observations: dated snapshots, current listing state, change and delisting events.

Idempotent per data interval: one snapshot per listing and date (a re-run replaces it), events are
unique per listing, date and type. Consecutive absences are counted from the dated snapshots, not
from a running counter, so re-running a day cannot count it twice. Only observations — a present
record or an id missing from a *successful* response — are written; failed requests write nothing,
so a bad response never overwrites good data. A backfill of an older date adds its snapshot but does
not touch the listing's current state.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fingertip.sources.records import ListingObservation
from fingertip.store import ops, schema

log = logging.getLogger(__name__)

TRACKED_CHANGES = (("version", "version_changed"), ("name", "name_changed"), ("developer", "developer_changed"))


def record_listings(
    engine: Engine,
    *,
    store: str,
    snapshot_date: dt.date,
    observations: Sequence[ListingObservation],
    absent_ids: Sequence[str],
    source: str,
    fingerprint: str,
    fetched_at: dt.datetime,
    absence_threshold: int = 2,
    lookback_days: int = 120,
) -> Counter:
    """Record one batch of observations of ``store`` on ``snapshot_date``; returns counters."""
    counts: Counter = Counter()
    by_id: dict[str, ListingObservation | None] = {o.store_app_id: o for o in observations}
    for missing in absent_ids:
        by_id.setdefault(missing, None)
    if not by_id:
        return counts
    prov = {"source": source, "fetched_at": fetched_at, "request_fingerprint": fingerprint}
    with engine.begin() as conn:
        listings = _ensure_listings(conn, store, by_id, fetched_at, prov, counts)
        listing_ids = [row["id"] for row in listings.values()]
        history = _recent_history(conn, listing_ids, snapshot_date, lookback_days)
        newer = _observed_after(conn, listing_ids, snapshot_date)
        snapshots: list[dict] = []
        updates: list[dict] = []
        events: list[dict] = []
        for store_app_id, obs in by_id.items():
            row = listings[store_app_id]
            present = bool(obs is not None and obs.available)
            consecutive = 0 if present else _previous_absences(history.get(row["id"], [])) + 1
            snapshots.append(_snapshot(row["id"], snapshot_date, present, obs, prov))
            counts["present" if present else "absent"] += 1
            if row["id"] in newer:
                counts["backfilled"] += 1
                continue  # an older date: history only, the current state stays
            update = {"b_id": row["id"], "consecutive_absences": consecutive, **prov}
            if present:
                assert obs is not None  # present implies an observation
                _present_update(update, row, obs, snapshot_date, fetched_at, prov, events, counts)
            elif consecutive >= absence_threshold and row["available"]:
                # the event says what was observed: the last day the store returned the listing, or
                # that it never did (an id the inventory names but the store never returned)
                seen = row["last_seen_at"]
                last_present = next((d for d, was in history.get(row["id"], []) if was), None)
                old_value = (f"present on {last_present:%Y-%m-%d}" if last_present is not None
                             else "present" if seen is not None else None)
                new_value = f"absent {consecutive} consecutive checks" + ("" if seen is not None else
                                                                         ", never seen in the store")
                events.append(_event(row["id"], snapshot_date, "delisted", old_value, new_value, prov))
                # the run's date (Beijing data interval), not the wall-clock time of the request
                update.update(available=False, delisted_at=dt.datetime.combine(snapshot_date, dt.time()))
                counts["delisted"] += 1
                if seen is None:
                    counts["delisted_never_seen"] += 1
            updates.append(update)
        ops.upsert(conn, schema.listing_snapshots, snapshots, key=["listing_id", "snapshot_date"])
        if updates:
            _update_listings(conn, updates)
        if events:
            ops.upsert(conn, schema.listing_events, events, key=["listing_id", "event_date", "event_type"], update=())
    counts["snapshots"] += len(snapshots)
    return counts


def _previous_absences(prior: list) -> int:
    """Consecutive absences just before the snapshot date (``prior`` is newest first)."""
    absences = 0
    for _date, was_present in prior:
        if was_present:
            break
        absences += 1
    return absences


def _present_update(update: dict, row: Any, obs: ListingObservation, snapshot_date: dt.date,
                    fetched_at: dt.datetime, prov: dict, events: list[dict], counts: Counter) -> None:
    """Fill ``update`` for a listing seen today; append change and relisting events."""
    update.update(available=True, last_seen_at=fetched_at)
    for attr in ("name", "developer", "developer_id", "version", "version_released_at", "first_released_at",
                 "rating", "rating_count", "downloads", "description"):
        value = getattr(obs, attr)
        update[attr] = value if value is not None else row[attr]
    if row["_existing"]:
        for attr, kind in TRACKED_CHANGES:
            old, new = row[attr], getattr(obs, attr)
            if old is not None and new is not None and old != new:
                events.append(_event(row["id"], snapshot_date, kind, old, new, prov))
                counts[kind] += 1
    if not row["available"] and row["delisted_at"] is not None:
        events.append(_event(row["id"], snapshot_date, "relisted",
                             f"delisted {row['delisted_at']:%Y-%m-%d}", "present", prov))
        update["delisted_at"] = None
        counts["relisted"] += 1


def _snapshot(listing_id: int, day: dt.date, present: bool, obs: ListingObservation | None, prov: dict) -> dict:
    fields = ("name", "developer", "version", "version_released_at", "rating", "rating_count", "downloads")
    values = {f: (getattr(obs, f) if obs is not None else None) for f in fields}
    return {"listing_id": listing_id, "snapshot_date": day, "present": present, **values, **prov}


def _event(listing_id: int, day: dt.date, kind: str, old, new, prov: dict) -> dict:
    return {"listing_id": listing_id, "event_date": day, "event_type": kind,
            "old_value": None if old is None else str(old)[:500],
            "new_value": None if new is None else str(new)[:500], **prov}


def _update_listings(conn: Connection, updates: list[dict]) -> None:
    # executemany needs one statement shape: group updates by the set of columns they touch
    groups: dict[tuple[str, ...], list[dict]] = {}
    for u in updates:
        groups.setdefault(tuple(sorted(u)), []).append(u)
    for columns, rows in groups.items():
        values: dict[str, Any] = {c: sa.bindparam(c) for c in columns if c != "b_id"}
        values["updated_at"] = sa.func.current_timestamp()
        stmt = sa.update(schema.store_listings).where(schema.store_listings.c.id == sa.bindparam("b_id")).values(values)
        conn.execute(stmt, rows)


def _ensure_listings(conn: Connection, store: str, by_id: dict, fetched_at: dt.datetime, prov: dict,
                     counts: Counter) -> dict[str, dict]:
    """Current listing rows for every id, creating the ones never tracked before."""
    t = schema.store_listings
    ids = list(by_id)
    found: dict[str, dict] = {}
    for chunk in ops.chunks(ids):
        for row in conn.execute(sa.select(t).where(t.c.store == store, t.c.store_app_id.in_(chunk))).mappings():
            found[row["store_app_id"]] = {**row, "_existing": True}
    # Listings seen before their app entered the inventory (or detached when the inventory was
    # replaced) are linked as soon as a matching app exists.
    unlinked = [i for i, row in found.items() if row["app_id"] is None]
    if unlinked:
        links = _inventory_app_ids(conn, store, unlinked)
        for store_app_id, app_id in links.items():
            conn.execute(sa.update(t).where(t.c.id == found[store_app_id]["id"]).values(app_id=app_id))
            found[store_app_id]["app_id"] = app_id
        counts["linked_to_inventory"] += len(links)
    new_ids = [i for i in ids if i not in found]
    if new_ids:
        app_ids = _inventory_app_ids(conn, store, new_ids)
        rows = []
        for store_app_id in new_ids:
            obs = by_id[store_app_id]
            rows.append({
                "store": store, "store_app_id": store_app_id, "app_id": app_ids.get(store_app_id),
                "name": obs.name if obs else None, "developer": obs.developer if obs else None,
                "developer_id": obs.developer_id if obs else None,
                "version": obs.version if obs else None,
                "available": True, "first_seen_at": fetched_at, **prov,
            })
        ops.upsert(conn, t, rows, key=["store", "store_app_id"], update=())
        counts["new_listings"] += len(rows)
        for chunk in ops.chunks(new_ids):
            for row in conn.execute(sa.select(t).where(t.c.store == store, t.c.store_app_id.in_(chunk))).mappings():
                # a new listing has no earlier version to compare against
                found[row["store_app_id"]] = {**row, "_existing": False}
    return found


def _inventory_app_ids(conn: Connection, store: str, store_app_ids: list[str]) -> dict[str, int]:
    """Link store ids to inventory apps: Apple by trackId, Android by package name."""
    a = schema.apps
    out: dict[str, int] = {}
    for chunk in ops.chunks(store_app_ids):
        if store == "apple":
            numeric = [int(i) for i in chunk if i.isdigit()]
            q = sa.select(a.c.apple_track_id, a.c.id).where(a.c.apple_track_id.in_(numeric))
            out.update({str(k): v for k, v in conn.execute(q)})
        else:
            q = sa.select(a.c.package_name, a.c.id).where(a.c.package_name.in_(chunk))
            out.update(dict(conn.execute(q).all()))
    return out


def _recent_history(conn: Connection, listing_ids: list[int], day: dt.date,
                    lookback_days: int) -> dict[int, list[tuple[dt.date, bool]]]:
    """Snapshots before ``day`` (within the lookback), newest first, per listing."""
    t = schema.listing_snapshots
    history: dict[int, list[tuple[dt.date, bool]]] = {}
    since = day - dt.timedelta(days=lookback_days)
    for chunk in ops.chunks(listing_ids):
        q = (sa.select(t.c.listing_id, t.c.snapshot_date, t.c.present)
             .where(t.c.listing_id.in_(chunk), t.c.snapshot_date < day, t.c.snapshot_date >= since)
             .order_by(t.c.listing_id, t.c.snapshot_date.desc()))
        for listing_id, snap_date, present in conn.execute(q):
            history.setdefault(listing_id, []).append((snap_date, bool(present)))
    return history


def _observed_after(conn: Connection, listing_ids: list[int], day: dt.date) -> set[int]:
    """Listings with a snapshot later than ``day``: for them ``day`` is a backfill."""
    t = schema.listing_snapshots
    out: set[int] = set()
    for chunk in ops.chunks(listing_ids):
        q = sa.select(t.c.listing_id).where(t.c.listing_id.in_(chunk), t.c.snapshot_date > day).distinct()
        out.update(conn.execute(q).scalars())
    return out
