"""The condition language of the policy files, checked when loaded and compiled to closures.

A condition is a mapping with exactly one of:

* ``all: [cond, …]`` / ``any: [cond, …]`` / ``not: cond``;
* a *test* on one fact: ``{fact: <name>, <op>: <value>}`` with one operator of :data:`OPERATORS`.

Values may name a rule threshold as ``$name`` (resolved per province, see :mod:`.policy`). A fact
whose value is unknown (``None``) makes every comparison false — a rule never fires on missing
data; ``is_null`` / ``not_null`` test for it explicitly.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from fingertip.rules.yamlsource import PolicySourceError, line_of

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]


def _cmp(op):
    def test(value, ref):
        return value is not None and op(value, ref)
    return test


def _is_true(value, ref):
    return (value is True) == bool(ref)


def _is_false(value, ref):
    return (value is False) == bool(ref)


def _nonempty(value, ref):
    return bool(value) == bool(ref)


def _contains_any(value, ref):
    return bool(value) and any(v in value for v in ref)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda v, r: v is not None and v == r,
    "ne": lambda v, r: v is not None and v != r,
    "gt": _cmp(operator.gt),
    "ge": _cmp(operator.ge),
    "lt": _cmp(operator.lt),
    "le": _cmp(operator.le),
    "in": lambda v, r: v is not None and v in r,
    "not_in": lambda v, r: v is not None and v not in r,
    "is_true": _is_true,
    "is_false": _is_false,
    "is_null": lambda v, r: (v is None) == bool(r),
    "not_null": lambda v, r: (v is not None) == bool(r),
    "nonempty": _nonempty,
    "contains_any": _contains_any,
}
_NUMERIC = {"gt", "ge", "lt", "le"}
_LISTS = {"in", "not_in", "contains_any"}
_BOOLS = {"is_true", "is_false", "is_null", "not_null", "nonempty"}


def check(cond: Any, *, facts: Mapping[str, str], thresholds: Mapping[str, Any], path: str,
          used: set[str]) -> None:
    """Validate a condition tree; unknown facts/operators/thresholds raise with the file line."""
    if not isinstance(cond, Mapping) or not cond:
        raise PolicySourceError(path, line_of(cond), "a condition must be a non-empty mapping")
    combinators = [k for k in ("all", "any", "not") if k in cond]
    if combinators:
        if len(cond) != 1:
            raise PolicySourceError(path, line_of(cond), f"'{combinators[0]}' must be alone in its mapping, "
                                                         f"found {sorted(cond)}")
        key = combinators[0]
        body = cond[key]
        if key == "not":
            check(body, facts=facts, thresholds=thresholds, path=path, used=used)
            return
        if not isinstance(body, list) or not body:
            raise PolicySourceError(path, line_of(cond, key), f"'{key}' needs a non-empty list of conditions")
        for item in body:
            check(item, facts=facts, thresholds=thresholds, path=path, used=used)
        return
    if "fact" not in cond:
        raise PolicySourceError(path, line_of(cond), f"unknown condition keys {sorted(cond)}: expected 'all', "
                                                     "'any', 'not' or 'fact' with one operator")
    fact = cond["fact"]
    if fact not in facts:
        raise PolicySourceError(path, line_of(cond, "fact"), f"unknown fact {fact!r}; known: {', '.join(sorted(facts))}")
    ops = [k for k in cond if k != "fact"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise PolicySourceError(path, line_of(cond), f"a test on {fact!r} needs exactly one operator of "
                                                     f"{', '.join(OPERATORS)}; found {ops}")
    op = ops[0]
    value = cond[op]
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if name not in thresholds:
            raise PolicySourceError(path, line_of(cond, op), f"threshold {value!r} is not defined in the rule's "
                                                             f"thresholds ({', '.join(sorted(thresholds)) or 'none'})")
        used.add(name)
        value = thresholds[name]
    if op in _NUMERIC and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise PolicySourceError(path, line_of(cond, op), f"'{op}' needs a number, got {value!r}")
    if op in _LISTS and not isinstance(value, list):
        raise PolicySourceError(path, line_of(cond, op), f"'{op}' needs a list, got {value!r}")
    if op in _BOOLS and not isinstance(value, bool):
        raise PolicySourceError(path, line_of(cond, op), f"'{op}' needs true or false, got {value!r}")


def compile_condition(cond: Mapping[str, Any], thresholds: Mapping[str, Any]) -> Predicate:
    """A closure evaluating ``cond`` on a facts mapping (``$name`` resolved from ``thresholds``)."""
    if "all" in cond:
        parts = [compile_condition(c, thresholds) for c in cond["all"]]
        return lambda f: all(p(f) for p in parts)
    if "any" in cond:
        parts = [compile_condition(c, thresholds) for c in cond["any"]]
        return lambda f: any(p(f) for p in parts)
    if "not" in cond:
        inner = compile_condition(cond["not"], thresholds)
        return lambda f: not inner(f)
    fact = cond["fact"]
    op = next(k for k in cond if k != "fact")
    ref = cond[op]
    if isinstance(ref, str) and ref.startswith("$"):
        ref = thresholds[ref[1:]]
    if op in _LISTS:
        ref = frozenset(ref) if all(isinstance(x, (str, int)) for x in ref) else tuple(ref)
    test = OPERATORS[op]
    return lambda f: test(f.get(fact), ref)


def facts_named(cond: Mapping[str, Any]) -> set[str]:
    """Every fact a condition reads (used to put them in the evidence)."""
    if "all" in cond or "any" in cond:
        out: set[str] = set()
        for c in cond.get("all") or cond.get("any") or ():
            out |= facts_named(c)
        return out
    if "not" in cond:
        return facts_named(cond["not"])
    return {cond["fact"]}
