"""Staff pages of refunds (个人重复缴费退费): the window's guided form in the briefing's three
steps, the refund page with its timeline and actions (审批 by the refunding province's supervisor,
支付 by its finance), the two worklists and the scoped list.

Views parse, call one service or selector, and render; a refused action comes back as a message
on the refund page, a refused page as the error page (common.middleware). While the `refunds`
module is suspended every write is refused with the notice; the pages still show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import ApplicationError, NotAllowed, NotFound
from common.masking import mask_account_no, mask_id_number, mask_name
from common.money import fen_to_yuan, round_fen
from common.scope import Role, Scope, scope_for
from refunds import selectors, services
from refunds.forms import (
    BLOCKED,
    FIELD_LABELS,
    SERVICE_FIELDS,
    MonthPlan,
    PeriodRow,
    RefundForm,
    milli_fen,
    month_label,
    overlaps,
    period_errors,
    plan_month,
    prefilled_periods,
    read_periods,
    totals,
)
from refunds.models import Refund, RefundStatus
from refunds.services import CREDITED_RATE, REFUND_RATE
from registry.models import Identity, ModuleSwitch, Person, Scheme
from registry.selectors import person_get, suspended_modules
from registry.validators import validate_id_number
from transfer.models import Channel
from transfer.selectors import place_names

PAGE_SIZE = 50

STATUS_TONE = {
    RefundStatus.SUBMITTED: "info",
    RefundStatus.APPROVED: "warn",
    RefundStatus.REJECTED: "danger",
    RefundStatus.PAID: "ok",
}


def _identity_label(value: str) -> str:
    return str(Identity(value).label) if value in Identity.values else value


def _scheme_label(value: str) -> str:
    return str(Scheme(value).label) if value in Scheme.values else value


# --- the guided form (个人重复缴费退费) -----------------------------------------------------


def _require_clerk(scope: Scope) -> None:
    if not (scope.has_role(Role.CLERK) and scope.can("refund.apply")):
        raise NotAllowed("只有窗口经办人员可以受理重复缴费退费申请。")


@dataclass(frozen=True)
class Place:
    """An account with duplicate months: a choice of step 2 (the refund direction)."""

    region: str
    province: str
    name: str
    scheme: str


def _places(twice, names: dict[str, str]) -> list[Place]:
    found: dict[str, Place] = {}
    for entries in twice.values():
        for e in entries:
            found.setdefault(
                e.region, Place(e.region, e.province, names.get(e.region, e.region), e.scheme)
            )
    return sorted(found.values(), key=lambda p: (p.province, p.region))


def _entry_label(entry, names: dict[str, str]) -> str:
    return f"{names.get(entry.region, entry.region)} · {_identity_label(entry.identity)}"


def _month_row(plan: MonthPlan, names: dict[str, str]) -> dict:
    return {
        "plan": plan,
        "entries": [
            {"entry": e, "label": _entry_label(e, names), "identity": _identity_label(e.identity)}
            for e in plan.entries
        ],
        "refunded": _entry_label(plan.refunded, names) if plan.refunded else "",
        "kept": [_entry_label(e, names) for e in plan.kept],
        # A month already ticked stays ticked and enabled: nothing the clerk chose disappears.
        "disabled": bool(plan.blocked) and not plan.checked,
    }


def _script_data(twice, names: dict[str, str], places: list[Place]) -> dict:
    """What static/refunds/refund-form.js needs to keep step 2 and the summary current as the
    clerk types: the entries of each month with their exact amounts in thousandths of a fen
    (the same rates as the service), added up there as integers."""
    return {
        "months": [
            {
                "month": month_label(month),
                "entries": [
                    {
                        "region": e.region,
                        "province": e.province,
                        "identity": e.identity,
                        "label": _entry_label(e, names),
                        "refund_no": e.refund_no,
                        "amount_milli": milli_fen(e.base_fen, REFUND_RATE[e.identity]),
                        "credited_milli": milli_fen(e.base_fen, CREDITED_RATE),
                    }
                    for e in entries
                ],
            }
            for month, entries in sorted(twice.items())
        ],
        "identities": dict(Identity.choices),
        "blocked": BLOCKED,
        "places": {p.region: f"{p.name}（{_scheme_label(p.scheme)}）" for p in places},
    }


def _summary(errors: dict[str, list[str]], rows: list[PeriodRow]) -> list[dict]:
    labels = {"periods": FIELD_LABELS["periods"]}
    labels |= {row.key: f"第一步 第{n}个时间段" for n, row in enumerate(rows, 1)}
    labels |= FIELD_LABELS
    order = list(labels)
    return [
        {"key": key, "label": labels.get(key, ""), "message": message}
        for key in sorted(errors, key=lambda k: order.index(k) if k in order else len(order))
        for message in errors[key]
    ]


def _form_page(request, *, person: Person, twice, rows, values, errors=None, general=""):
    """The three steps as typed: step 2's months planned under the chosen direction (what is
    refunded and kept, which may not be chosen), step 3's summary with the amounts."""
    errors = errors or {}
    names = place_names({e.region for entries in twice.values() for e in entries})
    places = _places(twice, names)
    refund_region = values.get("refund_region", "")
    if refund_region not in {p.region for p in places}:
        refund_region = ""
    chosen = set(values.getlist("months")) if hasattr(values, "getlist") else set()
    periods = [p for row in rows if (p := row.period())]
    plans = [
        plan_month(
            month,
            entries,
            refund_region=refund_region,
            periods=periods,
            checked=month_label(month) in chosen,
        )
        for month, entries in sorted(twice.items())
    ]
    total = totals(plans)
    place = next((p for p in places if p.region == refund_region), None)
    if not rows:
        rows = [PeriodRow(0)]
    return render(
        request,
        "refunds/new.html",
        {
            "person": person,
            "values": values,
            "errors": errors,
            "general": general,
            "summary": _summary(errors, rows),
            "overlaps": [
                {"overlap": o, "entries": [_entry_label(e, names) for e in o.entries]}
                for o in overlaps(twice)
            ],
            "places": [{"place": p, "scheme": _scheme_label(p.scheme)} for p in places],
            "refund_region": refund_region,
            "period_rows": [{"row": row, "errors": errors.get(row.key, [])} for row in rows],
            "next_period_index": max(row.index for row in rows) + 1,
            "identities": Identity.choices,
            "month_rows": [_month_row(plan, names) for plan in plans],
            "total": total,
            "direction": f"{place.name}（{_scheme_label(place.scheme)}）" if place else "",
            "rule": services.RULE_2025_42,
            "rates": {
                "flexible": _percent(REFUND_RATE[Identity.FLEXIBLE]),
                "employee": _percent(REFUND_RATE[Identity.EMPLOYEE]),
                "credited": _percent(CREDITED_RATE),
            },
            "script_data": _script_data(twice, names, places),
        },
    )


def _search_page(request, id_number: str, error: str = ""):
    return render(request, "refunds/search.html", {"id_number": id_number, "error": error})


def _submit(actor, person: Person, rows: list[PeriodRow], form: RefundForm) -> Refund:
    data = form.cleaned_data
    return services.refund_submit(
        actor=actor,
        id_number=person.id_number,
        channel=Channel.WINDOW,
        refund_region=data["refund_region"],
        months=form.chosen_months(),
        identities=[row.period() for row in rows],
        bank=services.Bank(data["bank_name"], data["account_no"], data["holder_name"]),
    )


def _refused(refused: ApplicationError) -> tuple[dict[str, list[str]], str]:
    """A service's refusal as the form's errors: beside its step, or on top when it names none."""
    errors: dict[str, list[str]] = {}
    for name, found in refused.fields.items():
        key = SERVICE_FIELDS.get(name, name)
        if key in FIELD_LABELS:
            errors.setdefault(key, []).extend(found)
    return errors, "" if errors else refused.message


@login_required
@require_http_methods(["GET", "POST"])
def refund_new(request):
    """个人重复缴费退费 at the window: find the person, then the three steps on one page. A
    POST with `action=preview` (更新退费明细, for a browser without script) only re-plans; an
    error re-shows everything typed, each message beside its step and all of them on top."""
    scope = scope_for(request.user)
    _require_clerk(scope)
    source = request.POST if request.method == "POST" else request.GET
    id_number = source.get("id_number", "").strip()[:24]
    if not id_number:
        return _search_page(request, "")
    try:
        person = person_get(scope=scope, id_number=validate_id_number(id_number))
    except ValidationError as invalid:
        return _search_page(request, id_number, invalid.messages[0])
    except NotFound as missing:
        return _search_page(request, id_number, missing.message)
    twice = selectors.duplicates(person)
    if request.method == "GET":
        return _form_page(
            request,
            person=person,
            twice=twice,
            rows=prefilled_periods(twice),
            values={"holder_name": person.name},
        )

    rows = [row for row in read_periods(request.POST) if not row.blank]  # blank: not typed
    places = {e.region for entries in twice.values() for e in entries}
    if request.POST.get("action") == "preview":
        return _form_page(request, person=person, twice=twice, rows=rows, values=request.POST)
    form = RefundForm(
        request.POST,
        regions=sorted(places),
        months=[month_label(m) for m in sorted(twice)],
    )
    errors = period_errors(rows, places)
    if not form.is_valid():
        errors |= {key: list(found) for key, found in form.errors.items()}
    general = ""
    if errors:
        # The suspension is said at once, not only after the form is complete.
        general = suspended_modules().get(ModuleSwitch.Module.REFUNDS, "")
    else:
        try:
            refund = _submit(request.user, person, rows, form)
        except ApplicationError as refused:
            errors, general = _refused(refused)
        else:
            messages.success(
                request,
                f"已受理退费申请 {refund.refund_no}，退费金额 {fen_to_yuan(refund.amount_fen)} 元，"
                "待退费地审批。",
            )
            return redirect("refund-detail", refund_no=refund.refund_no)
    return _form_page(
        request,
        person=person,
        twice=twice,
        rows=rows,
        values=request.POST,
        errors=errors,
        general=general,
    )


# --- the refund page ---------------------------------------------------------------------------


def _actions(scope: Scope, refund: Refund) -> set[str]:
    """What this user may do to the refund now (the services check again)."""
    actions = set()
    if refund.status == RefundStatus.SUBMITTED and scope.can(
        "refund.approve", [refund.province_id]
    ):
        actions |= {"approve", "reject"}
    if refund.status == RefundStatus.APPROVED and scope.can("refund.pay", [refund.province_id]):
        actions.add("pay")
    return actions


def _percent(rate) -> str:
    return f"{(rate * 100).normalize():f}%"


@login_required
def refund_detail(request, refund_no: str):
    scope = scope_for(request.user)
    refund = selectors.refund_get(scope=scope, refund_no=refund_no)
    names = place_names(
        [refund.account.region_id, refund.province_id, *(p["region"] for p in refund.identities)]
    )
    months = selectors.refund_months(refund)
    return render(
        request,
        "refunds/detail.html",
        {
            "refund": refund,
            "tone": STATUS_TONE.get(refund.status, "info"),
            "place": names.get(refund.account.region_id, refund.account.region_id),
            "province": names.get(refund.province_id, refund.province_id),
            "scheme": _scheme_label(refund.account.scheme),
            "channel": Channel(refund.channel).label
            if refund.channel in Channel.values
            else refund.channel,
            "account_no": mask_account_no(refund.account_no),
            "identities": [
                {
                    **period,
                    "place": names.get(period["region"], period["region"]),
                    "label": _identity_label(period["identity"]),
                }
                for period in refund.identities
            ],
            "months": [
                {
                    "row": m,
                    "identity": _identity_label(m.identity),
                    "rate": _percent(m.rate),
                    "amount_fen": round_fen(m.amount),
                }
                for m in months
            ],
            "timeline": selectors.refund_timeline(refund),
            "actions": _actions(scope, refund),
        },
    )


@dataclass(frozen=True)
class Action:
    """One action of the refund page: its service, the POST fields it takes (the service checks
    them), and its success message."""

    service: Callable
    done: Callable[[Refund], str]
    fields: tuple[str, ...] = ()


ACTIONS = {
    "approve": Action(services.refund_approve, lambda r: "已审批通过，待退费地财务支付。"),
    "reject": Action(
        services.refund_reject,
        lambda r: "已审批不通过，所退月份可重新申请退费。",
        ("note",),
    ),
    "pay": Action(
        services.refund_pay,
        lambda r: (
            f"已支付退费 {fen_to_yuan(r.amount_fen)} 元，付款凭证号 {r.voucher_no}，退费办结。"
        ),
        ("voucher_no",),
    ),
}


@login_required
@require_POST
def refund_action(request, refund_no: str, action: str):
    todo = ACTIONS[action]
    values = {name: request.POST.get(name, "")[:500] for name in todo.fields}
    try:
        refund = todo.service(actor=request.user, refund_no=refund_no, **values)
    except NotFound:
        raise  # no refund page to go back to: the error page says so
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, todo.done(refund))
    return redirect("refund-detail", refund_no=refund_no)


# --- worklists and the list ------------------------------------------------------------------


def _rows(refunds, names: dict[str, str]) -> list[dict]:
    return [
        {
            "refund": r,
            "name": mask_name(r.person.name),
            "id_number": mask_id_number(r.person.id_number),
            "place": names.get(r.account.region_id, r.account.region_id),
            "tone": STATUS_TONE.get(r.status, "info"),
        }
        for r in refunds
    ]


WORKLIST_HINTS = {
    "approve": (
        "本省为退费地的重复缴费退费申请：核对退费月份、参保身份和银行信息后审批通过，"
        "或审批不通过并说明原因。"
    ),
    "pay": "已审批通过的退费申请：按退费金额支付到参保人本人银行账户，登记付款凭证号后退费办结。",
}


@login_required
def worklist(request, name: str):
    scope = scope_for(request.user)
    refunds = selectors.worklist(scope=scope, name=name)
    page = Paginator(refunds, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    label, _, _ = selectors.WORKLISTS[name]
    counts = selectors.worklist_counts(scope=scope)
    return render(
        request,
        "refunds/worklist.html",
        {
            "name": name,
            "title": label,
            "hint": WORKLIST_HINTS[name],
            "tabs": [
                {"name": key, "label": work[0], "total": counts[key]}
                for key, work in selectors.WORKLISTS.items()
                if key in counts
            ],
            "page": page,
            "rows": _rows(rows, place_names({r.account.region_id for r in rows})),
        },
    )


@login_required
def refund_list(request):
    """退费查询: the refunds of the user's province, by ID number and status."""
    scope = scope_for(request.user)
    id_number = request.GET.get("id_number", "").strip()[:24]
    status = request.GET.get("status", "")
    status = status if status in RefundStatus.values else ""
    error = ""
    if id_number:
        try:
            id_number = validate_id_number(id_number)
        except ValidationError as invalid:
            error = invalid.messages[0]
    refunds = selectors.refund_list(
        scope=scope, status=status or None, id_number="" if error else id_number
    )
    if error:
        refunds = refunds.none()
    page = Paginator(refunds, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    return render(
        request,
        "refunds/list.html",
        {
            "id_number": id_number,
            "status": status,
            "statuses": RefundStatus.choices,
            "error": error,
            "page": page,
            "rows": _rows(rows, place_names({r.account.region_id for r in rows})),
            "query": f"{urlencode({'id_number': id_number, 'status': status})}&",
            "can_apply": scope.has_role(Role.CLERK) and scope.can("refund.apply"),
        },
    )
