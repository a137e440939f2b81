"""Reads of the transfer workflow, scoped: a leg is seen by its outgoing, incoming and accepting
provinces (every province for national offices); clerks and channels may look any case up by
number or ID number, as an applicant may ask at any office."""

from __future__ import annotations

import json
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django_fsm_log.models import StateLog

from common.errors import NotFound
from common.scope import Scope
from registry.validators import validate_id_number
from transfer.models import InfoSheet, Material, Status, TransferLeg

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


def _legs() -> QuerySet[TransferLeg]:
    return TransferLeg.objects.select_related(
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
    first, overdue ones leading."""
    status, field, action = WORKLISTS[name]
    scope.require(action)
    legs = scope.filter(_legs().filter(status=status), field)
    if overdue is not None:
        legs = legs.filter(overdue=overdue)
    if q:
        legs = legs.filter(
            Q(transfer_no__startswith=q.upper()) | Q(application__person__id_number=q.upper())
        )
    return legs.order_by("deadline", "id")


def worklist_counts(*, scope: Scope) -> dict[str, dict[str, int]]:
    counts = {}
    for name, (_, _, action) in WORKLISTS.items():
        if scope.can(action):
            legs = worklist(scope=scope, name=name)
            counts[name] = {"total": legs.count(), "overdue": legs.filter(overdue=True).count()}
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
