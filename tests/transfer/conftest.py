"""A periodic case ready to submit: 严某荣, suspended in 长春 (220102), contributing in 海淀."""

from datetime import date
from decimal import Decimal

import pytest

from registry.models import AccountStatus, InsuranceAccount
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory, PersonFactory


@pytest.fixture
def jilin_provincial_office(db):
    return OfficeFactory(code="220000", region=region("220000"), province=region("220000"))


@pytest.fixture
def person(db):
    return PersonFactory(id_number="110101198808080001", name="严某荣")


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
