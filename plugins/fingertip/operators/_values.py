"""Coercion of operator arguments that may arrive native or as rendered template text.

Airflow renders ``"{{ params.dry_run }}"`` to the text ``"False"`` and ``"{{ params.families }}"`` to
``"['a', 'b']"`` unless the DAG renders native objects; these helpers accept both forms.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from typing import Any

_NONE = ("", "none", "null")


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _NONE)


def as_bool(value: Any, *, name: str = "value") -> bool:
    if is_empty(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"{name}: expected a boolean, got {value!r}")


def as_date(value: Any, *, name: str = "value") -> dt.date | None:
    if is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


def as_float(value: Any, *, name: str = "value") -> float | None:
    if is_empty(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None


def as_list(value: Any, *, name: str = "value") -> list[Any]:
    """A list from a list/tuple, JSON or Python list text, or comma-separated text."""
    if is_empty(value):
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            for parse in (json.loads, ast.literal_eval):
                try:
                    parsed = parse(text)
                except (ValueError, SyntaxError):
                    continue
                if isinstance(parsed, list):
                    return parsed
            raise ValueError(f"{name}: cannot read a list from {value!r}")
        return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    raise ValueError(f"{name}: expected a list, got {value!r}")


def as_mapping(value: Any, *, name: str = "value") -> dict[str, Any] | None:
    if is_empty(value):
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(value)
            except (ValueError, SyntaxError):
                continue
            if isinstance(parsed, dict):
                return parsed
    raise ValueError(f"{name}: expected a mapping, got {value!r}")
