"""Rolling Apple discovery over real HTTP against the stub source server, on SQLite and PostgreSQL.

The world (independent of the sample generator):

* 阳江市人民政府办公室 (S1) has inventory app A1 (track 2000000001) under its own name, and two apps
  nobody registered: 2000000011 under its own name (found by developer lookup) and 2000000013 under
  "阳江市政府办" (a short form; a different developer account: found only by search);
* 南京市大数据管理局 (S2) has no iOS app in the inventory; 2000000012 under its name is found only by
  search;
* 北京市政务服务管理局 (S3) has inventory app A3 (2000000003) published by 北京数智科技有限公司; the same
  company publishes 2000000014 "北京政务通" and a game 2000000015: a company is never flagged (the
  known limit: an app a sponsor publishes under a company account is not found);
* 2000000016 by 深圳市某某局 matches no sponsor.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from fingertip.discovery import apple as discovery
from fingertip.hooks.apple import AppleLookupHook
from fingertip.sources import ingest
from fingertip.store import migrate, schema
from fingertip.store.engine import create_store_engine

NOW = dt.datetime(2026, 11, 20, 8, 0, 0)
DAY = dt.date(2026, 11, 20)
PROV = {"source": "test-discovery", "fetched_at": NOW, "request_fingerprint": "0" * 64}
SPONSORS = [("11441700007280420Y", "阳江市人民政府办公室", "441700"),
            ("12320100MB1234567K", "南京市大数据管理局", "320100"),
            ("11110000000013127D", "北京市政务服务管理局", "110000")]
APPS = [("A1", "阳江政务服务", 0, "cn.gov.yangjiang.zwfw", 2000000001),
        ("A3", "北京通", 2, "cn.gov.beijing.bjt", 2000000003)]
COMPANY = "北京数智科技有限公司"
LISTINGS = [  # track, inventory app, name, developer (None: the sponsor's name)
    (2000000001, "A1", "阳江政务服务", None), (2000000003, "A3", "北京通", COMPANY),
    (2000000011, None, "阳江社保", "阳江市人民政府办公室"), (2000000012, None, "南京数据开放", "南京市大数据管理局"),
    (2000000013, None, "阳江办事通", "阳江市政府办"), (2000000014, None, "北京政务通", COMPANY),
    (2000000015, None, "数智消消乐", COMPANY), (2000000016, None, "某某服务", "深圳市某某局")]
FOUND = {"2000000011": "developer", "2000000012": "search", "2000000013": "search"}


def _inventory(engine) -> None:
    with engine.begin() as conn:
        ids = [conn.execute(sa.insert(schema.sponsors).values(
            credit_code=c, name=n, division_code=d, level="prefectural", nature="机关", **PROV)).inserted_primary_key[0]
            for c, n, d in SPONSORS]
        apps = {}
        for key, name, sp, bundle, track in APPS:
            apps[key] = conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=name, kind="app", sponsor_id=ids[sp], division_code=SPONSORS[sp][2],
                package_name=bundle, bundle_id=bundle, apple_track_id=track, **PROV)).inserted_primary_key[0]
    return apps


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("discovery-world") / "world.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_store_engine(url)
    apps = _inventory(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.store_listings), [dict(
            store="apple", store_app_id=str(track), app_id=apps.get(key) if key else None, name=name,
            developer=dev, version="1.0", available=True, first_seen_at=NOW, **PROV)
            for track, key, name, dev in LISTINGS])
    engine.dispose()
    return path


@pytest.fixture
def stub(world, monkeypatch):
    from fingertip_dev.stub import StubServer

    with StubServer(world) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        monkeypatch.setenv("AIRFLOW_CONN_APPLE_ITUNES", json.dumps({
            "conn_type": "http", "host": host, "port": int(port), "schema": "http",
            "extra": {"requests_per_minute": 0, "backoff_factor": 0.001, "max_attempts": 4, "read_timeout": 3}}))
        yield server


@pytest.fixture
def store(store_engine):
    _inventory(store_engine)
    return store_engine


def _discovered(engine) -> dict[str, dict]:
    sl, d, sp = schema.store_listings, schema.listing_discoveries, schema.sponsors
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sl.c.store_app_id, sl.c.app_id, d.c.method, d.c.query, d.c.score, d.c.reasons,
                                      sp.c.name.label("sponsor"))
                            .join(d, d.c.listing_id == sl.c.id).join(sp, sp.c.id == d.c.sponsor_id)).mappings()
        return {r["store_app_id"]: dict(r) for r in rows}


def test_stub_answers_both_calls_in_apples_format(stub):
    import requests

    from fingertip_dev.stub.sources import artist_id

    artist = artist_id("阳江市人民政府办公室")
    body = requests.get(stub.base_url + "/lookup", params={"id": artist, "entity": "software", "limit": 200,
                                                          "country": "cn"}, timeout=5).json()
    assert body["resultCount"] == len(body["results"]) == 3
    assert body["results"][0]["wrapperType"] == "artist" and body["results"][0]["artistId"] == artist
    assert [r["trackId"] for r in body["results"][1:]] == [2000000001, 2000000011]
    assert all(r["wrapperType"] == "software" and r["artistId"] == artist for r in body["results"][1:])
    found = requests.get(stub.base_url + "/search", params={"term": "南京市大数据", "country": "cn",
                                                            "entity": "software", "attribute": "softwareDeveloper"},
                         timeout=5).json()
    assert found["resultCount"] == 1 and found["results"][0]["trackId"] == 2000000012
    assert requests.get(stub.base_url + "/search", params={"country": "cn"}, timeout=5).status_code == 400
    limited = requests.get(stub.base_url + "/search", params={"term": "北京数智", "country": "cn", "limit": 1},
                           timeout=5).json()
    assert limited["resultCount"] == 1


def test_discovery_finds_unregistered_apps_and_never_a_company(store, stub):
    ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=DAY)  # records developer ids
    ingest.ingest_apple(store, AppleLookupHook(), province="110000", day=DAY)
    summary = discovery.discover(store, AppleLookupHook(), day=DAY)
    found = _discovered(store)
    assert {k: v["method"] for k, v in found.items()} == FOUND
    assert found["2000000011"]["sponsor"] == found["2000000013"]["sponsor"] == "阳江市人民政府办公室"
    assert found["2000000011"]["reasons"] == ["seller_name", "developer_account"]
    assert found["2000000013"]["reasons"] == ["seller_short_form"] and found["2000000013"]["query"] == "阳江市政府办"
    assert all(v["app_id"] is None for v in found.values())
    # 2 developer accounts (the sponsor's and the company's) and 3 sponsors (S1 by short form only)
    assert summary["developer"]["keys"] == 2 and summary["search"]["keys"] == 3
    assert summary["developer"]["full_pass"] and summary["search"]["full_pass"]
    assert summary["requests_used"] == 5 and summary["discovered"] == 3
    assert summary["not_government_seller"] >= 2  # 2000000014 and 2000000015
    assert "2 of 2 checked" in summary["covered"]
    with store.connect() as conn:
        endpoints = dict(conn.execute(sa.select(schema.fetch_log.c.endpoint, sa.func.count())
                                      .group_by(schema.fetch_log.c.endpoint)).all())
    assert endpoints[discovery.DEVELOPER_ENDPOINT] == 2 and endpoints[discovery.SEARCH_ENDPOINT] == 3
    # the rule flags the three, with the discovery as evidence; the company's apps are not flagged
    from fingertip.rules import load_policy
    from fingertip.rules.facts import FactContext, listing_facts

    with store.connect() as conn:
        facts = {f["store_app_id"]: f for f in listing_facts(conn, FactContext(DAY, load_policy().settings))}
    assert set(facts) == set(FOUND)
    assert facts["2000000012"]["matched_sponsor"]["name"] == "南京市大数据管理局"
    assert facts["2000000012"]["discovery"]["method"] == "search" and facts["2000000012"]["discovery"]["score"] == 0.7
    # again the same day: nothing left in today's budget from the previous run? The target is 100: it
    # runs again, confirms, and duplicates nothing
    again = discovery.discover(store, AppleLookupHook(), day=DAY)
    assert again["discovered"] == 0 and again.get("confirmed", 0) == 3 and len(_discovered(store)) == 3


def test_budget_rolls_over_days_and_resumes(store, stub):
    ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=DAY)
    ingest.ingest_apple(store, AppleLookupHook(), province="110000", day=DAY)
    first = discovery.discover(store, AppleLookupHook(), day=DAY, budget=2, developer_share=0.5)
    assert first["requests_used"] == 2
    assert (first["developer"]["checked"], first["search"]["checked"]) == (1, 1)
    second = discovery.discover(store, AppleLookupHook(), day=DAY + dt.timedelta(days=1), budget=2,
                                developer_share=0.5)
    assert (second["developer"]["checked"], second["search"]["checked"]) == (1, 1)
    assert second["developer"]["cycle"] == 1 and second["developer"]["from_after"] == first["developer"]["stopped_at"]
    third = discovery.discover(store, AppleLookupHook(), day=DAY + dt.timedelta(days=2), budget=2,
                               developer_share=0.0)
    # the last sponsor completes the first pass, the first one starts the second
    assert third["search"]["checked"] == 2 and third["search"]["cycle"] == 1
    assert third["search"]["stopped_at"] == min(c for c, _, _ in SPONSORS)
    assert set(_discovered(store)) == set(FOUND)  # every key checked once over three days of 2 requests


def test_budget_is_shared_with_the_days_lookups(store, stub, monkeypatch):
    ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=DAY)  # 1 lookup request
    plan = discovery.plan_budget(store, source="apple_itunes", day=DAY, extras={
        "requests_per_minute": 20, "daily_requests": 4, "discovery_min_requests": 100})
    assert plan.total == 3 and plan.explanation["lookup_requests_today"] == 1
    plan = discovery.plan_budget(store, source="apple_itunes", day=DAY, extras={
        "requests_per_minute": 20, "discovery_requests_per_app": 0.5, "discovery_min_requests": 0})
    assert plan.total == 1  # 0.5 × 2 iOS apps; the cap (20/min × 60 × 3 h) is far away
    assert plan.explanation["daily_cap"] == 3600


def test_a_failed_request_keeps_the_cursor_before_it(store, stub):
    ingest.ingest_apple(store, AppleLookupHook(), province="440000", day=DAY)
    stub.set_faults(error_5xx_rate=1.0, max_consecutive_faults=10)
    with pytest.raises(discovery.NothingFetched):
        discovery.discover(store, AppleLookupHook(), day=DAY, budget=3)
    stub.set_faults(error_5xx_rate=0.0)
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.discovery_cursors)).scalar_one() == 0
        failed = conn.execute(sa.select(sa.func.count()).select_from(schema.fetch_log)
                              .where(schema.fetch_log.c.status == "failed")).scalar_one()
    assert failed == 1  # its 4 attempts spent the budget of 3 (every attempt is a call against the limit)
    # nothing left today; the next day starts again at the failed key
    assert discovery.discover(store, AppleLookupHook(), day=DAY, budget=3)["requests_used"] == 0
    summary = discovery.discover(store, AppleLookupHook(), day=DAY + dt.timedelta(days=1), budget=10)
    assert summary["search"]["full_pass"] and "2000000012" in _discovered(store)
