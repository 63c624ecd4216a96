"""A small, hand-built world for the stub source server tests (independent of the sample generator).

Contents (see ``build_world``):
* Apple: trackIds 1000000001–1000000005; 1000000003 is unavailable; 1000000004 has no inventory app;
  1000000005's app has no bundle id (package name used instead).
* Android: huawei 23 listings ``cn.gov.hw.pkgNN`` (pkg07 unavailable), xiaomi 3.
* Filings: 12 ``icp_app`` (provinces 44/32/11, one without credit code, one cancelled), 3 ``gov_app``.
* Accounts: 6 (4 wechat, 2 weibo) with daily activity up to 2026-11-20; ``wx-late`` starts on
  2026-11-15, ``wx-gap`` has no row for 2026-11-20.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from fingertip.store import migrate, schema
from fingertip.store.engine import create_store_engine

NOW = dt.datetime(2026, 11, 20, 8, 0, 0)
LAST_DAY = dt.date(2026, 11, 20)
PROV = {"source": "test-world", "fetched_at": NOW, "request_fingerprint": "0" * 64}

SPONSORS = [
    ("11441700007280420Y", "阳江市人民政府办公室", "441700", "prefectural", "机关"),
    ("12320100MB1234567K", "南京市大数据管理局", "320100", "prefectural", "事业单位"),
    ("11110000000013127D", "北京市政务服务管理局", "110000", "provincial", "机关"),
]
HUAWEI_COUNT = 23
ACCOUNTS = [
    # key, platform, platform id, name, sponsor index, division, first day offset, skip last day
    ("ACC-1", "wechat", "wx-yj-1", "阳江发布", 0, "441700", 29, False),
    ("ACC-2", "wechat", "wx-yj-2", "阳江政务服务", 0, "441700", 29, False),
    ("ACC-3", "wechat", "wx-late", "南京大数据", 1, "320100", 5, False),
    ("ACC-4", "wechat", "wx-gap", "北京政务", 2, "110000", 29, True),
    ("ACC-5", "weibo", "wb-yj", "阳江微博", 0, "441700", 29, False),
    ("ACC-6", "weibo", "wb-bj", "北京微博", 2, "110000", 29, False),
]


def build_world(path: Path) -> Path:
    """Create a migrated SQLite store at ``path`` and fill it with the test world."""
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_store_engine(url)
    with engine.begin() as conn:
        sponsor_ids = [
            conn.execute(sa.insert(schema.sponsors).values(credit_code=c, name=n, division_code=d, level=lv,
                                                      nature=nat, **PROV)).inserted_primary_key[0]
            for c, n, d, lv, nat in SPONSORS
        ]
        apps = [
            ("APP-1", "阳江政务服务", 0, "cn.gov.yangjiang.zwfw", "cn.gov.yangjiang.zwfw.ios", 1000000001),
            ("APP-2", "南京市民卡", 1, "cn.gov.nanjing.smk", "cn.gov.nanjing.smk", 1000000002),
            ("APP-3", "北京通", 2, "cn.gov.beijing.bjt", "cn.gov.beijing.bjt", 1000000003),
            ("APP-5", "阳江打卡", 0, "cn.gov.yangjiang.daka", None, 1000000005),
        ]
        app_ids = {}
        for key, name, sp, pkg, bundle, track in apps:
            app_ids[key] = conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=name, kind="app", sponsor_id=sponsor_ids[sp], division_code=SPONSORS[sp][2],
                package_name=pkg, bundle_id=bundle, apple_track_id=track, description=f"{name}：掌上办事。",
                **PROV)).inserted_primary_key[0]
        listings = []
        for i, (key, track, available) in enumerate(
                [("APP-1", 1000000001, True), ("APP-2", 1000000002, True), ("APP-3", 1000000003, False),
                 (None, 1000000004, True), ("APP-5", 1000000005, True)], start=1):
            listings.append(dict(
                store="apple", store_app_id=str(track), app_id=app_ids.get(key),
                name=None if key == "APP-5" else f"苹果应用{i}", developer=None if key == "APP-5" else f"开发者{i}",
                version=f"2.{i}.0", version_released_at=dt.datetime(2026, 10, i, 9, 30, 5),
                first_released_at=dt.datetime(2019, 1, i, 0, 0, 0), rating=3.5 + i / 10,
                rating_count=1000 * i + 234,
                available=available, first_seen_at=NOW))
        for i in range(1, HUAWEI_COUNT + 1):
            listings.append(dict(
                store="huawei", store_app_id=f"cn.gov.hw.pkg{i:02d}",
                app_id=app_ids["APP-1"] if i == 1 else None,
                name=f"华为应用{i:02d}", developer="阳江市人民政府办公室", version=f"1.0.{i}",
                version_released_at=dt.datetime(2026, 9, 1 + i, 12, 0, 0), rating=None if i == 3 else 4.0,
                rating_count=i * 100, downloads=i * 12_345, available=i != 7, first_seen_at=NOW))
        for i in range(1, 4):
            listings.append(dict(
                store="xiaomi", store_app_id=f"cn.gov.mi.pkg{i}", name=f"小米应用{i}", developer="开发者",
                version="1.0", version_released_at=dt.datetime(2026, 8, i), rating=4.2, rating_count=10,
                downloads=500, first_seen_at=NOW))
        defaults = {"app_id": None, "first_released_at": None, "downloads": None, "available": True}
        conn.execute(sa.insert(schema.store_listings), [{**defaults, **row, **PROV} for row in listings])

        filings = []
        for i in range(1, 13):
            sponsor = SPONSORS[i % 3]
            abbr = {"44": "粤", "32": "苏", "11": "京"}[sponsor[0][2:4]]
            filings.append(dict(
                filing_kind="icp_app", service_licence=f"{abbr}ICP备20240{i:05d}号-1A",
                main_licence=f"{abbr}ICP备20240{i:05d}号", sponsor_name=sponsor[1], sponsor_nature=sponsor[4],
                sponsor_credit_code=None if i == 12 else sponsor[0], service_name=f"备案应用{i:02d}",
                service_type="mini_program" if i % 4 == 0 else "app",
                reviewed_at=dt.datetime(2025, 1 + i % 12, 3, 10, 20, 30), access_restricted=i == 5,
                status="cancelled" if i == 9 else "active",
                cancelled_at=dt.datetime(2026, 3, 1, 8, 0, 0) if i == 9 else None))
        for i in range(1, 4):
            filings.append(dict(
                filing_kind="gov_app", service_licence=f"政务备2025{i:04d}", main_licence=None,
                sponsor_name=SPONSORS[0][1], sponsor_nature="机关", sponsor_credit_code=SPONSORS[0][0],
                service_name=f"政务应用{i}", service_type="app", reviewed_at=dt.datetime(2025, 6, i),
                access_restricted=False, status="active", cancelled_at=None))
        conn.execute(sa.insert(schema.filings), [{**row, **PROV} for row in filings])

        for n, (key, platform, pid, name, sp, division, first, skip_last) in enumerate(ACCOUNTS):
            account_id = conn.execute(sa.insert(schema.accounts).values(
                account_key=key, platform=platform, platform_account_id=pid, name=name,
                sponsor_id=sponsor_ids[sp], division_code=division, has_interaction_channel=True,
                **PROV)).inserted_primary_key[0]
            rows = []
            for offset in range(first, -1, -1):
                if skip_last and offset == 0:
                    continue
                day = LAST_DAY - dt.timedelta(days=offset)
                rows.append(dict(
                    account_id=account_id, activity_date=day,
                    last_post_at=(None if n == 5
                                  else dt.datetime.combine(day, dt.time(9, n)) - dt.timedelta(days=n)),
                    posts_7d=n, posts_14d=2 * n, posts_30d=4 * n, followers=5000 * n + offset,
                    unanswered_messages=n, oldest_unanswered_days=None if n % 2 else n + offset,
                    interaction_channel=n != 3, **PROV))
            conn.execute(sa.insert(schema.account_activity), rows)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def world_path(tmp_path_factory) -> Path:
    return build_world(tmp_path_factory.mktemp("stub-world") / "world.db")


@pytest.fixture
def stub(world_path):
    from fingertip_dev.stub import StubServer

    with StubServer(world_path) as server:
        yield server
