"""The lighter suites on ingested sources: store listings, filings, account activity of one day.

``validate_ingested(engine, day)`` runs ``store_listings`` on that day's listing snapshots (with their
listing's store and id), ``filings`` on the filings fetched that day and ``account_activity`` on that
day's activity rows. Machines, not units, produced these rows, so nothing is quarantined: the result
per suite (rows, failing expectations with counts, whether a critical one failed) is returned and
logged, and saved for Data Docs (``out/quality/ingest-<day>/``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fingertip.store import schema

log = logging.getLogger(__name__)


def _frames(conn, day: dt.date) -> dict[str, Any]:
    import pandas as pd

    ls, sl, f, a = schema.listing_snapshots, schema.store_listings, schema.filings, schema.account_activity
    listings = pd.DataFrame(conn.execute(
        sa.select(sl.c.store, sl.c.store_app_id, ls.c.rating, ls.c.rating_count, ls.c.downloads)
        .join(sl, sl.c.id == ls.c.listing_id).where(ls.c.snapshot_date == day)).mappings().all(),
        columns=["store", "store_app_id", "rating", "rating_count", "downloads"])
    start = dt.datetime.combine(day, dt.time())
    filings = pd.DataFrame(conn.execute(
        sa.select(f.c.filing_kind, f.c.service_licence, f.c.service_type, f.c.sponsor_credit_code)
        .where(f.c.fetched_at >= start, f.c.fetched_at < start + dt.timedelta(days=1))).mappings().all(),
        columns=["filing_kind", "service_licence", "service_type", "sponsor_credit_code"])
    activity = pd.DataFrame(conn.execute(
        sa.select(a.c.posts_7d, a.c.posts_14d, a.c.posts_30d, a.c.followers, a.c.last_post_at)
        .where(a.c.activity_date == day)).mappings().all(),
        columns=["posts_7d", "posts_14d", "posts_30d", "followers", "last_post_at"])
    activity["last_post_on"] = [v.date().isoformat() if v is not None and not pd.isna(v) else None
                                for v in activity.pop("last_post_at")]
    for df in (listings, filings, activity):
        df.reset_index(drop=True, inplace=True)
    return {"store_listings": listings, "filings": filings, "account_activity": activity}


def validate_ingested(engine: Engine, day: dt.date, *, save: bool = True) -> dict[str, dict[str, Any]]:
    from fingertip.quality.suites import run_suite, save_result

    with engine.connect() as conn:
        frames = _frames(conn, day)
    summary: dict[str, dict[str, Any]] = {}
    for name, df in frames.items():
        if df.empty:
            summary[name] = {"rows": 0, "failed": {}, "critical": False}
            continue
        outcomes, result = run_suite(df.astype(object).where(df.notna(), None), name, run_name=f"ingest-{day}",
                                     overrides={"expect_column_values_to_be_dates_not_in_future":
                                                {"today": day.isoformat()}})
        failed = {o.spec.key: o.unexpected_count or 1 for o in outcomes if not o.success}
        critical = any(o.spec.critical for o in outcomes if not o.success)
        summary[name] = {"rows": len(df), "failed": failed, "critical": critical}
        if failed:
            log.warning("ingested %s on %s: %d rows, failing expectations %s%s", name, day, len(df), failed,
                        " (CRITICAL)" if critical else "")
        if save:
            from fingertip.config import output_path

            save_result(result, output_path("quality", f"ingest-{day.isoformat()}", f"gx_result_{name}.json"))
    return summary
