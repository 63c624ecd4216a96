"""Every operator of the condition language at its edges, and the condition checker on bad files.

The expected answers are written by hand from the language's definition (module docstring of
``fingertip.rules.conditions`` and docs/): a missing fact (``None``) never makes a comparison true,
equal values sit on the boundary of ``lt``/``le``/``gt``/``ge``. The checker's expected ``file:line``
comes from the YAML text below, counted by eye.
"""

from __future__ import annotations

import textwrap

import pytest

from fingertip.rules import yamlsource
from fingertip.rules.conditions import OPERATORS, check, compile_condition, facts_named
from fingertip.rules.yamlsource import PolicySourceError

# (operator, fact value, reference, expected)
CASES = [
    ("eq", 3, 3, True), ("eq", 3, 4, False), ("eq", None, None, False), ("eq", "a", "a", True),
    ("eq", 0, 0, True), ("eq", False, False, True),
    ("ne", 3, 4, True), ("ne", 3, 3, False), ("ne", None, 3, False), ("ne", None, None, False),
    ("ne", 0, 1, True),
    ("gt", 4, 3, True), ("gt", 3, 3, False), ("gt", 2, 3, False), ("gt", None, 3, False),
    ("gt", 0.5, 0, True),
    ("ge", 4, 3, True), ("ge", 3, 3, True), ("ge", 2, 3, False), ("ge", None, 3, False),
    ("ge", 0, 0, True),
    ("lt", 2, 3, True), ("lt", 3, 3, False), ("lt", 4, 3, False), ("lt", None, 3, False),
    ("lt", -1, 0, True),
    ("le", 2, 3, True), ("le", 3, 3, True), ("le", 4, 3, False), ("le", None, 3, False),
    ("le", 0, 0, True),
    ("in", "a", ["a", "b"], True), ("in", "c", ["a", "b"], False), ("in", None, ["a"], False),
    ("in", None, [None], False),
    ("not_in", "c", ["a", "b"], True), ("not_in", "a", ["a", "b"], False), ("not_in", None, ["a"], False),
    ("not_in", None, [], False),
    ("is_true", True, True, True), ("is_true", False, True, False), ("is_true", None, True, False),
    ("is_true", 1, True, False),  # only the boolean True, not a truthy value
    ("is_true", True, False, False), ("is_true", False, False, True), ("is_true", None, False, True),
    ("is_false", False, True, True), ("is_false", True, True, False), ("is_false", None, True, False),
    ("is_false", 0, True, False),
    ("is_false", False, False, False), ("is_false", True, False, True), ("is_false", None, False, True),
    ("is_null", None, True, True), ("is_null", 0, True, False), ("is_null", "", True, False),
    ("is_null", None, False, False), ("is_null", 0, False, True),
    ("not_null", 0, True, True), ("not_null", None, True, False), ("not_null", "", True, True),
    ("not_null", None, False, True), ("not_null", 5, False, False),
    ("nonempty", ["a"], True, True), ("nonempty", [], True, False), ("nonempty", None, True, False),
    ("nonempty", "x", True, True), ("nonempty", [], False, True), ("nonempty", ["a"], False, False),
    ("nonempty", None, False, True),
    ("contains_any", ["c", "a"], ["a"], True), ("contains_any", ["c"], ["a", "b"], False),
    ("contains_any", [], ["a"], False), ("contains_any", None, ["a"], False),
    ("contains_any", "签到打卡", ["打卡"], True),  # substring of a text
    ("contains_any", ["a"], [], False),
]


def test_the_table_covers_every_operator():
    assert {c[0] for c in CASES} == set(OPERATORS)


@pytest.mark.parametrize("op,value,ref,expected", CASES, ids=[f"{c[0]}-{c[1]!r}-{c[2]!r}" for c in CASES])
def test_operator(op, value, ref, expected):
    pred = compile_condition({"fact": "x", op: ref}, {})
    assert pred({"x": value}) is expected
    if value is None:  # an absent fact behaves like an unknown one
        assert pred({}) is expected


@pytest.mark.parametrize("op,value,ref,expected", [
    ("ge", 14, "$days", True), ("ge", 13, "$days", False), ("lt", 13, "$days", True), ("lt", 14, "$days", False),
    ("in", "b", "$names", True), ("not_in", "b", "$names", False), ("contains_any", ["x", "b"], "$names", True),
])
def test_thresholds_are_resolved(op, value, ref, expected):
    pred = compile_condition({"fact": "x", op: ref}, {"days": 14, "names": ["a", "b"]})
    assert pred({"x": value}) is expected


def test_list_of_unhashable_values():
    pred = compile_condition({"fact": "x", "in": [[1, 2], [3]]}, {})
    assert pred({"x": [3]}) is True
    assert pred({"x": [4]}) is False


@pytest.mark.parametrize("cond,facts,expected", [
    ({"all": [{"fact": "a", "eq": 1}, {"fact": "b", "eq": 2}]}, {"a": 1, "b": 2}, True),
    ({"all": [{"fact": "a", "eq": 1}, {"fact": "b", "eq": 2}]}, {"a": 1, "b": 3}, False),
    ({"all": [{"fact": "a", "eq": 1}, {"fact": "b", "eq": 2}]}, {"a": 0, "b": 2}, False),
    ({"any": [{"fact": "a", "eq": 1}, {"fact": "b", "eq": 2}]}, {"a": 0, "b": 0}, False),
    ({"any": [{"fact": "a", "eq": 1}, {"fact": "b", "eq": 2}]}, {"a": 1, "b": 0}, True),
    ({"not": {"fact": "a", "eq": 1}}, {"a": 1}, False),
    ({"not": {"fact": "a", "eq": 1}}, {"a": 2}, True),
    ({"not": {"fact": "a", "eq": 1}}, {}, True),  # not(unknown = 1) is true: documented behaviour
    ({"not": {"not": {"fact": "a", "gt": 0}}}, {"a": 1}, True),
])
def test_combinators(cond, facts, expected):
    assert compile_condition(cond, {})(facts) is expected


def test_facts_named():
    cond = {"all": [{"fact": "a", "eq": 1}, {"any": [{"fact": "b", "eq": 1}, {"not": {"fact": "c", "eq": 1}}]}]}
    assert facts_named(cond) == {"a", "b", "c"}
    assert facts_named({"any": [{"fact": "d", "eq": 1}]}) == {"d"}
    assert facts_named({"not": {"fact": "e", "eq": 1}}) == {"e"}


# ---------------------------------------------------------------------------------------------
# The checker: bad conditions in a YAML file, each with its file:line and message.
# ---------------------------------------------------------------------------------------------

FACTS = {"days": "number", "flag": "bool", "names": "list"}
THRESHOLDS = {"limit": 14, "names": ["a"], "on": True}

# (yaml text of the condition (top-level key `when`), expected line, expected message fragment)
BAD = [
    ("when: []\n", 1, "a condition must be a non-empty mapping"),
    ("when: {}\n", 1, "a condition must be a non-empty mapping"),
    ("when:\n  all:\n    - fact: days\n      gt: 1\n  any:\n    - fact: days\n      gt: 2\n", 2,
     "'all' must be alone in its mapping"),
    ("when:\n  all: []\n", 2, "'all' needs a non-empty list of conditions"),
    ("when:\n  any: {fact: days, gt: 1}\n", 2, "'any' needs a non-empty list of conditions"),
    ("when:\n  not:\n    fact: dayz\n    gt: 1\n", 3, "unknown fact 'dayz'"),
    ("when:\n  not:\n    fact: days\n    gt: 1\n    lt: 5\n", 3, "needs exactly one operator"),
    ("when:\n  all:\n    - fact: days\n      gt: 1\n    - fact: days\n      between: [1, 2]\n", 5,
     "needs exactly one operator"),
    ("when:\n  fact: days\n", 2, "needs exactly one operator"),
    ("when:\n  days: 3\n", 2, "unknown condition keys ['days']"),
    ("when:\n  fact: days\n  gt: $nope\n", 3, "threshold '$nope' is not defined"),
    ("when:\n  fact: days\n  gt: '3'\n", 3, "'gt' needs a number"),
    ("when:\n  fact: days\n  le: true\n", 3, "'le' needs a number"),
    ("when:\n  fact: days\n  ge: $names\n", 3, "'ge' needs a number"),
    ("when:\n  fact: names\n  in: a\n", 3, "'in' needs a list"),
    ("when:\n  fact: names\n  not_in: {a: 1}\n", 3, "'not_in' needs a list"),
    ("when:\n  fact: names\n  contains_any: $limit\n", 3, "'contains_any' needs a list"),
    ("when:\n  fact: flag\n  is_true: 1\n", 3, "'is_true' needs true or false"),
    ("when:\n  fact: flag\n  is_false: 0\n", 3, "'is_false' needs true or false"),
    ("when:\n  fact: flag\n  is_null: null\n", 3, "'is_null' needs true or false"),
    ("when:\n  gt: 1\n  fact: dayz\n", 3, "unknown fact 'dayz'"),  # the line of 'fact', not of the mapping
    ("when:\n  fact: flag\n  not_null: yes please\n", 3, "'not_null' needs true or false"),
    ("when:\n  any:\n    - fact: flag\n      is_null: true\n    - not:\n        fact: flag\n        nonempty: 0\n", 7,
     "'nonempty' needs true or false"),
]


def _check_file(tmp_path, text: str) -> set[str]:
    path = tmp_path / "rule.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    doc = yamlsource.load(path)
    used: set[str] = set()
    check(doc["when"], facts=FACTS, thresholds=THRESHOLDS, path=str(path), used=used)
    return used


@pytest.mark.parametrize("text,line,message", BAD, ids=[b[2][:40] for b in BAD])
def test_checker_rejects_with_file_and_line(tmp_path, text, line, message):
    with pytest.raises(PolicySourceError) as exc:
        _check_file(tmp_path, text)
    assert exc.value.line == line
    assert message in exc.value.problem
    assert str(exc.value).startswith(f"{tmp_path / 'rule.yaml'}:{line}: ")


@pytest.mark.parametrize("text,used", [
    ("when:\n  fact: days\n  ge: $limit\n", {"limit"}),
    ("when:\n  fact: days\n  lt: 2.5\n", set()),
    ("when:\n  not:\n    fact: names\n    in: $names\n", {"names"}),
    ("when:\n  all:\n    - fact: flag\n      is_true: $on\n    - fact: names\n      contains_any: [x]\n", {"on"}),
    ("when:\n  any:\n    - fact: flag\n      is_false: false\n    - fact: days\n      eq: '3'\n", set()),
])
def test_checker_accepts_and_records_thresholds(tmp_path, text, used):
    assert _check_file(tmp_path, text) == used


def test_checker_lists_known_thresholds_and_operators(tmp_path):
    with pytest.raises(PolicySourceError, match=r"\(limit, names, on\)"):
        _check_file(tmp_path, "when:\n  fact: days\n  gt: $x\n")
    with pytest.raises(PolicySourceError, match="known: days, flag, names"):
        _check_file(tmp_path, "when:\n  fact: nope\n  gt: 1\n")
