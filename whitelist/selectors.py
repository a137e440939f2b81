"""The retirement pre-check (退休一件事 账户预校验) and whitelist reads (DESIGN.md §7, the
briefing's section 05). Each finding says what it is and what to do about it, in the briefing's
words."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from common import timeline
from common.errors import NotFound
from common.scope import Scope, province_of
from registry.models import AccountStatus, InsuranceAccount, Person, Region
from transfer.models import OPEN_STATUSES, RefuseCode, Status, TransferLeg
from whitelist.models import ACTIVE, EntryStatus, WhitelistEntry

CLEAN_UP = (
    "若此前已办理过转移（清算、无实际缴费、垃圾数据等），需由{province}清理数据，"
    "使预校验不再识别到该记录"
)
WHITELIST = "或凭{province}社保经办机构出具的已清算、已转移等相关材料办理“白名单维护”（线下办理）"


@dataclass
class Finding:
    """One other-province account that still holds paid, uncleared months."""

    account: InsuranceAccount
    province_name: str
    paid_months: int
    kind: str  # untransferred | closed | open_transfer | refused_no_records
    open_leg: TransferLeg | None
    refused_leg: TransferLeg | None
    entry: WhitelistEntry | None  # the approved entry that excludes it
    pending: WhitelistEntry | None  # an entry waiting for its checker

    @property
    def whitelisted(self) -> bool:
        return self.entry is not None

    @property
    def guidance(self) -> str:
        p = self.province_name
        if self.entry is not None:
            return (
                f"已办理白名单维护（{self.entry.entry_no}，{self.entry.get_reason_display()}），"
                "不再影响退休预校验。"
            )
        if self.open_leg is not None:
            return (
                f"该参保关系已有在途转移业务 {self.open_leg.transfer_no}"
                f"（{self.open_leg.get_status_display()}），办结后预校验不再提示。"
            )
        if self.refused_leg is not None:
            return (
                f"{p}已以“无可转移的缴费记录”不予受理转出（{self.refused_leg.transfer_no}），"
                "可凭此办理“白名单维护”（线下办理）。"
            )
        if self.kind == "closed":
            return (
                f"{p}的参保关系已终止，但仍有{self.paid_months}个月未清退的缴费记录："
                f"{CLEAN_UP.format(province=p)}；{WHITELIST.format(province=p)}。"
            )
        return (
            f"{p}存在未转移的养老保险关系（{self.paid_months}个月缴费记录）：若确为未转移的关系，"
            "应将其转移到待遇领取地，合并计算退休待遇，或者在当地办理清算业务；"
            f"{CLEAN_UP.format(province=p)}，{WHITELIST.format(province=p)}。"
        )


@dataclass
class Precheck:
    person: Person
    benefit_province: Region
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        return all(f.whitelisted for f in self.findings)


def _matching(legs: QuerySet[TransferLeg], account: InsuranceAccount) -> TransferLeg | None:
    return next(
        (
            leg
            for leg in legs
            if leg.out_province_id == account.province_id and leg.out_scheme == account.scheme
        ),
        None,
    )


def precheck(*, person: Person, benefit_province: str) -> Precheck:
    """查询存在外省市缴费记录: every account of the person outside the benefit province that is not
    transferred out and holds paid, uncleared months — five queries, whatever the history."""
    province = Region.objects.get(code=province_of(benefit_province))
    accounts = list(
        InsuranceAccount.objects.filter(person=person)
        .exclude(province_id=province.code)
        .exclude(status=AccountStatus.TRANSFERRED_OUT)
        .select_related("region", "province")
        .annotate(paid_months=Count("months", filter=Q(months__cleared=False)))
        .filter(paid_months__gt=0)
        .order_by("province_id", "scheme")
    )
    legs = TransferLeg.objects.filter(application__person=person).order_by("-id")
    open_legs = list(legs.filter(status__in=OPEN_STATUSES))
    refused = list(
        legs.filter(status=Status.REFUSED, refuse_code=RefuseCode.NO_TRANSFERABLE_RECORDS)
    )
    entries = {
        (e.account_id, e.status): e
        for e in WhitelistEntry.objects.filter(
            account__in=accounts, benefit_province=province, status__in=ACTIVE
        )
    }
    findings = []
    for account in accounts:
        open_leg, refused_leg = _matching(open_legs, account), _matching(refused, account)
        kind = (
            "open_transfer"
            if open_leg
            else "refused_no_records"
            if refused_leg
            else "closed"
            if account.status == AccountStatus.CLOSED
            else "untransferred"
        )
        findings.append(
            Finding(
                account=account,
                province_name=account.province.name,
                paid_months=account.paid_months,
                kind=kind,
                open_leg=open_leg,
                refused_leg=refused_leg,
                entry=entries.get((account.pk, EntryStatus.APPROVED)),
                pending=entries.get((account.pk, EntryStatus.PENDING)),
            )
        )
    return Precheck(person=person, benefit_province=province, findings=findings)


def _entries() -> QuerySet[WhitelistEntry]:
    return WhitelistEntry.objects.select_related(
        "person", "account__region", "account__province", "benefit_province", "office", "maker",
        "checker", "refused_leg",
    )  # fmt: skip


def entry_get(*, scope: Scope, entry_no: str) -> WhitelistEntry:
    scope.require("whitelist.view")
    entry = _entries().filter(entry_no=entry_no).first()
    if entry is None:
        raise NotFound(f"未找到编号为“{entry_no}”的白名单。")
    scope.require("whitelist.view", [entry.benefit_province_id])
    return entry


def entry_list(
    *, scope: Scope, status: str | None = None, id_number: str = ""
) -> QuerySet[WhitelistEntry]:
    """The benefit province's entries (every province's for national offices), newest first."""
    scope.require("whitelist.view")
    entries = scope.filter(_entries(), "benefit_province_id")
    if status:
        entries = entries.filter(status=status)
    if id_number:
        entries = entries.filter(person__id_number=id_number.strip().upper())
    return entries.order_by("-id")


def pending_count(*, scope: Scope) -> int | None:
    """待审核白名单 for a supervisor who may check them (None for anyone else)."""
    if not scope.can("whitelist.check"):
        return None
    return scope.filter(
        WhitelistEntry.objects.filter(status=EntryStatus.PENDING), "benefit_province_id"
    ).count()


ACTION_LABELS = {
    "make": "白名单维护（窗口受理）",
    "approve": "审核通过",
    "reject": "审核不通过",
    "revoke": "撤销",
}


def _opening(entry: WhitelistEntry) -> dict:
    return timeline.step(
        at=entry.created_at,
        action="make",
        label=ACTION_LABELS["make"],
        status=EntryStatus.PENDING,
        status_label=EntryStatus.PENDING.label,
        actor=entry.maker.get_username(),
        office=entry.office.name,
        note=entry.get_reason_display(),
    )


def with_timelines(entries: list[WhitelistEntry]) -> list[WhitelistEntry]:
    """Each entry's `timeline`: made at the window, then checked, revoked — one query for all."""
    return timeline.with_timelines(
        entries, opening=_opening, labels=ACTION_LABELS, statuses=EntryStatus
    )
