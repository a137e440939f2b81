"""Concurrent writers on PostgreSQL, with real threads and a connection each: a leg completes
once, and numbers are never handed out twice."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_fsm_log.models import StateLog

from clearing.models import Obligation
from registry.models import AccountStatus, ContributionMonth
from tests.concurrency import race
from transfer import services
from transfer.models import Application, Status, TransferLeg

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


def test_two_reviewers_confirm_the_same_leg_at_once(
    regions, accounts, submit, jilin_reviewer, beijing_reviewer, make_staff
):
    out_account, in_account = accounts
    leg = TransferLeg.objects.get(application=submit())
    assert leg.status == Status.ELIGIBLE  # the check ran when the submission committed
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    second_reviewer = make_staff("reviewer", username="bj_reviewer_2")
    months_before = ContributionMonth.objects.filter(account=out_account).count()

    def confirm(reviewer):
        return lambda: services.leg_confirm(
            actor=User.objects.get(pk=reviewer.pk), transfer_no=leg.transfer_no
        )

    outcomes = race(confirm(beijing_reviewer), confirm(second_reviewer))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert error.status == 409
    assert error.code in {"WRONG_STATE", "CONFLICT"}
    [completed] = [value for kind, value in outcomes if kind == "ok"]
    assert completed.status == Status.COMPLETED

    leg = TransferLeg.objects.get(pk=leg.pk)
    assert leg.status == Status.COMPLETED
    assert Obligation.objects.filter(leg=leg).count() == Obligation.objects.count() == 1
    obligation = Obligation.objects.get()
    assert (obligation.individual_fen, obligation.pooled_fen) == (3_000_000, 216_000)
    out_account.refresh_from_db()
    in_account.refresh_from_db()
    assert out_account.status == AccountStatus.TRANSFERRED_OUT
    assert (out_account.individual_balance_fen, in_account.individual_balance_fen) == (
        0,
        4_000_000,
    )
    assert ContributionMonth.objects.filter(account=in_account).count() == 1 + months_before
    assert ContributionMonth.objects.filter(account=out_account).count() == 0
    assert [log.transition for log in StateLog.objects.for_(leg).order_by("id")] == [
        "pass_check",
        "upload_info",
        "confirm",
    ]


def test_concurrent_submissions_from_one_office_get_distinct_numbers(
    regions, ready_person, clerk, make_staff
):
    people = [ready_person() for _ in range(4)]
    second_clerk = make_staff("clerk", username="hd_clerk_2")
    clerks = [clerk, second_clerk, clerk, second_clerk]

    def submission(person, user):
        return lambda: (
            services.application_submit(
                actor=User.objects.get(pk=user.pk),
                id_number=person.id_number,
                name=person.name,
                phone="13800000000",
                hukou_address="北京市海淀区某街道2号",
                in_scheme="enterprise",
                in_region="110108",
                outs=[services.Out(scheme="enterprise", region="220102")],
                channel="window",
            ).application_no
        )

    outcomes = race(*[submission(p, u) for p, u in zip(people, clerks, strict=True)])

    assert [kind for kind, _ in outcomes] == ["ok"] * 4, outcomes
    day = f"{timezone.localdate():%Y%m%d}"
    assert sorted(number for _, number in outcomes) == [
        f"110108-{day}-0000{n}" for n in (1, 2, 3, 4)
    ]
    assert Application.objects.count() == 4
    # Each submission's check ran on commit, in its own thread.
    assert set(TransferLeg.objects.values_list("status", flat=True)) == {Status.ELIGIBLE}
    assert sorted(TransferLeg.objects.values_list("transfer_no", flat=True)) == [
        f"110108-{day}-0000{n}-1" for n in (1, 2, 3, 4)
    ]
