"""The audit trail is append-only and hash-chained (common/audit.py): the app cannot change a
record, PostgreSQL refuses UPDATE and DELETE, and `audit_verify` finds the first broken link when
someone edits the table behind the trigger's back."""

import itertools
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from common.audit import GENESIS, audit_record, audit_seal, audit_verify, record_hash
from common.models import AuditRecord


@pytest.fixture
def trail(make_staff):
    clerk = make_staff("clerk", username="hd_clerk")
    for n in range(5):
        audit_record(actor=clerk, action="test.write", target=None, n=n, note=f"第{n}次")
    audit_record(actor=None, action="test.job", operator="beat")
    return AuditRecord.objects.order_by("id")


def test_records_are_sealed_in_a_chain(trail):
    assert audit_seal() == 6
    records = list(trail.order_by("seq"))
    assert [r.seq for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[0].prev_hash == GENESIS
    for earlier, later in itertools.pairwise(records):
        assert later.prev_hash == earlier.hash
    assert records[2].hash == record_hash(records[2], 3, records[1].hash)
    assert audit_seal() == 0  # nothing new
    verdict = audit_verify()
    assert (verdict.checked, verdict.unsealed, verdict.broken_seq) == (6, 0, None)


def test_postgresql_refuses_update_and_delete(trail):
    audit_seal()
    first = trail.first()
    for change in (
        lambda: AuditRecord.objects.filter(pk=first.pk).update(action="test.forged"),
        lambda: AuditRecord.objects.filter(pk=first.pk).update(hash="f" * 64),
        lambda: AuditRecord.objects.filter(pk=first.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    first.refresh_from_db()
    assert first.action == "test.write"


def tamper(sql: str, params: list) -> None:
    """Edit the table as an intruder with database rights would: behind the trigger's back."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # triggers off (superuser)
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", "--no-seal", stdout=out)
    return out.getvalue()


def test_an_edited_record_is_the_first_broken_link(trail):
    audit_seal()
    assert "哈希链完好：6 条已封链记录" in verify()
    third = trail.order_by("seq")[2]
    tamper(
        "UPDATE common_auditrecord SET data = %s WHERE id = %s",
        ['{"n": 2, "note": "改过"}', third.pk],
    )
    with pytest.raises(CommandError, match="第一处断链：链序号 3，记录内容与哈希不符"):
        verify()


def test_a_deleted_record_is_found(trail):
    audit_seal()
    fourth = trail.order_by("seq")[3]
    tamper("DELETE FROM common_auditrecord WHERE id = %s", [fourth.pk])
    verdict = audit_verify()
    assert (verdict.broken_seq, verdict.checked) == (4, 3)
    assert "缺失" in verdict.reason


def test_a_rewritten_chain_is_found_at_the_rewrite(trail):
    """Editing a record and recomputing its own hash still breaks the next link."""
    audit_seal()
    records = list(trail.order_by("seq"))
    second = records[1]
    second.action = "test.forged"
    forged = record_hash(second, 2, records[0].hash)
    tamper(
        "UPDATE common_auditrecord SET action = %s, hash = %s WHERE id = %s",
        ["test.forged", forged, second.pk],
    )
    verdict = audit_verify()
    assert (verdict.broken_seq, verdict.checked) == (3, 2)
    assert "前一记录哈希不符" in verdict.reason


def test_the_command_seals_first_and_counts_the_unsealed(trail):
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "封链：6 条" in out.getvalue() and "6 条已封链记录，0 条尚未封链" in out.getvalue()
    audit_record(actor=None, action="test.late", operator="beat")
    assert audit_verify().unsealed == 1
