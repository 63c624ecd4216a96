"""Benchmark of ``make test``: the whole test suite, run the way the Makefile runs it.

``python -m fingertip_dev.bench.test_suite [--workers N] [--json]`` (default: two per core, as ``make test``)

Runs ``python -m compileall`` on the project, then ``pytest -n <workers> --dist loadfile
--no-loadscope-reorder`` (the ``test`` target of the Makefile) from the project root with the project
environment, and reports ``test_suite_seconds`` (wall clock of the pytest process, collection included;
not the compile step, which takes well under a second), the CPU seconds it and its children used,
the outcome counts from pytest's summary line and the worker count. A failing suite is still a
measurement: the counts say so.

It also sets ``FINGERTIP_TEST_CPU_LOG`` (``tests/conftest.py``: CPU seconds of each test, its children
and the Airflow fork servers included) and reports the CPU seconds of the costliest test files
(``cpu_by_file``), so a regression can be traced to its file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fingertip_dev.bench.common import run_pytest

ROOT = Path(__file__).resolve().parents[3]


def run(workers: str = str(2 * (os.cpu_count() or 1)), extra: list[str] | None = None) -> dict:
    log = tempfile.NamedTemporaryFile(prefix="fingertip-test-cpu-", suffix=".jsonl", delete=False)
    log.close()
    by_file: dict[str, float] = {}
    # as `make test`: the project's bytecode first (its Airflow forks and commands read it, not compile again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "plugins", "dev", "dags"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    try:
        r = run_pytest(["-n", workers, "--dist", "loadfile", "--no-loadscope-reorder", *(extra or [])], ROOT,
                       {"FINGERTIP_TEST_CPU_LOG": log.name})
        with open(log.name, encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                by_file[row["file"]] = by_file.get(row["file"], 0.0) + row["cpu"]
    finally:
        os.unlink(log.name)
    return {
        "test_suite_seconds": r.seconds,
        "cpu_seconds": r.cpu_seconds,
        "exit_code": r.exit_code,
        "workers": workers,
        "cpus": os.cpu_count(),
        "summary": r.summary,
        **{name: r.counts.get(name, 0) for name in ("passed", "failed", "errors", "skipped")},
        "cpu_by_file": {name: round(cpu, 1) for name, cpu in sorted(by_file.items(), key=lambda kv: -kv[1])[:15]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.test_suite")
    parser.add_argument("--workers", default=os.environ.get("TEST_WORKERS", str(2 * (os.cpu_count() or 1))))
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args, extra = parser.parse_known_args(argv)
    result = run(args.workers, extra)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"make test equivalent (-n {args.workers}): {result['test_suite_seconds']} s wall, "
              f"{result['cpu_seconds']} s CPU — {result['summary']}")
        for name, cpu in result["cpu_by_file"].items():
            print(f"  {cpu:8.1f} s CPU  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
