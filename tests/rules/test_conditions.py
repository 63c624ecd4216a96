"""The condition language: operators, unknown values, combinators."""

from __future__ import annotations

import pytest

from fingertip.rules.conditions import compile_condition


@pytest.mark.parametrize("cond,facts,expected", [
    ({"fact": "x", "gt": 3}, {"x": 4}, True),
    ({"fact": "x", "gt": 3}, {"x": 3}, False),
    ({"fact": "x", "gt": 3}, {"x": None}, False),  # unknown never fires
    ({"fact": "x", "le": 3}, {}, False),
    ({"fact": "x", "is_null": True}, {"x": None}, True),
    ({"fact": "x", "is_false": True}, {"x": None}, False),
    ({"fact": "x", "is_false": True}, {"x": False}, True),
    ({"fact": "x", "nonempty": True}, {"x": []}, False),
    ({"fact": "x", "nonempty": True}, {"x": ["a"]}, True),
    ({"fact": "x", "in": ["a", "b"]}, {"x": "b"}, True),
    ({"fact": "x", "contains_any": ["a"]}, {"x": ["c", "a"]}, True),
    ({"not": {"fact": "x", "eq": 1}}, {"x": 2}, True),
    ({"any": [{"fact": "x", "eq": 1}, {"fact": "y", "eq": 2}]}, {"x": 0, "y": 2}, True),
    ({"all": [{"fact": "x", "eq": 1}, {"fact": "y", "eq": 2}]}, {"x": 1, "y": 3}, False),
    ({"fact": "x", "ge": "$t"}, {"x": 5}, True),
])
def test_operators(cond, facts, expected):
    assert compile_condition(cond, {"t": 5})(facts) is expected
