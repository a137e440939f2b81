"""The monthly batch and the period's lifecycle, from legs completed through the real transfer
services to a closed period (DESIGN.md §5)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_fsm_log.models import StateLog

from clearing import services
from clearing.models import (
    ClearingPeriod,
    Instruction,
    Obligation,
    PairTotal,
    PeriodStatus,
    Position,
    Statement,
)
from clearing.progress import progress_get
from common.errors import ApplicationError
from common.models import AuditRecord
from transfer.models import Status, TransferLeg

SH = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)
DEC = date(2026, 12, 1)
IN_NOVEMBER = datetime(2026, 11, 10, 10, 0, tzinfo=SH)
ON_DECEMBER_1ST = datetime(2026, 12, 1, 1, 0, tzinfo=SH)


def november_legs(complete_leg):
    """Three legs in November: 吉林→北京 and 广东→北京 and 北京→广东 (620,000 fen each)."""
    with time_machine.travel(IN_NOVEMBER):
        return [
            complete_leg("220000", "110000"),
            complete_leg("440000", "110000", balance_fen=700_000),
            complete_leg("110000", "440000"),
        ]


def results(month: date) -> dict:
    """Everything a period's calculation wrote, to compare two moments."""
    period = ClearingPeriod.objects.filter(month=month).first()
    if period is None:
        return {"period": None}
    return {
        "period": ClearingPeriod.objects.filter(pk=period.pk)
        .values("status", "obligation_count", "gross_total_fen", "checksum", "hash_total")
        .get(),
        "pairs": list(PairTotal.objects.filter(period=period).values_list()),
        "positions": list(Position.objects.filter(period=period).values_list()),
        "instructions": list(Instruction.objects.filter(period=period).values_list()),
        "statements": list(Statement.objects.filter(period=period).values_list()),
    }


def run(actor, month=NOV):
    with time_machine.travel(ON_DECEMBER_1ST):
        return services.clearing_period_run(actor=actor, month=month)


def test_from_completed_legs_to_a_closed_period(complete_leg, ministry_finance, finance):
    november_legs(complete_leg)
    assert Obligation.objects.filter(period=NOV).count() == 3

    period = run(ministry_finance)

    assert period.status == PeriodStatus.CALCULATED
    assert (period.obligation_count, period.gross_total_fen) == (3, 620_000 + 820_000 + 620_000)
    pairs = {
        (p.payer_id, p.payee_id): (p.count, p.individual_fen, p.pooled_fen, p.amount_fen)
        for p in period.pairs.all()
    }
    assert pairs == {
        ("220000", "110000"): (1, 500_000, 120_000, 620_000),
        ("440000", "110000"): (1, 700_000, 120_000, 820_000),
        ("110000", "440000"): (1, 500_000, 120_000, 620_000),
    }
    positions = {
        p.province_id: (p.receivable_fen, p.payable_fen, p.net_fen) for p in period.positions.all()
    }
    assert positions == {
        "110000": (1_440_000, 620_000, 820_000),
        "220000": (0, 620_000, -620_000),
        "440000": (620_000, 820_000, -200_000),
    }
    instructions = [
        (i.index, i.payer_id, i.payee_id, i.amount_fen) for i in period.instructions.all()
    ]
    assert instructions == [(0, "220000", "110000", 620_000), (1, "440000", "110000", 200_000)]
    assert sorted(period.statements.values_list("province_id", "status")) == [
        ("110000", "pending"),
        ("220000", "pending"),
        ("440000", "pending"),
    ]

    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SH)):
        for province in ("110000", "220000"):
            services.statement_confirm(actor=finance(province), month=NOV, province=province)
        period.refresh_from_db()
        assert period.status == PeriodStatus.CALCULATED  # 广东 has not confirmed yet
        services.statement_confirm(actor=finance("440000"), month=NOV, province="440000")
        period.refresh_from_db()
        assert period.status == PeriodStatus.CONFIRMED
        services.instruction_mark_paid(
            actor=finance("220000"), month=NOV, index=0, bank_ref="JL2026120200001"
        )
        period.refresh_from_db()
        assert period.status == PeriodStatus.CONFIRMED
        services.instruction_mark_paid(
            actor=finance("440000"), month=NOV, index=1, bank_ref="GD2026120200007"
        )

    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    transitions = list(
        StateLog.objects.for_(period).order_by("pk").values_list("transition", "by__username")
    )
    assert transitions == [
        ("calculate", "moh_finance"),
        ("confirm", "fin_440000"),
        ("settle", "fin_440000"),
        ("close", "fin_440000"),
    ]
    actions = list(AuditRecord.objects.filter(action__startswith="clearing.").values_list("action"))
    assert [a for (a,) in actions].count("clearing.statement.confirmed") == 3
    assert [a for (a,) in actions].count("clearing.instruction.paid") == 2
    paid = Instruction.objects.get(period=period, index=1)
    assert (paid.bank_ref, paid.paid_by.username) == ("GD2026120200007", "fin_440000")


def test_month_boundary_in_beijing_time(complete_leg, ministry_finance):
    with time_machine.travel(datetime(2026, 11, 30, 23, 59, 59, 999_000, tzinfo=SH), tick=False):
        last = complete_leg("220000", "110000")
    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 0, tzinfo=SH), tick=False):
        first = complete_leg("220000", "110000")
    assert Obligation.objects.get(leg=last).period == NOV
    assert Obligation.objects.get(leg=first).period == DEC
    # 23:59:59.999 in Beijing is 15:59:59.999 UTC: the month is Beijing's, not UTC's.
    assert Obligation.objects.get(leg=last).completed_at.month == 11

    period = run(ministry_finance)

    assert period.obligation_count == 1
    assert list(period.pairs.values_list("count", flat=True)) == [1]


def test_a_leg_completing_after_its_period_ran_is_refused_and_changes_nothing(
    complete_leg, ministry_finance, make_staff, province_office
):
    november_legs(complete_leg)
    run(ministry_finance)
    before = results(NOV)
    # A confirmation whose clock still reads November, after November's batch: a 409, the leg
    # stays where it was, and the batch's result is untouched.
    from transfer import services as transfer_services

    with time_machine.travel(IN_NOVEMBER), pytest.raises(ApplicationError) as refused:
        complete_leg("220000", "110000")
    assert refused.value.status == 409
    assert refused.value.code == "PERIOD_CALCULATING"
    assert results(NOV) == before
    stuck = TransferLeg.objects.filter(status=Status.INFO_UPLOADED).get()
    assert not Obligation.objects.filter(leg=stuck).exists()
    # Retried in December, it completes into December.
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=SH)):
        transfer_services.leg_confirm(
            actor=make_staff("reviewer", office=province_office("110000"), username="bj_rev2"),
            transfer_no=stuck.transfer_no,
        )
    assert Obligation.objects.get(leg=stuck).period == DEC


def test_rerun_gives_the_same_checksum_and_keeps_the_statements(
    complete_leg, ministry_finance, finance
):
    november_legs(complete_leg)
    first = run(ministry_finance)
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SH)):
        services.statement_confirm(actor=finance("220000"), month=NOV, province="220000")
    before = results(NOV)

    again = run(None)  # the beat, say

    assert again.checksum == first.checksum
    assert results(NOV) == before  # same rows, same ids, 吉林's confirmation kept
    assert again.run_count == 2
    assert again.calculated_by is None


def test_the_current_and_future_months_are_refused(ministry_finance, complete_leg):
    with time_machine.travel(IN_NOVEMBER):
        complete_leg("220000", "110000")
        for month in (NOV, DEC):
            with pytest.raises(ApplicationError) as refused:
                services.clearing_period_run(actor=ministry_finance, month=month)
            assert (refused.value.status, refused.value.code) == (409, "PERIOD_NOT_ENDED")
    assert ClearingPeriod.objects.get(month=NOV).status == PeriodStatus.OPEN
    assert not ClearingPeriod.objects.filter(month=DEC).exists()
    assert not PairTotal.objects.exists()


def test_only_ministry_finance_runs_the_batch(complete_leg, finance, make_staff, national_office):
    november_legs(complete_leg)
    for actor in (
        finance("110000"),
        make_staff("finance", office=national_office, username="moh_fin_only"),
        make_staff("ministry", office=national_office, username="moh_only"),
    ):
        with pytest.raises(ApplicationError) as refused:
            run(actor)
        assert refused.value.status == 403
    assert results(NOV)["period"]["status"] == PeriodStatus.OPEN
    assert not PairTotal.objects.exists()


@pytest.mark.parametrize("where", ["aggregation", "instructions", "after_writing"])
def test_a_failure_anywhere_leaves_the_period_as_it_was(
    complete_leg, ministry_finance, monkeypatch, where
):
    november_legs(complete_leg)
    before = results(NOV)
    audit_before = AuditRecord.objects.count()

    def explode(*args, **kwargs):
        raise RuntimeError("injected")

    if where == "aggregation":
        monkeypatch.setattr(services, "pair_totals", explode)
    elif where == "instructions":
        monkeypatch.setattr(services.netting, "settlement_instructions", explode)
    else:
        store = services._store_results

        def store_then_explode(*args, **kwargs):
            store(*args, **kwargs)
            assert PairTotal.objects.exists()  # the results were written…
            raise RuntimeError("injected")

        monkeypatch.setattr(services, "_store_results", store_then_explode)

    with pytest.raises(RuntimeError):
        run(ministry_finance)

    assert results(NOV) == before  # …and rolled back with everything else
    assert AuditRecord.objects.count() == audit_before
    assert not StateLog.objects.filter(transition="calculate").exists()
    assert progress_get(NOV)["state"] == "failed"

    monkeypatch.undo()
    period = run(ministry_finance)
    assert period.status == PeriodStatus.CALCULATED
    assert period.obligation_count == 3
    assert progress_get(NOV)["state"] == "done"


def test_a_failed_rerun_keeps_the_earlier_result(complete_leg, ministry_finance, monkeypatch):
    november_legs(complete_leg)
    run(ministry_finance)
    before = results(NOV)
    monkeypatch.setattr(services.netting, "period_checksum", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run(ministry_finance)
    assert results(NOV) == before


def test_a_dispute_blocks_confirmation_until_a_correction_is_run(
    complete_leg, ministry_finance, finance, make_staff, national_office
):
    november_legs(complete_leg)
    first = run(ministry_finance)
    ministry = make_staff("ministry", office=national_office, username="moh_ministry")
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SH)):
        services.statement_dispute(
            actor=finance("220000"), month=NOV, province="220000", note="有一笔已退回的业务被计入"
        )
        for province in ("110000", "440000"):
            services.statement_confirm(actor=finance(province), month=NOV, province=province)
        assert ClearingPeriod.objects.get(month=NOV).status == PeriodStatus.CALCULATED
        with pytest.raises(ApplicationError) as refused:
            services.instruction_mark_paid(
                actor=finance("220000"), month=NOV, index=0, bank_ref="X1"
            )
        assert refused.value.status == 409

        adjustment = services.obligation_adjust(
            actor=ministry,
            payer="220000",
            payee="110000",
            individual_fen=-500_000,
            pooled_fen=-120_000,
            reason="吉林异议：转移编号…-1 已退回，冲减",
            month=NOV,
        )
    assert adjustment.period == NOV and adjustment.created_by == ministry
    assert ClearingPeriod.objects.get(month=NOV).status == PeriodStatus.OPEN  # to be run again

    second = run(ministry_finance)

    assert second.checksum != first.checksum
    assert second.obligation_count == 4
    pair = second.pairs.get(payer_id="220000", payee_id="110000")
    assert (pair.count, pair.amount_fen) == (2, 0)
    # New figures: every statement is asked again.
    assert set(second.statements.values_list("status", flat=True)) == {"pending"}
    assert list(second.instructions.values_list("payer_id", "payee_id", "amount_fen")) == [
        ("440000", "110000", 200_000)
    ]


def test_a_closed_period_never_changes(
    complete_leg, ministry_finance, finance, make_staff, national_office
):
    november_legs(complete_leg)
    run(ministry_finance)
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SH)):
        for province in ("110000", "220000", "440000"):
            services.statement_confirm(actor=finance(province), month=NOV, province=province)
        for index, payer in ((0, "220000"), (1, "440000")):
            services.instruction_mark_paid(
                actor=finance(payer), month=NOV, index=index, bank_ref=f"B{index}"
            )
    assert ClearingPeriod.objects.get(month=NOV).status == PeriodStatus.CLOSED
    closed = results(NOV)
    ministry = make_staff("ministry", office=national_office, username="moh_ministry")

    with time_machine.travel(datetime(2026, 12, 3, 9, tzinfo=SH)):
        with pytest.raises(ApplicationError) as refused:
            services.obligation_adjust(
                actor=ministry,
                payer="220000",
                payee="110000",
                individual_fen=100,
                pooled_fen=0,
                reason="更正",
                month=NOV,
            )
        assert refused.value.status == 409
        with pytest.raises(ApplicationError) as rerun:
            services.clearing_period_run(actor=ministry_finance, month=NOV)
        assert rerun.value.status == 409
        # The correction goes into the next open period: the current month by default.
        correction = services.obligation_adjust(
            actor=ministry,
            payer="220000",
            payee="110000",
            individual_fen=100,
            pooled_fen=0,
            reason="11月转移编号…-1 金额更正",
        )
    assert correction.period == DEC
    assert results(NOV) == closed
    assert AuditRecord.objects.filter(action="clearing.adjust").count() == 1


def test_statements_and_payments_are_scoped_to_the_province(
    complete_leg, ministry_finance, finance
):
    november_legs(complete_leg)
    run(ministry_finance)
    before = results(NOV)
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SH)):
        for actor, province in (
            (finance("220000"), "110000"),  # another province's statement
            (ministry_finance, "110000"),  # the ministry is no province's finance
        ):
            with pytest.raises(ApplicationError) as refused:
                services.statement_confirm(actor=actor, month=NOV, province=province)
            assert refused.value.status == 403
        with pytest.raises(ApplicationError) as no_statement:
            services.statement_confirm(actor=finance("310000"), month=NOV, province="310000")
        assert no_statement.value.status == 404  # 上海 had no activity in November
        for province in ("110000", "220000", "440000"):
            services.statement_confirm(actor=finance(province), month=NOV, province=province)
        with pytest.raises(ApplicationError) as wrong_payer:
            services.instruction_mark_paid(
                actor=finance("110000"), month=NOV, index=0, bank_ref="B0"
            )
        assert wrong_payer.value.status == 403  # instruction 0 is 吉林's to pay
        services.instruction_mark_paid(actor=finance("220000"), month=NOV, index=0, bank_ref="B0")
        with pytest.raises(ApplicationError) as twice:
            services.instruction_mark_paid(
                actor=finance("220000"), month=NOV, index=0, bank_ref="B0-again"
            )
        assert (twice.value.status, twice.value.code) == (409, "ALREADY_PAID")
    assert before["pairs"] == results(NOV)["pairs"]
    assert Instruction.objects.get(period__month=NOV, index=0).bank_ref == "B0"


def test_a_dispute_needs_a_note_and_changes_nothing_without_one(
    complete_leg, ministry_finance, finance
):
    november_legs(complete_leg)
    run(ministry_finance)
    before = results(NOV)
    with pytest.raises(ApplicationError) as refused:
        services.statement_dispute(actor=finance("220000"), month=NOV, province="220000", note=" ")
    assert refused.value.status == 400 and "note" in refused.value.fields
    assert results(NOV) == before


def test_a_month_without_activity_closes_at_once(ministry_finance):
    period = run(ministry_finance, month=date(2026, 10, 1))
    assert period.status == PeriodStatus.CLOSED
    assert period.obligation_count == 0 and period.checksum
    assert not period.statements.exists()


def test_adjustments_are_checked(make_staff, national_office, finance):
    ministry = make_staff("ministry", office=national_office, username="moh_ministry")
    cases = [
        (finance("110000"), {}, 403),
        (ministry, {"reason": "  "}, 400),
        (ministry, {"payee": "220000"}, 400),  # same province
        (ministry, {"payer": "110108"}, 400),  # not a settlement unit
        (ministry, {"individual_fen": 0, "pooled_fen": 0}, 400),
        (ministry, {"month": date(2027, 1, 1)}, 400),
    ]
    with time_machine.travel(ON_DECEMBER_1ST):
        for actor, change, code in cases:
            values = {
                "payer": "220000",
                "payee": "110000",
                "individual_fen": 100,
                "pooled_fen": 0,
                "reason": "更正",
                **change,
            }
            with pytest.raises(ApplicationError) as refused:
                services.obligation_adjust(actor=actor, **values)
            assert refused.value.status == code, change
    assert not Obligation.objects.exists()
