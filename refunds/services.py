"""Every write of refunds (DESIGN.md §6, API.md "Refunds", the briefing's section 04).

The application follows the briefing's three steps: the identity of each overlapping period is
maintained, the refund direction chosen (which account's months are refunded), the bank account
checked; then a supervisor of the refunding province approves, and its finance pays. Payment clears
the months and takes back from the individual account what they had credited — in one
transaction. Every write is refused with the notice while the `refunds` module is suspended."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common import fsm
from common.audit import audit_record
from common.errors import Conflict, NotAllowed, NotFound, invalid, reference_no
from common.masking import mask_id_number
from common.money import fen_to_yuan, round_fen
from common.scope import scope_for
from refunds.models import Refund, RefundMonth, RefundStatus
from refunds.selectors import duplicates
from registry.models import Identity, InsuranceAccount, ModuleSwitch, Person
from registry.services import module_ensure_open
from registry.validators import validate_id_number
from transfer.services import check_channel, next_number

# What a refunded month gives back: a flexible (individual) payer paid 20% of the base; an
# employee the individual part, 8%. Either way the individual account had been credited 8%.
REFUND_RATE = {Identity.FLEXIBLE: Decimal("0.20"), Identity.EMPLOYEE: Decimal("0.08")}
CREDITED_RATE = Decimal("0.08")
RULE_2025_42 = (
    "根据人社部发〔2025〕42号：参保人员同一时期以个人身份和以职工身份重复缴纳职工基本养老保险费的，"
    "保留职工身份的基本养老保险关系和个人账户，清理同期其他关系。"
)
ACCOUNT_NO = re.compile(r"[0-9]{12,30}")
SYSTEM = {"office": "", "office_name": ""}


@dataclass(frozen=True)
class IdentityPeriod:
    """Step 1: the identity under which the person paid in `region` from `start` to `end`."""

    region: str
    start: date
    end: date
    identity: str


@dataclass(frozen=True)
class Bank:
    bank_name: str
    account_no: str
    holder_name: str


def _accounts_at(person: Person, code: str) -> list[InsuranceAccount]:
    """The person's accounts named by a region code: its own code or its province's."""
    accounts = InsuranceAccount.objects.filter(person=person)
    return list(accounts.filter(region_id=code) or accounts.filter(province_id=code))


def _check_bank(bank: Bank, person: Person) -> Bank:
    account_no = re.sub(r"\s", "", bank.account_no)
    if not bank.bank_name.strip() or len(bank.bank_name.strip()) > 64:
        raise invalid("bank", "请填写开户银行（不超过64字）。")
    if not ACCOUNT_NO.fullmatch(account_no):
        raise invalid("bank", "银行账号应为12至30位数字，请核对。", "BANK_ACCOUNT_FORMAT")
    if bank.holder_name.strip() != person.name:
        raise invalid(
            "bank", "银行账户户名须为参保人本人，请核对后使用本人账户。", "HOLDER_MISMATCH"
        )
    return Bank(bank.bank_name.strip(), account_no, bank.holder_name.strip())


def _identity_of(month: date, account: InsuranceAccount, periods: list[IdentityPeriod]):
    for period in periods:
        if period.start <= month <= period.end and (
            period.region in (account.region_id, account.province_id)
        ):
            return period.identity
    return None


@transaction.atomic
def refund_submit(
    *,
    actor,
    id_number: str,
    channel: str,
    refund_region: str,
    months: list[date],
    identities: list[IdentityPeriod],
    bank: Bank,
) -> Refund:
    """退费申请: the months of the account at `refund_region` that the person paid twice, each
    with the identity maintained for its period, paid back to the person's own bank account."""
    module_ensure_open(ModuleSwitch.Module.REFUNDS)
    scope = scope_for(actor)
    scope.require("refund.apply")
    check_channel(actor, channel)
    try:
        id_number = validate_id_number(id_number)
    except ValidationError as bad:
        raise invalid("id_number", bad.messages[0], bad.code) from None
    # One person's refunds are decided one at a time: a month is never taken twice.
    person = Person.objects.select_for_update().filter(id_number=id_number).first()
    if person is None:
        raise invalid("id_number", "未找到该社会保障号码对应的参保人员。", "UNKNOWN_PERSON")

    # Step 1: the identities of the overlapping periods.
    if not identities:
        raise invalid("identities", "请维护重复缴费期间的参保身份（起止年月和身份）。")
    for period in identities:
        if period.identity not in Identity.values:
            raise invalid("identities", f"参保身份“{period.identity}”无效。")
        if period.start > period.end:
            raise invalid("identities", "参保身份的起始年月不能晚于终止年月。")
        if not _accounts_at(person, period.region):
            raise invalid("identities", f"参保人员在“{period.region}”没有参保关系。")

    # Step 2: the direction — which account's months are refunded.
    candidates = _accounts_at(person, refund_region)
    if len(candidates) != 1:
        message = (
            f"参保人员在“{refund_region}”没有参保关系。"
            if not candidates
            else f"参保人员在“{refund_region}”有多个参保关系，请填写具体的参保地区划代码。"
        )
        raise invalid("refund_region", message)
    (account,) = candidates
    if not months:
        raise invalid("months", "请选择退费月份。")
    if len(set(months)) != len(months):
        raise invalid("months", "退费月份不能重复。")
    twice = duplicates(person)
    chosen = []
    for month in sorted(months):
        label = f"{month:%Y-%m}"
        identity = _identity_of(month, account, identities)
        if identity is None:
            raise invalid("identities", f"{label} 未维护参保身份，请补充该时间段。")
        entries = twice.get(month, [])
        refunded = next(
            (e for e in entries if e.account_id == account.pk and e.identity == identity), None
        )
        if refunded is None:
            raise invalid(
                "months",
                f"{label} 在退费地没有以“{Identity(identity).label}”身份的重复缴费记录。",
                "NOT_DUPLICATE",
            )
        if refunded.refund_no:
            raise Conflict(
                f"{label} 已在退费申请 {refunded.refund_no} 中，同一月份只能退费一次。",
                code="ALREADY_REFUNDING",
            )
        kept = {e.identity for e in entries if e is not refunded}
        if identity == Identity.EMPLOYEE and Identity.FLEXIBLE in kept:
            raise invalid(
                "months",
                f"{label}：{RULE_2025_42}企业职工与灵活就业重复的，只能退灵活就业部分。",
                "EMPLOYEE_SIDE_KEPT",
            )
        if identity == Identity.FLEXIBLE and Identity.EMPLOYEE in kept and channel != "window":
            raise invalid(
                "channel",
                f"{label}：企业职工与灵活就业重复，退灵活就业部分的业务仅支持线下办理，"
                f"请到社保经办窗口申请。{RULE_2025_42}",
                "WINDOW_ONLY",
            )
        chosen.append(refunded)

    # Step 3: the bank account.
    bank = _check_bank(bank, person)

    lines = [(e, REFUND_RATE[e.identity]) for e in chosen]
    office = getattr(getattr(actor, "staff", None), "office", None)
    if office is None:
        raise NotAllowed("您的账号尚未分配经办机构。")
    today = timezone.localdate()
    province = account.province_id
    refund = Refund.objects.create(
        refund_no=f"TF{province}-{today:%Y%m%d}-{next_number(f'TF{province}', today):05d}",
        person=person,
        account=account,
        province_id=province,
        channel=channel,
        accepting_office=office,
        submitted_by=actor,
        identities=[
            {
                "region": p.region,
                "start": f"{p.start:%Y-%m}",
                "end": f"{p.end:%Y-%m}",
                "identity": p.identity,
            }
            for p in identities
        ],
        amount_fen=round_fen(sum((e.base_fen * rate for e, rate in lines), Decimal(0))),
        credited_fen=round_fen(sum((e.base_fen * CREDITED_RATE for e, _ in lines), Decimal(0))),
        bank_name=bank.bank_name,
        account_no=bank.account_no,
        holder_name=bank.holder_name,
    )
    try:
        with transaction.atomic():
            RefundMonth.objects.bulk_create(
                RefundMonth(
                    refund=refund,
                    contribution_id=e.contribution_id,
                    month=e.month,
                    identity=e.identity,
                    base_fen=e.base_fen,
                    rate=rate,
                    amount=e.base_fen * rate,
                )
                for e, rate in lines
            )
    except IntegrityError:  # the constraint behind the lock: never a month refunded twice
        raise Conflict(
            "所选月份已在其他退费申请中，同一月份只能退费一次。", code="ALREADY_REFUNDING"
        ) from None
    audit_record(
        actor=actor,
        action="refund.submit",
        target=refund,
        refund_no=refund.refund_no,
        id_number=mask_id_number(id_number),
        months=[f"{m:%Y-%m}" for m in sorted(months)],
        amount_fen=refund.amount_fen,
    )
    return refund


def _lock_refund(refund_no: str) -> Refund:
    refund = Refund.objects.select_for_update(of=("self",)).filter(refund_no=refund_no).first()
    if refund is None:
        raise NotFound(f"未找到退费编号为“{refund_no}”的退费申请。")
    return refund


def _require_status(refund: Refund, status: str) -> None:
    if refund.status != status:
        raise Conflict(
            f"该退费申请当前状态为“{RefundStatus(refund.status).label}”，不能办理此操作。",
            code="WRONG_STATE",
            extra={"status": refund.status},
        )


def _transition(refund: Refund, name: str, actor, note: str = "", **kwargs) -> None:
    fsm.transition(refund, name, actor, note, system=SYSTEM, **kwargs)


@transaction.atomic
def refund_approve(*, actor, refund_no: str) -> Refund:
    """审批通过: a supervisor of the refunding province."""
    module_ensure_open(ModuleSwitch.Module.REFUNDS)
    refund = _lock_refund(refund_no)
    scope_for(actor).require("refund.approve", [refund.province_id])
    _require_status(refund, RefundStatus.SUBMITTED)
    _transition(refund, "approve", actor, "审批通过")
    return refund


@transaction.atomic
def refund_reject(*, actor, refund_no: str, note: str) -> Refund:
    """审批不通过, with the reason; the months are free to be applied for again."""
    module_ensure_open(ModuleSwitch.Module.REFUNDS)
    if not note.strip():
        raise invalid("note", "审批不通过须填写原因。")
    refund = _lock_refund(refund_no)
    scope_for(actor).require("refund.approve", [refund.province_id])
    _require_status(refund, RefundStatus.SUBMITTED)
    refund.months.update(active=False)
    _transition(refund, "reject", actor, note.strip(), reason=note.strip())
    return refund


@transaction.atomic
def refund_pay(*, actor, refund_no: str, voucher_no: str) -> Refund:
    """退费支付: the refunding province's finance records the payment voucher. The months become
    cleared and the individual account gives back what they had credited, in this transaction."""
    module_ensure_open(ModuleSwitch.Module.REFUNDS)
    voucher_no = reference_no(voucher_no, field="voucher_no", label="付款凭证号")
    refund = _lock_refund(refund_no)
    scope_for(actor).require("refund.pay", [refund.province_id])
    _require_status(refund, RefundStatus.APPROVED)
    account = InsuranceAccount.objects.select_for_update().get(pk=refund.account_id)
    contributions = [m.contribution_id for m in refund.months.all()]
    months = account.months.select_for_update().filter(pk__in=contributions, cleared=False)
    if months.count() != len(contributions):
        raise Conflict("部分退费月份已被清退或转出，不能支付，请审批不通过后重新申请。")
    if account.individual_balance_fen < refund.credited_fen:
        raise Conflict(
            f"个人账户余额 {fen_to_yuan(account.individual_balance_fen)} 元，不足以冲减退费月份"
            f"记入的 {fen_to_yuan(refund.credited_fen)} 元，请核实个人账户。",
            code="BALANCE_TOO_LOW",
        )
    months.update(cleared=True)
    account.individual_balance_fen -= refund.credited_fen
    account.save(update_fields=["individual_balance_fen", "updated_at"])
    _transition(
        refund,
        "pay",
        actor,
        f"退费 {fen_to_yuan(refund.amount_fen)} 元，凭证号 {voucher_no}",
        voucher_no=voucher_no,
        paid_at=timezone.now(),
    )
    return refund
