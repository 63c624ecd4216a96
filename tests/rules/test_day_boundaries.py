"""Day counts in the policy time zone around Beijing midnight (issue 14, item 8).

The store keeps naive UTC timestamps; the check date is a Beijing date. A post made at 07:00 Beijing
time fourteen calendar days before the check date was made at 23:00 UTC the day before, and used
to count as 15 days — raising the 19号 single-veto finding (超过2周未更新) on an account that is
within two weeks. Each row below gives the UTC timestamp as stored, the Beijing wall-clock time it
is (worked out by hand: UTC+8, no daylight saving) and the day count and findings the wording
gives for check date 2026-11-20: 超过2周 fires from day 15, 两个月以上 from day 60.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fingertip.rules import detect, facts
from fingertip.rules.policy import load_policy
from fingertip.store import schema

CHECK = dt.date(2026, 11, 20)
FETCHED = dt.datetime(2026, 11, 20, 1, 0)
PROV = {"source": "test", "fetched_at": FETCHED, "request_fingerprint": "0" * 64}
STALE = {"account.stale_14d", "account.stale_60d"}

# key: (last post, stored naive UTC; Beijing wall clock, by hand; days since; stale findings)
ROWS = {
    "B01": (dt.datetime(2026, 11, 5, 15, 59), "11-05 23:59", 15, {"account.stale_14d"}),
    "B02": (dt.datetime(2026, 11, 5, 16, 0), "11-06 00:00", 14, set()),
    "B03": (dt.datetime(2026, 11, 5, 23, 0), "11-06 07:00", 14, set()),  # the reported case
    "B04": (dt.datetime(2026, 11, 5, 23, 59), "11-06 07:59", 14, set()),
    "B05": (dt.datetime(2026, 11, 6, 0, 0), "11-06 08:00", 14, set()),
    "B06": (dt.datetime(2026, 11, 4, 23, 59), "11-05 07:59", 15, {"account.stale_14d"}),
    "B07": (dt.datetime(2026, 11, 5, 0, 0), "11-05 08:00", 15, {"account.stale_14d"}),
    "B08": (dt.datetime(2026, 9, 21, 15, 59), "09-21 23:59", 60, {"account.stale_14d", "account.stale_60d"}),
    "B09": (dt.datetime(2026, 9, 21, 16, 0), "09-22 00:00", 59, {"account.stale_14d"}),
    "B10": (dt.datetime(2026, 9, 21, 23, 59), "09-22 07:59", 59, {"account.stale_14d"}),
    "B11": (dt.datetime(2026, 11, 19, 15, 59), "11-19 23:59", 1, set()),
    "B12": (dt.datetime(2026, 11, 19, 16, 0), "11-20 00:00", 0, set()),
}


def test_the_hand_written_beijing_times_are_right():
    """The table's second column is what the stored UTC time is in Beijing (guards the table itself)."""
    tz = ZoneInfo("Asia/Shanghai")
    for key, (utc, beijing, _days, _found) in ROWS.items():
        local = utc.replace(tzinfo=dt.UTC).astimezone(tz)
        assert local.strftime("%m-%d %H:%M") == beijing, key
        assert (CHECK - local.date()).days == _days, key


def _load(engine) -> None:
    with engine.begin() as conn:
        sponsor_id = conn.execute(sa.insert(schema.sponsors).values(
            credit_code="11440300MB2C00001X", name="深圳市测试局", division_code="440300",
            level="prefectural", nature="机关", **PROV).returning(schema.sponsors.c.id)).scalar_one()
        for key, (last, *_rest) in ROWS.items():
            account_id = conn.execute(sa.insert(schema.accounts).values(
                account_key=key, platform="wechat", platform_account_id=f"gh_{key}", name=f"测试账号{key}",
                sponsor_id=sponsor_id, division_code="440300", has_interaction_channel=True,
                has_complaint_channel=True, **PROV).returning(schema.accounts.c.id)).scalar_one()
            conn.execute(sa.insert(schema.account_activity).values(
                account_id=account_id, activity_date=CHECK, last_post_at=last, posts_7d=1, posts_14d=1,
                posts_30d=3, followers=5000, unanswered_messages=0, oldest_unanswered_days=None,
                interaction_channel=True, **PROV))


def test_day_counts_and_stale_findings_around_beijing_midnight(store_engine):
    _load(store_engine)
    policy = load_policy()
    with store_engine.connect() as conn:
        got = {f["key"]: f["days_since_last_post"]
               for f in facts.account_facts(conn, facts.FactContext(CHECK, policy.settings), "44")}
    assert got == {k: row[2] for k, row in ROWS.items()}

    result = detect(store_engine, policy, check_date=CHECK, persist=False, collect=True,
                    now=dt.datetime(2026, 11, 20, 4))
    found: dict[str, set[str]] = {k: set() for k in ROWS}
    for f in result.findings:
        if f.rule_id in STALE:
            found[f.target_key].add(f.rule_id)
    assert found == {k: row[3] for k, row in ROWS.items()}
    by_key = {r.target_key: r for r in result.inspections}
    assert by_key["B03"].indicator_outcome == "passed"  # 14 days: within 两周, no single veto
    assert by_key["B01"].indicator_outcome == "failed"


@pytest.mark.parametrize(("when", "tz", "days"), [
    # naive UTC store values, Beijing: 2026-11-05 23:00 UTC is 11-06 07:00 in Beijing
    (dt.datetime(2026, 11, 5, 23, 0), "Asia/Shanghai", 14),
    (dt.datetime(2026, 11, 5, 15, 59), "Asia/Shanghai", 15),
    # the same instant aware (from a source that keeps its offset)
    (dt.datetime(2026, 11, 6, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "Asia/Shanghai", 14),
    # another configured policy time zone: UTC dates are then the local dates
    (dt.datetime(2026, 11, 5, 23, 0), "UTC", 15),
    # a calendar date (task end, launch date) is already a local date: taken as it is
    (dt.date(2026, 11, 6), "Asia/Shanghai", 14),
])
def test_day_count_helper(when, tz, days):
    assert facts._days(CHECK, when, ZoneInfo(tz)) == days


def test_fact_context_follows_the_configured_time_zone(monkeypatch):
    policy = load_policy()
    assert facts.FactContext(CHECK, policy.settings).tz == ZoneInfo("Asia/Shanghai")
    monkeypatch.setenv("FINGERTIP_TZ", "Europe/Berlin")
    assert facts.FactContext(CHECK, policy.settings).tz == ZoneInfo("Europe/Berlin")
