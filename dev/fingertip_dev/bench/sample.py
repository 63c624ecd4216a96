"""Benchmark: generate and bulk-load N entities into a fresh store, print one JSON object.

``python -m fingertip_dev.bench.sample --entities N [--store-url URL] [--json]``

The store is always fresh: for SQLite a file in a temporary folder, for PostgreSQL a new schema in
the database of ``--store-url`` (reached through ``search_path``), dropped afterwards. Migrations
run before the clock starts; the time covers generation, loading (every row of every table,
account activity included), ground truth and inventory files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys

from fingertip_dev.bench.common import emit, fresh_store


def run(entities: int, store_url: str = "sqlite://", seed: int = 20261123, as_of: dt.date = dt.date(2026, 6, 30),
        chunk_rows: int = 100_000) -> dict:
    from fingertip.store import migrate
    from fingertip_dev.sample.load import generate_into_store

    with fresh_store(store_url, "fingertip-bench-") as store:
        migrate.upgrade(store.url)
        summary = generate_into_store(store.url, entities, seed, as_of, store.tmp / "sample", chunk_rows=chunk_rows,
                                      migrate_store=False)
    return {
        "entities": entities,
        "backend": store.backend,
        "rows": summary["total_rows"],
        "seconds": summary["seconds"],
        "rows_per_s": summary["rows_per_s"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows_by_table": summary["rows"],
        "seed": seed,
        "chunk_rows": chunk_rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.sample", description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, required=True)
    parser.add_argument("--store-url", default="sqlite://",
                        help="backend to measure: any sqlite URL (a temp file is used) or a PostgreSQL URL")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    result = run(args.entities, args.store_url, args.seed, chunk_rows=args.chunk_rows)
    emit(result, args.json, lambda r: f"{r['entities']} entities into {r['backend']}: {r['rows']} rows in "
                                      f"{r['seconds']:.1f} s = {r['rows_per_s']} rows/s, peak RSS {r['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
