"""Benchmark of the generated hostile corpus through every writer (tests/writers/test_corpus.py) with
more examples than CI runs.

``python -m fingertip_dev.bench.corpus [--examples 1000] [--json]``

Runs the corpus under the ``writers-bench`` hypothesis profile (random, not derandomized) with
``--examples`` examples per writer (``FINGERTIP_CORPUS_EXAMPLES``), and reports ``corpus_seconds``
(wall clock), the CPU seconds of the pytest process, the examples per writer and the outcome counts.
A failure is still a measurement: ``failed`` says so (its target is 0), and the hypothesis output
names the falsifying example.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fingertip_dev.bench.common import emit, run_pytest

ROOT = Path(__file__).resolve().parents[3]


def run(examples: int) -> dict:
    r = run_pytest(["-n", "0", "-p", "no:cacheprovider", "tests/writers/test_corpus.py"], ROOT,
                   {"FINGERTIP_CORPUS_PROFILE": "writers-bench", "FINGERTIP_CORPUS_EXAMPLES": str(examples)})
    return {
        "corpus_seconds": r.seconds,
        "cpu_seconds": r.cpu_seconds,
        "examples_per_writer": examples,
        "passed": r.counts.get("passed", 0),
        "failed": r.counts.get("failed", 0) + r.counts.get("errors", 0),
        "exit_code": r.exit_code,
        "summary": r.summary,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.corpus")
    parser.add_argument("--examples", type=int, default=1000, help="examples per writer (CI runs 200)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    result = run(args.examples)
    emit(result, args.json, lambda r: f"hostile corpus, {args.examples} examples per writer: {r['corpus_seconds']} s wall, "
                                      f"{r['cpu_seconds']} s CPU — {r['summary']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
