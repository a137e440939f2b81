"""The eligibility check as production runs it: the submission commits, its on-commit hook queues
the task on Redis, a real worker runs the check, and the client polls until the status leaves
`submitted` (API.md "Transfers")."""

import time
from datetime import date

import pytest
from django_fsm_log.models import StateLog

from registry.models import AccountStatus
from settings.celery import app
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory, PersonFactory, StaffFactory
from transfer.models import Status, TransferLeg

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

POLL_SECONDS = 20


@pytest.fixture
def clerk(celery_worker):
    office = OfficeFactory(code="110108", region=region("110108"))
    return StaffFactory(roles=["clerk"], office=office, user__username="hd_clerk").user


@pytest.fixture
def person(celery_worker):
    """严某荣: suspended in 长春 with two paid months, contributing in 海淀."""
    someone = PersonFactory(id_number="110101198808080001", name="严某荣")
    out = AccountFactory(
        person=someone,
        region=region("220102"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=3_000_000,
    )
    MonthFactory(account=out, month=date(2019, 1, 1), base_fen=600_000)
    MonthFactory(account=out, month=date(2019, 2, 1), base_fen=600_000)
    into = AccountFactory(person=someone, region=region("110108"))
    MonthFactory(account=into, month=date(2024, 1, 1), base_fen=800_000)
    return someone


BODY = {
    "id_number": "110101198808080001",
    "name": "严某荣",
    "phone": "13800000000",
    "hukou_address": "北京市东城区某街道1号",
    "in_scheme": "enterprise",
    "in_region": "110108",
    "outs": [{"scheme": "enterprise", "region": "220102"}],
    "channel": "window",
}


def poll(client, transfer_no: str) -> dict:
    """GET the transfer until its status leaves `submitted` (at most POLL_SECONDS)."""
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        shown = client.get(f"/api/v1/transfers/{transfer_no}/").json()
        if shown["status"] != Status.SUBMITTED or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def test_the_worker_checks_a_submitted_leg(celery_worker, clerk, person, api):
    client = api(clerk)
    assert not app.conf.task_always_eager  # the task goes through Redis to the worker

    created = client.post("/api/v1/transfer-applications/", BODY, format="json")

    assert created.status_code == 201, created.json()
    [transfer] = created.json()["transfers"]
    assert transfer["status"] == "submitted"  # answered before the check ran
    shown = poll(client, transfer["transfer_no"])
    assert shown["status"] == "eligible", shown
    assert (shown["reasons"], shown["overdue"]) == ([], False)
    leg = TransferLeg.objects.get(transfer_no=transfer["transfer_no"])
    assert leg.out_account.person_id == person.pk
    [log] = StateLog.objects.for_(leg)
    assert (log.transition, log.source_state, log.state, log.by) == (
        "pass_check",
        "submitted",
        "eligible",
        None,  # the platform, not a person
    )
    assert [e["actor"] for e in shown["timeline"]] == ["hd_clerk", "系统"]


def test_the_worker_reports_every_failing_rule(celery_worker, clerk, person, api):
    person.accounts.filter(region_id="220102").update(
        status=AccountStatus.CONTRIBUTING, arrears_fen=5_000
    )
    client = api(clerk)

    created = client.post("/api/v1/transfer-applications/", BODY, format="json")

    shown = poll(client, created.json()["transfers"][0]["transfer_no"])
    assert shown["status"] == "rejected", shown
    assert [r["code"] for r in shown["reasons"]] == ["OUT_NOT_SUSPENDED", "OUT_ARREARS"]
    assert shown["deadline"] is None
