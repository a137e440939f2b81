"""Single flight on PostgreSQL, with real threads and a connection each: two batches at once give
one result, and a batch waits for an obligation still being written into its month."""

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django_fsm_log.models import StateLog

from clearing import services
from clearing.models import ClearingPeriod, Instruction, Obligation, PairTotal, Position, Statement
from common.models import AuditRecord
from tests.concurrency import race
from transfer.models import TransferLeg

pytestmark = pytest.mark.django_db(transaction=True)

SH = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)
User = get_user_model()


def slowed(monkeypatch, seconds: float) -> None:
    """Hold the batch inside its transaction a moment, so a second one surely overlaps it."""
    aggregate = services.pair_totals

    def slow(month):
        time.sleep(seconds)
        return aggregate(month)

    monkeypatch.setattr(services, "pair_totals", slow)


def test_two_batches_at_once_give_one_result(regions, complete_leg, ministry_finance, monkeypatch):
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH)):
        complete_leg("220000", "110000")
        complete_leg("440000", "110000")
    slowed(monkeypatch, 0.5)

    def batch():
        actor = User.objects.get(pk=ministry_finance.pk)
        return services.clearing_period_run(actor=actor, month=NOV)

    with time_machine.travel(datetime(2026, 12, 1, 1, tzinfo=SH)):
        outcomes = race(batch, batch)

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    checksums = {period.checksum for _, period in outcomes}
    assert len(checksums) == 1
    period = ClearingPeriod.objects.get(month=NOV)
    assert period.checksum in checksums and period.run_count == 2
    assert PairTotal.objects.count() == 2
    assert Position.objects.count() == 3
    assert Statement.objects.count() == 3
    assert Instruction.objects.count() == 2
    runs = AuditRecord.objects.filter(action="clearing.run").order_by("pk")
    assert [r.data["changed"] for r in runs] == [True, False]
    assert StateLog.objects.filter(transition="calculate").count() == 2


def test_the_batch_waits_for_an_obligation_still_being_written(
    regions, complete_leg, ministry_finance
):
    """A leg confirmed at 23:59:59.999 whose transaction commits after the batch started is in
    the batch's result: the batch waits for it rather than missing it."""
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH)):
        complete_leg("220000", "110000")
        # A second case, its sheet uploaded, confirmed below inside a slow transaction.
        leg = complete_leg("440000", "110000")
    pending = TransferLeg.objects.get(pk=leg.pk)
    Obligation.objects.filter(leg=pending).delete()  # reuse the leg as a not-yet-written one
    writing, batch_started = threading.Event(), threading.Event()
    last_moment = datetime(2026, 11, 30, 23, 59, 59, 999_000, tzinfo=SH)

    def confirm_slowly():
        with transaction.atomic():
            obligation = services.obligation_record_for_leg(
                leg=TransferLeg.objects.get(pk=pending.pk),
                payer="440000",
                payee="110000",
                individual_fen=700_000,
                pooled_fen=120_000,
                completed_at=last_moment,
            )
            writing.set()
            batch_started.wait(timeout=10)
            time.sleep(0.5)  # the batch is waiting on the period now
        return obligation

    def batch():
        writing.wait(timeout=10)
        batch_started.set()
        actor = User.objects.get(pk=ministry_finance.pk)
        return services.clearing_period_run(actor=actor, month=NOV)

    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 1, tzinfo=SH)):
        outcomes = race(confirm_slowly, batch)

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    _, period = outcomes[1]
    assert period.obligation_count == 2
    assert period.gross_total_fen == 620_000 + 820_000
