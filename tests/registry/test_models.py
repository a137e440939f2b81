"""Database constraints hold what must never be false, whatever code writes the row."""

from datetime import date

from django.db import IntegrityError, transaction

from registry.models import (
    ContributionMonth,
    InsuranceAccount,
    ModuleSwitch,
    Office,
    Person,
    Region,
)
from tests.factories import AccountFactory, MonthFactory, PersonFactory


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_region_code_and_level(db):
    assert refused(lambda: Region.objects.create(code="11000", name="x", level="province"))
    assert refused(lambda: Region.objects.create(code="11000a", name="x", level="county"))
    assert refused(lambda: Region.objects.create(code="990000", name="x", level="planet"))
    assert refused(lambda: Region.objects.create(code="110199", name="x", level="province"))


def test_office_province_is_its_regions(db):
    assert refused(
        lambda: Office.objects.create(code="X", name="x", region_id="110108", province_id="220000")
    )
    assert refused(
        lambda: Office.objects.create(code="", name="x", region_id="110108", province_id="110000")
    )


def test_person_number_unique_and_well_formed(db):
    person = PersonFactory()
    assert refused(lambda: PersonFactory(id_number=person.id_number))
    assert refused(lambda: PersonFactory(id_number="11010119880808000"))
    assert refused(lambda: PersonFactory(id_number="11010119880808000x"))
    assert refused(lambda: PersonFactory(status="retired"))
    assert Person.objects.count() == 1


def test_account_money_codes_and_uniqueness(db):
    account = AccountFactory()
    assert refused(lambda: AccountFactory(person=account.person))  # same province + scheme
    assert refused(lambda: AccountFactory(arrears_fen=-1))
    assert refused(lambda: AccountFactory(individual_balance_fen=-1))
    assert refused(lambda: AccountFactory(scheme="private"))
    assert refused(lambda: AccountFactory(status="frozen"))
    assert refused(lambda: AccountFactory(account_type="vip"))
    assert refused(lambda: AccountFactory(region_id="110108", province_id="220000"))
    # Another scheme in the same province is another account.
    AccountFactory(person=account.person, scheme=InsuranceAccount.Scheme.RESIDENT)
    assert InsuranceAccount.objects.count() == 2


def test_contribution_month_constraints(db):
    month = MonthFactory()
    assert refused(lambda: MonthFactory(account=month.account, month=month.month))
    assert refused(lambda: MonthFactory(month=date(2020, 1, 2)))
    assert refused(lambda: MonthFactory(base_fen=-1))
    assert refused(lambda: MonthFactory(identity="boss"))
    assert refused(lambda: MonthFactory(employer_rate="1.0000"))
    # The same month under the other identity is a separate (duplicate-payment) row.
    MonthFactory(account=month.account, month=month.month, identity="flexible")
    assert ContributionMonth.objects.count() == 2


def test_module_switch_needs_notice_when_suspended(db):
    assert refused(lambda: ModuleSwitch.objects.create(name="refunds", suspended=True, notice=""))
    assert refused(lambda: ModuleSwitch.objects.create(name="payroll", suspended=False))
