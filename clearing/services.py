"""Clearing writes. The periodic transfer calls `obligation_record_for_leg` inside its own
transaction when a leg completes (Saleor: explicit calls between apps, never signals)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from clearing.models import Obligation


def obligation_record_for_leg(
    *, leg, payer: str, payee: str, individual_fen: int, pooled_fen: int, completed_at: datetime
) -> Obligation:
    """One obligation per completed periodic leg, in the period of its completion (Asia/Shanghai).

    Must run inside the caller's transaction; the one-to-one on `leg` makes a second one fail."""
    period = timezone.localtime(completed_at).date().replace(day=1)
    return Obligation.objects.create(
        leg=leg,
        payer_id=payer,
        payee_id=payee,
        period=period,
        completed_at=completed_at,
        individual_fen=individual_fen,
        pooled_fen=pooled_fen,
    )
