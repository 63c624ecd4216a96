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
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from fingertip_dev.bench.common import emit

ROOT = Path(__file__).resolve().parents[3]


def run(rows: int) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider",
           "tests/quality/test_corpus.py::test_corpus_case[big_csv]"]
    env = dict(os.environ, FINGERTIP_CORPUS_BIG_ROWS=str(rows))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "plugins"), str(ROOT / "dev"),
                                                       os.environ.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tail = (proc.stdout or "").strip().splitlines()[-1:] or [""]
    counts = {name: int(n) for n, name in re.findall(r"(\d+) (passed|failed|errors?)\b", tail[0])}
    return {
        "intake_seconds": round(seconds, 1),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "rows": rows,
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0),
        "exit_code": proc.returncode,
        "summary": tail[0],
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
