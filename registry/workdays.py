"""Working days in mainland China, for deadlines counted in 工作日.

Source of truth, in order: a year an admin entered (HolidayYear, for years the package does not
cover yet or corrections), then the chinese-calendar package, then Monday–Friday — the last one
with a warning shown to users, because it ignores that year's public holidays and 调休.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from registry.models import HolidayDay, HolidayYear


class Source:
    ADMIN = "admin"
    PACKAGE = "chinese-calendar"
    FALLBACK = "weekdays"


@dataclass(frozen=True)
class YearCalendar:
    year: int
    source: str
    exceptions: dict[date, bool]  # admin-entered days: date → is a working day

    @property
    def warning(self) -> str:
        if self.source != Source.FALLBACK:
            return ""
        return (
            f"{self.year}年节假日安排尚未录入，工作日暂按周一至周五计算，"
            "期限可能不准确。请业务管理员录入当年放假安排。"
        )

    def is_workday(self, day: date) -> bool:
        if self.source == Source.ADMIN:
            return self.exceptions.get(day, day.weekday() < 5)
        if self.source == Source.PACKAGE:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5


@lru_cache(maxsize=1)
def _package_years() -> range:
    """The years chinese-calendar has data for (it raises NotImplementedError outside them)."""
    years = [year for year in range(2004, 2100) if _package_has(year)]
    return range(years[0], years[-1] + 1) if years else range(0)


def _package_has(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def year_calendar(year: int) -> YearCalendar:
    entered = HolidayYear.objects.filter(year=year).first()
    if entered is not None:
        days = dict(HolidayDay.objects.filter(year=entered).values_list("date", "is_workday"))
        return YearCalendar(year, Source.ADMIN, days)
    if year in _package_years():
        return YearCalendar(year, Source.PACKAGE, {})
    return YearCalendar(year, Source.FALLBACK, {})


@dataclass(frozen=True)
class Deadline:
    due: date
    warnings: tuple[str, ...]


def add_working_days(start: date, count: int) -> Deadline:
    """The date `count` working days after `start` (start itself not counted)."""
    calendars: dict[int, YearCalendar] = {}
    day, remaining = start, count
    while remaining > 0:
        day += timedelta(days=1)
        if day.year not in calendars:
            calendars[day.year] = year_calendar(day.year)
        if calendars[day.year].is_workday(day):
            remaining -= 1
    warnings = tuple(c.warning for c in calendars.values() if c.warning)
    return Deadline(day, warnings)


def calendar_warnings(today: date) -> list[str]:
    """Warnings to show now: this year, and next year once deadlines can reach into it."""
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    return [w for w in (year_calendar(y).warning for y in years) if w]
