"""Shared fixtures. The suite runs on the PostgreSQL and Redis that `make test` starts."""

from datetime import date

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.data import load_regions
from registry.models import AccountStatus, Region
from tests.factories import (
    AccountFactory,
    MonthFactory,
    OfficeFactory,
    PersonFactory,
    StaffFactory,
)
from transfer import services as transfer_services
from transfer.models import Status, TransferLeg


def region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def regions(transactional_db):
    """Transactional tests (browser, real worker) end with a flush of every table, regions too:
    put the reference data back before each of them (about 0.3 s, far cheaper than Django's
    serialized rollback)."""
    load_regions(Region)


@pytest.fixture
def person(db):
    """严某荣, 110101198808080001: the person of the transfer and refund cases."""
    return PersonFactory(id_number="110101198808080001", name="严某荣")


@pytest.fixture
def office(db):
    """海淀区 office in Beijing (province 110000)."""
    return OfficeFactory(code="110108", region=region("110108"), province=region("110000"))


@pytest.fixture
def national_office(db):
    return OfficeFactory(
        code="MOH",
        name="人力资源社会保障部社会保险经办机构",
        region=region("110000"),
        province=region("110000"),
        national=True,
    )


@pytest.fixture
def jilin_office(db):
    return OfficeFactory(code="220102", region=region("220102"), province=region("220000"))


@pytest.fixture
def make_staff(db, office):
    """make_staff("clerk", "reviewer", office=...) → a User with that staff record."""

    def make(*roles, office=office, username=None):
        kwargs = {"roles": list(roles), "office": office}
        if username:
            kwargs["user__username"] = username
        return StaffFactory(**kwargs).user

    return make


@pytest.fixture
def api():
    """api(user) → an APIClient sending `user`'s real token (anonymous with None)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


# --- clearing: legs completed between any two provinces, and the finance actors ------------


@pytest.fixture
def province_office(db):
    """province_office("440000") → that province's own provincial office (made once)."""

    def get(province: str):
        office = OfficeFactory._meta.model.objects.filter(code=province).first()
        return office or OfficeFactory(
            code=province, region=region(province), province=region(province)
        )

    return get


@pytest.fixture
def finance(make_staff, province_office):
    """finance("440000") → a finance officer of that province's office."""

    made: dict[str, object] = {}

    def make(province: str):
        if province not in made:
            made[province] = make_staff(
                "finance", office=province_office(province), username=f"fin_{province}"
            )
        return made[province]

    return make


@pytest.fixture
def ministry_finance(make_staff, national_office):
    return make_staff("ministry", "finance", office=national_office, username="moh_finance")


@pytest.fixture
def complete_leg(make_staff, province_office, django_capture_on_commit_callbacks):
    """complete_leg("220000", "110000", balance_fen=…) → a periodic leg from one province to
    another, submitted, checked, sheet uploaded and confirmed through the transfer services
    (which write its obligation in the month of "now")."""
    actors: dict[str, object] = {}

    def reviewer(province: str):
        if province not in actors:
            actors[province] = make_staff(
                "reviewer", office=province_office(province), username=f"rev_{province}"
            )
        return actors[province]

    def run(out_province: str, in_province: str, *, balance_fen: int = 500_000) -> TransferLeg:
        if "clerk" not in actors:
            actors["clerk"] = make_staff("clerk", username="clr_clerk")
        clerk = actors["clerk"]
        person = PersonFactory()
        out = AccountFactory(
            person=person,
            region=region(out_province),
            province=region(out_province),
            status=AccountStatus.SUSPENDED,
            individual_balance_fen=balance_fen,
        )
        for month in (date(2020, 1, 1), date(2020, 2, 1)):
            MonthFactory(account=out, month=month, base_fen=500_000)
        into = AccountFactory(
            person=person, region=region(in_province), province=region(in_province)
        )
        MonthFactory(account=into, month=date(2024, 1, 1), base_fen=800_000)
        with django_capture_on_commit_callbacks(execute=True):
            application = transfer_services.application_submit(
                actor=clerk,
                outs=[transfer_services.Out(scheme="enterprise", region=out_province)],
                id_number=person.id_number,
                name=person.name,
                phone="13800000000",
                hukou_address="某地某街道1号",
                in_scheme="enterprise",
                in_region=in_province,
                channel="window",
            )
        leg = application.legs.get()
        leg.refresh_from_db()
        assert leg.status == Status.ELIGIBLE, leg.reasons
        transfer_services.leg_upload_info_sheet(
            actor=reviewer(out_province), transfer_no=leg.transfer_no
        )
        transfer_services.leg_confirm(actor=reviewer(in_province), transfer_no=leg.transfer_no)
        leg.refresh_from_db()
        return leg

    return run
