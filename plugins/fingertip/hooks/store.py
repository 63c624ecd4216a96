"""Hook for the governance store connection (``fingertip_store``)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from fingertip.store import engine as store_engine


class StoreHook(BaseHook):
    """Opens the governance store.

    The connection ``fingertip_store`` selects PostgreSQL in production (type ``postgres``: host,
    port, schema = database, login, password) or a SQLite file (type ``sqlite``: host = file path).
    ``FINGERTIP_STORE_URL`` overrides it; without either, the embedded SQLite file is used.
    """

    conn_name_attr = "store_conn_id"
    default_conn_name = store_engine.STORE_CONN_ID
    conn_type = "postgres"
    hook_name = "Fingertip governance store"

    def __init__(self, store_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store_conn_id = store_conn_id
        self._engine = None

    @classmethod
    def url_if_configured(cls, conn_id: str = default_conn_name) -> str | None:
        """The URL from the connection, or None when no such connection is defined."""
        try:
            conn = cls.get_connection(conn_id)
        except Exception:  # not found, or no metadata database reachable (plain library use)
            return None
        return store_engine.connection_to_url(
            conn.conn_type, conn.host, conn.schema, conn.login, conn.password, conn.port
        )

    def get_uri(self) -> str:
        import os

        return (
            os.environ.get("FINGERTIP_STORE_URL")
            or self.url_if_configured(self.store_conn_id)
            or store_engine.resolve_store_url()
        )

    def get_engine(self):
        if self._engine is None:
            self._engine = store_engine.create_store_engine(self.get_uri())
        return self._engine
