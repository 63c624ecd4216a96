"""Choosing and opening the governance store — the one place the store URL is resolved.

Resolution order, first hit wins:

1. ``FINGERTIP_STORE_URL`` (any SQLAlchemy URL);
2. ``[fingertip] store_url`` of Airflow's configuration (``AIRFLOW__FINGERTIP__STORE_URL``);
3. the Airflow connection named by ``[fingertip] store_conn_id`` (default ``fingertip_store``), looked
   up through Airflow's secrets backends — inside a task through the Task SDK, everywhere else (the
   ``fingertip`` CLI, ``make store``, the demo) through the server-side chain: a configured external
   secrets backend, ``AIRFLOW_CONN_*`` environment variables, then the metadata database;
4. the embedded default, a SQLite file in the data folder — **only** when no such connection exists.

A connection that exists but cannot be used (unsupported type, missing database or file path) and a
lookup that fails (metadata database unreachable, a secrets backend raising) raise
:class:`fingertip.config.ConfigurationError`: a configured store is never silently replaced by the
local SQLite file. A metadata database that was never migrated (no ``connection`` table) holds no
connection, so it counts as "not defined".

Accepted connection types: ``fingertip_store`` (field ``backend``: ``postgresql`` with host, port,
schema = database, login, password, optional extra ``sslmode``; or ``sqlite`` with extra
``sqlite_path``), and for compatibility ``postgres``/``postgresql`` and ``sqlite`` (host = file path).

This module imports Airflow only inside functions; :mod:`fingertip.hooks.store` builds on it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from fingertip import config
from fingertip.config import ConfigurationError

log = logging.getLogger(__name__)

#: Default id of the store connection (the ``store_conn_id`` option may name another one).
STORE_CONN_ID = "fingertip_store"
STORE_CONN_TYPE = "fingertip_store"
POSTGRES_TYPES = ("postgres", "postgresql")
SQLITE_TYPES = ("sqlite",)
SUPPORTED_TYPES = (STORE_CONN_TYPE, *POSTGRES_TYPES, *SQLITE_TYPES)


def store_conn_id() -> str:
    """Id of the store connection: ``store_conn_id`` option (env → ``[fingertip]``), else ``fingertip_store``."""
    return config.get("store_conn_id") or STORE_CONN_ID


def _postgres_url(host: str | None, schema: str | None, login: str | None, password: str | None,
                  port: int | None, query: dict[str, str] | None = None) -> str:
    return sa.URL.create(
        "postgresql+psycopg",
        username=login or None,
        password=password or None,
        host=host or None,
        port=port or None,
        database=schema or None,
        query=query or {},
    ).render_as_string(hide_password=False)


def connection_to_url(conn_type: str, host: str | None, schema: str | None, login: str | None,
                      password: str | None, port: int | None, extra: dict[str, Any] | None = None,
                      conn_id: str = STORE_CONN_ID) -> str:
    """Turn Airflow connection fields into a SQLAlchemy URL (password bound, never logged).

    :raises ValueError: unsupported type, or a field the type needs is missing.
    """
    conn_type = (conn_type or "").lower()
    extra = extra or {}
    if conn_type == STORE_CONN_TYPE:
        backend = str(extra.get("backend") or "postgresql").lower()
        if backend in ("postgresql", "postgres"):
            sslmode = extra.get("sslmode")
            return _postgres_url(host, schema, login, password, port, {"sslmode": sslmode} if sslmode else None)
        if backend == "sqlite":
            path = extra.get("sqlite_path") or host
            if not path:
                raise ValueError(f"connection {conn_id!r} (type {STORE_CONN_TYPE}, backend sqlite) needs the file "
                                 "path in the 'sqlite_path' field")
            return f"sqlite:///{path}"
        raise ValueError(f"connection {conn_id!r} has unsupported backend {backend!r} (use postgresql or sqlite)")
    if conn_type in POSTGRES_TYPES:
        sslmode = extra.get("sslmode")
        return _postgres_url(host, schema, login, password, port, {"sslmode": sslmode} if sslmode else None)
    if conn_type in SQLITE_TYPES:
        path = host or schema
        if not path:
            raise ValueError(f"connection {conn_id!r} of type sqlite needs the file path in 'host'")
        return f"sqlite:///{path}"
    raise ValueError(f"connection {conn_id!r} has unsupported type {conn_type!r} "
                     f"(use {STORE_CONN_TYPE}, postgres or sqlite)")


def url_from_connection(conn: Any) -> str:
    """The store URL of an Airflow connection object (SDK or models); ConfigurationError if unusable."""
    try:
        extra = conn.extra_dejson or {}
    except ValueError as exc:  # malformed extra JSON
        raise ConfigurationError(f"connection {conn.conn_id!r}: its extra is not valid JSON ({exc})") from None
    try:
        return connection_to_url(conn.conn_type, conn.host, conn.schema, conn.login, conn.password, conn.port,
                                 extra, conn_id=conn.conn_id)
    except ValueError as exc:
        raise ConfigurationError(f"store {exc}") from None


# -- connection lookup ----------------------------------------------------------------------------
def _in_task() -> bool:
    """True inside a task (or DAG-parse) process talking to the supervisor through the Task SDK."""
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(runner, "SUPERVISOR_COMMS", None) is not None


def _lookup_in_task(conn_id: str) -> Any | None:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def _metadata_db_has_connection_table() -> bool:
    """Whether Airflow's metadata database was migrated; raises when it cannot be reached."""
    from airflow import settings

    engine = settings.engine if getattr(settings, "engine", None) is not None else settings.get_engine()
    return sa.inspect(engine).has_table("connection")


def _lookup_outside_task(conn_id: str) -> Any | None:
    """Ask every server-side secrets backend (external backend, env vars, metadata DB) in order.

    Unlike ``airflow.models.Connection.get_connection_from_secrets`` (which logs a failing backend at
    debug level and reports "not defined"), a backend that raises is an error here, so that a store
    connection that exists but cannot be read never turns into the SQLite default.
    """
    from airflow.configuration import ensure_secrets_loaded
    from airflow.secrets.metastore import MetastoreBackend

    for backend in ensure_secrets_loaded():
        name = type(backend).__name__
        try:
            conn = backend.get_connection(conn_id=conn_id)
        except Exception as exc:  # noqa: BLE001 - any backend failure becomes a ConfigurationError
            if isinstance(backend, MetastoreBackend):
                try:
                    migrated = _metadata_db_has_connection_table()
                except Exception as db_exc:  # noqa: BLE001 - reported as a ConfigurationError
                    raise ConfigurationError(
                        f"cannot look up the store connection {conn_id!r}: Airflow's metadata database is not "
                        f"reachable ({_first_line(db_exc)}). Start it, or set FINGERTIP_STORE_URL / "
                        "[fingertip] store_url.") from None
                if not migrated:
                    log.warning("Airflow's metadata database has no connection table (not migrated): "
                                "connection %r is not defined there", conn_id)
                    continue
            raise ConfigurationError(
                f"cannot read the store connection {conn_id!r} from the secrets backend {name}: "
                f"{type(exc).__name__}: {_first_line(exc)}") from None
        if conn is not None:
            log.debug("store connection %r found by %s", conn_id, name)
            return conn
    return None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def lookup_connection(conn_id: str) -> Any | None:
    """The Airflow connection ``conn_id``, or None when no secrets backend defines it.

    Returns None as well when Airflow is not installed (plain library use).
    :raises ConfigurationError: a lookup failed (see :func:`_lookup_outside_task`).
    """
    if config.import_airflow_configuration() is None:  # Airflow not installed
        return None
    if _in_task():
        return _lookup_in_task(conn_id)
    return _lookup_outside_task(conn_id)


def url_for_connection_id(conn_id: str) -> str | None:
    """The store URL from connection ``conn_id``; None when it is not defined anywhere."""
    conn = lookup_connection(conn_id)
    return url_from_connection(conn) if conn is not None else None


def _url_from_airflow(conn_id: str | None = None) -> str | None:
    return url_for_connection_id(conn_id or store_conn_id())


def resolve_store_url(conn_id: str | None = None) -> str:
    """The store URL: env → ``[fingertip] store_url`` → connection ``conn_id`` (default
    ``store_conn_id``) → embedded SQLite (only when that connection does not exist)."""
    url = config.get("store_url")
    if url:
        return url
    url = _url_from_airflow(conn_id) if conn_id else _url_from_airflow()
    if url:
        return url
    return config.default_store_url()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # 64 MB page cache (default 2 MB): index maintenance of large writes (inspections, findings)
    # otherwise thrashes the cache and slows down more than linearly with the store's size.
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def create_store_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine on the store; SQLite files get their folder created and sane pragmas."""
    url = url or resolve_store_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def describe(url: str) -> str:
    """The URL for logs, password hidden."""
    return make_url(url).render_as_string(hide_password=True)
