"""Issue 14 item 21: ``fetch_log.failed_keys`` is SQL NULL (not the JSON text ``null``), and
migration 0007 repairs rows written before. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.sources.ingest import log_batch
from fingertip.sources.records import Batch
from fingertip.store import migrate, schema
from fingertip.store.engine import create_store_engine

DAY = dt.date(2026, 11, 20)


def _null_counts(engine) -> tuple[int, int]:
    """(rows whose failed_keys IS NULL, rows holding the JSON text null) — read with plain SQL."""
    cast = "CAST(failed_keys AS TEXT)"
    with engine.connect() as conn:
        sql_null = conn.execute(sa.text("SELECT count(*) FROM fetch_log WHERE failed_keys IS NULL")).scalar_one()
        json_null = conn.execute(sa.text(f"SELECT count(*) FROM fetch_log WHERE {cast} = 'null'")).scalar_one()
    return sql_null, json_null


def test_a_successful_request_stores_sql_null(store_engine):
    log_batch(store_engine, source="apple_itunes", endpoint="/lookup", interval_date=DAY,
              batch=Batch(fingerprint="a" * 64, requested=["1"], attempts=1), fetched_at=dt.datetime(2026, 11, 20, 1))
    log_batch(store_engine, source="apple_itunes", endpoint="/lookup", interval_date=DAY,
              batch=Batch(fingerprint="b" * 64, requested=["2"], failed=["2"], error="HTTP 503", attempts=4),
              fetched_at=dt.datetime(2026, 11, 20, 1))
    assert _null_counts(store_engine) == (1, 0)
    with store_engine.connect() as conn:
        failed = conn.execute(sa.select(schema.fetch_log.c.failed_keys).where(schema.fetch_log.c.status == "failed")
                              ).scalar_one()
    assert failed == ["2"]


def test_migration_0007_turns_json_null_into_sql_null(store_url):
    migrate.upgrade(store_url, "0006")
    engine = create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            for fp, keys in (("a" * 64, "null"), ("b" * 64, '["1000000001"]')):
                conn.execute(sa.text(
                    "INSERT INTO fetch_log (source, endpoint, interval_date, request_fingerprint, status, attempts, "
                    "item_count, failed_keys, fetched_at) VALUES ('s', '/x', :d, :fp, 'ok', 1, 0, :keys, :t)"),
                    {"d": DAY, "fp": fp, "keys": keys, "t": dt.datetime(2026, 11, 20)})
        assert _null_counts(engine) == (0, 1)
        migrate.upgrade(store_url, "0007")
        assert _null_counts(engine) == (1, 0)
        with engine.connect() as conn:
            kept = conn.execute(sa.select(schema.fetch_log.c.failed_keys).where(
                schema.fetch_log.c.request_fingerprint == "b" * 64)).scalar_one()
        assert kept == ["1000000001"]
    finally:
        engine.dispose()
