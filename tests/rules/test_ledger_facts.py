"""What a unit declares in its ledger reaches the rules through a real import (issue 16 item 3):
features and approvals (Art. 6: approved, internal only), monthly active users, the gov-app filing
number, 等保 level, an account's verified entity and a work group's owner."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from tests.quality.helpers import ACCOUNT_HEADER, APP_HEADER, account_row, app_row, csv_bytes, import_staged
from tests.store_templates import store_engine_fixtures

from fingertip.inventory.importer import import_file
from fingertip.quality.validate import validate_batch
from fingertip.rules import detect
from fingertip.store import schema

TODAY = dt.date(2026, 11, 23)
EXTRA = ["功能", "功能审批情况", "月活跃用户数", "政务应用程序备案号", "等保级别"]

# row → (功能, 功能审批情况, expected app.forced_feature finding?) — expectations read from Art. 6:
# a forced-use feature must be approved AND kept internal (仅供内部掌握)
APPS = {
    1: ("在线办事、打卡签到", "", True),  # declared, no approval
    2: ("在线办事、打卡签到", "打卡签到：已审批（应急值守），仅供内部掌握", False),  # approved, internal
    3: ("积分排名；投诉建议", "积分排名：已审批，面向公众", True),  # approved but open to the public
    4: ("打卡签到", "打卡签到：已审批", True),  # approval says nothing of scope: not proof of internal use
    5: ("在线办事、投诉建议", "", False),  # no forced-use feature
    6: ("学习积分", "学习积分：未审批", True),  # "not approved" is no approval
}


_migrated_store, store_engine = store_engine_fixtures()


def _import(engine, tmp_path, name: str, data: bytes) -> None:
    verdict = validate_batch(engine, import_staged(engine, tmp_path, name, data), today=TODAY)
    assert verdict.status == "promoted" and verdict.bad_rows == 0, verdict.message


def test_declared_features_and_approvals_reach_the_forced_use_rule(store_engine, tmp_path):
    rows = []
    for i, (features, approvals, _) in APPS.items():
        rows.append(app_row(i) + [features, approvals, 1200 * i, f"GOVAPP-2026-{i:04d}" if i % 2 else "", "第三级"])
    _import(store_engine, tmp_path, "应用台账.csv", csv_bytes(APP_HEADER + EXTRA, rows))

    with store_engine.connect() as conn:
        stored = {r.name: r for r in conn.execute(sa.select(schema.apps))}
    first = stored["政务服务应用1"]
    assert first.declared_features == ["service_hall", "check_in"]
    assert first.monthly_active_users == 1200 and first.security_level == 3
    assert first.gov_filing_number == "GOVAPP-2026-0001" and stored["政务服务应用2"].gov_filing_number is None
    (approval,) = stored["政务服务应用2"].approved_features
    assert (approval["feature"], approval["scope"]) == ("check_in", "internal") and "应急值守" in approval["text"]

    result = detect(store_engine, check_date=TODAY, families=["forced_features"], persist=False)
    flagged = {f.target_name for f in result.findings if f.rule_id == "app.forced_feature"}
    assert flagged == {f"政务服务应用{i}" for i, (_, _, hit) in APPS.items() if hit}
    exposed = next(f for f in result.findings if f.target_name == "政务服务应用3")
    assert exposed.evidence["facts"]["forced_features_exposed"] == ["points_ranking"]
    assert exposed.evidence["facts"]["approvals"][0]["scope"] == "public"


def test_account_verified_entity_and_group_owner_are_kept(store_engine, tmp_path):
    rows = [account_row(i) + [f"某市第{i}号单位"] for i in (1, 2)]
    _import(store_engine, tmp_path, "账号台账.csv", csv_bytes(ACCOUNT_HEADER + ["认证主体"], rows))
    with store_engine.connect() as conn:
        got = dict(conn.execute(sa.select(schema.accounts.c.name, schema.accounts.c.verified_entity)).all())
    assert got == {"政务发布1": "某市第1号单位", "政务发布2": "某市第2号单位"}


def test_gov_app_filing_number_is_validated_and_kept_verbatim(store_engine, tmp_path):
    """An MIIT ICP/APP number in the gov-app filing column is quarantined with a specific reason; a
    well-formed row keeps its number verbatim and is not confused with the ICP/APP filing."""
    good = app_row(1) + ["在线办事", "", 300, "国政备2026-000123", "三级"]
    bad = app_row(2) + ["在线办事", "", 300, "粤ICP备2024012345号-1A", "三级"]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "应用台账.csv").write_bytes(csv_bytes(APP_HEADER + EXTRA, [good, bad]))
    result = import_file(store_engine, inbox / "应用台账.csv")
    validate_batch(store_engine, result.batch_id, today=TODAY, max_bad_share=1.0)
    with store_engine.connect() as conn:
        quarantined = conn.execute(sa.select(schema.quarantined_rows.c.row_number, schema.quarantined_rows.c.reason_zh)
                                   .where(schema.quarantined_rows.c.batch_id == result.batch_id)).all()
        kept = dict(conn.execute(sa.select(schema.apps.c.name, schema.apps.c.gov_filing_number)).all())
    assert [q.row_number for q in quarantined] == [3]
    assert "工信部ICP/APP备案号" in quarantined[0].reason_zh
    assert kept == {"政务服务应用1": "国政备2026-000123"}
