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
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from fingertip_dev.bench.common import emit

ROOT = Path(__file__).resolve().parents[3]


def run(examples: int) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", "tests/writers/test_corpus.py"]
    env = dict(os.environ, FINGERTIP_CORPUS_PROFILE="writers-bench", FINGERTIP_CORPUS_EXAMPLES=str(examples))
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
        "corpus_seconds": round(seconds, 1),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "examples_per_writer": examples,
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0),
        "exit_code": proc.returncode,
        "summary": tail[0],
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
