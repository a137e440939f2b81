"""The audit trail: one row per write, in the write's transaction (Zulip's acting_user), and the
hash chain that makes it tamper-evident.

Writes never wait for the chain: a record is inserted unsealed, and the sealer (`audit_seal`, run
by beat every minute and by `manage.py audit_verify`) gives the committed ones, in id order, the
next `seq` and `hash = sha256(previous hash + the record's canonical content)`. On PostgreSQL a
trigger refuses any UPDATE or DELETE besides that one-time sealing (migration 0003), so a change
can only come from someone bypassing it — which `audit_verify` then finds as a broken link."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import connection, models, transaction

from common.models import AuditRecord
from common.scope import scope_for

GENESIS = "0" * 64
SEAL_LOCK = 4_243_001  # pg_advisory_xact_lock key: one sealer at a time
BATCH = 1000


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


def record_hash(record: AuditRecord, seq: int, prev_hash: str) -> str:
    """The link: the previous hash and everything the record says, in a canonical form."""
    content = [
        seq,
        record.pk,
        record.at.isoformat(),
        record.actor_id,
        record.actor_label,
        record.office_code,
        record.action,
        record.target_type,
        record.target_id,
        record.data,
    ]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def audit_seal() -> int:
    """Chain every committed, unsealed record (in id order); returns how many were sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])
            last = AuditRecord.objects.filter(seq__isnull=False).order_by("-seq").first()
            seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
            batch = list(AuditRecord.objects.filter(seq__isnull=True).order_by("id")[:BATCH])
            for record in batch:
                seq += 1
                digest = record_hash(record, seq, prev)
                AuditRecord.objects.filter(pk=record.pk).update(
                    seq=seq, prev_hash=prev, hash=digest
                )
                prev = digest
            sealed += len(batch)
        if len(batch) < BATCH:
            return sealed


@dataclass(frozen=True)
class Verdict:
    checked: int
    unsealed: int
    broken_seq: int | None  # the first record whose link does not hold
    reason: str


def audit_verify() -> Verdict:
    """Walk the chain in `seq` order, recomputing each hash; stop at the first broken link."""
    prev, expected_seq, checked = GENESIS, 1, 0
    records = AuditRecord.objects.filter(seq__isnull=False).order_by("seq")
    for record in records.iterator(chunk_size=BATCH):
        if record.seq != expected_seq:
            return Verdict(checked, 0, expected_seq, f"链序号 {expected_seq} 缺失（记录被删除）")
        if record.prev_hash != prev:
            return Verdict(checked, 0, record.seq, "前一记录哈希不符（链被改动）")
        if record_hash(record, record.seq, prev) != record.hash:
            return Verdict(checked, 0, record.seq, "记录内容与哈希不符（记录被改动）")
        prev, expected_seq, checked = record.hash, expected_seq + 1, checked + 1
    unsealed = AuditRecord.objects.filter(seq__isnull=True).count()
    return Verdict(checked, unsealed, None, "")
