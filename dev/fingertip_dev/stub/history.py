"""The sample world as it was recorded on an earlier day, for the stub to serve.

A deployment learns a listing's history by checking the stores every day: ``app.zombie`` judges use on
rating-count growth over weeks, so a store that has just started cannot judge it ("insufficient data").
The generated world records a few earlier days (``listing_snapshots`` before its ``as_of``: a zombie's
rating count two months back). :func:`world_as_recorded` writes a copy of the world in which the store
listings are exactly what the world recorded on such a day — the listings with a present snapshot on it,
with that snapshot's name, developer, version, rating and downloads; nothing else is listed — so the stub
serves that day and ``ingest_app_store`` run for it stores the history through the pipeline, as the
deployment's own run on that day would have (``make cluster``; the embedded demo copies the snapshots
instead, :func:`fingertip_dev.demo.seed_listing_history`).

Development tooling: never imported by the runtime package.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

_SNAPSHOT_FIELDS = ("name", "developer", "version", "version_released_at", "rating", "rating_count", "downloads")


def history_dates(world: str | Path, before: dt.date) -> list[dt.date]:
    """The days before ``before`` on which the world recorded listing snapshots, oldest first."""
    with sqlite3.connect(f"file:{world}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT DISTINCT snapshot_date FROM listing_snapshots WHERE snapshot_date < ? "
                            "ORDER BY snapshot_date", (before.isoformat(),)).fetchall()
    return [dt.date.fromisoformat(str(r[0])[:10]) for r in rows]


def recorded_worlds(world: str | Path, before: dt.date):
    """For every day before ``before`` the world recorded, oldest first: :func:`world_as_recorded` of that
    day, written beside the world as ``world_<day>.db`` (``make cluster`` and ``demo --cycle cluster``
    serve each in turn while ``ingest_app_store`` runs for the day)."""
    world = Path(world)
    for day in history_dates(world, before):
        yield day, world_as_recorded(world, day, world.parent / f"world_{day.isoformat()}.db")


def world_as_recorded(world: str | Path, day: dt.date, target: str | Path) -> dict[str, int | str]:
    """Write ``target``: a copy of ``world`` whose store listings are what it recorded on ``day``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{world}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        src.close()
        on_day = "SELECT listing_id FROM listing_snapshots WHERE snapshot_date = :day AND present"
        with dst:
            removed = dst.execute(f"DELETE FROM store_listings WHERE id NOT IN ({on_day})",
                                  {"day": day.isoformat()}).rowcount
            fields = ", ".join(_SNAPSHOT_FIELDS)
            kept = dst.execute(
                f"UPDATE store_listings SET ({fields}) = (SELECT {', '.join('s.' + f for f in _SNAPSHOT_FIELDS)} "
                "FROM listing_snapshots s WHERE s.listing_id = store_listings.id AND s.snapshot_date = :day), "
                "available = 1, consecutive_absences = 0, delisted_at = NULL, last_seen_at = :seen",
                {"day": day.isoformat(), "seen": f"{day.isoformat()} 06:00:00.000000"}).rowcount
    finally:
        dst.close()
    return {"date": day.isoformat(), "listings": kept, "not_listed_then": removed, "world": str(target)}
