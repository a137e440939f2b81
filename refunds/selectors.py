"""Reads of refunds: a person's months paid twice, and refund applications, scoped (a refund is
seen by the refunding province, the accepting office's province, and national offices)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, QuerySet, prefetch_related_objects

from common import timeline
from common.errors import NotFound
from common.scope import Scope
from refunds.models import Refund, RefundMonth, RefundStatus
from registry.models import ContributionMonth, Person


@dataclass(frozen=True)
class Entry:
    """One payment of a duplicate month."""

    contribution_id: int
    month: date
    account_id: int
    region: str
    province: str
    scheme: str
    identity: str
    base_fen: int
    refund_no: str  # the open or paid refund that holds it, or ""


def duplicates(person: Person) -> dict[date, list[Entry]]:
    """Months the person paid more than once — in two accounts, or under two identities in one —
    that are not cleared yet: {month: entries}, months in order. Two queries."""
    uncleared = ContributionMonth.objects.filter(account__person=person, cleared=False)
    twice = uncleared.values("month").annotate(n=Count("id")).filter(n__gt=1).values("month")
    rows = (
        uncleared.filter(month__in=twice)
        .select_related("account")
        .order_by("month", "account__province_id", "account__scheme", "identity")
    )
    rows = list(rows)
    taken = dict(
        RefundMonth.objects.filter(
            contribution_id__in=[r.pk for r in rows], active=True
        ).values_list("contribution_id", "refund__refund_no")
    )
    found: dict[date, list[Entry]] = defaultdict(list)
    for row in rows:
        found[row.month].append(
            Entry(
                contribution_id=row.pk,
                month=row.month,
                account_id=row.account_id,
                region=row.account.region_id,
                province=row.account.province_id,
                scheme=row.account.scheme,
                identity=row.identity,
                base_fen=row.base_fen,
                refund_no=taken.get(row.pk, ""),
            )
        )
    return dict(found)


def _refunds() -> QuerySet[Refund]:
    return Refund.objects.select_related(
        "person", "account__region", "accepting_office", "submitted_by"
    )


def _provinces(refund: Refund) -> list[str]:
    return [refund.province_id, refund.accepting_office.province_id]


def refund_get(*, scope: Scope, refund_no: str) -> Refund:
    scope.require("refund.view")
    refund = _refunds().filter(refund_no=refund_no).first()
    if refund is None:
        raise NotFound(f"未找到退费编号为“{refund_no}”的退费申请。")
    scope.require("refund.view", _provinces(refund))
    return refund


def refund_list(
    *, scope: Scope, status: str | None = None, id_number: str = ""
) -> QuerySet[Refund]:
    """Refunds of the user's province (as refunding or accepting province), newest first."""
    scope.require("refund.view")
    refunds = scope.filter(_refunds(), "province_id", "accepting_office__province_id")
    if status:
        refunds = refunds.filter(status=status)
    if id_number:
        refunds = refunds.filter(person__id_number=id_number.strip().upper())
    return refunds.order_by("-id")


WORKLISTS = {
    # name: (label, status, scope action) — of the refunding province
    "approve": ("待审批退费", RefundStatus.SUBMITTED, "refund.approve"),
    "pay": ("待支付退费", RefundStatus.APPROVED, "refund.pay"),
}


def worklist(*, scope: Scope, name: str) -> QuerySet[Refund]:
    _, status, action = WORKLISTS[name]
    scope.require(action)
    return scope.filter(_refunds().filter(status=status), "province_id").order_by("id")


def worklist_counts(*, scope: Scope) -> dict[str, int]:
    counts = {}
    for name, (_, status, action) in WORKLISTS.items():
        if scope.can(action):
            counts[name] = scope.filter(Refund.objects.filter(status=status), "province_id").count()
    return counts


def refund_months(refund: Refund) -> list[RefundMonth]:
    return list(refund.months.order_by("month", "identity"))


def with_months(refunds: list[Refund]) -> list[Refund]:
    """Each refund's months (`refund.months.all()`), in order, in one query for the lot."""
    ordered = RefundMonth.objects.order_by("month", "identity")
    prefetch_related_objects(refunds, Prefetch("months", queryset=ordered))
    return refunds


ACTION_LABELS = {
    "submit": "受理退费申请",
    "approve": "审批通过",
    "reject": "审批不通过",
    "pay": "支付并登记凭证",
}


def _opening(refund: Refund) -> dict:
    return timeline.step(
        at=refund.created_at,
        action="submit",
        label=ACTION_LABELS["submit"],
        status=RefundStatus.SUBMITTED,
        status_label=RefundStatus.SUBMITTED.label,
        actor=refund.submitted_by.get_username(),
        office=refund.accepting_office.name,
    )


def refund_timeline(refund: Refund) -> list[dict]:
    """受理, then every transition as django-fsm-log recorded it (who, which office, the note)."""
    return timeline.with_timelines(
        [refund], opening=_opening, labels=ACTION_LABELS, statuses=RefundStatus
    )[0].timeline
