"""The ``make cluster`` driver (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN = os.environ.get("FINGERTIP_CLUSTER_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("FINGERTIP_CLUSTER_REDIS", "redis://127.0.0.1:6379")
WORKERS = ("worker1", "worker2")
REDIS_CLAIM = "fingertip_cluster_claim"
#: seconds between a failed try and its retry on this cluster (the fault tests; see cluster/local_settings.py)
RETRY_SECONDS = 10
#: the mail ledger's lease on this cluster: a send task retried after its worker died resends within the run
MAIL_LEASE_MINUTES = 1
TERMINAL = {"success", "failed"}
#: how often the pipeline asks the REST API whether a run has ended (a GET; the next trigger waits on it,
#: so a long interval adds its half to every step of the pipeline time)
POLL_SECONDS = 1.0


def pg_url(database: str, driver: str = "postgresql") -> str:
    """The URL of ``database`` on the cluster's PostgreSQL server (``FINGERTIP_CLUSTER_PG``)."""
    base = PG_ADMIN.rsplit("/", 1)[0].split("://", 1)[1]
    return f"{driver}://{base}/{database}"


def admin_engine():
    """An AUTOCOMMIT engine on the server's admin database (CREATE/DROP DATABASE, pg_stat_activity)."""
    import sqlalchemy as sa

    return sa.create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)


class ClusterError(RuntimeError):
    pass


@dataclass
class Cluster:
    out: Path
    entities: int
    seed: int
    redis_db: int | None
    keep: bool = False
    faults: bool = False
    token: str = field(default_factory=lambda: secrets.token_hex(4))
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    api: str = ""
    jwt: str = ""
    python: str = sys.executable
    peak_rss: dict[str, int] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)  #: processes started in a session of their own
    _sampling: bool = False

    @property
    def mail_stall(self) -> Path:
        """While this file exists the mail catcher holds SMTP sessions at RCPT (the mail-send fault)."""
        return self.out / "mail-stall"

    # -- resources -------------------------------------------------------------------------------
    def create_databases(self) -> tuple[str, str]:
        import sqlalchemy as sa

        meta, store = f"fingertip_cluster_meta_{self.token}", f"fingertip_cluster_store_{self.token}"
        engine = admin_engine()
        with engine.connect() as conn:
            for name in (meta, store):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                self.databases.append(name)
        engine.dispose()
        log(f"PostgreSQL databases {meta} (metadata) and {store} (store)")
        return meta, store

    def drop_databases(self) -> None:
        import sqlalchemy as sa

        engine = admin_engine()
        with engine.connect() as conn:
            for name in self.databases:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
        log(f"dropped {', '.join(self.databases) or 'no databases'}")
        self.databases.clear()

    def pick_redis_db(self) -> int:
        import redis

        if self.redis_db is not None:
            return self.redis_db
        for number in range(8, 16):
            db = redis.Redis.from_url(f"{REDIS}/{number}")
            # claimed atomically: two clusters started at once (another checkout's `make cluster`) never share one
            if db.dbsize() == 0 and db.set(REDIS_CLAIM, self.token, nx=True):
                return number
        raise ClusterError("no empty Redis DB among 8..15; give --redis-db")

    def flush_redis(self) -> None:
        import redis

        if self.redis_db is not None:
            redis.Redis.from_url(f"{REDIS}/{self.redis_db}").flushdb()

    # -- installation ----------------------------------------------------------------------------
    def install_wheel(self) -> Path:
        """Build the wheel and install it into out/cluster/venv (third-party packages layered from the
        shared environment through a .pth file; ``fingertip`` itself only from the wheel)."""
        dist = self.out / "dist"
        shutil.rmtree(dist, ignore_errors=True)
        build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                               capture_output=True, text=True, check=False, cwd=self.out)
        if build.returncode != 0:
            raise ClusterError("wheel build failed:\n" + build.stdout[-2000:] + build.stderr[-2000:])
        for leftover in glob.glob(str(ROOT / "plugins" / "*.egg-info")) + [str(ROOT / "build")]:
            shutil.rmtree(leftover, ignore_errors=True)
        wheel = next(dist.glob("fingertip-*.whl"))
        venv = self.out / "venv"
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        shared = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
        (site / "zz_shared_environment.pth").write_text("\n".join(shared) + "\n")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--no-index", "--target", str(site), str(wheel)], check=True)
        self.python = str(venv / "bin" / "python")
        probe = subprocess.run([self.python, "-c", "import fingertip; print(fingertip.__file__)"],
                               capture_output=True, text=True, check=True, env=self._clean_env())
        if str(site) not in probe.stdout:
            raise ClusterError(f"fingertip is not imported from the wheel: {probe.stdout.strip()}")
        log(f"installed {wheel.name} into {venv} (fingertip from {probe.stdout.strip()})")
        return wheel

    @staticmethod
    def _clean_env() -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FINGERTIP_"))}
        env["PYTHONPATH"] = str(ROOT / "dev")  # the dev tools the sample DAG needs; never plugins/
        return env

    # -- configuration ---------------------------------------------------------------------------
    def configure(self, meta: str, store: str) -> None:
        home = self.out / "airflow"
        shared = self.out / "shared"
        for folder in (home, shared / "out", shared / "data"):
            folder.mkdir(parents=True, exist_ok=True)
        redis_db = self.redis_db = self.pick_redis_db()
        self.ports = {"api": free_port(), "stub": free_port(), "smtp": free_port(), "triggerer_logs": free_port()}
        env = self._clean_env()
        env.update({
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "fingertip_dev.cluster.hostname.hostname",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.ports['api']}/execution/",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.ports['api']}",
            "AIRFLOW__API__PORT": str(self.ports["api"]),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_url(meta, "postgresql+psycopg2"),
            "AIRFLOW__CELERY__BROKER_URL": f"{REDIS}/{redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + pg_url(meta, "postgresql"),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # workers' calls to the execution API: 5 s by default; a loaded shared machine answers slower
            # (a task process was killed after four timed-out calls before its first line of work)
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.ports["triggerer_logs"]),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            # a task whose worker was killed is failed (and retried) after this many seconds without heartbeat
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
            "AIRFLOW_CONN_FINGERTIP_STORE": json.dumps({
                "conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres",
                "schema": store}),
            "FINGERTIP_HOME": str(shared),
            "FINGERTIP_DATA_DIR": str(shared / "data"),
            "FINGERTIP_OUTPUT_URL": (shared / "out").as_uri(),
            # one machine: every worker sees the same folders at the same paths
            "FINGERTIP_SHARED_FILE_LOCATIONS": shared.as_uri(),
            "FINGERTIP_STUB_PORT": str(self.ports["stub"]),
            "FINGERTIP_SMTP_PORT": str(self.ports["smtp"]),
            "FINGERTIP_CLUSTER_RETRY_SECONDS": str(RETRY_SECONDS),
            "FINGERTIP_MAIL_LEASE_MINUTES": str(MAIL_LEASE_MINUTES),
        })
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "airflow_local_settings.py").write_text(
            "from fingertip_dev.cluster.local_settings import task_policy  # noqa: F401\n")
        self.env = env
        self.api = f"http://127.0.0.1:{self.ports['api']}"
        log(f"AIRFLOW_HOME {home}; Redis DB {redis_db}; api-server port {self.ports['api']}")

    def run(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.python, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                              cwd=self.out, check=False)
        if check and proc.returncode != 0:
            raise ClusterError(f"{' '.join(args[:4])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        return proc

    def prepare(self) -> None:
        log("airflow db migrate (PostgreSQL metadata DB)")
        self.run("-m", "airflow", "db", "migrate")
        log("fingertip store upgrade through the fingertip_store connection")
        done = self.run("-m", "fingertip", "store", "upgrade")
        store_db = self.databases[1]
        if store_db not in done.stdout + done.stderr:
            raise ClusterError(f"the store upgrade did not use the PostgreSQL store {store_db}:\n{done.stdout[-1500:]}")
        log("loading airflow_settings.yaml (connections, pools, variables)")
        self.run("-m", "fingertip_dev", "settings", "load", str(ROOT / "airflow_settings.yaml"))

    # -- processes -------------------------------------------------------------------------------
    def start(self, name: str, args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
        logs = self.out / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        workdir = cwd or self.out
        workdir.mkdir(parents=True, exist_ok=True)
        handle = open(logs / f"{name}.log", "ab")  # noqa: SIM115 — owned by the child for its lifetime
        self.procs[name] = subprocess.Popen([self.python, *args], env=env or self.env, cwd=workdir,
                                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        self.sessions.add(name)
        log(f"started {name} (pid {self.procs[name].pid}, log {logs / f'{name}.log'})")

    def start_airflow(self) -> None:
        self.start("scheduler", ["-m", "airflow", "scheduler"])
        self.start("dag-processor", ["-m", "airflow", "dag-processor"])
        self.start("triggerer", ["-m", "airflow", "triggerer"])
        self.start("api-server", ["-m", "airflow", "api-server", "--port", str(self.ports["api"]),
                                  "--host", "127.0.0.1"])
        for name in WORKERS:
            self.start_worker(name)

    def start_worker(self, name: str) -> None:
        workdir = self.out / "workers" / name
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        env = {**self.env, "FINGERTIP_CLUSTER_HOSTNAME": name, "TMPDIR": str(workdir / "tmp"),
               "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
        self.start(name, ["-m", "airflow", "celery", "worker", "--celery-hostname", f"{name}@fingertip",
                          "--concurrency", "2"], cwd=workdir, env=env)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        own = name in self.sessions  # its own session: signal it and what it forked, nothing else

        def send(signum: int) -> None:
            with contextlib.suppress(ProcessLookupError):
                if own:
                    os.killpg(proc.pid, signum)
                else:
                    proc.send_signal(signum)

        send(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            send(signal.SIGKILL)
            proc.wait(timeout=10)
        if own:  # task processes a killed worker left behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log(f"stopped {name} (pid {proc.pid})")

    def stop_all(self) -> None:
        for name in list(self.procs)[::-1]:
            try:
                self.stop(name)
            except Exception as exc:  # noqa: BLE001 — go on stopping the others
                log(f"could not stop {name}: {exc}")

    def sample_rss(self, interval: float = 1.0) -> None:
        """Peak resident memory of each worker's process tree (the Celery worker and its task processes)."""
        import psutil

        def loop() -> None:
            while self._sampling:
                for name in WORKERS:
                    proc = self.procs.get(name)
                    if proc is None or proc.poll() is not None:
                        continue
                    try:
                        root = psutil.Process(proc.pid)
                        total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                    except psutil.Error:
                        continue
                    self.peak_rss[name] = max(self.peak_rss.get(name, 0), total)
                time.sleep(interval)

        self._sampling = True
        threading.Thread(target=loop, name="rss-sampler", daemon=True).start()

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise ClusterError(f"processes exited: {dead}; see {self.out / 'logs'}")

    # -- REST ------------------------------------------------------------------------------------
    def http(self, method: str, path: str, body: Any = None, *, auth: bool = True, ok=(200, 201)) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.jwt}")
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                text = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as exc:
            text, status = exc.read().decode(errors="replace"), exc.code
        if status not in ok:
            raise ClusterError(f"{method} {path}: HTTP {status}: {text[:800]}")
        return json.loads(text) if text else None

    def wait_api(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                self.http("GET", "/api/v2/monitor/health", auth=False)
                break
            except (OSError, ClusterError):
                time.sleep(2)
        else:
            raise ClusterError("the api-server did not answer")
        passwords = json.loads((Path(self.env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated")
                               .read_text())
        token = self.http("POST", "/auth/token", {"username": "admin", "password": passwords["admin"]}, auth=False)
        self.jwt = token["access_token"]
        log(f"api-server up at {self.api}")

    def wait_dags(self, expected: set[str], timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            dags = {d["dag_id"]: d for d in self.http("GET", "/api/v2/dags?limit=100")["dags"]}
            if expected <= set(dags):
                return dags
            time.sleep(3)
        raise ClusterError(f"DAGs not parsed in time: {sorted(expected - set(dags))}")

    def trigger(self, dag_id: str, conf: dict | None = None, logical_date: str | None = None) -> str:
        run = self.http("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": logical_date, "conf": conf or {}})
        log(f"triggered {dag_id} {run['dag_run_id']}")
        return str(run["dag_run_id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=run_after")["dag_runs"])

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 1800, on_wait=None,
                 accept_failed: bool = False) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            run = self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in TERMINAL:
                log(f"{dag_id} {run_id}: {run['state']}")
                if run["state"] != "success" and not accept_failed:
                    raise ClusterError(f"{dag_id} {run_id} ended {run['state']}; logs in {self.env['AIRFLOW_HOME']}/logs")
                return dict(run)
            if on_wait is not None:
                on_wait()
            time.sleep(POLL_SECONDS)
        raise ClusterError(f"{dag_id} {run_id} did not finish in {timeout} s")

    def wait_new_run(self, dag_id: str, known: set[str], timeout: float = 900) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            fresh = [r for r in self.runs(dag_id) if r["dag_run_id"] not in known]
            if fresh:
                return str(fresh[0]["dag_run_id"])
            time.sleep(POLL_SECONDS)
        raise ClusterError(f"no new run of {dag_id} within {timeout} s")

    def answer_approvals(self, dag_id: str = "shutdown_cases") -> list[dict[str, Any]]:
        """Answer every waiting approval request over REST: the first approved, the rest rejected."""
        answered = []
        pending = self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns/~/hitlDetails?limit=100")["hitl_details"]
        for item in pending:
            if item.get("response_received"):
                continue
            ti = item["task_instance"]
            approve = not answered
            choice = "批准" if approve else "驳回"
            path = (f"/api/v2/dags/{dag_id}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/"
                    f"{ti['map_index']}/hitlDetails")
            self.http("PATCH", path, {"chosen_options": [choice],
                                      "params_input": {"comment": "集群演示：经审核同意关停" if approve
                                                       else "集群演示：暂缓，待核实", "successor": ""}},
                      ok=(200, 409))
            answered.append({"run_id": ti["dag_run_id"], "map_index": ti["map_index"], "choice": choice})
        if answered:
            log(f"answered {len(answered)} approval request(s) over REST "
                f"({sum(a['choice'] == '批准' for a in answered)} approved)")
        return answered

    def kill_worker_mid_task(self, dag_id: str, run_id: str, task_id: str, timeout: float = 600,
                             ready=None) -> dict[str, Any]:
        """``kill -9`` the worker (its whole process tree) running an instance of ``task_id`` of the run
        (``run_id="~"``: of any run of the DAG; once ``ready()`` says the task is where the fault should
        hit, when given). Fails at once, naming the task states, when the runs ended with none to kill."""
        deadline = time.monotonic() + timeout
        states: dict[str, int] = {}
        while time.monotonic() < deadline:
            self.check_alive()
            if ready is not None and not ready():
                time.sleep(0.2)
                continue
            items = self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")
            instances = [ti for ti in items["task_instances"] if ti["task_id"] == task_id]
            for ti in instances:
                if ti["state"] == "running" and ti.get("hostname") in WORKERS:
                    victim = ti["hostname"]
                    proc = self.procs.pop(victim)
                    os.killpg(proc.pid, signal.SIGKILL)  # the worker's own session: worker and task processes
                    proc.wait(timeout=30)
                    log(f"FAULT: kill -9 of {victim} (pid {proc.pid}) while it ran {dag_id}.{task_id}"
                        f"[{ti['map_index']}] try {ti['try_number']} of {ti['dag_run_id']}")
                    return {"dag_id": dag_id, "run_id": ti["dag_run_id"], "task_id": task_id,
                            "map_index": ti["map_index"], "victim": victim, "try_number": ti["try_number"]}
            states = dict(Counter(str(ti["state"]) for ti in instances))
            runs = [self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")] if run_id != "~" else self.runs(dag_id)
            if runs and all(r["state"] in TERMINAL for r in runs):
                raise ClusterError(f"{dag_id} run(s) {[r['dag_run_id'] for r in runs]} ended before a worker "
                                   f"running {task_id} could be killed ({task_id} states: {states or 'none'})")
            time.sleep(0.5)
        raise ClusterError(f"no running {dag_id}.{task_id} to kill a worker under in {timeout} s "
                           f"({task_id} states: {states or 'none'})")

    @contextlib.contextmanager
    def store_writes_held(self, table: str):
        """Hold a ``SHARE ROW EXCLUSIVE`` lock on a store table (reads go on, writes wait) until the block
        ends: a task that writes it stays running, so a fault can hit it mid-task however fast it is."""
        import sqlalchemy as sa

        engine = sa.create_engine(pg_url(self.databases[1], "postgresql+psycopg"))
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))
                log(f"holding writes to the store table {table}")
                yield int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
            log(f"released the store table {table}")
        finally:
            engine.dispose()

    def terminate_store_sessions_mid_task(self, dag_id: str, run_id: str, task_id: str, timeout: float = 600,
                                          spare: tuple[int, ...] = ()) -> dict[str, Any]:
        """``pg_terminate_backend`` on every session of the store database (but the ``spare`` backends: a
        lock holder of :meth:`store_writes_held`), at a moment when ``task_id`` of the run is running and a
        store session is inside a statement or a transaction (so the task's work is cut, not merely an idle
        pooled connection)."""
        import sqlalchemy as sa

        store = self.databases[1]
        engine = admin_engine()
        others = "datname = :db AND pid <> pg_backend_pid() AND NOT (pid = ANY(:spare))"
        busy = sa.text(f"SELECT pid, state FROM pg_stat_activity WHERE {others} "
                       "AND state IN ('active', 'idle in transaction')")
        kill = sa.text(f"SELECT pid, state, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity "
                       f"WHERE {others}")
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.check_alive()
                ti = self.task_instance(dag_id, run_id, task_id)
                if ti["state"] in ("success", "failed", "up_for_retry"):
                    raise ClusterError(f"{dag_id}.{task_id} ended {ti['state']} before its store sessions were cut")
                if ti["state"] == "running":
                    with engine.connect() as conn:
                        if conn.execute(busy, {"db": store, "spare": list(spare)}).first() is not None:
                            rows = conn.execute(kill, {"db": store, "spare": list(spare)}).mappings().all()
                            cut = [dict(r) for r in rows]
                            log(f"FAULT: pg_terminate_backend on {sum(r['terminated'] for r in cut)} session(s) of "
                                f"{store} ({[r['state'] for r in cut]}) while {dag_id}.{task_id} try "
                                f"{ti['try_number']} ran on {ti.get('hostname')}")
                            return {"dag_id": dag_id, "run_id": run_id, "task_id": task_id,
                                    "try_number": ti["try_number"], "hostname": ti.get("hostname"),
                                    "sessions_terminated": sum(bool(r["terminated"]) for r in cut),
                                    "session_states": sorted(str(r["state"]) for r in cut)}
                time.sleep(0.1)
        finally:
            engine.dispose()
        raise ClusterError(f"no running {dag_id}.{task_id} with a busy store session to cut")

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        return dict(self.http("GET", path + (f"/{map_index}" if map_index >= 0 else "")))

    def task_state(self, dag_id: str, run_id: str, task_id: str) -> str | None:
        ti = self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        return ti.get("state")

    def settle(self, dag_ids, timeout: float = 1800) -> tuple[list[dict[str, Any]], list[tuple[str, dict]]]:
        """Answer approval requests until every run of ``dag_ids`` has ended (at least one run each);
        returns the answers and the runs."""
        answered: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            answered += self.answer_approvals()
            runs = [(d, r) for d in sorted(dag_ids) for r in self.runs(d)]
            pending = [(d, r["dag_run_id"], r["state"]) for d, r in runs if r["state"] not in TERMINAL]
            if runs and not pending:
                return answered, runs
            if time.monotonic() > deadline:
                raise ClusterError(f"runs of {sorted(dag_ids)} not finished in {timeout} s: {pending}")
            self.check_alive()
            time.sleep(2 * POLL_SECONDS)

    def settle_shutdown(self, timeout: float = 1800) -> list[dict[str, Any]]:
        """Answer approval requests until every shutdown run has finished."""
        return self.settle({"shutdown_cases"}, timeout)[0]

    def settle_all_runs(self, timeout: float = 1800) -> list[dict[str, Any]]:
        """Wait until every run of every DAG has ended, and return the runs their time schedules started.

        The DAGs are unpaused, so a pipeline that crosses a scheduled time gets the deployment's own run
        as well (ingestion at 03:00, 04:00 and 05:00 Beijing time, the import every 30 minutes, shutdown
        at 06:00): such a run must end successfully too, and a run still queued or running would otherwise
        be reported as not successful."""
        _, runs = self.settle(DAG_IDS, timeout)
        return [{"dag_id": d, "run_id": r["dag_run_id"], "state": r["state"], "run_after": r.get("run_after")}
                for d, r in runs if r.get("run_type") == "scheduled"]

    def task_hosts(self, dag_id: str, run_id: str) -> dict[str, int]:
        items = self.http("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")["task_instances"]
        hosts: dict[str, int] = {}
        for ti in items:
            if ti.get("hostname") and ti.get("state") in ("success", "failed", "up_for_retry"):
                hosts[ti["hostname"]] = hosts.get(ti["hostname"], 0) + 1
        return hosts


# -- the pipeline -------------------------------------------------------------------------------------
DAG_IDS = {"fingertip_sample_data", "ingest_app_store", "ingest_filings", "ingest_accounts", "import_inventory",
           "validate_inventory", "detect_findings", "shutdown_cases", "periodic_report", "adhoc_audit",
           "fingertip_store_maintenance", "sponsor_digests"}


def pipeline(c: Cluster, today: dt.date) -> dict[str, Any]:
    from fingertip_dev.mailcatcher import start_subprocess as start_catcher
    from fingertip_dev.stub.process import start_subprocess as start_stub

    notes: dict[str, Any] = {}
    dags = c.wait_dags(DAG_IDS)
    for dag_id in sorted(DAG_IDS):
        if dags[dag_id]["is_paused"]:
            c.http("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    log(f"unpaused {len(DAG_IDS)} DAGs")
    time.sleep(15)  # a scheduler loop or two: a time-scheduled DAG that would run on unpause shows here
    surprise = {d: [r["dag_run_id"] for r in c.runs(d)] for d in sorted(DAG_IDS)}
    surprise = {d: ids for d, ids in surprise.items() if ids}
    notes["runs_started_by_unpausing"] = surprise
    if surprise:
        raise ClusterError(f"unpausing started runs: {surprise}")

    notes["pipeline_started"] = time.monotonic()  # the first trigger: pipeline_seconds count from here
    run = c.trigger("fingertip_sample_data", {"entities": c.entities, "seed": c.seed, "as_of": today.isoformat(),
                                              "mode": "world", "deliver_to_inbox": True})
    c.wait_run("fingertip_sample_data", run)
    world = Path(c.env["FINGERTIP_DATA_DIR"]) / "sample" / "world.db"
    stub_env_port = int(c.env["FINGERTIP_STUB_PORT"])
    mail = Path(c.env["FINGERTIP_HOME"]) / "out" / "mail"
    mail.mkdir(parents=True, exist_ok=True)
    c.procs["mailcatcher"] = start_catcher(mail, int(c.env["FINGERTIP_SMTP_PORT"]), stall_file=c.mail_stall,
                                           log_path=c.out / "logs" / "mailcatcher.log")
    detections_before = {r["dag_run_id"] for r in c.runs("detect_findings")}
    yesterday = (today - dt.timedelta(days=1)).isoformat()

    notes["listing_history"] = _ingest_listing_history(c, world, today)
    c.procs["stub"], _ = start_stub(world, stub_env_port, log_path=c.out / "logs" / "stub.log")
    log("stub source server (today's world) and mail catcher started")

    c.wait_run("ingest_app_store", c.trigger("ingest_app_store", logical_date=f"{yesterday}T04:00:00+08:00"))
    with contextlib.ExitStack() as held:
        # with faults: the detection this ingestion day starts must still be running when its store sessions
        # are cut, however fast it is: its writes to findings wait on this lock until the cut
        holder = held.enter_context(c.store_writes_held("findings")) if c.faults else None
        for dag_id in ("ingest_app_store", "ingest_filings", "ingest_accounts"):
            c.wait_run(dag_id, c.trigger(dag_id))  # logical_date null: dated by the Beijing run date
        notes.update(_detection_after_ingestion(c, detections_before, today, held, holder))
    after_ingestion = [r for r in c.runs("detect_findings") if r["dag_run_id"] not in detections_before]
    notes["detection_runs_after_ingestion"] = len(after_ingestion)
    if len(after_ingestion) != 1:
        raise ClusterError(f"detection ran {len(after_ingestion)} times for one complete ingestion day")

    known = {r["dag_run_id"] for r in c.runs("detect_findings")}
    notes.update(_import_inventory(c))
    validation = c.wait_new_run("validate_inventory", set())
    # a batch the quality gate rejects makes the validation run red (by design; the good batches are
    # still promoted): accepted here only when that is the reason, and recorded
    if c.wait_run("validate_inventory", validation, accept_failed=True)["state"] != "success":
        items = c.http("GET", f"/api/v2/dags/validate_inventory/dagRuns/{validation}/taskInstances?limit=1000")
        failed = sorted({t["task_id"] for t in items["task_instances"] if t["state"] == "failed"})
        if not set(failed) <= {"gate", "outcome"}:
            raise ClusterError(f"validate_inventory {validation} failed in {failed}, not only at the quality gate")
        notes["validation_red_by_rejected_batches"] = sum(
            1 for t in items["task_instances"] if t["task_id"] == "gate" and t["state"] == "failed")
        log(f"validation red by design: {notes['validation_red_by_rejected_batches']} batch(es) rejected by the gate")
    # validation emits its asset only when it promoted a batch; then detection runs again, by the asset
    promoted = c.task_state("validate_inventory", validation, "publish") == "success"
    notes["validation_promoted"] = promoted
    if promoted:
        c.wait_run("detect_findings", c.wait_new_run("detect_findings", known), on_wait=c.answer_approvals)
    # the findings asset's shutdown run is created within a scheduler loop or two
    deadline = time.monotonic() + 60
    while not c.runs("shutdown_cases") and time.monotonic() < deadline:
        time.sleep(2)

    # shutdown runs were started by the findings asset: answer their approvals until all are done; if
    # none asked for one (no proposing finding opened a case), one manual run proposes a zombie app
    answered = c.settle_shutdown()
    if not answered:
        c.trigger("shutdown_cases", {"only_rules": ["app.zombie"], "max_new_cases": 1})
        answered = c.settle_shutdown()
    notes["approvals_answered_over_rest"] = answered
    bad = [r for r in c.runs("shutdown_cases") if r["state"] != "success"]
    if bad or not answered:
        raise ClusterError(f"shutdown runs not successful or no approval asked: {bad}")

    from fingertip.reports.periods import period_containing

    period = period_containing("quarterly", today).label
    if c.faults:
        notes["fault_worker_kill_mid_mail_send"] = _report_with_worker_killed_mid_send(c, period, mail)
    else:
        c.wait_run("periodic_report", c.trigger("periodic_report", {"period": period, "kind": "quarterly"}))
    c.wait_run("adhoc_audit", c.trigger("adhoc_audit", {"provinces": [], "sample_rate": 0.5, "sample_seed": c.seed}))
    # re-triggering a day over REST: two runs with logical_date null, both dated today, idempotent
    for _ in range(2):
        c.wait_run("fingertip_store_maintenance", c.trigger("fingertip_store_maintenance"))
    overview = sorted(p.name for p in (Path(c.env["FINGERTIP_HOME"]) / "out" / "overview").glob("*.json"))
    notes["store_overviews"] = overview
    if overview != [f"store_overview_{today.isoformat()}.json"]:
        raise ClusterError(f"store overview files {overview}: expected one dated {today}")
    notes["mail"] = _mail_totals(c, mail)
    return notes


def _mail_totals(c: Cluster, mail: Path) -> dict[str, Any]:
    """Every message the catcher received against the ledger's sent rows (no Message-ID twice)."""
    from fingertip_dev.mailcatcher import read_index

    received = Counter(m.get("message_id") for m in read_index(mail))
    return {"received": sum(received.values()), "ledger_sent": len(_ledger_rows(c, "", status="sent")),
            "message_ids_received_twice": sorted(str(k) for k, n in received.items() if n > 1)}


def _import_inventory(c: Cluster) -> dict[str, Any]:
    """The inventory import of the delivered spreadsheets; with faults, ``kill -9`` of the worker running a
    mapped ``import_file``: retried on the other worker, each file must become exactly one batch."""
    notes: dict[str, Any] = {}
    inbox = Path(c.env["FINGERTIP_DATA_DIR"]) / "inbox"
    delivered = sorted(p.name for p in inbox.iterdir() if p.is_file())
    if not c.faults:
        c.wait_run("import_inventory", c.trigger("import_inventory"))
    else:
        # The files are imported by whichever run of the DAG gets to them first: this trigger, or the DAG's
        # own */30 schedule when the pipeline crosses the hour or half hour (the triggered run then waits
        # for it and finds the inbox empty). The fault hits a running import_file of any run; holding
        # writes to import_batches keeps every import_file running until the worker is dead.
        with c.store_writes_held("import_batches"):
            c.trigger("import_inventory")
            fault = c.kill_worker_mid_task("import_inventory", "~", "import_file")
        for other in c.runs("import_inventory"):
            c.wait_run("import_inventory", other["dag_run_id"])
        ti = c.task_instance("import_inventory", fault["run_id"], "import_file", fault["map_index"])
        fault.update(store_writes_held="import_batches", final_state=ti["state"], final_try=ti["try_number"],
                     final_hostname=ti.get("hostname"))
        notes["fault_worker_kill_mid_mapped_import"] = fault
        c.start_worker(fault["victim"])  # back for the rest of the pipeline
    notes["inventory_files_delivered"] = len(delivered)
    notes["import_batches_stored"] = _count_batches(c)
    return notes


def _detection_after_ingestion(c: Cluster, known: set[str], today: dt.date, held: contextlib.ExitStack,
                               holder: int | None) -> dict[str, Any]:
    """Wait for the detection the complete ingestion day started (by its assets); with faults, cut the
    store's PostgreSQL sessions while it runs and compare what its retry stored with a clean evaluation."""
    detection = c.wait_new_run("detect_findings", known)
    if not c.faults:
        c.wait_run("detect_findings", detection, on_wait=c.answer_approvals)
        return {}
    cut = c.terminate_store_sessions_mid_task("detect_findings", detection, "detect", spare=(holder,) if holder else ())
    held.close()  # the lock on findings: the retry writes
    c.wait_run("detect_findings", detection, on_wait=c.answer_approvals)
    return {"fault_store_sessions_terminated_mid_detection": {**cut, **_detection_against_clean(c, detection, today)}}


def _ingest_listing_history(c: Cluster, world: Path, today: dt.date) -> list[dict[str, Any]]:
    """The listing history a deployment has from its earlier daily runs (app.zombie judges use on rating
    growth over weeks): for every earlier day the sample world recorded, the stub serves the world as it
    was then and ingest_app_store runs for that day — the history reaches the store through the pipeline."""
    from fingertip_dev.stub.history import recorded_worlds
    from fingertip_dev.stub.process import start_subprocess as start_stub

    history = []
    for day, recorded in recorded_worlds(world, today - dt.timedelta(days=1)):
        c.procs["stub"], _ = start_stub(recorded["world"], int(c.env["FINGERTIP_STUB_PORT"]),
                                        log_path=c.out / "logs" / "stub.log")
        run = c.trigger("ingest_app_store", logical_date=f"{day.isoformat()}T04:00:00+08:00")
        c.wait_run("ingest_app_store", run)
        c.stop("stub")
        snapshots = _count_snapshots(c, day)
        history.append({**recorded, "run_id": run, "snapshots_stored": snapshots})
        log(f"listing history of {day}: the world listed {recorded['listings']}; {snapshots} snapshot(s) stored")
    return history


def _report_with_worker_killed_mid_send(c: Cluster, period: str, mail: Path) -> dict[str, Any]:
    """The quarterly report with ``kill -9`` of the worker whose ``send`` task holds an SMTP session (the
    catcher stalls it at RCPT: a recipient claimed in the ledger, nothing delivered). The retry runs on the
    other worker after the ledger's lease; each mail must arrive exactly once."""
    from fingertip_dev.mailcatcher import read_index

    reached = Path(str(c.mail_stall) + ".reached")
    reached.unlink(missing_ok=True)  # a previous run's
    c.mail_stall.write_text("held by the cluster's fault test\n")
    report = c.trigger("periodic_report", {"period": period, "kind": "quarterly"})
    try:
        fault = c.kill_worker_mid_task("periodic_report", report, "send", ready=reached.exists)
        fault["ledger_at_kill"] = _ledger_rows(c, "report:")
    finally:
        c.mail_stall.unlink(missing_ok=True)
    fault["sessions_held"] = len(reached.read_text(encoding="utf-8").splitlines())
    c.wait_run("periodic_report", report)
    ti = c.task_instance("periodic_report", report, "send", fault["map_index"])
    rows = _ledger_rows(c, "report:")
    received = Counter(m.get("message_id") for m in read_index(mail))
    fault.update(final_state=ti["state"], final_try=ti["try_number"], final_hostname=ti.get("hostname"),
                 ledger=rows, received={str(r["message_id"]): received.get(r["message_id"], 0) for r in rows})
    c.start_worker(fault["victim"])
    return fault


def _store_engine(c: Cluster):
    from fingertip.store.engine import create_store_engine

    return create_store_engine(pg_url(c.databases[1], "postgresql+psycopg"))


def _count_snapshots(c: Cluster, day: dt.date) -> int:
    import sqlalchemy as sa

    from fingertip.store import schema

    engine = _store_engine(c)
    try:
        with engine.connect() as conn:
            ls = schema.listing_snapshots
            return int(conn.execute(sa.select(sa.func.count()).select_from(ls).where(ls.c.snapshot_date == day,
                                                                                    ls.c.present)).scalar_one())
    finally:
        engine.dispose()


def _ledger_rows(c: Cluster, prefix: str, status: str | None = None) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from fingertip.store import schema

    n = schema.notifications
    query = sa.select(n.c.notification_key, n.c.status, n.c.attempts, n.c.message_id).where(
        n.c.notification_key.startswith(prefix)).order_by(n.c.notification_key)
    if status is not None:
        query = query.where(n.c.status == status)
    engine = _store_engine(c)
    try:
        with engine.connect() as conn:
            return [{"key": r.notification_key, "status": r.status, "attempts": r.attempts, "message_id": r.message_id}
                    for r in conn.execute(query)]
    finally:
        engine.dispose()


def _detection_against_clean(c: Cluster, run_id: str, today: dt.date) -> dict[str, Any]:
    """What the faulted run left against a clean evaluation of the same store for the same day: the rules
    engine run in this process without persisting (``persist=False``: the dry run, nothing written)."""
    import sqlalchemy as sa

    from fingertip.rules.engine import detect
    from fingertip.store import schema

    os.environ.update({k: v for k, v in c.env.items() if k.startswith(("FINGERTIP_", "AIRFLOW_CONN_"))})
    ti = c.task_instance("detect_findings", run_id, "detect")
    engine = _store_engine(c)
    f = schema.findings
    try:
        clean = detect(engine, check_date=today, persist=False)
        with engine.connect() as conn:
            stored = dict(conn.execute(sa.select(f.c.rule_id, sa.func.count()).where(f.c.state != "resolved")
                                       .group_by(f.c.rule_id)).all())
            rows, distinct = conn.execute(sa.select(
                sa.func.count(),
                sa.func.count(sa.distinct(sa.func.concat(f.c.rule_id, "|", f.c.target_type, "|", f.c.target_key))))
            ).one()
    finally:
        engine.dispose()
    return {"final_state": ti["state"], "final_try": ti["try_number"], "final_hostname": ti.get("hostname"),
            "stored_by_rule": {k: int(v) for k, v in sorted(stored.items())},
            "clean_by_rule": {k: int(v) for k, v in sorted(clean.by_rule.items())},
            "finding_rows": int(rows), "distinct_rule_targets": int(distinct)}


def _count_batches(c: Cluster) -> int:
    import sqlalchemy as sa

    from fingertip.store import schema

    engine = _store_engine(c)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(schema.import_batches)).scalar_one()
    engine.dispose()
    return int(count)


def _run_seconds(run: dict[str, Any]) -> float | None:
    """A DAG run's start to end (REST ``start_date``/``end_date``), as the demo records its runs."""
    if not run.get("start_date") or not run.get("end_date"):
        return None
    start, end = (dt.datetime.fromisoformat(run[k].replace("Z", "+00:00")) for k in ("start_date", "end_date"))
    return round((end - start).total_seconds(), 1)


def summarise(c: Cluster, today: dt.date, notes: dict[str, Any], seconds: float) -> dict[str, Any]:
    os.environ.update({k: v for k, v in c.env.items() if k.startswith(("FINGERTIP_", "AIRFLOW_CONN_"))})
    from fingertip_dev.demo import detection_counts

    dag_runs = []
    for dag_id in sorted(DAG_IDS):
        for run in c.runs(dag_id):
            dag_runs.append({"dag_id": dag_id, "run_id": run["dag_run_id"], "state": run["state"],
                             "run_type": run["run_type"], "logical_date": run.get("logical_date"),
                             "run_after": run.get("run_after"), "seconds": _run_seconds(run),
                             "workers": c.task_hosts(dag_id, run["dag_run_id"])})
    engine = _store_engine(c)
    detection = detection_counts(engine, today)
    engine.dispose()
    hosts: dict[str, int] = {}
    for r in dag_runs:
        for h, n in r["workers"].items():
            hosts[h] = hosts.get(h, 0) + n
    tasks = sum(hosts.values())
    pipeline_seconds = notes.get("pipeline_seconds") or seconds
    return {"entities": c.entities, "seed": c.seed, "date": today.isoformat(), "executor": "CeleryExecutor",
            "workers": hosts, "dag_runs": dag_runs, "detection": detection, "checks": notes,
            "seconds": round(seconds, 1), "pipeline_seconds": pipeline_seconds, "tasks": tasks,
            "tasks_per_second": round(tasks / pipeline_seconds, 3) if pipeline_seconds else None,
            "worker_peak_rss_mb": {n: round(b / 2**20, 1) for n, b in sorted(c.peak_rss.items())}}


def print_summary(summary: dict[str, Any]) -> None:
    print("\nCluster summary")
    for r in summary["dag_runs"]:
        workers = ", ".join(f"{h}: {n}" for h, n in sorted(r["workers"].items()))
        print(f"  {r['dag_id']:<28} {r['run_type']:<14} {r['state']:<8} {workers}  {r['run_id']}")
    q = summary["detection"]["quality"]
    print(f"  tasks per worker: {summary['workers']}")
    print(f"  findings {summary['detection']['findings']:,}; recall {q.get('recall')} "
          f"({q.get('recalled')}/{q.get('planted')}); clean flagged {q.get('clean_flagged')}")
    print(f"  pipeline {summary['pipeline_seconds']} s on CeleryExecutor ({summary['entities']} entities; "
          f"{summary['tasks']} tasks, {summary['tasks_per_second']} tasks/s); worker peak RSS MB "
          f"{summary['worker_peak_rss_mb']}; whole command {summary['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev cluster")
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--out", default=str(ROOT / "out" / "cluster"))
    parser.add_argument("--redis-db", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="leave the databases (processes are always stopped)")
    parser.add_argument("--no-faults", dest="faults", action="store_false",
                        help="skip the fault: kill -9 of a worker in the middle of a mapped import task")
    args = parser.parse_args(argv)

    import pendulum

    out = Path(args.out).resolve()
    for stale in ("airflow", "shared", "workers", "logs"):
        shutil.rmtree(out / stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    c = Cluster(out=out, entities=args.entities, seed=args.seed, redis_db=args.redis_db, keep=args.keep,
                faults=args.faults)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    started = time.monotonic()
    status = 1
    try:
        meta, store = c.create_databases()
        c.configure(meta, store)
        c.install_wheel()
        c.prepare()
        c.start_airflow()
        c.sample_rss()
        c.wait_api()
        today = pendulum.now("Asia/Shanghai").date()
        notes = pipeline(c, today)
        notes["pipeline_seconds"] = round(time.monotonic() - notes.pop("pipeline_started"), 1)
        notes["runs_started_by_their_schedules"] = c.settle_all_runs()
        summary = summarise(c, today, notes, time.monotonic() - started)
        (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        print_summary(summary)
        failed = [r for r in summary["dag_runs"] if r["state"] != "success"
                  and not (r["dag_id"] == "validate_inventory" and notes.get("validation_red_by_rejected_batches"))]
        hosts = set(summary["workers"])
        if failed:
            log(f"runs not successful: {[(r['dag_id'], r['run_id'], r['state']) for r in failed]}")
        elif not {f"{w}" for w in WORKERS} <= hosts:
            log(f"tasks did not run on both workers: {summary['workers']}")
        else:
            status = 0
    except (ClusterError, KeyboardInterrupt) as exc:
        log(f"FAILED: {exc}")
    finally:
        c._sampling = False
        c.stop_all()
        if not c.keep:
            with contextlib.suppress(Exception):
                c.drop_databases()
        with contextlib.suppress(Exception):
            c.flush_redis()
        for s, handler in previous.items():
            signal.signal(s, handler)
    log(f"{'passed' if status == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s; summary {out / 'summary.json'}")
    return status
