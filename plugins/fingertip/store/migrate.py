"""Programmatic Alembic: upgrade, downgrade and inspect the store schema.

Used by ``fingertip store upgrade|downgrade|current|revision`` and the tests; no
``alembic.ini`` is needed, the URL comes from :func:`fingertip.store.engine.resolve_store_url`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from fingertip.store.engine import create_store_engine, resolve_store_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be doubled for ConfigParser interpolation (passwords may contain it)
    cfg.set_main_option("sqlalchemy.url", (url or resolve_store_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError("the store migrations have no head revision")
    return head


def current_revision(url: str | None = None) -> str | None:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def revision(message: str, url: str | None = None) -> None:
    """Autogenerate a new revision from the difference between the schema and ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
