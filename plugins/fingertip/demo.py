"""``make demo``: run the pipeline end to end on the embedded default and summarise it.

Each stage runs the real DAGs with ``airflow dags test`` on the project-local Airflow home (set up
by ``make airflow-home``), then reads what landed in the store. The machine-readable result is
``out/summary.json`` (counts per stage); a short table is printed. Later stages (ingestion,
validation, detection, shutdown, reports) add themselves to ``STAGES``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fingertip import config


@dataclass
class DemoContext:
    entities: int
    seed: int
    summary: dict[str, Any] = field(default_factory=dict)
    dag_runs: list[dict[str, Any]] = field(default_factory=list)


def airflow_cli() -> list[str]:
    return [str(config.project_root() / "bin" / "airflow")]


def run_dag(ctx: DemoContext, dag_id: str, conf: dict[str, Any] | None = None,
            logical_date: str | None = None) -> dict[str, Any]:
    """``airflow dags test`` one DAG; its log goes to out/logs/<dag_id>.log. Fails loudly."""
    logs = Path(config.output_url().removeprefix("file://")) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{dag_id}.log"
    cmd = airflow_cli() + ["dags", "test", dag_id]
    if logical_date:
        cmd.append(logical_date)
    if conf:
        cmd += ["--conf", json.dumps(conf)]
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(), check=False)
    seconds = round(time.monotonic() - started, 1)
    state = _last_run_state(dag_id)
    record = {"dag_id": dag_id, "state": state, "exit_code": proc.returncode, "seconds": seconds,
              "log": str(log_path)}
    ctx.dag_runs.append(record)
    print(f"  {dag_id:<32} {state:<10} {seconds:>6.1f}s  log: {log_path}")
    if proc.returncode != 0 or state != "success":
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(f"demo: DAG {dag_id} ended {state} (exit {proc.returncode}); full log: {log_path}")
    return record


def _last_run_state(dag_id: str) -> str:
    out = subprocess.run(
        airflow_cli() + ["dags", "list-runs", dag_id, "-o", "json"],
        capture_output=True, text=True, env=os.environ.copy(), check=False,
    )
    try:
        runs = json.loads(out.stdout[out.stdout.index("["):])
    except ValueError:
        return "unknown"
    if not runs:
        return "none"
    runs.sort(key=lambda r: r.get("start_date") or "", reverse=True)
    return runs[0].get("state") or "unknown"


# --- stages -------------------------------------------------------------------------------------

def stage_sample_data(ctx: DemoContext) -> None:
    run_dag(ctx, "fingertip_sample_data", conf={"entities": ctx.entities, "seed": ctx.seed, "replace": True})
    truth = config.data_dir() / "sample" / "ground_truth_summary.json"
    if truth.exists():
        ctx.summary["ground_truth"] = json.loads(truth.read_text(encoding="utf-8"))


def stage_store_maintenance(ctx: DemoContext) -> None:
    run_dag(ctx, "fingertip_store_maintenance")


def stage_store_counts(ctx: DemoContext) -> None:
    from fingertip.store import ops
    from fingertip.store.engine import create_store_engine, describe, resolve_store_url

    url = resolve_store_url()
    engine = create_store_engine(url)
    with engine.connect() as conn:
        ctx.summary["store"] = {"url": describe(url), "tables": ops.table_counts(conn)}
    engine.dispose()


STAGES = [
    ("sample data", stage_sample_data),
    ("store maintenance", stage_store_maintenance),
    ("store counts", stage_store_counts),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip demo")
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)

    ctx = DemoContext(entities=args.entities, seed=args.seed)
    started = time.monotonic()
    print(f"Fingertip demo: {args.entities} entities, seed {args.seed}")
    for name, stage in STAGES:
        print(f"- {name}")
        stage(ctx)
    ctx.summary["dag_runs"] = ctx.dag_runs
    ctx.summary["seconds"] = round(time.monotonic() - started, 1)
    ctx.summary["entities"] = args.entities
    ctx.summary["seed"] = args.seed

    out = config.output_path()
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(ctx.summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print_summary(ctx.summary, str(out))
    return 0


def print_summary(summary: dict[str, Any], out: str) -> None:
    print("\nSummary")
    tables = summary.get("store", {}).get("tables", {})
    for name, count in tables.items():
        if count:
            print(f"  {name:<22} {count:>10,}")
    truth = summary.get("ground_truth", {})
    if truth:
        labels = truth.get("labels", truth)
        planted = sum(v for v in labels.values() if isinstance(v, int))
        print(f"  planted truths         {planted:>10,}  ({len(labels)} kinds)")
    print(f"\nStore:   {summary.get('store', {}).get('url')}")
    print(f"Outputs: {out}  (summary.json, logs/)")
    print(f"Sample:  {config.data_dir() / 'sample'}  (ground truth, inventory spreadsheets)")
    print(f"Done in {summary.get('seconds')} s.  See the UI: make standalone")
