"""The recall evaluation given planted misses and false positives: every figure counted by hand."""

from __future__ import annotations

import json

import pytest

from fingertip_dev.evaluation import LABEL_RULES, evaluate, read_ground_truth

GROUND_TRUTH = [
    # planted, found by the right rule
    {"entity_type": "account", "key": "a1", "labels": ["stale_14d"]},
    # planted, found by the right rule plus another one (not a false positive)
    {"entity_type": "account", "key": "a2", "labels": ["stale_60d", "stale_14d"]},
    # planted, missed: only another rule fired
    {"entity_type": "account", "key": "a3", "labels": ["zombie_account"]},
    # planted, missed: nothing fired
    {"entity_type": "app", "key": "p1", "labels": ["shell_app"]},
    # planted, found
    {"entity_type": "app", "key": "p2", "labels": ["shell_app"]},
    # the same key under another type must not pick up the app's findings
    {"entity_type": "work_group", "key": "p2", "labels": ["temporary_group_open"]},
    # a label the evaluation does not know is ignored (not planted, not clean)
    {"entity_type": "listing", "key": "l1", "labels": ["something_new"]},
    # clean, not flagged
    {"entity_type": "account", "key": "c1", "labels": []},
    {"entity_type": "app", "key": "c2"},
    # clean, flagged: false positives
    {"entity_type": "account", "key": "c3", "labels": []},
    {"entity_type": "app", "key": "c4", "labels": []},
]

FINDINGS = [
    ("account.stale_14d", "account", "a1"),
    ("account.stale_14d", "account", "a2"),
    ("account.stale_60d", "account", "a2"),
    ("account.stale_14d", "account", "a3"),
    ("app.shell", "app", "p2"),
    ("account.zombie", "account", "c3"),
    ("account.stale_14d", "account", "c3"),
    ("app.zombie", "app", "c4"),
    ("app.shell", "app", "zz"),  # an entity outside the ground truth
]


def test_exact_figures():
    out = evaluate(GROUND_TRUTH, FINDINGS)
    # planted labels: stale_14d ×2 (a1, a2), stale_60d (a2), zombie_account (a3), shell_app ×2,
    # temporary_group_open (work group p2) = 7; found: a1, a2 ×2, p2 (shell) = 4
    assert out["planted"] == 7
    assert out["recalled"] == 4
    assert out["recall"] == round(4 / 7, 6) == 0.571429
    assert out["recall_by_label"] == {
        "shell_app": {"planted": 2, "found": 1, "recall": 0.5},
        "stale_14d": {"planted": 2, "found": 2, "recall": 1.0},
        "stale_60d": {"planted": 1, "found": 1, "recall": 1.0},
        "temporary_group_open": {"planted": 1, "found": 0, "recall": 0.0},
        "zombie_account": {"planted": 1, "found": 0, "recall": 0.0},
    }
    assert list(out["recall_by_label"]) == sorted(out["recall_by_label"])
    assert out["missed_examples"] == {"zombie_account": ["a3"], "shell_app": ["p1"], "temporary_group_open": ["p2"]}
    assert out["clean_entities"] == 4
    assert out["clean_flagged"] == 2
    assert out["clean_false_positive_rate"] == 0.5
    assert out["false_positive_rules"] == {"account.zombie": 1, "account.stale_14d": 1, "app.zombie": 1}
    assert out["false_positive_examples"] == [
        {"type": "account", "key": "c3", "rules": ["account.stale_14d", "account.zombie"]},
        {"type": "app", "key": "c4", "rules": ["app.zombie"]},
    ]


def test_perfect_detection():
    truth = [{"entity_type": "app", "key": f"k{i}", "labels": ["zombie_app"]} for i in range(3)]
    truth.append({"entity_type": "app", "key": "clean", "labels": []})
    out = evaluate(truth, [("app.zombie", "app", f"k{i}") for i in range(3)])
    assert (out["planted"], out["recalled"], out["recall"]) == (3, 3, 1.0)
    assert (out["clean_entities"], out["clean_flagged"], out["clean_false_positive_rate"]) == (1, 0, 0.0)
    assert out["missed_examples"] == {}
    assert out["false_positive_rules"] == {}
    assert out["false_positive_examples"] == []


def test_nothing_planted_and_nothing_clean():
    out = evaluate([], [])
    assert out["planted"] == 0 and out["recall"] is None
    assert out["clean_entities"] == 0 and out["clean_false_positive_rate"] is None
    assert out["recall_by_label"] == {}


def test_examples_are_capped():
    truth = [{"entity_type": "app", "key": f"m{i}", "labels": ["shell_app"]} for i in range(4)]
    truth += [{"entity_type": "app", "key": f"c{i}", "labels": []} for i in range(4)]
    findings = [("app.zombie", "app", f"c{i}") for i in range(4)]
    out = evaluate(truth, findings, max_examples=2)
    assert out["missed_examples"] == {"shell_app": ["m0", "m1"]}
    assert [e["key"] for e in out["false_positive_examples"]] == ["c0", "c1"]
    assert out["clean_flagged"] == 4
    assert out["false_positive_rules"] == {"app.zombie": 4}
    default = evaluate(truth * 2, findings)
    assert len(default["missed_examples"]["shell_app"]) == 5
    assert len(default["false_positive_examples"]) == 5


@pytest.mark.parametrize("label,rules", sorted(LABEL_RULES.items()))
def test_every_label_is_recalled_by_its_rule_and_not_by_another(label, rules):
    entity_type = {"account": "account", "app": "app", "listing": "listing",
                   "work_group": "work_group"}[rules[0].split(".")[0]]
    truth = [{"entity_type": entity_type, "key": "x", "labels": [label]}]
    assert evaluate(truth, [(rules[0], entity_type, "x")])["recall"] == 1.0
    other = "account.stale_14d" if rules[0] != "account.stale_14d" else "account.stale_60d"
    assert evaluate(truth, [(other, entity_type, "x")])["recall"] == 0.0


def test_read_ground_truth_keeps_entity_records(tmp_path):
    path = tmp_path / "truth.jsonl"
    rows = [{"entity_type": "app", "key": "a"}, {"entity_type": "activity", "key": "b"},
            {"entity_type": "listing", "key": "c"}, {"entity_type": "account", "key": "d"},
            {"entity_type": "work_group", "key": "e"}, {"key": "f"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert [r["key"] for r in read_ground_truth(path)] == ["a", "c", "d", "e"]
    assert [r["key"] for r in read_ground_truth(str(path))] == ["a", "c", "d", "e"]


def test_labels_are_those_the_generator_plants_and_rules_exist():
    """LABEL_RULES names every label the sample generator plants (except the inventory-row label,
    judged by the quality gate, not by detection) and only rules of the shipped policy."""
    from fingertip.rules import load_policy
    from fingertip_dev.sample.generator import ACCOUNT_LABELS, APP_LABELS, GROUP_LABELS

    assert set(LABEL_RULES) == set(APP_LABELS + ACCOUNT_LABELS + GROUP_LABELS)
    rules = load_policy().rules
    for label, rule_ids in LABEL_RULES.items():
        assert rule_ids and all(r in rules for r in rule_ids), label


def test_per_label_recall_is_rounded_to_four_places():
    truth = [{"entity_type": "app", "key": f"k{i}", "labels": ["shell_app"]} for i in range(3)]
    out = evaluate(truth, [("app.shell", "app", "k0")])
    assert out["recall_by_label"]["shell_app"]["recall"] == 0.3333
    assert out["recall"] == 0.333333
