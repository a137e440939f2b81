"""A periodic case ready to submit: 严某荣, suspended in 长春 (220102), contributing in 海淀."""

from datetime import date
from decimal import Decimal

import pytest
from django_fsm_log.models import StateLog

from clearing.models import Obligation
from common.models import AuditRecord
from registry.models import AccountStatus, ContributionMonth, InsuranceAccount, Person, Scheme
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory, PersonFactory
from transfer import services
from transfer.models import Application, InfoSheet, Material, NumberCounter, TransferLeg


@pytest.fixture
def jilin_provincial_office(db):
    return OfficeFactory(code="220000", region=region("220000"), province=region("220000"))


@pytest.fixture
def out_account(person):
    account = AccountFactory(
        person=person,
        region=region("220102"),
        province=region("220000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=3_000_000,
    )
    for year, month in [(1997, 12), (1998, 1), (2019, 1), (2019, 2)]:
        MonthFactory(account=account, month=date(year, month, 1), base_fen=600_000)
    return account


@pytest.fixture
def in_account(person):
    account = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        status=AccountStatus.CONTRIBUTING,
        individual_balance_fen=1_000_000,
    )
    MonthFactory(
        account=account, month=date(2024, 1, 1), base_fen=800_000, employer_rate=Decimal("0.16")
    )
    return account


@pytest.fixture
def application_body():
    return {
        "id_number": "110101198808080001",
        "name": "严某荣",
        "phone": "13800000000",
        "hukou_address": "北京市东城区某街道1号",
        "in_scheme": "enterprise",
        "in_region": "110108",
        "outs": [{"scheme": "enterprise", "region": "220102"}],
        "channel": "window",
        "manual": False,
        "applicant": {"kind": "self"},
    }


@pytest.fixture
def accounts(out_account, in_account) -> tuple[InsuranceAccount, InsuranceAccount]:
    return out_account, in_account


# --- actors and a submission helper for the service, API and concurrency tests --------------


@pytest.fixture
def guangdong_office(db):
    return OfficeFactory(code="440000", region=region("440000"), province=region("440000"))


@pytest.fixture
def clerk(make_staff):
    """A window clerk of the 海淀 office (Beijing, the incoming province)."""
    return make_staff("clerk", username="hd_clerk")


@pytest.fixture
def jilin_reviewer(make_staff, jilin_provincial_office):
    """The outgoing province's reviewer."""
    return make_staff("reviewer", office=jilin_provincial_office, username="jl_reviewer")


@pytest.fixture
def beijing_reviewer(make_staff):
    """The incoming province's reviewer."""
    return make_staff("reviewer", username="bj_reviewer")


@pytest.fixture
def ministry(make_staff, national_office):
    """A ministry user of the national office (runs `recheck`)."""
    return make_staff("ministry", office=national_office, username="moh_ministry")


@pytest.fixture
def guangdong_reviewer(make_staff, guangdong_office):
    return make_staff("reviewer", office=guangdong_office, username="gd_reviewer")


@pytest.fixture
def beijing_finance(make_staff):
    """The incoming province's finance (traditional model: confirms the funds arrived)."""
    return make_staff("finance", username="bj_finance")


@pytest.fixture
def jilin_finance(make_staff, jilin_provincial_office):
    """The outgoing province's finance (traditional model: remits the funds)."""
    return make_staff("finance", office=jilin_provincial_office, username="jl_finance")


@pytest.fixture
def institution_in(person):
    """严某荣's 机关事业单位 account in 海淀, contributing: the incoming account."""
    account = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        scheme=Scheme.INSTITUTION,
        status=AccountStatus.CONTRIBUTING,
        individual_balance_fen=200_000,
    )
    MonthFactory(account=account, month=date(2025, 1, 1), base_fen=900_000)
    return account


SUBMISSION = {
    "id_number": "110101198808080001",
    "name": "严某荣",
    "phone": "13800000000",
    "hukou_address": "北京市东城区某街道1号",
    "in_scheme": "enterprise",
    "in_region": "110108",
    "channel": "window",
}


@pytest.fixture
def submit(clerk, django_capture_on_commit_callbacks):
    """submit(outs=[("enterprise", "220102")], check=True, actor=clerk, who=person, **overrides)
    → Application, through `application_submit`; with `check` the queued eligibility check
    runs (eagerly), as it does once the submission commits."""

    def run(*, outs=(("enterprise", "220102"),), check=True, actor=None, who=None, **overrides):
        values = {**SUBMISSION, **overrides}
        if who is not None:
            values.update(id_number=who.id_number, name=who.name)
        out_places = [services.Out(scheme=scheme, region=code) for scheme, code in outs]
        if not check:
            return services.application_submit(actor=actor or clerk, outs=out_places, **values)
        with django_capture_on_commit_callbacks(execute=True):
            return services.application_submit(actor=actor or clerk, outs=out_places, **values)

    return run


@pytest.fixture
def world():
    """world() → everything a transfer write can touch, to assert a refused write changed
    nothing."""

    def snapshot() -> dict:
        return {
            "applications": list(Application.objects.order_by("pk").values_list("pk", flat=True)),
            "counters": list(NumberCounter.objects.order_by("pk").values_list("pk", "last")),
            "legs": list(
                TransferLeg.objects.order_by("pk").values_list(
                    "pk",
                    "status",
                    "reasons",
                    "refuse_code",
                    "deadline",
                    "overdue",
                    "out_account_id",
                    "completed_at",
                )
            ),
            "sheets": list(InfoSheet.objects.order_by("pk").values_list("pk", "leg_id", "version")),
            "accounts": list(
                InsuranceAccount.objects.order_by("pk").values_list(
                    "pk", "status", "individual_balance_fen", "arrears_fen"
                )
            ),
            "months": list(
                ContributionMonth.objects.order_by("pk").values_list(
                    "pk", "account_id", "origin_province_id", "cleared"
                )
            ),
            "obligations": list(Obligation.objects.order_by("pk").values_list("pk", flat=True)),
            "state_logs": list(StateLog.objects.order_by("pk").values_list("pk", flat=True)),
            "materials": list(Material.objects.order_by("pk").values_list("pk", flat=True)),
            "audit": list(AuditRecord.objects.order_by("pk").values_list("pk", flat=True)),
        }

    return snapshot


@pytest.fixture
def ready_person(db):
    """ready_person() → another person whose periodic case passes the check: suspended in 长春
    (two paid months, 500000 fen balance), contributing in 海淀 (one paid month)."""

    def make() -> Person:
        someone = PersonFactory()
        out = AccountFactory(
            person=someone,
            region=region("220102"),
            province=region("220000"),
            status=AccountStatus.SUSPENDED,
            individual_balance_fen=500_000,
        )
        for month in (date(2020, 1, 1), date(2020, 2, 1)):
            MonthFactory(account=out, month=month, base_fen=500_000)
        into = AccountFactory(person=someone, region=region("110108"), province=region("110000"))
        MonthFactory(account=into, month=date(2024, 1, 1), base_fen=800_000)
        return someone

    return make
