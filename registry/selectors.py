"""Reads of the registry, scoped by the caller's role and province."""

from __future__ import annotations

import calendar
from datetime import datetime, time

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from common.errors import NotFound
from common.scope import Scope
from registry.models import InsuranceAccount, ModuleSwitch, Office, Person, Region


def office_list(*, scope: Scope, province: str | None = None, q: str = "") -> QuerySet[Office]:
    """The office directory (经办机构查询): every staff member may search all offices."""
    scope.require("office.view")
    offices = Office.objects.select_related("region", "province").order_by("province_id", "code")
    if province:
        offices = offices.filter(province_id=f"{province[:2]}0000")
    if q:
        offices = offices.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return offices


def region_children(*, parent: str | None = None) -> QuerySet[Region]:
    """The settlement units (31 provinces + 兵团) without a parent, else the parent's children."""
    if parent is None:
        return Region.objects.filter(settlement_unit=True).order_by("code")
    return Region.objects.filter(parent_id=parent).order_by("code")


def person_get(*, scope: Scope, id_number: str) -> Person:
    """A person with their accounts (and paid-month counts), if the caller may see them.

    Clerks and channels may look anyone up (a periodic transfer is accepted anywhere); other
    roles see persons with an account or their hukou in their province."""
    scope.require("person.view")
    person = (
        Person.objects.select_related("hukou_region")
        .prefetch_related(
            Prefetch(
                "accounts",
                queryset=InsuranceAccount.objects.select_related("region", "province")
                .annotate(paid_months=Count("months", filter=Q(months__cleared=False)))
                .order_by("province_id", "scheme"),
            )
        )
        .filter(id_number=id_number.strip().upper())
        .first()
    )
    if person is None:
        raise NotFound("未找到该社会保障号码对应的参保人员。")
    provinces = [person.hukou_region_id] + [a.province_id for a in person.accounts.all()]
    scope.require("person.view", provinces)
    return person


def suspended_modules() -> dict[str, str]:
    """Module name → notice, for every suspended module."""
    return dict(ModuleSwitch.objects.filter(suspended=True).values_list("name", "notice"))


def maintenance_window_notice(now: datetime | None = None) -> str:
    """The notice while registration and contribution writes are closed for month-end
    (from the configured start on a month's last day to the end time on the next day)."""
    local = timezone.localtime(now)
    window = settings.REGISTRY_MAINTENANCE_WINDOW
    start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
    last_day = calendar.monthrange(local.year, local.month)[1]
    in_window = (local.day == last_day and local.time() >= start) or (
        local.day == 1 and local.time() < end
    )
    if not in_window:
        return ""
    return (
        f"月末结算维护中：每月最后一天{window['start']}至次月1日{window['end']}"
        "暂停参保登记和缴费信息的录入与修改，请在维护结束后办理。"
    )
