"""Small, backend-neutral store operations shared by the pipeline stages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from fingertip.store.schema import TABLES


def _insert_for(conn: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT (with ON CONFLICT) for ``table``."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not implemented for {name}")  # pragma: no cover - two backends only


def upsert(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    key: Sequence[str],
    update: Iterable[str] | None = None,
) -> int:
    """Insert rows, or update ``update`` columns where the unique ``key`` already exists.

    Values are always bound parameters. ``update=()`` means insert-or-ignore. Returns the number of
    rows sent (drivers do not report inserted vs. updated reliably for batches).
    """
    if not rows:
        return 0
    stmt = _insert_for(conn, table)
    columns = update if update is not None else [c for c in rows[0] if c not in key]
    columns = list(columns)
    if columns:
        set_: dict[str, Any] = {c: stmt.excluded[c] for c in columns}
        if "updated_at" in table.c and "updated_at" not in set_:
            set_["updated_at"] = sa.func.current_timestamp()
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=set_)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    conn.execute(stmt, list(rows))
    return len(rows)


def chunks(seq: Sequence, size: int = 500) -> Iterable[Sequence]:
    """Consecutive slices of ``seq`` (keeps IN lists under every driver's parameter limit)."""
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def table_counts(conn: Connection) -> dict[str, int]:
    """Row count of every store table, in dependency order."""
    return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES}
