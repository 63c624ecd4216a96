"""Store URL resolution: environment, Airflow connection fields, embedded default."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fingertip import config
from fingertip.store import engine


def test_default_is_sqlite_file_in_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("FINGERTIP_STORE_URL", raising=False)
    monkeypatch.setenv("FINGERTIP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(engine, "_url_from_airflow", lambda: None)
    assert engine.resolve_store_url() == f"sqlite:///{tmp_path / 'fingertip.db'}"
    assert config.default_store_url() == engine.resolve_store_url()


def test_environment_overrides_connection(monkeypatch):
    monkeypatch.setenv("FINGERTIP_STORE_URL", "postgresql+psycopg://u@db/x")
    monkeypatch.setattr(engine, "_url_from_airflow", lambda: pytest.fail("connection must not be consulted"))
    assert engine.resolve_store_url() == "postgresql+psycopg://u@db/x"


def test_connection_used_when_no_environment(monkeypatch):
    monkeypatch.delenv("FINGERTIP_STORE_URL", raising=False)
    monkeypatch.setattr(engine, "_url_from_airflow", lambda: "postgresql+psycopg://from-conn/db")
    assert engine.resolve_store_url() == "postgresql+psycopg://from-conn/db"


def test_postgres_connection_fields_with_special_characters():
    url = engine.connection_to_url("postgres", "db.internal", "governance", "ft", "p@ss:w/rd%", 5433)
    parsed = sa.make_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.port, parsed.database, parsed.username) == ("db.internal", 5433, "governance", "ft")
    assert parsed.password == "p@ss:w/rd%"
    assert "p@ss" not in engine.describe(url)


def test_sqlite_connection_and_unsupported_type():
    assert engine.connection_to_url("sqlite", "/srv/ft.db", None, None, None, None) == "sqlite:////srv/ft.db"
    with pytest.raises(ValueError, match="unsupported type 'mysql'"):
        engine.connection_to_url("mysql", "h", "d", None, None, None)
    with pytest.raises(ValueError, match="needs the file path"):
        engine.connection_to_url("sqlite", None, None, None, None, None)


def test_sqlite_engine_creates_folder_and_enforces_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'store.db'}"
    eng = engine.create_store_engine(url)
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    eng.dispose()
    assert (tmp_path / "nested" / "dir" / "store.db").exists()
