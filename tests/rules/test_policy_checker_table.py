"""The policy checker on a parametrised set of bad policy files, each with its expected ``file:line``.

Lines are counted in the YAML texts below (RULE: line 1 ``rules:``, line 2 the rule's ``id`` …);
settings mistakes are made on the shipped ``settings.yaml`` at the line of the key replaced.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from fingertip.rules import PolicySourceError, load_policy
from fingertip.rules.policy import default_dir

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
    threshold_basis: {days: opinions-7}
"""
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
