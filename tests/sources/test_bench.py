"""The ingestion benchmark end to end at a small N: world, stub subprocess, every unit, faults.

It runs ``python -m fingertip_dev.bench.sources`` the way ``scripts/bench.py`` does (a subprocess
printing one JSON object) and checks what the benchmark promises: every entity the world holds is
stored, also when the stub injects 5xx and 429 answers, and Apple ids are looked up in batches.
The 429s say ``Retry-After: 0`` here (``--retry-after 0``; ``make bench`` keeps 1 s): the same faults
and retries without a second of idle wait each; that the hook waits what ``Retry-After`` says is
tests/hooks/test_http.py::test_retry_after_is_honoured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
N = 3000  # large enough that most provinces hold several Apple ids, small enough for ~20 s

TOP_KEYS = {"entities", "backend", "setup_seconds", "seconds", "peak_rss_mb", "stub_peak_rss_mb",
            "requests_per_ios_app", "ios_apps", "apple_requests", "completeness", "completeness_min",
            "faults"}
FAULT_KEYS = {"completeness", "completeness_min", "faults_injected", "retries", "requests_failed", "seconds"}
SOURCES = {"apple", "filings/icp_app", "filings/gov_app", "activity"} | {
    f"android/{s}" for s in ("huawei", "xiaomi", "oppo", "vivo", "honor", "yingyongbao")}


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    keep = tmp_path_factory.mktemp("ingest-bench")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT / "plugins"), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.run(
        [sys.executable, "-m", "fingertip_dev.bench.sources", "--entities", str(N), "--faults", "--retry-after", "0",
         "--json", "--keep", str(keep)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("{")]
    assert lines, proc.stdout[-2000:]
    return json.loads(lines[-1])


@pytest.mark.slow
def test_reports_the_harness_keys(result):
    assert TOP_KEYS <= set(result)
    assert FAULT_KEYS <= set(result["faults"])
    assert result["entities"] == N and result["backend"] == "sqlite"
    assert result["seconds"] > 0 and result["peak_rss_mb"] > 0
    assert set(result["completeness"]) == SOURCES
    # flat copies scripts/bench.py reads
    assert result["faults_completeness_min"] == result["faults"]["completeness_min"]
    assert result["faults_injected"] == result["faults"]["faults_injected"]


@pytest.mark.slow
def test_every_entity_is_stored_without_and_with_faults(result):
    for run in (result, result["faults"]):
        assert run["completeness_min"] == 1.0, run["expected_stored"]
        assert all(v == 1.0 for v in run["completeness"].values()), run["completeness"]
        assert run["mismatched"] == 0 and run["failed_units"] == []
    counts = result["expected_stored"]
    # not vacuous: every source but gov-app filings (the generator makes none) has entities
    assert all(counts[s]["expected"] > 0 for s in SOURCES - {"filings/gov_app"}), counts
    assert result["faults"]["expected_stored"] == counts


@pytest.mark.slow
def test_faults_were_injected_and_retried_not_lost(result):
    faults = result["faults"]
    assert faults["faults_injected"] > 0
    assert faults["faults_by_kind"].get("rate_429", 0) > 0 and faults["faults_by_kind"].get("error_5xx", 0) > 0
    assert faults["knobs"]["retry_after_s"] == 0  # the test's setting reached the stub's knobs
    assert faults["retries"] >= faults["faults_injected"]
    assert faults["requests_failed"] == 0
    # the clean run before it saw no fault at all
    assert result["retries"] == 0 and result["requests_failed"] == 0 and set(result["stub_status"]) == {"200"}


@pytest.mark.slow
def test_apple_ids_are_batched(result):
    assert result["ios_apps"] > 0
    # units are packed with whole batches: exactly ceil(ids / 50) requests for the whole run
    assert result["apple_extra_requests"] == 0
    assert result["requests_per_ios_app"] == result["requests_per_ios_app_ideal"] < 0.03
