"""Reporting periods: months ("2026-10"), quarters ("2026Q3") and years ("2026").

A period is a closed date range ``[start, end]`` (both inclusive) with a label, a kind and a
Chinese label. The scheduled report of a run covers the *previous complete* period of the run's
date (run on 1 October 2026 → "2026-09" and "2026Q3"). The annual report of year *Y* is produced
in January of *Y + 1* and is due on 31 January (:func:`annual_due_date`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fingertip.reports import labels
from fingertip.reports.model import PeriodDict

#: Period kinds (the cadences of the periodic report).
KINDS = ("monthly", "quarterly", "annual")
#: Kinds of periodic report: a period kind, or the provincial self-inspection (on a quarter).
REPORT_KINDS = (*KINDS, "self_inspection")

# ASCII digits only: ``\d`` and ``int()`` also take full-width (２０２６) and other Unicode digits, which a
# period label never holds — they are refused (see parse_period), never silently read as 2026.
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$", re.ASCII)
_QUARTER = re.compile(r"^([0-9]{4})[Qq]([1-4])$", re.ASCII)
_YEAR = re.compile(r"^([0-9]{4})$", re.ASCII)


class PeriodError(ValueError):
    """A period label that cannot be parsed or does not fit the report kind."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: str        # monthly / quarterly / annual
    label: str       # 2026-10 / 2026Q3 / 2026
    start: dt.date
    end: dt.date     # inclusive

    @property
    def label_zh(self) -> str:
        if self.kind == "monthly":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarterly":
            return f"{self.start.year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        return f"{self.start.year}年度"

    @property
    def kind_zh(self) -> str:
        return labels.REPORT_KINDS[self.kind]

    @property
    def end_exclusive(self) -> dt.date:
        return self.end + dt.timedelta(days=1)

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - dt.timedelta(days=1))

    def to_dict(self) -> PeriodDict:
        return {"kind": self.kind, "label": self.label, "label_zh": self.label_zh,
                "start": self.start.isoformat(), "end": self.end.isoformat()}


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def period_containing(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "monthly":
        return Period(kind, f"{day.year}-{day.month:02d}", dt.date(day.year, day.month, 1),
                      _month_end(day.year, day.month))
    if kind == "quarterly":
        q = (day.month - 1) // 3 + 1
        return Period(kind, f"{day.year}Q{q}", dt.date(day.year, 3 * q - 2, 1), _month_end(day.year, 3 * q))
    if kind == "annual":
        return Period(kind, str(day.year), dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    raise PeriodError(f"unknown period kind {kind!r} (expected one of {', '.join(KINDS)})")


def previous_period(kind: str, run_date: dt.date) -> Period:
    """The last complete period of ``kind`` before ``run_date`` (what a scheduled run reports on)."""
    return period_containing(kind, period_containing(kind, run_date).start - dt.timedelta(days=1))


def parse_period(label: str, kind: str | None = None) -> Period:
    """Parse "2026-10", "2026Q3" or "2026"; ``kind``, when given, must match the label's shape.

    Only ASCII (half-width) characters: a label with full-width digits ("２０２６-１１") or any other
    non-ASCII character is refused with its own message, not normalised (a period comes from a form
    or the command line, never from a unit's spreadsheet, so there is nothing to fold).
    """
    text = str(label).strip()
    if not text.isascii():
        raise PeriodError(f"报告期 {text!r} 含有全角或非 ASCII 字符，请使用半角数字，如 2026-10、2026Q3 或 2026 / "
                          f"bad period {text!r}: only ASCII (half-width) digits, e.g. 2026-10, 2026Q3 or 2026")
    if m := _MONTH.match(text):
        period = period_containing("monthly", dt.date(int(m[1]), int(m[2]), 1))
    elif m := _QUARTER.match(text):
        period = period_containing("quarterly", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1))
    elif m := _YEAR.match(text):
        period = period_containing("annual", dt.date(int(m[1]), 1, 1))
    else:
        raise PeriodError(f"报告期 {text!r} 格式错误，应为 2026-10、2026Q3 或 2026 / "
                          f"bad period {text!r}: expected YYYY-MM, YYYYQn or YYYY")
    if kind is not None and kind in KINDS and kind != period.kind:
        raise PeriodError(f"报告期 {text!r} 与报告类型 {kind} 不符 / period {text!r} is not a {kind} period")
    return period


def annual_due_date(year: int) -> dt.date:
    """The annual report on ``year`` is due on 31 January of the following year."""
    return dt.date(year + 1, 1, 31)


def due_date(period: Period) -> dt.date | None:
    return annual_due_date(period.start.year) if period.kind == "annual" else None


def due_reports(run_date: dt.date, cadences: dict) -> list[Period]:
    """Periods whose report is due on ``run_date`` given the cadences of the settings file.

    ``cadences`` maps kind → ``{"enabled": bool, "months": [..]}``: monthly reports are due every
    month, quarterly ones in the months listed (default 1, 4, 7, 10), the annual one in January.
    """
    out = []
    defaults = {"monthly": list(range(1, 13)), "quarterly": [1, 4, 7, 10], "annual": [1]}
    for kind in KINDS:
        cfg = cadences.get(kind) or {}
        if not cfg.get("enabled", True):
            continue
        if run_date.month in (cfg.get("months") or defaults[kind]):
            out.append(previous_period(kind, run_date))
    return out
