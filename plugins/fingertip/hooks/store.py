"""Hook for the governance store connection (type ``fingertip_store``, default id ``fingertip_store``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from fingertip.store import engine as store_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class StoreHook(BaseHook):
    """Opens the governance store.

    The connection (type ``fingertip_store``) selects PostgreSQL in production (field ``backend`` =
    ``postgresql``: host, port, schema = database, login, password, optional ``sslmode``) or a SQLite
    file (``backend`` = ``sqlite``, field ``sqlite_path``); connections of type ``postgres`` or
    ``sqlite`` (host = file path) are accepted too. ``FINGERTIP_STORE_URL`` or ``[fingertip]
    store_url`` override it; only when the connection does not exist is the embedded SQLite file used.
    The resolution itself lives in :func:`fingertip.store.engine.resolve_store_url`.
    """

    conn_name_attr = "store_conn_id"
    default_conn_name = store_engine.STORE_CONN_ID
    conn_type = store_engine.STORE_CONN_TYPE
    hook_name = "Fingertip governance store"

    def __init__(self, store_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store_conn_id = store_conn_id or store_engine.store_conn_id()
        self._engine: Engine | None = None

    @classmethod
    def url_if_configured(cls, conn_id: str | None = None) -> str | None:
        """The URL from the connection, or None when no such connection is defined.

        :raises fingertip.config.ConfigurationError: the connection exists but cannot be read or used.
        """
        return store_engine.url_for_connection_id(conn_id or store_engine.store_conn_id())

    def get_uri(self) -> str:
        return store_engine.resolve_store_url(self.store_conn_id)

    def get_engine(self) -> Engine:
        if self._engine is None:
            self._engine = store_engine.create_store_engine(self.get_uri())
        return self._engine
