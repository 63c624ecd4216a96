"""``airflow <args>`` for the tests, without paying Airflow's start-up for every DAG run.

A fresh ``airflow dags test`` process spends most of its ≈ 12 s importing Airflow, its CLI, the task
SDK's in-process execution machinery, providers and Great Expectations. ``AirflowForkServer`` is one
long-lived child process per Airflow configuration (per pytest worker) that imports all of that once
and then ``fork()``s once per command: the fork sets the command's environment, sends its stdout and
stderr to files, and runs exactly what the ``airflow`` console script runs
(``airflow.__main__.main`` with ``sys.argv = ["airflow", *args]``); its exit status is the command's.

What Airflow reads at import time (``AIRFLOW_HOME``, every ``AIRFLOW__SECTION__KEY`` setting,
``AIRFLOW_CONFIG``, ``PYTHONPATH``) must be the same for the server and the command, so those
variables form the server's key; connections and variables given as ``AIRFLOW_CONN_*`` /
``AIRFLOW_VAR_*`` and every ``FINGERTIP_*`` setting are read when used and may differ per command.
Nothing of the project (``fingertip``, DAG files) is imported before the fork. Before forking its first
``dags test`` / ``tasks test`` the server also has Cadwyn build the in-process execution API's versioned
routes (``_prepare_task_runs``: ≈ 5 s CPU that every such command paid again on its first task).

``run_airflow(env, *args, timeout=…)`` returns a ``subprocess.CompletedProcess`` like
``subprocess.run(..., capture_output=True, text=True)`` and raises ``subprocess.TimeoutExpired`` on a
timeout. ``FINGERTIP_TEST_AIRFLOW_FORK=0`` (or a platform without ``fork``) runs a plain subprocess.

``run_python(env, "-m", module, *args)`` / ``run_python(env, "-c", code, *args)`` is the same for a
``python`` command (e.g. ``python -m fingertip_dev settings load``): the fork runs the module or code as
``__main__`` with ``sys.argv`` and ``sys.path[0]`` as ``python`` sets them. ``preload`` names the modules
the server imports before forking (part of the server's key): by default the Airflow warm-up above; a
test that looks at what a command imports gives the few modules its fresh process would import first
(``preload=("airflow.sdk",)``), so that nothing else is in ``sys.modules`` when the fork starts.

``fork_cpu_seconds()`` is the CPU time of the servers and their forks so far (a server's own time is
counted by the kernel only when it is reaped at exit): the per-test CPU log of ``tests/conftest.py``
(``FINGERTIP_TEST_CPU_LOG``) adds it to the test process's own.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Everything Airflow fixes when it is imported; a command whose values differ gets its own server.
# Exceptions, read again in the fork: the DAGs folder (``settings.configure_vars()``) and the
# ``[fingertip]`` options (looked up in the environment whenever they are used).
_IMPORT_TIME_PREFIXES = ("AIRFLOW__",)
_IMPORT_TIME_NAMES = ("AIRFLOW_HOME", "AIRFLOW_CONFIG", "PYTHONPATH", "PYTHONHASHSEED", "TZ")
_RUNTIME = ("AIRFLOW__CORE__DAGS_FOLDER",)
_RUNTIME_PREFIXES = ("AIRFLOW__FINGERTIP__",)


#: ``preload`` value of the full Airflow warm-up (``_warm_up``): what ``airflow dags test`` imports.
AIRFLOW = None


def _key(env: dict[str, str], preload: tuple[str, ...] | None = AIRFLOW) -> tuple:
    return (preload, tuple(sorted((k, v) for k, v in env.items()
                                  if (k in _IMPORT_TIME_NAMES or k.startswith(_IMPORT_TIME_PREFIXES))
                                  and k not in _RUNTIME and not k.startswith(_RUNTIME_PREFIXES))))


def _airflow_script() -> str:
    return str(Path(sys.executable).parent / "airflow")


def enabled() -> bool:
    return hasattr(os, "fork") and os.environ.get("FINGERTIP_TEST_AIRFLOW_FORK", "1") != "0"


class AirflowForkServer:
    """One warmed-up Airflow process that forks a child per command (see the module docstring)."""

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] | None = AIRFLOW):
        self.env = dict(env)
        self.lock = threading.Lock()
        self.log = tempfile.NamedTemporaryFile(prefix="fingertip-forkserver-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", json.dumps(preload)], env=self.env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1, cwd=os.getcwd())
        self._ready = False
        self._child: int | None = None
        self._buffer = b""
        self.server_cpu = 0.0  # the server's own CPU seconds (warm-up, forking), as it last reported them
        self.forks_cpu = 0.0  # CPU seconds of its finished forks (and what they waited for)

    def _read(self, timeout: float | None) -> dict | None:
        """The server's next JSON line, or None after ``timeout`` seconds (unbuffered: select-safe)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0)
        while b"\n" not in self._buffer:
            if deadline is not None:
                ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
                if not ready:
                    return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"Airflow fork server exited (log: {self.log.name}): "
                                   + Path(self.log.name).read_text(errors="replace")[-2000:])
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, env: dict[str, str], args: list[str], timeout: float | None, cwd: str | None = None,
            mode: str = "airflow") -> subprocess.CompletedProcess:
        with self.lock:
            try:
                return self._run(env, args, timeout, cwd, mode)
            except subprocess.TimeoutExpired:
                raise  # the fork was killed and reaped: the server is still in step
            except BaseException:
                # Interrupted half-way (pytest-timeout, Ctrl-C, a broken server): the protocol is out of
                # step, so this server and its fork go; the next command starts a new one.
                self.kill()
                raise

    def _run(self, env: dict[str, str], args: list[str], timeout: float | None, cwd: str | None, mode: str
             ) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="fingertip-airflow-cmd-") as tmp:
            if not self._ready:
                hello = self._read(300)
                if not hello or not hello.get("ready"):
                    raise RuntimeError(f"Airflow fork server did not start (log: {self.log.name})")
                self._ready = True
                self.server_cpu = hello.get("server_cpu", 0.0)
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {"mode": mode, "env": env, "args": args, "stdout": str(out), "stderr": str(err), "cwd": cwd or os.getcwd()}
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            child = self._read(300)  # the first ``dags test`` of a server prepares the execution API first
            if not child or "pid" not in child:
                raise RuntimeError(f"Airflow fork server did not fork (log: {self.log.name})")
            self._child = child["pid"]
            deadline = None if timeout is None else time.monotonic() + timeout
            done = self._read(None if deadline is None else deadline - time.monotonic())
            timed_out = done is None
            if timed_out:
                try:
                    os.kill(child["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass
                done = self._read(60)
            stdout = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
            stderr = err.read_text(encoding="utf-8", errors="replace") if err.exists() else ""
            cmd = ["airflow" if mode == "airflow" else "python", *args]
            self._child = None
            self.server_cpu = done.get("server_cpu", self.server_cpu)
            self.forks_cpu += done.get("cpu_seconds") or 0.0
            if timed_out:
                raise subprocess.TimeoutExpired(cmd, timeout, output=stdout, stderr=stderr)
            result = subprocess.CompletedProcess(cmd, done["returncode"], stdout, stderr)
            result.cpu_seconds = done.get("cpu_seconds")  # the fork's CPU time, for profiling
            return result

    def kill(self) -> None:
        for pid in (self._child, self.proc.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._child = None
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a server that does not stop is killed
                self.proc.kill()
                self.proc.wait()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


_servers: dict[tuple, AirflowForkServer] = {}
_all_servers: list[AirflowForkServer] = []  # also the closed ones, for fork_cpu_seconds()
_servers_lock = threading.Lock()


def _server_for(env: dict[str, str], preload: tuple[str, ...] | None = AIRFLOW) -> AirflowForkServer:
    key = _key(env, preload)
    with _servers_lock:
        server = _servers.get(key)
        if server is None or server.proc.poll() is not None:
            server = _servers[key] = AirflowForkServer(env, preload)
            _all_servers.append(server)
        return server


def fork_cpu_seconds() -> float:
    """CPU seconds of all fork servers of this process and their forks so far (see the module docstring)."""
    with _servers_lock:
        return sum(s.server_cpu + s.forks_cpu for s in _all_servers)


def close_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()


atexit.register(close_servers)


def start_airflow_server(env: dict[str, str]) -> None:
    """Start (and let warm up in the background) the server for ``env``, if forking is enabled."""
    if enabled():
        _server_for(env)


def run_airflow(env: dict[str, str], *args: str, timeout: float | None = 600,
                cwd: str | None = None) -> subprocess.CompletedProcess:
    """``airflow <args>`` with ``env``: through the fork server of that configuration, else a subprocess."""
    if enabled():
        return _server_for(env).run(dict(env), list(args), timeout, cwd)
    return subprocess.run([_airflow_script(), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=cwd)


def run_python(env: dict[str, str], *args: str, timeout: float | None = 600, cwd: str | None = None,
               preload: tuple[str, ...] | None = AIRFLOW) -> subprocess.CompletedProcess:
    """``python <args>`` (``-m module …`` or ``-c code …``) with ``env``: through the fork server of that
    configuration and ``preload`` (see the module docstring), else a subprocess of this interpreter."""
    if args[:1] not in (("-m",), ("-c",)) or len(args) < 2:
        raise ValueError(f"run_python takes '-m module ...' or '-c code ...', not {args!r}")
    if enabled():
        return _server_for(env, preload).run(dict(env), list(args), timeout, cwd, mode="python")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=cwd)


def load_airflow_settings(env: dict[str, str], path: str | Path) -> subprocess.CompletedProcess:
    """``python -m fingertip_dev settings load <path>`` with ``env`` (through the fork server); fails the
    calling test when the load fails."""
    proc = run_python(env, "-m", "fingertip_dev", "settings", "load", str(path), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


# --- the server side (python tests/helpers.py --serve) ----------------------------------------------

def _warm_up(preload: list[str] | None) -> None:
    """Import what every ``airflow dags test`` imports (nothing of the project, no database access), or
    exactly the ``preload`` modules when given."""
    import importlib

    if preload is not None:
        for name in preload:
            importlib.import_module(name)
        return

    for name in (
        "airflow", "airflow.__main__", "airflow.cli.cli_parser", "airflow.cli.commands.dag_command",
        "airflow.models", "airflow.models.dagrun", "airflow.models.taskinstance", "airflow.dag_processing.dagbag",
        "airflow.dag_processing.bundles.manager", "airflow.serialization.serialized_objects",
        "airflow.sdk", "airflow.sdk.execution_time.supervisor", "airflow.sdk.execution_time.task_runner",
        "airflow.api_fastapi.execution_api.app", "airflow.api_fastapi.execution_api.routes",
        "airflow.api_fastapi.common.dagbag", "a2wsgi", "airflow.providers.standard.operators.python",
        "airflow.providers.standard.operators.hitl", "airflow.providers.smtp.hooks.smtp",
        "airflow.providers.http.hooks.http", "great_expectations", "pandas", "numpy", "sqlalchemy", "alembic",
        "openpyxl", "docx", "matplotlib", "matplotlib.pyplot", "jinja2", "httpx", "yaml",
    ):
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a module that fails here is imported (or fails) in the fork
            print(f"fork server: warm-up import {name} failed: {exc!r}", file=sys.stderr)
    from airflow.cli import cli_parser
    from airflow.providers_manager import ProvidersManager

    cli_parser.get_parser()
    ProvidersManager().initialize_providers_configuration()
    try:  # the task SDK's in-process execution API app (a cached singleton; no threads, no database yet)
        from airflow.sdk.execution_time.supervisor import in_process_api_server

        in_process_api_server().app  # noqa: B018 - building it is the point
    except Exception as exc:  # noqa: BLE001 - then the fork builds it
        print(f"fork server: execution API warm-up failed: {exc!r}", file=sys.stderr)


_TASK_RUNNING_COMMANDS = (["dags", "test"], ["tasks", "test"])
_execution_api_routes_ready = False


def _prepare_task_runs(request: dict) -> None:
    """Before the server forks the first command that runs tasks in-process (``dags test``, ``tasks test``):
    have Cadwyn generate the execution API's versioned routers, which it does on the app's first request
    (≈ 5 s CPU of pure Python — FastAPI dependants and pydantic schemas of every API version — that each
    fork paid again). Lazily, so a server that only runs other commands never pays it; the routers hold no
    database state, nor threads."""
    global _execution_api_routes_ready
    if _execution_api_routes_ready or request.get("mode", "airflow") != "airflow" \
            or request["args"][:2] not in _TASK_RUNNING_COMMANDS:
        return
    _execution_api_routes_ready = True
    try:
        from airflow.sdk.execution_time.supervisor import in_process_api_server

        app = in_process_api_server().app
        if hasattr(app, "_cadwyn_initialize") and not getattr(app, "_cadwyn_initialized", True):
            app._cadwyn_initialize()
    except Exception as exc:  # noqa: BLE001 - then each fork initialises it, as Airflow would
        print(f"fork server: execution API routers warm-up failed: {exc!r}", file=sys.stderr)


def _child(request: dict) -> None:
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if request.get("mode", "airflow") == "airflow" or "airflow.settings" in sys.modules:
            from airflow import settings

            settings.configure_vars()  # the command's DAGs folder
            if getattr(settings, "engine", None) is not None:  # the server's pooled connections stay its own
                settings.engine.dispose(close=False)
        args = request["args"]
        if request.get("mode", "airflow") == "python":
            _python_main(args)
        else:
            sys.argv = ["airflow", *args]
            from airflow.__main__ import main

            main()
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - the fork must reach os._exit
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            import atexit as _atexit

            _atexit._run_exitfuncs()
        except BaseException:  # noqa: BLE001 - the fork must reach os._exit
            pass
        try:
            import logging

            logging.shutdown()
        except BaseException:  # noqa: BLE001 - the fork must reach os._exit
            pass
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001 - the fork must reach os._exit
            pass
        os._exit(code)


def _python_main(args: list[str]) -> None:
    """What ``python -m module …`` or ``python -c code …`` runs, in this (forked) interpreter."""
    import runpy

    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]  # runpy replaces argv[0] by the module's file, as python does
        sys.path[0] = os.getcwd()
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        import builtins
        import types

        sys.argv = ["-c", *args[2:]]
        sys.path[0] = ""
        main = types.ModuleType("__main__")  # a fresh __main__, without the server's globals
        main.__builtins__ = builtins  # type: ignore[attr-defined]
        sys.modules["__main__"] = main
        exec(compile(args[1], "<string>", "exec"), vars(main))  # noqa: S102 - the command's code, like python -c


def _cpu_self() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def _serve(preload: list[str] | None) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever Airflow prints while importing goes to the server's log
    _warm_up(preload)
    protocol.write(json.dumps({"ready": True, "pid": os.getpid(), "server_cpu": _cpu_self()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        _prepare_task_runs(request)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            protocol.close()
            _child(request)
        protocol.write(json.dumps({"pid": pid}) + "\n")
        _, status, usage = os.wait4(pid, 0)
        protocol.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status),
                                   "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                                   "server_cpu": _cpu_self()}) + "\n")


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    # Like the ``airflow`` console script: the interpreter's bin folder first, not tests/.
    sys.path[0] = str(Path(sys.executable).parent)
    _serve(json.loads(sys.argv[2]) if len(sys.argv) > 2 else None)
