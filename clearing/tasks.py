"""Celery interfaces of clearing: the monthly beat entry and a batch queued from the period page."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from clearing import services
from common.errors import ApplicationError


def _outcome(month: date, actor) -> dict:
    try:
        period = services.clearing_period_run(actor=actor, month=month)
    except ApplicationError as refused:  # e.g. already confirmed: retrying cannot change that
        return {"period": f"{month:%Y-%m}", "refused": refused.code, "message": refused.message}
    return {"period": period.label, "status": period.status, "checksum": period.checksum}


@shared_task(acks_late=True)
def run_previous_month() -> dict:
    """Beat, on the 1st of each month: the batch for the month that just ended."""
    return _outcome(services.previous_month(timezone.localdate()), None)


@shared_task(acks_late=True)
def run_period(month: str, actor_id: int) -> dict:
    """The batch for `month` ('YYYY-MM'), asked for by ministry finance on the period page."""
    actor = get_user_model().objects.get(pk=actor_id)
    year, number = month.split("-")
    return _outcome(date(int(year), int(number), 1), actor)
