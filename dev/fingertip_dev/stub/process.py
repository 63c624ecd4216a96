"""Run the stub as a child process (the demo and the benchmarks use this)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fingertip

_PLUGINS_DIR = Path(fingertip.__file__).resolve().parent.parent


def start_subprocess(world_path: str | Path, port: int = 0, faults: Mapping[str, Any] | None = None,
                     log_path: str | Path | None = None, host: str = "127.0.0.1",
                     timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Start ``python -m fingertip_dev.stub`` and wait until ``/_admin/health`` answers.

    ``port=0`` picks a free port. Output goes to ``log_path`` (default: a temporary folder). Returns the
    process and the base URL; stop it with :func:`stop_subprocess`. Raises RuntimeError (with the
    log's tail) when the server does not come up within ``timeout`` seconds.
    """
    scratch = Path(tempfile.mkdtemp(prefix="fingertip-stub-"))
    ready = scratch / "ready"
    cmd = [sys.executable, "-m", "fingertip_dev.stub", "--world", str(world_path), "--host", host,
           "--port", str(port), "--ready-file", str(ready)]
    if faults:
        cmd += ["--faults", json.dumps(dict(faults))]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PLUGINS_DIR), env.get("PYTHONPATH")) if p)
    log_file = Path(log_path) if log_path else scratch / "stub.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        base_url = _wait_ready(proc, ready, timeout)
    except BaseException:  # noqa: BLE001 — also on KeyboardInterrupt: the stub process must not outlive a failed start
        stop_subprocess(proc)
        tail = _tail(log_file)
        if not log_path:
            shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(f"stub did not start ({' '.join(cmd)}):\n{tail}") from None
    if log_path:
        shutil.rmtree(scratch, ignore_errors=True)  # otherwise it holds the log
    return proc, base_url


def _wait_ready(proc: subprocess.Popen, ready: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    base_url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"stub exited with code {proc.returncode}")
        if base_url is None and ready.exists():
            base_url = ready.read_text(encoding="utf-8").strip()
        if base_url is not None and health(base_url, timeout=2.0):
            return base_url
        time.sleep(0.05)
    raise TimeoutError(f"stub not ready after {timeout} s")


def health(base_url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The stub's ``/_admin/health`` answer, or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{base_url}/_admin/health", timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))
    except (OSError, urllib.error.URLError, ValueError):
        return None


def stop_subprocess(proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
    """SIGTERM the stub, wait, SIGKILL if it lingers; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
