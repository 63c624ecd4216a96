"""Store round trips on SQLite and PostgreSQL: every table written and read back, constraints hold."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from fingertip.store import ops, schema

NOW = dt.datetime(2026, 11, 20, 8, 30, 15, 123456)
TODAY = dt.date(2026, 11, 20)
PROV = {"source": "test", "fetched_at": NOW, "request_fingerprint": "f" * 64}


def _one(conn, table, **where):
    q = sa.select(table)
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    return conn.execute(q).mappings().one()


def _seed_world(conn) -> dict[str, int]:
    ids = {}
    ids["batch"] = conn.execute(
        sa.insert(schema.import_batches).values(
            file_name="广东省台账.xlsx", checksum="a" * 64, received_at=NOW, entity_type="app"
        )
    ).inserted_primary_key[0]
    ids["sponsor"] = conn.execute(
        sa.insert(schema.sponsors).values(
            credit_code="11441700007280420Y", name="阳江市人民政府办公室", division_code="441700",
            level="prefectural", nature="机关", **PROV,
        )
    ).inserted_primary_key[0]
    ids["app"] = conn.execute(
        sa.insert(schema.apps).values(
            app_key="APP-000001", name="阳江政务服务", kind="app", sponsor_id=ids["sponsor"],
            division_code="441700", apple_track_id=1_234_567_890, package_name="cn.gov.yangjiang.zwfw",
            declared_features=["check_in", "news"], approved_features=[], has_complaint_channel=True,
            launched_on=dt.date(2019, 5, 1), import_batch_id=ids["batch"], **PROV,
        )
    ).inserted_primary_key[0]
    ids["listing"] = conn.execute(
        sa.insert(schema.store_listings).values(
            store="apple", store_app_id="1234567890", app_id=ids["app"], name="阳江政务服务",
            developer="阳江市人民政府办公室", version="3.2.1", version_released_at=NOW, rating=4.5,
            rating_count=1200, first_seen_at=NOW, last_seen_at=NOW, **PROV,
        )
    ).inserted_primary_key[0]
    conn.execute(
        sa.insert(schema.listing_snapshots).values(
            listing_id=ids["listing"], snapshot_date=TODAY, present=True, version="3.2.1", rating=4.5,
            rating_count=1200, **PROV,
        )
    )
    conn.execute(
        sa.insert(schema.listing_events).values(
            listing_id=ids["listing"], event_date=TODAY, event_type="version_changed", old_value="3.2.0",
            new_value="3.2.1", **PROV,
        )
    )
    conn.execute(
        sa.insert(schema.filings).values(
            filing_kind="icp_app", service_licence="粤ICP备2024012345号-1A", main_licence="粤ICP备2024012345号",
            sponsor_name="阳江市人民政府办公室", sponsor_nature="机关", sponsor_credit_code="11441700007280420Y",
            service_name="阳江政务服务", service_type="app", reviewed_at=NOW, app_id=ids["app"], **PROV,
        )
    )
    ids["account"] = conn.execute(
        sa.insert(schema.accounts).values(
            account_key="ACC-000001", platform="wechat", platform_account_id="gh_0123456789ab", name="阳江发布",
            sponsor_id=ids["sponsor"], division_code="441700", has_interaction_channel=True, **PROV,
        )
    ).inserted_primary_key[0]
    conn.execute(
        sa.insert(schema.account_activity).values(
            account_id=ids["account"], activity_date=TODAY, last_post_at=NOW, posts_7d=3, posts_14d=6,
            posts_30d=12, followers=50_000, unanswered_messages=0, interaction_channel=True, **PROV,
        )
    )
    conn.execute(
        sa.insert(schema.work_groups).values(
            group_key="GRP-000001", platform="dingtalk", name="江城区防汛临时工作群", sponsor_id=ids["sponsor"],
            division_code="441702", is_temporary=True, task_ends_on=dt.date(2026, 9, 30), **PROV,
        )
    )
    conn.execute(
        sa.insert(schema.quarantined_rows).values(
            batch_id=ids["batch"], row_number=7, column_name="统一社会信用代码",
            expectation="expect_column_values_to_be_valid_uscc", raw_value="<script>alert(1)</script>",
            reason_zh="统一社会信用代码校验位错误", reason_en="credit code check character is wrong",
            raw_row={"应用名称": "=HYPERLINK(\"x\")"},
        )
    )
    conn.execute(
        sa.insert(schema.findings).values(
            id="F" * 64, rule_id="account.stale_14d", target_type="account", target_key="ACC-000001",
            severity="high", title_zh="政务公众账号两周未更新", basis="国办秘函〔2019〕19号 单项否决",
            evidence={"days_since_last_post": 15, "threshold_days": 14}, division_code="441700",
            sponsor_id=ids["sponsor"], first_seen_at=NOW, last_seen_at=NOW,
        )
    )
    conn.execute(
        sa.insert(schema.waivers).values(
            finding_id="F" * 64, reason="应急值守账号", approver="王主任", granted_at=NOW,
            expires_at=NOW + dt.timedelta(days=90),
        )
    )
    ids["audit"] = conn.execute(
        sa.insert(schema.audit_runs).values(
            run_key="audit_adhoc/manual__1", kind="adhoc", params={"provinces": ["44"]}, sample_rate=0.1,
            sample_seed=7, started_at=NOW,
        )
    ).inserted_primary_key[0]
    ids["case"] = conn.execute(
        sa.insert(schema.shutdown_cases).values(
            case_key="CASE-APP-000001", target_type="app", target_key="APP-000001", finding_id="F" * 64,
            opened_by="detection", stop_on=TODAY + dt.timedelta(days=30), details={"successor": "粤省事"},
        )
    ).inserted_primary_key[0]
    conn.execute(
        sa.insert(schema.case_events).values(
            case_id=ids["case"], from_state=None, to_state="proposed", actor="detection", occurred_at=NOW,
        )
    )
    conn.execute(
        sa.insert(schema.documents).values(
            doc_kind="announcement", doc_format="docx", case_id=ids["case"], path="file:///out/a.docx",
            sha256="b" * 64, size_bytes=1024,
        )
    )
    conn.execute(
        sa.insert(schema.notifications).values(
            notification_key="report:2026Q4:central@example.gov.cn", recipient="central@example.gov.cn",
            subject="2026年第四季度报告", kind="report", audit_run_id=ids["audit"], queued_at=NOW,
        )
    )
    conn.execute(
        sa.insert(schema.inventory_staging).values(
            batch_id=ids["batch"], sheet="应用", row_number=2, entity_type="app",
            data={"name": "阳江政务服务"}, raw={"应用名称": "阳江政务服务"}, request_fingerprint="c" * 64,
        )
    )
    conn.execute(
        sa.insert(schema.fetch_log).values(
            source="apple_itunes", endpoint="/lookup", interval_date=TODAY, request_fingerprint="d" * 64,
            status="failed", attempts=6, failed_keys=["1234567890"], error="HTTP 503", fetched_at=NOW,
        )
    )
    conn.execute(sa.insert(schema.case_checks).values(
        case_id=ids["case"], check_date=TODAY, channel="store:apple", channel_key="1234567890", present=False,
        request="GET /lookup?id=1234567890&country=cn", response_fingerprint="e" * 64, checked_at=NOW))
    conn.execute(sa.insert(schema.inspections).values(
        check_date=TODAY, target_type="app", target_key="APP-000001", division_code="441700",
        province_code="440000", sponsor_id=ids["sponsor"], score=80, passed=True, outcome="passed", vetoes=[],
        deductions={"app.no_complaint_channel": 20}, risk_tier="medium", risk_factors={"user_scale": 50000}))
    conn.execute(sa.insert(schema.inventory_history).values(
        table_name="apps", record_key="app-1", changes={"name": ["旧名", "新名"]}, batch_id=ids["batch"],
        changed_at=NOW))
    conn.execute(sa.insert(schema.drift_findings).values(
        check_date=TODAY, source="listing_snapshots", scope="apple",
        previous_date=TODAY - dt.timedelta(days=1), previous_count=100, current_count=70,
        drop_share=0.3, detected_at=NOW))
    conn.execute(
        sa.insert(schema.divisions).values(
            code="441700", name="阳江市", level="prefecture", province_code="440000", snapshot="test"
        )
    )
    conn.execute(sa.insert(schema.discovery_cursors).values(
        source="apple_itunes", mode="developer", position="1234567", cycle=2, run_date=TODAY, updated_at=NOW))
    conn.execute(sa.insert(schema.listing_discoveries).values(
        listing_id=ids["listing"], method="search", query="阳江市政务服务数据管理局", sponsor_id=ids["sponsor"],
        score=0.7, reasons=["seller_name"], discovered_on=TODAY, confirmed_on=TODAY, **PROV))
    return ids


def test_every_table_round_trips(store_engine):
    with store_engine.begin() as conn:
        ids = _seed_world(conn)
    with store_engine.connect() as conn:
        counts = ops.table_counts(conn)
        assert all(n >= 1 for n in counts.values()), counts
        app = _one(conn, schema.apps, id=ids["app"])
        assert app["declared_features"] == ["check_in", "news"]
        assert app["launched_on"] == dt.date(2019, 5, 1)
        assert app["apple_track_id"] == 1_234_567_890
        assert app["has_complaint_channel"] is True
        assert app["status"] == "active"  # server default
        listing = _one(conn, schema.store_listings, id=ids["listing"])
        assert listing["version_released_at"] == NOW  # microseconds survive on both backends
        assert listing["available"] is True and listing["consecutive_absences"] == 0
        q = _one(conn, schema.quarantined_rows, row_number=7)
        assert q["raw_value"] == "<script>alert(1)</script>"  # stored verbatim, escaped on output
        assert q["raw_row"] == {"应用名称": '=HYPERLINK("x")'}
        f = _one(conn, schema.findings, rule_id="account.stale_14d")
        assert f["evidence"]["threshold_days"] == 14 and f["state"] == "open"
        assert _one(conn, schema.filings, app_id=ids["app"])["service_licence"] == "粤ICP备2024012345号-1A"
        assert _one(conn, schema.notifications, kind="report")["status"] == "queued"


@pytest.mark.parametrize(
    "table,values",
    [
        (schema.store_listings, {"store": "apple", "store_app_id": "1234567890"}),
        (schema.accounts, {"platform": "wechat", "platform_account_id": "gh_0123456789ab"}),
        (schema.import_batches, {"checksum": "a" * 64}),
    ],
)
def test_natural_keys_are_unique(store_engine, table, values):
    with store_engine.begin() as conn:
        _seed_world(conn)
    with store_engine.connect() as conn:
        row = dict(conn.execute(sa.select(table).where(*(table.c[k] == v for k, v in values.items())))
                   .mappings().one())
    row.pop("id")
    with pytest.raises(IntegrityError), store_engine.begin() as conn:
        conn.execute(sa.insert(table).values(**row))


def test_check_constraints_reject_unknown_values(store_engine):
    with store_engine.begin() as conn:
        ids = _seed_world(conn)
    with pytest.raises(IntegrityError), store_engine.begin() as conn:
        conn.execute(
            sa.insert(schema.store_listings).values(
                store="unknown-store", store_app_id="x", app_id=ids["app"], first_seen_at=NOW, **PROV
            )
        )


def test_foreign_keys_are_enforced(store_engine):
    with pytest.raises(IntegrityError), store_engine.begin() as conn:
        conn.execute(
            sa.insert(schema.account_activity).values(
                account_id=999_999, activity_date=TODAY, posts_7d=0, posts_14d=0, posts_30d=0, followers=0,
                unanswered_messages=0, interaction_channel=True, **PROV,
            )
        )


def test_upsert_updates_instead_of_duplicating(store_engine):
    row = {"credit_code": "11441700007280420Y", "name": "旧名称", "division_code": "441700",
           "level": "prefectural", "nature": "机关", **PROV}
    with store_engine.begin() as conn:
        ops.upsert(conn, schema.sponsors, [row], key=["credit_code"])
        ops.upsert(conn, schema.sponsors, [{**row, "name": "阳江市人民政府办公室"}], key=["credit_code"])
        ops.upsert(conn, schema.sponsors, [{**row, "name": "不应覆盖"}], key=["credit_code"], update=())
    with store_engine.connect() as conn:
        rows = conn.execute(sa.select(schema.sponsors.c.name)).scalars().all()
    assert rows == ["阳江市人民政府办公室"]


def test_sql_values_are_bound_not_interpolated(store_engine):
    hostile = "x'); DROP TABLE sponsors; --"
    with store_engine.begin() as conn:
        ops.upsert(conn, schema.sponsors, [{"credit_code": "11441700007280420Y", "name": hostile,
                                       "division_code": "441700", "level": "county", "nature": "机关", **PROV}],
                   key=["credit_code"])
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(schema.sponsors.c.name)).scalar_one() == hostile
