"""Reads of the transfer workflow, scoped: a leg is seen by its outgoing, incoming and accepting
provinces (every province for national offices); clerks and channels may look any case up by
number or ID number, as an applicant may ask at any office."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django_fsm_log.models import StateLog

from common.errors import NotFound
from common.scope import Scope
from registry.models import Region
from registry.validators import validate_id_number
from transfer.models import Application, InfoSheet, Material, Status, TransferLeg

ACTION_LABELS = {
    "submit": "受理",
    "pass_check": "部级平台校验通过",
    "fail_check": "部级平台校验不通过",
    "upload_info": "上传信息表",
    "refuse": "不予受理",
    "confirm": "确认办结",
    "send_back": "退回",
    "withdraw": "撤回",
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


WORKLISTS = {
    # name: (status, province field, scope action)
    "outgoing": (Status.ELIGIBLE, "out_province_id", "transfer.outgoing"),
    "incoming": (Status.INFO_UPLOADED, "in_province_id", "transfer.incoming"),
}


def worklist(
    *, scope: Scope, name: str, q: str = "", overdue: bool | None = None
) -> QuerySet[TransferLeg]:
    """待上传信息表 (outgoing) / 待确认 (incoming) of the reviewer's province: oldest deadline
    first, overdue ones leading. Any page costs about the same (`_PagedLegs`)."""
    status, field, action = WORKLISTS[name]
    scope.require(action)
    legs = scope.filter(_legs(paged=True).filter(status=status), field)
    if overdue is not None:
        legs = legs.filter(overdue=overdue)
    if q:
        legs = legs.filter(
            Q(transfer_no__startswith=q.upper()) | Q(application__person__id_number=q.upper())
        )
    return legs.order_by("deadline", "id")


def worklist_counts(*, scope: Scope) -> dict[str, dict[str, int]]:
    """{"outgoing": {"total", "overdue"}, "incoming": …}: one query per worklist."""
    counts = {}
    for name, (_, _, action) in WORKLISTS.items():
        if scope.can(action):
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
    """Attach each leg's current information sheet and timeline in two queries, whatever the
    number of legs (lists stay at a fixed query count)."""
    ids = [leg.pk for leg in legs]
    sheets: dict[int, InfoSheet] = {}
    for sheet in InfoSheet.objects.filter(leg_id__in=ids).order_by("leg_id", "version"):
        sheets[sheet.leg_id] = sheet
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
        leg.timeline = _timeline(leg, logs[leg.pk])
    return legs


def as_submitted(legs: list[TransferLeg]) -> list[TransferLeg]:
    """Legs just created, shown as they were at submission (no sheet; the submit entry alone):
    no query, for the answer to the submission itself."""
    for leg in legs:
        leg.current_sheet = None
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
