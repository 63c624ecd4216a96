"""The cluster benchmark's own arithmetic and its signal hand-over (``fingertip_dev.bench.cluster``):
the per-DAG pairing behind ``same_runs_ratio``/``dag_runs_match``, and that a signal to the benchmark
reaches the command it runs (which stops the cluster it started) instead of orphaning it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fingertip_dev.bench.cluster import _same_runs


def _run(dag_id: str, seconds: float, run_after: str) -> dict:
    return {"dag_id": dag_id, "seconds": seconds, "run_after": run_after}


def test_same_runs_pairs_each_dag_with_the_clusters_last_runs():
    cluster = [_run("ingest_app_store", 50, "2026-12-06T01:00"), _run("ingest_app_store", 7, "2026-12-06T00:00"),
               _run("ingest_app_store", 9, "2026-12-06T02:00"), _run("detect_findings", 30, "2026-12-06T03:00")]
    sequential = [{"dag_id": "ingest_app_store", "seconds": 40}, {"dag_id": "ingest_app_store", "seconds": 8},
                  {"dag_id": "detect_findings", "seconds": 20}]
    result = _same_runs(cluster, sequential)
    # the cluster's two latest ingest runs by run_after (50 + 9), not the first two listed
    assert result["by_dag"]["ingest_app_store"] == {"cluster": 59.0, "dags_test": 48.0, "cluster_runs": 2,
                                                    "dags_test_runs": 2}
    assert (result["cluster"], result["dags_test"]) == (89.0, 68.0)
    assert result["ratio"] == round(89 / 68, 3)
    assert result["match"] is False  # three ingest runs on the cluster against two
    assert result["runs"] == {"detect_findings": {"cluster": 1, "dags_test": 1},
                              "ingest_app_store": {"cluster": 3, "dags_test": 2}}


def test_dag_runs_match_only_when_every_dag_ran_equally_often_on_both():
    cluster = [_run("a", 1, "1"), _run("a", 1, "2"), _run("b", 1, "3")]
    assert _same_runs(cluster, [{"dag_id": "a", "seconds": 1}, {"dag_id": "a", "seconds": 1},
                                {"dag_id": "b", "seconds": 1}])["match"] is True
    # a DAG only the cluster ran
    assert _same_runs(cluster + [_run("c", 1, "4")], [{"dag_id": "a", "seconds": 1}, {"dag_id": "a", "seconds": 1},
                                                      {"dag_id": "b", "seconds": 1}])["match"] is False
    assert _same_runs([], [])["match"] is False and _same_runs([], [])["ratio"] is None


def test_a_signal_to_the_benchmark_is_passed_on_to_the_cluster_command(tmp_path: Path):
    """The benchmark runs the cluster command as a child; SIGTERM to the benchmark must reach the child
    (whose handler stops what it started) and the benchmark must wait for it, then stop with a message."""
    child = tmp_path / "child.py"
    child.write_text(textwrap.dedent(f"""
        import pathlib, signal, sys, time
        def stop(signum, frame):
            pathlib.Path({str(tmp_path / 'stopped')!r}).write_text(str(signum))
            sys.exit(3)
        signal.signal(signal.SIGTERM, stop)
        pathlib.Path({str(tmp_path / 'started')!r}).write_text("1")
        time.sleep(60)
    """))
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from fingertip_dev.bench.cluster import _run_forwarding_signals
        _run_forwarding_signals([sys.executable, {str(child)!r}], Path({str(tmp_path / 'child.log')!r}))
    """))
    proc = subprocess.Popen([sys.executable, str(driver)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert (tmp_path / "stopped").read_text() == str(int(signal.SIGTERM))
    assert proc.returncode == 1
    assert "stopped by signal 15" in err and "exit 3" in err
