"""Rules tightened after review: the earlier of two submissions wins the duplicate check
whichever check runs first; the service checks phone, address, scheme and every file before
writing; opening a person's document is recorded."""

import pytest

from common.errors import ApplicationError
from common.models import AuditRecord
from common.scope import scope_for
from transfer import selectors, services
from transfer.materials import Upload
from transfer.models import Material, Status, TransferLeg

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_earlier_submission_wins_when_the_later_is_checked_first(submit, accounts):
    first = submit(check=False).legs.get()
    second = submit(check=False).legs.get()
    services.leg_check_eligibility(leg_id=second.pk)  # the later one's task runs first
    services.leg_check_eligibility(leg_id=first.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.ELIGIBLE, Status.REJECTED)
    assert [r["code"] for r in second.reasons] == ["DUPLICATE_APPLICATION"]


def test_earlier_submission_wins_in_submission_order_too(submit, accounts):
    first = submit(check=False).legs.get()
    second = submit(check=False).legs.get()
    services.leg_check_eligibility(leg_id=first.pk)
    services.leg_check_eligibility(leg_id=second.pk)
    assert list(TransferLeg.objects.order_by("pk").values_list("status", flat=True)) == [
        Status.ELIGIBLE,
        Status.REJECTED,
    ]


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"phone": "12"}, "phone"),
        ({"phone": "1380000000a"}, "phone"),
        ({"hukou_address": "  "}, "hukou_address"),
        ({"in_scheme": "private"}, "in_scheme"),
    ],
)
def test_service_checks_the_fields_itself(submit, accounts, world, overrides, field):
    before = world()
    with pytest.raises(ApplicationError) as refused:
        submit(check=False, **overrides)
    assert field in refused.value.fields
    assert world() == before


def test_a_bad_file_refuses_the_whole_submission_before_any_file_is_stored(
    submit, accounts, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    before = world()
    with pytest.raises(ApplicationError) as refused:
        submit(
            check=False,
            uploads=[
                Upload(kind="identity", name="id.png", content=PNG),
                Upload(kind="power_of_attorney", name="poa.pdf", content=b"not a pdf at all"),
            ],
        )
    assert refused.value.code == "UNSUPPORTED_FILE"
    assert world() == before
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_opening_a_document_is_recorded(
    submit, accounts, clerk, jilin_reviewer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    application = submit(uploads=[Upload(kind="identity", name="id.png", content=PNG)])
    material = Material.objects.get(application=application)
    opened = services.material_open(actor=jilin_reviewer, material_id=material.pk)
    assert opened.file.read() == PNG
    record = AuditRecord.objects.get(action="transfer.material.open")
    assert (record.actor, record.target_id, record.data["kind"]) == (
        jilin_reviewer,
        str(material.pk),
        "identity",
    )


def test_worklist_counts_in_one_query(submit, accounts, jilin_reviewer, django_assert_num_queries):
    submit()
    scope = scope_for(jilin_reviewer)  # built (one query) before counting
    with django_assert_num_queries(3):  # review, outgoing and incoming: one query each
        counts = selectors.worklist_counts(scope=scope)
    assert counts == {
        "review": {"total": 0, "overdue": 0},
        "outgoing": {"total": 1, "overdue": 0},
        "incoming": {"total": 0, "overdue": 0},
    }
