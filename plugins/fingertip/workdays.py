"""The official working-day calendar of mainland China (法定节假日 and 调休 make-up working days).

Every "N working days" of Fingertip (the disposal deadline, checklist step deadlines, reminders derived
from them) is counted here. The public holidays and the make-up working days come from the maintained
``chinese-calendar`` package, which carries the State Council's annual holiday notices (国务院办公厅关于
<year>年部分节假日安排的通知). A year that the installed release does not cover yet (the notice for the
next year is published in November) falls back to Monday–Friday and says so: :func:`WorkingCalendar.add`
returns the dates counted without official data, and callers log a warning and write it into the case
timeline. Local overrides (``shutdown.yaml``: ``holidays`` and ``working_days``) always win.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def official_years() -> tuple[int, int]:
    """First and last year the installed ``chinese-calendar`` release covers."""
    from chinese_calendar import constants

    years = [d.year for d in constants.holidays]
    return min(years), max(years)


@dataclass(frozen=True)
class Counted:
    """The result of counting working days: the date and the dates counted without official data."""

    date: dt.date
    uncovered: tuple[dt.date, ...] = ()

    @property
    def warning(self) -> str | None:
        """English warning for logs, ``None`` when every date was covered by the official calendar."""
        if not self.uncovered:
            return None
        years = sorted({d.year for d in self.uncovered})
        return (f"working days up to {self.date.isoformat()} counted as Monday-Friday for "
                f"{', '.join(map(str, years))}: the official holiday calendar (chinese-calendar) has no data "
                f"for {'this year' if len(years) == 1 else 'these years'}; list known holidays and make-up "
                f"working days in shutdown.yaml")

    @property
    def warning_zh(self) -> str | None:
        """Chinese note for the case timeline."""
        if not self.uncovered:
            return None
        years = "、".join(str(y) for y in sorted({d.year for d in self.uncovered}))
        return (f"{years}年尚无国务院节假日安排数据，截至{self.date.isoformat()}的工作日按周一至周五计算，"
                f"未计法定节假日和调休；可在 shutdown.yaml 中补充")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: the official calendar where it has data, weekends-only elsewhere, overrides on top.

    ``days_off``: extra non-working days (``shutdown.yaml: holidays``); ``extra_working_days``: extra
    working days, e.g. a make-up Saturday of a year the library does not cover yet
    (``shutdown.yaml: working_days``); ``official=False``: weekends and overrides only.
    """

    days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    official: bool = True
    _years: tuple[int, int] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.official and self._years is None:
            object.__setattr__(self, "_years", official_years())

    def covers(self, day: dt.date) -> bool:
        """Whether the official calendar has data for ``day``'s year."""
        return bool(self.official and self._years and self._years[0] <= day.year <= self._years[1])

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.days_off:
            return False
        if day in self.extra_working_days:
            return True
        if self.covers(day):
            import chinese_calendar

            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add(self, start: dt.date, days: int) -> Counted:
        """``start`` plus ``days`` working days (``start`` itself not counted)."""
        current, left = start, days
        uncovered: list[dt.date] = []
        while left > 0:
            current += dt.timedelta(days=1)
            if self.official and not self.covers(current) and current not in self.days_off \
                    and current not in self.extra_working_days:
                uncovered.append(current)
            if self.is_working_day(current):
                left -= 1
        return Counted(current, tuple(uncovered))

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """Like :meth:`add`; logs a warning when part of the count had no official data."""
        counted = self.add(start, days)
        if counted.warning:
            log.warning("%s", counted.warning)
        return counted.date


def calendar(days_off: Iterable[dt.date] = (), extra_working_days: Iterable[dt.date] = (), *,
             official: bool = True) -> WorkingCalendar:
    return WorkingCalendar(frozenset(days_off), frozenset(extra_working_days), official)
