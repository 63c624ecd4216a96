"""Shared fixtures: a fresh governance store on SQLite and on PostgreSQL.

PostgreSQL is taken from ``FINGERTIP_TEST_PG_URL`` (default: the local server, database ``test``).
When it cannot be reached the PostgreSQL variants skip with the reason, unless
``FINGERTIP_REQUIRE_PG=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.helpers import fork_cpu_seconds, run_airflow, start_airflow_server

ROOT = Path(__file__).resolve().parent.parent

# pytest-xdist worker id ("gw0", "gw1", …; "master" without xdist): everything a test process
# creates outside tmp_path (Airflow home, data and output folders, PostgreSQL schemas) is per worker.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "master")

# Airflow reads its configuration when first imported: point it at a throw-away home before any
# test module imports it, so tests never touch the developer's .airflow/ metadata database.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix=f"fingertip-airflow-{WORKER}-"))
# The embedded data folder and outputs default to <FINGERTIP_HOME>/data and /out: give each test
# process its own, so parallel workers (and a `make demo` in the same checkout) never share them.
_WORK = Path(tempfile.mkdtemp(prefix=f"fingertip-work-{WORKER}-"))
atexit.register(shutil.rmtree, _AIRFLOW_HOME, True)
atexit.register(shutil.rmtree, _WORK, True)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "FINGERTIP_HOME": str(ROOT),
        "FINGERTIP_DATA_DIR": str(_WORK / "data"),
        "FINGERTIP_OUTPUT_URL": (_WORK / "out").as_uri(),
    }
)
for _var in ("FINGERTIP_INBOX_URL", "FINGERTIP_EXPORTS_URL", "FINGERTIP_WORLD_URL"):
    os.environ.pop(_var, None)

PG_URL = os.environ.get("FINGERTIP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("FINGERTIP_REQUIRE_PG") == "1"

# Keep tests away from the developer's own data and outputs.
os.environ.pop("FINGERTIP_STORE_URL", None)


def _pg_unavailable_reason() -> str | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 — any driver or network error means "not available"
        return f"PostgreSQL not reachable at {sa.make_url(PG_URL).render_as_string()}: {exc.__class__.__name__}"
    return None


_pg_reason: str | None | bool = False


def pg_unavailable_reason() -> str | None:
    global _pg_reason
    if _pg_reason is False:
        _pg_reason = _pg_unavailable_reason()
    return _pg_reason


def require_pg() -> None:
    reason = pg_unavailable_reason()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"FINGERTIP_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)


#: system catalogs every CREATE/DROP SCHEMA … CASCADE of the suite leaves dead rows in (thousands per run)
_CHURNED_CATALOGS = ("pg_attribute", "pg_class", "pg_depend", "pg_constraint", "pg_type", "pg_index", "pg_trigger",
                     "pg_attrdef", "pg_namespace", "pg_sequence", "pg_statistic", "pg_description")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """VACUUM the test database's churned system catalogs once per run, before the workers start.

    The suite creates and drops a schema per PostgreSQL test. A server with autovacuum off (as on these
    machines: ``SHOW autovacuum`` → off) keeps every dead catalog row: on one machine the test database
    grew from 107 to 405 MB over four ``make test`` runs and a ``make mutation`` (785,929 dead rows in
    pg_attribute) while ``make test`` went 352, 375, 391, 440 s. The VACUUM takes about 2 s and lets the
    catalogs reuse the space (and trims their empty tail) instead of growing with every run."""
    if WORKER != "master" or hasattr(session.config, "workerinput") or pg_unavailable_reason():
        return
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")  # VACUUM cannot run in a transaction
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM " + ", ".join(f"pg_catalog.{t}" for t in _CHURNED_CATALOGS)))
    except sa.exc.DBAPIError as exc:  # not the owner (a shared server): the tests still run, only slower
        print(f"conftest: VACUUM of the test database's catalogs skipped: {exc.orig}", file=sys.stderr)
    finally:
        engine.dispose()


def make_pg_schema_url() -> tuple[str, str]:
    """A fresh, empty schema on the test server and a URL whose search_path points at it."""
    schema = f"ft_{WORKER}_{uuid.uuid4().hex[:12]}"  # unique per test; the worker id says whose
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_pg_schema(schema: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """Environment of a migrated, throw-away Airflow home for real ``airflow dags test`` runs.

    The store and outputs of those runs live in a fresh temporary folder, too. The home's
    ``config/airflow_local_settings.py`` (``tests/airflow_home_config/``) is a cluster policy that
    shortens every task's retry delay to one second (no exponential backoff): ``dags test`` waits for a
    retry as the scheduler would, so a DAG's production delay of minutes was idle time in the tests. The
    retries themselves (their number, that they happen) stay the DAGs' own.
    """
    home = tmp_path_factory.mktemp("airflow-home")
    (home / "config").mkdir()
    shutil.copy(ROOT / "tests" / "airflow_home_config" / "airflow_local_settings.py", home / "config")
    work = tmp_path_factory.mktemp("fingertip-work")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "FINGERTIP_DATA_DIR": str(work / "data"),
        "FINGERTIP_OUTPUT_URL": (work / "out").as_uri(),
        "PYTHONPATH": f"{ROOT / 'plugins'}:{os.environ.get('PYTHONPATH', '')}",
    }
    from tests.airflow_templates import copy_migrated_airflow_home

    copy_migrated_airflow_home(tmp_path_factory, home)  # = `airflow db migrate` in `home`, done once per run
    start_airflow_server(env)  # warms up while the fixture's users prepare their data
    yield env
    shutil.rmtree(home, ignore_errors=True)


def airflow_cmd(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the Airflow CLI of this interpreter's environment with ``env`` (``airflow <args>``).

    Through a warmed-up fork server of the same Airflow configuration (``tests/helpers.py``), which
    saves the ≈ 10 s of imports a fresh ``airflow dags test`` process pays each time.

    ``dags test <dag_id>`` gets ``--dagfile-path <the file defining it>`` (unless the caller gave one):
    without it the CLI parses, serialises and syncs every file of the DAGs folder just to find the DAG,
    and then ``dag.test()`` re-syncs the whole folder anyway (so the other DAGs, e.g. asset-triggered
    ones, are still registered in the metadata database, as before).
    """
    if (args[:2] == ("dags", "test") and len(args) > 2 and not args[2].startswith("-")
            and not {"-f", "--dagfile-path"} & set(args)):
        dagfile = dag_file(env, args[2])
        if dagfile is not None:
            args = (*args, "--dagfile-path", str(dagfile))
    return run_airflow(env, *args, timeout=timeout)


def dag_file(env: dict[str, str], dag_id: str) -> Path | None:
    """The file of the env's DAGs folder that defines ``dag_id`` (``<dag_id>.py``, else the only file
    that names it in quotes), or None when that is not clear (then the CLI searches the whole folder)."""
    folder = Path(env.get("AIRFLOW__CORE__DAGS_FOLDER") or ROOT / "dags")
    if (folder / f"{dag_id}.py").is_file():
        return folder / f"{dag_id}.py"
    named = [p for p in sorted(folder.rglob("*.py"))
             if f'"{dag_id}"' in (text := p.read_text(encoding="utf-8", errors="replace")) or f"'{dag_id}'" in text]
    return named[0] if len(named) == 1 else None


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def pg_url():
    require_pg()
    url, schema = make_pg_schema_url()
    yield url
    drop_pg_schema(schema)


@pytest.fixture(scope="session")
def sqlite_store_template(tmp_path_factory):
    """A migrated SQLite store built once per test session: ``tests/store_templates.py``'s
    ``empty_store_engine(sqlite_store_template, tmp_path)`` hands each test an empty copy of it."""
    from tests.store_templates import migrated_store_template

    yield from migrated_store_template("sqlite", tmp_path_factory)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store_url(request, tmp_path):
    """An EMPTY store URL on each backend (call ``migrate.upgrade(url)`` to create the schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    require_pg()
    url, schema = make_pg_schema_url()
    yield url
    drop_pg_schema(schema)


@pytest.fixture
def store_engine(store_url):
    """A migrated store on each backend, and its engine."""
    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine

    migrate.upgrade(store_url)
    engine = create_store_engine(store_url)
    yield engine
    engine.dispose()


# --- order of test files for parallel runs ------------------------------------------------------------
# ``make test`` runs ``pytest -n <2 x cores> --dist loadfile --no-loadscope-reorder``: each file goes whole to one
# worker (module fixtures such as a generated sample or a started stub are built once), in collection
# order. Handing out the longest files first keeps one long file from starting last while the other
# workers idle. Cost of a file: the measured seconds below when known (2-core machine), else an
# estimate from its marks. Only the order of files changes; tests inside a file keep their order.
_KNOWN_FILE_SECONDS = {  # per file: the larger of its CPU seconds and the wall of its slowest phases in one
    # `make test` (-n 4 on 2 cores, 2026-12-06); files not listed are estimated from their marks
    "tests/lifecycle/test_dag.py": 68,
    "tests/test_wheel_install.py": 61,
    "tests/operators/test_plugin.py": 42,
    "tests/store/test_resolve.py": 40,
    "tests/dags/test_pipeline_dags.py": 39,
    "tests/writers/test_corpus.py": 34,
    "tests/reports/test_dags.py": 33,
    "tests/console/test_api.py": 31,
    "tests/quality/test_dag.py": 26,
    "tests/cluster/test_shared_locations.py": 26,
    "tests/dags/test_sponsor_digests.py": 25,
    "tests/lifecycle/test_documents.py": 18,
    "tests/test_runtime_boundary.py": 18,
    "tests/test_airflow_settings.py": 16,
    "tests/rules/test_engine.py": 16,
    "tests/quality/test_validate.py": 15,
    "tests/quality/test_data_docs_escaping.py": 14,
    "tests/quality/test_corpus.py": 13,
    "tests/reports/test_handoff.py": 11,
    "tests/reports/test_outputs.py": 11,
}


def _file_cost(path: str, items: list) -> float:
    if path in _KNOWN_FILE_SECONDS:
        return _KNOWN_FILE_SECONDS[path]
    cost = 0.0
    for item in items:
        if item.get_closest_marker("wheel"):
            cost += 200
        elif item.get_closest_marker("airflow"):
            cost += 25
        elif item.get_closest_marker("slow"):
            cost += 6
        else:
            cost += 0.3
    return cost


def pytest_collection_modifyitems(session, config, items):
    if not (os.environ.get("PYTEST_XDIST_WORKER") or getattr(config.option, "numprocesses", None)):
        return  # a serial run keeps the plain collection order
    by_file: dict[str, list] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ordered = sorted(by_file.items(), key=lambda kv: -_file_cost(kv[0], kv[1]))
    items[:] = [item for _, file_items in ordered for item in file_items]


# --- CPU profile of the suite -------------------------------------------------------------------------
# FINGERTIP_TEST_CPU_LOG=<file>: each test process appends one JSON line per test to <file> with the CPU
# seconds the test used (setup, call and teardown): its own process, the children it waited for and the
# Airflow fork servers with their forks (tests/helpers.py). Sum by file to see where the suite's CPU goes.
_CPU_LOG = os.environ.get("FINGERTIP_TEST_CPU_LOG")


def _cpu_now() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system + fork_cpu_seconds()


if _CPU_LOG:
    import json as _json

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        started = _cpu_now()
        yield
        line = {"file": item.nodeid.split("::", 1)[0], "test": item.nodeid, "worker": WORKER,
                "cpu": round(_cpu_now() - started, 3)}
        with open(_CPU_LOG, "a", encoding="utf-8") as fh:
            fh.write(_json.dumps(line) + "\n")
