"""Benchmark: ingest one day of a generated world over HTTP from the stub, print one JSON object.

``python -m fingertip_dev.bench.sources --entities N [--faults] [--retry-after S] [--json] [--keep DIR] [--profile FILE]``

Setup (not timed, reported as ``setup_seconds``) runs in a child process, so the peak RSS reported
for the ingestion is the ingestion's own: generate the world (``world.db``, N entities, fixed seed
and as-of date, 30 days of account activity), publish its inventory into a fresh SQLite governance
store (``store.db``; with ``--faults`` a second one, ``store-faults.db``), and start the stub source
server as a subprocess on a free loopback port.

Timed: one day (the as-of date) ingested as the DAGs do it, one unit after the other in this
process: Apple per province (rate limit off, batches of 50 ids), Android per store (pages of 500),
ICP and gov-app filings per province (pages of 500), account activity per province (pages of 1000).

Then completeness: for every source, the entities the world says the sources know (expected) and
how many of them the governance store holds for that day (stored), matched key by key, with the
number of stored entities whose main value disagrees with the world (``mismatched``).

With ``--faults`` the same day is ingested again into the second store with the stub injecting
5xx (10 %), 429 with ``Retry-After: 1`` (5 %), at most 2 consecutive faults per request, and hooks
allowed 4 attempts: every entity must still be stored. ``--retry-after 0`` (tests/sources/test_bench.py)
answers the 429s with ``Retry-After: 0``: the same faults and retries without the idle second each
(that the hook waits what ``Retry-After`` says is tests/hooks/test_http.py's).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import functools
import json
import logging
import math
import multiprocessing
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

SEED = 20261123
AS_OF = dt.date(2026, 6, 30)
APPLE_BATCH = 50
FAULTS = {"error_5xx_rate": 0.10, "rate_429": 0.05, "retry_after_s": 1, "seed": 11,
          "max_consecutive_faults": 2}
#: Connection extras per connection id, as in airflow_settings.yaml but with Apple's rate limit off.
EXTRAS = {
    "apple_itunes": {"country": "cn", "batch_size": APPLE_BATCH, "requests_per_minute": 0},
    "android_listing_feed": {"page_size": 500, "requests_per_minute": 0},
    "filing_registry": {"page_size": 500, "requests_per_minute": 0},
    "account_activity_feed": {"page_size": 1000, "requests_per_minute": 0},
}
FAULT_EXTRAS = {"max_attempts": 4, "backoff_factor": 0.05}

# --- setup (child process) -----------------------------------------------------------------------

def _setup(tmp: str, entities: int, seed: int, as_of: dt.date, stores: list[str]) -> dict:
    """Generate the world and publish its inventory into each store; runs in a spawned child."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from fingertip_dev.sample.load import generate_into_store
    from fingertip_dev.sample.publish import publish_inventory

    world_url = f"sqlite:///{Path(tmp) / 'world.db'}"
    started = time.perf_counter()
    generated = generate_into_store(world_url, entities, seed, as_of, None, inventory=False)
    generate_s = time.perf_counter() - started
    published = {}
    for name in stores:
        published[name] = publish_inventory(world_url, f"sqlite:///{Path(tmp) / name}")["copied"]
    return {"generate_seconds": round(generate_s, 2), "world_rows": generated["rows"],
            "published": published[stores[0]],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def setup_in_child(tmp: Path, entities: int, seed: int, as_of: dt.date, stores: list[str]) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_setup, str(tmp), entities, seed, as_of, stores).result()


# --- stub admin ----------------------------------------------------------------------------------

def _admin(base_url: str, path: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base_url + path, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode("utf-8"))


def _proc_status(pid: int | str, field: str) -> float | None:
    """A ``/proc/<pid>/status`` memory field (``VmHWM``, ``VmRSS``) in MB, or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _proc_cpu_seconds(pid: int | str) -> float | None:
    """User + system CPU seconds of a process so far (``/proc/<pid>/stat``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _reset_peak(pid: int | str) -> bool:
    """Reset VmHWM of a process we own (Linux ``clear_refs`` 5); False when not possible."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def set_connections(base_url: str, extra: dict | None = None) -> None:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    for conn_id, extras in EXTRAS.items():
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({
            "conn_type": "http", "host": host, "port": int(port), "schema": "http",
            "extra": {**extras, **(extra or {})}})


# --- the timed ingestion ---------------------------------------------------------------------------

@contextlib.contextmanager
def time_split(acc: Counter):
    """Accumulate wall seconds spent fetching (``get_json``: HTTP round trip, the stub's work, JSON
    decoding) and writing the governance store (``record_*`` and ``log_batch``) while active, keyed
    ``(source, what)`` with the source :func:`ingest_day` is running (``_CURRENT``)."""
    from fingertip.hooks.http import SourceHttpHook
    from fingertip.sources import ingest

    def probe(fn, key):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                acc[(_CURRENT[0], key)] += time.perf_counter() - started
        return wrapper

    patched = [(SourceHttpHook, "get_json", "fetch")] + [
        (ingest, name, "store_writes") for name in ("record_listings", "record_filings", "record_activity",
                                                    "log_batch")]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, key in patched:
        setattr(owner, name, probe(getattr(owner, name), key))
    try:
        yield acc
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)


_CURRENT: list[str | None] = [None]


def ingest_day(store_url: str, day: dt.date) -> dict:
    """Every ingestion unit of one day, in DAG order; returns the summaries and unit failures."""
    from fingertip.hooks.activity import AccountActivityHook
    from fingertip.hooks.android import ANDROID_STORES, AndroidFeedHook
    from fingertip.hooks.apple import AppleLookupHook
    from fingertip.hooks.filings import FilingRegistryHook
    from fingertip.sources import ingest
    from fingertip.store import schema
    from fingertip.store.engine import create_store_engine

    engine = create_store_engine(store_url)
    summaries: dict[str, list[dict]] = {k: [] for k in ("apple", "android", "icp_app", "gov_app", "activity")}
    failed_units: list[str] = []
    seconds: Counter = Counter()

    def run(source: str, label: str, fn, *args, **kwargs) -> None:
        _CURRENT[0] = source
        started = time.perf_counter()
        try:
            summaries[source].append(fn(*args, **kwargs))
        except ingest.NothingFetched as exc:  # Airflow would retry the task
            failed_units.append(f"{label}: {exc}")
        seconds[source] += time.perf_counter() - started

    try:
        app_provinces = ingest.provinces_of(engine, schema.apps)
        for unit in ingest.apple_lookup_units(engine, batch_size=int(EXTRAS["apple_itunes"]["batch_size"])):
            run("apple", unit["label"], ingest.ingest_apple, engine, AppleLookupHook(), ids=unit["ids"],
                unit=unit["label"], day=day)
        for store in ANDROID_STORES:
            run("android", f"android/{store}", ingest.ingest_android, engine, AndroidFeedHook(),
                store=store, day=day)
        for kind in ("icp_app", "gov_app"):
            for province in app_provinces:
                run(kind, f"filings/{kind}/{province}", ingest.ingest_filings, engine, FilingRegistryHook(),
                    province=province, day=day, kind=kind)
        for province in ingest.provinces_of(engine, schema.accounts):
            run("activity", f"activity/{province}", ingest.ingest_activity, engine, AccountActivityHook(),
                province=province, day=day)
    finally:
        engine.dispose()
    return {"summaries": summaries, "failed_units": failed_units, "apple_provinces": len(app_provinces),
            "seconds_by_source": {k: round(v, 2) for k, v in seconds.items()}}


def _split(acc: Counter, seconds: float, by_source: dict[str, float]) -> dict:
    """Seconds fetching / writing the store / other (parsing items, id queries, hooks), overall and
    per source."""
    def one(total: float, source: str | None) -> dict[str, float]:
        fetch = sum(v for (s_, k), v in acc.items() if k == "fetch" and source in (None, s_))
        writes = sum(v for (s_, k), v in acc.items() if k == "store_writes" and source in (None, s_))
        return {"fetch": round(fetch, 2), "store_writes": round(writes, 2),
                "other": round(total - fetch - writes, 2)}

    return {**one(seconds, None), "by_source": {s_: one(v, s_) for s_, v in by_source.items()}}


def _totals(summaries: dict[str, list[dict]]) -> dict[str, int]:
    out: Counter = Counter()
    for items in summaries.values():
        for summary in items:
            for key in ("requests_ok", "requests_failed", "failed_ids", "rejected"):
                out[key] += int(summary.get(key, 0))
            for key in ("requests", "retries"):
                out[f"http_{key}"] += int(summary.get("http", {}).get(key, 0))
    return dict(out)


# --- completeness ----------------------------------------------------------------------------------

_APPLE = """
SELECT count(*), count(ss.listing_id),
       coalesce(sum(ss.listing_id IS NOT NULL AND ss.present != coalesce(wl.available, 0)), 0)
FROM w.apps a
LEFT JOIN w.store_listings wl ON wl.store = 'apple' AND wl.store_app_id = CAST(a.apple_track_id AS TEXT)
LEFT JOIN main.store_listings sl ON sl.store = 'apple' AND sl.store_app_id = CAST(a.apple_track_id AS TEXT)
LEFT JOIN main.listing_snapshots ss ON ss.listing_id = sl.id AND ss.snapshot_date = :day
WHERE a.apple_track_id IS NOT NULL AND a.status != 'closed'
"""
_ANDROID = """
SELECT wl.store, count(*), count(ss.listing_id),
       coalesce(sum(ss.listing_id IS NOT NULL AND ss.present != wl.available), 0)
FROM w.store_listings wl
LEFT JOIN main.store_listings sl ON sl.store = wl.store AND sl.store_app_id = wl.store_app_id
LEFT JOIN main.listing_snapshots ss ON ss.listing_id = sl.id AND ss.snapshot_date = :day
WHERE wl.store = :store
"""
_FILINGS = """
SELECT count(*), count(f.id), coalesce(sum(f.id IS NOT NULL AND f.status != wf.status), 0)
FROM w.filings wf
LEFT JOIN main.filings f ON f.filing_kind = wf.filing_kind AND f.service_licence = wf.service_licence
WHERE wf.filing_kind = :kind
"""
_ACTIVITY = """
SELECT count(*), count(aa.account_id),
       coalesce(sum(aa.account_id IS NOT NULL
                    AND (aa.posts_30d != wa.posts_30d OR aa.followers != wa.followers
                         OR aa.unanswered_messages != wa.unanswered_messages)), 0)
FROM w.account_activity wa
JOIN w.accounts wacc ON wacc.id = wa.account_id
LEFT JOIN main.accounts sacc
       ON sacc.platform = wacc.platform AND sacc.platform_account_id = wacc.platform_account_id
LEFT JOIN main.account_activity aa ON aa.account_id = sacc.id AND aa.activity_date = :day
WHERE wa.activity_date = :day
"""


def completeness(world_path: Path, store_path: Path, day: dt.date) -> dict[str, dict[str, int]]:
    """Expected (world) vs stored (governance store) entities per source, matched by key.

    apple: inventory apps with an Apple id (not closed) → a snapshot of that day;
    android/<store>: every listing the store's feed serves → a snapshot of that day;
    filings/<kind>: every filing of the kind → a filing row; activity: every account with activity
    on that day → an ``account_activity`` row of that day. ``mismatched``: stored, but the present
    flag / status / counts disagree with the world.
    """
    from fingertip.hooks.android import ANDROID_STORES

    conn = sqlite3.connect(store_path)
    try:
        conn.execute("ATTACH DATABASE ? AS w", (str(world_path),))
        params = {"day": day.isoformat()}
        out: dict[str, dict[str, int]] = {}

        def put(name: str, row) -> None:
            expected, stored, mismatched = (int(v or 0) for v in row)
            out[name] = {"expected": expected, "stored": stored, "mismatched": mismatched}

        put("apple", conn.execute(_APPLE, params).fetchone())
        for store in ANDROID_STORES:
            put(f"android/{store}", conn.execute(_ANDROID, {**params, "store": store}).fetchone()[1:])
        for kind in ("icp_app", "gov_app"):
            put(f"filings/{kind}", conn.execute(_FILINGS, {"kind": kind}).fetchone())
        put("activity", conn.execute(_ACTIVITY, params).fetchone())
        return out
    finally:
        conn.close()


def _fractions(counts: dict[str, dict[str, int]]) -> tuple[dict[str, float], float]:
    """stored/expected per source (1.0 when nothing was expected); and the minimum."""
    fr = {name: (round(c["stored"] / c["expected"], 6) if c["expected"] else 1.0)
          for name, c in counts.items()}
    return fr, min(fr.values())


# --- one run ------------------------------------------------------------------------------------

def timed_run(store_path: Path, world_path: Path, base_url: str, stub_pid: int, day: dt.date,
              profile: str | None = None) -> dict:
    # imports are not part of the timing
    import fingertip.hooks.activity  # noqa: F401
    import fingertip.hooks.android  # noqa: F401
    import fingertip.hooks.apple  # noqa: F401
    import fingertip.hooks.filings  # noqa: F401
    import fingertip.sources.ingest  # noqa: F401

    _admin(base_url, "/_admin/reset", {})
    _reset_peak(stub_pid)
    own_peak_reset = _reset_peak("self")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    stub_cpu = _proc_cpu_seconds(stub_pid)
    own_cpu = _proc_cpu_seconds("self")
    split: Counter = Counter()
    started = time.perf_counter()
    with time_split(split):
        result = ingest_day(f"sqlite:///{store_path}", day)
    seconds = time.perf_counter() - started
    own_cpu = None if own_cpu is None else _proc_cpu_seconds("self") - own_cpu
    stub_cpu = None if stub_cpu is None else _proc_cpu_seconds(stub_pid) - stub_cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    counters = _admin(base_url, "/_admin/counters")
    out = {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "vm_hwm_mb": _proc_status("self", "VmHWM") if own_peak_reset else None,
        "stub_peak_rss_mb": _proc_status(stub_pid, "VmHWM"),
        # where the wall time went: this process's CPU (ingest + HTTP client) and the stub's
        "cpu_seconds": None if own_cpu is None else round(own_cpu, 2),
        "stub_cpu_seconds": None if stub_cpu is None else round(stub_cpu, 2),
        "time_split": _split(split, seconds, result["seconds_by_source"]),
    }
    summaries = result["summaries"]
    ios_apps = sum(int(s_.get("ids", 0)) for s_ in summaries["apple"])
    apple_requests = int(counters["requests"].get("apple_lookup", 0))
    batch = int(EXTRAS["apple_itunes"]["batch_size"])
    per_unit = sum(math.ceil(int(s_.get("ids", 0)) / batch) for s_ in summaries["apple"])
    counts = completeness(world_path, store_path, day)
    fractions, minimum = _fractions(counts)
    totals = _totals(summaries)
    out.update({
        "ios_apps": ios_apps,
        "apple_requests": apple_requests,
        "apple_provinces": result["apple_provinces"],
        "requests_per_ios_app": round(apple_requests / ios_apps, 5) if ios_apps else None,
        # ceil(ids / batch) / ids: the floor for this many ids (units are packed with whole batches)
        "requests_per_ios_app_ideal": round(math.ceil(ios_apps / batch) / ios_apps, 5) if ios_apps else None,
        # lookups beyond one per started batch of each unit (0 = batching wastes nothing)
        "apple_extra_requests": apple_requests - per_unit,
        "stub_requests": int(counters["total"]),
        "stub_requests_by_endpoint": counters["requests"],
        "stub_status": counters["status"],
        "faults_injected": int(counters.get("faults_total", 0)),
        "faults_by_kind": {k: v for k, v in counters.get("faults", {}).items() if v},
        "retries": totals.get("http_retries", 0),
        "requests_failed": totals.get("requests_failed", 0),
        "failed_ids": totals.get("failed_ids", 0),
        "rejected": totals.get("rejected", 0),
        "units": sum(len(v) for v in summaries.values()) + len(result["failed_units"]),
        "failed_units": result["failed_units"],
        "seconds_by_source": result["seconds_by_source"],
        "entities_stored": sum(c["stored"] for c in counts.values()),
        "completeness": fractions,
        "completeness_min": minimum,
        "expected_stored": counts,
        "mismatched": sum(c["mismatched"] for c in counts.values()),
    })
    out["entities_per_s"] = round(out["entities_stored"] / seconds, 1) if seconds > 0 else None
    return out


def run(entities: int, *, faults: bool = False, keep: Path | None = None, seed: int = SEED,
        as_of: dt.date = AS_OF, profile: str | None = None, retry_after_s: int | None = None) -> dict:
    from fingertip_dev.stub.process import start_subprocess, stop_subprocess

    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="fingertip-ingest-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    for name in ("world.db", "store.db", "store-faults.db"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            (tmp / f"{name}{suffix}").unlink(missing_ok=True)
    world_path, store_path, faults_path = tmp / "world.db", tmp / "store.db", tmp / "store-faults.db"
    stores = ["store.db"] + (["store-faults.db"] if faults else [])
    proc = None
    started = time.perf_counter()
    try:
        setup = setup_in_child(tmp, entities, seed, as_of, stores)
        proc, base_url = start_subprocess(world_path, port=0, log_path=tmp / "stub.log")
        setup_seconds = time.perf_counter() - started
        set_connections(base_url)
        clean = timed_run(store_path, world_path, base_url, proc.pid, as_of, profile=profile)
        faulted = None
        if faults:
            knobs = FAULTS if retry_after_s is None else {**FAULTS, "retry_after_s": retry_after_s}
            _admin(base_url, "/_admin/faults", knobs)
            set_connections(base_url, FAULT_EXTRAS)
            faulted = timed_run(faults_path, world_path, base_url, proc.pid, as_of)
            _admin(base_url, "/_admin/reset", {"faults": True})
    finally:
        if proc is not None:
            stop_subprocess(proc)
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    keys_faults = ("seconds", "completeness", "completeness_min", "expected_stored", "faults_injected",
                   "faults_by_kind", "retries", "requests_failed", "failed_ids", "failed_units", "mismatched",
                   "apple_requests", "requests_per_ios_app", "stub_requests", "stub_status", "vm_hwm_mb",
                   "stub_peak_rss_mb", "seconds_by_source", "cpu_seconds", "stub_cpu_seconds", "time_split")
    return {
        "entities": entities,
        "backend": "sqlite",
        "seed": seed,
        "day": as_of.isoformat(),
        "setup_seconds": round(setup_seconds, 2),
        "setup": setup,
        **{k: v for k, v in clean.items() if k not in ("faults_injected", "faults_by_kind")},
        "faults": None if faulted is None else {"knobs": knobs, "hook_extras": FAULT_EXTRAS,
                                                **{k: faulted[k] for k in keys_faults}},
        # flat copies for scripts/bench.py, which reads top-level keys only
        **{f"faults_{k}": (None if faulted is None else faulted[k])
           for k in ("completeness_min", "seconds", "retries", "requests_failed")},
        "faults_injected": None if faulted is None else faulted["faults_injected"],
        "kept": str(tmp) if keep else None,
    }


def _print_human(r: dict) -> None:
    print(f"ingest one day, {r['entities']:,} entities ({r['backend']}): setup {r['setup_seconds']} s, "
          f"ingestion {r['seconds']} s ({r['entities_per_s']:,} entities/s), peak RSS {r['peak_rss_mb']} MB, "
          f"stub peak RSS {r['stub_peak_rss_mb']} MB; CPU s: ingest {r['cpu_seconds']}, "
          f"stub {r['stub_cpu_seconds']}")
    print(f"  apple: {r['apple_requests']} lookups for {r['ios_apps']} ids = {r['requests_per_ios_app']} "
          f"per app (floor ceil(ids/batch)/ids = {r['requests_per_ios_app_ideal']})")
    split = r["time_split"]
    print(f"  split: fetch {split['fetch']} s, store writes {split['store_writes']} s, "
          f"other {split['other']} s")
    for source, part in split["by_source"].items():
        print(f"    {source:<10} {r['seconds_by_source'][source]:>7} s  {part}")
    for label, run_ in (("clean", r), ("faults", r["faults"])):
        if run_ is None:
            continue
        print(f"  completeness ({label}): min {run_['completeness_min']}")
        for name, c in run_["expected_stored"].items():
            print(f"    {name:<22} expected {c['expected']:>8,}  stored {c['stored']:>8,}  "
                  f"mismatched {c['mismatched']:>4}  {run_['completeness'][name]:.4f}")
    f = r["faults"]
    if f:
        print(f"  faults: {f['faults_injected']} injected {f['faults_by_kind']}, {f['retries']} retries, "
              f"{f['requests_failed']} requests failed, {f['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.sources",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, required=True)
    parser.add_argument("--faults", action="store_true", help="also ingest into a second store under faults")
    parser.add_argument("--retry-after", type=int, default=None, metavar="S",
                        help=f"Retry-After seconds of the injected 429s (default {FAULTS['retry_after_s']})")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep world, stores and stub log")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--profile", help="write cProfile stats of the clean timed ingestion to this file")
    parser.add_argument("--verbose", action="store_true",
                        help="log ingestion summaries and retries (Airflow's hook log lines go to stdout)")
    args = parser.parse_args(argv)
    # Airflow's task-SDK logging (hooks' retry lines) goes to stdout at the level of this setting
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO" if args.verbose else "WARNING"
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    for name in ("fingertip", "airflow"):
        logging.getLogger(name).setLevel(logging.INFO if args.verbose else logging.WARNING)
    result = run(args.entities, faults=args.faults, keep=args.keep, seed=args.seed, profile=args.profile,
                 retry_after_s=args.retry_after)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_human(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
