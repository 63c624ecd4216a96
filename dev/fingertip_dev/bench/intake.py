"""Benchmark: the inventory corpus's big file at full size through import and validation.

``python -m fingertip_dev.bench.intake [--rows 100000] [--json]``

Runs the ``big_csv`` case of ``tests/quality/test_corpus.py`` (a clean app inventory CSV: ``import_file``
stages it, ``validate_batch`` gates and promotes it, every row must reach the store) with
``FINGERTIP_CORPUS_BIG_ROWS=rows``. The test suite runs the same case at 8,009 rows, which crosses every
chunk boundary; this is the 100,000-row size it ran before. Reports ``intake_seconds`` (wall clock of
the pytest process), its CPU seconds and ``passed``/``failed`` (a failure is still a measurement; its
target is 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fingertip_dev.bench.common import emit, run_pytest

ROOT = Path(__file__).resolve().parents[3]


def run(rows: int) -> dict:
    r = run_pytest(["-n", "0", "-p", "no:cacheprovider", "tests/quality/test_corpus.py::test_corpus_case[big_csv]"],
                   ROOT, {"FINGERTIP_CORPUS_BIG_ROWS": str(rows)})
    return {
        "intake_seconds": r.seconds,
        "cpu_seconds": r.cpu_seconds,
        "rows": rows,
        "passed": r.counts.get("passed", 0),
        "failed": r.counts.get("failed", 0) + r.counts.get("errors", 0),
        "exit_code": r.exit_code,
        "summary": r.summary,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.intake")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the big CSV (the test suite runs 8,009)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    result = run(args.rows)
    emit(result, args.json, lambda r: f"inventory intake, one big CSV of {args.rows} rows: {r['intake_seconds']} s wall, "
                                      f"{r['cpu_seconds']} s CPU — {r['summary']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
