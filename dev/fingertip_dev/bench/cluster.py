"""Benchmark of the daily cycle on the Celery cluster against ``airflow dags test``, in one run.

``python -m fingertip_dev.bench.cluster --entities N [--json]``

1. ``python -m fingertip_dev cluster --entities N`` into a scratch folder: CeleryExecutor, two workers,
   the pipeline over REST (``pipeline_seconds``: first trigger to the last run's end), the tasks the
   scheduler ran per second, and the peak RSS of each worker's process tree (sampled every second);
2. the same population through ``make demo``'s pipeline with one ``airflow dags test`` process per DAG
   (``FINGERTIP_DEMO_RUNNER=cli``, :mod:`fingertip_dev.bench.demo`): the sequential path.

``ratio`` = cluster / sequential (issue 13's target: ≤ 1.2 on 2 cores). Both use the stub source server
with the client rate limit lifted (``airflow_settings.yaml``). The two pipelines are the same DAGs but not
the same stages: the cluster also runs validation's second detection and answers real approvals; the
JSON carries the stage times so the comparison can be read honestly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(entities: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="fingertip-clusterbench-"))
    try:
        proc = subprocess.run([sys.executable, "-m", "fingertip_dev", "cluster", "--entities", str(entities),
                               "--out", str(tmp / "cluster")], capture_output=True, text=True, check=False, cwd=ROOT)
        summary_path = tmp / "cluster" / "summary.json"
        if proc.returncode != 0 or not summary_path.exists():
            raise SystemExit("bench.cluster: the cluster run failed:\n" + "\n".join(proc.stdout.splitlines()[-30:]))
        cluster = json.loads(summary_path.read_text(encoding="utf-8"))
        from fingertip_dev.bench import demo

        os.environ["FINGERTIP_DEMO_RUNNER"] = "cli"
        sequential = demo.run(entities=entities)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = cluster["pipeline_seconds"]
    reference = sequential["demo_pipeline_seconds"]
    return {
        "entities": entities,
        "cluster_pipeline_seconds": seconds,
        "dags_test_pipeline_seconds": reference,
        "ratio": round(seconds / reference, 3) if reference else None,
        "scheduler_tasks_per_second": cluster["tasks_per_second"],
        "tasks": cluster["tasks"],
        "worker_peak_rss_mb": cluster["worker_peak_rss_mb"],
        "worker1_peak_rss_mb": cluster["worker_peak_rss_mb"].get("worker1"),
        "worker2_peak_rss_mb": cluster["worker_peak_rss_mb"].get("worker2"),
        "tasks_per_worker": cluster["workers"],
        "dags_test_stage_seconds": sequential.get("stage_seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.cluster")
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.entities)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"cluster {result['cluster_pipeline_seconds']} s vs airflow dags test "
              f"{result['dags_test_pipeline_seconds']} s at {args.entities:,} entities: ratio {result['ratio']}; "
              f"{result['scheduler_tasks_per_second']} tasks/s; worker peak RSS {result['worker_peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
