"""The policy checker on a parametrised set of bad policy files, each with its expected ``file:line``.

Lines are counted in the YAML texts below (RULE: line 1 ``rules:``, line 2 the rule's ``id`` …);
settings mistakes are made on the shipped ``settings.yaml`` at the line of the key replaced.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from tests.rules.policy_texts import RULE

from fingertip.rules import PolicySourceError, load_policy
from fingertip.rules.policy import default_dir

SEVERITY = "    severity: low\n"


@pytest.fixture
def policy_dir(tmp_path) -> Path:
    d = tmp_path / "policy"
    shutil.copytree(default_dir(), d)
    return d


def _load_rule(policy_dir: Path, text: str):
    (policy_dir / "rules" / "zz.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_policy(policy_dir)


# (old, new, line, message): RULE with ``old`` replaced by ``new`` once
RULE_MISTAKES = [
    ("account.test_rule", "Account-Test", 2, "rule id 'Account-Test' must look like 'target.name'"),
    ("account.test_rule", "account.", 2, "must look like 'target.name'"),
    ("title_zh: 测试规则", "title_zh: ' '", 3, "'title_zh' must be a non-empty text"),
    ("remediation_zh: 测试", "remediation_zh: 12", 12, "'remediation_zh' must be a non-empty text"),
    ("target: account", "target: person", 4, "target 'person' is not one of"),
    ("severity: low", "severity: urgent", 6, "severity must be one of ('high', 'medium', 'low')"),
    ("[opinions-7]", "[]", 7, "'basis' must be a non-empty list of articles"),
    ("[opinions-7]", "opinions-7", 7, "'basis' must be a non-empty list of articles"),
    ("[opinions-7]", "[opinions-7, nope]", 7, "unknown article 'nope' (see articles.yaml)"),
    ("{days: 3}", "{Days: 3}", 8, "bad threshold name 'Days'"),
    ("{days: 3}", "{days: true}", 8, "threshold 'days' must be a non-negative number, got True"),
    ("{days: 3}", "[3]", 8, "'thresholds' must be a mapping, got LineList"),
    ("{days: 3}", "{days: 3, weeks: 2}", 8, "threshold(s) ['weeks'] are defined but never used in 'when'"),
    ("gt: $days", "in: $days", 11, "'in' needs a list"),
    ("- {fact: days_since_last_post, gt: $days}",
     "- {not: {fact: days_since_last_post, gt: $days, lt: 1}}", 11, "needs exactly one operator"),
    (SEVERITY, SEVERITY + "    scoring: {deduction: 101}\n", 7, "scoring.deduction must be an integer from 0 to 100"),
    (SEVERITY, SEVERITY + "    scoring: {deduction: -1}\n", 7, "scoring.deduction must be an integer from 0 to 100"),
    (SEVERITY, SEVERITY + "    scoring: {deduction: true}\n", 7, "scoring.deduction must be an integer"),
    (SEVERITY, SEVERITY + "    scoring: {deduction: 2.5}\n", 7, "scoring.deduction must be an integer"),
    (SEVERITY, SEVERITY + "    scoring: {veto: 1}\n", 7, "scoring.veto must be true or false"),
    (SEVERITY, SEVERITY + "    scoring: {}\n", 7, "scoring takes 'veto' or 'deduction'"),
    (SEVERITY, SEVERITY + "    scoring: {veto: true, points: 1}\n", 7, "scoring takes 'veto' or 'deduction'"),
    (SEVERITY, SEVERITY + "    scoring: 5\n", 7, "'scoring' must be a mapping, got int"),
    (SEVERITY, SEVERITY + "    actions: [propose_shutdown, delete]\n", 7, "unknown action 'delete'"),
    (SEVERITY, SEVERITY + "    evidence: [days_since_last_post, nope]\n", 7, "evidence names unknown fact 'nope'"),
    (SEVERITY, SEVERITY + "    enabled: 'no'\n", 7, "'enabled' must be true or false"),
    (SEVERITY, SEVERITY + "    colour: red\n", 7, "unknown key 'colour'"),
    ("    remediation_zh: 测试\n", "", 2, "missing 'remediation_zh'"),
    ("rules:\n", "rule:\n", 1, "unknown top-level key 'rule'"),
]


@pytest.mark.parametrize("old,new,line,message", RULE_MISTAKES, ids=[m[3][:40] for m in RULE_MISTAKES])
def test_rule_mistakes(policy_dir, old, new, line, message):
    assert old in RULE
    with pytest.raises(PolicySourceError) as err:
        _load_rule(policy_dir, RULE.replace(old, new, 1))
    assert err.value.line == line, str(err.value)
    assert message in err.value.problem
    assert str(err.value).startswith(f"{policy_dir / 'rules' / 'zz.yaml'}:{line}: ")


@pytest.mark.parametrize("text,line,message", [
    ("rules: {}\n", 1, "'rules' must be a list"),
    ("rules:\n  - just text\n", 2, "a rule must be a mapping, got str"),
    ("- a\n- b\n", 1, "the file must be a mapping, got LineList"),
])
def test_rule_file_shape(policy_dir, text, line, message):
    with pytest.raises(PolicySourceError) as err:
        _load_rule(policy_dir, text)
    assert (err.value.line, err.value.problem) == (line, message)


def test_no_rule_files(policy_dir):
    for f in (policy_dir / "rules").glob("*.yaml"):
        f.unlink()
    with pytest.raises(PolicySourceError, match="no rule files"):
        load_policy(policy_dir)


def test_missing_directory(tmp_path):
    with pytest.raises(PolicySourceError, match="policy directory not found"):
        load_policy(tmp_path / "nope")


@pytest.mark.parametrize("scoring,veto,deduction", [
    ("{veto: true}", True, 0), ("{deduction: 100}", False, 100), ("{deduction: 0}", False, 0),
    ("{veto: false, deduction: 7}", False, 7), (None, False, 0),
])
def test_rule_scoring_is_read(policy_dir, scoring, veto, deduction):
    text = RULE if scoring is None else RULE.replace(SEVERITY, SEVERITY + f"    scoring: {scoring}\n")
    rule = _load_rule(policy_dir, text).rules["account.test_rule"]
    assert (rule.veto, rule.deduction) == (veto, deduction)


def test_rule_fields_are_read(policy_dir):
    text = RULE.replace(SEVERITY, SEVERITY + "    actions: [notify_sponsor]\n    evidence: [followers]\n"
                                             "    enabled: false\n")
    text = text.replace("[opinions-7]", "[opinions-7, opinions-3]")
    policy = _load_rule(policy_dir, text)
    rule = policy.rules["account.test_rule"]
    assert rule.actions == ("notify_sponsor",)
    assert rule.evidence == ("followers",)
    assert rule.enabled is False
    assert rule.basis_keys == ("opinions-7", "opinions-3") and rule.article == "opinions-7"
    assert rule.basis == "；".join([policy.articles["opinions-7"].label, policy.articles["opinions-3"].label])
    assert rule.thresholds == {"days": 3}
    assert rule.source == f"{policy_dir / 'rules' / 'zz.yaml'}:2"
    assert (rule.title_zh, rule.remediation_zh, rule.severity, rule.family) == ("测试规则", "测试", "low",
                                                                                 "stale_account")


def test_scoring_only_for_apps_and_accounts(policy_dir):
    shipped = load_policy(policy_dir)
    other = next(r for r in shipped.rules.values() if r.target not in ("app", "account"))
    text = (f"rules:\n  - id: {other.target}.test_rule\n    title_zh: 测试\n    target: {other.target}\n"
            f"    family: {other.family}\n    severity: low\n    basis: [opinions-7]\n    scoring: {{veto: true}}\n"
            f"    when: {{fact: {sorted(__import__('fingertip.rules', fromlist=['FACTS']).FACTS[other.target])[0]}, "
            "is_null: true}\n    remediation_zh: 测试\n")
    with pytest.raises(PolicySourceError) as err:
        _load_rule(policy_dir, text)
    assert err.value.line == 8
    assert "only app and account rules are scored" in err.value.problem


# (old text in settings.yaml, new text, expected message); the line is that of ``old``
SETTINGS_MISTAKES = [
    ("  min_description_chars: 20", "  min_description_chars: -1", "detection.min_description_chars must be a "
                                                                  "non-negative integer"),
    ("  min_description_chars: 20", "  min_description_chars: '20'", "must be a non-negative integer"),
    ("    shingle: 2 ", "    shingle: 0 ", "similarity.shingle must be a positive integer"),
    ("    candidate_min: 0.8", "    candidate_min: 0", "similarity.candidate_min must be in (0, 1]"),
    ("    candidate_min: 0.8", "    candidate_min: 1.01", "similarity.candidate_min must be in (0, 1]"),
    ("  pass_mark: 60", "  pass_mark: 1001", "scoring.pass_mark must be an integer"),
    ("  pass_mark: 60", "  pass_mark: -1", "scoring.pass_mark must be an integer"),
    ("  start: 100", "  start: 99.5", "scoring.start must be an integer"),
    ("  levels: [central, provincial, prefectural, county, township]", "  levels: central",
     "detection.levels must be a list"),
    ("      feature: online_time\n", "      feature: online_tme\n", "unknown forced feature 'online_tme'"),
    ('    - pattern: "在线时长|', '    - pattern: "在线(时长|', "bad regular expression"),
    ('    - pattern: "在线时长|', '    - patern: "在线时长|',
     "a forced phrase needs exactly 'pattern', 'feature', 'examples' and 'counter_examples'"),
    ("    - tier: high", "    - tier: highest", "a risk tier needs 'tier' (high or medium) and 'when'"),
]


@pytest.mark.parametrize("old,new,message", SETTINGS_MISTAKES, ids=[m[2][:40] for m in SETTINGS_MISTAKES])
def test_settings_mistakes(policy_dir, old, new, message):
    path = policy_dir / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert message in err.value.problem
    assert err.value.line == line, str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize("body,line,message", [
    ('province: "440000"\nrules:\n  account.stale_14d:\n    enabled: "no"\n', 4, "'enabled' must be true or false"),
    ('province: "440000"\nrules:\n  account.stale_14d:\n    severity: urgent\n', 4, "severity must be one of"),
    ('province: "440000"\nrules:\n  account.stale_14d: 3\n', 3, "override of 'account.stale_14d' must be a mapping"),
    ('province: "440000"\nregion: south\n', 2, "unknown key 'region'"),
    ('province: "450000"\nrules: {}\n', 1, "file name must be the province code (450000.yaml)"),
])
def test_override_mistakes(policy_dir, body, line, message):
    (policy_dir / "overrides" / "440000.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert err.value.line == line, str(err.value)
    assert message in err.value.problem


def test_override_values_are_applied(policy_dir):
    (policy_dir / "overrides" / "440000.yaml").write_text(
        'province: "440000"\nrules:\n  account.stale_14d:\n    severity: low\n    enabled: true\n', encoding="utf-8")
    policy = load_policy(policy_dir)
    rule = policy.rules["account.stale_14d"]
    assert policy.severity_in(rule, "440000") == "low"
    assert policy.severity_in(rule, "450000") == rule.severity
    assert policy.enabled_in(rule, "440000") is True


# -- a small policy folder: four bases (one of each kind), the shipped settings, one rule file ------------
# Loading it is much faster than the shipped policy; the lines below are counted in these texts.

WORDING_7 = "对于使用频率低、实用性不强的政务应用程序，应及时关停注销并提前发布公告，依法依规处置相关数据，防止数据泄露及流失。"
SMALL_ARTICLES = f"""\
articles:
  rule-a:
    kind: national_rule
    document: 《关于防治“指尖上的形式主义”的若干意见》
    article: 第7条
    text: opinions
    wording: {WORDING_7}
    label: 《意见》第7条（测试）
  indicator-a:
    kind: national_indicator
    document: 国办秘函〔2019〕19号
    article: 单项否决指标
    wording: 超过2周未更新
    label: 19号单项否决指标（测试）
  practice-a:
    kind: local_practice
    document: 某省检查方案
    article: 第2项
    wording: 每项扣5分
    locality: 某省
    source: 某省网信办2025年检查方案
    label: 某省检查方案第2项
  default-a:
    kind: default
    document: Fingertip默认值
    article: 测试天数
    source: 项目做法（测试）
    label: Fingertip默认值（测试天数）
    note: 可配置
"""
SMALL_RULE = """\
rules:
  - id: account.small_rule
    title_zh: 超过{days}天未更新
    target: account
    family: stale_account
    severity: medium
    basis: [rule-a, indicator-a, practice-a, default-a]
    thresholds: {days: 14}
    threshold_basis: {days: default-a}
    when:
      all:
        - {fact: days_since_last_post, gt: $days}
    remediation_zh: 恢复更新
"""
SEV = "    severity: medium\n"
WHERE = "rule 'account.small_rule': "


@pytest.fixture
def small_policy(tmp_path) -> Path:
    d = tmp_path / "small"
    (d / "rules").mkdir(parents=True)
    (d / "texts").mkdir()
    # the shipped settings, their bases pointed at the small folder's articles (same line count)
    settings = (default_dir() / "settings.yaml").read_text(encoding="utf-8")
    settings = settings.replace("basis: opinions-16", "basis: rule-a").replace(
        "default: default-risk-tier-uses", "default: default-a")
    (d / "settings.yaml").write_text(settings, encoding="utf-8")
    shutil.copy(default_dir() / "texts" / "opinions.txt", d / "texts" / "opinions.txt")
    (d / "articles.yaml").write_text(SMALL_ARTICLES, encoding="utf-8")
    (d / "rules" / "zz.yaml").write_text(SMALL_RULE, encoding="utf-8")
    return d


def _edit(path: Path, *edits: tuple[str, str]) -> str:
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def _refused(directory: Path):
    with pytest.raises(PolicySourceError) as err:
        load_policy(directory)
    return err.value


def test_small_policy_reads_bases_and_rule(small_policy):
    policy = load_policy(small_policy)
    arts = policy.articles
    assert {k: (a.kind, a.kind_zh, a.is_default) for k, a in arts.items()} == {
        "rule-a": ("national_rule", "国家规定", False),
        "indicator-a": ("national_indicator", "国家检查指标", False),
        "practice-a": ("local_practice", "地方做法", False),
        "default-a": ("default", "Fingertip默认值", True),
    }
    assert (arts["rule-a"].document, arts["rule-a"].article, arts["rule-a"].label) == (
        "《关于防治“指尖上的形式主义”的若干意见》", "第7条", "《意见》第7条（测试）")
    assert (arts["rule-a"].wording, arts["rule-a"].text) == (WORDING_7, "opinions")
    assert (arts["indicator-a"].wording, arts["indicator-a"].text) == ("超过2周未更新", None)
    assert (arts["practice-a"].locality, arts["practice-a"].source) == ("某省", "某省网信办2025年检查方案")
    assert (arts["default-a"].source, arts["default-a"].note, arts["default-a"].wording) == ("项目做法（测试）", "可配置", "")
    assert policy.version == "2026.11" and policy.overrides == {}
    rule = policy.rules["account.small_rule"]
    assert rule.basis_kinds == ("national_rule", "national_indicator", "local_practice", "default")
    assert rule.threshold_basis == {"days": "default-a"} and rule.default_thresholds == ("days",)
    assert rule.basis == "《意见》第7条（测试）；19号单项否决指标（测试）；某省检查方案第2项；Fingertip默认值（测试天数）"
    assert rule.source == f"{small_policy / 'rules' / 'zz.yaml'}:2"
    assert (rule.veto, rule.deduction, rule.indicator_veto, rule.indicator_deduction) == (False, 0, False, 0)
    assert rule.indicator_source is None and not rule.in_indicator_inspection
    assert rule.insufficient_data is None and rule.insufficient({"days": 14}) is None
    # "超过14天": 14 days do not fire, 15 do; a missing fact never fires
    pred = rule.predicate({"days": 14})
    assert [pred({"days_since_last_post": d}) for d in (13, 14, 15, None)] == [False, False, True, False]
    assert rule.predicate({"days": 14}) is pred  # compiled once per threshold set
    assert "_compiled" not in repr(rule)  # the cache of closures stays out of logs


@pytest.mark.parametrize("thresholds,title", [
    ({"days": 14}, "超过14天未更新"),
    ({"days": 14.0}, "超过14天未更新"),  # a province's 14.0 prints as 14
    ({"days": 2.5}, "超过2.5天未更新"),
    ({"days": 0}, "超过0天未更新"),
    ({}, "超过{days}天未更新"),  # nothing to fill: the title as written
])
def test_title_quotes_the_threshold(small_policy, thresholds, title):
    assert load_policy(small_policy).rules["account.small_rule"].title_for(thresholds) == title


def test_zero_threshold_and_insufficient_data_are_read(small_policy):
    _edit(small_policy / "rules" / "zz.yaml", ("{days: 14}", "{days: 0}"),
          ("    remediation_zh", "    insufficient_data: {fact: has_activity_data, is_false: true}\n    remediation_zh"))
    rule = load_policy(small_policy).rules["account.small_rule"]
    assert rule.thresholds == {"days": 0}
    assert rule.predicate({"days": 0})({"days_since_last_post": 1})
    assert not rule.predicate({"days": 0})({"days_since_last_post": 0})
    undecided = rule.insufficient({"days": 0})
    assert undecided({"has_activity_data": False}) and not undecided({"has_activity_data": True})


# (edits of SMALL_RULE, line, the whole problem): indicator (the 19号 inspection) and threshold_basis
INDICATOR_MISTAKES = [
    ([("    threshold_basis: {days: default-a}", "    threshold_basis: [default-a]")], 9,
     WHERE + "'threshold_basis' must be a mapping, got LineList"),
    ([(SEV, SEV + "    indicator: 3\n")], 7, WHERE + "'indicator' must be a mapping, got int"),
    ([(SEV, SEV + "    indicator: {source: indicator-a}\n")], 7,
     WHERE + "indicator takes 'veto' or 'deduction' with its 'source'"),
    ([(SEV, SEV + "    indicator: {}\n")], 7, WHERE + "indicator takes 'veto' or 'deduction' with its 'source'"),
    ([(SEV, SEV + "    indicator: {veto: true, points: 3}\n")], 7,
     WHERE + "indicator takes 'veto' or 'deduction' with its 'source'"),
    ([(SEV, SEV + "    indicator:\n      source: indicator-a\n      veto: 'yes'\n")], 9,
     WHERE + "indicator.veto must be true or false"),
    ([("[rule-a, indicator-a, practice-a, default-a]", "[rule-a, practice-a, default-a]"),
      (SEV, SEV + "    indicator:\n      deduction: 0\n      veto: true\n")], 9,
     WHERE + "a single-veto indicator must cite a national inspection indicator (kind national_indicator)"),
    ([(SEV, SEV + "    indicator:\n      source: indicator-a\n      deduction: 101\n")], 9,
     WHERE + "indicator.deduction must be an integer from 1 to 100"),
    ([(SEV, SEV + "    indicator:\n      source: indicator-a\n      deduction: -5\n")], 9,
     WHERE + "indicator.deduction must be an integer from 1 to 100"),
    ([(SEV, SEV + "    indicator: {deduction: true, source: indicator-a}\n")], 7,
     WHERE + "indicator.deduction must be an integer from 1 to 100"),
    ([(SEV, SEV + "    indicator: {deduction: 2.5, source: indicator-a}\n")], 7,
     WHERE + "indicator.deduction must be an integer from 1 to 100"),
    ([(SEV, SEV + "    indicator:\n      deduction: 5\n      source: rule-a\n")], 9,
     WHERE + "an indicator deduction needs its 'source': a basis of kind national_indicator or local_practice"),
    ([(SEV, SEV + "    indicator:\n      deduction: 5\n      source: nope\n")], 9,
     WHERE + "an indicator deduction needs its 'source': a basis of kind national_indicator or local_practice"),
    ([(SEV, SEV + "    indicator:\n      deduction: 5\n      source: [indicator-a]\n")], 9,
     WHERE + "an indicator deduction needs its 'source': a basis of kind national_indicator or local_practice"),
    ([(SEV, SEV + "    indicator:\n      veto: false\n      deduction: 5\n")], 9,
     WHERE + "an indicator deduction needs its 'source': a basis of kind national_indicator or local_practice"),
    ([("target: account", "target: app"), ("days_since_last_post", "days_since_version"),
      (SEV, SEV + "    indicator: {veto: true}\n")], 7, WHERE + "the indicator inspection is of accounts only"),
    ([(SEV, SEV + "    scoring: {veto: true}\n    actions: [notify_sponsor, close]\n")], 8,
     WHERE + "unknown action 'close' (known: ('propose_shutdown', 'notify_sponsor'))"),
    ([("[rule-a, indicator-a, practice-a, default-a]", "[rule-a, indicator-a, practice-a, default-a, default-b]")],
     7, WHERE + "unknown article 'default-b' (see articles.yaml)"),
]


@pytest.mark.parametrize("edits,line,problem", INDICATOR_MISTAKES, ids=[m[2][len(WHERE):][:40] for m in INDICATOR_MISTAKES])
def test_indicator_and_threshold_basis_mistakes(small_policy, edits, line, problem):
    path = small_policy / "rules" / "zz.yaml"
    _edit(path, *edits)
    err = _refused(small_policy)
    assert (err.line, err.problem) == (line, problem)
    assert str(err) == f"{path}:{line}: {problem}"


@pytest.mark.parametrize("indicator,veto,deduction,source,counted", [
    ("{veto: true}", True, 0, None, True),
    ("{deduction: 1, source: indicator-a}", False, 1, "indicator-a", True),  # the smallest deduction counts
    ("{deduction: 100, source: practice-a}", False, 100, "practice-a", True),
    ("{veto: true, deduction: 5, source: indicator-a}", True, 5, "indicator-a", True),
    ("{veto: false, deduction: 0}", False, 0, None, False),
])
def test_indicator_is_read(small_policy, indicator, veto, deduction, source, counted):
    _edit(small_policy / "rules" / "zz.yaml", (SEV, SEV + f"    indicator: {indicator}\n"))
    rule = load_policy(small_policy).rules["account.small_rule"]
    assert (rule.indicator_veto, rule.indicator_deduction, rule.indicator_source) == (veto, deduction, source)
    assert rule.in_indicator_inspection is counted
    assert (rule.veto, rule.deduction) == (False, 0)  # the governance score is separate


# (edits of SMALL_ARTICLES, line, the whole problem)
ARTICLE_MISTAKES = [
    ([("articles:\n", "articles: [rule-a]\nheld:\n")], 1, "'articles' must be a mapping, got LineList"),
    ([("    label: 《意见》第7条（测试）\n", "")], 2, "article 'rule-a': 'label' must be a non-empty text (kind national_rule)"),
    ([("    label: 《意见》第7条（测试）", "    label: ' '")], 8,
     "article 'rule-a': 'label' must be a non-empty text (kind national_rule)"),
    ([("    article: 第7条\n", "")], 2, "article 'rule-a': 'article' must be a non-empty text (kind national_rule)"),
    ([("    document: 国办秘函〔2019〕19号", "    document: 19")], 11,
     "article 'indicator-a': 'document' must be a non-empty text (kind national_indicator)"),
    ([("    wording: 超过2周未更新\n", "")], 9,
     "article 'indicator-a': 'wording' must be a non-empty text (kind national_indicator)"),
    ([("    source: 某省网信办2025年检查方案\n", "")], 15,
     "article 'practice-a': 'source' must be a non-empty text (kind local_practice)"),
    ([("    source: 项目做法（测试）", "    source: ''")], 27,
     "article 'default-a': 'source' must be a non-empty text (kind default)"),
    ([("    kind: national_rule\n", "")], 2, "article 'rule-a': basis kind undeclared ('kind' is one of "
                                            "national_rule, national_indicator, local_practice, default)"),
    ([("kind: national_indicator", "kind: national")], 10, "article 'indicator-a': unknown basis kind 'national' "
                                                           "(one of national_rule, national_indicator, local_practice, default)"),
    ([("kind: local_practice", "kind: default")], 22,
     "article 'practice-a': the label of a Fingertip default must say so (默认)"),
    ([("    text: opinions", "    text: guidelines")], 6,
     "article 'rule-a': held text {dir}/texts/guidelines.txt not found"),
    ([("防止数据泄露及流失。", "防止数据泄露。")], 7, "article 'rule-a': the wording is not found verbatim in texts/opinions.txt"),
    ([("    note: 可配置", "    notes: 可配置")], 29, "article 'default-a': unknown key 'notes'"),
    ([("  default-a:\n", "  default-a: 国办\n  default-b:\n")], 23, "article 'default-a' must be a mapping, got str"),
]


@pytest.mark.parametrize("edits,line,problem", ARTICLE_MISTAKES, ids=[m[2][:40] for m in ARTICLE_MISTAKES])
def test_article_mistakes(small_policy, edits, line, problem):
    """A basis whose kind is undeclared or lacks what its kind needs is refused at its line."""
    path = small_policy / "articles.yaml"
    _edit(path, *edits)
    err = _refused(small_policy)
    assert (err.line, err.problem) == (line, problem.format(dir=small_policy))
    assert str(err).startswith(f"{path}:{line}: ")


def test_a_default_citing_a_held_text_needs_no_wording(small_policy):
    _edit(small_policy / "articles.yaml", ("    note: 可配置", "    note: 可配置\n    text: opinions"))
    art = load_policy(small_policy).articles["default-a"]
    assert (art.text, art.wording) == ("opinions", "")


def test_a_rule_citing_no_basis_is_refused_and_every_basis_must_exist(small_policy):
    path = small_policy / "rules" / "zz.yaml"
    _edit(path, ("    basis: [rule-a, indicator-a, practice-a, default-a]\n", ""))
    err = _refused(small_policy)
    assert (err.line, err.problem) == (2, WHERE + "missing 'basis'")


# (old text of settings.yaml, new text, line of the error counted from the line of ``old``, problem)
SMALL_SETTINGS_MISTAKES = [
    ("detection:\n", "detection: 5\nheld:\n", 0, "'detection' must be a mapping, got int"),
    ("  filing_required_from: {icp_app: 2023-09-01, gov_app: 2026-01-01}",
     "  filing_required_from:\n    icp_app: 2023-09-01\n    gov_app: soon", 2,
     "detection.filing_required_from.gov_app must be a date (YYYY-MM-DD)"),
    ("  filing_required_from: {icp_app: 2023-09-01, gov_app: 2026-01-01}",
     "  filing_required_from:\n    icp_app: 2023-09-01", 0,
     "detection.filing_required_from.gov_app must be a date (YYYY-MM-DD)"),
    ("  filing_required_from: {icp_app: 2023-09-01, gov_app: 2026-01-01}",
     "  filing_required_from:\n    gov_app: 2026-01-01\n    icp_app: '2023-09-01'", 2,
     "detection.filing_required_from.icp_app must be a date (YYYY-MM-DD)"),
    ("  filing_required_from: {icp_app: 2023-09-01, gov_app: 2026-01-01}", "  filing_required_from: 2023-09-01", 0,
     "detection.filing_required_from must be a mapping, got date"),
    ("  rating_growth_min_days: 28", "  rating_growth_min_days: -1", 0,
     "detection.rating_growth_min_days must be a non-negative integer"),
    ("  rating_growth_window_days: 90", "  rating_growth_window_days: 90.5", 0,
     "detection.rating_growth_window_days must be a non-negative integer"),
    ("    candidate_min: 0.8", "    candidate_min: '0.8'", 0, "similarity.candidate_min must be in (0, 1]"),
    ("  similarity:\n", "  similarity: 2\n  similar:\n", 0, "detection.similarity must be a mapping, got int"),
    ("  forced_features:\n", "  forced_features: [check_in]\n  forced_feature_names:\n", 0,
     "detection.forced_features must be a mapping, got LineList"),
    ("      examples: [每日签到领积分, 全员每天打卡, 打卡接龙统计到岗]", "      examples: [每日签到领积分, 今天天气很好]", 0,
     "forced phrase pattern '签到打卡|每日签到|打卡签到|打卡接龙|每天打卡' does not catch its example '今天天气很好'"),
    ("      examples: [每日签到领积分, 全员每天打卡, 打卡接龙统计到岗]", "      examples: []", 0,
     "forced phrase examples must be a non-empty list of texts"),
    ("      counter_examples: [景区打卡点推荐, 提供签证办理指南]", "      counter_examples: 景区打卡点推荐", 0,
     "forced phrase counter_examples must be a non-empty list of texts"),
    ("scoring:\n  start: 100\n  pass_mark: 60\n", "scoring: 5\n", 0, "'scoring' must be a mapping, got int"),
    ("indicator:\n  start: 100\n  pass_mark: 60\n", "indicator:\n  start: 100\n  pass_mark: '60'\n", 2,
     "indicator.pass_mark must be an integer"),
    ("indicator:\n  start: 100\n  pass_mark: 60\n", "indicator: 5\n", 0, "'indicator' must be a mapping, got int"),
    # data_missing: a condition per target, checked like a rule's (facts, `not:`, operand types)
    ("      - {fact: has_activity_data, is_false: true}", "      - {fact: has_activity, is_false: true}", 0,
     "unknown fact 'has_activity'; known: "),
    ("      - {fact: has_activity_data, is_false: true}", "      - {not: {fact: has_activity_data, is_false: 1}}", 0,
     "'is_false' needs true or false, got 1"),
    ("      - {fact: listing_count, eq: 0}", "      - {fact: listing_count, in: 0}", 0, "'in' needs a list, got 0"),
    ("      - {fact: user_scale, is_null: true}", "      - {fact: user_scale, lt: '1'}", 0, "'lt' needs a number, got '1'"),
    ("data_missing:\n  account:", "data_missing:\n  person:", 1, "data_missing is for app and account, not 'person'"),
    ("data_missing:\n  account:", "data_missing: 3\nheld:\n  account:", 0, "'data_missing' must be a mapping, got int"),
    # risk tiers
    ("risk_tiers:\n  app:", "risk_tiers:\n  person:", 1, "risk tiers are for app and account, not 'person'"),
    ("          - {fact: followers, ge: 1000000}", "          - {fact: followers, ge: '1000000'}", 0,
     "'ge' needs a number, got '1000000'"),
    ("          - {fact: followers, ge: 1000000}", "          - {fact: followers, ge: true}", 0,
     "'ge' needs a number, got True"),
    ("          - {fact: sponsor_level_rank, eq: 0}", "          - {fact: sponsor_level_rank, not_in: 0}", 0,
     "'not_in' needs a list, got 0"),
    ("          - {fact: sponsor_level_rank, eq: 0}", "          - {fact: posts_30d, not_null: yes please}", 0,
     "'not_null' needs true or false, got 'yes please'"),
    ("    - tier: medium\n      when:\n        any:\n          - {fact: followers, ge: 10000}",
     "    - tier: medium\n      when:\n        any:\n          - {fact: user_scale, ge: 10000}", 3, "unknown fact 'user_scale'"),
]


@pytest.mark.parametrize("old,new,offset,problem", SMALL_SETTINGS_MISTAKES,
                         ids=[m[3][:40] for m in SMALL_SETTINGS_MISTAKES])
def test_settings_mistakes_at_their_line(small_policy, old, new, offset, problem):
    path = small_policy / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1 + offset
    _edit(path, (old, new))
    err = _refused(small_policy)
    assert err.line == line, str(err)
    assert err.problem.startswith(problem), err.problem
    assert str(err).startswith(f"{path}:{line}: ")


def test_settings_bounds_are_inclusive(small_policy):
    """The smallest and largest values the checker's ranges allow load, and are the values read."""
    path = small_policy / "settings.yaml"
    _edit(path, ('version: "2026.11"', 'version: "test-1"'), ("  min_description_chars: 20", "  min_description_chars: 0"),
          ("    shingle: 2 ", "    shingle: 1 "), ("    candidate_min: 0.8", "    candidate_min: 1"),
          ("scoring:\n  start: 100\n  pass_mark: 60", "scoring:\n  start: 1000\n  pass_mark: 0"),
          ("  rating_growth_min_days: 28", "  rating_growth_min_days: 0"))
    policy = load_policy(small_policy)
    det = policy.settings["detection"]
    assert (det["min_description_chars"], det["similarity"]["shingle"], det["similarity"]["candidate_min"],
            det["rating_growth_min_days"]) == (0, 1, 1, 0)
    assert policy.settings["scoring"] == {"start": 1000, "pass_mark": 0}
    assert policy.version == "test-1"
    assert policy.describe()["version"] == "test-1"


THREE_RULES = SMALL_RULE.replace(SEV, SEV + "    actions: [propose_shutdown]\n") + """\
  - id: account.off_rule
    title_zh: 关注数少
    target: account
    family: interaction
    severity: low
    basis: [default-a]
    enabled: false
    actions: [propose_shutdown, notify_sponsor]
    when: {fact: followers, lt: 50}
    remediation_zh: 整合
  - id: app.small_rule
    title_zh: 久未更新
    target: app
    family: zombie_app
    severity: high
    basis: [rule-a]
    actions: [notify_sponsor]
    when: {not: {fact: days_since_version, le: 365}}
    remediation_zh: 关停
"""


def test_queries_over_rules_and_overrides(small_policy):
    (small_policy / "rules" / "zz.yaml").write_text(THREE_RULES, encoding="utf-8")
    (small_policy / "overrides").mkdir()
    (small_policy / "overrides" / "440000.yaml").write_text(
        'province: "440000"\nrules:\n  account.off_rule:\n    enabled: true\n    severity: high\n'
        '  account.small_rule:\n    source: 测试省文件\n    thresholds: {days: 0}\n', encoding="utf-8")
    policy = load_policy(small_policy)
    small, off, app = (policy.rules[k] for k in ("account.small_rule", "account.off_rule", "app.small_rule"))
    assert policy.rules_with_action("propose_shutdown") == ["account.small_rule"]  # off_rule is disabled
    assert policy.rules_with_action("notify_sponsor") == ["app.small_rule"]
    assert [r.id for r in policy.rules_for("account")] == ["account.small_rule"]
    assert [r.id for r in policy.rules_for("account", {"stale_account", "interaction"})] == ["account.small_rule"]
    assert policy.rules_for("account", {"interaction"}) == []
    assert policy.rules_for("app", {"stale_account"}) == [] and policy.rules_for("app", None) == [app]
    assert policy.describe() == {
        "directory": str(small_policy), "version": "2026.11", "rules": 3, "enabled": 2,
        "by_target": {"app": 1, "account": 2, "work_group": 0, "sponsor": 0, "listing": 0},
        "overrides": ["440000"],
    }
    assert policy.article_labels["default-a"] == "Fingertip默认值（测试天数）"
    # the province's values, only in that province
    assert (policy.enabled_in(off, "440000"), policy.enabled_in(off, "450000"), policy.enabled_in(off, None)) == (
        True, False, False)
    assert (policy.enabled_in(small, "440000"), policy.enabled_in(small, None)) == (True, True)
    assert (policy.severity_in(off, "440000"), policy.severity_in(off, "450000"), policy.severity_in(small, "440000")) == (
        "high", "low", "medium")
    assert policy.thresholds(small, "440000") == {"days": 0} and policy.thresholds(small, None) == {"days": 14}
    assert policy.thresholds(off, "440000") == {} and policy.overrides["440000"].sources == {"account.small_rule": "测试省文件"}
    # `not:` compiled: fires only past 365 days, never on a missing fact
    pred = app.predicate({})
    assert [pred({"days_since_version": d}) for d in (365, 366)] == [False, True]
    assert app.evidence_facts == ("days_since_version",)


# (override file text, line, problem); the keys tested come after another key (block style)
SMALL_OVERRIDE_MISTAKES = [
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: 测试\n    enabled: "no"\n', 5,
     "'enabled' must be true or false"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: 测试\n    severity: urgent\n', 5,
     "severity must be one of ('high', 'medium', 'low')"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: 测试\n    thresholds:\n      days: 7\n      weeks: 2\n', 7,
     "override of 'account.small_rule': the rule has no threshold 'weeks' (it has ['days'])"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    enabled: true\n    thresholds: {days: 7}\n', 5,
     "override of 'account.small_rule': a provincial threshold needs its 'source' (the provincial document, "
     "or that it is an example or default)"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: " "\n    thresholds: {days: 7}\n', 5,
     "override of 'account.small_rule': a provincial threshold needs its 'source' (the provincial document, "
     "or that it is an example or default)"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: 测试\n    thresholds: {days: -7}\n', 5,
     "override of 'account.small_rule': threshold 'days' must be a non-negative number, got -7"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: 测试\n    basis: [rule-a]\n', 5,
     "override of 'account.small_rule': 'basis' cannot be overridden (only ['enabled', 'severity', 'source', "
     "'thresholds'])"),
    ('province: "440000"\nrules:\n  account.small_rule:\n    source: 测试\n  account.other:\n    enabled: true\n', 5,
     "override of unknown rule 'account.other'"),
    ('province: "440000"\nrules: [account.small_rule]\n', 2, "'rules' must be a mapping, got LineList"),
    ('province: "440000"\nrules: {}\nnote: x\nextra: y\n', 4,
     "unknown key 'extra' (an override has 'province' and 'rules')"),
    ('province: "4400001"\n', 1, "province must be a PP0000 division code, got '4400001'"),
]


@pytest.mark.parametrize("body,line,problem", SMALL_OVERRIDE_MISTAKES, ids=[m[2][:40] for m in SMALL_OVERRIDE_MISTAKES])
def test_override_mistakes_at_their_line(small_policy, body, line, problem):
    path = small_policy / "overrides" / "440000.yaml"
    path.parent.mkdir()
    path.write_text(body, encoding="utf-8")
    err = _refused(small_policy)
    assert (err.line, err.problem) == (line, problem)
    assert str(err).startswith(f"{path}:{line}: ")
