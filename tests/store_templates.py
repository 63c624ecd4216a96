"""A migrated store built once per module and handed to each test empty (shared by test modules).

Every test still starts from a freshly migrated, EMPTY store, but Alembic runs once per backend and
module: on SQLite each test gets a copy of the migrated file; on PostgreSQL the module's schema is
emptied (``TRUNCATE … RESTART IDENTITY``, so ids start at 1 again as in a new schema) before each test.

Use from a test module (both names must be bound at module level; ``store_engine`` then overrides
tests/conftest.py's)::

    _migrated_store, store_engine = store_engine_fixtures()

which is::

    @pytest.fixture(scope="module", params=STORE_BACKENDS)
    def _migrated_store(request, tmp_path_factory):
        yield from migrated_store_template(request.param, tmp_path_factory)

    @pytest.fixture
    def store_engine(_migrated_store, tmp_path):
        yield from empty_store_engine(_migrated_store, tmp_path)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.conftest import drop_pg_schema, make_pg_schema_url, require_pg

from fingertip.store import migrate
from fingertip.store.engine import create_store_engine

STORE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


def migrated_store_template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Any]]:
    """Yield ``(backend, template, empty_tables)``: a migrated SQLite file, or a PostgreSQL engine."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("store-template") / "store.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        engine = create_store_engine(url)
        engine.dispose()  # last connection closed: the WAL is checkpointed into the file
        yield "sqlite", path, None
        return
    require_pg()
    url, name = make_pg_schema_url()
    engine = None
    try:
        migrate.upgrade(url)
        engine = create_store_engine(url)
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            # only tables the migration left empty are emptied again (there are no seeded rows today)
            empty = [t for t in names
                     if conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() == 0]
        yield "postgresql", engine, empty
    finally:
        if engine is not None:
            engine.dispose()
        drop_pg_schema(name)


def empty_store_engine(template: tuple[str, Any, Any], tmp_path: Path) -> Iterator[sa.Engine]:
    """Yield an engine on an empty migrated store made from ``template``."""
    kind, base, empty = template
    if kind == "sqlite":
        copy = tmp_path / "store.db"
        shutil.copyfile(base, copy)
        if base.with_name(base.name + "-wal").exists():  # normally checkpointed away on dispose
            shutil.copyfile(base.with_name(base.name + "-wal"), copy.with_name(copy.name + "-wal"))
        engine = create_store_engine(f"sqlite:///{copy}")
        yield engine
        engine.dispose()
        return
    with base.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in empty) + " RESTART IDENTITY CASCADE"))
    yield base


def store_engine_fixtures() -> tuple[Any, Any]:
    """The module's ``(_migrated_store, store_engine)`` fixtures: one migrated store per backend
    (SQLite, PostgreSQL) for the module, an empty copy of it per test. Bind both in the test module:
    ``_migrated_store, store_engine = store_engine_fixtures()``."""

    @pytest.fixture(scope="module", params=STORE_BACKENDS)
    def _migrated_store(request, tmp_path_factory):
        yield from migrated_store_template(request.param, tmp_path_factory)

    @pytest.fixture
    def store_engine(_migrated_store, tmp_path):
        """A migrated, empty store on each backend, and its engine (overrides tests/conftest.py's)."""
        yield from empty_store_engine(_migrated_store, tmp_path)

    return _migrated_store, store_engine
