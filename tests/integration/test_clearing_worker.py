"""The batch as production runs it: queued on Redis, run by a real Celery worker, its progress
in the shared Redis cache, its result in the database and the result backend."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clearing.models import ClearingPeriod, PeriodStatus
from clearing.progress import progress_get
from clearing.tasks import run_period

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")


def test_a_worker_runs_the_batch(request, regions, complete_leg, ministry_finance):
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH)):
        complete_leg("220000", "110000")
        complete_leg("440000", "110000")
    request.getfixturevalue("celery_worker")  # from here on, tasks go through Redis

    # Today (2026-12) November has ended: the worker runs it on the real clock.
    outcome = run_period.delay("2026-11", ministry_finance.pk).get(timeout=60)

    period = ClearingPeriod.objects.get(month=date(2026, 11, 1))
    assert period.status == PeriodStatus.CALCULATED
    assert outcome == {"period": "2026-11", "status": "calculated", "checksum": period.checksum}
    assert period.obligation_count == 2 and period.calculated_by == ministry_finance
    progress = progress_get(date(2026, 11, 1))  # written by the worker, read here via Redis
    assert progress["state"] == "done" and progress["by"] == "moh_finance"
