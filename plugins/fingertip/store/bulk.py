"""Fast bulk loading into the governance store, without per-row SQLAlchemy.

:class:`BulkLoader` buffers rows per table and, whenever ``chunk_rows`` rows are pending (and on
:meth:`~BulkLoader.flush` / :meth:`~BulkLoader.close`), writes *all* buffers in foreign-key order
(``schema.metadata.sorted_tables``), so a child row is never written before its parent. Each
flush is one transaction.

* SQLite: raw DBAPI ``executemany`` with ``PRAGMA synchronous=OFF`` for the duration of the load
  (restored afterwards); foreign keys stay enforced.
* PostgreSQL: psycopg 3 ``COPY … FROM STDIN``; afterwards the id sequences are moved past the
  loaded ids (``setval(pg_get_serial_sequence(…))``).

Rows are tuples in the table's column order (:meth:`BulkLoader.columns`) or dicts. Two input
forms exist:

* native values (:meth:`~BulkLoader.add`, :meth:`~BulkLoader.load`): ``datetime``, ``date``,
  ``bool``, lists/dicts for JSON columns — converted by the loader;
* *encoded* values (:meth:`~BulkLoader.add_encoded`, :meth:`~BulkLoader.extend_encoded`), the fast
  path for generators: timestamps already formatted by :func:`fmt_datetime`, dates by
  :func:`fmt_date`, booleans as ``bool`` or 0/1, JSON as text (:func:`fmt_json`). These strings are
  exactly what SQLAlchemy itself writes on SQLite and what PostgreSQL's COPY parses, so values read
  back identically through SQLAlchemy on both backends.

Integer ids are explicit (assigned by the caller); a dict row without ``id`` gets the next id after
the table's current maximum. Sample data are removed with :func:`delete_by_source`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from fingertip.store import schema

log = logging.getLogger(__name__)

_TABLES: dict[str, sa.Table] = {t.name: t for t in schema.TABLES}
_ORDER: tuple[str, ...] = tuple(t.name for t in schema.TABLES)


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------

def fmt_datetime(value: dt.datetime) -> str:
    """Naive-UTC timestamp text, the format SQLAlchemy uses for DateTime on SQLite."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def fmt_date(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def fmt_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _enc_datetime(v):
    return v if v is None or v.__class__ is str else fmt_datetime(v)


def _enc_date(v):
    return v if v is None or v.__class__ is str else fmt_date(v)


def _enc_bool(v):
    return v if v is None else bool(v)


def _enc_json(v):
    return None if v is None else fmt_json(v)


def _encoder_for(column: sa.Column):
    col_type = column.type
    if isinstance(col_type, sa.JSON):
        return _enc_json
    if isinstance(col_type, sa.DateTime):
        return _enc_datetime
    if isinstance(col_type, sa.Date):
        return _enc_date
    if isinstance(col_type, sa.Boolean):
        return _enc_bool
    return None


def _python_default(column: sa.Column, now: str):
    """Python equivalent of a column's server default, for dict rows that omit it."""
    default = column.server_default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if isinstance(arg, str):
        if isinstance(column.type, sa.Integer):
            return int(arg)
        return arg
    compile_ = getattr(arg, "compile", None)
    text = str(compile_() if compile_ is not None else arg).lower()
    if "current_timestamp" in text or "now" in text:
        return now
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    arg_text = getattr(arg, "text", None)
    if isinstance(arg_text, str):
        return arg_text.strip("'")
    return None


class _TableInfo:
    __slots__ = ("columns", "encoders", "has_int_id", "index", "table")

    def __init__(self, table: sa.Table):
        self.table = table
        self.columns = tuple(c.name for c in table.columns)
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.encoders = tuple((i, enc) for i, c in enumerate(table.columns) if (enc := _encoder_for(c)))
        id_col = table.columns.get("id")
        self.has_int_id = id_col is not None and id_col.primary_key and isinstance(id_col.type, sa.Integer)


_INFO: dict[str, _TableInfo] = {name: _TableInfo(t) for name, t in _TABLES.items()}


# --------------------------------------------------------------------------------------------
# Writers (one DBAPI connection each; run in the caller's thread or in the background thread)
# --------------------------------------------------------------------------------------------

def _driver_connection(raw: Any) -> Any:
    """The DBAPI driver's own connection under SQLAlchemy's pooled wrapper."""
    con = raw.driver_connection
    if con is None:
        raise RuntimeError("the pooled connection has no driver connection (already closed)")
    return con


class _SQLiteWriter:
    def __init__(self, engine: sa.Engine):
        self._raw = engine.raw_connection()
        self._con = _driver_connection(self._raw)  # sqlite3.Connection
        self._con.commit()
        cur = self._con.cursor()
        self._old_sync = cur.execute("PRAGMA synchronous").fetchone()[0]
        self._old_cache = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-131072")  # 128 MiB page cache for index maintenance
        cur.close()
        self._sql: dict[str, str] = {}

    def _insert_sql(self, name: str) -> str:
        sql = self._sql.get(name)
        if sql is None:
            cols = _INFO[name].columns
            sql = f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
            self._sql[name] = sql
        return sql

    def write(self, batches: Sequence[tuple[str, list]]) -> None:
        con = self._con
        try:
            cur = con.cursor()
            for name, rows in batches:
                cur.executemany(self._insert_sql(name), rows)
            cur.close()
            con.commit()
        except BaseException:  # also on interrupt: no half-written batch stays open; re-raised
            con.rollback()
            raise

    def max_id(self, name: str) -> int:
        cur = self._con.execute(f'SELECT MAX(id) FROM "{name}"')
        value = cur.fetchone()[0]
        cur.close()
        return int(value or 0)

    def finish(self, tables: Iterable[str]) -> None:
        pass

    def close(self) -> None:
        try:
            self._con.execute(f"PRAGMA synchronous={int(self._old_sync)}")
            self._con.execute(f"PRAGMA cache_size={int(self._old_cache)}")
        finally:
            self._raw.close()


class _PostgresWriter:
    def __init__(self, engine: sa.Engine):
        self._raw = engine.raw_connection()
        self._con = _driver_connection(self._raw)  # psycopg.Connection
        self._con.commit()
        self._sql: dict[str, str] = {}

    def write(self, batches: Sequence[tuple[str, list]]) -> None:
        con = self._con
        try:
            with con.cursor() as cur:
                for name, rows in batches:
                    sql = self._sql.get(name)
                    if sql is None:
                        sql = f'COPY "{name}" ({", ".join(_INFO[name].columns)}) FROM STDIN'
                        self._sql[name] = sql
                    with cur.copy(sql) as copy:
                        write_row = copy.write_row
                        for row in rows:
                            write_row(row)
            con.commit()
        except BaseException:  # also on interrupt: no half-written batch stays open; re-raised
            con.rollback()
            raise

    def max_id(self, name: str) -> int:
        with self._con.cursor() as cur:
            cur.execute(f'SELECT MAX(id) FROM "{name}"')
            value = cur.fetchone()[0]
        self._con.commit()
        return int(value or 0)

    def finish(self, tables: Iterable[str]) -> None:
        with self._con.cursor() as cur:
            for name in tables:
                if _INFO[name].has_int_id:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                        f'FROM "{name}"',
                        (f'"{name}"',),
                    )
        self._con.commit()

    def close(self) -> None:
        self._raw.close()


def _make_writer(engine: sa.Engine) -> _SQLiteWriter | _PostgresWriter:
    backend = engine.dialect.name
    if backend == "sqlite":
        return _SQLiteWriter(engine)
    if backend == "postgresql":
        if engine.dialect.driver != "psycopg":
            raise ValueError("bulk loading into PostgreSQL needs the psycopg (3) driver: postgresql+psycopg://")
        return _PostgresWriter(engine)
    raise ValueError(f"bulk loading is not supported on {backend!r}")


class _Stop:
    pass


# --------------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------------

class BulkLoader:
    """Buffered, FK-ordered bulk insertion (see the module docstring).

    ``background=True`` writes in a separate thread (one flush queued at most) so that producing
    rows and writing them overlap; errors surface on the next call. Use as a context manager or
    call :meth:`close` (which flushes); after an error, :meth:`abort` drops what is buffered.
    """

    def __init__(self, engine: sa.Engine, chunk_rows: int = 100_000, *, background: bool = False):
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be positive")
        self.engine = engine
        self.backend = engine.dialect.name
        self.chunk_rows = chunk_rows
        self.background = background
        self.counts: Counter[str] = Counter()
        self.flushes = 0
        self.write_seconds = 0.0
        self._buffers: dict[str, list] = {name: [] for name in _ORDER}
        self._pending = 0
        self._touched: set[str] = set()
        self._next_id: dict[str, int] = {}
        self._now = fmt_datetime(dt.datetime.now(dt.UTC))
        self._closed = False
        self._error: BaseException | None = None
        if background:
            self._queue: queue.Queue = queue.Queue(maxsize=1)
            self._ready = threading.Event()
            self._writer: _SQLiteWriter | _PostgresWriter | None = None
            self._thread = threading.Thread(target=self._run, name="bulk-loader", daemon=True)
            self._thread.start()
            self._ready.wait()
            self._raise_if_failed()
        else:
            self._writer = _make_writer(engine)

    # -- public API ---------------------------------------------------------------------------

    @staticmethod
    def columns(table_name: str) -> tuple[str, ...]:
        """Column order expected for tuple rows."""
        return _info(table_name).columns

    def add(self, table_name: str, row: Sequence[Any] | Mapping[str, Any]) -> None:
        """Buffer one row with native Python values (converted here)."""
        info = _info(table_name)
        if isinstance(row, Mapping):
            values = self._from_mapping(info, row)
        else:
            values = list(row)
            if len(values) != len(info.columns):
                raise ValueError(f"{table_name}: expected {len(info.columns)} values, got {len(values)}")
        for i, enc in info.encoders:
            values[i] = enc(values[i])
        self._append(table_name, tuple(values))

    def add_encoded(self, table_name: str, row: tuple) -> None:
        """Buffer one already-encoded tuple (fast path, no checks)."""
        buf = self._buffers[table_name]
        buf.append(row)
        self._pending += 1
        if self._pending >= self.chunk_rows:
            self.flush()

    def extend_encoded(self, table_name: str, rows: list) -> None:
        """Buffer many already-encoded tuples of one table."""
        self._buffers[table_name].extend(rows)
        self._pending += len(rows)
        if self._pending >= self.chunk_rows:
            self.flush()

    def load(self, stream: Iterable[tuple[str, Any]], *, encoded: bool = False) -> Counter[str]:
        """Buffer every ``(table_name, row)`` of ``stream``; returns the rows added per table."""
        added: Counter[str] = Counter()
        add = self.add_encoded if encoded else self.add
        for table_name, row in stream:
            add(table_name, row)
            added[table_name] += 1
        return added

    def flush(self) -> None:
        """Write every buffer, parents first, in one transaction."""
        self._raise_if_failed()
        if not self._pending:
            return
        batches = [(name, buf) for name, buf in self._buffers.items() if buf]
        for name, buf in batches:
            self.counts[name] += len(buf)
            self._touched.add(name)
        self._buffers = {name: [] for name in _ORDER}
        self._pending = 0
        self.flushes += 1
        if self.background:
            self._put(batches)
        else:
            self._write(self._direct_writer(), batches)

    def close(self) -> Counter[str]:
        """Flush, finish (sequences), restore settings and release the connection."""
        if self._closed:
            return self.counts
        try:
            self.flush()
            if self.background:
                self._put(_Stop)
                self._thread.join()
                self._raise_if_failed()
            else:
                self._direct_writer().finish(sorted(self._touched))
        finally:
            self._closed = True
            if not self.background and self._writer is not None:
                self._writer.close()
        return self.counts

    def abort(self) -> None:
        """Drop buffered rows and release the connection (rows already flushed stay)."""
        self._buffers = {name: [] for name in _ORDER}
        self._pending = 0
        if self._closed:
            return
        self._closed = True
        if self.background:
            try:
                self._queue.put(_Stop, timeout=60)
            except queue.Full:
                pass
            self._thread.join(timeout=60)
        elif self._writer is not None:
            self._writer.close()

    def __enter__(self) -> BulkLoader:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    # -- internals ----------------------------------------------------------------------------

    def _from_mapping(self, info: _TableInfo, row: Mapping[str, Any]) -> list:
        unknown = set(row) - set(info.index)
        if unknown:
            raise ValueError(f"{info.table.name}: unknown column(s) {sorted(unknown)}")
        values = []
        for col in info.table.columns:
            if col.name in row:
                values.append(row[col.name])
            elif col.name == "id" and info.has_int_id:
                values.append(self._assign_id(info.table.name))
            else:
                values.append(_python_default(col, self._now))
        return values

    def _assign_id(self, name: str) -> int:
        nxt = self._next_id.get(name)
        if nxt is None:
            self.flush()
            if self.background:
                self._queue.join()  # everything flushed so far is written
                self._raise_if_failed()
                writer = _make_writer(self.engine)
                try:
                    nxt = writer.max_id(name) + 1
                finally:
                    writer.close()
            else:
                nxt = self._direct_writer().max_id(name) + 1
        self._next_id[name] = nxt + 1
        return nxt

    def _append(self, name: str, row: tuple) -> None:
        if self._closed:
            raise RuntimeError("BulkLoader is closed")
        self._buffers[name].append(row)
        self._pending += 1
        if self._pending >= self.chunk_rows:
            self.flush()

    def _direct_writer(self) -> _SQLiteWriter | _PostgresWriter:
        """The writer of a loader that writes in the caller's thread (``background=False``)."""
        if self._writer is None:
            raise RuntimeError("this BulkLoader writes on its background thread")
        return self._writer

    def _write(self, writer, batches) -> None:
        start = time.perf_counter()
        writer.write(batches)
        self.write_seconds += time.perf_counter() - start

    def _put(self, item) -> None:
        while True:
            self._raise_if_failed()
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._raise_if_failed()
                    raise RuntimeError("bulk-loader thread died") from None

    def _run(self) -> None:
        writer = None
        try:
            writer = _make_writer(self.engine)
        except BaseException as exc:  # noqa: BLE001 — any loader-thread failure is re-raised by _raise_if_failed
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                item = self._queue.get()
                try:
                    if item is _Stop:
                        writer.finish(sorted(self._touched))
                        break
                    self._write(writer, item)
                finally:
                    self._queue.task_done()
        except BaseException as exc:  # noqa: BLE001 — re-raised on the producer thread by _raise_if_failed
            self._error = exc
            # keep draining so the producer never blocks on a dead consumer
            while True:
                try:
                    item = self._queue.get(timeout=5)
                except queue.Empty:
                    break
                self._queue.task_done()
                if item is _Stop:
                    break
        finally:
            writer.close()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            self._closed = True
            raise RuntimeError(f"bulk load failed: {err}") from err


def _info(table_name: str) -> _TableInfo:
    try:
        return _INFO[table_name]
    except KeyError:
        raise ValueError(f"unknown table {table_name!r}") from None


# --------------------------------------------------------------------------------------------
# Removing loaded data by provenance
# --------------------------------------------------------------------------------------------

def count_by_source(engine: sa.Engine, source_prefix: str, table_name: str = "sponsors") -> int:
    table = _TABLES[table_name]
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.source.startswith(source_prefix, autoescape=True))
        ).scalar_one()


def _indexed_leading_columns(table: sa.Table) -> set[str]:
    lead = {c.name for c in table.primary_key.columns}
    for index in table.indexes:
        lead.add(index.columns[0].name)
    for cons in table.constraints:
        if isinstance(cons, (sa.UniqueConstraint, sa.PrimaryKeyConstraint)) and len(cons.columns):
            lead.add(next(iter(cons.columns)).name)
    for col in table.columns:
        if col.index or col.unique:
            lead.add(col.name)
    return lead


def delete_by_source(engine: sa.Engine, source_prefix: str) -> dict[str, int]:
    """Delete every row whose ``source`` starts with ``source_prefix``, children first.

    Rows of other sources that reference deleted rows are handled as the foreign key says: with
    ``ON DELETE CASCADE`` they go too, through a nullable key they are detached (set to NULL), and
    a non-nullable reference aborts the whole operation with an error naming the table. Foreign-key
    columns without an index get a temporary one for the duration, so
    the referential checks do not scan the table once per deleted row. Returns rows deleted per
    table.
    """
    cleaned = [t for t in schema.TABLES if "source" in t.c]
    cleaned_names = {t.name for t in cleaned}
    deleted: dict[str, int] = {}

    def matches(table: sa.Table):
        return table.c.source.startswith(source_prefix, autoescape=True)

    temp_indexes: list[str] = []
    with engine.begin() as conn:
        for child in schema.TABLES:
            lead = _indexed_leading_columns(child)
            for fk in child.foreign_keys:
                parent = fk.column.table
                if parent.name not in cleaned_names:
                    continue
                col = fk.parent
                if col.name not in lead:
                    index_name = f"ix_tmp_bulk_{child.name}_{col.name}"
                    conn.execute(sa.text(f'CREATE INDEX "{index_name}" ON "{child.name}" ("{col.name}")'))
                    temp_indexes.append(index_name)
                    lead.add(col.name)
                parent_ids = sa.select(parent.c.id).where(matches(parent))
                cond: sa.ColumnElement[bool] = col.in_(parent_ids)
                if child.name in cleaned_names:
                    cond = sa.and_(cond, sa.not_(matches(child)))
                if fk.ondelete and fk.ondelete.upper() == "CASCADE":
                    continue
                if col.nullable:
                    conn.execute(sa.update(child).where(cond).values({col.name: None}))
                    continue
                n = conn.execute(sa.select(sa.func.count()).select_from(child).where(cond)).scalar_one()
                if n:
                    raise RuntimeError(
                        f"cannot delete rows of source {source_prefix!r}: {n} row(s) of {child.name} from other "
                        f"sources reference them through {child.name}.{col.name}"
                    )
        for table in reversed(cleaned):
            result = conn.execute(sa.delete(table).where(matches(table)))
            if result.rowcount:
                deleted[table.name] = result.rowcount
        for index_name in temp_indexes:
            conn.execute(sa.text(f'DROP INDEX "{index_name}"'))
    return deleted
