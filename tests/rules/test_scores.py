"""The two scores on a known, hand-built dataset: the 国办秘函〔2019〕19号 inspection of accounts (only
its items) and Fingertip's governance assessment (every scored rule); accounts without activity data
are "no data" in both — counted apart from the pass rate, listed, never a pass (issue 14 item 10).

Expected outcomes are worked out by hand below from the policy wording, not from the code."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.rules import detect
from fingertip.store import schema

CHECK = dt.date(2026, 11, 20)
FETCHED = dt.datetime(2026, 11, 20, 1, 0)
PROV = {"source": "test", "fetched_at": FETCHED, "request_fingerprint": "0" * 64}

# key: (interaction declared, complaint declared, activity or None)
# activity: (last post UTC, posts_14d, unanswered, oldest unanswered days)
ACCOUNTS = {
    # posted 3 days ago, channels in place: passes both
    "A1": (True, True, (dt.datetime(2026, 11, 17, 2), 4, 0, None)),
    # last post 20 days ago: 19号 single veto (超过2周未更新) → fails both
    "A2": (True, True, (dt.datetime(2026, 10, 31, 2), 0, 0, None)),
    # no activity data at all: not monitored → no data in both (it used to pass with 100)
    "A3": (True, True, None),
    # no activity data, but the ledger says there is no interaction channel: fails on what is known
    "A4": (False, True, None),
    # fresh, but a message unanswered for 120 days (−30, a Fingertip default) and no complaint
    # channel (−20, a Fingertip practice): 19号 passes, governance 50 < 60 fails
    "A5": (True, False, (dt.datetime(2026, 11, 19, 2), 5, 3, 120)),
    # fresh, no complaint channel (−20): both pass (governance 80)
    "A6": (True, False, (dt.datetime(2026, 11, 18, 2), 3, 0, None)),
    # posted 3 days ago, but no post counted in 30 days and 10 followers: the “僵尸” rule (a Fingertip
    # default, proposes shutdown) fails the governance assessment; 19号 (two-week rule) passes — the
    # report must say why a shutdown proposal sits beside a passing 19号 result
    "A7": (True, True, (dt.datetime(2026, 11, 17, 2), 0, 0, None)),
}
SPARSE = {"A7"}  # posts_30d 0, followers 10
NAMES = {"A1": "深圳交通", "A2": "深圳气象", "A3": "深圳文旅", "A4": "深圳教育", "A5": "深圳卫健", "A6": "深圳税务",
         "A7": "深圳海事"}
EXPECTED_19 = {"A1": "passed", "A2": "failed", "A3": "no_data", "A4": "failed", "A5": "passed", "A6": "passed",
               "A7": "passed"}
EXPECTED_GOV = {"A1": "passed", "A2": "failed", "A3": "no_data", "A4": "failed", "A5": "failed", "A6": "passed",
                "A7": "failed"}


def _load(engine) -> None:
    with engine.begin() as conn:
        for i, key in enumerate(ACCOUNTS, start=1):
            sponsor_id = conn.execute(sa.insert(schema.sponsors).values(
                credit_code=f"11440300MB2C{i:05d}X", name=f"深圳市测试局{i}", division_code="440300",
                level="prefectural", nature="机关", **PROV).returning(schema.sponsors.c.id)).scalar_one()
            interaction, complaint, activity = ACCOUNTS[key]
            account_id = conn.execute(sa.insert(schema.accounts).values(
                account_key=key, platform="wechat", platform_account_id=f"gh_{key}", name=NAMES[key],
                sponsor_id=sponsor_id, division_code="440300", has_interaction_channel=interaction,
                has_complaint_channel=complaint, **PROV).returning(schema.accounts.c.id)).scalar_one()
            if activity:
                last, posts_14d, unanswered, oldest = activity
                conn.execute(sa.insert(schema.account_activity).values(
                    account_id=account_id, activity_date=CHECK, last_post_at=last, posts_7d=min(posts_14d, 2),
                    posts_14d=posts_14d, posts_30d=0 if key in SPARSE else posts_14d + 1,
                    followers=10 if key in SPARSE else 5000, unanswered_messages=unanswered,
                    oldest_unanswered_days=oldest, interaction_channel=True, **PROV))


def test_two_scores_and_no_data_counted_apart(store_engine):
    _load(store_engine)
    result = detect(store_engine, check_date=CHECK, persist=True, collect=True,
                    now=dt.datetime(2026, 11, 20, 4))
    by_key = {r.target_key: r for r in result.inspections}
    assert {k: r.indicator_outcome for k, r in by_key.items()} == EXPECTED_19
    assert {k: r.outcome for k, r in by_key.items()} == EXPECTED_GOV
    assert not by_key["A3"].passed  # missing data is never a pass
    assert by_key["A5"].indicator_vetoes == [] and by_key["A5"].score == 50
    assert by_key["A2"].indicator_vetoes == ["account.stale_14d"]

    summary = result.summary()
    # 19号: 4 passed of 6 checked; the no-data account is counted apart
    assert summary["indicator_inspection"] == {"scheme": "国办秘函〔2019〕19号", "checked": 6, "passed": 4,
                                               "failed": 2, "no_data": 1, "pass_rate": 0.6667}
    # governance: 2 passed of 6 assessed, 1 no data
    assert (summary["inspected"], summary["passed"], summary["no_data"], summary["pass_rate"]) == (6, 2, 1, 0.3333)
    assert summary["shutdown_beside_pass"] == {"account": 1}

    with store_engine.connect() as conn:
        rows = {r.target_key: r for r in conn.execute(sa.select(schema.inspections))}
    assert {k: r.outcome for k, r in rows.items()} == EXPECTED_GOV
    assert {k: r.indicator_outcome for k, r in rows.items()} == EXPECTED_19
    assert rows["A3"].passed is False and rows["A5"].indicator_score == 100


def test_report_figures_name_both_scores_list_no_data_and_explain_shutdown_beside_pass(store_engine):
    from fingertip.reports.document import key_figures
    from fingertip.reports.figures import compute_figures
    from fingertip.reports.periods import parse_period

    _load(store_engine)
    detect(store_engine, check_date=CHECK, persist=True, now=dt.datetime(2026, 11, 20, 4))
    figures = compute_figures(store_engine, parse_period("2026-11"))
    insp = figures["inspections"]
    assert (insp["checked"], insp["passed"], insp["no_data"]) == (6, 2, 1)
    assert "非国家检查指标" in insp["scheme_zh"]
    ind = insp["indicator"]
    assert (ind["checked"], ind["passed"], ind["failed"], ind["no_data"]) == (6, 4, 2, 1)
    assert "19号" in ind["scheme_zh"]
    assert [(m["target_key"], m["target_name"]) for m in insp["not_monitored"]] == [("A3", "深圳文旅")]
    assert "不计入合格率" in insp["not_monitored"][0]["scores_zh"]
    beside = insp["shutdown_beside_pass"]
    assert [(b["target_key"], b["rule_id"]) for b in beside] == [("A7", "account.zombie")]
    assert "19号检查只含" in beside[0]["explanation_zh"]

    labels = dict(key_figures(figures))
    assert labels["19号检查合格率（政务公众账号）"].startswith("66.7%")
    assert labels["治理评估合格率（Fingertip评分）"].startswith("33.3%")
    assert labels["未监测（数据缺失）"].startswith("1")


def test_ad_hoc_audit_counts_no_data_apart(store_engine):
    from fingertip.reports.audit import audit_figures
    from fingertip.reports.document import audit_key_figures

    _load(store_engine)
    result = detect(store_engine, check_date=CHECK, persist=False)
    insp = audit_figures(store_engine, result, articles={})["inspections"]
    # governance assessment: A1 and A6 pass of the six assessed; A3 has no data
    assert (insp["checked"], insp["passed"], insp["no_data"]) == (6, 2, 1)
    labels = dict(audit_key_figures(audit_figures(store_engine, result, articles={}), None))
    assert labels["未监测（数据缺失）"].startswith("1") and "评估 6" in labels["治理评估合格率（Fingertip评分）"]
