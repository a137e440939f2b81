"""Reads of the transfer workflow, scoped: a leg is seen by its outgoing, incoming and accepting
provinces (every province for national offices); clerks and channels may look any case up by
number or ID number, as an applicant may ask at any office."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django_fsm_log.models import StateLog

from common.errors import NotFound
from common.scope import Scope
from registry.models import Region
from registry.validators import validate_id_number
from transfer import eligibility
from transfer.models import (
    OUT_WORK,
    Application,
    ContactLetter,
    InfoSheet,
    Material,
    Mode,
    Remittance,
    Status,
    TransferLeg,
)

ACTION_LABELS = {
    "submit": "受理",
    "pass_check": "部级平台校验通过",
    "fail_check": "部级平台校验不通过",
    "upload_info": "上传信息表",
    "refuse": "不予受理",
    "confirm": "确认办结",
    "send_back": "退回",
    "withdraw": "撤回",
    "issue_letter": "开具联系函",
    "reject": "审核不通过",
    "accept_info": "接收信息表",
    "return_info": "退回",
    "remit": "基金划转",
    "receive": "确认到账，办结",
}


class _PagedLegs(QuerySet):
    """Legs whose slices (a paginator's page) join only the page's own rows: the page's ids are
    picked from the index alone (`leg_out_work` / `leg_in_work`, an index-only scan), then those
    rows are loaded with their related objects. A plain OFFSET builds every skipped row with all
    its joins and throws it away (page 1,000 of a 50,000-leg worklist: ~0.5 s instead of ~30 ms,
    bench/transfer.py). Same rows in the same order, same two queries per page (COUNT, rows)."""

    def __getitem__(self, k):
        if (
            isinstance(k, slice)
            and k.step is None
            and self._result_cache is None
            and not self.query.is_sliced
        ):
            return self.filter(pk__in=QuerySet.__getitem__(self.values("pk"), k))
        return super().__getitem__(k)


def _legs(*, paged: bool = False) -> QuerySet[TransferLeg]:
    legs = _PagedLegs(TransferLeg) if paged else TransferLeg.objects.all()
    return legs.select_related(
        "application__person",
        "application__in_region",
        "application__accepting_office",
        "application__submitted_by",
        "out_region",
    )


def _provinces(leg: TransferLeg) -> list[str]:
    return [leg.out_province_id, leg.in_province_id, leg.application.accepting_office.province_id]


def _in_scope(scope: Scope, legs: QuerySet[TransferLeg]) -> QuerySet[TransferLeg]:
    return scope.filter(
        legs, "out_province_id", "in_province_id", "application__accepting_office__province_id"
    )


def leg_get(*, scope: Scope, transfer_no: str) -> TransferLeg:
    scope.require("transfer.view")
    leg = _legs().filter(transfer_no=transfer_no).first()
    if leg is None:
        raise NotFound(f"未找到转移编号为“{transfer_no}”的业务。")
    scope.require("transfer.view", _provinces(leg))
    return with_details([leg])[0]


def leg_list(
    *,
    scope: Scope,
    status: str | None = None,
    province: str | None = None,
    overdue: bool | None = None,
    q: str = "",
) -> QuerySet[TransferLeg]:
    """Legs touching the caller's province (all for national offices), newest first."""
    scope.require("transfer.view")
    legs = _in_scope(scope, _legs())
    if status:
        legs = legs.filter(status=status)
    if province:
        p = f"{province[:2]}0000"
        legs = legs.filter(Q(out_province_id=p) | Q(in_province_id=p))
    if overdue is not None:
        legs = legs.filter(overdue=overdue)
    if q:
        legs = legs.filter(
            Q(transfer_no__startswith=q.upper()) | Q(application__person__id_number=q.upper())
        )
    return legs.order_by("-id")


@dataclass(frozen=True)
class Worklist:
    label: str
    condition: Q  # the legs waiting there (each has its partial index, transfer.models)
    province_field: str  # whose worklist: the leg's outgoing or incoming province
    action: str


WORKLISTS = {
    # traditional: the incoming province reviews the application (letter or rejection)
    "review": Worklist(
        "待开具联系函",
        Q(status=Status.SUBMITTED, mode=Mode.TRADITIONAL),
        "in_province_id",
        "transfer.incoming",
    ),
    "outgoing": Worklist(
        "待上传信息表", Q(status__in=OUT_WORK), "out_province_id", "transfer.outgoing"
    ),
    "incoming": Worklist(
        "待确认", Q(status=Status.INFO_UPLOADED), "in_province_id", "transfer.incoming"
    ),
    # traditional: the finance offices move this case's money
    "remit": Worklist(
        "待划转基金", Q(status=Status.INFO_ACCEPTED), "out_province_id", "transfer.remit"
    ),
    "receive": Worklist(
        "待确认到账", Q(status=Status.FUNDS_REMITTED), "in_province_id", "transfer.receive"
    ),
}


def worklist(
    *, scope: Scope, name: str, q: str = "", overdue: bool | None = None
) -> QuerySet[TransferLeg]:
    """A worklist of the user's province (`WORKLISTS`): oldest deadline first, overdue ones
    leading. Any page costs about the same (`_PagedLegs`)."""
    work = WORKLISTS[name]
    scope.require(work.action)
    legs = scope.filter(_legs(paged=True).filter(work.condition), work.province_field)
    if overdue is not None:
        legs = legs.filter(overdue=overdue)
    if q:
        legs = legs.filter(
            Q(transfer_no__startswith=q.upper()) | Q(application__person__id_number=q.upper())
        )
    return legs.order_by("deadline", "id")


def worklist_counts(*, scope: Scope) -> dict[str, dict[str, int]]:
    """{"outgoing": {"total", "overdue"}, "incoming": …} of the worklists the user works: one
    query each."""
    counts = {}
    for name, work in WORKLISTS.items():
        if scope.can(work.action):
            counts[name] = (
                worklist(scope=scope, name=name)
                .order_by()
                .aggregate(total=Count("id"), overdue=Count("id", filter=Q(overdue=True)))
            )
    return counts


def progress(*, scope: Scope, id_number: str) -> list[TransferLeg]:
    """进度查询: every leg of the person that the caller may see, newest first."""
    scope.require("transfer.view")
    number = validate_id_number(id_number)
    legs = _legs().filter(application__person__id_number=number)
    if not (scope.national or scope.has_role("clerk", "channel")):
        legs = _in_scope(scope, legs)
    return with_details(list(legs.order_by("-id")))


def with_details(legs: list[TransferLeg]) -> list[TransferLeg]:
    """Attach each leg's current information sheet, contact letter and remittance (traditional
    model) and timeline in four queries, whatever the number of legs (lists stay at a fixed
    query count)."""
    ids = [leg.pk for leg in legs]
    sheets: dict[int, InfoSheet] = {}
    for sheet in InfoSheet.objects.filter(leg_id__in=ids).order_by("leg_id", "version"):
        sheets[sheet.leg_id] = sheet
    traditional = [leg.pk for leg in legs if leg.mode == Mode.TRADITIONAL]
    letters = (
        ContactLetter.objects.select_related("office", "issued_by").in_bulk(
            traditional, field_name="leg_id"
        )
        if traditional
        else {}
    )
    remittances = (
        Remittance.objects.select_related("remitted_by", "received_by").in_bulk(
            traditional, field_name="leg_id"
        )
        if traditional
        else {}
    )
    logs = defaultdict(list)
    content_type = ContentType.objects.get_for_model(TransferLeg)
    for log in (
        StateLog.objects.filter(content_type=content_type, object_id__in=ids)
        .select_related("by")
        .order_by("timestamp", "id")
    ):
        logs[log.object_id].append(log)
    for leg in legs:
        leg.current_sheet = sheets.get(leg.pk)
        leg.contact_letter = letters.get(leg.pk)
        leg.current_remittance = remittances.get(leg.pk)
        leg.timeline = _timeline(leg, logs[leg.pk])
    return legs


def as_submitted(legs: list[TransferLeg]) -> list[TransferLeg]:
    """Legs just created, shown as they were at submission (no sheet; the submit entry alone):
    no query, for the answer to the submission itself."""
    for leg in legs:
        leg.current_sheet = leg.contact_letter = leg.current_remittance = None
        leg.timeline = _timeline(leg, [])
    return legs


def _timeline(leg: TransferLeg, logs: list[StateLog]) -> list[dict]:
    application = leg.application
    entries = [
        {
            "at": application.created_at,
            "action": "submit",
            "label": ACTION_LABELS["submit"],
            "status": Status.SUBMITTED.value,
            "actor": application.submitted_by.get_username(),
            "office": application.accepting_office.name,
            "note": "",
        }
    ]
    for log in logs:
        detail = json.loads(log.description or "{}")
        entries.append(
            {
                "at": log.timestamp,
                "action": log.transition,
                "label": ACTION_LABELS.get(log.transition, log.transition),
                "status": log.state,
                "actor": log.by.get_username() if log.by else "系统",
                "office": detail.get("office_name", ""),
                "note": detail.get("note", ""),
            }
        )
    return entries


def materials_of(*, scope: Scope, leg: TransferLeg) -> QuerySet[Material]:
    if not scope.can("transfer.materials", _provinces(leg)):
        return Material.objects.none()
    return leg.application.materials.order_by("id")


def material_get(*, scope: Scope, material_id: int) -> Material:
    material = (
        Material.objects.select_related("application__accepting_office")
        .prefetch_related("application__legs")
        .filter(pk=material_id)
        .first()
    )
    if material is None:
        raise NotFound("未找到该材料。")
    provinces = {material.application.accepting_office.province_id}
    for leg in material.application.legs.all():
        provinces |= {leg.out_province_id, leg.in_province_id}
    scope.require("transfer.materials", provinces)
    return material


def application_get(*, scope: Scope, application_no: str) -> Application:
    """One application with its legs (in order), for the receipt (受理回执); seen by whoever may
    see any of its legs."""
    scope.require("transfer.view")
    application = (
        Application.objects.select_related("person", "accepting_office", "in_region")
        .prefetch_related(
            Prefetch(
                "legs", queryset=TransferLeg.objects.select_related("out_region").order_by("id")
            )
        )
        .filter(application_no=application_no)
        .first()
    )
    if application is None:
        raise NotFound(f"未找到申请编号为“{application_no}”的申请。")
    provinces = [application.accepting_office.province_id]
    for leg in application.legs.all():
        provinces += [leg.out_province_id, leg.in_province_id]
    scope.require("transfer.view", provinces)
    return application


def place_names(codes: Iterable[str]) -> dict[str, str]:
    """Full place names for display ("吉林省长春市南关区", "北京市海淀区"), by walking each
    region's parents: one query for any number of codes."""
    names = {}
    for region in Region.objects.filter(code__in=set(codes)).select_related("parent__parent"):
        parts, node = [], region
        while node is not None:
            parts.append(node.name)
            node = node.parent
        names[region.code] = "".join(reversed(parts))
    return names


def review_hints(leg: TransferLeg) -> list[dict[str, str]]:
    """What the incoming reviewer of a traditional application should look at before issuing
    the contact letter: the platform's rules this case fails today (advice, not a decision —
    the reviewer issues the letter or rejects with a note)."""
    if leg.mode != Mode.TRADITIONAL or leg.status != Status.SUBMITTED:
        return []
    return eligibility.failed_rules(eligibility.gather_facts(leg))
