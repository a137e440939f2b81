"""Staff pages of the retirement pre-check and the whitelist (退休一件事 账户预校验 / 白名单维护,
DESIGN.md §7, the briefing's section 05): the pre-check for any window, the admin's window form,
the entry page with its evidence, timeline and the supervisor's decision, the pending worklist
and the scoped list.

Views parse, call one service or selector, and render; a refused action comes back as a message
on the entry page, a refused page as the error page (common.middleware)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import ApplicationError, NotAllowed, NotFound
from common.files import document_response
from common.masking import mask_id_number, mask_name
from common.scope import Scope, scope_for
from registry.models import AccountStatus, Person, Region, Scheme
from registry.selectors import region_children
from registry.validators import validate_id_number
from transfer.models import Channel, TransferLeg
from transfer.selectors import place_names
from whitelist import selectors, services
from whitelist.forms import FIELD_LABELS, REASONS, SERVICE_FIELDS, EntryForm, account_key
from whitelist.models import EntryStatus, Reason, WhitelistEntry

PAGE_SIZE = 50
REGION_CODE = re.compile(r"[0-9]{6}")

STATUS_TONE = {
    EntryStatus.PENDING: "warn",
    EntryStatus.APPROVED: "ok",
    EntryStatus.REJECTED: "danger",
    EntryStatus.REVOKED: "muted",
}
KIND_LABELS = {
    "untransferred": "未转移的参保关系",
    "closed": "已终止、仍有缴费记录",
    "open_transfer": "在途转移",
    "refused_no_records": "外省拒绝转出（无可转移的缴费记录）",
}


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _id_number(text: str) -> tuple[str, str]:
    """(the normalised number, "") or (the text as typed, why it is not a number)."""
    try:
        return validate_id_number(text), ""
    except ValidationError as invalid:
        return text, invalid.messages[0]


# --- 退休一件事 账户预校验 ---------------------------------------------------------------------


def _leg(scope: Scope, leg: TransferLeg | None) -> dict | None:
    """A transfer named by a finding, linked when this user may open its case page."""
    if leg is None:
        return None
    return {
        "transfer_no": leg.transfer_no,
        "status": leg.get_status_display(),
        "linked": scope.can("transfer.view", [leg.out_province_id, leg.in_province_id]),
    }


def _listed(scope: Scope, entry: WhitelistEntry | None) -> dict | None:
    if entry is None:
        return None
    return {
        "entry_no": entry.entry_no,
        "linked": scope.can("whitelist.view", [entry.benefit_province_id]),
    }


def _make_url(person: Person, finding: selectors.Finding) -> str:
    """The window form, prefilled for this finding (and its refused transfer, if any)."""
    query = {
        "id_number": person.id_number,
        "region": finding.account.region_id,
        "scheme": finding.account.scheme,
    }
    if finding.refused_leg is not None:
        query |= {
            "reason": Reason.OUT_REFUSED_NO_RECORDS,
            "transfer_no": finding.refused_leg.transfer_no,
        }
    return f"{reverse('whitelist-new')}?{urlencode(query)}"


def _finding_rows(scope: Scope, result: selectors.Precheck) -> list[dict]:
    names = place_names(f.account.region_id for f in result.findings)
    can_make = scope.can("whitelist.make") and scope.province == result.benefit_province.code
    return [
        {
            "finding": f,
            "place": names.get(f.account.region_id, f.account.region_id),
            "scheme": _label(Scheme, f.account.scheme),
            "status": _label(AccountStatus, f.account.status),
            "kind": KIND_LABELS.get(f.kind, f.kind),
            "open_leg": _leg(scope, f.open_leg),
            "refused_leg": _leg(scope, f.refused_leg),
            "entry": _listed(scope, f.entry),
            "pending": _listed(scope, f.pending),
            "make_url": _make_url(result.person, f)
            if can_make and f.entry is None and f.pending is None
            else "",
        }
        for f in result.findings
    ]


@login_required
@require_GET
def precheck(request):
    """退休一件事 账户预校验: any window asks, for a person and the benefit place, whether
    other-province accounts still hold paid, uncleared months (查询存在外省市缴费记录)."""
    scope = scope_for(request.user)
    scope.require("whitelist.precheck")
    id_number = request.GET.get("id_number", "").strip()[:24]
    region = request.GET.get("region", "").strip()[:6] or (scope.province or "")
    context = {
        "id_number": id_number,
        "region": region,
        "provinces": region_children(),
        "errors": {},
        "result": None,
    }
    if not id_number:
        return render(request, "whitelist/precheck.html", context)
    number, problem = _id_number(id_number)
    errors = {"id_number": problem} if problem else {}
    if not REGION_CODE.fullmatch(region) or not Region.objects.filter(code=region).exists():
        errors["region"] = "请选择待遇领取地。"
    person = None
    if not errors:
        person = Person.objects.filter(id_number=number).first()
        if person is None:
            errors["id_number"] = "未找到该社会保障号码对应的参保人员。"
    if errors:
        return render(request, "whitelist/precheck.html", context | {"errors": errors})
    result = selectors.precheck(person=person, benefit_province=region)
    return render(
        request,
        "whitelist/precheck.html",
        context
        | {
            "id_number": number,
            "result": result,
            "rows": _finding_rows(scope, result),
            "can_list": scope.can("whitelist.view", [result.benefit_province.code]),
            "rule": services.WAIVER_RULE,
        },
    )


# --- 白名单维护 (the window form) ---------------------------------------------------------------


def _require_admin(scope: Scope) -> None:
    if not scope.can("whitelist.make"):
        raise NotAllowed("只有本省业务管理员可以在窗口办理“白名单维护”。")


def _choices(result: selectors.Precheck) -> list[dict]:
    names = place_names(f.account.region_id for f in result.findings)
    return [
        {
            "key": account_key(f.account.region_id, f.account.scheme),
            "finding": f,
            "place": names.get(f.account.region_id, f.account.region_id),
            "scheme": _label(Scheme, f.account.scheme),
            "status": _label(AccountStatus, f.account.status),
            "listed": f.entry or f.pending,
        }
        for f in result.findings
    ]


def _preselected(choices: list[dict], region: str, scheme: str) -> str:
    """The account the pre-check's link named (by its place or province, and scheme)."""
    matches = [
        c
        for c in choices
        if not c["listed"]
        and region in (c["finding"].account.region_id, c["finding"].account.province_id)
        and (not scheme or c["finding"].account.scheme == scheme)
    ]
    return matches[0]["key"] if len(matches) == 1 else ""


def _summary(errors: dict[str, list[str]]) -> list[dict]:
    order = list(FIELD_LABELS)
    return [
        {"key": key, "label": FIELD_LABELS.get(key, ""), "message": message}
        for key in sorted(errors, key=lambda k: order.index(k) if k in order else len(order))
        for message in errors[key]
    ]


def _refused(refused: ApplicationError) -> tuple[dict[str, list[str]], str]:
    """A service's refusal as the form's errors: beside its field, or on top when it names none
    of the form's (a suspended module, a conflict, the channel)."""
    errors: dict[str, list[str]] = {}
    for name, found in refused.fields.items():
        key = SERVICE_FIELDS.get(name, name)
        if key in FIELD_LABELS:
            errors.setdefault(key, []).extend(found)
    return errors, "" if errors else refused.message


def _search_page(request, scope: Scope, id_number: str, error: str = ""):
    return render(
        request,
        "whitelist/new.html",
        {
            "id_number": id_number,
            "error": error,
            "person": None,
            "province": _province(scope),
            "rule": services.WAIVER_RULE,
        },
    )


def _province(scope: Scope) -> str:
    region = Region.objects.filter(code=scope.province or "").first()
    return region.name if region else ""


def _form_page(request, scope, *, person, result, values, errors=None, general=""):
    errors = errors or {}
    return render(
        request,
        "whitelist/new.html",
        {
            "person": person,
            "province": result.benefit_province.name,
            "choices": _choices(result),
            "reasons": REASONS,
            "values": values,
            "errors": errors,
            "general": general,
            "summary": _summary(errors),
            "posted": request.method == "POST",
            "rule": services.WAIVER_RULE,
            "refused_reason": Reason.OUT_REFUSED_NO_RECORDS.value,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_new(request):
    """白名单维护 at the window (线下办理), by an admin of the benefit province: one account of
    the person's pre-check, the reason and the evidence. An error re-shows everything typed (the
    file excepted: a browser cannot be given it back), each message beside its field."""
    scope = scope_for(request.user)
    _require_admin(scope)
    source = request.POST if request.method == "POST" else request.GET
    id_number = source.get("id_number", "").strip()[:24]
    if not id_number:
        return _search_page(request, scope, "")
    number, problem = _id_number(id_number)
    if problem:
        return _search_page(request, scope, id_number, problem)
    person = Person.objects.filter(id_number=number).first()
    if person is None:
        return _search_page(request, scope, number, "未找到该社会保障号码对应的参保人员。")
    result = selectors.precheck(person=person, benefit_province=scope.province)
    page = {"person": person, "result": result}
    if request.method == "GET":
        reason = request.GET.get("reason", "")
        values = {
            "account": _preselected(
                _choices(result), request.GET.get("region", ""), request.GET.get("scheme", "")
            ),
            "reason": reason if reason in Reason.values else "",
            "transfer_no": request.GET.get("transfer_no", "")[:52],
        }
        return _form_page(request, scope, **page, values=values)

    form = EntryForm(
        request.POST,
        request.FILES,
        accounts=[account_key(f.account.region_id, f.account.scheme) for f in result.findings],
    )
    errors, general = {}, ""
    if not form.is_valid():
        errors = {key: list(found) for key, found in form.errors.items()}
    else:
        data = form.cleaned_data
        region, scheme = form.place()
        try:
            entry = services.entry_make(
                actor=request.user,
                id_number=person.id_number,
                region=region,
                scheme=scheme,
                reason=data["reason"],
                evidence=data["evidence"],
                evidence_file=data["evidence_file"],
                channel=Channel.WINDOW,
                transfer_no=data["transfer_no"],
            )
        except ApplicationError as refused:
            errors, general = _refused(refused)
        else:
            messages.success(
                request,
                f"已受理白名单维护 {entry.entry_no}，待本省审核人员（非经办人）审核通过后生效。",
            )
            return redirect("whitelist-entry", entry_no=entry.entry_no)
    return _form_page(request, scope, **page, values=request.POST, errors=errors, general=general)


# --- the entry page ---------------------------------------------------------------------------


def _checker(scope: Scope, entry: WhitelistEntry) -> bool:
    """Whether this user checks the entry's province's pending entries (maker or not)."""
    return entry.status == EntryStatus.PENDING and scope.can(
        "whitelist.check", [entry.benefit_province_id]
    )


def _actions(scope: Scope, entry: WhitelistEntry, user) -> set[str]:
    """What this user may do to the entry now (the services check again): never check an entry
    of one's own making."""
    actions = set()
    if _checker(scope, entry) and entry.maker_id != user.pk:
        actions |= {"approve", "reject"}
    if entry.status == EntryStatus.APPROVED and scope.can(
        "whitelist.revoke", [entry.benefit_province_id]
    ):
        actions.add("revoke")
    return actions


@login_required
def entry_detail(request, entry_no: str):
    scope = scope_for(request.user)
    entry = selectors.entry_get(scope=scope, entry_no=entry_no)
    account = entry.account
    leg = entry.refused_leg
    return render(
        request,
        "whitelist/entry.html",
        {
            "entry": entry,
            "tone": STATUS_TONE.get(entry.status, "info"),
            "place": place_names([account.region_id]).get(account.region_id, account.region_id),
            "scheme": _label(Scheme, account.scheme),
            "account_status": _label(AccountStatus, account.status),
            "paid_months": account.months.filter(cleared=False).count(),
            "channel": _label(Channel, entry.channel),
            "refused_leg": _leg(scope, leg),
            "timeline": selectors.with_timelines([entry])[0].timeline,
            "actions": _actions(scope, entry, request.user),
            "own_entry": _checker(scope, entry) and entry.maker_id == request.user.pk,
            "can_precheck": scope.can("whitelist.precheck"),
        },
    )


@login_required
@require_GET
def evidence_download(request, entry_no: str):
    """The scanned evidence, opened by whoever may see the entry; every opening is recorded."""
    entry, document = services.entry_evidence_open(actor=request.user, entry_no=entry_no)
    return document_response(
        document, content_type=entry.evidence_content_type, name=f"证明材料-{entry.entry_no}"
    )


@dataclass(frozen=True)
class Action:
    """One action of the entry page: its service, the POST field it takes (the service checks
    it) under the service's argument name, and its success message."""

    service: Callable
    done: Callable[[WhitelistEntry], str]
    field: str = ""


ACTIONS = {
    "approve": Action(
        services.entry_approve,
        lambda e: f"已审核通过，白名单 {e.entry_no} 生效：该参保关系不再影响本省退休预校验。",
    ),
    "reject": Action(
        services.entry_reject,
        lambda e: f"已审核不通过，白名单 {e.entry_no} 不生效。",
        "note",
    ),
    "revoke": Action(
        services.entry_revoke,
        lambda e: f"已撤销白名单 {e.entry_no}：该参保关系重新计入退休预校验。",
        "reason",
    ),
}


@login_required
@require_POST
def entry_action(request, entry_no: str, action: str):
    todo = ACTIONS[action]
    values = {todo.field: request.POST.get(todo.field, "")[:500]} if todo.field else {}
    try:
        entry = todo.service(actor=request.user, entry_no=entry_no, **values)
    except NotFound:
        raise  # no entry page to go back to: the error page says so
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, todo.done(entry))
    return redirect("whitelist-entry", entry_no=entry_no)


# --- the list and the worklist ----------------------------------------------------------------


def _rows(entries, user) -> list[dict]:
    names = place_names(e.account.region_id for e in entries)
    return [
        {
            "entry": e,
            "name": mask_name(e.person.name),
            "id_number": mask_id_number(e.person.id_number),
            "place": names.get(e.account.region_id, e.account.region_id),
            "scheme": _label(Scheme, e.account.scheme),
            "tone": STATUS_TONE.get(e.status, "info"),
            "own": e.maker_id == user.pk,
        }
        for e in entries
    ]


@login_required
def entry_list(request):
    """白名单查询: the entries of the user's benefit province, by ID number and status."""
    scope = scope_for(request.user)
    id_number = request.GET.get("id_number", "").strip()[:24]
    status = request.GET.get("status", "")
    status = status if status in EntryStatus.values else ""
    error = ""
    if id_number:
        id_number, error = _id_number(id_number)
    entries = selectors.entry_list(
        scope=scope, status=status or None, id_number="" if error else id_number
    )
    if error:
        entries = entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "whitelist/list.html",
        {
            "id_number": id_number,
            "status": status,
            "statuses": EntryStatus.choices,
            "error": error,
            "page": page,
            "rows": _rows(list(page), request.user),
            "query": f"{urlencode({'id_number': id_number, 'status': status})}&",
            "can_make": scope.can("whitelist.make"),
        },
    )


@login_required
def worklist(request):
    """待审核白名单: pending entries of the province, oldest first."""
    scope = scope_for(request.user)
    entries = selectors.entry_list(scope=scope, status=EntryStatus.PENDING).order_by("id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "whitelist/worklist.html",
        {
            "page": page,
            "rows": _rows(list(page), request.user),
            "can_check": scope.can("whitelist.check"),
        },
    )
