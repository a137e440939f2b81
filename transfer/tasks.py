"""Celery interfaces of the transfer workflow: fetch by id, call the service."""

from celery import shared_task

from transfer import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def eligibility_check(leg_id: int) -> str | None:
    """The ministry platform's check of one leg, queued when its submission commits."""
    leg = services.leg_check_eligibility(leg_id=leg_id)
    return leg.status if leg is not None else None


@shared_task
def mark_overdue() -> int:
    """Daily (beat): flag open legs past their deadline."""
    return services.legs_mark_overdue()
