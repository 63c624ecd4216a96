"""Choosing and opening the governance store.

Resolution order for the store URL:

1. ``FINGERTIP_STORE_URL`` (any SQLAlchemy URL);
2. the Airflow connection ``fingertip_store`` (``postgres`` or ``sqlite`` type), when Airflow is
   importable and the connection exists — see :class:`fingertip.hooks.store.StoreHook`;
3. the embedded default, a SQLite file in the project data folder.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from fingertip import config

log = logging.getLogger(__name__)

STORE_CONN_ID = "fingertip_store"


def connection_to_url(conn_type: str, host: str | None, schema: str | None, login: str | None,
                      password: str | None, port: int | None) -> str:
    """Turn Airflow connection fields into a SQLAlchemy URL (password bound, never logged)."""
    conn_type = (conn_type or "").lower()
    if conn_type in ("postgres", "postgresql"):
        return sa.URL.create(
            "postgresql+psycopg",
            username=login or None,
            password=password or None,
            host=host or None,
            port=port or None,
            database=schema or None,
        ).render_as_string(hide_password=False)
    if conn_type == "sqlite":
        path = host or schema
        if not path:
            raise ValueError(f"connection {STORE_CONN_ID!r} of type sqlite needs the file path in 'host'")
        return f"sqlite:///{path}"
    raise ValueError(f"connection {STORE_CONN_ID!r} has unsupported type {conn_type!r} (use postgres or sqlite)")


def _url_from_airflow() -> str | None:
    try:
        from fingertip.hooks.store import StoreHook
    except ImportError:  # Airflow not installed: plain library use
        return None
    return StoreHook.url_if_configured()


def resolve_store_url() -> str:
    url = os.environ.get("FINGERTIP_STORE_URL") or _url_from_airflow() or config.default_store_url()
    return url


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
