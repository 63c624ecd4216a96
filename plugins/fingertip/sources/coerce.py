"""Tolerant conversion of values from feeds, exports and spreadsheets.

Sources send numbers as strings (Apple's ``fileSizeBytes``), counts with separators (``"1,234"``),
Chinese magnitudes (``"10万+"``), booleans as ``是``/``否``, and dates in several shapes. Each
function returns ``None`` for empty input and raises :class:`CoercionError` (a ``ValueError``)
with the offending value for input it cannot read, so callers can quarantine it with a reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any


class CoercionError(ValueError):
    def __init__(self, kind: str, value: Any) -> None:
        super().__init__(f"not a valid {kind}: {value!r}")
        self.kind = kind
        self.value = value


_MAGNITUDES = {"万": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000, "K": 1_000, "w": 10_000, "W": 10_000}
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([万亿千kKwW]?)\s*\+?$")
_TRUE = {"true", "1", "yes", "y", "是", "有", "t", "✓", "√"}
_FALSE = {"false", "0", "no", "n", "否", "无", "f", "×", "x"}


def text(value: Any) -> str | None:
    """NFKC-normalised, stripped text (full-width letters/digits/spaces folded); None if empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = unicodedata.normalize("NFKC", str(value)).strip()
    return s or None


class ForbiddenCharacters(CoercionError):
    """A name holds control or bidi characters (:func:`fingertip.text.find_forbidden`)."""

    def __init__(self, value: str, reason_zh: str) -> None:
        super().__init__("name", value)
        self.reason_zh = reason_zh

    def __str__(self) -> str:
        return f"{super().__str__()} ({self.reason_zh})"


def name(value: Any) -> str | None:
    """A name kept **verbatim** (only surrounding whitespace stripped; no NFKC: full-width
    punctuation such as （） stays as the source wrote it); None if empty.

    Raises :class:`ForbiddenCharacters` (a :class:`CoercionError`) when the name holds a C0/C1
    control or a bidi control: the caller flags the field or rejects the record with the reason.
    """
    from fingertip.text import find_forbidden

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = str(value).strip()
    if not s:
        return None
    found = find_forbidden(s)
    if found:
        raise ForbiddenCharacters(s, "；".join(f.describe() for f in found[:3]))
    return s


def name_key(value: str | None) -> str | None:
    """The matching key of a name: NFKC (full-width punctuation, letters, digits folded), no
    whitespace. Used only to compare names; the stored name stays verbatim."""
    if value is None:
        return None
    return "".join(unicodedata.normalize("NFKC", value).split()) or None


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise CoercionError("integer", value)
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value != int(value):
            raise CoercionError("integer", value)
        return int(value)
    s = text(value)
    if s is None:
        return None
    s = s.replace(",", "").replace("，", "").replace(" ", "")
    m = _NUMBER.match(s)
    if not m:
        raise CoercionError("integer", value)
    number = float(m.group(1)) * _MAGNITUDES.get(m.group(2), 1)
    if number != int(number):
        raise CoercionError("integer", value)
    return int(number)


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise CoercionError("number", value)
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    s = text(value)
    if s is None:
        return None
    try:
        return float(s.replace(",", ""))
    except ValueError:
        raise CoercionError("number", value) from None


def to_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = text(value)
    if s is None:
        return None
    if s.lower() in _TRUE:
        return True
    if s.lower() in _FALSE:
        return False
    raise CoercionError("yes/no value", value)


_DT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S")
_D_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def to_datetime(value: Any) -> dt.datetime | None:
    """Naive UTC datetime from ISO-8601 (``Z`` or offset), common local formats or a date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(value)
    s = text(value)
    if s is None:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?", s):  # epoch seconds or milliseconds
        return _from_epoch(int(s))
    try:
        parsed = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
        return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except ValueError:
        pass
    for fmt in _DT_FORMATS + _D_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise CoercionError("date/time", value)


def _from_epoch(value: float) -> dt.datetime:
    seconds = value / 1000 if value > 10**11 else value  # milliseconds after 1973-03
    if not 0 < seconds < 4_102_444_800:  # before 2100
        raise CoercionError("date/time", value)
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)


def to_date(value: Any, *, excel_serial: bool = False) -> dt.date | None:
    """A date from the shapes :func:`to_datetime` reads; Excel serial numbers when allowed."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if excel_serial and isinstance(value, (int, float)) and not isinstance(value, bool) and 1 < value < 100_000:
        return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).date()
    s = text(value)
    if s is None:
        return None
    if excel_serial and re.fullmatch(r"\d{5}(\.0+)?", s):
        return (_EXCEL_EPOCH + dt.timedelta(days=float(s))).date()
    parsed = to_datetime(s)
    return parsed.date() if parsed is not None else None
