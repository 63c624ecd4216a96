"""Benchmark of the daily cycle on the Celery cluster against ``airflow dags test``, in one run.

``python -m fingertip_dev.bench.cluster --entities N [--json]``

1. ``python -m fingertip_dev cluster --entities N --no-faults`` into a scratch folder: CeleryExecutor, two
   workers, the pipeline over REST (``pipeline_seconds``: first trigger to the last run's end; no fault
   injected), the tasks the scheduler ran per second, and the peak RSS of each worker's process tree
   (sampled every second);
2. the same population and the same DAG runs in the same order with one ``airflow dags test`` process per
   DAG run (``FINGERTIP_DEMO_RUNNER=cli``, ``make demo``'s runner with ``--cycle cluster``,
   :mod:`fingertip_dev.bench.demo`): the sequential path. ``dags_test_pipeline_seconds`` is its
   ``cycle_seconds``: first DAG run to the last, without the demo's reading of the store for its printed
   summary (the cluster summarises after its pipeline time too).

``ratio`` = cluster / sequential (issue 13's target: ≤ 1.2 on 2 cores). Both use the stub source server
with the client rate limit lifted (``airflow_settings.yaml``) and ingest the listing-history days through
``ingest_app_store`` with the stub serving each day's world. What the paths cannot share: ``dags test``
cannot answer a human-in-the-loop task, so its shutdown runs leave the approval requests unanswered
(``approve_case`` marked success), while the cluster answers them over REST (one approval per batch, which
announces that case); the cluster's own ``*/30`` import schedule may add a run that finds the inbox empty.
Both stores are PostgreSQL (the sequential path gets a fresh database of its own, dropped afterwards), so
the executor is what differs. ``same_runs_ratio`` compares run seconds DAG by DAG (:func:`_same_runs`,
scheduling gaps excluded); ``dag_runs_match`` says whether both ran the same DAGs as often.

SIGTERM, SIGINT or SIGHUP to the benchmark is passed on to the cluster command, which stops every process
it started and drops its databases before the benchmark exits.

The machine is shared: the 1-minute load average is sampled every 5 s during each phase
(``load_average``: at the start, mean and max per phase) and ``cpus`` is recorded; a ratio measured under
a load above the core count says as much about the neighbours as about the executor.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


class LoadSampler:
    """The 1-minute load average every ``interval`` seconds, per phase."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self.samples: dict[str, list[float]] = {}
        self.phase = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="load-sampler", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.phase:
                self.samples.setdefault(self.phase, []).append(os.getloadavg()[0])
            self._stop.wait(self.interval)

    def start(self, phase: str) -> None:
        self.phase = phase
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> dict[str, dict[str, float]]:
        self._stop.set()
        return {p: {"start": v[0], "mean": round(sum(v) / len(v), 2), "max": max(v)}
                for p, v in self.samples.items() if v}


def run(entities: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="fingertip-clusterbench-"))
    load = LoadSampler()
    failed = True
    try:
        load.start("cluster")
        returncode, output = _run_forwarding_signals(
            [sys.executable, "-m", "fingertip_dev", "cluster", "--entities", str(entities), "--no-faults",
             "--out", str(tmp / "cluster")], tmp / "cluster.log")
        summary_path = tmp / "cluster" / "summary.json"
        if returncode != 0 or not summary_path.exists():
            raise SystemExit("bench.cluster: the cluster run failed:\n" + "\n".join(output.splitlines()[-30:])
                             + f"\nkept for a look: {tmp} (cluster.log, cluster/summary.json, cluster/logs/, "
                             "cluster/airflow/logs/)")
        cluster = json.loads(summary_path.read_text(encoding="utf-8"))
        from fingertip_dev.bench import demo

        os.environ["FINGERTIP_DEMO_RUNNER"] = "cli"
        load.start("dags_test")
        database = f"fingertip_bench_seq_{os.getpid()}"
        try:
            with _pg_database(database) as store_url:  # the cluster's store backend: only the executor differs
                sequential = demo.run(entities=entities, store_url=store_url, cycle="cluster")
        except SystemExit as exc:  # the cluster's figures are kept; the ratio cannot be given
            sequential = {"error": str(exc)[-500:]}
        failed = False
    finally:
        loads = load.stop()
        if not failed:  # a failed cluster run's log, summary and Airflow logs stay for the diagnosis
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = cluster["pipeline_seconds"]
    reference = sequential.get("cycle_seconds")
    same_runs = _same_runs(cluster.get("dag_runs", []), sequential.get("dag_runs") or [])
    return {
        "entities": entities,
        "cluster_pipeline_seconds": seconds,
        "dags_test_pipeline_seconds": reference,
        "ratio": round(seconds / reference, 3) if reference else None,
        "dags_test_store": sequential.get("store"),
        "dags_test_whole_pipeline_seconds": sequential.get("demo_pipeline_seconds"),
        "dags_test_summarising_seconds": sequential.get("summarising_seconds"),
        "dags_test_recall": sequential.get("recall"),
        "dag_runs_match": same_runs["match"],
        "dag_runs_by_dag": same_runs["runs"],
        "same_runs_cluster_seconds": same_runs["cluster"],
        "same_runs_dags_test_seconds": same_runs["dags_test"],
        "same_runs_ratio": same_runs["ratio"],
        "same_runs_by_dag": same_runs["by_dag"],
        "scheduler_tasks_per_second": cluster["tasks_per_second"],
        "tasks": cluster["tasks"],
        "worker_peak_rss_mb": cluster["worker_peak_rss_mb"],
        "worker1_peak_rss_mb": cluster["worker_peak_rss_mb"].get("worker1"),
        "worker2_peak_rss_mb": cluster["worker_peak_rss_mb"].get("worker2"),
        "tasks_per_worker": cluster["workers"],
        "dags_test_stage_seconds": sequential.get("stage_seconds"),
        "dags_test_error": sequential.get("error"),
        "cluster_recall": cluster["detection"]["quality"].get("recall"),
        "cluster_dag_runs": len(cluster["dag_runs"]),
        "load_average": loads,
        "load_average_mean_cluster": loads.get("cluster", {}).get("mean"),
        "load_average_mean_dags_test": loads.get("dags_test", {}).get("mean"),
        "cpus": os.cpu_count(),
    }


def _run_forwarding_signals(cmd: list[str], log: Path) -> tuple[int, str]:
    """Run ``cmd`` (output to ``log``); SIGTERM, SIGINT or SIGHUP received meanwhile is sent on to it and
    waited for (the cluster command stops what it started on SIGTERM), then the benchmark stops."""
    received: list[int] = []
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)

        def forward(signum, _frame):
            received.append(signum)
            proc.send_signal(signal.SIGTERM)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            returncode = proc.wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    output = log.read_text(encoding="utf-8", errors="replace")
    if received:
        raise SystemExit(f"bench.cluster: stopped by signal {received[0]}; the cluster command stopped what it "
                         f"started (exit {returncode}):\n" + "\n".join(output.splitlines()[-10:]))
    return returncode, output


@contextlib.contextmanager
def _pg_database(name: str):
    """A fresh PostgreSQL database on the cluster's server (``FINGERTIP_CLUSTER_PG``) for the sequential
    path's store, dropped afterwards: the comparison then differs in the executor, not the store backend."""
    import sqlalchemy as sa

    from fingertip_dev.cluster.run import admin_engine, pg_url

    admin = admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield pg_url(name, "postgresql+psycopg")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _same_runs(cluster_runs: list[dict], sequential_runs: list[dict]) -> dict:
    """Run seconds (start to end), DAG by DAG: for each DAG the sequential path ran n times, the cluster's
    last n runs of it (the cluster may have more: a scheduled ``import_inventory`` that found the inbox
    empty). ``match``: both ran every DAG equally often. Scheduling gaps between runs are not in these sums
    (they are in the pipeline ratio)."""
    counts: dict[str, list[float]] = {}
    for r in sequential_runs:
        counts.setdefault(r["dag_id"], []).append(float(r["seconds"] or 0))
    by_dag: dict[str, dict[str, float]] = {}
    for dag_id, seq in counts.items():
        ours = sorted((r for r in cluster_runs if r["dag_id"] == dag_id), key=lambda r: r.get("run_after") or "")
        last = [float(r.get("seconds") or 0) for r in ours[-len(seq):]] if ours else []
        by_dag[dag_id] = {"cluster": round(sum(last), 1), "dags_test": round(sum(seq), 1),
                          "cluster_runs": len(last), "dags_test_runs": len(seq)}
    c = round(sum(v["cluster"] for v in by_dag.values()), 1)
    d = round(sum(v["dags_test"] for v in by_dag.values()), 1)
    cluster_counts = Counter(r["dag_id"] for r in cluster_runs)
    match = bool(counts) and all(cluster_counts[dag_id] == len(seq) for dag_id, seq in counts.items()) \
        and set(cluster_counts) <= set(counts)
    return {"cluster": c, "dags_test": d, "ratio": round(c / d, 3) if d else None, "by_dag": by_dag, "match": match,
            "runs": {dag_id: {"cluster": cluster_counts[dag_id], "dags_test": len(counts.get(dag_id, []))}
                     for dag_id in sorted(set(cluster_counts) | set(counts))}}


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
              f"same runs {result['same_runs_cluster_seconds']} s vs {result['same_runs_dags_test_seconds']} s "
              f"(ratio {result['same_runs_ratio']}); "
              f"{result['scheduler_tasks_per_second']} tasks/s; worker peak RSS {result['worker_peak_rss_mb']} MB; "
              f"load average {result['load_average']} on {result['cpus']} CPUs")
    if result["dags_test_error"]:
        print(f"bench.cluster: the airflow dags test path failed: {result['dags_test_error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
