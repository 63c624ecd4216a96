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
import json
import resource
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa


def _fresh_pg_schema(url: str) -> tuple[str, str]:
    schema = f"ft_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def _drop_pg_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def run(entities: int, store_url: str = "sqlite://", seed: int = 20261123, as_of: dt.date = dt.date(2026, 6, 30),
        chunk_rows: int = 100_000) -> dict:
    from fingertip.store import migrate
    from fingertip_dev.sample.load import generate_into_store

    backend = sa.make_url(store_url).get_backend_name()
    tmp = Path(tempfile.mkdtemp(prefix="fingertip-bench-"))
    schema = None
    try:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'bench.db'}"
        elif backend == "postgresql":
            url, schema = _fresh_pg_schema(store_url)
        else:
            raise SystemExit(f"unsupported backend {backend!r}")
        migrate.upgrade(url)
        summary = generate_into_store(url, entities, seed, as_of, tmp / "sample", chunk_rows=chunk_rows,
                                      migrate_store=False)
    finally:
        if schema is not None:
            _drop_pg_schema(store_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "entities": entities,
        "backend": backend,
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
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['entities']} entities into {result['backend']}: {result['rows']} rows in "
              f"{result['seconds']:.1f} s = {result['rows_per_s']} rows/s, peak RSS {result['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
