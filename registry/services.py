"""Writes to the registry. Each is one transaction, checks scope, and leaves an audit row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import ApplicationError, Conflict, NotFound, Unavailable
from common.masking import mask_id_number, mask_name
from common.scope import province_of, scope_for
from registry.models import ContributionMonth, InsuranceAccount, ModuleSwitch, Person, Region
from registry.selectors import maintenance_window_notice, suspended_modules
from registry.validators import validate_id_number


def module_ensure_open(name: str) -> None:
    """Refuse (503, with the admin's notice) any write of a suspended module."""
    notice = suspended_modules().get(name)
    if notice is not None:
        raise Unavailable(notice, code="MODULE_SUSPENDED", extra={"module": name, "notice": notice})


def registry_ensure_writable() -> None:
    """Registration and contribution writes: module switch, then the month-end window."""
    module_ensure_open(ModuleSwitch.Module.REGISTRY)
    notice = maintenance_window_notice()
    if notice:
        raise Unavailable(notice, code="MAINTENANCE_WINDOW", extra={"notice": notice})


@transaction.atomic
def module_switch_set(*, actor, name: str, suspended: bool, notice: str) -> ModuleSwitch:
    scope_for(actor).require("module.switch")
    if name not in ModuleSwitch.Module.values:
        raise NotFound(f"没有名为“{name}”的业务模块。")
    notice = notice.strip()
    if suspended and not notice:
        raise ApplicationError(
            "暂停办理时必须填写公告内容。", fields={"notice": ["暂停办理时必须填写公告内容。"]}
        )
    switch, _ = ModuleSwitch.objects.select_for_update().get_or_create(name=name)
    switch.suspended, switch.notice, switch.updated_by = suspended, notice, actor
    switch.save()
    audit_record(
        actor=actor, action="module.switch", target=switch, suspended=suspended, notice=notice
    )
    return switch


def region_get(code: str, *, field: str = "region") -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        message = f"区划代码“{code}”不存在。"
        raise ApplicationError(message, code="UNKNOWN_REGION", fields={field: [message]})
    return region


@transaction.atomic
def person_register(
    *, actor, id_number: str, name: str, hukou_region: str, status: str = Person.Status.ACTIVE
) -> Person:
    """参保登记: a new person. The number is validated; a known number is a conflict."""
    registry_ensure_writable()
    scope_for(actor).require("person.register")
    try:
        id_number = validate_id_number(id_number)
    except ValidationError as invalid:
        message = invalid.messages[0]
        raise ApplicationError(
            message, code=invalid.code, fields={"id_number": [message]}
        ) from None
    region = region_get(hukou_region, field="hukou_region")
    try:
        with transaction.atomic():
            person = Person.objects.create(
                id_number=id_number, name=name.strip(), hukou_region=region, status=status
            )
    except IntegrityError:
        raise Conflict("该社会保障号码已登记。", code="PERSON_EXISTS") from None
    audit_record(
        actor=actor,
        action="person.register",
        target=person,
        id_number=mask_id_number(id_number),
        name=mask_name(person.name),
    )
    return person


def account_for(person: Person, region_code: str, scheme: str) -> InsuranceAccount | None:
    """A person has at most one account per province and scheme: the region may be the
    account's own code or its province's."""
    return InsuranceAccount.objects.filter(
        person=person, province_id=province_of(region_code), scheme=scheme
    ).first()


@transaction.atomic
def contribution_record(
    *,
    actor,
    id_number: str,
    region: str,
    scheme: str,
    month: date,
    identity: str,
    base_fen: int,
    employer_rate: Decimal | None = None,
) -> ContributionMonth:
    """缴费记录: one paid month on the person's account in `region` (opened if missing)."""
    registry_ensure_writable()
    place = region_get(region)  # an unknown code is bad input (400), whoever sends it
    scope_for(actor).require("contribution.record", [region])
    if month > timezone.localdate().replace(day=1):
        raise ApplicationError(
            "缴费月份不能晚于当月。", fields={"month": ["缴费月份不能晚于当月。"]}
        )
    person = Person.objects.filter(id_number=id_number).first()
    if person is None:
        raise NotFound("未找到该社会保障号码对应的参保人员。")
    account = account_for(person, region, scheme)
    if account is None:
        account = InsuranceAccount.objects.create(
            person=person,
            region=place,
            province_id=province_of(region),
            scheme=scheme,
            status=InsuranceAccount.Status.CONTRIBUTING,
        )
    elif account.status in (
        InsuranceAccount.Status.TRANSFERRED_OUT,
        InsuranceAccount.Status.CLOSED,
    ):
        raise Conflict("该参保关系已转出或终止，不能再记录缴费。", code="ACCOUNT_CLOSED")
    try:
        with transaction.atomic():
            record = ContributionMonth.objects.create(
                account=account,
                month=month,
                identity=identity,
                base_fen=base_fen,
                employer_rate=employer_rate,
            )
    except IntegrityError:
        raise Conflict(f"{month:%Y-%m}已有该身份的缴费记录。", code="MONTH_EXISTS") from None
    audit_record(
        actor=actor,
        action="contribution.record",
        target=record,
        account=account.pk,
        month=f"{month:%Y-%m}",
        identity=identity,
        base_fen=base_fen,
    )
    return record
