"""Demo obligations for `make run`: last month's transfers between provinces, so that ministry
finance can run a batch straight away. They carry no leg (the demo's own cases complete in the
current month), so each says it is demo data."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from clearing.models import ClearingPeriod, Obligation
from clearing.services import previous_month
from registry.selectors import region_children

SEED = 20261201
COUNT = 2000
REASON = "演示数据：上月办结的转移业务（汇总导入）"
# Provinces people move to and from most (a rough skew, for a heat map worth looking at).
BUSY = {"110000": 6, "310000": 6, "440000": 8, "330000": 5, "320000": 4, "510000": 4, "220000": 3}


@transaction.atomic
def demo_obligations_load() -> int:
    """Write last month's demo obligations once; returns how many were written (0 if present)."""
    month = previous_month(timezone.localdate())
    if Obligation.objects.filter(period=month).exists():
        return 0
    rng = random.Random(SEED)
    units = [r.code for r in region_children()]
    weights = [BUSY.get(code, 1) for code in units]
    start = timezone.make_aware(datetime.combine(month, time(9)))
    rows = []
    for _ in range(COUNT):
        payer, payee = rng.choices(units, weights, k=2)
        while payee == payer:
            payee = rng.choices(units, weights)[0]
        rows.append(
            Obligation(
                payer_id=payer,
                payee_id=payee,
                period=month,
                completed_at=start + timedelta(days=rng.randrange(27), minutes=rng.randrange(480)),
                individual_fen=rng.randrange(50_000, 3_000_000),
                pooled_fen=rng.randrange(20_000, 1_500_000),
                reason=REASON,
            )
        )
    ClearingPeriod.objects.get_or_create(month=month)
    Obligation.objects.bulk_create(rows, batch_size=500)
    return len(rows)
