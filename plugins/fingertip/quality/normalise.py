"""Staged inventory text → a normalised pandas DataFrame the suites validate.

Staged cells are NFKC text already (full-width letters, digits and spaces folded by the importer),
except names and free text, which are staged verbatim and stay so (they are promoted as written);
the natural keys fold them (:func:`name_key`).
Here, per canonical field and vectorised over the distinct values of a column:

* vocabularies (``fingertip/resources/inventory/headers.yaml``) → schema codes ("微信公众号" → ``wechat``);
  a term the vocabulary does not know stays as written, so the in-set expectation names it;
* dates → ``YYYY-MM-DD`` (ISO, ``2024/1/5``, ``2024年1月5日``, Excel serial numbers ``45123``);
  an unreadable date stays as written;
* whole numbers: ``1,234`` / ``1234.0`` / ``1.2万`` → ``1234`` …; otherwise unchanged;
* credit codes upper-cased without spaces or hyphens; division codes lose Excel's ``.0``;
* ``_natural_key``: the inventory key of the row (apps: 应用编码 or a hash of sponsor credit code +
  kind + name; accounts: platform + account id; work groups: platform + group id, or a hash of
  sponsor + platform + name + opening date: units reuse group names); None when a part is missing (the row fails elsewhere).

Every value stays a ``str`` or ``None`` (object columns), so suites see exactly what is promoted.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from typing import Any

import pandas as pd

from fingertip.sources import coerce

DATE_FIELDS = ("launched_on", "opened_on", "closed_on", "task_ends_on", "last_post_on")
INT_FIELDS = ("user_scale", "member_count", "apple_track_id", "followers", "monthly_active_users", "downloads")
#: Columns the suites name that must exist (as all-empty) even when the file lacks them (optional fields).
OPTIONAL_FIELDS = {
    "app": ("kind", "host_platform", "filing_number", "launched_on", "apple_track_id", "has_complaint_channel",
            "user_scale", "sponsor_level", "sponsor_nature", "inventory_key", "package_name", "gov_filing_number",
            "monthly_active_users", "security_level"),
    "account": ("platform_account_id", "opened_on", "has_interaction_channel", "has_complaint_channel",
                "sponsor_level", "sponsor_nature"),
    "work_group": ("platform", "is_temporary", "opened_on", "task_ends_on", "closed_on", "member_count",
                   "platform_group_id", "sponsor_level", "sponsor_nature"),
}


def _hash(*parts: Any) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()


@lru_cache(maxsize=200_000)
def _date(value: str) -> str:
    try:
        d = coerce.to_date(value, excel_serial=True)
    except (coerce.CoercionError, ValueError, OverflowError):
        return value
    return d.isoformat() if d is not None else value


@lru_cache(maxsize=200_000)
def _int(value: str) -> str:
    try:
        n = coerce.to_int(value)
    except (coerce.CoercionError, ValueError, OverflowError):
        return value
    return str(n) if n is not None else value


def _map_unique(series: pd.Series, fn) -> pd.Series:
    present = series.notna()
    if not present.any():
        return series
    uniques = series[present].unique()
    table = {u: fn(u) for u in uniques}
    out = series.copy()
    out[present] = series[present].map(table)
    return out


def _clean_text(series: pd.Series) -> pd.Series:
    s = series.astype(object)
    s = s.where(s.notna(), None)
    stripped = s.map(lambda v: v.strip() if isinstance(v, str) else v)
    return stripped.where(stripped.map(lambda v: v is not None and v != ""), None)


def normalise(df: pd.DataFrame, entity_type: str, header_map=None) -> pd.DataFrame:
    """A normalised copy of ``df`` (canonical field columns of one entity type; text cells)."""
    from fingertip.inventory.headers import load_header_map

    hm = header_map or load_header_map()
    out = df.copy()
    for name in OPTIONAL_FIELDS.get(entity_type, ()):
        if name not in out.columns:
            out[name] = None
    fields = hm.fields(entity_type)
    for col in list(out.columns):
        if col.startswith("_"):
            continue
        out[col] = _clean_text(out[col])
        spec = fields.get(col)
        if spec is not None and spec.vocabulary:
            vocab = hm.vocabulary(spec.vocabulary)
            out[col] = _map_unique(out[col], lambda v, vocab=vocab: vocab.lookup(v) or v)
        elif col in DATE_FIELDS:
            out[col] = _map_unique(out[col], _date)
        elif col in INT_FIELDS:
            out[col] = _map_unique(out[col], _int)
    if "sponsor_credit_code" in out.columns:
        out["sponsor_credit_code"] = _map_unique(
            out["sponsor_credit_code"], lambda v: "".join(v.split()).replace("-", "").upper())
    if "division_code" in out.columns:
        out["division_code"] = _map_unique(
            out["division_code"], lambda v: v[:-2] if v.endswith(".0") and v[:-2].isdigit() else v)
    out["_natural_key"] = natural_keys(out, entity_type)
    for col in out.columns:  # pandas may infer a string dtype (NaN for missing): back to str / None
        out[col] = pd.Series([None if v is None or (isinstance(v, float) and v != v) else v
                              for v in out[col].tolist()], index=out.index, dtype=object)
    return out


def _col(df: pd.DataFrame, name: str) -> list:
    return df[name].tolist() if name in df.columns else [None] * len(df)


def name_key(name: str | None) -> str | None:
    """A name as it takes part in a matching key: NFKC-folded (（） → (), full-width letters and
    digits), stripped. Only keys are folded; the stored name stays verbatim."""
    if name is None:
        return None
    return unicodedata.normalize("NFKC", name).strip() or None


def natural_keys(df: pd.DataFrame, entity_type: str) -> list[str | None]:
    """The key each row would be stored under (see the module docstring)."""
    credit, name = _col(df, "sponsor_credit_code"), [name_key(n) for n in _col(df, "name")]
    keys: list[str | None] = []
    if entity_type == "app":
        for inv, c, k, n in zip(_col(df, "inventory_key"), credit, _col(df, "kind"), name, strict=True):
            if inv and len(inv) <= 40:
                keys.append(inv)
            elif c and k and n:
                keys.append("app-" + _hash(c, k, n)[:32])
            else:
                keys.append(None)
    elif entity_type == "account":
        for p, pid in zip(_col(df, "platform"), _col(df, "platform_account_id"), strict=True):
            keys.append(f"{p}|{pid}" if p and pid else None)
    else:
        for p, gid, c, n, o in zip(_col(df, "platform"), _col(df, "platform_group_id"), credit, name,
                                   _col(df, "opened_on"), strict=True):
            if p and gid:
                keys.append("grp-" + _hash(p, "id", gid)[:32])
            elif p and c and n:
                keys.append("grp-" + _hash(c, p, n, o or "")[:32])
            else:
                keys.append(None)
    return keys


def account_key(natural_key: str) -> str:
    """``accounts.account_key`` for a new account (platform|id → stable 40-character key)."""
    return "acc-" + _hash(natural_key)[:32]
