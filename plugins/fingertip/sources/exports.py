"""Vendor and platform exports (CSV/XLSX) of the three feeds, read with the same parsers.

Android listing exports, bulk filing exports and account-activity exports carry the feed's own
field names (docs/sources.md). Drop them in ``<exports>/<kind>/`` (``FINGERTIP_EXPORTS_URL``,
default ``data/exports``; kinds ``android``, ``filings``, ``activity``); the ingestion DAG of each
source reads them after its feed, then moves each file to ``processed/`` beside it. A row that cannot
be used is rejected with its row number and reason; the rest of the file is kept. Re-reading a file
is harmless: every write is an upsert. An export never infers absences (it may be partial).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import Engine

from fingertip import config
from fingertip.hooks.activity import parse_activity
from fingertip.hooks.android import parse_listing
from fingertip.hooks.filings import parse_filing
from fingertip.sources.ingest import _summarise, record_activity, record_filings, utcnow
from fingertip.sources.listings import record_listings

log = logging.getLogger(__name__)

KINDS = ("android", "filings", "activity")
SUFFIXES = (".csv", ".xlsx", ".txt")
CHUNK_ROWS = 1000


def exports_url(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}; expected one of {KINDS}")
    base = config.exports_url()
    return f"{base.rstrip('/')}/{kind}"


def pending_exports(kind: str) -> list:
    """Export files waiting in ``<exports>/<kind>/`` (sorted; hidden and partial files skipped)."""
    from airflow.sdk import ObjectStoragePath

    folder = ObjectStoragePath(exports_url(kind))
    if not folder.exists():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
                   and p.name.lower().endswith(SUFFIXES)), key=lambda p: p.name)


def _rows(content: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    from fingertip.sources.tables import read_table

    with read_table(content, name=name) as table:
        for row in table:
            yield row.row_number, row.row


def ingest_export(engine: Engine, path, kind: str, *, day: dt.date, move: bool = True) -> dict:
    """Read one export file into the store; returns the counters (``rejected_rows`` with reasons)."""
    content = path.read_bytes()
    checksum = hashlib.sha256(content).hexdigest()
    source = f"export:{kind}:{path.name}"
    unit = f"export/{kind}/{path.name}"
    counts: Counter = Counter()
    parse: Callable[[dict], tuple[str, Any]] = {
        "android": lambda item: parse_listing(item),
        "filings": lambda item: parse_filing(item),
        "activity": lambda item: parse_activity(item, day),
    }[kind]
    rejected: list[dict[str, Any]] = []
    chunk: list = []
    for number, row in _rows(content, path.name):
        try:
            _key, record = parse(row)
        except (ValueError, KeyError, TypeError) as exc:
            rejected.append({"row": number, "reason": str(exc)})
            continue
        chunk.append(record)
        counts["fields_unreadable"] += len(record.problems)
        if len(chunk) >= CHUNK_ROWS:
            counts.update(_write(engine, kind, chunk, day, source, checksum))
            chunk = []
    if chunk:
        counts.update(_write(engine, kind, chunk, day, source, checksum))
    counts["rejected"] += len(rejected)
    counts["requests_ok"] = 1
    for r in rejected[:50]:
        log.warning("%s: row %s rejected: %s", unit, r["row"], r["reason"])
    summary = _summarise(unit, counts, Counter())
    summary["rejected_rows"] = rejected[:200]
    if move:
        target = path.parent / "processed"
        target.mkdir(parents=True, exist_ok=True)
        path.rename(target / path.name)
    return summary


def _write(engine: Engine, kind: str, records: list, day: dt.date, source: str, checksum: str) -> Counter:
    fetched_at = utcnow()
    if kind == "filings":
        return record_filings(engine, records, source=source, fingerprint=checksum, fetched_at=fetched_at)
    if kind == "activity":
        return record_activity(engine, records, source=source, fingerprint=checksum, fetched_at=fetched_at)
    counts: Counter = Counter()
    by_store: dict[str, list] = {}
    for obs in records:
        by_store.setdefault(obs.store, []).append(obs)
    for store, observations in by_store.items():
        counts.update(record_listings(engine, store=store, snapshot_date=day,
                                      observations=list({o.store_app_id: o for o in observations}.values()),
                                      absent_ids=[], source=source, fingerprint=checksum, fetched_at=fetched_at))
    return counts


def ingest_pending(engine: Engine, kind: str, *, day: dt.date) -> list[dict]:
    """Every waiting export of ``kind``; one bad file does not stop the others."""
    from fingertip.sources.tables import TableError

    results = []
    for path in pending_exports(kind):
        try:
            results.append(ingest_export(engine, path, kind, day=day))
        except TableError as exc:
            log.error("export %s unreadable: %s / %s", path.name, exc.message_zh, exc.message_en)
            target = path.parent / "rejected"
            target.mkdir(parents=True, exist_ok=True)
            path.rename(target / path.name)
            results.append({"unit": f"export/{kind}/{path.name}", "requests_failed": 1, "error": exc.message_en})
    return results
