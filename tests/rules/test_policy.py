"""Policy files: the shipped policy loads; every mistake is reported with its file and line."""

from __future__ import annotations

import pathlib
import shutil
import textwrap
from pathlib import Path

import pytest

from fingertip.rules import FAMILIES, PolicySourceError, load_policy
from fingertip.rules.policy import default_dir

SHIPPED = default_dir()


def test_shipped_policy_loads_and_cites_articles():
    policy = load_policy()
    assert len(policy.rules) >= 20
    for rule in policy.rules.values():
        assert rule.basis and rule.article in policy.articles, rule.id
        assert rule.title_zh and rule.remediation_zh, rule.id
        assert rule.family in FAMILIES
    # every family the audit form offers has at least one rule
    assert {r.family for r in policy.rules.values()} == set(FAMILIES)
    assert set(policy.rules_with_action("propose_shutdown")) >= {"app.zombie", "account.zombie"}
    stale = policy.rules["account.stale_14d"]
    assert stale.veto and stale.thresholds == {"days": 14}
    assert "国办秘函〔2019〕19号" in stale.basis


@pytest.fixture
def policy_dir(tmp_path) -> Path:
    d = tmp_path / "policy"
    shutil.copytree(SHIPPED, d)
    return d


def _write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text), encoding="utf-8")


RULE = """\
rules:
  - id: account.test_rule
    title_zh: 测试规则
    target: account
    family: stale_account
    severity: low
    basis: [opinions-7]
    thresholds: {days: 3}
    when:
      all:
        - {fact: days_since_last_post, gt: $days}
    remediation_zh: 测试
"""


def test_minimal_rule_file_loads(policy_dir):
    _write(policy_dir / "rules" / "zz.yaml", RULE)
    assert "account.test_rule" in load_policy(policy_dir).rules


@pytest.mark.parametrize("old,new,line,message", [
    ("    severity: low\n", "    severity: low\n    treshold: {days: 1}\n", 7, "unknown key 'treshold'"),
    ("{days: 3}", "{days: -3}", 8, "threshold 'days' must be a non-negative number"),
    ("{days: 3}", "{days: soon}", 8, "threshold 'days' must be a non-negative number"),
    ("days_since_last_post", "days_since_lastpost", 11, "unknown fact 'days_since_lastpost'"),
    ("[opinions-7]", "[opinions-77]", 7, "unknown article 'opinions-77'"),
    ("gt: $days", "gt: $day", 11, "threshold '$day' is not defined"),
    ("{days: 3}", "{days: 3, extra: 1}", 8, "never used"),
    ("family: stale_account", "family: stale", 5, "unknown family 'stale'"),
    ("gt: $days", "gte: $days", 11, "exactly one operator"),
    ("    title_zh: 测试规则\n", "", 2, "missing 'title_zh'"),
])
def test_mistakes_name_file_and_line(policy_dir, old, new, line, message):
    _write(policy_dir / "rules" / "zz.yaml", RULE.replace(old, new, 1))
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert err.value.path.endswith("zz.yaml")
    assert err.value.line == line, str(err.value)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{policy_dir / 'rules' / 'zz.yaml'}:{line}: ")


def test_yaml_syntax_error_has_line(policy_dir):
    _write(policy_dir / "rules" / "zz.yaml", RULE + "  - id: [unclosed\n")
    with pytest.raises(PolicySourceError, match=r"zz.yaml:1[0-9]: YAML syntax"):
        load_policy(policy_dir)


def test_duplicate_rule_id_is_an_error(policy_dir):
    _write(policy_dir / "rules" / "zz.yaml", RULE.replace("account.test_rule", "account.stale_14d"))
    with pytest.raises(PolicySourceError, match="also defined in"):
        load_policy(policy_dir)


def test_province_override_changes_only_its_province(policy_dir):
    _write(policy_dir / "overrides" / "440000.yaml", """\
        province: "440000"
        rules:
          account.stale_14d:
            thresholds: {days: 10}
          app.below_county_sponsor:
            enabled: false
        """)
    policy = load_policy(policy_dir)
    rule = policy.rules["account.stale_14d"]
    assert policy.thresholds(rule, "440000") == {"days": 10}
    assert policy.thresholds(rule, "450000") == {"days": 14}
    assert not policy.enabled_in(policy.rules["app.below_county_sponsor"], "440000")
    assert policy.enabled_in(policy.rules["app.below_county_sponsor"], "450000")
    # the shipped Shanghai example: titles quoting a threshold follow it
    unanswered = policy.rules["account.unanswered_90d"]
    assert unanswered.title_for(policy.thresholds(unanswered, "310000")) == "公众留言超过60天未回应"
    assert unanswered.title_for(policy.thresholds(unanswered, "440000")) == "公众留言超过90天未回应"


@pytest.mark.parametrize("body,line,message", [
    ('province: "440000"\nrules:\n  account.nope:\n    enabled: false\n', 3, "unknown rule 'account.nope'"),
    ('province: "440000"\nrules:\n  account.stale_14d:\n    thresholds: {weeks: 2}\n', 4, "no threshold 'weeks'"),
    ('province: "440000"\nrules:\n  account.stale_14d:\n    thresholds: {days: "x"}\n', 4, "non-negative number"),
    ('province: "440000"\nrules:\n  account.stale_14d:\n    when: {fact: followers, gt: 1}\n', 4,
     "cannot be overridden"),
    ('province: "4400"\nrules: {}\n', 1, "PP0000"),
])
def test_override_mistakes(policy_dir, body, line, message):
    _write(policy_dir / "overrides" / "440000.yaml", body)
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert err.value.line == line, str(err.value)
    assert message in str(err.value)


def test_settings_are_checked(policy_dir):
    path = policy_dir / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('pattern: "在线时长"', 'pattern: "在线(时长"'),
                    encoding="utf-8")
    with pytest.raises(PolicySourceError, match="bad regular expression"):
        load_policy(policy_dir)


def test_rules_doc_is_up_to_date():
    from fingertip.rules import docs

    committed = pathlib.Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert committed.read_text(encoding="utf-8") == docs.render(), \
        "docs/rules.md is stale: run `fingertip rules docs`"
