"""Declared facts of the ledger (台账) read as data: features, approvals, 等保 level.

The Chinese-label → code mapping lives in ``fingertip/resources/inventory/features.yaml``. Used by
:mod:`fingertip.quality.promote`, so what a unit declares reaches the forced-use rules (Art. 6).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import yaml

from fingertip import config

_SPLIT = re.compile(r"[；;、，,\n/|]+")
_ITEM = re.compile(r"[；;\n]+")


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=1)
def _mapping() -> dict[str, Any]:
    data = yaml.safe_load(config.resource("inventory", "features.yaml").read_text(encoding="utf-8"))
    terms: dict[str, str] = {}
    for code, words in data["features"].items():
        for w in [code, *words]:
            folded = _fold(str(w))
            if folded in terms and terms[folded] != code:
                raise ValueError(f"features.yaml: term {w!r} maps to both {terms[folded]!r} and {code!r}")
            terms[folded] = code
    scopes = [(scope, _fold(str(w))) for scope, words in data["approval_scopes"].items() for w in words]
    scopes.sort(key=lambda x: -len(x[1]))  # the longest term wins (仅供内部掌握 before 内部)
    levels = {_fold(str(w)): int(level) for level, words in data["security_levels"].items() for w in words}
    return {"terms": terms, "scopes": scopes, "not_approved": [_fold(w) for w in data["not_approved"]],
            "levels": levels}


def feature_code(label: str) -> str:
    """The code of a feature label; an unknown label is kept verbatim as ``label:<text>``."""
    text = label.strip()
    return _mapping()["terms"].get(_fold(text)) or f"label:{text}"


def declared_features(cell: Any) -> list[str] | None:
    """``"在线办事、打卡签到、积分排名"`` → ``["service_hall", "check_in", "points_ranking"]`` (order kept, no repeats)."""
    if cell is None or not str(cell).strip():
        return None
    out: list[str] = []
    for part in _SPLIT.split(str(cell)):
        if part.strip():
            code = feature_code(part)
            if code not in out:
                out.append(code)
    return out


def _scope(text: str) -> str:
    folded = _fold(text)
    for scope, word in _mapping()["scopes"]:
        if word in folded:
            return scope
    return "unstated"


def approvals(cell: Any) -> list[dict[str, str]] | None:
    """``"打卡签到：已审批，仅供内部掌握；积分排名：未审批"`` → ``[{"feature": "check_in", "scope": "internal",
    "text": …}]`` — an item saying it was not approved is no approval; the scope is what the text says."""
    if cell is None or not str(cell).strip():
        return None
    out: list[dict[str, str]] = []
    for item in _ITEM.split(str(cell)):
        item = item.strip()
        if not item:
            continue
        parts = re.split(r"[：:]", item, maxsplit=1)
        label, rest = (parts[0], parts[1]) if len(parts) == 2 else (item, "")
        folded = _fold(item)
        if any(w in folded for w in _mapping()["not_approved"]):
            continue
        label = label.strip()
        # "打卡签到（仅内部使用）": the label ends where a bracket opens
        label = re.split(r"[（(]", label, maxsplit=1)[0]
        out.append({"feature": feature_code(label), "scope": _scope(rest or item), "text": item[:200]})
    return out


def security_level(cell: Any) -> int | None:
    """等保 level 1–5 as written (第三级, 三级, 3级, 3); None when empty or unreadable."""
    if cell is None or not str(cell).strip():
        return None
    text = re.sub(r"^(等保|等级保护)", "", _fold(str(cell)))
    return _mapping()["levels"].get(text)
