"""Read-only access to a generated world (a SQLite file with the store schema).

Connections are opened read-only (``file:…?mode=ro``) and pooled: each request thread checks one
out for the duration of the request, so no connection is ever used by two threads at once.
Simulated delistings (``remove``/``restore``) live in memory and are mirrored into a TEMP table of
each connection, so the paged SQL can exclude them with an indexed ``NOT EXISTS``.
Paged queries keep the last key of every page they served: a client walking pages in order gets
keyset pagination (no growing OFFSET scans) while the page numbers stay the public contract.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fingertip.store.schema import ACCOUNT_PLATFORMS, FILING_KINDS, STORES

ANDROID_STORES: tuple[str, ...] = tuple(s for s in STORES if s != "apple")
#: Namespaces that ``remove``/``restore`` accept: stores (ids = trackId or package), filing kinds
#: (ids = service licence numbers) and account platforms (ids = platform account ids).
REMOVABLE: tuple[str, ...] = STORES + FILING_KINDS + ACCOUNT_PLATFORMS

_REQUIRED_TABLES = ("store_listings", "apps", "sponsors", "filings", "accounts", "account_activity")
_MAX_IDLE = 32
_MAX_CACHE = 200_000


class WorldError(RuntimeError):
    """The world file is missing or is not a store database."""


@dataclass
class _PooledConnection:
    conn: sqlite3.Connection
    removal_version: int = -1


def normalise_id(namespace: str, value: Any) -> str:
    """Ids as stored: Apple trackIds without leading zeros or spaces, others stripped."""
    text = str(value).strip()
    if namespace == "apple" and text.isdigit():
        return str(int(text))
    return text


class World:
    """A generated world opened read-only, with simulated removals and query caches."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise WorldError(f"world database not found: {self.path}")
        self._uri = f"{self.path.as_uri()}?mode=ro"
        self._pool: queue.LifoQueue[_PooledConnection] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._removed: dict[str, set[str]] = {}
        self._removal_version = 0
        self._counts: dict[tuple, int] = {}
        self._bounds: dict[tuple, tuple] = {}
        with self.connection() as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in _REQUIRED_TABLES if t not in names]
        if missing:
            raise WorldError(f"{self.path} is not a store database (missing tables: {', '.join(missing)})")

    # --- connections --------------------------------------------------------------------------

    def _open(self) -> _PooledConnection:
        try:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute(
                "CREATE TEMP TABLE ft_removed (ns TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (ns, id))"
            )
        except sqlite3.DatabaseError as exc:
            raise WorldError(f"cannot open world database {self.path}: {exc}") from exc
        return _PooledConnection(conn)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for this thread, its removal table in sync."""
        try:
            pooled = self._pool.get_nowait()
        except queue.Empty:
            pooled = self._open()
        try:
            self._sync_removals(pooled)
            yield pooled.conn
        except BaseException:  # a connection used by a failed block is not reused; re-raised
            pooled.conn.close()
            raise
        if self._pool.qsize() < _MAX_IDLE:
            self._pool.put(pooled)
        else:
            pooled.conn.close()

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().conn.close()
            except queue.Empty:
                return

    def _sync_removals(self, pooled: _PooledConnection) -> None:
        with self._lock:
            version = self._removal_version
            if pooled.removal_version == version:
                return
            rows = [(ns, i) for ns, ids in self._removed.items() for i in ids]
        conn = pooled.conn
        conn.execute("DELETE FROM temp.ft_removed")
        conn.executemany("INSERT INTO temp.ft_removed (ns, id) VALUES (?, ?)", rows)
        conn.commit()
        pooled.removal_version = version

    # --- simulated delisting ------------------------------------------------------------------

    def remove(self, namespace: str, ids: Iterable[Any]) -> int:
        """Hide ids of a namespace from every response; returns how many were newly hidden."""
        self._check_namespace(namespace)
        wanted = {normalise_id(namespace, i) for i in ids} - {""}
        with self._lock:
            current = self._removed.setdefault(namespace, set())
            added = wanted - current
            if added:
                current |= added
                self._removal_version += 1
        return len(added)

    def restore(self, namespace: str, ids: Iterable[Any] | None = None) -> int:
        """Undo ``remove`` for ids (all of the namespace when ids is None); returns how many."""
        self._check_namespace(namespace)
        with self._lock:
            current = self._removed.get(namespace, set())
            gone = set(current) if ids is None else current & {normalise_id(namespace, i) for i in ids}
            if gone:
                current -= gone
                self._removal_version += 1
        return len(gone)

    def restore_all(self) -> int:
        with self._lock:
            count = sum(len(ids) for ids in self._removed.values())
            if count:
                self._removed.clear()
                self._removal_version += 1
        return count

    def removed(self) -> dict[str, list[str]]:
        with self._lock:
            return {ns: sorted(ids) for ns, ids in self._removed.items() if ids}

    def has_removals(self, namespace: str | None = None) -> bool:
        with self._lock:
            if namespace is None:
                return any(self._removed.values())
            return bool(self._removed.get(namespace))

    def is_removed(self, namespace: str, value: str) -> bool:
        with self._lock:
            return value in self._removed.get(namespace, ())

    @staticmethod
    def _check_namespace(namespace: str) -> None:
        if namespace not in REMOVABLE:
            raise ValueError(
                f"unknown store/namespace {namespace!r}; expected one of: {', '.join(REMOVABLE)}")

    # --- queries ------------------------------------------------------------------------------

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.connection() as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def iterate(self, sql: str, params: Sequence[Any] = (), batch: int = 5000) -> Iterator[sqlite3.Row]:
        """Stream rows of a query (the connection stays checked out until exhausted)."""
        with self.connection() as conn:
            cur = conn.execute(sql, params)
            while rows := cur.fetchmany(batch):
                yield from rows

    def paged(
        self,
        name: str,
        select: str,
        from_where: str,
        params: Sequence[Any],
        order: Sequence[str],
        key: Sequence[str],
        page: int,
        page_size: int,
    ) -> tuple[int, list[sqlite3.Row]]:
        """``(total, rows)`` of one page of ``SELECT select FROM from_where ORDER BY order``.

        ``from_where`` must contain a WHERE clause; ``order`` are unique-together SQL expressions
        and ``key`` the names of the selected columns that hold them.
        """
        with self._lock:
            version = self._removal_version
        base = (name, from_where, tuple(params), version)
        total = self._counts.get(base)
        with self.connection() as conn:
            if total is None:
                total = conn.execute(f"SELECT count(*) FROM {from_where}", params).fetchone()[0]
                self._remember(self._counts, base, total)
            offset = (page - 1) * page_size
            if offset >= total:
                return total, []
            order_sql = ", ".join(order)
            bound = self._bounds.get((*base, page_size, page - 1)) if page > 1 else None
            if bound is not None:
                placeholders = ", ".join("?" * len(order))
                lhs = order[0] if len(order) == 1 else f"({order_sql})"
                rhs = "?" if len(order) == 1 else f"({placeholders})"
                sql = f"SELECT {select} FROM {from_where} AND {lhs} > {rhs} ORDER BY {order_sql} LIMIT ?"
                rows = conn.execute(sql, (*params, *bound, page_size)).fetchall()
            else:
                sql = f"SELECT {select} FROM {from_where} ORDER BY {order_sql} LIMIT ? OFFSET ?"
                rows = conn.execute(sql, (*params, page_size, offset)).fetchall()
        if rows:
            self._remember(self._bounds, (*base, page_size, page), tuple(rows[-1][k] for k in key))
        return total, rows

    def _remember(self, cache: dict, key: tuple, value: Any) -> None:
        with self._lock:
            if len(cache) >= _MAX_CACHE:
                cache.clear()
            cache[key] = value

    def removed_clause(self, namespace_sql: str, id_sql: str, namespace: str | None = None) -> str:
        """SQL that excludes removed ids (empty when nothing can match, to keep the fast path)."""
        if not self.has_removals(namespace):
            return ""
        return (" AND NOT EXISTS (SELECT 1 FROM temp.ft_removed r"
                f" WHERE r.ns = {namespace_sql} AND r.id = {id_sql})")
