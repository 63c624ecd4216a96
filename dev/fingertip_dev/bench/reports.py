"""Benchmark: the quarterly report over a generated store, printed as one JSON line.

``python -m fingertip_dev.bench.reports --entities N [--keep DIR] [--store-url URL | --generate-into URL]``

Setup (not timed, in a spawned child process so the peak RSS reported is the report's own):
generate a sample population of N entities straight into a fresh SQLite store
(``fingertip_dev.sample.load.generate_into_store``, as-of 2026-09-30), run the rules engine
(``fingertip.rules.detect(persist=True)``) for 2026-09-30 so the store holds real findings and
inspections, and derive the previous quarter's inspections (2026-06-30) from them by SQL — the
same rows, a deterministic tenth of today's failures marked as passed then — so that the
period-over-period figures (regressed entities) have work to do. Shutdown cases are not
synthesised (none in the sample; the query still runs).

Timed: ``produce_report`` of "2026Q3" with every format (figures in the database, PNG charts,
XLSX, DOCX, PDF, Markdown, JSON, HTML), the ``audit_runs`` and ``documents`` rows; the mail is not
sent. Output keys: ``figures_seconds``, ``charts_seconds``, ``documents_seconds``,
``seconds`` (total), ``peak_rss_mb``, plus the setup's own figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import logging
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261123
AS_OF = dt.date(2026, 9, 30)
PREVIOUS = dt.date(2026, 6, 30)
PERIOD = "2026Q3"


def _setup(store_url: str, entities: int, seed: int) -> dict:
    """Generate the store, detect, derive the previous quarter's inspections (child process)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    import sqlalchemy as sa

    from fingertip.rules import detect
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.sample.load import generate_into_store

    started = time.perf_counter()
    generated = generate_into_store(store_url, entities, seed, AS_OF, None, inventory=False, replace=True)
    gen_s = time.perf_counter() - started
    engine = create_store_engine(store_url)
    started = time.perf_counter()
    result = detect(engine, check_date=AS_OF, persist=True)
    detect_s = time.perf_counter() - started
    cols = ("target_type", "target_key", "division_code", "province_code", "sponsor_id", "score", "vetoes",
            "deductions", "risk_tier", "risk_factors", "indicator_outcome", "indicator_score", "indicator_vetoes",
            "indicator_deductions")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM inspections WHERE check_date = :d"), {"d": PREVIOUS})
        conn.execute(sa.text(
            f"INSERT INTO inspections (check_date, passed, outcome, {', '.join(cols)}) "
            f"SELECT :prev, CASE WHEN passed THEN passed WHEN (id % 10) = 0 THEN :t ELSE passed END, "
            f"CASE WHEN passed THEN outcome WHEN (id % 10) = 0 THEN 'passed' ELSE outcome END, "
            f"{', '.join(cols)} FROM inspections WHERE check_date = :cur"),
            {"prev": PREVIOUS, "cur": AS_OF, "t": True})
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("apps", "accounts", "work_groups", "findings", "inspections")}
    engine.dispose()
    return {"generate_seconds": round(gen_s, 2), "detect_seconds": round(detect_s, 2),
            "generated_rows": generated.get("rows"), "findings": len(result.findings), "rows": counts,
            "setup_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def setup_in_child(store_url: str, entities: int, seed: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_setup, store_url, entities, seed).result()


def timed_report(store_url: str) -> dict:
    from fingertip.reports.tasks import plan_reports, produce_report
    from fingertip.store.engine import create_store_engine

    engine = create_store_engine(store_url)
    spec = plan_reports(AS_OF, {"period": PERIOD, "kind": "quarterly"})[0]
    timings: dict = {}
    started = time.perf_counter()
    built = produce_report(engine, spec, run_key=f"bench:{PERIOD}", timings=timings)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": round(seconds, 2), "figures_seconds": timings.get("figures"),
            "charts_seconds": timings.get("charts"), "documents_seconds": timings.get("documents"),
            "files": {f["doc_format"]: f["size_bytes"] for f in built["files"]},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run(entities: int, *, seed: int = SEED, keep: Path | None = None, store_url: str | None = None,
        generate: bool = True) -> dict:
    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="fingertip-report-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["FINGERTIP_OUTPUT_URL"] = (tmp / "out").as_uri()
    setup = None
    try:
        if store_url is None:
            store_url = f"sqlite:///{tmp / 'store.db'}"
            for suffix in ("", "-wal", "-shm", "-journal"):
                (tmp / f"store.db{suffix}").unlink(missing_ok=True)
        if generate:
            started = time.perf_counter()
            setup = setup_in_child(store_url, entities, seed)
            setup["seconds"] = round(time.perf_counter() - started, 2)
        report = timed_report(store_url)
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    backend = store_url.split(":", 1)[0].split("+", 1)[0]
    return {"benchmark": "quarterly_report", "entities": entities, "backend": backend, "period": PERIOD,
            "seed": seed, "setup": setup, "synthesised": "previous-quarter inspections derived by SQL; no cases",
            **report, "kept": str(tmp) if keep else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.reports", description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the store and the report files")
    parser.add_argument("--store-url", help="report on this existing store instead of generating one")
    parser.add_argument("--generate-into", metavar="URL",
                        help="generate the sample into this (empty) store, e.g. a PostgreSQL database")
    args = parser.parse_args(argv)
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for name in ("fingertip", "airflow", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)
    print(json.dumps(run(args.entities, seed=args.seed, keep=args.keep,
                         store_url=args.generate_into or args.store_url, generate=not args.store_url),
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
