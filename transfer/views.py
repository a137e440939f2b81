"""Staff pages of the transfer workflow: the window's new application and its receipt, the
worklists of reviewers and finance, the case page with its actions (both models), the printable
contact letter (联系函), material downloads and the progress query.

Views parse, call one service or selector, and render; a refused action comes back as a message
on the case page, a refused page as the error page (common.middleware)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import ApplicationError, Conflict, NotAllowed, NotFound
from common.files import document_response
from common.masking import mask_id_number, mask_name
from common.money import fen_to_yuan, round_fen
from common.scope import Role, Scope, scope_for
from registry.models import AccountStatus, AccountType, Identity, Region, Scheme
from registry.selectors import region_children
from transfer import selectors, services
from transfer.forms import (
    FIELD_LABELS,
    ApplicationForm,
    OutRow,
    PlacePick,
    ReceiveForm,
    RemitForm,
    out_rows,
    read_materials,
    yuan_input,
)
from transfer.funds import FundRule, fund_rule
from transfer.materials import Upload
from transfer.models import (
    ApplicantKind,
    Channel,
    ContactLetter,
    Mode,
    RefuseCode,
    Remittance,
    Status,
    TransferLeg,
)

PAGE_SIZE = 50

STATUS_TONE = {
    Status.SUBMITTED: "info",
    Status.ELIGIBLE: "info",
    Status.LETTER_ISSUED: "info",
    Status.INFO_UPLOADED: "warn",
    Status.INFO_ACCEPTED: "warn",
    Status.FUNDS_REMITTED: "warn",
    Status.COMPLETED: "ok",
    Status.REJECTED: "danger",
    Status.REFUSED: "danger",
    Status.WITHDRAWN: "muted",
}


# Short names for lists and for the routing shown on the form.
SCHEME_SHORT = {
    Scheme.ENTERPRISE: "企业职工",
    Scheme.INSTITUTION: "机关事业单位",
    Scheme.RESIDENT: "城乡居民",
}


def _scheme_label(value: str) -> str:
    return Scheme(value).label if value in Scheme.values else value


def _schemes_short(out_scheme: str, in_scheme: str) -> str:
    return f"{SCHEME_SHORT.get(out_scheme, out_scheme)} → {SCHEME_SHORT.get(in_scheme, in_scheme)}"


def _mode_label(mode: str) -> str:
    return Mode(mode).label if mode in Mode.values else mode


# --- the new application (新建转移申请) --------------------------------------------------------


def _picker(prefix: str, label: str, pick: PlacePick, provinces: list[Region]) -> dict:
    """The options of one province → city → county group for `pick` (a municipality's
    districts sit directly under the province: no city select then)."""
    cities, counties = [], []
    if pick.province:
        below = list(region_children(parent=pick.province))
        if below and below[0].level == Region.Level.COUNTY:
            counties = below
        else:
            cities = below
            if pick.city:
                counties = list(region_children(parent=pick.city))
    return {
        "prefix": prefix,
        "label": label,
        "pick": pick,
        "provinces": provinces,
        "cities": cities,
        "counties": counties,
    }


def _office_region(user) -> Region | None:
    office = getattr(getattr(user, "staff", None), "office", None)
    return office.region if office is not None else None


def _summary(errors: dict[str, list[str]], rows: list[OutRow]) -> list[dict]:
    """Every error, labelled, in the order of the form, for the summary at its top."""
    labels = {}
    for key, label in FIELD_LABELS.items():
        labels[key] = label
        if key == "outs":
            labels |= {row.key: f"第{n}个转出地" for n, row in enumerate(rows, 1)}
    order = list(labels)
    return [
        {"key": key, "label": labels.get(key, ""), "message": message}
        for key in sorted(errors, key=lambda k: order.index(k) if k in order else len(order))
        for message in errors[key]
    ]


@dataclass
class _Submission:
    """The POSTed form, read and checked for shape; `errors` keyed as the page shows them."""

    form: ApplicationForm
    in_place: PlacePick
    rows: list[OutRow]
    uploads: list[Upload]
    errors: dict[str, list[str]]

    @classmethod
    def read(cls, request) -> _Submission:
        form = ApplicationForm(request.POST)
        in_place = PlacePick.from_post(request.POST, "in")
        rows = out_rows(request.POST)
        errors = {key: list(messages_) for key, messages_ in form.errors.items()}
        if problem := in_place.problem("转入地"):
            errors["in_region"] = [problem]
        for row in rows:
            if not row.blank and (problem := row.place.problem("转出地")):
                errors[row.key] = [problem]
        if all(row.blank for row in rows):
            errors["outs"] = ["请至少添加一个转出地。"]
        agent = request.POST.get("applicant_kind") == ApplicantKind.AGENT
        uploads, file_errors = read_materials(request.FILES, agent=agent)
        return cls(form, in_place, rows, uploads, errors | file_errors)

    def submit(self, actor):
        data = self.form.cleaned_data
        return services.application_submit(
            actor=actor,
            id_number=data["id_number"],
            name=data["name"],
            phone=data["phone"],
            hukou_address=data["hukou_address"],
            in_scheme=data["in_scheme"],
            in_region=self.in_place.code,
            outs=[
                services.Out(scheme=row.scheme, region=row.place.code)
                for row in self.rows
                if not row.blank
            ],
            channel=Channel.WINDOW,
            manual=data["manual"],
            applicant=self.form.agent,
            uploads=self.uploads,
        )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request):
    """新建转移申请 at the window. An error re-shows everything typed (files excepted: a
    browser cannot be given them back), each message beside its field and all of them on top."""
    scope = scope_for(request.user)
    if not (scope.has_role(Role.CLERK) and scope.can("transfer.apply")):
        raise NotAllowed("只有窗口经办人员可以受理转移申请。")
    if request.method == "GET":
        return _application_page(
            request,
            values={"in_scheme": Scheme.ENTERPRISE, "applicant_kind": ApplicantKind.SELF},
            in_place=PlacePick.of(_office_region(request.user)),
            rows=[],
        )
    submission = _Submission.read(request)
    errors, general = submission.errors, ""
    if not errors:
        try:
            application = submission.submit(request.user)
        except ApplicationError as refused:
            errors = dict(refused.fields)
            general = "" if refused.fields else refused.message
        else:
            messages.success(request, f"已受理，申请编号 {application.application_no}。")
            return redirect("transfer-receipt", application_no=application.application_no)
    return _application_page(
        request,
        values=request.POST,
        in_place=submission.in_place,
        rows=submission.rows,
        errors=errors,
        general=general,
    )


def _route(out_scheme: str, in_scheme: str, manual: bool) -> str:
    """The model a place of the form will follow ("" while a scheme is not a valid choice)."""
    if out_scheme not in Scheme.values or in_scheme not in Scheme.values:
        return ""
    return services.route(out_scheme, in_scheme, manual)


def _application_page(request, *, values, in_place, rows, errors=None, general=""):
    """The form as typed, each outgoing place with the model it will follow (services.route,
    repeated in the browser by static/transfer/routing.js as the clerk changes a scheme), and
    the notices of the traditional model: accepted only at an office of the incoming province."""
    errors = errors or {}
    rows = rows or [OutRow(0, Scheme.ENTERPRISE, PlacePick())]
    provinces = list(region_children())
    manual = bool(values.get("manual"))
    routes = [_route(row.scheme, values.get("in_scheme", ""), manual) for row in rows]
    office_province = scope_for(request.user).province or ""
    traditional = Mode.TRADITIONAL in routes
    return render(
        request,
        "transfer/application_new.html",
        {
            "values": values,
            "errors": errors,
            "general": general,
            "summary": _summary(errors, rows),
            "schemes": Scheme.choices,
            "in_picker": _picker("in", "转入地", in_place, provinces),
            "out_rows": [
                {
                    "row": row,
                    "picker": _picker(row.key, "转出地", row.place, provinces),
                    "errors": errors.get(row.key, []),
                    "route": route,
                    "route_label": _mode_label(route) if route else "",
                }
                for row, route in zip(rows, routes, strict=True)
            ],
            "office_province": office_province,
            "routing": {
                "traditional": traditional,
                "elsewhere": traditional
                and bool(in_place.province)
                and in_place.province != office_province,
            },
            "next_out_index": max(row.index for row in rows) + 1,
            "blank_picker": _picker("out-__i__", "转出地", PlacePick(), provinces),
            "max_outs": services.MAX_OUTS,
            "labels": {
                "schemes": dict(Scheme.choices),
                "statuses": dict(AccountStatus.choices),
                "types": dict(AccountType.choices),
            },
        },
    )


@login_required
def application_receipt(request, application_no: str):
    application = selectors.application_get(
        scope=scope_for(request.user), application_no=application_no
    )
    legs = list(application.legs.all())
    names = selectors.place_names([application.in_region_id] + [leg.out_region_id for leg in legs])
    return render(
        request,
        "transfer/receipt.html",
        {
            "application": application,
            "in_place": names.get(application.in_region_id, application.in_region_id),
            "legs": [
                {
                    "leg": leg,
                    "out_place": names.get(leg.out_region_id, leg.out_region_id),
                    "out_scheme": _scheme_label(leg.out_scheme),
                    "tone": STATUS_TONE.get(leg.status, "info"),
                }
                for leg in legs
            ],
            "any_traditional": any(leg.mode == Mode.TRADITIONAL for leg in legs),
            "step_days": settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS,
            "in_scheme": _scheme_label(application.in_scheme),
        },
    )


# --- worklists (selectors.WORKLISTS) ------------------------------------------------------------

WORKLIST_HINTS = {
    "review": "传统模式：审核转入本省的申请，开具联系函，或审核不通过并说明原因。",
    "outgoing": (
        "定期清算模式经部级平台校验通过、传统模式已收到转入地联系函的业务：上传信息表或不予受理。"
    ),
    "incoming": "转出地已上传信息表：定期清算模式确认办结，传统模式接收信息表；有误的退回。",
    "remit": "传统模式：转入地已接收信息表，按信息表合计划转基金并登记银行凭证号。",
    "receive": "传统模式：转出地已划转基金，核对到账金额与信息表合计一致后确认到账，业务办结。",
}


def _side(work: selectors.Worklist) -> str:
    return "作为转出地" if work.province_field == "out_province_id" else "作为转入地"


@login_required
def worklist(request, name: str):
    scope = scope_for(request.user)
    q = request.GET.get("q", "").strip()[:44]
    overdue_only = request.GET.get("overdue") == "1"
    legs = selectors.worklist(scope=scope, name=name, q=q, overdue=True if overdue_only else None)
    page = Paginator(legs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    if name in ("remit", "receive"):  # the sheet's total, the remittance: same queries any page
        rows = selectors.with_details(rows)
    names = selectors.place_names(
        {leg.out_region_id for leg in rows} | {leg.application.in_region_id for leg in rows}
    )
    work = selectors.WORKLISTS[name]
    return render(
        request,
        "transfer/worklist.html",
        {
            "name": name,
            "title": work.label,
            "hint": WORKLIST_HINTS[name],
            "tab_labels": {
                key: f"{other.label}（{_side(other)}）"
                for key, other in selectors.WORKLISTS.items()
            },
            # nine columns in every list; each but "review" adds one (the mode, or the money)
            "columns": 9 if name == "review" else 10,
            "page": page,
            "rows": [
                {
                    "leg": leg,
                    "id_number": mask_id_number(leg.application.person.id_number),
                    "name": mask_name(leg.application.name),
                    "out_place": names.get(leg.out_region_id, leg.out_region_id),
                    "in_place": names.get(leg.application.in_region_id, ""),
                    "schemes": _schemes_short(leg.out_scheme, leg.application.in_scheme),
                    "sheet": getattr(leg, "current_sheet", None),
                    "remittance": getattr(leg, "current_remittance", None),
                }
                for leg in rows
            ],
            "q": q,
            "overdue_only": overdue_only,
        },
    )


# --- the case page -----------------------------------------------------------------------------


@dataclass
class SheetYear:
    year: str
    months: int = 0
    pooled_months: int = 0
    base_fen: int = 0
    pooled: Decimal = Decimal(0)
    identities: set[str] = field(default_factory=set)
    rates: set[str] = field(default_factory=set)

    @property
    def pooled_fen(self) -> int | None:
        """Display only (one rounding per year); the sheet's own total is authoritative."""
        return round_fen(self.pooled) if self.pooled_months else None

    @property
    def identity_labels(self) -> str:
        return "、".join(_identity_label(i) for i in sorted(self.identities))

    @property
    def rate_labels(self) -> str:
        return "、".join(_percent(r) for r in sorted(self.rates))


def _identity_label(value: str) -> str:
    return str(Identity(value).label) if value in Identity.values else value


def _percent(rate: str) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"


def _sheet_tables(sheet) -> tuple[list[SheetYear], list[dict]]:
    """The sheet's month rows [month, identity, base_fen, rate or "", pooled] as a summary by
    year and as display rows."""
    years: dict[str, SheetYear] = {}
    months = []
    duplicates = set(sheet.duplicate_months)
    for month, identity, base_fen, rate, pooled in sheet.detail:
        year = years.setdefault(month[:4], SheetYear(month[:4]))
        year.months += 1
        year.base_fen += base_fen
        year.identities.add(identity)
        if rate:
            year.pooled_months += 1
            year.pooled += Decimal(pooled)
            year.rates.add(rate)
        months.append(
            {
                "month": month,
                "identity": _identity_label(identity),
                "base_fen": base_fen,
                "rate": _percent(rate) if rate else "",
                "pooled_fen": round_fen(Decimal(pooled)) if rate else None,
                "duplicate": month in duplicates,
            }
        )
    return list(years.values()), months


def _actions(scope: Scope, leg: TransferLeg) -> set[str]:
    """What this user may do to the leg now (the services check again)."""
    actions = set()
    traditional = leg.mode == Mode.TRADITIONAL
    incoming = scope.can("transfer.incoming", [leg.in_province_id])
    if traditional and leg.status == Status.SUBMITTED and incoming:
        actions |= {"issue-letter", "reject"}
    awaiting_sheet = Status.LETTER_ISSUED if traditional else Status.ELIGIBLE
    if leg.status == awaiting_sheet and scope.can("transfer.outgoing", [leg.out_province_id]):
        actions |= {"info-sheet", "refuse"}
    if leg.status == Status.INFO_UPLOADED and incoming:
        actions |= {"confirm", "return"}
    if (
        traditional
        and leg.status == Status.INFO_ACCEPTED
        and scope.can("transfer.remit", [leg.out_province_id])
    ):
        actions.add("remit")
    if (
        traditional
        and leg.status == Status.FUNDS_REMITTED
        and scope.can("transfer.receive", [leg.in_province_id])
    ):
        actions.add("receive")
    if (
        leg.status in (Status.SUBMITTED, Status.ELIGIBLE, Status.LETTER_ISSUED)
        and scope.has_role(Role.CLERK)
        and scope.office_code == leg.application.accepting_office.code
    ):
        actions.add("withdraw")
    if (
        not traditional
        and leg.status in (Status.SUBMITTED, Status.REJECTED)
        and scope.can("transfer.recheck")
    ):
        actions.add("recheck")
    return actions


def _month(day) -> str:
    return f"{day.year}年{day.month}月"


@dataclass(frozen=True)
class RuleView:
    """The fund rule of a scheme pair (transfer.funds.FUND_RULES), in words."""

    rule: FundRule

    @property
    def parts(self) -> str:
        if self.rule.pooled_from is None:
            return "只转移个人账户储存额，不转移统筹基金"
        return (
            f"转移个人账户储存额，及{_month(self.rule.pooled_from)}起各月缴费基数12%的统筹基金"
            "（临时账户按高于12%的单位缴费比例）"
        )

    @property
    def months(self) -> str:
        if self.rule.months_merge:
            return "缴费年限合并计算（缴费记录随同转入）"
        return "缴费年限不合并、不折算（缴费记录保留在原参保关系）"

    @property
    def pooled_from(self) -> str:
        return _month(self.rule.pooled_from) if self.rule.pooled_from else ""

    @property
    def source(self) -> str:
        return self.rule.source


def _rule_of(leg: TransferLeg) -> RuleView:
    return RuleView(fund_rule(leg.out_scheme, leg.application.in_scheme))


def _refusal(leg: TransferLeg) -> dict | None:
    if leg.status != Status.REFUSED:
        return None
    notes = [e["note"] for e in leg.timeline if e["action"] == "refuse"]
    code = leg.refuse_code
    return {
        "label": RefuseCode(code).label if code in RefuseCode.values else code,
        "note": notes[-1] if notes else "",
    }


def _leg_view(leg: TransferLeg, names: dict[str, str]) -> dict:
    return {
        "leg": leg,
        "traditional": leg.mode == Mode.TRADITIONAL,
        "out_place": names.get(leg.out_region_id, leg.out_region_id),
        "in_place": names.get(leg.application.in_region_id, leg.application.in_region_id),
        "out_scheme": _scheme_label(leg.out_scheme),
        "in_scheme": _scheme_label(leg.application.in_scheme),
        "tone": STATUS_TONE.get(leg.status, "info"),
        "refusal": _refusal(leg),
        "timeline": [
            {**entry, "status_label": Status(entry["status"]).label} for entry in leg.timeline
        ],
    }


@login_required
def case(request, transfer_no: str):
    scope = scope_for(request.user)
    leg = selectors.leg_get(scope=scope, transfer_no=transfer_no)
    names = selectors.place_names([leg.out_region_id, leg.application.in_region_id])
    sheet = leg.current_sheet
    years, months = _sheet_tables(sheet) if sheet is not None else ([], [])
    # The incoming reviewer of a traditional application sees the platform's rules as advice.
    reviewing = (
        leg.mode == Mode.TRADITIONAL
        and leg.status == Status.SUBMITTED
        and scope.can("transfer.incoming", [leg.in_province_id])
    )
    return render(
        request,
        "transfer/case.html",
        {
            **_leg_view(leg, names),
            "application": leg.application,
            "sheet": sheet,
            "years": years,
            "sheet_months": months,
            "letter": leg.contact_letter,
            "remittance": leg.current_remittance,
            "rule": _rule_of(leg),
            "materials": selectors.materials_of(scope=scope, leg=leg),
            "actions": _actions(scope, leg),
            "reviewing": reviewing,
            "review_hints": selectors.review_hints(leg) if reviewing else [],
            "refuse_codes": RefuseCode.choices,
            "remit_amount": yuan_input(sheet.total_fen) if sheet is not None else "",
            "step_days": settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS,
        },
    )


# --- the contact letter (联系函), printable ----------------------------------------------------


def _letter_title(out_scheme: str, in_scheme: str) -> str:
    """Between the employees' schemes and the resident scheme it is the 城乡衔接 letter (人社部发
    〔2014〕17号); otherwise the transfer letter of the 2009 rules."""
    if (out_scheme == Scheme.RESIDENT) != (in_scheme == Scheme.RESIDENT):
        return "城乡养老保险制度衔接联系函"
    return "基本养老保险关系转移接续联系函"


@login_required
def letter(request, transfer_no: str):
    """The contact letter as an A4 page to print: seen by whoever may see the case."""
    leg = selectors.leg_get(scope=scope_for(request.user), transfer_no=transfer_no)
    contact: ContactLetter | None = leg.contact_letter
    if contact is None:
        raise Conflict(
            f"转移业务 {leg.transfer_no} 尚未开具联系函，没有可打印的联系函。", code="NO_LETTER"
        )
    application = leg.application
    names = selectors.place_names([leg.out_region_id, application.in_region_id])
    return render(
        request,
        "transfer/letter.html",
        {
            "leg": leg,
            "letter": contact,
            "application": application,
            "title": _letter_title(leg.out_scheme, application.in_scheme),
            "out_place": names.get(leg.out_region_id, leg.out_region_id),
            "in_place": names.get(application.in_region_id, application.in_region_id),
            "out_scheme": _scheme_label(leg.out_scheme),
            "in_scheme": _scheme_label(application.in_scheme),
            "rule": _rule_of(leg),
            "step_days": settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS,
        },
    )


# --- the actions on a leg (one small view each) ----------------------------------------------


def _done_info_sheet(sheet) -> str:
    total = fen_to_yuan(sheet.total_fen)
    return f"信息表（第{sheet.version}版）已生成并上传，转移金额合计 {total} 元。"


def _done_confirm(leg: TransferLeg) -> str:
    if leg.status == Status.COMPLETED:
        return "已确认办结，参保关系已转入本地。"
    return "已接收信息表，待转出地按信息表合计划转基金。"


def _done_remit(remittance: Remittance) -> str:
    amount = fen_to_yuan(remittance.amount_fen)
    return f"已登记基金划转 {amount} 元，银行凭证号 {remittance.voucher_no}。"


@dataclass(frozen=True)
class Action:
    """One action of the case page: its service, what it takes from the POST — plain fields
    (the service checks them) or a form (money typed in 元) — and its success message."""

    service: Callable
    done: Callable[[object], str]
    fields: tuple[str, ...] = ()
    form: type[forms.Form] | None = None


ACTIONS = {
    # URL segment (as the API's actions): the action
    "issue-letter": Action(
        services.leg_issue_letter,
        done=lambda letter: f"已开具联系函 {letter.letter_no}，请转出地上传信息表。",
    ),
    "reject": Action(services.leg_reject, lambda leg: "已审核不通过。", ("note",)),
    "info-sheet": Action(services.leg_upload_info_sheet, _done_info_sheet, ("note",)),
    "refuse": Action(services.leg_refuse, lambda leg: "已不予受理。", ("code", "note")),
    "confirm": Action(services.leg_confirm, _done_confirm),
    "return": Action(services.leg_return, lambda leg: "已退回转出地重新上传信息表。", ("note",)),
    "remit": Action(services.leg_remit, done=_done_remit, form=RemitForm),
    "receive": Action(
        services.leg_receive,
        done=lambda leg: "已确认到账，业务办结，参保关系已转入本地。",
        form=ReceiveForm,
    ),
    "withdraw": Action(services.leg_withdraw, lambda leg: "已撤回该转移申请。", ("note",)),
    "recheck": Action(
        services.leg_recheck, lambda leg: f"已重新校验，结果：{leg.get_status_display()}。"
    ),
}


def _first_error(form: forms.Form) -> str:
    return next(iter(form.errors.values()))[0]


@login_required
@require_POST
def leg_action(request, transfer_no: str, action: str):
    todo = ACTIONS[action]
    if todo.form is not None:
        form = todo.form(request.POST)
        if not form.is_valid():
            messages.error(request, _first_error(form))
            return redirect("transfer-case", transfer_no=transfer_no)
        values = form.arguments()
    else:
        values = {name: request.POST.get(name, "")[:500] for name in todo.fields}
    try:
        result = todo.service(actor=request.user, transfer_no=transfer_no, **values)
    except NotFound:
        raise  # no case page to go back to: the error page says so
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, todo.done(result))
    return redirect("transfer-case", transfer_no=transfer_no)


# --- materials ---------------------------------------------------------------------------------


@login_required
def material_download(request, material_id: int):
    material = services.material_open(actor=request.user, material_id=material_id)
    return document_response(
        material.file.open("rb"),
        content_type=material.content_type,
        name=material.get_kind_display(),
    )


# --- 进度查询 ----------------------------------------------------------------------------------


@login_required
def progress(request):
    scope = scope_for(request.user)
    scope.require("transfer.view")
    id_number = request.GET.get("id_number", "").strip()[:24]
    legs, error = None, ""
    if id_number:
        try:
            legs = selectors.progress(scope=scope, id_number=id_number)
        except ValidationError as bad:
            error = bad.messages[0]
    views = []
    if legs:
        names = selectors.place_names(
            {leg.out_region_id for leg in legs} | {leg.application.in_region_id for leg in legs}
        )
        views = [_leg_view(leg, names) for leg in legs]
    return render(
        request,
        "transfer/progress.html",
        {"id_number": id_number, "error": error, "searched": legs is not None, "legs": views},
    )
