"""Detection on a generated sample: every planted case found, nothing on the clean population;
findings lifecycle (stable ids, auto-resolve, reopen, waivers), dry runs, scope and sampling."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa
from tests.rules.conftest import AS_OF

from fingertip.rules import Scope, detect, load_policy
from fingertip.rules import findings as lifecycle
from fingertip.store import ops, schema
from fingertip.store.engine import create_store_engine
from fingertip_dev.evaluation import evaluate, read_ground_truth

NOW = dt.datetime(2026, 11, 20, 12, 0)


def _engine(url):
    return create_store_engine(url)


def test_recall_is_complete_and_clean_population_is_not_flagged(sample_store):
    url, gt_path = sample_store
    engine = _engine(url)
    with engine.connect() as conn:
        before = ops.table_counts(conn)
    result = detect(engine, check_date=AS_OF, persist=False)
    with engine.connect() as conn:
        assert ops.table_counts(conn) == before  # a dry run changes nothing
    quality = evaluate(read_ground_truth(gt_path), [(f.rule_id, f.target_type, f.target_key) for f in result.findings])
    assert quality["planted"] > 300
    assert quality["missed_examples"] == {}
    assert quality["recall"] == 1.0
    assert quality["clean_flagged"] == 0, quality["false_positive_examples"]
    # every finding cites its basis and carries evidence with the thresholds used
    policy = load_policy()
    for f in result.findings[:200]:
        rule = policy.rules[f.rule_id]
        assert f.basis == rule.basis and f.article == rule.article
        assert f.evidence["thresholds"] == policy.thresholds(rule, (f.division_code or "")[:2] + "0000")
        assert f.evidence["check_date"] == AS_OF.isoformat()
        assert set(rule.evidence_facts) <= set(f.evidence["facts"])
    stale = next(f for f in result.findings if f.rule_id == "account.stale_14d"
                 and f.evidence["facts"]["days_since_last_post"] is not None)
    assert stale.evidence["facts"]["days_since_last_post"] > 14


def test_inspection_scores_follow_the_indicator_scheme(sample_store):
    url, _ = sample_store
    result = detect(_engine(url), check_date=AS_OF, persist=False)
    policy = load_policy()
    by_target = {}
    for f in result.findings:
        by_target.setdefault((f.target_type, f.target_key), []).append(policy.rules[f.rule_id])
    assert result.inspections and len(result.inspections) == result.checked["app"] + result.checked["account"]
    seen_veto = seen_deduction_fail = False
    for rec in result.inspections:
        rules = by_target.get((rec.target_type, rec.target_key), [])
        vetoes = sorted(r.id for r in rules if r.veto)
        deductions = {r.id: r.deduction for r in rules if not r.veto and r.deduction}
        assert sorted(rec.vetoes) == vetoes
        assert rec.deductions == deductions
        assert rec.score == max(0, 100 - sum(deductions.values()))
        failed = bool(vetoes) or rec.score < 60
        assert rec.outcome in ("passed", "failed", "no_data")
        assert rec.passed == (rec.outcome == "passed")
        if failed:
            assert rec.outcome == "failed"
        elif rec.outcome != "no_data":
            assert rec.outcome == "passed"
        # the 19号 inspection counts only 19号 items
        if rec.target_type == "account":
            assert set(rec.indicator_vetoes or ()) <= {"account.stale_14d", "account.no_interaction_channel"}
            assert rec.indicator_outcome in ("passed", "failed", "no_data")
        else:
            assert rec.indicator_outcome is None
        assert rec.risk_tier in ("high", "medium", "low")
        seen_veto |= bool(vetoes)
        seen_deduction_fail |= (not vetoes and rec.score < 60)
    assert seen_veto
    summary = result.summary()
    assert 0 < summary["pass_rate"] < 1
    assert summary["inspected"] + summary["no_data"] == len(result.inspections)
    assert summary["no_data"] == sum(r.outcome == "no_data" for r in result.inspections)


def test_rerun_updates_without_duplicates_and_resolves_cleared_conditions(small_store):
    url, _ = small_store
    engine = _engine(url)
    first = detect(engine, check_date=AS_OF, now=NOW, collect=True)
    assert first.changes["opened"] == len({f.id for f in first.findings}) > 0
    with engine.connect() as conn:
        n_findings = conn.execute(sa.select(sa.func.count()).select_from(schema.findings)).scalar_one()
        n_inspections = conn.execute(sa.select(sa.func.count()).select_from(schema.inspections)).scalar_one()
    assert n_findings == first.changes["opened"]
    assert n_inspections == first.checked["app"] + first.checked["account"]

    second = detect(engine, check_date=AS_OF, now=NOW + dt.timedelta(days=1))
    assert second.changes.get("opened", 0) == 0 and second.changes.get("resolved", 0) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.findings)).scalar_one() == n_findings
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.inspections)).scalar_one() == n_inspections
        row = conn.execute(sa.select(schema.findings).where(schema.findings.c.rule_id == "account.stale_14d")
                           .limit(1)).mappings().one()
    assert row["first_seen_at"] == NOW and row["last_seen_at"] == NOW + dt.timedelta(days=1)

    # the account posts again: its stale findings resolve by themselves; going silent reopens them
    key = row["target_key"]
    with engine.begin() as conn:
        acct_id = conn.execute(sa.select(schema.accounts.c.id).where(schema.accounts.c.account_key == key)).scalar_one()
        conn.execute(sa.update(schema.account_activity).where(schema.account_activity.c.account_id == acct_id,
                                                         schema.account_activity.c.activity_date == AS_OF)
                     .values(last_post_at=dt.datetime(2026, 11, 19, 9, 0), posts_7d=3, posts_14d=5, posts_30d=9))
    third = detect(engine, check_date=AS_OF, now=NOW + dt.timedelta(days=2))
    assert third.changes["resolved"] >= 1
    with engine.connect() as conn:
        state = conn.execute(sa.select(schema.findings.c.state, schema.findings.c.resolved_at)
                             .where(schema.findings.c.id == row["id"])).one()
    assert state.state == "resolved" and state.resolved_at == NOW + dt.timedelta(days=2)
    later = AS_OF + dt.timedelta(days=30)
    fourth = detect(engine, check_date=later, now=NOW + dt.timedelta(days=30), families=["stale_account"])
    assert fourth.changes.get("reopened", 0) >= 1
    with engine.connect() as conn:
        again = conn.execute(sa.select(schema.findings).where(schema.findings.c.id == row["id"])).mappings().one()
    assert again["state"] == "open" and again["reopened_count"] == 1 and again["first_seen_at"] == NOW


def test_acknowledge_and_waiver_lifecycle(small_store):
    url, _ = small_store
    engine = _engine(url)
    detect(engine, check_date=AS_OF, now=NOW)
    with engine.connect() as conn:
        ids = list(conn.execute(sa.select(schema.findings.c.id).where(schema.findings.c.state == "open").limit(2)).scalars())
    fid, other = ids
    lifecycle.acknowledge(engine, fid, by="ops-zhang", now=NOW)
    with pytest.raises(lifecycle.FindingStateError):
        lifecycle.acknowledge(engine, fid, by="ops-li", now=NOW)
    with pytest.raises(lifecycle.FindingStateError, match="reason"):
        lifecycle.waive(engine, other, reason=" ", approver="主任", expires_at=NOW + dt.timedelta(days=5), now=NOW)
    lifecycle.waive(engine, other, reason="应急值守需要，经批准保留", approver="省委网信办 王主任",
                    expires_at=NOW + dt.timedelta(days=10), now=NOW)
    detect(engine, check_date=AS_OF, now=NOW + dt.timedelta(days=1))
    with engine.connect() as conn:
        states = dict(conn.execute(sa.select(schema.findings.c.id, schema.findings.c.state)
                                   .where(schema.findings.c.id.in_([fid, other]))).all())
    assert states == {fid: "acknowledged", other: "waived"}
    # the waiver lapses by itself: the next run reopens the finding
    result = detect(engine, check_date=AS_OF, now=NOW + dt.timedelta(days=11))
    assert result.changes["waiver_lapsed"] == 1
    with engine.connect() as conn:
        row = conn.execute(sa.select(schema.findings).where(schema.findings.c.id == other)).mappings().one()
    assert row["state"] == "open" and row["reopened_count"] == 1


def test_scope_and_sampling(sample_store):
    url, _ = sample_store
    engine = _engine(url)
    full = detect(engine, check_date=AS_OF, persist=False)
    province = next(f.division_code[:2] + "0000" for f in full.findings if f.target_type == "app")
    scoped = detect(engine, check_date=AS_OF, persist=False, scope=Scope.of(provinces=[province]))
    assert scoped.findings and all(f.division_code.startswith(province[:2]) for f in scoped.findings
                                   if f.division_code)
    expected = {f.id for f in full.findings if (f.division_code or "").startswith(province[:2])}
    assert {f.id for f in scoped.findings} == expected  # same result as the full run, restricted
    keys = sorted({f.target_key for f in full.findings if f.target_type == "app"})[:3]
    by_key = detect(engine, check_date=AS_OF, persist=False, scope=Scope.of(app_keys=keys))
    assert {f.target_key for f in by_key.findings} == set(keys)
    assert by_key.checked["account"] == 0 and by_key.checked["app"] == 3
    fams = detect(engine, check_date=AS_OF, persist=False, families=["filings"])
    assert {load_policy().rules[f.rule_id].family for f in fams.findings} == {"filings"}

    a = detect(engine, check_date=AS_OF, persist=False, sample_rate=0.2, sample_seed=42)
    b = detect(engine, check_date=AS_OF, persist=False, sample_rate=0.2, sample_seed=42)
    c = detect(engine, check_date=AS_OF, persist=False, sample_rate=0.2, sample_seed=43)
    assert a.sampled_keys == b.sampled_keys and a.sampled_keys != c.sampled_keys
    total = sum(full.checked[t] for t in ("app", "account", "work_group"))
    # weighted by risk tier (tier_uses.audit_sample_weight: high 4, medium 2, low 1): at rate 0.2 a
    # high-tier record is drawn with probability 0.8, medium 0.4, low and untiered 0.2
    assert a.sample_weights == {"high": 4.0, "medium": 2.0, "low": 1.0}
    probability = {"high": 0.8, "medium": 0.4, "low": 0.2, "untiered": 0.2}
    full_tiers = Counter((i.target_type, i.risk_tier) for i in full.inspections)
    expected_total = 0.0
    for (target, tier), (in_scope, drawn) in a.sample_by_tier.items():
        if target in ("app", "account"):
            assert in_scope == full_tiers[(target, tier)]  # every record of the scope, tiered as in the full run
        else:
            assert tier == "untiered" and in_scope == full.checked[target]
        expected_total += in_scope * probability[tier]
        if in_scope >= 200:  # the draw follows the tier's probability
            assert abs(drawn / in_scope - probability[tier]) < 0.07, (target, tier, drawn, in_scope)
    assert sum(n for n, _ in a.sample_by_tier.values()) == total + full.checked["listing"]
    assert sum(k for _, k in a.sample_by_tier.values()) == len(a.sampled_keys)
    assert abs(len(a.sampled_keys) - expected_total) < 0.05 * total
    tier_of = {(i.target_type, i.target_key): i.risk_tier for i in a.inspections}
    sampled_tiers = Counter(tier_of[k] for k in a.sampled_keys if k[0] == "app")
    assert sampled_tiers == Counter({t: k for (tt, t), (_, k) in a.sample_by_tier.items() if tt == "app" and k})
    assert {f.id for f in a.findings} <= {f.id for f in full.findings}
    with pytest.raises(ValueError, match="seed"):
        detect(engine, check_date=AS_OF, persist=False, sample_rate=0.2)
    default_day = detect(engine, persist=False, families=["work_groups"])  # today in Beijing
    assert type(default_day.check_date) is dt.date
    with pytest.raises(ValueError, match="unknown rule families"):
        detect(engine, check_date=AS_OF, persist=False, families=["nope"])
