"""The monthly beat entry: in the static schedule, synced into django-celery-beat's tables (where
the admin edits it), due on the 1st, and its task runs the month that just ended."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from clearing import services
from clearing.models import ClearingPeriod, PeriodStatus
from clearing.tasks import run_previous_month
from common.beat import Scheduler
from common.models import AuditRecord
from settings.celery import app

SH = ZoneInfo("Asia/Shanghai")


def test_the_entry_is_in_the_schedule_and_names_a_registered_task():
    entry = settings.CELERY_BEAT_SCHEDULE["clearing-monthly-batch"]
    assert entry["task"] == "clearing.tasks.run_previous_month"
    schedule = entry["schedule"]
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {1}, {0})
    app.loader.import_default_modules()
    assert app.tasks[entry["task"]].name == run_previous_month.name


@pytest.mark.django_db(transaction=True)  # the scheduler commits and closes connections itself
def test_the_database_scheduler_holds_it_for_the_admin():
    assert settings.CELERY_BEAT_SCHEDULER == "common.beat:Scheduler"
    Scheduler(app=app)  # what `celery beat` does at start
    task = PeriodicTask.objects.get(name="clearing-monthly-batch")
    assert task.task == "clearing.tasks.run_previous_month" and task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month) == ("0", "1", "1")
    assert str(crontab.timezone) == "Asia/Shanghai"

    # An admin moves it to 03:30 (as the admin's form does: another crontab row) …
    later = CrontabSchedule.objects.create(
        minute="30", hour="3", day_of_month="1", timezone="Asia/Shanghai"
    )
    task.crontab = later
    task.save()
    Scheduler(app=app)  # … and beat restarts, at the next deploy say: the edit stays.
    task.refresh_from_db()
    assert (task.crontab.hour, task.crontab.minute) == ("3", "30")
    entry = Scheduler(app=app).schedule["clearing-monthly-batch"]
    assert entry.schedule.hour == {3} and entry.schedule.minute == {30}


def test_due_on_the_first_at_one_in_beijing():
    schedule = settings.CELERY_BEAT_SCHEDULE["clearing-monthly-batch"]["schedule"]
    schedule = schedule.__class__(
        minute="0", hour="1", day_of_month="1", app=app
    )  # bound to our app and its Asia/Shanghai timezone
    last_run = datetime(2026, 11, 1, 1, 0, tzinfo=SH)
    with time_machine.travel(datetime(2026, 11, 30, 23, 0, tzinfo=SH)):
        assert not schedule.is_due(last_run).is_due
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, 30, tzinfo=SH)):
        assert schedule.is_due(last_run).is_due


def test_the_task_runs_the_month_that_just_ended(complete_leg):
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH)):
        complete_leg("220000", "110000")
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, tzinfo=SH)):
        outcome = run_previous_month.apply().get()
    period = ClearingPeriod.objects.get(month=date(2026, 11, 1))
    assert outcome == {"period": "2026-11", "status": "calculated", "checksum": period.checksum}
    assert period.status == PeriodStatus.CALCULATED and period.calculated_by is None
    assert AuditRecord.objects.get(action="clearing.run").actor_label == "beat"


def test_a_refused_run_is_reported_not_retried(complete_leg, ministry_finance, finance):
    """Run again after the period was confirmed (say, a second beat): a clear answer, no error."""
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH)):
        complete_leg("220000", "110000")
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, tzinfo=SH)):
        run_previous_month.apply().get()
        for province in ("110000", "220000"):
            services.statement_confirm(
                actor=finance(province), month=date(2026, 11, 1), province=province
            )
        outcome = run_previous_month.apply().get()
    assert outcome["refused"] == "WRONG_STATE"
    assert ClearingPeriod.objects.get(month=date(2026, 11, 1)).status == PeriodStatus.CONFIRMED
