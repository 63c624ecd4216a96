"""Ingestion over real HTTP against the stub source server, with faults on.

The world is the hand-built one of ``tests/stub/conftest.py``; the governance store starts as a copy
of its inventory (sponsors, apps, accounts) with every observed table empty, as after an import.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
import sqlalchemy as sa
from tests.stub.conftest import LAST_DAY, build_world

from fingertip.hooks.activity import AccountActivityHook
from fingertip.hooks.android import AndroidFeedHook
from fingertip.hooks.apple import AppleLookupHook
from fingertip.hooks.filings import FilingRegistryHook
from fingertip.sources import ingest
from fingertip.store import schema
from fingertip.store.engine import create_store_engine

OBSERVED = ("listing_events", "listing_snapshots", "store_listings", "filings", "account_activity", "fetch_log")
FAULTS = {"error_5xx_rate": 0.25, "rate_429": 0.15, "retry_after_s": 0, "truncated_rate": 0.1,
          "html_error_rate": 0.1, "seed": 7, "max_consecutive_faults": 2}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("world") / "world.db")


@pytest.fixture
def store(world, tmp_path):
    path = tmp_path / "store.db"
    shutil.copy(world, path)
    engine = create_store_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for name in OBSERVED:
            conn.execute(sa.delete(schema.metadata.tables[name]))
    yield engine
    engine.dispose()


@pytest.fixture
def stub(world, monkeypatch):
    from fingertip_dev.stub import StubServer

    with StubServer(world) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for conn_id in ("apple_itunes", "android_listing_feed", "filing_registry", "account_activity_feed"):
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
                "conn_type": "http", "host": host, "port": int(port), "schema": "http",
                "extra": {"requests_per_minute": 0, "backoff_factor": 0.001, "max_attempts": 4,
                          "read_timeout": 3, "batch_size": 2, "page_size": 5}}))
        yield server


def _count(engine, table, *where):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_apple_lookup_under_faults_stores_every_app_and_is_idempotent(store, stub):
    stub.set_faults(**FAULTS)
    day = LAST_DAY
    summary = ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=day)
    # province 44 holds APP-1 (listed) and APP-5 (listed, no bundle id)
    assert summary["ids"] == 2 and summary["present"] == 2 and summary["requests_failed"] == 0
    assert stub.counters()["faults_total"] > 0
    before = _count(store, schema.listing_snapshots)
    again = ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=day)
    assert again["present"] == 2 and _count(store, schema.listing_snapshots) == before  # no duplicates
    assert _count(store, schema.listing_events) == 0
    assert summary["http"]["retries"] >= 1


def test_apple_batches_requests(store, stub):
    ingest.ingest_apple(store, AppleLookupHook(batch_size=50), province="110000", day=LAST_DAY)
    ingest.ingest_apple(store, AppleLookupHook(batch_size=50), province="320000", day=LAST_DAY)
    lookups = stub.counters()["requests"]["apple_lookup"]
    assert lookups == 2  # one request per province, not one per app


def test_delisting_after_two_absences_and_relisting(store, stub):
    d = [LAST_DAY - dt.timedelta(days=2), LAST_DAY - dt.timedelta(days=1), LAST_DAY]
    ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=d[0])
    stub.remove("apple", ["1000000001"])
    ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=d[1])
    assert _count(store, schema.listing_events, schema.listing_events.c.event_type == "delisted") == 0
    summary = ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=d[2])
    assert summary["delisted"] == 1
    stub.restore("apple", ["1000000001"])
    summary = ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=d[2] + dt.timedelta(days=1))
    assert summary["relisted"] == 1


def test_unavailable_app_in_world_is_absent_not_failed(store, stub):
    summary = ingest.ingest_apple(store, AppleLookupHook(), province="110000", day=LAST_DAY)
    assert summary["absent"] == 1 and summary.get("failed_ids", 0) == 0  # 北京通 is unavailable


def test_a_source_that_never_answers_writes_nothing_and_logs_the_failed_ids(store, stub):
    stub.set_faults(error_5xx_rate=1.0, max_consecutive_faults=100)
    with pytest.raises(ingest.NothingFetched):
        ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=LAST_DAY)
    assert _count(store, schema.listing_snapshots) == 0  # no false absences
    with store.connect() as conn:
        failed = conn.execute(sa.select(schema.fetch_log.c.failed_keys).where(schema.fetch_log.c.status == "failed")).scalars()
        assert sorted(k for keys in failed for k in keys) == ["1000000001", "1000000005"]


def test_android_feed_walk_with_faults(store, stub):
    stub.set_faults(**FAULTS)
    summary = ingest.ingest_android(store, AndroidFeedHook(), store="huawei", day=LAST_DAY)
    assert summary["present"] == 22 and summary["absent"] == 1  # pkg07 is unavailable
    assert summary["requests_failed"] == 0 and summary["requests_ok"] == 5  # 23 items, pages of 5
    assert _count(store, schema.store_listings, schema.store_listings.c.store == "huawei") == 23
    # no huawei package of this world is in the inventory: tracked, but not linked to an app
    assert _count(store, schema.store_listings, schema.store_listings.c.app_id.is_(None)) == 23


def test_android_missing_from_complete_walk_becomes_absent(store, stub):
    ingest.ingest_android(store, AndroidFeedHook(), store="xiaomi", day=LAST_DAY - dt.timedelta(days=1))
    stub.remove("xiaomi", ["cn.gov.mi.pkg2"])
    summary = ingest.ingest_android(store, AndroidFeedHook(), store="xiaomi", day=LAST_DAY)
    assert summary["present"] == 2 and summary["absent"] == 1


def test_filings_by_province_with_cancellation_and_links(store, stub):
    stub.set_faults(**FAULTS)
    summary = ingest.ingest_filings(store, FilingRegistryHook(), province="440000", day=LAST_DAY)
    assert summary["requests_failed"] == 0 and summary["new"] >= 1
    again = ingest.ingest_filings(store, FilingRegistryHook(), province="440000", day=LAST_DAY)
    assert again.get("new", 0) == 0 and again["updated"] == summary["new"]
    gov = ingest.ingest_filings(store, FilingRegistryHook(), province="440000", day=LAST_DAY, kind="gov_app")
    assert gov["new"] == 3


def test_activity_with_unknown_accounts_counted(store, stub):
    stub.set_faults(**FAULTS)
    summary = ingest.ingest_activity(store, AccountActivityHook(), province="440000", day=LAST_DAY)
    assert summary["activity_rows"] == 3 and summary["requests_failed"] == 0
    ingest.ingest_activity(store, AccountActivityHook(), province="440000", day=LAST_DAY)
    assert _count(store, schema.account_activity) == 3  # re-run replaced, never duplicated
    with store.begin() as conn:  # an account leaves the inventory (its activity goes with it)
        conn.execute(sa.delete(schema.accounts).where(schema.accounts.c.platform_account_id == "wb-yj"))
    summary = ingest.ingest_activity(store, AccountActivityHook(), province="440000", day=LAST_DAY)
    assert summary["unknown_accounts"] == 1 and summary["activity_rows"] == 2


def test_apple_lookup_units_hold_whole_batches(store):
    from fingertip.sources.ingest import apple_lookup_units

    units = apple_lookup_units(store, batch_size=2, batches_per_unit=1)
    ids = [i for u in units for i in u["ids"]]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 4  # every inventory Apple id once
    assert all(len(u["ids"]) == 2 for u in units[:-1])  # only the last unit may be partial
    assert units[0]["label"].startswith("apple/")


def test_connection_reset_mid_body_is_a_failed_attempt_retried_and_logged(store, stub):
    """Issue 14 item 18 over real loopback HTTP: the stub resets the connection half-way through the
    body. With a retry budget beyond the stub's consecutive faults every answer arrives; without it,
    each batch is a failed ``fetch_log`` row and the unit still asks for its next batches."""
    stub.set_faults(reset_mid_body_rate=1.0, max_consecutive_faults=1)
    summary = ingest.ingest_apple(store, AppleLookupHook(batch_size=1), province="440000", day=LAST_DAY)
    assert summary["present"] == 2 and summary["requests_failed"] == 0
    assert summary["http"]["broken_bodies"] == 2 and stub.counters()["faults"]["reset_mid_body"] == 2
    with store.connect() as conn:
        attempts = sorted(conn.execute(sa.select(schema.fetch_log.c.attempts)).scalars())
    assert attempts == [2, 2]

    stub.set_faults(reset_mid_body_rate=1.0, max_consecutive_faults=100)
    stub.reset_counters()
    day = LAST_DAY - dt.timedelta(days=1)
    with pytest.raises(ingest.NothingFetched):
        ingest.ingest_apple(store, AppleLookupHook(batch_size=1), province="440000", day=day)
    with store.connect() as conn:
        failed = conn.execute(sa.select(schema.fetch_log.c.attempts, schema.fetch_log.c.failed_keys).where(
            schema.fetch_log.c.interval_date == day, schema.fetch_log.c.status == "failed")).all()
    # both batches requested (the first failure did not stop the unit), each with the full budget of 4
    assert sorted(k for _, keys in failed for k in keys) == ["1000000001", "1000000005"]
    assert [a for a, _ in failed] == [4, 4]
