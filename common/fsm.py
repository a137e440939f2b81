"""Calling a django-fsm transition the one way every workflow does: with who, their office and a
note for django-fsm-log, saved at once; an illegal or stale transition is a 409 (Waldur)."""

from __future__ import annotations

import json

from django.db import models
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from common.errors import Conflict
from common.scope import scope_for

STALE = "该业务状态已变化，不能办理此操作，请刷新后查看。"


def log_kwargs(actor, note: str = "", *, system: dict) -> dict:
    """`by` and `description` for django-fsm-log: the actor and their office, or for a system job
    (`actor` None) the office named by `system`."""
    if actor is None:
        return {"by": None, "description": json.dumps({**system, "note": note}, ensure_ascii=False)}
    scope = scope_for(actor)
    office = {"office": scope.office_code or "", "office_name": scope.office_name}
    return {"by": actor, "description": json.dumps({**office, "note": note}, ensure_ascii=False)}


def transition(
    row: models.Model, name: str, actor, note: str = "", *, system: dict, **kwargs
) -> None:
    """Call transition `name` on a row the caller has locked, and save it."""
    try:
        getattr(row, name)(**kwargs, **log_kwargs(actor, note, system=system))
        row.save()
    except (TransitionNotAllowed, ConcurrentTransition):
        raise Conflict(STALE) from None
