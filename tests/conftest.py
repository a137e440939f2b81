"""Shared fixtures. The suite runs on the PostgreSQL and Redis that `make test` starts."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.data import load_regions
from registry.models import Region
from tests.factories import OfficeFactory, StaffFactory


def region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def regions(transactional_db):
    """Transactional tests (browser, real worker) end with a flush of every table, regions too:
    put the reference data back before each of them (about 0.3 s, far cheaper than Django's
    serialized rollback)."""
    load_regions(Region)


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
