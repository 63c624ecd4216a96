"""Ingestion units the DAGs map over: one province (or store) of one source for one day.

Each unit fetches through its hook, writes what it got (good records kept, bad ones counted and
logged with their reason), records every request in ``fetch_log`` and returns a small summary of
counters for XCom. A unit never fails because of bad data; it fails only when nothing at all could
be fetched, so Airflow's retry runs it again. Failed ids are looked up again on the next run (and by
a retry of the task): a daily sweep always covers every id, and ``fetch_log`` keeps which failed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fingertip.sources import coerce
from fingertip.sources.listings import record_listings
from fingertip.sources.records import ActivityRecord, Batch, FilingRecord, ListingObservation
from fingertip.store import ops, schema

log = logging.getLogger(__name__)


class NothingFetched(RuntimeError):
    """Every request of a unit failed: let Airflow retry the task."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- bookkeeping ---------------------------------------------------------------------------------

def log_batch(engine: Engine, *, source: str, endpoint: str, interval_date: dt.date, batch: Batch,
              fetched_at: dt.datetime) -> None:
    if batch.fingerprint is None:
        return
    row = {
        "source": source, "endpoint": endpoint, "interval_date": interval_date,
        "request_fingerprint": batch.fingerprint, "status": "failed" if batch.error else "ok",
        "attempts": batch.attempts, "item_count": len(batch.records),
        "failed_keys": batch.failed or None, "error": batch.error, "fetched_at": fetched_at,
    }
    with engine.begin() as conn:
        ops.upsert(conn, schema.fetch_log, [row], key=["source", "interval_date", "request_fingerprint"])


ALWAYS_REPORTED = ("requests_ok", "requests_failed", "rejected", "failed_ids")


def _summarise(unit: str, counts: Counter, hook_stats: Counter) -> dict[str, Any]:
    for key in ALWAYS_REPORTED:
        counts.setdefault(key, 0)
    summary = {"unit": unit, **{k: int(v) for k, v in sorted(counts.items())},
               "http": {k: int(v) for k, v in sorted(hook_stats.items())}}
    log.info("%s: %s", unit, summary)
    return summary


def _account_for(batch: Batch, counts: Counter, unit: str) -> None:
    counts["requests_ok" if not batch.error else "requests_failed"] += 1
    if batch.error:
        log.error("%s: request failed after %d attempts, %d key(s) left for the next run: %s",
                  unit, batch.attempts, len(batch.failed), batch.error)
    for key, reason in batch.rejected:
        log.warning("%s: rejected %s: %s", unit, key, reason)
    counts["rejected"] += len(batch.rejected)
    unreadable = sum(len(getattr(r, "problems", ())) for r in batch.records)
    if unreadable:
        counts["fields_unreadable"] += unreadable


# --- app stores ----------------------------------------------------------------------------------

def apple_ids_for_province(engine: Engine, province: str) -> list[int]:
    a = schema.apps
    with engine.connect() as conn:
        q = (sa.select(a.c.apple_track_id)
             .where(a.c.apple_track_id.is_not(None), a.c.status != "closed",
                    sa.func.substr(a.c.division_code, 1, 2) == province[:2])
             .order_by(a.c.apple_track_id))
        return list(conn.execute(q).scalars())


def apple_ids_due(engine: Engine, province: str, *, day: dt.date,
                  intervals: dict[str, int]) -> tuple[list[int], Counter]:
    """The province's Apple ids due for a lookup on ``day`` under the risk tiers' monitoring intervals.

    An app is due when its last Apple observation (a snapshot, present or absent, on or before
    ``day``) is at least ``intervals[tier]`` days old, the tier being its ``risk_tier`` at the
    province's latest inspection on or before ``day`` (Art. 16; settings ``tier_uses``). Due whatever
    its tier: no tier yet, never observed, absent at its last observation (the delisting count needs
    consecutive checks) or a live shutdown case (verification and relisting). Returns the due ids and
    counters: ``due_<tier>``, ``deferred_<tier>`` and ``due_always`` (no tier, or one of the reasons).
    """
    a, lst, snap, ins = schema.apps, schema.store_listings, schema.listing_snapshots, schema.inspections
    prefix = province[:2]
    counts: Counter = Counter()
    with engine.connect() as conn:
        latest = conn.execute(sa.select(sa.func.max(ins.c.check_date)).where(
            ins.c.province_code == f"{prefix}0000", ins.c.target_type == "app",
            ins.c.check_date <= day)).scalar_one()
        if isinstance(latest, str):  # SQLite may hand back text for an aggregate over a date
            latest = dt.date.fromisoformat(latest)
        live_cases = set(conn.execute(sa.select(schema.shutdown_cases.c.target_key).where(
            schema.shutdown_cases.c.target_type == "app",
            schema.shutdown_cases.c.state.not_in(("rejected", "cancelled")))).scalars())
        last_seen = (sa.select(sa.func.max(snap.c.snapshot_date))
                     .where(snap.c.listing_id == lst.c.id, snap.c.snapshot_date <= day)
                     .scalar_subquery())
        q = (sa.select(a.c.apple_track_id, a.c.app_key, ins.c.risk_tier, lst.c.id, lst.c.available,
                       lst.c.consecutive_absences, last_seen.label("last_seen"))
             .select_from(a.outerjoin(lst, sa.and_(lst.c.store == "apple",
                                                   lst.c.store_app_id == sa.cast(a.c.apple_track_id, sa.String)))
                          .outerjoin(ins, sa.and_(ins.c.check_date == latest, ins.c.target_type == "app",
                                                  ins.c.target_key == a.c.app_key)))
             .where(a.c.apple_track_id.is_not(None), a.c.status != "closed",
                    sa.func.substr(a.c.division_code, 1, 2) == prefix)
             .order_by(a.c.apple_track_id))
        due: list[int] = []
        for track_id, app_key, tier, listing_id, available, absences, seen in conn.execute(q):
            if isinstance(seen, str):
                seen = dt.date.fromisoformat(seen)
            always = (tier not in intervals or listing_id is None or seen is None or not available
                      or (absences or 0) > 0 or app_key in live_cases)
            if always:
                counts["due_always"] += 1
                due.append(track_id)
            elif (day - seen).days >= intervals[tier]:
                counts[f"due_{tier}"] += 1
                due.append(track_id)
            else:
                counts[f"deferred_{tier}"] += 1
    return due, counts


def monitoring_intervals() -> dict[str, int]:
    """Days between two lookups of an app, per risk tier (policy settings ``tier_uses``)."""
    from fingertip.rules.policy import load_policy, tier_uses

    return dict(tier_uses(load_policy())["monitoring_interval_days"])


def apple_lookup_units(engine: Engine, *, batch_size: int = 50, batches_per_unit: int = 20) -> list[dict]:
    """The inventory's Apple ids cut into units for the mapped lookup task.

    Ids are taken province by province and packed into units of ``batches_per_unit`` whole
    batches, so only the very last request of a run is a partial batch (one unit per province would
    leave a partial batch in every province: ~3 % more requests against a rate-limited API). Each
    unit is labelled with the provinces it covers.
    """
    a = schema.apps
    prov = sa.func.substr(a.c.division_code, 1, 2)
    q = (sa.select(prov, a.c.apple_track_id)
         .where(a.c.apple_track_id.is_not(None), a.c.status != "closed")
         .order_by(prov, a.c.apple_track_id))
    size = batch_size * batches_per_unit
    units: list[dict] = []
    ids: list[int] = []
    provinces: list[str] = []

    def close() -> None:
        label = provinces[0] if len(provinces) == 1 else f"{provinces[0]}-{provinces[-1]}"
        units.append({"label": f"apple/{label}", "ids": ids.copy()})

    with engine.connect() as conn:
        for province, track_id in conn.execute(q):
            if not provinces or provinces[-1] != province:
                provinces.append(province)
            ids.append(track_id)
            if len(ids) == size:
                close()
                ids.clear()
                provinces[:] = [province]
    if ids:
        close()
    return units


def ingest_apple(engine: Engine, hook, *, day: dt.date, province: str | None = None,
                 ids: list[int] | None = None, unit: str | None = None, absence_threshold: int = 2) -> dict:
    """Look up Apple ids (a unit's, or every inventory app of ``province``) and record the answers."""
    if ids is None:
        if province is None:
            raise ValueError("ingest_apple needs ids or a province")
        ids = apple_ids_for_province(engine, province)
    unit = unit or f"apple/{province}"
    counts: Counter = Counter(ids=len(ids))
    for batch in hook.lookup(ids):
        fetched_at = utcnow()
        _account_for(batch, counts, unit)
        log_batch(engine, source=hook.http_conn_id, endpoint="/lookup", interval_date=day, batch=batch,
                  fetched_at=fetched_at)
        if batch.error:
            counts["failed_ids"] += len(batch.failed)
            continue
        counts.update(record_listings(
            engine, store="apple", snapshot_date=day, observations=batch.records, absent_ids=batch.absent,
            source=hook.http_conn_id, fingerprint=batch.fingerprint, fetched_at=fetched_at,
            absence_threshold=absence_threshold))
    if ids and counts["requests_ok"] == 0:
        raise NothingFetched(f"{unit}: none of {counts['requests_failed']} request(s) succeeded")
    return _summarise(unit, counts, hook.stats)


def ingest_android(engine: Engine, hook, *, store: str, day: dt.date, absence_threshold: int = 2) -> dict:
    """Walk the whole feed of one Android store. Known listings missing from a *complete* walk are
    absent; after a failed page nothing is inferred from missing items (they may be on that page)."""
    unit = f"android/{store}"
    counts: Counter = Counter()
    seen: set[str] = set()
    complete = True
    for batch in hook.listings(store):
        fetched_at = utcnow()
        _account_for(batch, counts, unit)
        log_batch(engine, source=hook.http_conn_id, endpoint=f"/android/v1/listings?store={store}",
                  interval_date=day, batch=batch, fetched_at=fetched_at)
        if batch.error:
            complete = False
            continue
        observations = _dedupe(batch.records)
        seen.update(o.store_app_id for o in observations)
        counts.update(record_listings(
            engine, store=store, snapshot_date=day, observations=observations, absent_ids=[],
            source=hook.http_conn_id, fingerprint=batch.fingerprint, fetched_at=fetched_at,
            absence_threshold=absence_threshold))
    if counts["requests_ok"] == 0:
        raise NothingFetched(f"{unit}: the feed could not be read")
    if complete:
        missing = [i for i in _known_listing_ids(engine, store) if i not in seen]
        for chunk in ops.chunks(missing):
            counts.update(record_listings(
                engine, store=store, snapshot_date=day, observations=[], absent_ids=list(chunk),
                source=hook.http_conn_id, fingerprint="missing-from-complete-feed", fetched_at=utcnow(),
                absence_threshold=absence_threshold))
    else:
        counts["absence_inference_skipped"] = 1
        log.warning("%s: feed incomplete, not inferring absences today", unit)
    return _summarise(unit, counts, hook.stats)


def _dedupe(records: Sequence[ListingObservation]) -> list[ListingObservation]:
    return list({r.store_app_id: r for r in records}.values())


def _known_listing_ids(engine: Engine, store: str) -> list[str]:
    t = schema.store_listings
    with engine.connect() as conn:
        return list(conn.execute(sa.select(t.c.store_app_id).where(t.c.store == store)).scalars())


# --- filings -------------------------------------------------------------------------------------

def record_filings(engine: Engine, records: Sequence[FilingRecord], *, source: str, fingerprint: str,
                   fetched_at: dt.datetime) -> Counter:
    """Upsert filings by (kind, service licence); link each to the inventory app it files."""
    counts: Counter = Counter()
    records = list({(r.filing_kind, r.service_licence): r for r in records}.values())
    if not records:
        return counts
    f = schema.filings
    with engine.begin() as conn:
        existing = {}
        kinds = sorted({r.filing_kind for r in records})
        for chunk in ops.chunks([r.service_licence for r in records]):
            # filing_kind leads the unique (filing_kind, service_licence) index: without it the lookup
            # is a full scan of filings per chunk on SQLite and PostgreSQL alike
            q = sa.select(f.c.filing_kind, f.c.service_licence, f.c.status, f.c.cancelled_at, f.c.reviewed_at).where(
                f.c.filing_kind.in_(kinds), f.c.service_licence.in_(chunk))
            existing.update({(k, lic): (st, ca, rv) for k, lic, st, ca, rv in conn.execute(q)})
        links = _app_links(conn, records)
        rows = []
        for r in records:
            old_status, old_cancelled, old_reviewed = existing.get((r.filing_kind, r.service_licence),
                                                                   (None, None, None))
            if r.status == "cancelled":
                cancelled_at = old_cancelled if old_status == "cancelled" else fetched_at
                if old_status == "active":
                    counts["newly_cancelled"] += 1
            else:
                cancelled_at = None
            rows.append({
                "filing_kind": r.filing_kind, "service_licence": r.service_licence, "main_licence": r.main_licence,
                "sponsor_name": r.sponsor_name, "sponsor_nature": r.sponsor_nature,
                "sponsor_credit_code": r.sponsor_credit_code, "service_name": r.service_name,
                "service_type": r.service_type,
                # an unreadable review time never overwrites a good stored one
                "reviewed_at": r.reviewed_at if r.reviewed_at is not None else old_reviewed,
                "access_restricted": r.access_restricted, "status": r.status, "cancelled_at": cancelled_at,
                "app_id": links.get((r.sponsor_credit_code, coerce.name_key(r.service_name), r.service_type)),
                "source": source, "fetched_at": fetched_at, "request_fingerprint": fingerprint,
            })
            counts["new" if old_status is None else "updated"] += 1
        counts["linked_to_inventory"] += sum(1 for row in rows if row["app_id"] is not None)
        ops.upsert(conn, f, rows, key=["filing_kind", "service_licence"])
    return counts


def _app_links(conn: Connection, records: Iterable[FilingRecord]) -> dict[tuple, int]:
    codes = sorted({r.sponsor_credit_code for r in records if r.sponsor_credit_code})
    links: dict[tuple, int] = {}
    for chunk in ops.chunks(codes):
        q = (sa.select(schema.sponsors.c.credit_code, schema.apps.c.name, schema.apps.c.kind, schema.apps.c.id)
             .join(schema.apps, schema.apps.c.sponsor_id == schema.sponsors.c.id)
             .where(schema.sponsors.c.credit_code.in_(chunk)))
        for code, name, kind, app_id in conn.execute(q):
            links[(code, coerce.name_key(name), kind)] = app_id
    return links


def ingest_filings(engine: Engine, hook, *, province: str, day: dt.date, kind: str = "icp_app") -> dict:
    return _ingest_pages(engine, hook, hook.records(kind=kind, province=province[:2]), record_filings,
                         unit=f"filings/{kind}/{province}", endpoint=f"/filings/v1/records?kind={kind}", day=day)


def _ingest_pages(engine: Engine, hook, batches: Iterable[Batch], record, *, unit: str, endpoint: str,
                  day: dt.date) -> dict:
    """Write every good page of a paged feed with ``record``; fail only if no page could be read."""
    counts: Counter = Counter()
    for batch in batches:
        fetched_at = utcnow()
        _account_for(batch, counts, unit)
        log_batch(engine, source=hook.http_conn_id, endpoint=endpoint, interval_date=day, batch=batch,
                  fetched_at=fetched_at)
        if not batch.error:
            counts.update(record(engine, batch.records, source=hook.http_conn_id, fingerprint=batch.fingerprint,
                                 fetched_at=fetched_at))
    if counts["requests_ok"] == 0:
        raise NothingFetched(f"{unit}: the feed could not be read")
    return _summarise(unit, counts, hook.stats)


# --- account activity ----------------------------------------------------------------------------

def record_activity(engine: Engine, records: Sequence[ActivityRecord], *, source: str, fingerprint: str,
                    fetched_at: dt.datetime) -> Counter:
    """Upsert one row per account and date; activity of accounts not in the inventory is counted."""
    counts: Counter = Counter()
    a = schema.accounts
    with engine.begin() as conn:
        ids: dict[tuple[str, str], int] = {}
        by_platform: dict[str, list[str]] = {}
        for r in records:
            by_platform.setdefault(r.platform, []).append(r.platform_account_id)
        for platform, account_ids in by_platform.items():
            for chunk in ops.chunks(sorted(set(account_ids))):
                q = sa.select(a.c.platform_account_id, a.c.id).where(a.c.platform == platform,
                                                                     a.c.platform_account_id.in_(chunk))
                ids.update({(platform, pid): i for pid, i in conn.execute(q)})
        rows = {}
        for r in records:
            account_id = ids.get((r.platform, r.platform_account_id))
            if account_id is None:
                counts["unknown_accounts"] += 1
                log.warning("activity for an account not in the inventory: %s %s (%s)", r.platform,
                            r.platform_account_id, r.name)
                continue
            rows[(account_id, r.activity_date)] = {
                "account_id": account_id, "activity_date": r.activity_date, "last_post_at": r.last_post_at,
                "posts_7d": r.posts_7d, "posts_14d": r.posts_14d, "posts_30d": r.posts_30d,
                "followers": r.followers, "unanswered_messages": r.unanswered_messages,
                "oldest_unanswered_days": r.oldest_unanswered_days, "interaction_channel": r.interaction_channel,
                "source": source, "fetched_at": fetched_at, "request_fingerprint": fingerprint,
            }
        ops.upsert(conn, schema.account_activity, list(rows.values()), key=["account_id", "activity_date"])
        counts["activity_rows"] += len(rows)
    return counts


def ingest_activity(engine: Engine, hook, *, province: str, day: dt.date) -> dict:
    return _ingest_pages(engine, hook, hook.activity(day, province=province[:2]), record_activity,
                         unit=f"activity/{province}", endpoint="/accounts/v1/activity", day=day)


def provinces_of(engine: Engine, table: sa.Table) -> list[str]:
    """Province codes (``PP0000``) that have active entities in ``table``."""
    prov = sa.func.substr(table.c.division_code, 1, 2)
    with engine.connect() as conn:
        q = sa.select(prov).where(table.c.status != "closed").group_by(prov).order_by(prov)
        return [f"{p}0000" for p in conn.execute(q).scalars()]
