"""The ministry platform's eligibility check (DESIGN.md §4): every rule, all failures together.

Each rule is a code, a Chinese message and a test on the facts gathered once per leg. Reading
the table below is reading the policy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from registry.models import AccountStatus, AccountType, InsuranceAccount, Person
from transfer.models import OPEN_STATUSES, Status, TransferLeg


@dataclass(frozen=True)
class Facts:
    person: Person
    out_province: str
    in_province: str
    out_account: InsuranceAccount | None
    in_account: InsuranceAccount | None
    in_has_paid_month: bool
    other_open_leg: bool


RULES: list[tuple[str, str, object]] = [
    ("SAME_PROVINCE", "转出地与转入地属同一省份，省内转移不适用跨省转移接续。",
     lambda f: f.out_province != f.in_province),
    ("IN_NOT_INSURED", "转入地未正常参保缴费：转入地须有该险种正常缴费的参保关系。",
     lambda f: f.in_account is not None and f.in_account.status == AccountStatus.CONTRIBUTING),
    ("IN_NO_CONTRIBUTION", "转入地无缴费记录：转入地参保关系须至少有一个月已缴费。",
     lambda f: f.in_account is None or f.in_has_paid_month),
    ("IN_TEMPORARY_ACCOUNT", "转入地为临时账户：须在转入地建立一般账户后方可转入。",
     lambda f: f.in_account is None or f.in_account.account_type == AccountType.GENERAL),
    ("OUT_NOT_INSURED", "转出地无参保记录：转出地没有该险种尚未转出的参保关系。",
     lambda f: f.out_account is not None),
    ("OUT_NOT_SUSPENDED", "人员还未暂停缴费：须在转出地办理暂停缴费（中断）后方可转出。",
     lambda f: f.out_account is None or f.out_account.status == AccountStatus.SUSPENDED),
    ("OUT_ARREARS", "转出地存在欠费：须补缴欠费后方可转出。",
     lambda f: f.out_account is None or f.out_account.arrears_fen == 0),
    ("DUPLICATE_APPLICATION", "已有在途转移申请：该转出地尚有未办结的转移业务。",
     lambda f: not f.other_open_leg),
    ("RECEIVING_BENEFITS", "已领取养老待遇（或已死亡）：不能办理转移接续。",
     lambda f: f.person.status == Person.Status.ACTIVE),
]  # fmt: skip

MESSAGES = {code: message for code, message, _ in RULES}


def gather_facts(leg: TransferLeg) -> Facts:
    """Four indexed lookups whatever the length of the person's history."""
    application = leg.application
    accounts = {
        (a.province_id, a.scheme): a
        for a in InsuranceAccount.objects.filter(
            person_id=application.person_id,
            province_id__in=[leg.out_province_id, application.in_province_id],
        )
    }
    out_account = accounts.get((leg.out_province_id, leg.out_scheme))
    if out_account is not None and out_account.status == AccountStatus.TRANSFERRED_OUT:
        out_account = None
    in_account = accounts.get((application.in_province_id, application.in_scheme))
    in_paid = in_account is not None and in_account.months.filter(cleared=False).exists()
    # Another open leg for the same outgoing account: one already past the check, or one
    # submitted earlier — so the earlier submission wins whichever check happens to run first.
    other_open = (
        TransferLeg.objects.filter(
            application__person_id=application.person_id,
            out_province_id=leg.out_province_id,
            out_scheme=leg.out_scheme,
            status__in=OPEN_STATUSES,
        )
        .exclude(pk=leg.pk)
        .filter(Q(pk__lt=leg.pk) | ~Q(status=Status.SUBMITTED))
        .exists()
    )
    return Facts(
        person=application.person,
        out_province=leg.out_province_id,
        in_province=application.in_province_id,
        out_account=out_account,
        in_account=in_account,
        in_has_paid_month=in_paid,
        other_open_leg=other_open,
    )


def failed_rules(facts: Facts) -> list[dict[str, str]]:
    """Every rule that fails, in the table's order, as {"code", "message"}."""
    return [{"code": code, "message": message} for code, message, ok in RULES if not ok(facts)]
