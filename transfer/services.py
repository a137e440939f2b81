"""Every write of the transfer workflow (DESIGN.md §4, API.md "Transfers").

Each service is one transaction: it loads the leg with a row lock, checks role and province,
checks the state (409 otherwise), calls the thin transition, saves, and does the rest — the
information sheet, the move of history and balance, the clearing obligation, the next deadline,
the queued eligibility check. A stale concurrent writer ends in `Conflict` (409), never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from clearing.services import obligation_record_for_leg
from common import fsm
from common.audit import audit_record
from common.errors import (
    ApplicationError,
    Conflict,
    NotAllowed,
    NotFound,
    invalid,
    reference_no,
)
from common.masking import mask_id_number
from common.money import fen_to_yuan
from common.scope import Role, province_of, scope_for
from registry.models import AccountStatus, InsuranceAccount, ModuleSwitch, Person, Region, Scheme
from registry.services import module_ensure_open
from registry.validators import validate_id_number
from registry.workdays import add_working_days
from transfer import eligibility, selectors
from transfer.funds import compute_funds, fund_rule
from transfer.materials import MAX_BYTES, Upload, material_store, upload_check
from transfer.models import (
    OPEN_STATUSES,
    ApplicantKind,
    Application,
    Channel,
    ContactLetter,
    InfoSheet,
    Material,
    Mode,
    RefuseCode,
    Remittance,
    Status,
    TransferLeg,
)

MAX_OUTS = 10
PHONE = re.compile(r"[0-9+\-]{7,20}")
PLATFORM_OFFICE = {"office": "MOH", "office_name": "人社部全国转移接续平台"}


# --- transitions ------------------------------------------------------------------------------


def _transition(leg: TransferLeg, name: str, actor, note: str = "", **kwargs) -> None:
    fsm.transition(leg, name, actor, note, system=PLATFORM_OFFICE, **kwargs)


def _step_days(mode: str) -> int:
    if mode == Mode.TRADITIONAL:
        return settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS
    return settings.TRANSFER_STEP_WORKING_DAYS


def _step_deadline(leg: TransferLeg, start: date | None = None) -> None:
    leg.deadline = add_working_days(start or timezone.localdate(), _step_days(leg.mode)).due
    leg.overdue = False


def _lock_leg(transfer_no: str) -> TransferLeg:
    leg = (
        TransferLeg.objects.select_for_update(of=("self",))
        .select_related("application", "application__accepting_office", "out_account")
        .filter(transfer_no=transfer_no)
        .first()
    )
    if leg is None:
        raise NotFound(f"未找到转移编号为“{transfer_no}”的业务。")
    return leg


def _require_mode(leg: TransferLeg, mode: str) -> None:
    if leg.mode != mode:
        raise Conflict(
            f"该业务为{Mode(leg.mode).label}，不能办理此操作。",
            code="WRONG_MODE",
            extra={"mode": leg.mode},
        )


def _require_status(leg: TransferLeg, *statuses: str) -> None:
    if leg.status not in statuses:
        raise Conflict(
            f"该业务当前状态为“{Status(leg.status).label}”，不能办理此操作。",
            code="WRONG_STATE",
            extra={"status": leg.status},
        )


# --- application -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Out:
    scheme: str
    region: str


@dataclass(frozen=True)
class Agent:
    name: str
    id_number: str
    power_of_attorney: bool


def next_number(key: str, day: date) -> int:
    """The next running number of `key` on `day`: one atomic upsert, never handed out twice.
    The system's readable numbers (applications, contact letters, refunds) all come from here."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO transfer_numbercounter (office_code, day, last) VALUES (%s, %s, 1)"
            " ON CONFLICT (office_code, day)"
            " DO UPDATE SET last = transfer_numbercounter.last + 1 RETURNING last",
            [key, day],
        )
        (number,) = cursor.fetchone()
    return number


def _next_application_no(office_code: str) -> str:
    """`110108-20261204-00017`: office, day, the office's running number of the day."""
    today = timezone.localdate()
    return f"{office_code}-{today:%Y%m%d}-{next_number(office_code, today):05d}"


def route(out_scheme: str, in_scheme: str, manual: bool) -> str:
    """Enterprise → enterprise, not manual: the periodic model; anything else: traditional."""
    periodic = out_scheme == in_scheme == Scheme.ENTERPRISE and not manual
    return Mode.PERIODIC if periodic else Mode.TRADITIONAL


def check_channel(actor, channel: str) -> None:
    """A window clerk accepts at the window; an online channel client through its channel."""
    scope = scope_for(actor)
    if channel not in Channel.values:
        raise invalid("channel", f"受理渠道“{channel}”无效。")
    if channel == Channel.WINDOW and not scope.has_role(Role.CLERK):
        raise invalid("channel", "只有窗口经办人员可以以“窗口”渠道受理。")
    if channel != Channel.WINDOW and not scope.has_role(Role.CHANNEL):
        raise invalid("channel", "窗口经办人员受理的申请，渠道应为“窗口”。")


def _regions(in_region: str, outs: list[Out]) -> tuple[Region, list[tuple[Out, Region]]]:
    """The incoming region and each outgoing place's, in one query."""
    found = Region.objects.in_bulk([in_region, *(o.region for o in outs)])
    if in_region not in found:
        raise invalid("in_region", f"区划代码“{in_region}”不存在。", "UNKNOWN_REGION")
    for out in outs:
        if out.region not in found:
            raise invalid("outs", f"区划代码“{out.region}”不存在。", "UNKNOWN_REGION")
    return found[in_region], [(o, found[o.region]) for o in outs]


@transaction.atomic
def application_submit(
    *,
    actor,
    id_number: str,
    name: str,
    phone: str,
    hukou_address: str,
    in_scheme: str,
    in_region: str,
    outs: list[Out],
    channel: str,
    manual: bool = False,
    applicant: Agent | None = None,
    uploads: list[Upload] = (),
) -> Application:
    """受理: one application, one leg per outgoing place, each routed (`route`) to the periodic
    or the traditional model. A periodic leg's eligibility check is queued to run once this
    transaction has committed; a traditional leg waits for the incoming province's review, and
    is accepted only at an office of the incoming province. `application.submitted_legs` holds
    the legs as created, in order."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    scope = scope_for(actor)
    scope.require("transfer.apply")
    check_channel(actor, channel)
    try:
        id_number = validate_id_number(id_number)
    except ValidationError as bad:
        raise invalid("id_number", bad.messages[0], bad.code) from None
    person = Person.objects.filter(id_number=id_number).first()
    if person is None:
        raise invalid("id_number", "未找到该社会保障号码对应的参保人员。", "UNKNOWN_PERSON")
    if name.strip() != person.name:
        raise invalid("name", "姓名与社会保障号码登记的姓名不一致，请核对。", "NAME_MISMATCH")
    if not PHONE.fullmatch(phone.strip()):
        raise invalid("phone", "联系电话格式不正确（7至20位数字，可含+和-）。")
    if not hukou_address.strip() or len(hukou_address.strip()) > 200:
        raise invalid("hukou_address", "请填写户籍地址（不超过200字）。")
    if in_scheme not in Scheme.values:
        raise invalid("in_scheme", f"转入险种“{in_scheme}”无效。")
    for upload in uploads:  # every file checked before anything is written or stored
        upload_check(upload)
    if not outs:
        raise invalid("outs", "请至少添加一个转出地。")
    if len(outs) > MAX_OUTS:
        raise invalid("outs", f"一次最多添加{MAX_OUTS}个转出地。")
    destination, places = _regions(in_region, outs)
    keys = [(province_of(o.region), o.scheme) for o in outs]
    if len(set(keys)) != len(keys):
        raise invalid("outs", "同一省份同一险种的转出地只能添加一次。")
    office = _office_of(actor)
    modes = [route(o.scheme, in_scheme, manual) for o in outs]
    if Mode.TRADITIONAL in modes and office.province_id != province_of(destination.code):
        raise invalid(
            "outs",
            "跨制度转移（企业与机关事业单位、城乡居民养老保险之间）及手工转移按传统模式办理，"
            "须到转入地社保经办机构办理。",
            "TRADITIONAL_AT_INCOMING_OFFICE",
        )
    if applicant is not None:
        if not applicant.name.strip():
            raise invalid("applicant", "代办须填写代办人姓名。")
        try:
            validate_id_number(applicant.id_number)
        except ValidationError as bad:
            raise invalid("applicant", f"代办人证件号码：{bad.messages[0]}") from None
        if not applicant.power_of_attorney:
            raise invalid("applicant", "代办须提供授权委托书。")

    application = Application.objects.create(
        application_no=_next_application_no(office.code),
        person=person,
        name=person.name,
        phone=phone.strip(),
        hukou_address=hukou_address.strip(),
        in_scheme=in_scheme,
        in_region=destination,
        in_province_id=province_of(destination.code),
        channel=channel,
        manual=manual,
        accepting_office=office,
        submitted_by=actor,
        applicant_kind=ApplicantKind.AGENT if applicant else ApplicantKind.SELF,
        agent_name=applicant.name.strip() if applicant else "",
        agent_id_number=applicant.id_number.strip().upper() if applicant else "",
        power_of_attorney=bool(applicant and applicant.power_of_attorney),
    )
    today = timezone.localdate()
    deadlines = {mode: add_working_days(today, _step_days(mode)).due for mode in set(modes)}
    legs = TransferLeg.objects.bulk_create(
        [
            TransferLeg(
                transfer_no=f"{application.application_no}-{n}",
                application=application,
                mode=mode,
                out_scheme=out.scheme,
                out_region=region,
                out_province_id=province_of(region.code),
                in_province_id=application.in_province_id,
                deadline=deadlines[mode],
            )
            for n, ((out, region), mode) in enumerate(zip(places, modes, strict=True), 1)
        ]
    )
    for upload in uploads:
        material_store(application=application, upload=upload, actor=actor)
    audit_record(
        actor=actor,
        action="transfer.apply",
        target=application,
        application_no=application.application_no,
        id_number=mask_id_number(id_number),
        legs=[leg.transfer_no for leg in legs],
    )
    from transfer.tasks import eligibility_check  # tasks import this module

    for leg in legs:  # a traditional leg is reviewed by the incoming province instead
        if leg.mode == Mode.PERIODIC:
            transaction.on_commit(lambda pk=leg.pk: eligibility_check.delay(pk))
    application.submitted_legs = legs  # as created: the 201 answer needs no second read
    return application


MAX_UPLOAD_READ = MAX_BYTES + 1  # one byte past the limit tells an oversized file


@transaction.atomic
def application_add_material(*, actor, application_no: str, upload: Upload) -> Material:
    """A material added after submission, by the office (or channel client) that accepted it."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    scope = scope_for(actor)
    scope.require("transfer.apply")
    application = (
        Application.objects.select_related("accepting_office")
        .filter(application_no=application_no)
        .first()
    )
    if application is None:
        raise NotFound(f"未找到申请编号为“{application_no}”的申请。")
    if not (
        scope.office_code == application.accepting_office.code
        or application.submitted_by_id == actor.pk
    ):
        raise NotAllowed("只有受理该申请的经办机构或渠道可以补充材料。")
    material = material_store(application=application, upload=upload, actor=actor, field="file")
    audit_record(actor=actor, action="transfer.material", target=material, kind=upload.kind)
    return material


def material_open(*, actor, material_id: int) -> Material:
    """A person's document is opened: allowed by scope, and recorded with who and when."""
    material = selectors.material_get(scope=scope_for(actor), material_id=material_id)
    audit_record(
        actor=actor,
        action="transfer.material.open",
        target=material,
        application_no=material.application.application_no,
        kind=material.kind,
    )
    return material


def _office_of(actor):
    office = getattr(getattr(actor, "staff", None), "office", None)
    if office is None:
        raise NotAllowed("您的账号尚未分配经办机构。")
    return office


# --- the ministry check ----------------------------------------------------------------------


def _check(leg: TransferLeg, actor) -> TransferLeg:
    # Checks of one person's legs run one at a time: DUPLICATE_APPLICATION must see the others.
    Person.objects.select_for_update().filter(pk=leg.application.person_id).get()
    facts = eligibility.gather_facts(leg)
    failures = eligibility.failed_rules(facts)
    leg.out_account = facts.out_account
    if failures:
        leg.deadline, leg.overdue = None, False
        _transition(leg, "fail_check", actor, reasons=failures)
    else:
        _step_deadline(leg)
        _transition(leg, "pass_check", actor)
    return leg


@transaction.atomic
def leg_check_eligibility(*, leg_id: int) -> TransferLeg | None:
    """The platform's automatic check after submission (the Celery task). Idempotent: a leg that
    has left `submitted` is left alone, so a retried task does nothing."""
    leg = (
        TransferLeg.objects.select_for_update(of=("self",))
        .select_related("application")
        .filter(pk=leg_id)
        .first()
    )
    if leg is None or leg.status != Status.SUBMITTED or leg.mode != Mode.PERIODIC:
        return leg
    return _check(leg, actor=None)


@transaction.atomic
def leg_recheck(*, actor, transfer_no: str) -> TransferLeg:
    """The ministry runs the check again (after the data behind a rejection was corrected)."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.recheck")
    _require_mode(leg, Mode.PERIODIC)
    _require_status(leg, Status.SUBMITTED, Status.REJECTED)
    return _check(leg, actor)


# --- the outgoing province ---------------------------------------------------------------------


def _awaiting_sheet(leg: TransferLeg) -> str:
    """Where a leg waits for the outgoing province: checked (periodic), or its contact letter
    issued (traditional)."""
    return Status.ELIGIBLE if leg.mode == Mode.PERIODIC else Status.LETTER_ISSUED


def _in_account(leg: TransferLeg) -> InsuranceAccount | None:
    application = leg.application
    return InsuranceAccount.objects.filter(
        person_id=application.person_id,
        province_id=application.in_province_id,
        scheme=application.in_scheme,
    ).first()


@transaction.atomic
def leg_upload_info_sheet(*, actor, transfer_no: str, note: str = "") -> InfoSheet:
    """The outgoing reviewer generates the information sheet from the account's records."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.outgoing", [leg.out_province_id])
    _require_status(leg, _awaiting_sheet(leg))
    account = leg.out_account
    if account is None or account.status != AccountStatus.SUSPENDED:
        raise Conflict(
            "转出地参保关系状态已变化，请联系部级平台重新校验。", code="OUT_ACCOUNT_CHANGED"
        )
    funds = compute_funds(account, _in_account(leg), leg.application.in_scheme)
    if not funds.months and funds.individual_fen == 0:
        raise ApplicationError(
            "该参保关系没有可转移的缴费记录和个人账户余额，请以“无可转移的缴费记录”不予受理。",
            code="NO_TRANSFERABLE_RECORDS",
        )
    version = leg.info_sheets.count() + 1
    sheet = InfoSheet.objects.create(
        leg=leg,
        version=version,
        uploaded_by=actor,
        note=note.strip(),
        months=len(funds.months),
        pooled_months=funds.pooled_months,
        individual_fen=funds.individual_fen,
        pooled_fen=funds.pooled_fen,
        total_fen=funds.total_fen,
        duplicate_months=funds.duplicate_months,
        detail=[
            [f"{m.month:%Y-%m}", m.identity, m.base_fen, str(m.rate or ""), str(m.pooled)]
            for m in funds.months
        ],
    )
    _step_deadline(leg)
    _transition(leg, "upload_info", actor, note.strip() or f"上传信息表（第{version}版）")
    return sheet


@transaction.atomic
def leg_refuse(*, actor, transfer_no: str, code: str, note: str) -> TransferLeg:
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    if code not in RefuseCode.values:
        raise invalid("code", "不予受理原因应为 NO_TRANSFERABLE_RECORDS 或 OTHER。")
    if not note.strip():
        raise invalid("note", "请填写不予受理的具体说明。")
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.outgoing", [leg.out_province_id])
    _require_status(leg, _awaiting_sheet(leg))
    leg.deadline, leg.overdue = None, False
    _transition(leg, "refuse", actor, note.strip(), code=code)
    return leg


# --- the incoming province ---------------------------------------------------------------------


def _current_sheet(leg: TransferLeg) -> InfoSheet:
    return leg.info_sheets.order_by("-version").first()


def _completion_accounts(
    leg: TransferLeg, sheet: InfoSheet
) -> tuple[InsuranceAccount, InsuranceAccount]:
    """Both accounts, locked and as they are now: their states decide, not the sheet's day."""
    in_changed = Conflict("转入地参保关系状态已变化，不能办结，请退回。", code="IN_ACCOUNT_CHANGED")
    in_account = _in_account(leg)
    if in_account is None:
        raise in_changed
    out_account, in_account = _lock_accounts(leg.out_account_id, in_account.pk)
    if in_account.status != AccountStatus.CONTRIBUTING:
        raise in_changed
    if out_account.status != AccountStatus.SUSPENDED:
        raise Conflict(
            "转出地参保关系已不是暂停缴费状态，不能办结，请退回。", code="OUT_ACCOUNT_CHANGED"
        )
    if out_account.individual_balance_fen < sheet.individual_fen:
        raise Conflict(
            "转出地个人账户余额已小于信息表金额，请退回转出地重新生成信息表。",
            code="SHEET_OUTDATED",
        )
    return out_account, in_account


@transaction.atomic
def leg_confirm(*, actor, transfer_no: str) -> TransferLeg:
    """确认: the incoming province confirms the information sheet.

    Periodic model — 办结 at once: in this one transaction the history and balance move to the
    incoming account and the clearing obligation is written; no money moves per case, the
    provinces settle monthly (clearing/). Traditional model — the sheet is accepted (信息表已
    接收), and the outgoing province's finance remits this case's funds next."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.incoming", [leg.in_province_id])
    _require_status(leg, Status.INFO_UPLOADED)
    sheet = _current_sheet(leg)
    if leg.mode == Mode.TRADITIONAL:
        in_account = _in_account(leg)
        if in_account is None or in_account.status != AccountStatus.CONTRIBUTING:
            raise Conflict(
                "转入地参保关系状态已变化，不能接收信息表，请退回。", code="IN_ACCOUNT_CHANGED"
            )
        _step_deadline(leg)
        _transition(leg, "accept_info", actor, f"接收信息表（第{sheet.version}版）")
        return leg
    out_account, in_account = _completion_accounts(leg, sheet)
    _move_history(out_account, in_account, sheet.individual_fen, merge_months=True)
    now = timezone.now()
    leg.deadline, leg.overdue = None, False
    _transition(leg, "confirm", actor, completed_at=now)
    obligation_record_for_leg(
        leg=leg,
        payer=leg.out_province_id,
        payee=leg.in_province_id,
        individual_fen=sheet.individual_fen,
        pooled_fen=sheet.pooled_fen,
        completed_at=now,
    )
    return leg


def _lock_accounts(*pks: int) -> list[InsuranceAccount]:
    """Lock accounts in primary-key order (no deadlock between two transfers); return in the
    order asked."""
    locked = InsuranceAccount.objects.select_for_update().in_bulk(sorted(pks))
    return [locked[pk] for pk in pks]


def _move_history(
    out_account: InsuranceAccount,
    in_account: InsuranceAccount,
    individual_fen: int,
    *,
    merge_months: bool,
):
    """The balance moves and the outgoing account is closed as transferred out. With
    `merge_months` the months move too, with their origin province — except those the incoming
    account already holds for the same identity (paid twice: they stay behind, for the refund
    process); without it (城乡居民 → 城镇职工) they stay with the closed account."""
    if merge_months:
        held = set(in_account.months.values_list("month", "identity"))
        remaining = out_account.months.filter(cleared=False)
        paid_twice = [
            pk
            for pk, month, identity in remaining.values_list("pk", "month", "identity")
            if (month, identity) in held
        ]
        remaining.exclude(pk__in=paid_twice).update(
            account=in_account, origin_province=out_account.province_id
        )
    out_account.individual_balance_fen -= individual_fen
    out_account.status = AccountStatus.TRANSFERRED_OUT
    out_account.save(update_fields=["individual_balance_fen", "status", "updated_at"])
    in_account.individual_balance_fen += individual_fen
    in_account.save(update_fields=["individual_balance_fen", "updated_at"])


@transaction.atomic
def leg_return(*, actor, transfer_no: str, note: str) -> TransferLeg:
    """退回: the sheet goes back to the outgoing province (to the checked leg, periodic; to the
    issued letter, traditional), with the reason."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    if not note.strip():
        raise invalid("note", "退回须填写原因。")
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.incoming", [leg.in_province_id])
    _require_status(leg, Status.INFO_UPLOADED)
    _step_deadline(leg)
    name = "send_back" if leg.mode == Mode.PERIODIC else "return_info"
    _transition(leg, name, actor, note.strip())
    return leg


# --- traditional model: the incoming province reviews, the finance offices move the money -----


def _next_letter_no(province: str) -> str:
    """`LX110000-2026-00017`: the incoming province's running number of the year."""
    year = timezone.localdate().year
    return f"LX{province}-{year}-{next_number(f'LX{province}', date(year, 1, 1)):05d}"


@transaction.atomic
def leg_issue_letter(*, actor, transfer_no: str) -> ContactLetter:
    """开具联系函: the incoming province has reviewed the application and asks the outgoing
    province for the information sheet. The outgoing account must exist (not transferred out)."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.incoming", [leg.in_province_id])
    _require_mode(leg, Mode.TRADITIONAL)
    _require_status(leg, Status.SUBMITTED)
    facts = eligibility.gather_facts(leg)
    if facts.out_account is None:
        raise Conflict(
            "转出地没有该险种尚未转出的参保关系，不能开具联系函；请审核不通过并说明原因。",
            code="OUT_NOT_INSURED",
        )
    leg.out_account = facts.out_account
    letter = ContactLetter.objects.create(
        leg=leg,
        letter_no=_next_letter_no(leg.in_province_id),
        issued_by=actor,
        office=_office_of(actor),
    )
    _step_deadline(leg)
    _transition(leg, "issue_letter", actor, f"联系函 {letter.letter_no}")
    return letter


@transaction.atomic
def leg_reject(*, actor, transfer_no: str, note: str) -> TransferLeg:
    """审核不通过: the incoming province refuses the application after review, saying why."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    if not note.strip():
        raise invalid("note", "审核不通过须填写原因。")
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.incoming", [leg.in_province_id])
    _require_mode(leg, Mode.TRADITIONAL)
    _require_status(leg, Status.SUBMITTED)
    leg.deadline, leg.overdue = None, False
    reasons = [{"code": "REVIEW_REJECTED", "message": note.strip()}]
    _transition(leg, "reject", actor, note.strip(), reasons=reasons)
    return leg


def _amount_differs(field: str, what: str, sheet: InfoSheet, amount_fen: int) -> ApplicationError:
    return ApplicationError(
        f"{what}与信息表合计不一致：信息表合计 {fen_to_yuan(sheet.total_fen)} 元，"
        f"{what} {fen_to_yuan(amount_fen)} 元。",
        code="AMOUNT_MISMATCH",
        fields={field: [f"应为 {sheet.total_fen} 分（{fen_to_yuan(sheet.total_fen)} 元）。"]},
        extra={"sheet_total_fen": sheet.total_fen, "amount_fen": amount_fen},
    )


@transaction.atomic
def leg_remit(*, actor, transfer_no: str, amount_fen: int, voucher_no: str) -> Remittance:
    """基金划转: the outgoing province's finance records this case's remittance — the sheet's
    total, with the bank voucher."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    voucher_no = reference_no(voucher_no, field="voucher_no", label="银行凭证号")
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.remit", [leg.out_province_id])
    _require_mode(leg, Mode.TRADITIONAL)
    _require_status(leg, Status.INFO_ACCEPTED)
    sheet = _current_sheet(leg)
    if amount_fen != sheet.total_fen:
        raise _amount_differs("amount_fen", "划转金额", sheet, amount_fen)
    remittance = Remittance.objects.create(
        leg=leg, amount_fen=amount_fen, voucher_no=voucher_no, remitted_by=actor
    )
    _step_deadline(leg)
    _transition(leg, "remit", actor, f"划转 {fen_to_yuan(amount_fen)} 元，凭证号 {voucher_no}")
    return remittance


@transaction.atomic
def leg_receive(*, actor, transfer_no: str, amount_fen: int) -> TransferLeg:
    """确认到账并办结: the incoming province's finance confirms the received amount, which must
    equal the sheet's total. History and balance then move by the scheme pair's rule; no
    clearing obligation is written — this case's money has already moved."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    leg = _lock_leg(transfer_no)
    scope_for(actor).require("transfer.receive", [leg.in_province_id])
    _require_mode(leg, Mode.TRADITIONAL)
    _require_status(leg, Status.FUNDS_REMITTED)
    sheet = _current_sheet(leg)
    if amount_fen != sheet.total_fen:
        raise _amount_differs("amount_fen", "到账金额", sheet, amount_fen)
    out_account, in_account = _completion_accounts(leg, sheet)
    rule = fund_rule(leg.out_scheme, leg.application.in_scheme)
    _move_history(out_account, in_account, sheet.individual_fen, merge_months=rule.months_merge)
    now = timezone.now()
    remittance = leg.remittance
    remittance.received_fen, remittance.received_at, remittance.received_by = amount_fen, now, actor
    remittance.save()
    leg.deadline, leg.overdue = None, False
    _transition(leg, "receive", actor, f"到账 {fen_to_yuan(amount_fen)} 元", completed_at=now)
    return leg


# --- the accepting office ----------------------------------------------------------------------


@transaction.atomic
def leg_withdraw(*, actor, transfer_no: str, note: str = "") -> TransferLeg:
    """撤回: by the accepting office's clerk or the channel client that submitted it, before the
    information sheet is uploaded (a traditional case: also after its contact letter)."""
    module_ensure_open(ModuleSwitch.Module.TRANSFER)
    leg = _lock_leg(transfer_no)
    scope = scope_for(actor)
    application = leg.application
    own = (
        scope.has_role(Role.CLERK) and scope.office_code == application.accepting_office.code
    ) or (scope.has_role(Role.CHANNEL) and application.submitted_by_id == actor.pk)
    if not own:
        raise NotAllowed("只有受理该申请的经办机构或渠道可以撤回。")
    _require_status(leg, Status.SUBMITTED, Status.ELIGIBLE, Status.LETTER_ISSUED)
    leg.deadline, leg.overdue = None, False
    _transition(leg, "withdraw", actor, note.strip())
    return leg


# --- deadlines -------------------------------------------------------------------------------


def legs_mark_overdue(*, today: date | None = None) -> int:
    """The daily job: open legs past their deadline are flagged (one UPDATE, any volume)."""
    return TransferLeg.objects.filter(
        status__in=OPEN_STATUSES, deadline__lt=today or timezone.localdate(), overdue=False
    ).update(overdue=True)
