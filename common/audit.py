"""Write the audit row for a write, inside the caller's transaction (Zulip's acting_user)."""

from __future__ import annotations

from django.db import models

from common.models import AuditRecord
from common.scope import scope_for


def audit_record(*, actor, action: str, target: models.Model | None = None, **data) -> AuditRecord:
    """Record `actor` doing `action` to `target`. `actor` None means a system job or an operator
    command; `data` holds what changed (never a full ID number: callers pass masked values)."""
    scope = scope_for(actor) if actor is not None else None
    return AuditRecord.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor is not None else data.pop("operator", "system"),
        office_code=(scope.office_code or "") if scope else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
    )
