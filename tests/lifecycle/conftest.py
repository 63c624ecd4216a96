"""A small hand-built population for the shutdown workflow, in the governance store and in a stub world.

* ``APP-Z`` 阳江掌上通 — the zombie app to shut down: listed on Apple (trackId 1000000101) and Huawei
  (``cn.gov.yj.zst``), two filings (``粤ICP备2024012345号-2A`` icp_app, ``粤ICP备2024012345号-3A``);
* ``APP-S`` 阳江政务服务 — the live successor (Apple 1000000102, available);
* ``APP-D`` 阳江旧版 — active in the inventory but delisted everywhere (not a valid successor);
* ``ACC-Z`` 阳江发布旧号 — a silent WeChat account; ``ACC-S`` 阳江发布 — its live successor;
* ``WG-1`` a temporary work group.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from fingertip.store import migrate, schema
from fingertip.store.engine import create_store_engine

DAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 8, 0, 0)
PROV = {"source": "test-lifecycle", "fetched_at": NOW, "request_fingerprint": "0" * 64}
SPONSOR_EMAIL = "zhangsan@yj.example.gov.cn"
OPS = "ops@cac.example.gov.cn"
RULE = "zombie_app_no_version"
LICENCES = ("粤ICP备2024012345号-2A", "粤ICP备2024012345号-3A")


def populate(engine: sa.Engine, *, day: dt.date = DAY) -> dict[str, int]:
    """Insert the population (inventory, listings, filings, activity) into a migrated store."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        ids["sponsor"] = conn.execute(sa.insert(schema.sponsors).values(
            credit_code="11441700007280420Y", name="阳江市人民政府办公室", division_code="441700", level="prefectural",
            nature="机关", contact_name="张三", contact_phone="0662-3333333", contact_email=SPONSOR_EMAIL,
            **PROV, created_at=NOW, updated_at=NOW).returning(schema.sponsors.c.id)).scalar_one()
        for key, name, track, pkg in (("APP-Z", "阳江掌上通", 1000000101, "cn.gov.yj.zst"),
                                      ("APP-S", "阳江政务服务", 1000000102, "cn.gov.yj.zwfw"),
                                      ("APP-D", "阳江旧版", 1000000103, "cn.gov.yj.old")):
            ids[key] = conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=name, kind="app", sponsor_id=ids["sponsor"], division_code="441700",
                package_name=pkg, bundle_id=pkg, apple_track_id=track, status="active", description=f"{name}：掌上办事。",
                **PROV, created_at=NOW, updated_at=NOW).returning(schema.apps.c.id)).scalar_one()
        listings = [("apple", "1000000101", "APP-Z", True), ("huawei", "cn.gov.yj.zst", "APP-Z", True),
                    ("apple", "1000000102", "APP-S", True), ("apple", "1000000103", "APP-D", False)]
        for store, sid, app, available in listings:
            conn.execute(sa.insert(schema.store_listings).values(
                store=store, store_app_id=sid, app_id=ids[app], name=f"{app}-{store}", developer="阳江市人民政府办公室",
                version="1.0.0", version_released_at=dt.datetime(2024, 1, 5), first_released_at=dt.datetime(2020, 1, 1),
                rating=3.0, rating_count=12, downloads=1000, available=available, consecutive_absences=0,
                first_seen_at=NOW, last_seen_at=NOW, **PROV, created_at=NOW, updated_at=NOW))
        for licence in LICENCES:
            conn.execute(sa.insert(schema.filings).values(
                filing_kind="icp_app", service_licence=licence, main_licence="粤ICP备2024012345号",
                sponsor_name="阳江市人民政府办公室", sponsor_nature="机关", sponsor_credit_code="11441700007280420Y",
                service_name="阳江掌上通", service_type="app", reviewed_at=dt.datetime(2024, 3, 1),
                access_restricted=False, status="active", app_id=ids["APP-Z"], **PROV, created_at=NOW, updated_at=NOW))
        for key, pid, name in (("ACC-Z", "wx-yj-old", "阳江发布旧号"), ("ACC-S", "wx-yj-new", "阳江发布")):
            ids[key] = conn.execute(sa.insert(schema.accounts).values(
                account_key=key, platform="wechat", platform_account_id=pid, name=name, sponsor_id=ids["sponsor"],
                division_code="441700", status="active", has_interaction_channel=True, **PROV,
                created_at=NOW, updated_at=NOW).returning(schema.accounts.c.id)).scalar_one()
        for offset in range(3):
            d = day - dt.timedelta(days=offset)
            for key, last_post, posts in (("ACC-Z", dt.datetime(2025, 6, 1), 0), ("ACC-S", NOW - dt.timedelta(days=2), 5)):
                conn.execute(sa.insert(schema.account_activity).values(
                    account_id=ids[key], activity_date=d, last_post_at=last_post, posts_7d=posts, posts_14d=posts,
                    posts_30d=posts, followers=100, unanswered_messages=0, oldest_unanswered_days=None,
                    interaction_channel=True, **PROV))
        ids["WG-1"] = conn.execute(sa.insert(schema.work_groups).values(
            group_key="WG-1", platform="dingtalk", name="防汛临时工作群", sponsor_id=ids["sponsor"], division_code="441700",
            purpose="2025年防汛", is_temporary=True, task_ends_on=dt.date(2025, 10, 1), member_count=30,
            opened_on=dt.date(2025, 5, 1), status="active", **PROV, created_at=NOW, updated_at=NOW)
            .returning(schema.work_groups.c.id)).scalar_one()
    return ids


def add_finding(engine: sa.Engine, target_type: str = "app", target_key: str = "APP-Z", *, rule_id: str = RULE,
                state: str = "open", reopened_count: int = 0) -> str:
    fid = f"f-{rule_id}-{target_type}-{target_key}"[:64]
    with engine.begin() as conn:
        exists = conn.execute(sa.select(schema.findings.c.id).where(schema.findings.c.id == fid)).first()
        values = dict(rule_id=rule_id, target_type=target_type, target_key=target_key, severity="high", state=state,
                      title_zh="僵尸应用：超过365天未更新且使用量极低", basis="《意见》第七条",
                      article="opinions-7", remediation_zh="限期整改或关停", evidence={"days_since_version": 686,
                                                                                 "threshold_days": 365},
                      check_date=DAY, division_code="441700", first_seen_at=NOW, last_seen_at=NOW,
                      reopened_count=reopened_count, created_at=NOW, updated_at=NOW,
                      resolved_at=NOW if state == "resolved" else None)
        if exists:
            conn.execute(sa.update(schema.findings).where(schema.findings.c.id == fid).values(**values))
        else:
            conn.execute(sa.insert(schema.findings).values(id=fid, **values))
    return fid


@pytest.fixture
def population(store_engine):
    return populate(store_engine)


@pytest.fixture
def settings():
    from fingertip.lifecycle.settings import load_settings

    return load_settings()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lifecycle-world") / "world.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_store_engine(url)
    populate(engine)
    engine.dispose()
    return path


@pytest.fixture
def stub(world, monkeypatch):
    from fingertip_dev.stub import StubServer

    with StubServer(world) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for conn_id in ("apple_itunes", "android_listing_feed", "filing_registry", "account_activity_feed"):
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
                "conn_type": "http", "host": host, "port": int(port), "schema": "http",
                "extra": {"requests_per_minute": 0, "backoff_factor": 0.001, "max_attempts": 3, "read_timeout": 5}}))
        yield server
        server.restore("apple")
        for ns in ("huawei", "icp_app", "wechat"):
            server.restore(ns)


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", out.as_uri())
    return out
