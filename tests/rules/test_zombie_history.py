"""An app is judged a zombie on rating growth over enough history, never on absolute counts
(issue 14, item 9).

app.zombie: no new version for 365 days or more and rating-count growth of at most 5 over the
snapshot window (90 days; growth needs at least 28 days between the first and last snapshot in
it), or delisted from every store. An app with less history cannot be judged: "insufficient data"
— no finding, no shutdown proposal, counted and listed in the run's summary. Expectations worked
out by hand from those numbers (settings.yaml and apps.yaml), check date 2026-11-20.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.rules import detect
from fingertip.rules.policy import load_policy
from fingertip.rules.tasks import format_tables
from fingertip.store import schema

CHECK = dt.date(2026, 11, 20)
PROV = {"source": "test", "fetched_at": dt.datetime(2026, 11, 20, 1), "request_fingerprint": "0" * 64}
OLD = dt.datetime(2025, 1, 1, 2)  # 688 days before the check date: ≥ 365
RECENT = dt.datetime(2026, 8, 12, 2)  # 100 days before

# key: (version released, available, snapshots as (days before the check date, rating count))
APPS = {
    # ratings rising 10 → 30 over 20 days: too little history; it used to be proposed for shutdown
    # on its absolute count (30 ≤ 50)
    "Z1": (OLD, True, [(20, 10), (0, 30)]),
    # flat over 60 days: growth 0 ≤ 5 → zombie
    "Z2": (OLD, True, [(60, 12), (0, 12)]),
    # rising over 60 days: growth 30 > 5 → in use, decided, no finding
    "Z3": (OLD, True, [(60, 10), (0, 40)]),
    # one snapshot only: insufficient
    "Z4": (OLD, True, [(0, 3)]),
    # exactly 28 days of history, growth exactly 5 → zombie (both boundaries included)
    "Z5": (OLD, True, [(28, 20), (0, 25)]),
    # 27 days of history, flat: insufficient
    "Z6": (OLD, True, [(27, 20), (0, 20)]),
    # gone from every store: zombie whatever the history
    "Z7": (OLD, False, [(0, None)]),
    # a recent version: not a zombie candidate, so not "insufficient" either
    "Z8": (RECENT, True, [(0, 2)]),
    # history older than the 90-day window does not count: only the last snapshot is in it
    "Z9": (OLD, True, [(120, 5), (0, 5)]),
}
FOUND = {"Z2", "Z5", "Z7"}
INSUFFICIENT = ["app:Z1", "app:Z4", "app:Z6", "app:Z9"]


def _load(engine) -> None:
    with engine.begin() as conn:
        sid = conn.execute(sa.insert(schema.sponsors).values(
            credit_code="11440300MB2C00001X", name="深圳市测试局", division_code="440300", level="prefectural",
            nature="机关", **PROV).returning(schema.sponsors.c.id)).scalar_one()
        for i, (key, (released, available, snaps)) in enumerate(APPS.items(), start=1):
            app_id = conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=f"测试应用{i}号", kind="app", sponsor_id=sid, division_code="440300",
                has_complaint_channel=True, user_scale=100000, **PROV).returning(schema.apps.c.id)).scalar_one()
            listing_id = conn.execute(sa.insert(schema.store_listings).values(
                store="apple", store_app_id=str(1000 + i), app_id=app_id, name=f"测试应用{i}号", developer="深圳市测试局",
                version="1.0", version_released_at=released, rating_count=snaps[-1][1], available=available,
                first_seen_at=dt.datetime(2024, 1, 1), delisted_at=None if available else dt.datetime(2026, 11, 10),
                **PROV).returning(schema.store_listings.c.id)).scalar_one()
            for days, count in snaps:
                conn.execute(sa.insert(schema.listing_snapshots).values(
                    listing_id=listing_id, snapshot_date=CHECK - dt.timedelta(days=days), present=available,
                    version="1.0" if available else None, version_released_at=released if available else None,
                    rating_count=count, **PROV))


def test_short_history_is_insufficient_data_not_a_zombie(store_engine):
    _load(store_engine)
    policy = load_policy()
    result = detect(store_engine, policy, check_date=CHECK, families=["zombie_app"], persist=True, collect=True,
                    now=dt.datetime(2026, 11, 20, 4))
    assert {f.target_key for f in result.findings if f.rule_id == "app.zombie"} == FOUND
    summary = result.summary()
    assert summary["insufficient_data"] == {"app.zombie": len(INSUFFICIENT)}
    assert summary["insufficient_data_keys"] == {"app.zombie": INSUFFICIENT}
    # no shutdown proposal: no stored finding and no shutdown rule on the inspection
    with store_engine.connect() as conn:
        stored = set(conn.execute(sa.select(schema.findings.c.target_key).where(
            schema.findings.c.rule_id == "app.zombie")).scalars())
    assert stored == FOUND
    by_key = {r.target_key: r for r in result.inspections}
    for key in ("Z1", "Z4", "Z6", "Z9"):
        assert "app.zombie" not in by_key[key].proposes_shutdown
    # the run's tables say so
    assert "app.zombie" in format_tables(result, policy).split("insufficient data")[0].splitlines()[-1]


RULE = """\
rules:
  - id: account.test_rule
    title_zh: 测试规则
    target: account
    family: stale_account
    severity: low
    basis: [opinions-7-accounts, default-account-escalation]
    thresholds: {days: 3, max_followers: 10}
    threshold_basis: {days: default-account-escalation, max_followers: default-account-escalation}
    when:
      all:
        - {fact: days_since_last_post, gt: $days}
    insufficient_data:
      all:
        - {fact: followers, le: $max_followers}
    remediation_zh: 测试
"""


def test_insufficient_data_is_checked_like_when_and_its_thresholds_count_as_used(tmp_path):
    import shutil

    import pytest

    from fingertip.rules import PolicySourceError
    from fingertip.rules.policy import default_dir

    d = tmp_path / "policy"
    shutil.copytree(default_dir(), d)
    (d / "rules" / "zz.yaml").write_text(RULE, encoding="utf-8")
    rule = load_policy(d).rules["account.test_rule"]  # max_followers is used only there: no error
    undecided = rule.insufficient(rule.thresholds)
    assert undecided is not None and undecided({"followers": 10}) and not undecided({"followers": 11})
    (d / "rules" / "zz.yaml").write_text(RULE.replace("{fact: followers,", "{fact: no_such_fact,"),
                                         encoding="utf-8")
    with pytest.raises(PolicySourceError) as err:
        load_policy(d)
    assert err.value.line == 15 and "unknown fact 'no_such_fact'" in str(err.value)
