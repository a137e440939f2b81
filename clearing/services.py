"""Every write of clearing (DESIGN.md §5, API.md "Clearing").

- `obligation_record_for_leg`: the transfer workflow calls it inside `leg_confirm`'s transaction.
- `clearing_period_run`: the monthly batch — one GROUP BY in the database, then at most 32 × 31
  pairs in Python; single-flight through the period's row lock; idempotent; one transaction, so a
  failure anywhere leaves the period as it was.
- `statement_confirm` / `statement_dispute`, `instruction_mark_paid`: the provinces' finance.
- `obligation_adjust`: the ministry's correction, a new obligation in a period not yet confirmed.

Each write locks the period row first (so writes to one period queue in one order), checks role
and province, checks the state (409 otherwise), and records who and when in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Mod
from django.utils import timezone

from clearing import netting
from clearing.models import (
    ClearingPeriod,
    Instruction,
    InstructionStatus,
    Obligation,
    PairTotal,
    PeriodStatus,
    Position,
    Statement,
    StatementStatus,
)
from clearing.progress import progress_end, progress_start, progress_step
from common import fsm
from common.audit import audit_record
from common.errors import ApplicationError, Conflict, NotFound, invalid, reference_no
from common.scope import scope_for
from registry.models import ModuleSwitch, Region
from registry.services import module_ensure_open

BATCH_OFFICE = {"office": "MOH", "office_name": "全国清算定时任务"}
PERIOD_HASH_DIGITS = 10**18  # the period's hash total is truncated like NACHA's entry hash


def month_of(moment: datetime) -> date:
    """The period (1st of the Asia/Shanghai month) a moment belongs to."""
    return timezone.localtime(moment).date().replace(day=1)


def previous_month(today: date) -> date:
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


def _transition(period: ClearingPeriod, name: str, actor, note: str = "") -> None:
    fsm.transition(period, name, actor, note, system=BATCH_OFFICE)


def _label(month: date) -> str:
    return f"{month:%Y-%m}"


def _lock_period(month: date, *, create: bool = False) -> ClearingPeriod:
    """The period's row, locked for this transaction (created first when asked)."""
    if create:
        ClearingPeriod.objects.get_or_create(month=month)
    period = ClearingPeriod.objects.select_for_update().filter(month=month).first()
    if period is None:
        raise NotFound(f"{_label(month)} 清算期尚无清算数据。")
    return period


def _require_status(period: ClearingPeriod, *statuses: str, message: str = "") -> None:
    if period.status not in statuses:
        label = PeriodStatus(period.status).label
        raise Conflict(
            message or f"{period.label} 清算期当前状态为“{label}”，不能办理此操作。",
            code="WRONG_STATE",
            extra={"status": period.status},
        )


# --- obligations -------------------------------------------------------------------------------


def _hold_open_period(month: date) -> None:
    """Keep the batch off this period until the caller commits, and refuse if it already ran.

    A leg completing at 23:59:59.999 may commit after midnight: the key-share lock makes the
    batch for that month wait for it, and once the batch has the period the leg gets a 409 and
    is retried in the new month, so no obligation ever misses its period's calculation."""
    period, _ = ClearingPeriod.objects.get_or_create(month=month)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status FROM {ClearingPeriod._meta.db_table} WHERE id = %s FOR KEY SHARE",
                [period.pk],
            )
            (status,) = cursor.fetchone()
    else:
        status = period.status
    if status != PeriodStatus.OPEN:
        raise Conflict(
            f"{_label(month)} 清算期已开始计算，本笔业务未办结，请重新办理。",
            code="PERIOD_CALCULATING",
        )


def obligation_record_for_leg(
    *, leg, payer: str, payee: str, individual_fen: int, pooled_fen: int, completed_at: datetime
) -> Obligation:
    """One obligation per completed periodic leg, in the period of its completion (Asia/Shanghai).

    Must run inside the caller's transaction; the one-to-one on `leg` makes a second one fail."""
    month = month_of(completed_at)
    _hold_open_period(month)
    return Obligation.objects.create(
        leg=leg,
        payer_id=payer,
        payee_id=payee,
        period=month,
        completed_at=completed_at,
        individual_fen=individual_fen,
        pooled_fen=pooled_fen,
    )


@transaction.atomic
def obligation_adjust(
    *,
    actor,
    payer: str,
    payee: str,
    individual_fen: int,
    pooled_fen: int,
    reason: str,
    month: date | None = None,
) -> Obligation:
    """调整: the ministry corrects what a province owes another (either sign), with the reason.

    A confirmed, settled or closed period never changes, so the adjustment goes into a period that
    is still open — by default the current month. Written into a calculated period (to resolve a
    dispute), it takes the period back to open, to be run again."""
    module_ensure_open(ModuleSwitch.Module.CLEARING)
    scope_for(actor).require("clearing.adjust")
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "调整须填写原因。")
    units = set(
        Region.objects.filter(code__in=[payer, payee], settlement_unit=True).values_list(
            "code", flat=True
        )
    )
    for field, code in (("payer", payer), ("payee", payee)):
        if code not in units:
            raise invalid(field, f"“{code}”不是清算单位（省级代码或新疆生产建设兵团660000）。")
    if payer == payee:
        raise invalid("payee", "付款省份与收款省份不能相同。")
    if individual_fen == 0 and pooled_fen == 0:
        raise invalid("individual_fen", "调整金额不能为零。")
    current = month_of(timezone.now())
    month = month or current
    if month > current:
        raise invalid("period", "不能调整尚未开始的清算期。")
    period = _lock_period(month, create=True)
    _require_status(
        period,
        PeriodStatus.OPEN,
        PeriodStatus.CALCULATED,
        message=f"{period.label} 清算期{PeriodStatus(period.status).label}，不再变更；"
        "请将调整记入尚未确认的清算期。",
    )
    if period.status == PeriodStatus.CALCULATED:
        _transition(period, "reopen", actor, f"调整：{reason}")
    obligation = Obligation.objects.create(
        payer_id=payer,
        payee_id=payee,
        period=month,
        completed_at=timezone.now(),
        individual_fen=individual_fen,
        pooled_fen=pooled_fen,
        reason=reason,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="clearing.adjust",
        target=obligation,
        period=period.label,
        payer=payer,
        payee=payee,
        individual_fen=individual_fen,
        pooled_fen=pooled_fen,
        reason=reason,
    )
    return obligation


# --- the batch ---------------------------------------------------------------------------------


def pair_totals(month: date) -> list[netting.Pair]:
    """The batch's one pass over the obligations: GROUP BY payer, payee, in the database."""
    rows = (
        Obligation.objects.filter(period=month)
        .order_by()
        .values_list("payer_id", "payee_id")
        .annotate(
            count=Count("id"),
            individual=Sum("individual_fen"),
            pooled=Sum("pooled_fen"),
            hash_total=Sum(
                Mod(F("id"), netting.HASH_MODULUS)
                * (F("individual_fen") + netting.POOLED_WEIGHT * F("pooled_fen"))
            ),
        )
        .order_by("payer_id", "payee_id")
    )
    return [
        netting.Pair(payer, payee, count, int(individual), int(pooled), int(hash_total))
        for payer, payee, count, individual, pooled, hash_total in rows
    ]


def _store_results(
    period: ClearingPeriod,
    pairs: list[netting.Pair],
    nets: list[netting.Net],
    payments: list[netting.Payment],
) -> None:
    """Replace the period's results; statements start again as pending (the figures changed)."""
    for related in (period.pairs, period.positions, period.instructions, period.statements):
        related.all().delete()
    PairTotal.objects.bulk_create(
        PairTotal(
            period=period,
            payer_id=p.payer,
            payee_id=p.payee,
            count=p.count,
            individual_fen=p.individual_fen,
            pooled_fen=p.pooled_fen,
            amount_fen=p.amount_fen,
            hash_total=p.hash_total,
        )
        for p in pairs
    )
    Position.objects.bulk_create(
        Position(
            period=period,
            province_id=n.province,
            receivable_fen=n.receivable_fen,
            payable_fen=n.payable_fen,
            net_fen=n.net_fen,
        )
        for n in nets
    )
    Instruction.objects.bulk_create(
        Instruction(
            period=period, index=i, payer_id=p.payer, payee_id=p.payee, amount_fen=p.amount_fen
        )
        for i, p in enumerate(payments)
    )
    # Every province with activity in the period has a statement, whatever its net.
    Statement.objects.bulk_create(Statement(period=period, province_id=n.province) for n in nets)


def clearing_period_run(*, actor, month: date) -> ClearingPeriod:
    """The monthly batch for `month` (a month that has ended), by ministry finance or the beat
    (`actor` None). Progress goes to the cache; the result is the period as committed."""
    if actor is not None:
        scope_for(actor).require("clearing.run")
    by = actor.get_username() if actor is not None else "定时任务"
    progress_start(month, by)
    try:
        period = _run(actor, month)
    except Exception as error:
        message = (
            error.message if isinstance(error, ApplicationError) else "计算失败，未作任何更改。"
        )
        progress_end(month, ok=False, message=message)
        raise
    progress_end(month, ok=True, message=f"计算完成，校验和 {period.checksum[:12]}…")
    return period


@transaction.atomic
def _run(actor, month: date) -> ClearingPeriod:
    module_ensure_open(ModuleSwitch.Module.CLEARING)
    if month >= month_of(timezone.now()):
        raise Conflict(
            f"{_label(month)} 尚未结束，只能计算已结束月份的清算期。", code="PERIOD_NOT_ENDED"
        )
    # Single flight: a second run waits here for the first to commit, then finds it calculated
    # and (nothing having changed) the same checksum.
    period = _lock_period(month, create=True)
    _require_status(
        period,
        PeriodStatus.OPEN,
        PeriodStatus.CALCULATED,
        message=f"{period.label} 清算期{PeriodStatus(period.status).label}，不能重新计算。",
    )
    progress_step(month, 1)
    pairs = pair_totals(month)
    progress_step(month, 2)
    nets = netting.net_positions(pairs)
    progress_step(month, 3)
    payments = netting.settlement_instructions({n.province: n.net_fen for n in nets})
    progress_step(month, 4)
    checksum = netting.period_checksum(period.label, pairs, nets, payments)
    changed = checksum != period.checksum
    if changed:
        _store_results(period, pairs, nets, payments)
    period.obligation_count = sum(p.count for p in pairs)
    period.individual_fen = sum(p.individual_fen for p in pairs)
    period.pooled_fen = sum(p.pooled_fen for p in pairs)
    period.gross_total_fen = period.individual_fen + period.pooled_fen
    period.hash_total = sum(p.hash_total for p in pairs) % PERIOD_HASH_DIGITS
    period.checksum = checksum
    period.calculated_at = timezone.now()
    period.calculated_by = actor
    period.run_count += 1
    note = "计算结果已更新" if changed else "重新计算，结果与上次相同"
    _transition(period, "calculate", actor, note)
    audit_record(
        actor=actor,
        action="clearing.run",
        target=period,
        **({"operator": "beat"} if actor is None else {}),
        period=period.label,
        obligation_count=period.obligation_count,
        gross_total_fen=period.gross_total_fen,
        checksum=checksum,
        changed=changed,
    )
    _advance(period, actor)
    return period


def _advance(period: ClearingPeriod, actor) -> None:
    """Take the period as far as its statements and instructions allow: confirmed when every
    statement is confirmed, then settled and closed when every instruction is paid."""
    if (
        period.status == PeriodStatus.CALCULATED
        and not period.statements.exclude(status=StatementStatus.CONFIRMED).exists()
    ):
        _transition(period, "confirm", actor, "各省对账单均已确认")
    if (
        period.status == PeriodStatus.CONFIRMED
        and not period.instructions.exclude(status=InstructionStatus.PAID).exists()
    ):
        _transition(period, "settle", actor, "结算指令均已付款")
        _transition(period, "close", actor, "清算期关闭")


# --- the provinces' finance --------------------------------------------------------------------


def _lock_statement(period: ClearingPeriod, province: str) -> Statement:
    statement = period.statements.select_for_update().filter(province_id=province).first()
    if statement is None:
        raise NotFound(f"{period.label} 清算期没有{province}的对账单（该省本期无清算业务）。")
    return statement


def _statement_write(actor, month: date, province: str, status: str, note: str) -> Statement:
    module_ensure_open(ModuleSwitch.Module.CLEARING)
    scope_for(actor).require("clearing.statement", [province])
    period = _lock_period(month)
    statement = _lock_statement(period, province)
    _require_status(
        period,
        PeriodStatus.CALCULATED,
        message=f"{period.label} 清算期当前状态为“{PeriodStatus(period.status).label}”，"
        "对账单不能再确认或提出异议。",
    )
    statement.status, statement.note = status, note
    statement.acted_at, statement.acted_by = timezone.now(), actor
    statement.save()
    audit_record(
        actor=actor,
        action=f"clearing.statement.{status}",
        target=statement,
        period=period.label,
        province=province,
        checksum=period.checksum,
        note=note,
    )
    _advance(period, actor)
    return statement


@transaction.atomic
def statement_confirm(*, actor, month: date, province: str) -> Statement:
    """确认: the province's finance agrees with its statement of the period's figures."""
    return _statement_write(actor, month, province, StatementStatus.CONFIRMED, "")


@transaction.atomic
def statement_dispute(*, actor, month: date, province: str, note: str) -> Statement:
    """提出异议: blocks `confirmed` until the ministry corrects and the batch runs again."""
    note = note.strip()
    if not note:
        raise invalid("note", "提出异议须填写说明。")
    return _statement_write(actor, month, province, StatementStatus.DISPUTED, note)


@transaction.atomic
def instruction_mark_paid(*, actor, month: date, index: int, bank_ref: str) -> Instruction:
    """已付款: the payer province's finance records the bank reference of one instruction."""
    module_ensure_open(ModuleSwitch.Module.CLEARING)
    bank_ref = reference_no(bank_ref, field="bank_ref", label="银行流水号")
    period = _lock_period(month)
    instruction = period.instructions.select_for_update().filter(index=index).first()
    if instruction is None:
        raise NotFound(f"{period.label} 清算期没有序号为 {index} 的结算指令。")
    scope_for(actor).require("clearing.pay", [instruction.payer_id])
    _require_status(
        period,
        PeriodStatus.CONFIRMED,
        message=f"{period.label} 清算期当前状态为“{PeriodStatus(period.status).label}”："
        "各省对账单全部确认后才能登记付款。",
    )
    if instruction.status == InstructionStatus.PAID:
        raise Conflict(
            f"该结算指令已于{timezone.localtime(instruction.paid_at):%Y-%m-%d %H:%M}登记付款。",
            code="ALREADY_PAID",
        )
    instruction.status, instruction.bank_ref = InstructionStatus.PAID, bank_ref
    instruction.paid_at, instruction.paid_by = timezone.now(), actor
    instruction.save()
    audit_record(
        actor=actor,
        action="clearing.instruction.paid",
        target=instruction,
        period=period.label,
        index=index,
        amount_fen=instruction.amount_fen,
        bank_ref=bank_ref,
    )
    _advance(period, actor)
    return instruction
