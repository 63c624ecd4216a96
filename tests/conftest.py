"""Shared fixtures: a fresh governance store on SQLite and on PostgreSQL.

PostgreSQL is taken from ``FINGERTIP_TEST_PG_URL`` (default: the local server, database ``test``).
When it cannot be reached the PostgreSQL variants skip with the reason, unless
``FINGERTIP_REQUIRE_PG=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent

# Airflow reads its configuration when first imported: point it at a throw-away home before any
# test module imports it, so tests never touch the developer's .airflow/ metadata database.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="fingertip-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "FINGERTIP_HOME": str(ROOT),
    }
)

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
    except Exception as exc:  # any driver or network error means "not available"
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


def make_pg_schema_url() -> tuple[str, str]:
    """A fresh, empty schema on the test server and a URL whose search_path points at it."""
    schema = f"ft_{uuid.uuid4().hex[:12]}"
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

    The store and outputs of those runs live in a fresh temporary folder, too.
    """
    home = tmp_path_factory.mktemp("airflow-home")
    work = tmp_path_factory.mktemp("fingertip-work")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "FINGERTIP_DATA_DIR": str(work / "data"),
        "FINGERTIP_OUTPUT_URL": (work / "out").as_uri(),
        "PYTHONPATH": f"{ROOT / 'plugins'}:{os.environ.get('PYTHONPATH', '')}",
    }
    airflow = str(Path(os.sys.executable).parent / "airflow")
    proc = subprocess.run([airflow, "db", "migrate"], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    yield env
    shutil.rmtree(home, ignore_errors=True)


def airflow_cmd(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the Airflow CLI of this interpreter's environment with ``env``."""
    airflow = str(Path(os.sys.executable).parent / "airflow")
    return subprocess.run([airflow, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def pg_url():
    require_pg()
    url, schema = make_pg_schema_url()
    yield url
    drop_pg_schema(schema)


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
