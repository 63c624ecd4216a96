"""Benchmark: detection over N generated entities, with its quality against the ground truth.

``python -m fingertip_dev.bench.rules --entities N [--store-url URL] [--json]``

A fresh store (SQLite file, or a new PostgreSQL schema dropped afterwards) is filled by the sample
generator **in a child process** (so the peak RSS reported is detection's own), then:

* ``seconds`` — a full detection run that stores findings and inspections (first run);
* ``rerun_seconds`` — the same run again (every finding already stored: reconcile path);
* ``peak_rss_mb`` — peak resident memory of this process (detection only);
* ``recall`` / ``clean_flagged`` — planted cases found (target 1.0) and planted-clean entities with
  any finding (target 0), from ``ground_truth.jsonl``.

Targets: ≤ 60 s at 200k on each backend, ≤ 1.5 GB; the 1M/200k time ratio (≤ 5.5) is computed by
``scripts/bench.py``. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time

import sqlalchemy as sa

from fingertip_dev.bench.common import emit, fresh_store, generate_in_child

AS_OF = dt.date(2026, 6, 30)
SEED = 20261123


def run(entities: int, store_url: str = "sqlite://") -> dict:
    from fingertip.rules import detect, load_policy
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.evaluation import evaluate, read_ground_truth

    with fresh_store(store_url, "fingertip-rules-bench-") as store:
        url, tmp, backend = store.url, store.tmp, store.backend
        generate_in_child(url, entities, SEED, AS_OF, tmp / "sample")
        engine = create_store_engine(url)
        policy = load_policy()
        start = time.perf_counter()
        result = detect(engine, policy, check_date=AS_OF, persist=True, collect=False)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        again = detect(engine, policy, check_date=AS_OF, persist=True, collect=False)
        rerun = time.perf_counter() - start
        from fingertip.store import schema as store_schema

        with engine.connect() as conn:
            stored = conn.execute(sa.select(store_schema.findings.c.rule_id, store_schema.findings.c.target_type, store_schema.findings.c.target_key)
                                  .where(store_schema.findings.c.state != "resolved")).all()
        quality = evaluate(read_ground_truth(tmp / "sample" / "ground_truth.jsonl"), stored)
        engine.dispose()
    summary = result.summary()
    return {
        "entities": entities,
        "backend": backend,
        "seconds": round(seconds, 2),
        "rerun_seconds": round(rerun, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "checked": summary["checked"],
        "findings": summary["findings"],
        "rerun_changes": again.changes,
        "pass_rate": summary["pass_rate"],
        "recall": quality["recall"],
        "planted": quality["planted"],
        "clean_entities": quality["clean_entities"],
        "clean_flagged": quality["clean_flagged"],
        "missed_examples": quality["missed_examples"],
        "false_positive_examples": quality["false_positive_examples"],
        "false_positive_rules": quality["false_positive_rules"],
        "recall_by_label": {k: v["recall"] for k, v in quality["recall_by_label"].items()},
        "timings": summary["timings"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.rules", description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, required=True)
    parser.add_argument("--store-url", default="sqlite://")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.entities, args.store_url)
    emit(result, args.json, lambda r: f"detection over {r['entities']:,} entities on {r['backend']}: {r['seconds']} s "
                                      f"(re-run {r['rerun_seconds']} s), peak RSS {r['peak_rss_mb']} MB, recall {r['recall']}, "
                                      f"clean flagged {r['clean_flagged']} of {r['clean_entities']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
