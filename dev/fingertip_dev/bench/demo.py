"""Benchmark of ``make demo``: the demo's pipeline time at N entities, in a scratch environment.

``python -m fingertip_dev.bench.demo --entities N [--json]``

What ``make demo`` does after installation, in a fresh temporary Airflow home, data folder and outputs
folder, with the stub and the mail catcher on free ports (the developer's ``.airflow/``, ``data/`` and
``out/`` are not touched): ``airflow db migrate``, the settings loader on ``airflow_settings.yaml`` and
``fingertip store upgrade`` (set-up, timed apart), then ``python -m fingertip_dev demo --entities N``.
``demo_pipeline_seconds`` is the pipeline time the demo reports itself (``pipeline_seconds`` of its
``summary.json``: every stage, from the sample to the store counts); ``demo_wall_seconds`` adds the
demo process's own start-up. Prints one JSON object with both, the set-up time, the seconds per stage
and per DAG run, and the DAG runner used.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cmd: list[str], env: dict[str, str], log: Path) -> float:
    started = time.monotonic()
    with open(log, "a", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise SystemExit(f"bench.demo: {' '.join(cmd)} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return time.monotonic() - started


def run(entities: int = 10_000, seed: int = 20261123, keep: bool = False, store_url: str | None = None,
        cycle: str = "demo") -> dict:
    """``store_url``: the governance store (default: the demo's embedded SQLite store in the scratch folder);
    ``cycle``: the demo's ``--cycle`` (``cluster``: the DAG runs of ``make cluster``'s pipeline)."""
    tmp = Path(tempfile.mkdtemp(prefix="fingertip-demobench-"))
    home = tmp / "airflow"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AIRFLOW", "FINGERTIP_")) or key == "FINGERTIP_APPLE_RPM"
           or key == "FINGERTIP_DEMO_RUNNER"}
    env.update({
        "FINGERTIP_HOME": str(ROOT),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "FINGERTIP_DATA_DIR": str(tmp / "data"),
        "FINGERTIP_OUTPUT_URL": (tmp / "out").as_uri(),
        "FINGERTIP_STUB_PORT": str(_free_port()),
        "FINGERTIP_SMTP_PORT": str(_free_port()),
        **({"FINGERTIP_STORE_URL": store_url} if store_url else {}),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"), str(ROOT / "dev"),
                                                     os.environ.get("PYTHONPATH")])),
    })
    log = tmp / "bench-demo.log"
    airflow = str(Path(sys.executable).parent / "airflow")
    try:
        setup = _run([airflow, "db", "migrate"], env, log)
        setup += _run([sys.executable, "-m", "fingertip_dev", "settings", "load", str(ROOT / "airflow_settings.yaml")],
                      env, log)
        setup += _run([sys.executable, "-m", "fingertip", "store", "upgrade"], env, log)
        wall = _run([sys.executable, "-m", "fingertip_dev", "demo", "--entities", str(entities), "--seed", str(seed),
                     "--cycle", cycle], env, log)
        summary = json.loads((tmp / "out" / "summary.json").read_text(encoding="utf-8"))
        return {
            "entities": entities,
            "demo_pipeline_seconds": summary.get("pipeline_seconds", summary.get("seconds")),
            "cycle": summary.get("cycle"),
            "cycle_seconds": summary.get("cycle_seconds"),
            "summarising_seconds": summary.get("summarising_seconds"),
            "recall": ((summary.get("detection") or {}).get("quality") or {}).get("recall"),
            "demo_wall_seconds": round(wall, 1),
            "setup_seconds": round(setup, 1),
            "dag_runner": summary.get("dag_runner"),
            "store": (store_url or "sqlite").split(":", 1)[0].split("+", 1)[0],
            "stage_seconds": summary.get("stage_seconds"),
            "dag_runs": [{"dag_id": r["dag_id"], "seconds": r["seconds"], "state": r["state"]}
                         for r in summary.get("dag_runs", [])],
            "cpus": os.cpu_count(),
        }
    finally:
        if keep:
            print(f"kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.demo")
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (its path goes to stderr)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--cycle", choices=("demo", "cluster"), default="demo",
                        help="the demo's --cycle (cluster: the DAG runs of make cluster's pipeline)")
    args = parser.parse_args(argv)
    result = run(args.entities, args.seed, args.keep, cycle=args.cycle)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"demo pipeline at {args.entities:,} entities: {result['demo_pipeline_seconds']} s "
              f"(process {result['demo_wall_seconds']} s, set-up {result['setup_seconds']} s, "
              f"runner {result['dag_runner']})")
        for stage, seconds in (result["stage_seconds"] or {}).items():
            print(f"  {stage:<42} {seconds:>7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
