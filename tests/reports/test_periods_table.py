"""Report period arithmetic against calendar facts written out by hand (month lengths, leap years,
quarter bounds, year ends)."""

from __future__ import annotations

import datetime as dt

import pytest

from fingertip.reports.periods import (
    Period,
    PeriodError,
    annual_due_date,
    due_date,
    due_reports,
    parse_period,
    period_containing,
    previous_period,
)

D = dt.date

# (kind, day, label, start, end, Chinese label)
CONTAINING = [
    ("monthly", D(2026, 1, 1), "2026-01", D(2026, 1, 1), D(2026, 1, 31), "2026年1月"),
    ("monthly", D(2024, 2, 29), "2024-02", D(2024, 2, 1), D(2024, 2, 29), "2024年2月"),  # leap year
    ("monthly", D(2026, 2, 10), "2026-02", D(2026, 2, 1), D(2026, 2, 28), "2026年2月"),
    ("monthly", D(2026, 4, 30), "2026-04", D(2026, 4, 1), D(2026, 4, 30), "2026年4月"),
    ("monthly", D(2026, 11, 15), "2026-11", D(2026, 11, 1), D(2026, 11, 30), "2026年11月"),
    ("monthly", D(2026, 12, 31), "2026-12", D(2026, 12, 1), D(2026, 12, 31), "2026年12月"),
    ("quarterly", D(2026, 1, 1), "2026Q1", D(2026, 1, 1), D(2026, 3, 31), "2026年第一季度"),
    ("quarterly", D(2026, 3, 31), "2026Q1", D(2026, 1, 1), D(2026, 3, 31), "2026年第一季度"),
    ("quarterly", D(2026, 4, 1), "2026Q2", D(2026, 4, 1), D(2026, 6, 30), "2026年第二季度"),
    ("quarterly", D(2026, 9, 30), "2026Q3", D(2026, 7, 1), D(2026, 9, 30), "2026年第三季度"),
    ("quarterly", D(2026, 12, 31), "2026Q4", D(2026, 10, 1), D(2026, 12, 31), "2026年第四季度"),
    ("annual", D(2026, 7, 4), "2026", D(2026, 1, 1), D(2026, 12, 31), "2026年度"),
    ("annual", D(2024, 12, 31), "2024", D(2024, 1, 1), D(2024, 12, 31), "2024年度"),
]


@pytest.mark.parametrize("kind,day,label,start,end,zh", CONTAINING, ids=[f"{c[0]}-{c[1]}" for c in CONTAINING])
def test_period_containing(kind, day, label, start, end, zh):
    p = period_containing(kind, day)
    assert (p.kind, p.label, p.start, p.end, p.label_zh) == (kind, label, start, end, zh)
    assert p.end_exclusive == end + dt.timedelta(days=1)
    assert p.to_dict() == {"kind": kind, "label": label, "label_zh": zh, "start": start.isoformat(),
                           "end": end.isoformat()}
    assert parse_period(label) == p
    assert parse_period(f"  {label} ") == p
    assert parse_period(label, kind) == p


@pytest.mark.parametrize("kind,run_date,label", [
    ("monthly", D(2026, 10, 1), "2026-09"),
    ("monthly", D(2026, 10, 31), "2026-09"),
    ("monthly", D(2026, 1, 1), "2025-12"),
    ("monthly", D(2024, 3, 1), "2024-02"),
    ("quarterly", D(2026, 10, 1), "2026Q3"),
    ("quarterly", D(2026, 9, 30), "2026Q2"),
    ("quarterly", D(2026, 1, 15), "2025Q4"),
    ("quarterly", D(2026, 4, 1), "2026Q1"),
    ("annual", D(2027, 1, 1), "2026"),
    ("annual", D(2026, 12, 31), "2025"),
])
def test_previous_period(kind, run_date, label):
    assert previous_period(kind, run_date).label == label
    assert period_containing(kind, run_date).previous().label == label


def test_quarter_label_is_case_insensitive():
    assert parse_period("2026q2").label == "2026Q2"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "2026Q0", "2026Q5", "26", "2026-10-01", "",
                                  "2026 Q3", "Q3"])
def test_bad_labels(text):
    with pytest.raises(PeriodError, match="格式错误"):
        parse_period(text)


@pytest.mark.parametrize("label,kind", [("2026-10", "quarterly"), ("2026Q3", "annual"), ("2026", "monthly")])
def test_label_must_match_kind(label, kind):
    with pytest.raises(PeriodError, match="不符"):
        parse_period(label, kind)


def test_self_inspection_kind_accepts_any_label():
    assert parse_period("2026Q3", "self_inspection").kind == "quarterly"


def test_unknown_kind():
    with pytest.raises(PeriodError, match="unknown period kind 'weekly'"):
        period_containing("weekly", D(2026, 1, 1))


def test_kind_zh():
    assert [period_containing(k, D(2026, 1, 1)).kind_zh for k in ("monthly", "quarterly", "annual")] == \
        ["月度", "季度", "年度"]


def test_due_dates():
    assert annual_due_date(2026) == D(2027, 1, 31)
    assert due_date(parse_period("2026")) == D(2027, 1, 31)
    assert due_date(parse_period("2026Q4")) is None
    assert due_date(parse_period("2026-12")) is None


@pytest.mark.parametrize("run_date,cadences,labels", [
    (D(2027, 1, 1), {}, ["2026-12", "2026Q4", "2026"]),
    (D(2026, 10, 1), {}, ["2026-09", "2026Q3"]),
    (D(2026, 4, 1), {}, ["2026-03", "2026Q1"]),
    (D(2026, 7, 1), {}, ["2026-06", "2026Q2"]),
    (D(2026, 5, 1), {}, ["2026-04"]),
    (D(2026, 11, 1), {}, ["2026-10"]),
    (D(2026, 11, 1), {"quarterly": {"months": [11]}}, ["2026-10", "2026Q3"]),
    (D(2026, 10, 1), {"monthly": {"enabled": False}}, ["2026Q3"]),
    (D(2027, 1, 1), {"annual": {"enabled": False}, "quarterly": None}, ["2026-12", "2026Q4"]),
    (D(2026, 2, 1), {"annual": {"months": [2]}}, ["2026-01", "2025"]),
    (D(2026, 2, 1), {"monthly": {"enabled": True, "months": [3]}}, []),
])
def test_due_reports(run_date, cadences, labels):
    assert [p.label for p in due_reports(run_date, cadences)] == labels


def test_report_kinds():
    from fingertip.reports.periods import KINDS, REPORT_KINDS
    assert KINDS == ("monthly", "quarterly", "annual")
    assert REPORT_KINDS == ("monthly", "quarterly", "annual", "self_inspection")


def test_period_is_frozen_and_slotted():
    import dataclasses
    p = parse_period("2026-10")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.label = "x"  # type: ignore[misc]
    assert not hasattr(p, "__dict__")


def test_period_is_a_value():
    p = Period("monthly", "2026-10", D(2026, 10, 1), D(2026, 10, 31))
    assert p == parse_period("2026-10")
    assert p.previous() == parse_period("2026-09")


# Full-width digits (typed by hand) and other non-ASCII labels are refused, never read as the ASCII
# period (``\d`` and ``int()`` accept them: "２０２６" used to parse as the year 2026). Each row: the
# refused label, its ASCII form (what NFKC gives, checked below) and that form's period.
NON_ASCII_LABELS = [
    ("２０２６-１１", "2026-11", "monthly", D(2026, 11, 1), D(2026, 11, 30)),
    ("２０２６-11", "2026-11", "monthly", D(2026, 11, 1), D(2026, 11, 30)),
    ("2026-１１", "2026-11", "monthly", D(2026, 11, 1), D(2026, 11, 30)),
    ("２０２６Q３", "2026Q3", "quarterly", D(2026, 7, 1), D(2026, 9, 30)),
    ("２０２６Q3", "2026Q3", "quarterly", D(2026, 7, 1), D(2026, 9, 30)),
    ("2026Ｑ3", "2026Q3", "quarterly", D(2026, 7, 1), D(2026, 9, 30)),
    ("２０２６", "2026", "annual", D(2026, 1, 1), D(2026, 12, 31)),
    ("２０2６", "2026", "annual", D(2026, 1, 1), D(2026, 12, 31)),
    ("2026－11", "2026-11", "monthly", D(2026, 11, 1), D(2026, 11, 30)),  # full-width hyphen-minus
]


@pytest.mark.parametrize("label,ascii_label,kind,start,end", NON_ASCII_LABELS, ids=[r[0] for r in NON_ASCII_LABELS])
def test_full_width_labels_refused_ascii_accepted(label, ascii_label, kind, start, end):
    import unicodedata

    assert unicodedata.normalize("NFKC", label) == ascii_label  # the table's own second column
    with pytest.raises(PeriodError, match="全角或非 ASCII"):
        parse_period(label)
    with pytest.raises(PeriodError, match="全角或非 ASCII"):
        parse_period(label, kind)
    p = parse_period(ascii_label)
    assert (p.kind, p.label, p.start, p.end) == (kind, ascii_label, start, end)


@pytest.mark.parametrize("label", ["٢٠٢٦", "२०२६", "2026-\u0661\u0661"])  # Arabic-Indic, Devanagari digits
def test_other_unicode_digits_refused(label):
    with pytest.raises(PeriodError, match="全角或非 ASCII"):
        parse_period(label)
