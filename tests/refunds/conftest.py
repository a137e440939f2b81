"""A person who paid some months twice: 严某荣, flexible in 海淀 (2020-01…2020-06) while employed
in 长春 (2020-03…2020-08), and in 海淀 also as an employee in 2021-01 (two identities, one account).
"""

from datetime import date

import pytest

from refunds import services
from registry.models import AccountStatus, Identity
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory

BASE = 500_000


def months(first: tuple[int, int], last: tuple[int, int]) -> list[date]:
    (y, m), found = first, []
    while (y, m) <= last:
        found.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


@pytest.fixture
def haidian(person):
    account = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        status=AccountStatus.CONTRIBUTING,
        individual_balance_fen=1_000_000,
    )
    for month in months((2020, 1), (2020, 6)):
        MonthFactory(account=account, month=month, identity=Identity.FLEXIBLE, base_fen=BASE)
    MonthFactory(account=account, month=date(2021, 1, 1), identity=Identity.FLEXIBLE, base_fen=BASE)
    MonthFactory(account=account, month=date(2021, 1, 1), identity=Identity.EMPLOYEE, base_fen=BASE)
    return account


@pytest.fixture
def changchun(person):
    account = AccountFactory(
        person=person,
        region=region("220102"),
        province=region("220000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=800_000,
    )
    for month in months((2020, 3), (2020, 8)):
        MonthFactory(account=account, month=month, identity=Identity.EMPLOYEE, base_fen=BASE)
    return account


@pytest.fixture
def accounts(haidian, changchun):
    return haidian, changchun


@pytest.fixture
def refund_clerk(make_staff):
    return make_staff("clerk", username="hd_refund_clerk")


@pytest.fixture
def supervisor(make_staff):
    return make_staff("supervisor", username="bj_supervisor")


@pytest.fixture
def finance_bj(make_staff):
    return make_staff("finance", username="bj_refund_finance")


BANK = services.Bank("中国工商银行北京海淀支行", "6222 0202 0000 1234 567", "严某荣")
FLEXIBLE_2020 = [services.IdentityPeriod("110108", date(2020, 1, 1), date(2020, 6, 1), "flexible")]


@pytest.fixture
def apply(refund_clerk):
    """apply(months=[…], **overrides) → Refund, through `refund_submit` (at the 海淀 window,
    refunding 海淀's flexible months 2020-03/04 by default)."""

    def run(months=(date(2020, 3, 1), date(2020, 4, 1)), **overrides):
        values = {
            "actor": refund_clerk,
            "id_number": "110101198808080001",
            "channel": "window",
            "refund_region": "110108",
            "months": list(months),
            "identities": FLEXIBLE_2020,
            "bank": BANK,
            **overrides,
        }
        return services.refund_submit(**values)

    return run
