"""Benchmark: a week of Apple lookups and rolling discovery over the stub; Apple requests per iOS app per day.

``python -m fingertip_dev.bench.discovery --entities N [--days 7] [--json] [--keep DIR]``

Setup (not timed): generate the world (N entities, fixed seed), publish its inventory into a fresh
SQLite governance store, start the stub source server on a free loopback port. Then, for each of
``--days`` consecutive days, what ``ingest_app_store`` does for Apple: the daily lookups of every
inventory iOS app (batches of 50 ids) and the rolling discovery with the default budget of the
``apple_itunes`` connection (0.009 discovery requests per iOS app per day, at least 100, within a
daily cap of 3,600 calls — Apple's 20 requests/minute for three hours; the client-side limiter is
off against the stub, the budget arithmetic is not). Every attempt counts as a request.

Reported: ``apple_requests_per_ios_app_per_day`` (lookups + discovery, averaged over the days; target
≤ 0.03 at 200k entities), the discovery share of it, the passes over developer accounts and sponsors
the week completed, the unregistered listings found, and the recall of the sample's Apple-only planted
unregistered apps (``listed_not_in_inventory`` on Apple).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEED = 20261206
AS_OF = dt.date(2026, 6, 30)
DAILY_CAP = 20 * 60 * 3


def run(entities: int, *, days: int = 7, keep: Path | None = None, seed: int = SEED) -> dict[str, Any]:
    import sqlalchemy as sa

    from fingertip.discovery import apple as discovery
    from fingertip.hooks.apple import AppleLookupHook
    from fingertip.sources import ingest
    from fingertip.store import schema
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.bench.sources import set_connections, setup_in_child
    from fingertip_dev.stub.process import start_subprocess, stop_subprocess

    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="fingertip-discovery-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    for name in ("world.db", "store.db"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            (tmp / f"{name}{suffix}").unlink(missing_ok=True)
    proc = None
    started = time.perf_counter()
    per_day: list[dict[str, Any]] = []
    try:
        setup = setup_in_child(tmp, entities, seed, AS_OF, ["store.db"])
        proc, base_url = start_subprocess(tmp / "world.db", port=0, log_path=tmp / "stub.log")
        setup_seconds = time.perf_counter() - started
        set_connections(base_url, {"daily_requests": DAILY_CAP, "requests_per_minute": 0})
        engine = create_store_engine(f"sqlite:///{tmp / 'store.db'}")
        timed = time.perf_counter()
        for offset in range(days):
            day = AS_OF + dt.timedelta(days=offset)
            hook = AppleLookupHook()
            lookups = 0
            for unit in ingest.apple_lookup_units(engine, batch_size=50):
                ingest.ingest_apple(engine, hook, ids=unit["ids"], unit=unit["label"], day=day)
            with engine.connect() as conn:
                lookups = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(schema.fetch_log.c.attempts), 0))
                                           .where(schema.fetch_log.c.interval_date == day,
                                                  schema.fetch_log.c.endpoint == discovery.LOOKUP_ENDPOINT))
                              .scalar_one())
            summary = discovery.discover(engine, AppleLookupHook(), day=day)
            per_day.append({"day": day.isoformat(), "lookup_requests": lookups,
                            "discovery_requests": summary["requests_used"], "budget": summary["budget"]["requests"],
                            "ios_apps": summary["budget"]["ios_apps"], "discovered": summary["discovered"],
                            "developer": summary["developer"], "search": summary["search"]})
        seconds = time.perf_counter() - timed
        recall = _apple_recall(engine, tmp / "world.db")
        engine.dispose()
    finally:
        if proc is not None:
            stop_subprocess(proc)
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    ios = max(1, per_day[0]["ios_apps"])
    lookup_total = sum(d["lookup_requests"] for d in per_day)
    discovery_total = sum(d["discovery_requests"] for d in per_day)
    last = per_day[-1]
    return {
        "entities": entities, "backend": "sqlite", "seed": seed, "days": days, "ios_apps": per_day[0]["ios_apps"],
        "apple_requests_per_ios_app_per_day": round((lookup_total + discovery_total) / ios / days, 5),
        "discovery_requests_per_ios_app_per_day": round(discovery_total / ios / days, 5),
        "lookup_requests_per_day": round(lookup_total / days, 1),
        "discovery_requests_per_day": round(discovery_total / days, 1),
        "developer_passes": last["developer"]["cycle"], "developer_accounts": last["developer"]["keys"],
        "sponsor_passes": last["search"]["cycle"], "sponsors_searched_keys": last["search"]["keys"],
        "discovered": sum(d["discovered"] for d in per_day),
        **recall,
        "seconds": round(seconds, 1), "setup_seconds": round(setup_seconds, 1), "setup": setup,
        "per_day": per_day, "kept": str(tmp) if keep else None,
    }


def _apple_recall(engine, world_path: Path) -> dict[str, Any]:
    """Apple listings planted as unregistered (world: apple listings without inventory app) found."""
    import sqlite3

    import sqlalchemy as sa

    from fingertip.store import schema

    with sqlite3.connect(world_path) as world:
        planted = {r[0] for r in world.execute(
            "SELECT store_app_id FROM store_listings WHERE store = 'apple' AND app_id IS NULL AND available")}
    sl, d = schema.store_listings, schema.listing_discoveries
    with engine.connect() as conn:
        found = set(conn.execute(sa.select(sl.c.store_app_id).join(d, d.c.listing_id == sl.c.id)
                                 .where(sl.c.store == "apple")).scalars())
    return {"apple_unregistered_planted": len(planted), "apple_unregistered_found": len(planted & found),
            "apple_unregistered_recall": round(len(planted & found) / len(planted), 4) if planted else None,
            "found_not_planted": len(found - planted)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.discovery",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, required=True)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for name in ("fingertip", "airflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
    result = run(args.entities, days=args.days, keep=args.keep, seed=args.seed)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            if key not in ("per_day", "setup"):
                print(f"{key:<40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
