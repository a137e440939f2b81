"""A record's timeline: how it was opened (受理), then every transition as django-fsm-log recorded
it — who, at which office, when, the note (common.fsm writes the office and note)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm_log.models import StateLog


def step(*, at, action: str, label: str, status: str, status_label: str, actor: str, office: str,
         note: str = "") -> dict:  # fmt: skip
    return {
        "at": at,
        "action": action,
        "label": label,
        "status": status,
        "status_label": status_label,
        "actor": actor,
        "office": office,
        "note": note,
    }


def with_timelines(
    rows: Sequence[models.Model],
    *,
    opening: Callable[[models.Model], dict],
    labels: dict[str, str],
    statuses: type[models.TextChoices],
) -> Sequence[models.Model]:
    """Give each row its `timeline`: `opening(row)` (a `step`), then its transitions — one query
    for all the rows."""
    logs: dict[str, list[StateLog]] = {}
    if rows:
        for log in (
            StateLog.objects.filter(
                content_type=ContentType.objects.get_for_model(type(rows[0])),
                object_id__in=[str(row.pk) for row in rows],
            )
            .select_related("by")
            .order_by("timestamp", "id")
        ):
            logs.setdefault(str(log.object_id), []).append(log)
    for row in rows:
        row.timeline = [opening(row)]
        for log in logs.get(str(row.pk), []):
            detail = json.loads(log.description or "{}")
            row.timeline.append(
                step(
                    at=log.timestamp,
                    action=log.transition,
                    label=labels.get(log.transition, log.transition),
                    status=log.state,
                    status_label=statuses(log.state).label
                    if log.state in statuses.values
                    else log.state,
                    actor=log.by.get_username() if log.by else "系统",
                    office=detail.get("office_name", ""),
                    note=detail.get("note", ""),
                )
            )
    return rows
