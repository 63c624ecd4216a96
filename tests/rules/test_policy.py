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
    basis: [opinions-7-accounts, default-account-escalation]
    thresholds: {days: 3}
    threshold_basis: {days: default-account-escalation}
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
    ("days_since_last_post", "days_since_lastpost", 12, "unknown fact 'days_since_lastpost'"),
    ("opinions-7-accounts,", "opinions-77,", 7, "unknown article 'opinions-77'"),
    ("gt: $days", "gt: $day", 12, "threshold '$day' is not defined"),
    ("{days: 3}\n    threshold_basis: {days: default-account-escalation}",
     "{days: 3, extra: 1}\n    threshold_basis: {days: default-account-escalation, extra: default-account-escalation}",
     8, "never used"),
    ("family: stale_account", "family: stale", 5, "unknown family 'stale'"),
    ("gt: $days", "gte: $days", 12, "exactly one operator"),
    # every threshold names its basis, and that basis is one of the rule's
    ("    threshold_basis: {days: default-account-escalation}\n", "", 8, "threshold 'days' has no basis"),
    ("{days: default-account-escalation}", "{days: default-similarity}", 9, "not one of the rule's bases"),
    ("{days: default-account-escalation}", "{days: default-account-escalation, weeks: opinions-7-accounts}", 9,
     "'weeks', which is not a threshold"),
    ("[opinions-7-accounts, default-account-escalation]", "[]", 7, "'basis' must be a non-empty list"),
    # the 19号 inspection only counts rules citing a national indicator; deductions need their source
    ("    remediation_zh", "    indicator: {veto: true}\n    remediation_zh", 13, "must cite a national inspection"),
    ("    remediation_zh", "    indicator: {deduction: 10}\n    remediation_zh", 13, "needs its 'source'"),
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
            source: 测试省文件
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
    ('province: "440000"\nrules:\n  account.stale_14d:\n    thresholds: {days: 10}\n', 4, "needs its 'source'"),
])
def test_override_mistakes(policy_dir, body, line, message):
    _write(policy_dir / "overrides" / "440000.yaml", body)
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert err.value.line == line, str(err.value)
    assert message in str(err.value)


def test_settings_are_checked(policy_dir):
    path = policy_dir / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('pattern: "在线时长|', 'pattern: "在线(时长|'),
                    encoding="utf-8")
    with pytest.raises(PolicySourceError, match="bad regular expression"):
        load_policy(policy_dir)


ARTICLE = """\
  zz-basis:
    kind: local_practice
    document: 某省检查方案
    article: 第1项
    wording: 留言7日内回复
    locality: 某省
    source: 某省网信办2025年检查方案
    label: 某省检查方案第1项
"""


@pytest.mark.parametrize("old,new,line,message", [
    (None, None, 0, None),  # the well-formed local practice loads
    ("    kind: local_practice\n", "", 1, "basis kind undeclared"),
    ("kind: local_practice", "kind: practice", 2, "unknown basis kind 'practice'"),
    ("    locality: 某省\n", "", 1, "'locality' must be a non-empty text"),
    ("    wording: 留言7日内回复\n", "", 1, "'wording' must be a non-empty text"),
    ("kind: local_practice", "kind: default", 8, "label of a Fingertip default must say so"),
    ("    wording: 留言7日内回复\n", "    wording: 留言7日内回复\n    text: opinions\n", 5, "not found verbatim"),
    ("    label: 某省检查方案第1项\n", "    label: 某省检查方案第1项\n    page: 3\n", 9, "unknown key 'page'"),
])
def test_basis_kind_and_wording_are_checked(policy_dir, old, new, line, message):
    """articles.yaml: every basis declares its kind and what that kind needs; quotations are verbatim."""
    path = policy_dir / "articles.yaml"
    text = path.read_text(encoding="utf-8")
    base = len(text.splitlines())  # the new basis starts on the next line
    entry = ARTICLE if old is None else ARTICLE.replace(old, new, 1)
    path.write_text(text + entry, encoding="utf-8")
    if old is None:
        assert load_policy(policy_dir).articles["zz-basis"].kind_zh == "地方做法"
        return
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert str(err.value).startswith(f"{path}:{base + line}: "), str(err.value)
    assert message in str(err.value)


def test_opinions_quotations_are_verbatim_and_every_basis_has_a_kind():
    """Each 《意见》 basis quotes the held text word for word (the held text is the one published)."""
    policy = load_policy()
    held = (SHIPPED / "texts" / "opinions.txt").read_text(encoding="utf-8")
    assert held.startswith("关于防治“指尖上的形式主义”的若干意见")
    assert "16.落实监督责任" in held
    for a in policy.articles.values():
        assert a.kind in ("national_rule", "national_indicator", "local_practice", "default"), a.key
        if a.document.startswith("《关于防治“指尖上的形式主义”的若干意见》"):
            assert a.text == "opinions" and a.wording in held, a.key
        if a.kind == "default":
            assert "默认" in a.label and a.source, a.key
        elif a.text is None:  # a text Fingertip does not hold: say the wording is unverified
            assert a.note and "核对" in a.note, a.key


def test_corrected_citations():
    """The citations the policy review found false (issue 16) are corrected."""
    policy = load_policy()
    rules, arts = policy.rules, policy.articles

    def docs_of(rid):
        return {arts[k].document for k in rules[rid].basis_keys}

    def opinions_articles(rid):
        return {arts[k].article.split()[0] for k in rules[rid].basis_keys if arts[k].text == "opinions"}

    # 19号's single veto is the two-week rule only; 60/365 days and 50 followers are defaults
    for rid in ("account.stale_60d", "account.zombie"):
        assert not any("19号" in d for d in docs_of(rid)), rid
        assert not rules[rid].in_indicator_inspection, rid
        assert set(rules[rid].default_thresholds) == set(rules[rid].thresholds), rid
        assert "Fingertip默认值" in rules[rid].basis, rid
    assert rules["account.stale_14d"].indicator_veto and rules["account.stale_14d"].default_thresholds == ()
    assert {r.id for r in rules.values() if r.in_indicator_inspection} == {
        "account.stale_14d", "account.no_interaction_channel"}
    # 90 days is not a 19号 new-media item; "超过90天" fires from day 91
    unanswered = rules["account.unanswered_90d"]
    assert not any("19号" in d for d in docs_of("account.unanswered_90d"))
    assert unanswered.default_thresholds == ("days",)
    pred = unanswered.predicate({"days": 90})
    assert not pred({"unanswered_messages": 3, "oldest_unanswered_days": 90})
    assert pred({"unanswered_messages": 3, "oldest_unanswered_days": 91})
    # Art. 14's complaint zone concerns apps; Arts. 7/8 say nothing of dissolving groups
    assert "第14条" not in opinions_articles("account.no_complaint_channel")
    assert opinions_articles("work_group.temporary_open") == set()
    assert "默认" in rules["work_group.temporary_open"].basis
    # no project review is performed (Art. 4); Art. 14 only encourages listing
    assert "第4条" not in opinions_articles("app.near_duplicate")
    assert "第14条" not in opinions_articles("app.delisted_everywhere")
    # a forced-use phrase is a lead for review, not a single veto
    phrase = rules["app.forced_feature_in_description"]
    assert not phrase.veto and phrase.severity != "high" and "核实" in phrase.title_zh
    # the Shanghai example says where its number comes from
    assert "未见上海市" in policy.overrides["310000"].sources["account.unanswered_90d"]


def test_rules_doc_is_up_to_date():
    from fingertip.rules import docs

    committed = pathlib.Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert committed.read_text(encoding="utf-8") == docs.render(), \
        "docs/rules.md is stale: run `fingertip rules docs`"


def test_policy_doc_is_up_to_date_and_lists_the_corrected_citations():
    from fingertip.rules import docs

    committed = pathlib.Path(__file__).resolve().parents[2] / "docs" / "policy.md"
    text = docs.render_policy()
    assert committed.read_text(encoding="utf-8") == text, "docs/policy.md is stale: run `fingertip rules docs`"
    # the 60/365-day and 50-follower numbers are listed as defaults, the two-week rule as 19号's
    stale_row = next(line for line in text.splitlines() if line.startswith("| `indicators-veto-stale`"))
    assert "account.stale_14d` days=14" in stale_row and "stale_60d" not in stale_row
    zombie_row = next(line for line in text.splitlines() if line.startswith("| `default-account-zombie`"))
    assert "Fingertip默认值" in zombie_row and "days=365" in zombie_row and "max_followers=50" in zombie_row
    assert "## Demands Fingertip does not check" in text and "第4条" in text.split("does not check")[1]


def _phrase_features(text: str) -> set[str]:
    import re

    phrases = load_policy().settings["detection"]["forced_phrases"]
    return {p["feature"] for p in phrases if re.search(p["pattern"], text)}


@pytest.mark.parametrize("text,features", [
    # from the issue: a complaint feature the public may use is not a forced practice
    ("群众可截图上传问题线索，我们将及时处理", set()),
    ("欢迎点赞转发", set()),
    ("办理时长缩短至3个工作日", set()),
    # practices an officer would flag
    ("各单位转发量纳入考核", {"likes_as_evaluation"}),
    ("干部学习时长计入考评", {"online_time"}),
    ("每周点赞排名通报", {"likes_as_evaluation"}),
    ("下载安装率纳入考核", {"install_rate_target"}),
])
def test_forced_phrases_read_like_an_officer(text, features):
    assert _phrase_features(text) == features


def test_a_pattern_that_catches_its_counter_example_is_refused(policy_dir):
    path = policy_dir / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    bad = text.replace("counter_examples: [群众可截图上传问题线索, 支持截图保存电子证照]",
                       "counter_examples: [群众可截图上传问题线索, 支持截图保存电子证照, 截图留痕]")
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    line = next(i for i, s in enumerate(bad.splitlines(), start=1) if "支持截图保存电子证照, 截图留痕" in s)
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert str(err.value).startswith(f"{path}:{line}: ") and "catches its counter-example '截图留痕'" in str(err.value)


@pytest.mark.parametrize("old,new,message", [
    ("monitoring_interval_days: {high: 1, medium: 7, low: 30}", "monitoring_interval_days: {high: 7, medium: 1, low: 30}",
     "a higher tier must be checked at least as often"),
    ("monitoring_interval_days: {high: 1, medium: 7, low: 30}", "monitoring_interval_days: {high: 1, medium: 7}",
     "needs every tier"),
    ("monitoring_interval_days: {high: 1, medium: 7, low: 30}", "monitoring_interval_days: {high: 1, medium: 7, low: 120}",
     "low must be a number from 1 to 90"),
    ("monitoring_interval_days: {high: 1, medium: 7, low: 30}", "monitoring_interval_days: {high: 0, medium: 7, low: 30}",
     "high must be a number from 1"),
    ("audit_sample_weight: {high: 4, medium: 2, low: 1}", "audit_sample_weight: {high: 4, medium: 2, low: 0.5}",
     "low must be a number from 1 to 100"),
    ("audit_sample_weight: {high: 4, medium: 2, low: 1}", "audit_sample_weight: {high: 1, medium: 2, low: 1}",
     "must weigh at least as much"),
    ("basis: opinions-16", "basis: opinions-99", "tier_uses.basis: unknown article 'opinions-99'"),
    ("basis: opinions-16", "basis: default-similarity", "tier_uses.basis: 'default-similarity' is a default"),
    ("default: default-risk-tier-uses", "default: opinions-16", "tier_uses.default: 'opinions-16' is a national_rule"),
    ("  default: default-risk-tier-uses\n", "", "tier_uses needs exactly"),
])
def test_tier_uses_are_checked(policy_dir, old, new, message):
    path = policy_dir / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PolicySourceError, match=message):
        load_policy(policy_dir)


def test_tier_uses_are_defaults_resting_on_article_16():
    policy = load_policy()
    uses = policy.settings["tier_uses"]
    assert uses["monitoring_interval_days"] == {"high": 1, "medium": 7, "low": 30}
    assert uses["audit_sample_weight"] == {"high": 4, "medium": 2, "low": 1}
    basis, default = policy.articles[uses["basis"]], policy.articles[uses["default"]]
    assert "开展重点监测" in basis.wording and basis.text == "opinions"
    assert default.kind == "default" and "默认值" in default.label
    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    assert "## What the risk tiers drive" in doc and "| low | 30 | 1 |" in doc and "| high | 1 | 4 |" in doc
