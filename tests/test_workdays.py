"""The official working-day calendar (fingertip.workdays).

Expected dates are counted by hand from the State Council's notice on the 2026 holidays
(国务院办公厅关于2026年部分节假日安排的通知, 国办发明电〔2025〕7号, 4 Nov 2025):
- Spring Festival: 15 Feb (Sun) to 23 Feb (Mon) off; Sat 14 Feb and Sat 28 Feb are working days.
- Mid-autumn: 25 Sep (Fri) to 27 Sep off.
- National Day: 1 Oct (Thu) to 7 Oct off; Sun 20 Sep and Sat 10 Oct are working days.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from fingertip.lifecycle.settings import SettingsError, parse
from fingertip.workdays import WorkingCalendar, calendar, official_years

D = dt.date

SPRING_OFF = [D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)]
NATIONAL_OFF = [D(2026, 10, 1) + dt.timedelta(days=i) for i in range(7)]
MAKE_UP = [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]


def test_the_installed_release_covers_2026():
    assert official_years()[1] >= 2026


@pytest.mark.parametrize("day", SPRING_OFF + NATIONAL_OFF + [D(2026, 9, 25)])
def test_public_holidays_are_not_working_days(day):
    assert not calendar().is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP)
def test_make_up_weekend_days_are_working_days(day):
    assert day.weekday() >= 5
    assert calendar().is_working_day(day)


def test_fifteen_working_days_across_the_spring_festival():
    # from Fri 13 Feb 2026: Sat 14 Feb (1), 24-27 Feb (2-5), Sat 28 Feb (6), 2-6 Mar (7-11), 9-12 Mar (12-15)
    counted = calendar().add(D(2026, 2, 13), 15)
    assert counted.date == D(2026, 3, 12) and counted.warning is None
    assert calendar().add(D(2026, 2, 13), 2).date == D(2026, 2, 24)
    # weekends only would have said 6 March
    assert calendar(official=False).add(D(2026, 2, 13), 15).date == D(2026, 3, 6)


def test_fifteen_working_days_across_national_day():
    # from Fri 18 Sep 2026: Sun 20 Sep (1), 21-24 Sep (2-5), 28-30 Sep (6-8), 8-9 Oct (9-10), Sat 10 Oct (11),
    # 12-15 Oct (12-15)
    assert calendar().add(D(2026, 9, 18), 15).date == D(2026, 10, 15)


def test_beyond_the_data_weekends_only_with_a_warning(caplog):
    cal = calendar()
    assert not cal.covers(D(official_years()[1] + 1, 1, 1))
    start = D(official_years()[1], 12, 31)
    counted = cal.add(start, 15)
    assert counted.uncovered and all(d.year == start.year + 1 for d in counted.uncovered)
    assert str(start.year + 1) in (counted.warning or "") and str(start.year + 1) in (counted.warning_zh or "")
    with caplog.at_level(logging.WARNING, logger="fingertip.workdays"):
        assert cal.add_working_days(start, 15) == counted.date
    assert any("chinese-calendar" in r.getMessage() for r in caplog.records)
    # weekends only: no day of the next year is skipped except Saturdays and Sundays
    days = [start + dt.timedelta(days=i) for i in range(1, (counted.date - start).days + 1)]
    assert sum(1 for d in days if d.weekday() < 5) == 15


def test_overrides_win_over_the_calendar():
    cal = WorkingCalendar(frozenset({D(2026, 3, 2)}), frozenset({D(2026, 2, 23)}))
    assert cal.is_working_day(D(2026, 2, 23)) and not cal.is_working_day(D(2026, 3, 2))
    # an override inside the fallback year silences the warning for that date
    year = official_years()[1] + 1
    cal = calendar(extra_working_days=[D(year, 1, 2)])
    assert D(year, 1, 2) not in cal.add(D(year, 1, 1), 3).uncovered


def test_settings_read_the_calendar_keys():
    settings = parse({"holidays": ["2026-03-02"], "working_days": ["2026-02-23"]}, "x.yaml")
    assert settings.add_working_days(D(2026, 2, 20), 1) == D(2026, 2, 23)
    assert settings.add_working_days(D(2026, 2, 27), 2) == D(2026, 3, 3)  # Sat 28 Feb, then 2 Mar is off
    assert settings.disposal_deadline(D(2026, 9, 18)) == D(2026, 10, 15)
    assert settings.disposal_deadline_warning(D(2026, 9, 18)) is None
    assert "按周一至周五计算" in (settings.disposal_deadline_warning(D(official_years()[1], 12, 20)) or "")
    weekends = parse({"official_calendar": False}, "x.yaml")
    assert weekends.disposal_deadline(D(2026, 2, 13)) == D(2026, 3, 6)
    with pytest.raises(SettingsError, match="holidays and working_days both list 2026-03-02"):
        parse({"holidays": ["2026-03-02"], "working_days": ["2026-03-02"]}, "x.yaml")
    with pytest.raises(SettingsError, match="official_calendar: expected true or false"):
        parse({"official_calendar": "yes"}, "x.yaml")
    with pytest.raises(SettingsError, match="working_days: expected YYYY-MM-DD"):
        parse({"working_days": ["soon"]}, "x.yaml")
