"""Store URL resolution (``fingertip.store.engine.resolve_store_url``) in-process and through the CLI.

Order: ``FINGERTIP_STORE_URL`` → ``[fingertip] store_url`` → the Airflow connection ``store_conn_id``
(secrets backends and the metadata database, also outside tasks) → embedded SQLite, only when no such
connection exists. A configured store that cannot be read fails loudly.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.airflow_templates import copy_migrated_airflow_home
from tests.conftest import PG_URL, ROOT, require_pg
from tests.helpers import run_python

from fingertip import config
from fingertip.config import ConfigurationError
from fingertip.store import engine

_VARS = ("FINGERTIP_STORE_URL", "AIRFLOW__FINGERTIP__STORE_URL", "FINGERTIP_STORE_CONN_ID",
         "AIRFLOW__FINGERTIP__STORE_CONN_ID", "AIRFLOW_CONN_FINGERTIP_STORE", "AIRFLOW_CONN_OTHER_STORE")


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FINGERTIP_DATA_DIR", str(tmp_path / "data"))


def _conn_json(**fields) -> str:
    return json.dumps(fields)


# -- in-process ------------------------------------------------------------------------------------
def test_environment_wins_over_section_and_connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(conn_type="mysql", host="x"))  # broken
    monkeypatch.setenv("AIRFLOW__FINGERTIP__STORE_URL", "postgresql+psycopg://u@section/db")
    monkeypatch.setenv("FINGERTIP_STORE_URL", "postgresql+psycopg://u@env/db")
    assert engine.resolve_store_url() == "postgresql+psycopg://u@env/db"


def test_section_store_url_wins_over_connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(conn_type="mysql", host="x"))
    monkeypatch.setenv("AIRFLOW__FINGERTIP__STORE_URL", "postgresql+psycopg://u@section/db")
    assert engine.resolve_store_url() == "postgresql+psycopg://u@section/db"


def test_connection_from_airflow_conn_environment_variable(monkeypatch, tmp_path):
    path = tmp_path / "conn.db"
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(
        conn_type="fingertip_store", extra={"backend": "sqlite", "sqlite_path": str(path)}))
    assert engine.resolve_store_url() == f"sqlite:///{path}"


def test_postgres_connection_with_all_fields(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(
        conn_type="fingertip_store", host="db.internal", port=5433, schema="governance", login="ft",
        password="p@ss:w/rd%", extra={"backend": "postgresql", "sslmode": "require"}))
    url = sa.make_url(engine.resolve_store_url())
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.username, url.password) == (
        "db.internal", 5433, "governance", "ft", "p@ss:w/rd%")
    assert url.query == {"sslmode": "require"}


def test_compatible_postgres_and_sqlite_types(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", "postgres://ft:pw@db.internal:5432/governance")
    assert sa.make_url(engine.resolve_store_url()).database == "governance"
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(conn_type="sqlite", host=str(tmp_path / "s.db")))
    assert engine.resolve_store_url() == f"sqlite:///{tmp_path / 's.db'}"


def test_store_conn_id_option_names_the_connection(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_CONN_OTHER_STORE", _conn_json(conn_type="sqlite", host=str(tmp_path / "o.db")))
    assert engine.resolve_store_url() == config.default_store_url()  # fingertip_store does not exist
    monkeypatch.setenv("AIRFLOW__FINGERTIP__STORE_CONN_ID", "other_store")
    assert engine.resolve_store_url() == f"sqlite:///{tmp_path / 'o.db'}"


def test_unsupported_connection_type_is_an_error(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(conn_type="generic", host="db"))
    with pytest.raises(ConfigurationError, match="unsupported type 'generic'"):
        engine.resolve_store_url()


def test_sqlite_backend_without_path_is_an_error(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(conn_type="fingertip_store",
                                                                  extra={"backend": "sqlite"}))
    with pytest.raises(ConfigurationError, match="sqlite_path"):
        engine.resolve_store_url()


def test_store_hook_uses_the_same_resolution(monkeypatch, tmp_path):
    from fingertip.hooks.store import StoreHook

    monkeypatch.setenv("AIRFLOW_CONN_OTHER_STORE", _conn_json(conn_type="sqlite", host=str(tmp_path / "h.db")))
    assert StoreHook("other_store").get_uri() == f"sqlite:///{tmp_path / 'h.db'}"
    assert StoreHook().get_uri() == config.default_store_url()
    monkeypatch.setenv("FINGERTIP_STORE_URL", "sqlite:////srv/env.db")
    assert StoreHook("other_store").get_uri() == "sqlite:////srv/env.db"


def test_in_task_lookup_goes_through_the_task_sdk(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "_in_task", lambda: True)
    monkeypatch.setattr(engine, "_lookup_outside_task", lambda _id: pytest.fail("server-side lookup in a task"))
    assert engine.resolve_store_url() == config.default_store_url()
    monkeypatch.setenv("AIRFLOW_CONN_FINGERTIP_STORE", _conn_json(conn_type="sqlite", host=str(tmp_path / "t.db")))
    assert engine.resolve_store_url() == f"sqlite:///{tmp_path / 't.db'}"


def test_no_import_circle_between_hook_and_engine():
    import ast

    tree = ast.parse(Path(engine.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported, "no imports found: the check is broken"
    assert not {m for m in imported if m.startswith("fingertip.hooks")}, imported


# -- the CLI outside a task, with a real Airflow metadata database ------------------------------------
@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("resolve-airflow")
    copy_migrated_airflow_home(tmp_path_factory, home)  # = airflow db migrate there (tests/airflow_templates.py)
    return home


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FINGERTIP_", "AIRFLOW__FINGERTIP__", "AIRFLOW_CONN_", "AIRFLOW__SECRETS__"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), env.get("PYTHONPATH", "")]),
        "FINGERTIP_HOME": str(home),
    })
    return env


@pytest.fixture
def cli_env(airflow_home, tmp_path) -> dict[str, str]:
    env = _base_env(airflow_home)
    env["FINGERTIP_DATA_DIR"] = str(tmp_path / "data")
    yield env
    _delete_store_connection(airflow_home)  # the test may have changed env


def _delete_store_connection(home: Path) -> None:
    """Delete ``fingertip_store`` from the module's metadata database: a plain row delete, in-process
    (the same effect as ``_store_connection(env, None)`` without paying a fresh Airflow import)."""
    eng = sa.create_engine(f"sqlite:///{home / 'airflow.db'}")
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("DELETE FROM connection WHERE conn_id = 'fingertip_store'"))
    finally:
        eng.dispose()


def _store_connection(env: dict[str, str], fields: dict | None) -> None:
    """Replace (or, with None, delete) ``fingertip_store`` in the metadata database, as the UI would."""
    code = textwrap.dedent(f"""
        import json
        from airflow.models import Connection
        from airflow.utils.session import create_session
        fields = json.loads({json.dumps(json.dumps(fields))})
        with create_session() as session:
            for old in session.query(Connection).filter(Connection.conn_id == "fingertip_store"):
                session.delete(old)
            session.flush()
            if fields is not None:
                extra = fields.pop("extra", None)
                session.add(Connection(conn_id="fingertip_store", extra=json.dumps(extra) if extra else None,
                                       **fields))
    """)
    proc = run_python(env, "-c", code, timeout=300, preload=_PRELOAD)
    assert proc.returncode == 0, proc.stderr[-3000:]


#: What a fresh ``python -m fingertip`` or the connection script imports first: the fork server of each
#: Airflow configuration imports it once (tests/helpers.py, run_python), each command is a fresh fork.
_PRELOAD = ("airflow.configuration",)


def _fingertip(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run_python(env, "-m", "fingertip", *args, timeout=600, preload=_PRELOAD)


def _default_db(env: dict[str, str]) -> Path:
    return Path(env["FINGERTIP_DATA_DIR"]) / "fingertip.db"


def _revision(url: str) -> str | None:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        eng.dispose()


@pytest.mark.slow
def test_cli_nothing_configured_uses_embedded_sqlite(cli_env):
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _default_db(cli_env).exists()
    assert _revision(f"sqlite:///{_default_db(cli_env)}")


@pytest.mark.slow
def test_cli_finds_connection_in_metadata_db_outside_a_task(cli_env, tmp_path):
    """The bug: outside a task the SDK lookup did not see the metadata DB and SQLite was migrated."""
    target = tmp_path / "from-connection.db"
    _store_connection(cli_env, {"conn_type": "fingertip_store",
                                "extra": {"backend": "sqlite", "sqlite_path": str(target)}})
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _revision(f"sqlite:///{target}")
    assert not _default_db(cli_env).exists(), "the embedded SQLite store was used despite the connection"
    assert str(target) in done.stdout


@pytest.mark.slow
@pytest.mark.pg
def test_cli_postgres_connection_migrates_postgres(cli_env):
    require_pg()
    name = f"ft_resolve_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.make_url(PG_URL)
    try:
        _store_connection(cli_env, {"conn_type": "fingertip_store", "host": base.host, "port": base.port or 5432,
                                    "schema": name, "login": base.username, "password": base.password,
                                    "extra": {"backend": "postgresql"}})
        done = _fingertip(cli_env, "store", "upgrade")
        assert done.returncode == 0, done.stderr[-3000:]
        assert _revision(base.set(database=name).render_as_string(hide_password=False))
        assert not _default_db(cli_env).exists()
        assert f"/{name}" in done.stdout
    finally:
        admin.dispose()
        _drop_database_later(name)


_DROPS: list[threading.Thread] = []


def _drop_database_later(name: str) -> None:
    """``DROP DATABASE`` forces a PostgreSQL checkpoint, which waits for every dirty buffer of the server:
    seconds to minutes while the other test workers write. The test does not need to wait for it; the
    module's teardown does (nothing is left behind)."""
    def drop() -> None:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    thread = threading.Thread(target=drop, name=f"drop-{name}")
    thread.start()
    _DROPS.append(thread)


@pytest.fixture(scope="module", autouse=True)
def _databases_dropped():
    yield
    for thread in _DROPS:
        thread.join()


@pytest.mark.slow
def test_cli_connection_of_wrong_type_fails_clearly(cli_env):
    _store_connection(cli_env, {"conn_type": "generic", "host": "db.internal", "schema": "fingertip"})
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode != 0
    assert "unsupported type 'generic'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not _default_db(cli_env).exists()


@pytest.mark.slow
def test_cli_unreachable_metadata_db_fails_clearly(cli_env, tmp_path):
    cli_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'airflow.db'}"
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode != 0
    assert "metadata database is not reachable" in done.stderr
    assert not _default_db(cli_env).exists()


@pytest.mark.slow
def test_cli_failing_secrets_backend_fails_clearly(cli_env, tmp_path):
    (tmp_path / "boom_backend.py").write_text(textwrap.dedent("""
        from airflow.secrets import BaseSecretsBackend

        class BoomBackend(BaseSecretsBackend):
            def get_conn_value(self, conn_id, team_name=None):
                raise RuntimeError("vault is sealed")

            def get_connection(self, conn_id, team_name=None):
                raise RuntimeError("vault is sealed")
    """))
    cli_env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), cli_env["PYTHONPATH"]])
    cli_env["AIRFLOW__SECRETS__BACKEND"] = "boom_backend.BoomBackend"
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode != 0
    assert "BoomBackend" in done.stderr and "vault is sealed" in done.stderr
    assert not _default_db(cli_env).exists()


@pytest.mark.slow
def test_cli_env_url_needs_no_metadata_db(cli_env, tmp_path):
    """FINGERTIP_STORE_URL short-cuts everything: even an unreachable metadata DB is not consulted."""
    cli_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path / 'no' / 'dir' / 'airflow.db'}"
    cli_env["FINGERTIP_STORE_URL"] = f"sqlite:///{tmp_path / 'env.db'}"
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _revision(cli_env["FINGERTIP_STORE_URL"])


@pytest.mark.slow
def test_cli_unmigrated_metadata_db_means_no_connection(cli_env, tmp_path):
    cli_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path / 'fresh-airflow.db'}"
    done = _fingertip(cli_env, "store", "upgrade")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _default_db(cli_env).exists()
