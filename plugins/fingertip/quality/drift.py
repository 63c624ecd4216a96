"""Drift checks on ingested sources: a snapshot whose row count falls sharply is flagged, not trusted.

``check_drift(engine, day, threshold=0.2)`` compares, for ``day`` against the previous date that has data:

* ``listing_snapshots`` — listings observed present, per store (join ``store_listings``);
* ``account_activity`` — activity rows of the day;
* ``filings`` — filing records fetched that day (``fetched_at`` date), in total.

A drop of more than ``threshold`` (default 20 %) is a finding: written to ``drift_findings`` (one row per
day, source and scope; re-running updates it) and logged as a warning; the findings are returned as
plain dicts. Counts that rose or fell less are not recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fingertip.store import ops, schema

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.2


def _series(conn, source: str) -> dict[str, dict[dt.date, int]]:
    """scope → date → count, for the dates of one source."""
    out: dict[str, dict[dt.date, int]] = {}
    if source == "listing_snapshots":
        ls, sl = schema.listing_snapshots, schema.store_listings
        q = (sa.select(sl.c.store, ls.c.snapshot_date, sa.func.count())
             .join(sl, sl.c.id == ls.c.listing_id).where(ls.c.present.is_(True))
             .group_by(sl.c.store, ls.c.snapshot_date))
    elif source == "account_activity":
        a = schema.account_activity
        q = sa.select(sa.literal("all"), a.c.activity_date, sa.func.count()).group_by(a.c.activity_date)
    else:
        f = schema.filings
        day = sa.func.date(f.c.fetched_at)
        q = sa.select(sa.literal("all"), day, sa.func.count()).group_by(day)
    for scope, when, n in conn.execute(q):
        if isinstance(when, str):
            when = dt.date.fromisoformat(when[:10])
        elif isinstance(when, dt.datetime):
            when = when.date()
        out.setdefault(scope, {})[when] = int(n)
    return out


def check_drift(engine: Engine, day: dt.date, *, threshold: float = DEFAULT_THRESHOLD,
                now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Findings for ``day`` (see the module docstring); each is also stored in ``drift_findings``."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    findings: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for source in ("listing_snapshots", "account_activity", "filings"):
            for scope, counts in sorted(_series(conn, source).items()):
                earlier = [d for d in counts if d < day]
                current = counts.get(day, 0)
                if not earlier:
                    continue
                prev_day = max(earlier)
                previous = counts[prev_day]
                if previous <= 0:
                    continue
                drop = 1 - current / previous
                if drop > threshold:
                    findings.append({"check_date": day, "source": source, "scope": str(scope),
                                     "previous_date": prev_day, "previous_count": previous,
                                     "current_count": current, "drop_share": round(drop, 4), "detected_at": now})
    if findings:
        with engine.begin() as conn:
            ops.upsert(conn, schema.drift_findings, findings, key=["check_date", "source", "scope"],
                       update=["previous_date", "previous_count", "current_count", "drop_share", "detected_at"])
    for f in findings:
        log.warning("drift: %s %s on %s has %d rows, %.0f%% fewer than %d on %s — check the source before "
                    "trusting it", f["source"], f["scope"], day, f["current_count"], 100 * f["drop_share"],
                    f["previous_count"], f["previous_date"])
    return [{**f, "check_date": f["check_date"].isoformat(), "previous_date": f["previous_date"].isoformat(),
             "detected_at": f["detected_at"].isoformat()} for f in findings]
