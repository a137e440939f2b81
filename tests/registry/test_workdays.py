"""Working days: chinese-calendar for the years it covers (to 2026), an admin-entered year first,
Monday–Friday with a visible warning otherwise. Expected dates are counted by hand from the State
Council's arrangements (国办发明电) as chinese-calendar 1.11 holds them."""

from datetime import date

import pytest

from registry.models import HolidayDay, HolidayYear
from registry.workdays import Source, add_working_days, calendar_warnings, year_calendar

WARNING_2027 = (
    "2027年节假日安排尚未录入，工作日暂按周一至周五计算，"
    "期限可能不准确。请业务管理员录入当年放假安排。"
)


@pytest.fixture
def arrangement_2027(db):
    """A hypothetical 2027 Spring Festival: Wed 3 and Thu 4 February off, Saturday 6 worked."""
    year = HolidayYear.objects.create(year=2027, source="国办发明电〔2026〕X号")
    HolidayDay.objects.bulk_create(
        [
            HolidayDay(year=year, date=date(2027, 2, 3), is_workday=False, name="春节"),
            HolidayDay(year=year, date=date(2027, 2, 4), is_workday=False, name="春节"),
            HolidayDay(year=year, date=date(2027, 2, 6), is_workday=True, name="春节调休"),
        ]
    )
    return year


# --- 2026: chinese-calendar ------------------------------------------------------------------


def test_2026_comes_from_the_package_without_warning(db):
    calendar = year_calendar(2026)
    assert calendar.source == Source.PACKAGE
    assert calendar.warning == ""


def test_national_day_holiday_is_skipped_and_the_weekend_workday_counts(db):
    """From Wed 30 Sep 2026: 1–7 Oct off; Thu 8 (1), Fri 9 (2), Sat 10 调休上班 (3), Mon 12–Fri 16
    (4–8), Mon 19 (9), Tue 20 (10)."""
    deadline = add_working_days(date(2026, 9, 30), 10)
    assert deadline.due == date(2026, 10, 20)
    assert deadline.warnings == ()


def test_2026_calendar_days(db):
    calendar = year_calendar(2026)
    assert calendar.is_workday(date(2026, 10, 1)) is False  # Thursday, National Day
    assert calendar.is_workday(date(2026, 10, 10)) is True  # Saturday, 调休
    assert calendar.is_workday(date(2026, 2, 14)) is True  # Saturday before Spring Festival
    assert calendar.is_workday(date(2026, 2, 23)) is False  # Monday, still Spring Festival
    assert calendar.is_workday(date(2026, 6, 1)) is True  # ordinary Monday
    assert calendar.is_workday(date(2026, 6, 6)) is False  # ordinary Saturday


def test_spring_festival_2026(db):
    """From Fri 13 Feb 2026: Sat 14 调休 (1), 15–23 off, Tue 24–Fri 27 (2–5), Sat 28 调休 (6)."""
    assert add_working_days(date(2026, 2, 13), 6).due == date(2026, 2, 28)


def test_start_day_itself_is_not_counted(db):
    assert add_working_days(date(2026, 6, 1), 1).due == date(2026, 6, 2)
    assert add_working_days(date(2026, 6, 5), 1).due == date(2026, 6, 8)  # Friday → Monday
    assert add_working_days(date(2026, 6, 1), 0).due == date(2026, 6, 1)


def test_an_entered_year_is_preferred_to_the_package(db):
    HolidayYear.objects.create(year=2026, source="更正")
    assert year_calendar(2026).source == Source.ADMIN


# --- 2027: no package data --------------------------------------------------------------------


def test_2027_falls_back_to_weekdays_with_a_warning_naming_the_year(db):
    calendar = year_calendar(2027)
    assert calendar.source == Source.FALLBACK
    assert calendar.warning == WARNING_2027
    assert calendar.is_workday(date(2027, 1, 1)) is True  # New Year's Day: unknown to the fallback
    assert calendar.is_workday(date(2027, 1, 2)) is False  # Saturday


def test_2027_deadline_counts_monday_to_friday_and_carries_the_warning(db):
    """From Fri 29 Jan 2027: Mon 1–Fri 5 Feb (1–5), Mon 8–Fri 12 (6–10)."""
    deadline = add_working_days(date(2027, 1, 29), 10)
    assert deadline.due == date(2027, 2, 12)
    assert deadline.warnings == (WARNING_2027,)


def test_deadline_reaching_into_2027_carries_the_warning(db):
    """From Fri 25 Dec 2026: Mon 28–Thu 31 Dec (1–4, chinese-calendar), Fri 1 Jan 2027 (5)."""
    deadline = add_working_days(date(2026, 12, 25), 5)
    assert deadline.due == date(2027, 1, 1)
    assert deadline.warnings == (WARNING_2027,)


def test_deadline_within_2026_in_december_has_no_warning(db):
    deadline = add_working_days(date(2026, 12, 1), 5)
    assert deadline.due == date(2026, 12, 8)
    assert deadline.warnings == ()


def test_calendar_warnings_in_december_include_next_year(db):
    assert calendar_warnings(date(2026, 12, 4)) == [WARNING_2027]


def test_calendar_warnings_before_december_have_none(db):
    assert calendar_warnings(date(2026, 6, 1)) == []
    assert calendar_warnings(date(2026, 11, 30)) == []


def test_calendar_warnings_within_an_uncovered_year(db):
    assert calendar_warnings(date(2027, 3, 1)) == [WARNING_2027]
    assert calendar_warnings(date(2027, 12, 1)) == [
        WARNING_2027,
        WARNING_2027.replace("2027年", "2028年"),
    ]


# --- 2027 entered by an admin -----------------------------------------------------------------


def test_admin_year_takes_precedence(arrangement_2027):
    calendar = year_calendar(2027)
    assert calendar.source == Source.ADMIN
    assert calendar.warning == ""
    assert calendar.is_workday(date(2027, 2, 3)) is False  # Wednesday off
    assert calendar.is_workday(date(2027, 2, 6)) is True  # Saturday worked
    assert calendar.is_workday(date(2027, 2, 5)) is True  # Friday, not an exception
    assert calendar.is_workday(date(2027, 2, 7)) is False  # Sunday, not an exception


def test_admin_year_shifts_the_deadline_and_removes_the_warning(arrangement_2027):
    """From Fri 29 Jan 2027: Mon 1, Tue 2 (1–2), Wed 3 and Thu 4 off, Fri 5 (3), Sat 6 worked (4),
    Mon 8–Fri 12 (5–9), Mon 15 (10)."""
    deadline = add_working_days(date(2027, 1, 29), 10)
    assert deadline.due == date(2027, 2, 15)
    assert deadline.warnings == ()


def test_admin_year_removes_the_banner(arrangement_2027):
    assert calendar_warnings(date(2026, 12, 4)) == []


def test_deleting_the_admin_year_restores_the_fallback(arrangement_2027):
    arrangement_2027.delete()
    assert HolidayDay.objects.count() == 0
    assert add_working_days(date(2027, 1, 29), 10).due == date(2027, 2, 12)
    assert calendar_warnings(date(2026, 12, 4)) == [WARNING_2027]


def test_mixed_sources_across_the_new_year(arrangement_2027):
    """From Wed 30 Dec 2026 (package) into the entered 2027 (admin, no New Year entered):
    Thu 31 (1), Fri 1 Jan (2), Mon 4 (3)."""
    deadline = add_working_days(date(2026, 12, 30), 3)
    assert deadline.due == date(2027, 1, 4)
    assert deadline.warnings == ()
