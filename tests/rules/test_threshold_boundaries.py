"""Both sides of every numeric threshold of every rule in the shipped policy (issue 14, item 12).

The expected answer comes from the wording, not from the rule files: each row names the relation the
policy text (or, for a Fingertip default, its documented meaning) states, and the test derives from
it whether the rule fires at threshold − step, threshold and threshold + step:

* ``more_than`` — 超过N / 多于N: N itself does not fire (国办秘函〔2019〕19号 “超过2周未更新”: a post
  14 days old is not stale, 15 days is);
* ``at_least`` — N以上 / 不少于N / a minimum similarity: N itself fires (以上 includes the number);
* ``at_most`` — a usage maximum (“at most N counts as low use”): N itself fires.

Each row also gives facts under which every other part of the rule's condition holds, so only the
tested threshold decides. A coverage test fails when a rule gains a threshold test without a row.
"""

from __future__ import annotations

import pytest

from fingertip.rules.docs import threshold_tests
from fingertip.rules.policy import load_policy

POLICY = load_policy()

_APP_ZOMBIE = {"listing_count": 1, "all_listings_delisted": False}
_APP_SHELL = {"listings_available": 1, "rating_count_max": 0, "downloads_max": 0, "description_trivial": False,
              "user_scale": 0}

# (rule, fact, threshold, relation from the wording, the wording, other facts)
ROWS = [
    ("account.stale_14d", "days_since_last_post", "days", "more_than", "超过2周未更新",
     {"never_posted": False}),
    ("account.stale_60d", "days_since_last_post", "days", "at_least", "连续两个月以上未更新",
     {"never_posted": False}),
    ("account.zombie", "days_since_last_post", "days", "at_least", "长期无更新（天数为默认值，365天以上）",
     {"never_posted": False, "followers": 10**6, "posts_30d": 7}),
    # never posted and at most max_followers followers
    ("account.zombie", "followers", "max_followers", "at_most", "零关注（关注数不超过默认值）",
     {"never_posted": True, "days_since_last_post": None, "posts_30d": None}),
    # the other branch: no post in 30 days and at most max_followers followers (same threshold, same operator)
    ("account.zombie", "followers", "max_followers", "at_most", "长期零发布、零关注（关注数不超过默认值）",
     {"never_posted": False, "days_since_last_post": 3, "posts_30d": 0}),
    ("account.unanswered_90d", "oldest_unanswered_days", "days", "more_than", "公众留言超过{days}天未回应",
     {"unanswered_messages": 2}),
    ("account.duplicate_platform", "same_platform_unit_accounts", "max_per_platform", "more_than",
     "原则上只开设一个账号", {}),
    ("account.near_duplicate", "near_duplicate_best", "min_similarity", "at_least", "相似度阈值（最低值）", {}),
    ("app.zombie", "days_since_version", "days_without_version", "at_least", "长期未更新（365天以上，默认值）",
     {**_APP_ZOMBIE, "rating_count_growth": 0}),
    ("app.zombie", "rating_count_growth", "max_rating_growth", "at_most", "使用量极低（评分增长不超过默认值）",
     {**_APP_ZOMBIE, "days_since_version": 4000}),
    ("app.low_use_declared", "monthly_active_users", "max_monthly_active_users", "at_most",
     "月活跃用户数不超过默认值", {}),
    ("app.shell", "rating_count_max", "max_rating_count", "at_most", "无实际用户（评分数不超过默认值）", _APP_SHELL),
    ("app.shell", "downloads_max", "max_downloads", "at_most", "无实际用户（下载量不超过默认值）", _APP_SHELL),
    ("app.shell", "user_scale", "max_user_scale", "at_most", "无实际用户（用户规模不超过默认值）", _APP_SHELL),
    ("app.near_duplicate", "near_duplicate_score", "min_score", "at_least", "相似度阈值（最低值）", {}),
    # rank of the highest level allowed to build apps (county = 3); a level below it fires
    ("app.below_county_sponsor", "sponsor_level_rank", "max_level_rank", "more_than",
     "县级以下单位原则上不得自行建设（县级可以）", {}),
    ("work_group.temporary_open", "days_past_task_end", "grace_days", "more_than", "任务结束后超过宽限天数未解散",
     {"is_temporary": True, "closed": False}),
    ("sponsor.app_consolidation", "app_count", "max_apps", "more_than", "应用数量多于默认值", {}),
]

_FIRES_ON_NULL = {("app.shell", "downloads_max")}

_EXPECTED = {  # relation → fires at (N − step, N, N + step)
    "more_than": (False, False, True),
    "at_least": (False, True, True),
    "at_most": (True, True, False),
}


def test_every_threshold_test_of_the_shipped_policy_has_a_row():
    shipped = {(r.id, fact, name) for r in POLICY.rules.values() for fact, _op, name in threshold_tests(r.when)}
    covered = {(rule, fact, name) for rule, fact, name, *_ in ROWS}
    assert shipped - covered == set(), "add a row (with the wording) for each new threshold test"
    assert covered - shipped == set()


@pytest.mark.parametrize("province", [None, *sorted(POLICY.overrides)])
@pytest.mark.parametrize(("rule_id", "fact", "name", "relation", "wording", "others"), ROWS,
                         ids=[f"{r[0]}:{r[1]}:{i}" for i, r in enumerate(ROWS)])
def test_both_sides_of_the_boundary(rule_id, fact, name, relation, wording, others, province):
    rule = POLICY.rules[rule_id]
    thresholds = POLICY.thresholds(rule, province)
    n = thresholds[name]
    step = 1 if float(n).is_integer() else 0.01
    predicate = rule.predicate(thresholds)
    got = tuple(predicate({**others, fact: v}) for v in (n - step, n, n + step))
    assert got == _EXPECTED[relation], f"{rule_id} {fact} at {n}±{step}: wording “{wording}”"
    # an unknown value never fires through this test (only where the rule says so: no download count
    # published by the store is read together with the low rating count)
    assert predicate({**others, fact: None}) is ((rule_id, fact) in _FIRES_ON_NULL)


def test_the_19_single_veto_counts_two_weeks_as_not_stale():
    """The worked example of the wording: 14 days since the last post is within 两周; 15 is 超过2周."""
    rule = POLICY.rules["account.stale_14d"]
    fires = rule.predicate(POLICY.thresholds(rule, None))
    assert not fires({"days_since_last_post": 14, "never_posted": False})
    assert fires({"days_since_last_post": 15, "never_posted": False})
