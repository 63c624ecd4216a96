"""Tolerant coercion of source values."""

from __future__ import annotations

import datetime as dt

import pytest

from fingertip.sources import coerce


@pytest.mark.parametrize("raw,expected", [
    (None, None), ("", None), ("  ", None), (12, 12), (12.0, 12), ("1,234", 1234), ("１２３", 123),
    ("10万+", 100_000), ("1.5万", 15_000), ("2亿", 200_000_000), ("3k", 3000), (" 42 ", 42),
])
def test_to_int(raw, expected):
    assert coerce.to_int(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12.5", 12.5, True, "1-2"])
def test_to_int_rejects(raw):
    with pytest.raises(coerce.CoercionError) as err:
        coerce.to_int(raw)
    assert err.value.value == raw


@pytest.mark.parametrize("raw,expected", [("是", True), ("否", False), ("TRUE", True), (0, False), (None, None),
                                          ("有", True), ("无", False)])
def test_to_bool(raw, expected):
    assert coerce.to_bool(raw) is expected


def test_to_bool_rejects():
    with pytest.raises(coerce.CoercionError):
        coerce.to_bool("也许")


@pytest.mark.parametrize("raw,expected", [
    ("2026-11-20T08:30:00Z", dt.datetime(2026, 11, 20, 8, 30)),
    ("2026-11-20T16:30:00+08:00", dt.datetime(2026, 11, 20, 8, 30)),
    ("2026-11-20 16:30:00", dt.datetime(2026, 11, 20, 16, 30)),
    ("2026/11/20", dt.datetime(2026, 11, 20)),
    ("2026年11月20日", dt.datetime(2026, 11, 20)),
    (1763627400, dt.datetime(2025, 11, 20, 8, 30)),
    (1763627400000, dt.datetime(2025, 11, 20, 8, 30)),
    ("1763627400000", dt.datetime(2025, 11, 20, 8, 30)),
])
def test_to_datetime(raw, expected):
    assert coerce.to_datetime(raw) == expected


def test_to_date_with_excel_serials():
    assert coerce.to_date(45000, excel_serial=True) == dt.date(2023, 3, 15)
    assert coerce.to_date("45000", excel_serial=True) == dt.date(2023, 3, 15)
    with pytest.raises(coerce.CoercionError):
        coerce.to_date("45000")


def test_text_folds_full_width_and_spaces():
    assert coerce.text("\u3000ＡＢＣ１２３　") == "ABC123"
    assert coerce.text(float("nan")) is None
