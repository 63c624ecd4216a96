"""Alembic migrations: up, down, and no drift between the migrations and schema.py."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fingertip.store import migrate
from fingertip.store.engine import create_store_engine
from fingertip.store.schema import metadata


def _tables(url: str) -> set[str]:
    engine = create_store_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_at_head(store_url):
    migrate.upgrade(store_url)
    assert set(metadata.tables) <= _tables(store_url)
    assert migrate.current_revision(store_url) == migrate.head_revision()


def test_migrations_match_the_schema_module(store_url):
    migrate.upgrade(store_url)
    engine = create_store_engine(store_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    engine.dispose()
    assert diff == [], f"schema.py and the migrations differ; run `make revision`: {diff}"


def test_downgrade_to_base_and_back(store_url):
    migrate.upgrade(store_url)
    migrate.downgrade(store_url, "base")
    assert _tables(store_url) <= {"alembic_version"}
    assert migrate.current_revision(store_url) is None
    migrate.upgrade(store_url)
    assert set(metadata.tables) <= _tables(store_url)


def test_upgrade_is_idempotent(store_url):
    migrate.upgrade(store_url)
    migrate.upgrade(store_url)
    assert migrate.current_revision(store_url) == migrate.head_revision()
