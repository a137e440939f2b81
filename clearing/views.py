"""Staff pages of clearing: the periods, a period (heat map, net chart, instructions, statements
and the batch's progress) and a province's statement (对账单) with confirm / dispute.

Views parse, call one selector or service, and render; every write is a POST that comes back
to its page with a message. A refused write is a message; a refused page (another province's
statement, a role without clearing) the error page (common.middleware)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from clearing import charts, selectors, services, tasks
from clearing.models import InstructionStatus, PeriodStatus, StatementStatus
from clearing.progress import progress_get
from common.errors import ApplicationError, NotFound
from common.scope import Scope, scope_for
from registry.selectors import region_children

logger = logging.getLogger(__name__)

PERIOD_TONE = {
    PeriodStatus.OPEN: "muted",
    PeriodStatus.CALCULATED: "info",
    PeriodStatus.CONFIRMED: "warn",
    PeriodStatus.SETTLED: "ok",
    PeriodStatus.CLOSED: "ok",
}
STATEMENT_TONE = {
    StatementStatus.PENDING: "warn",
    StatementStatus.CONFIRMED: "ok",
    StatementStatus.DISPUTED: "danger",
}
RUNNABLE = (PeriodStatus.OPEN, PeriodStatus.CALCULATED)


def _status(value: str) -> dict:
    return {"label": PeriodStatus(value).label, "tone": PERIOD_TONE[value]}


def _statement_status(value: str | None) -> dict | None:
    if value is None:
        return None
    return {"label": StatementStatus(value).label, "tone": STATEMENT_TONE[value]}


def _can_run(scope: Scope, period) -> bool:
    return (
        scope.can("clearing.run")
        and period.status in RUNNABLE
        and selectors.month_has_ended(period.month)
    )


def _units() -> list[charts.Unit]:
    return charts.units_of(region_children())


# --- 清算期列表 -------------------------------------------------------------------------------


@login_required
def period_list(request):
    scope = scope_for(request.user)
    rows = selectors.period_list(scope=scope)
    return render(
        request,
        "clearing/period_list.html",
        {
            "rows": [
                {
                    "period": row.period,
                    "status": _status(row.period.status),
                    "calculated": bool(row.period.checksum),
                    "own_statement": _statement_status(row.own_statement),
                    "can_run": _can_run(scope, row.period),
                }
                for row in rows
            ],
            "show_own": not scope.national,
            "can_run": scope.can("clearing.run"),
        },
    )


# --- the period page ---------------------------------------------------------------------------


def _started_at(entry: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(entry.get("started_at") or "")
    except ValueError:
        return None


def _started(entry: dict, *, since: datetime) -> bool:
    started = _started_at(entry)
    return started is not None and started >= since


def _progress(entry: dict | None) -> dict | None:
    """The cached progress as the page shows it (percent for the bar, local start time)."""
    if not entry:
        return None
    steps = entry.get("steps") or 1
    step = min(entry.get("step") or 0, steps)
    started = _started_at(entry)
    return {
        **entry,
        "step": step,
        "steps": steps,
        "percent": step * 100 // steps,
        "started": timezone.localtime(started) if started else None,
    }


def _named(rows, units: dict[str, charts.Unit], *fields: str) -> list[dict]:
    """Rows with their provinces' units (`payer` → `payer_unit`, …) for the tables."""
    unknown = charts.Unit("", "", "")
    return [
        {
            "row": row,
            **{f"{name}_unit": units.get(getattr(row, f"{name}_id"), unknown) for name in fields},
        }
        for row in rows
    ]


@login_required
def period_detail(request, month: date):
    scope = scope_for(request.user)
    view = selectors.period_view(scope=scope, month=month)
    units = _units()
    by_code = {u.code: u for u in units}
    period = view.period
    bars = charts.net_bars(view.positions, units)
    confirmed = period.status == PeriodStatus.CONFIRMED
    instructions = [
        {
            **item,
            "can_pay": confirmed
            and item["row"].status == InstructionStatus.PENDING
            and scope.can("clearing.pay", [item["row"].payer_id]),
        }
        for item in _named(view.instructions, by_code, "payer", "payee")
    ]
    statements = [
        {**item, "status": _statement_status(item["row"].status)}
        for item in _named(view.statements, by_code, "province")
    ]
    return render(
        request,
        "clearing/period.html",
        {
            "view": view,
            "period": period,
            "status": _status(period.status),
            "own": by_code.get(view.province) if view.province else None,
            "control": view.control,
            "progress": _progress(view.progress),
            "queued": request.GET.get("queued", "")[:40],
            "can_run": _can_run(scope, period),
            "month_ended": selectors.month_has_ended(month),
            "heat": charts.heat_map(view.pairs, units),
            "bars": bars,
            "net_svg": charts.net_position_svg(bars),
            "instructions": instructions,
            "any_payable": any(i["can_pay"] for i in instructions),
            "statements": statements,
        },
    )


@login_required
@require_POST
def period_run(request, month: date):
    """计算: queue the batch (a Celery worker runs it; in tests and the embedded setup it runs
    eagerly, inside this request) and go back to the period page, which shows its progress."""
    scope = scope_for(request.user)
    label = f"{month:%Y-%m}"
    target = reverse("clearing-period", kwargs={"month": label})
    if not scope.can("clearing.run"):
        messages.error(request, "只有部级财务清算人员可以计算清算期。")
        return redirect(target)
    if not selectors.month_has_ended(month):
        messages.error(request, f"{label} 尚未结束，只能计算已结束月份的清算期。")
        return redirect(target)
    queued = timezone.now()
    try:
        transaction.on_commit(lambda: tasks.run_period.delay(label, request.user.pk))
    except Exception:  # an eager run's unexpected failure: the batch rolled back, say so
        logger.exception("clearing batch %s failed", label)
    entry = progress_get(month)
    state = entry.get("state") if entry and _started(entry, since=queued) else None
    if state == "done":
        messages.success(request, entry.get("message") or f"{label} 清算期计算完成。")
    elif state == "failed":
        messages.error(request, entry.get("message") or "计算失败，未作任何更改。")
    elif state is None:
        messages.success(request, f"已提交 {label} 清算期的计算，后台任务开始后本页显示进度。")
    return redirect(f"{target}?{urlencode({'queued': queued.isoformat()})}")


@login_required
@require_POST
def instruction_paid(request, month: date, index: int):
    try:
        instruction = services.instruction_mark_paid(
            actor=request.user,
            month=month,
            index=index,
            bank_ref=request.POST.get("bank_ref", "")[:200],
        )
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            f"第 {instruction.index + 1} 笔结算指令已登记付款，银行流水号 {instruction.bank_ref}。",
        )
    return redirect("clearing-period", month=month)


# --- 对账单 -----------------------------------------------------------------------------------


@login_required
def statement_detail(request, month: date, province: str):
    scope = scope_for(request.user)
    view = selectors.period_view(scope=scope, month=month, province=province)
    units = _units()
    by_code = {u.code: u for u in units}
    unit = by_code.get(province)
    if unit is None:
        raise NotFound(f"“{province}”不是清算单位。")
    pairs = _named(view.pairs, by_code, "payer", "payee")
    statement = view.statement
    position = next((p for p in view.positions if p.province_id == province), None)
    can_act = (
        statement is not None
        and view.period.status == PeriodStatus.CALCULATED
        and scope.can("clearing.statement", [province])
    )
    return render(
        request,
        "clearing/statement.html",
        {
            "view": view,
            "period": view.period,
            "status": _status(view.period.status),
            "unit": unit,
            "paying": [p for p in pairs if p["row"].payer_id == province],
            "receiving": [p for p in pairs if p["row"].payee_id == province],
            "position": position,
            "instructions": _named(view.instructions, by_code, "payer", "payee"),
            "control": view.control,
            "statement": statement,
            "statement_status": _statement_status(statement.status) if statement else None,
            "can_act": can_act,
        },
    )


@login_required
@require_POST
def statement_confirm(request, month: date, province: str):
    try:
        services.statement_confirm(actor=request.user, month=month, province=province)
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"已确认 {month:%Y-%m} 清算期对账单无误。")
    return redirect("clearing-statement", month=month, province=province)


@login_required
@require_POST
def statement_dispute(request, month: date, province: str):
    note = request.POST.get("note", "")[:500]
    try:
        services.statement_dispute(actor=request.user, month=month, province=province, note=note)
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"已对 {month:%Y-%m} 清算期对账单提出异议，等待部级经办处理。")
    return redirect("clearing-statement", month=month, province=province)
