"""``make bench``: every benchmark of the project, as JSON (out/bench.json) and a printed table.

Each benchmark runs in its own process (so its peak RSS is its own) and prints one JSON object.
Figures carry their unit, backend and the N they were measured at, and the target they answer to.
These machines are noisy: compare ratios measured in the same run, not absolute seconds across runs.

Usage: python scripts/bench.py [--with-1m] [--with-cluster] [--only NAME] [--sizes 10000,200000]

``--with-cluster`` (``make bench-cluster``; opt-in: about ten minutes at 2,000 entities) adds the daily
cycle on the ``make cluster`` deployment against ``airflow dags test`` (:mod:`fingertip_dev.bench.cluster`).

Two entries time the project's own commands: "make demo pipeline" (``demo_pipeline_seconds``, the
demo's pipeline at the default 10,000 entities in a scratch Airflow home, target ≤ 150 s) and
"make test (whole suite)" (``test_suite_seconds``, the ``make test`` command line, target ≤ 360 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

PG_URL = os.environ.get("FINGERTIP_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Metric:
    key: str          # field of the benchmark's JSON output
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    target_sizes: tuple[int, ...] | None = None  # the target applies at these N only


@dataclass
class Bench:
    name: str
    command: list[str]            # {n} and {url} are substituted
    sizes: list[int]
    backends: list[str]
    metrics: list[Metric]
    targets_by_backend: dict[str, dict[str, float]] | None = None
    # (metric, largest N, base N, target): a derived "<metric>_ratio" row, e.g. 1M/200k time ≤ 5.5
    scaling: tuple[str, int, int, float] | None = None


def benches(with_1m: bool, with_cluster: bool = False) -> list[Bench]:
    load_sizes = [10_000, 200_000] + ([1_000_000] if with_1m else [])
    every = [
        Bench(
            name="generate+load (30 days activity)",
            command=[sys.executable, "-m", "fingertip_dev.bench.sample", "--entities", "{n}", "--store-url", "{url}",
                     "--json"],
            sizes=load_sizes,
            backends=["sqlite", "postgresql"],
            metrics=[
                Metric("rows_per_s", "rows/s"),
                Metric("rows", "rows", None),
                Metric("seconds", "s", None, higher_is_better=False),
                Metric("peak_rss_mb", "MB", 1024, higher_is_better=False),
            ],
            targets_by_backend={"sqlite": {"rows_per_s": 100_000}, "postgresql": {"rows_per_s": 50_000}},
        ),
        Bench(
            name="ingest 1 day via stub (+faults)",
            command=[sys.executable, "-m", "fingertip_dev.bench.sources", "--entities", "{n}", "--faults", "--json"],
            sizes=[10_000, 200_000],
            backends=["sqlite"],
            metrics=[
                Metric("seconds", "s", 120, higher_is_better=False),
                Metric("peak_rss_mb", "MB", 1024, higher_is_better=False),
                Metric("stub_peak_rss_mb", "MB", None, higher_is_better=False),
                Metric("entities_per_s", "ent/s"),
                Metric("requests_per_ios_app", "req/app", 0.02, higher_is_better=False),
                Metric("requests_per_ios_app_ideal", "req/app", None, higher_is_better=False),
                Metric("apple_extra_requests", "requests", 0, higher_is_better=False),
                Metric("completeness_min", "fraction", 1.0),
                Metric("faults_completeness_min", "fraction", 1.0),
                Metric("faults_requests_failed", "requests", 0, higher_is_better=False),
                Metric("faults_injected", "faults", None),
                Metric("faults_retries", "retries", None, higher_is_better=False),
                Metric("faults_seconds", "s", None, higher_is_better=False),
                Metric("setup_seconds", "s", None, higher_is_better=False),
            ],
        ),
        Bench(
            name="Apple lookups + discovery, 1 week via stub",
            command=[sys.executable, "-m", "fingertip_dev.bench.discovery", "--entities", "{n}", "--days", "7",
                     "--json"],
            sizes=[200_000],
            backends=["sqlite"],
            metrics=[
                Metric("apple_requests_per_ios_app_per_day", "req/app/day", 0.03, higher_is_better=False,
                       target_sizes=(200_000,)),
                Metric("discovery_requests_per_ios_app_per_day", "req/app/day", None, higher_is_better=False),
                Metric("discovery_requests_per_day", "requests", None, higher_is_better=False),
                Metric("developer_passes", "passes", None),
                Metric("sponsor_passes", "passes", None),
                Metric("discovered", "listings", None),
                Metric("apple_unregistered_recall", "fraction", None),
                Metric("found_not_planted", "listings", 0, higher_is_better=False),
                Metric("seconds", "s", None, higher_is_better=False),
            ],
        ),
        Bench(
            name="validate inventory (GX, all suites)",
            command=[sys.executable, "-m", "fingertip_dev.bench.quality", "--rows", "{n}", "--json"],
            sizes=[200_000],
            backends=["sqlite"],
            metrics=[
                Metric("seconds", "s", 30, higher_is_better=False),
                Metric("peak_rss_mb", "MB", 1536, higher_is_better=False),
                Metric("gx_to_pandas_ratio", "x", 3, higher_is_better=False),
                Metric("gx_seconds", "s", None, higher_is_better=False),
                Metric("pandas_seconds", "s", None, higher_is_better=False),
            ],
        ),
        Bench(
            name="detect findings (rules engine)",
            command=[sys.executable, "-m", "fingertip_dev.bench.rules", "--entities", "{n}", "--store-url", "{url}",
                     "--json"],
            sizes=[200_000] + ([1_000_000] if with_1m else []),
            backends=["sqlite", "postgresql"],
            metrics=[
                Metric("seconds", "s", 60, higher_is_better=False, target_sizes=(200_000,)),
                Metric("rerun_seconds", "s", None, higher_is_better=False),
                Metric("peak_rss_mb", "MB", 1536, higher_is_better=False),
                Metric("recall", "fraction", 1.0),
                Metric("clean_flagged", "entities", 0, higher_is_better=False),
                Metric("findings", "findings", None),
                Metric("pass_rate", "fraction", None),
            ],
            targets_by_backend={"sqlite": {}, "postgresql": {}},
            scaling=("seconds", 1_000_000, 200_000, 5.5),
        ),
        Bench(
            name="console answers (p95)",
            command=[sys.executable, "-m", "fingertip_dev.bench.console", "--entities", "{n}", "--store-url", "{url}",
                     "--json"],
            sizes=[200_000],
            backends=["sqlite", "postgresql"],
            metrics=[
                Metric("p95_max_ms", "ms", 300, higher_is_better=False),
                Metric("p95_summary_ms", "ms", 300, higher_is_better=False),
                Metric("p95_summary_cold_ms", "ms", None, higher_is_better=False),
                Metric("p95_findings_ms", "ms", 300, higher_is_better=False),
            ],
        ),
        Bench(
            name="advance shutdown cases (+documents)",
            command=[sys.executable, "-m", "fingertip_dev.bench.lifecycle", "--cases", "{n}", "--json"],
            sizes=[1_000],
            backends=["sqlite"],
            metrics=[
                Metric("seconds", "s", 120, higher_is_better=False),
                Metric("peak_rss_mb", "MB", 1024, higher_is_better=False),
                Metric("documents_written", "documents", None),
                Metric("children_peak_rss_mb", "MB", 1024, higher_is_better=False),
            ],
        ),
        Bench(
            name="quarterly report",
            command=[sys.executable, "-m", "fingertip_dev.bench.reports", "--entities", "{n}"],
            sizes=[200_000],
            backends=["sqlite"],
            metrics=[
                Metric("seconds", "s", 60, higher_is_better=False),
                Metric("peak_rss_mb", "MB", 1536, higher_is_better=False),
                Metric("figures_seconds", "s", None, higher_is_better=False),
                Metric("charts_seconds", "s", None, higher_is_better=False),
                Metric("documents_seconds", "s", None, higher_is_better=False),
            ],
        ),
        Bench(
            name="make demo pipeline",
            command=[sys.executable, "-m", "fingertip_dev.bench.demo", "--entities", "{n}", "--json"],
            sizes=[10_000],
            backends=["sqlite"],
            metrics=[
                Metric("demo_pipeline_seconds", "s", 150, higher_is_better=False),
                Metric("demo_wall_seconds", "s", None, higher_is_better=False),
                Metric("setup_seconds", "s", None, higher_is_better=False),
            ],
        ),
        Bench(
            name="make test (whole suite)",
            command=[sys.executable, "-m", "fingertip_dev.bench.test_suite", "--json"],
            sizes=[0],  # N does not apply: the whole suite
            backends=["sqlite"],
            metrics=[
                Metric("test_suite_seconds", "s", 360, higher_is_better=False),
                Metric("cpu_seconds", "s", None, higher_is_better=False),
                Metric("passed", "tests", None),
                Metric("failed", "tests", 0, higher_is_better=False),
                Metric("errors", "tests", 0, higher_is_better=False),
            ],
        ),
        Bench(
            # Reads out/mutation.json of the last `make mutation` (the full run is too long to repeat
            # here); without it, runs the one-module CI smoke (see dev/fingertip_dev/mutation/bench.py).
            name="mutation testing (make mutation)",
            command=[sys.executable, "-m", "fingertip_dev.mutation.bench"],
            sizes=[0],
            backends=["sqlite"],
            metrics=[
                Metric("min_score", "%", 85),
                Metric("modules_below_85", "modules", 0, higher_is_better=False),
                Metric("wall_seconds", "s", 1200, higher_is_better=False),
                Metric("cpu_seconds", "s", None, higher_is_better=False),
                *(Metric(f"score_{m}", "%", 85) for m in (
                    "fingertip.identifiers", "fingertip.rules.conditions", "fingertip.rules.policy",
                    "fingertip_dev.evaluation", "fingertip.reports.periods", "fingertip.notifications.ledger",
                    "fingertip.lifecycle.cases", "fingertip.quality.promote")),
            ],
        ),
        Bench(
            name="hostile corpus through every writer (examples per writer)",
            command=[sys.executable, "-m", "fingertip_dev.bench.corpus", "--examples", "{n}", "--json"],
            sizes=[1000],
            backends=["sqlite"],
            metrics=[
                Metric("corpus_seconds", "s", None, higher_is_better=False),
                Metric("cpu_seconds", "s", None, higher_is_better=False),
                Metric("passed", "tests", None),
                Metric("failed", "tests", 0, higher_is_better=False),
            ],
        ),
        Bench(
            # tests/quality/test_corpus.py's big_csv case at full size (the suite runs 8,009 rows)
            name="inventory intake, one big CSV (import + validate)",
            command=[sys.executable, "-m", "fingertip_dev.bench.intake", "--rows", "{n}", "--json"],
            sizes=[100_000],
            backends=["sqlite"],
            metrics=[
                Metric("intake_seconds", "s", None, higher_is_better=False),
                Metric("cpu_seconds", "s", None, higher_is_better=False),
                Metric("passed", "tests", 1),
                Metric("failed", "tests", 0, higher_is_better=False),
            ],
        ),
        Bench(
            name="mail ledger (500 mails, 200 KB each)",
            command=[sys.executable, "-m", "fingertip_dev.bench.notifications", "--messages", "{n}",
                     "--store-url", "{url}"],
            sizes=[500],
            backends=["sqlite", "postgresql"],
            metrics=[
                Metric("messages_per_s", "msg/s"),
                Metric("peak_rss_mb", "MB", 1024, higher_is_better=False),
                Metric("second_deliver_sent", "mails", 0, higher_is_better=False),
            ],
        ),
    ]
    cluster = [
        Bench(
            name="daily cycle: Celery cluster vs airflow dags test",
            command=[sys.executable, "-m", "fingertip_dev.bench.cluster", "--entities", "{n}", "--json"],
            sizes=[2_000],  # 200k (the figure): CLUSTER_BENCH_SIZES=200000, about 27 minutes
            backends=["postgresql"],
            metrics=[
                Metric("ratio", "×", 1.2, higher_is_better=False),
                Metric("cluster_pipeline_seconds", "s", None, higher_is_better=False),
                Metric("dags_test_pipeline_seconds", "s", None, higher_is_better=False),
                Metric("dags_test_whole_pipeline_seconds", "s", None, higher_is_better=False),
                Metric("same_runs_ratio", "×", None, higher_is_better=False),
                Metric("same_runs_cluster_seconds", "s", None, higher_is_better=False),
                Metric("same_runs_dags_test_seconds", "s", None, higher_is_better=False),
                Metric("scheduler_tasks_per_second", "tasks/s", None),
                Metric("worker1_peak_rss_mb", "MB", None, higher_is_better=False),
                Metric("worker2_peak_rss_mb", "MB", None, higher_is_better=False),
                Metric("cluster_recall", "", 1.0),
                Metric("load_average_mean_cluster", "", None, higher_is_better=False),
                Metric("load_average_mean_dags_test", "", None, higher_is_better=False),
            ],
        ),
    ]
    return every + (cluster if with_cluster else [])


def pg_available() -> str | None:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 — any driver or network error means "no PostgreSQL here"
        return f"{exc.__class__.__name__}"


def run_one(bench: Bench, n: int, backend: str, tmp: Path) -> dict:
    url = PG_URL if backend == "postgresql" else f"sqlite:///{tmp / f'bench-{n}.db'}"
    cmd = [part.format(n=n, url=url) for part in bench.command]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'plugins'}:{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        # the last lines, not only the last one: a failing driver's reason is usually above its closing line
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-40:] or ["failed"]}
    line = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("{")][-1]
    return json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--with-1m", action="store_true", help="also run N = 1,000,000 where the bench allows")
    parser.add_argument("--with-cluster", action="store_true",
                        help="also the daily cycle on the Celery cluster vs airflow dags test (long)")
    parser.add_argument("--only", help="run benchmarks whose name contains this")
    parser.add_argument("--sizes", help="comma-separated N values, overriding each bench's sizes")
    args = parser.parse_args(argv)

    from fingertip import config

    tmp = config.data_dir() / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    pg_problem = pg_available()
    results = []
    details = []  # each run's whole output (stage and per-DAG figures behind the metrics)
    raw: dict[tuple[str, str], dict[int, dict]] = {}
    for bench in benches(args.with_1m, args.with_cluster):
        if args.only and args.only not in bench.name:
            continue
        sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else bench.sizes
        for backend in bench.backends:
            for n in sizes:
                if backend == "postgresql" and pg_problem:
                    results.append({"bench": bench.name, "backend": backend, "n": n,
                                    "skipped": f"PostgreSQL unavailable ({pg_problem})"})
                    continue
                print(f"running {bench.name} backend={backend}" + (f" N={n:,}" if n else "") + " …", flush=True)
                out = run_one(bench, n, backend, tmp)
                for file in tmp.glob(f"bench-{n}.db*"):
                    file.unlink()
                if "error" in out:
                    results.append({"bench": bench.name, "backend": backend, "n": n, "error": out["error"]})
                    continue
                details.append({"bench": bench.name, "backend": backend, "n": n, "output": out})
                if bench.scaling:
                    raw.setdefault((bench.name, backend), {})[n] = out
                results += metric_rows(bench, out, backend, n)

    results += scaling_rows(benches(args.with_1m, args.with_cluster), raw)
    report = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "results": results,
        "details": details,
    }
    out_dir = Path(config.output_url().removeprefix("file://"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print_table(results)
    print(f"\nwritten: {out_dir / 'bench.json'}")
    return 1 if any("error" in r for r in results) else 0


def metric_rows(bench: Bench, out: dict, backend: str, n: int) -> list[dict]:
    """One result row per metric of ``bench`` present in its output, judged against its target."""
    rows = []
    for m in bench.metrics:
        if m.key not in out:
            continue
        target = (bench.targets_by_backend or {}).get(backend, {}).get(m.key, m.target)
        if m.target_sizes is not None and n not in m.target_sizes:
            target = None
        value = out[m.key]
        ok = None if target is None else (value >= target if m.higher_is_better else value <= target)
        rows.append({"bench": bench.name, "metric": m.key, "value": value, "unit": m.unit,
                     "backend": backend, "n": n, "target": target,
                     "target_kind": ">=" if m.higher_is_better else "<=", "meets_target": ok})
    return rows


def scaling_rows(all_benches: list[Bench], raw: dict[tuple[str, str], dict[int, dict]]) -> list[dict]:
    """The big-N / base-N time ratio of each scaling benchmark measured at both sizes in this run."""
    rows = []
    for bench in all_benches:
        if not bench.scaling:
            continue
        key, big, base, target = bench.scaling
        for backend in bench.backends:
            got = raw.get((bench.name, backend), {})
            if big in got and base in got and got[base].get(key):
                ratio = round(got[big][key] / got[base][key], 2)
                rows.append({"bench": bench.name, "metric": f"{key}_ratio_{big // 1000}k_{base // 1000}k",
                             "value": ratio, "unit": "x", "backend": backend, "n": big, "target": target,
                             "target_kind": "<=", "meets_target": ratio <= target})
    return rows


def print_table(results: list[dict]) -> None:
    print(f"\n{'benchmark':<36} {'backend':<10} {'N':>10} {'metric':<28} {'value':>14} {'unit':<9} target")
    for r in results:
        if "metric" not in r:
            note = r.get("skipped") or f"ERROR {r.get('error')}"
            print(f"{r['bench']:<36} {r['backend']:<10} {_n(r['n']):>10} {note}")
            continue
        v = r["value"]
        val = (f"{v:.5f}" if isinstance(v, float) and abs(v) < 1 else f"{v:,.1f}" if isinstance(v, float)
               else f"{v:,}")
        tgt = "" if r["target"] is None else f"{r['target_kind']} {r['target']:,} {'ok' if r['meets_target'] else 'MISSED'}"
        print(f"{r['bench']:<36} {r['backend']:<10} {_n(r['n']):>10} {r['metric']:<28} {val:>14} {r['unit']:<9} {tgt}")


def _n(n: int) -> str:
    return f"{n:,}" if n else "—"


if __name__ == "__main__":
    sys.exit(main())
