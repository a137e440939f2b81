"""严某荣 retires in Beijing (110000) and still has accounts elsewhere: 长春 (suspended, 4 paid
months), 广州 (contributing, 2 paid months); the 海淀 admin and supervisors handle the whitelist."""

from datetime import date

import pytest

from registry.models import AccountStatus
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, png_bytes
from whitelist import services


@pytest.fixture
def beijing(person):
    account = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        status=AccountStatus.CONTRIBUTING,
    )
    MonthFactory(account=account, month=date(2024, 1, 1))
    return account


@pytest.fixture
def changchun(person):
    account = AccountFactory(
        person=person,
        region=region("220102"),
        province=region("220000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=300_000,
    )
    for month in (1, 2, 3, 4):
        MonthFactory(account=account, month=date(2019, month, 1))
    return account


@pytest.fixture
def guangzhou(person):
    account = AccountFactory(
        person=person,
        region=region("440106"),
        province=region("440000"),
        status=AccountStatus.CONTRIBUTING,
    )
    for month in (5, 6):
        MonthFactory(account=account, month=date(2021, month, 1))
    return account


@pytest.fixture
def accounts(beijing, changchun, guangzhou):
    return beijing, changchun, guangzhou


@pytest.fixture
def admin(make_staff):
    return make_staff("admin", username="hd_admin")


@pytest.fixture
def supervisor(make_staff):
    return make_staff("supervisor", username="hd_supervisor")


EVIDENCE = services.Evidence("清算证明.png", png_bytes())


@pytest.fixture
def make_entry(admin, accounts):
    """make_entry(**overrides) → an entry for 长春's account, reason CLEARED, via `entry_make`."""

    def run(**overrides):
        values = {
            "actor": admin,
            "id_number": "110101198808080001",
            "region": "220102",
            "scheme": "enterprise",
            "reason": "CLEARED",
            "evidence": "长春市南关区社会保险事业管理局出具的已清算证明",
            "evidence_file": EVIDENCE,
            "channel": "window",
            **overrides,
        }
        return services.entry_make(**values)

    return run
