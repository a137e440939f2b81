"""What moves with a transfer (国办发〔2009〕66号, DESIGN.md §4): worked examples to the fen, and
properties against an independent Decimal computation."""

from datetime import date
from decimal import ROUND_FLOOR, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.models import AccountStatus, AccountType, Identity
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, PersonFactory
from transfer.funds import compute_funds

EMPLOYEE, FLEXIBLE = Identity.EMPLOYEE, Identity.FLEXIBLE


def out_account(person=None, *, account_type=AccountType.GENERAL, balance=0):
    return AccountFactory(
        **({"person": person} if person else {}),
        region=region("220102"),
        province=region("220000"),
        status=AccountStatus.SUSPENDED,
        account_type=account_type,
        individual_balance_fen=balance,
    )


def in_account(person):
    return AccountFactory(person=person, region=region("110108"), province=region("110000"))


def months(account, *rows):
    """rows: (year, month, base_fen[, employer_rate[, identity[, cleared]]])"""
    for year, month, base, *rest in rows:
        extra = dict(zip(("employer_rate", "identity", "cleared"), rest, strict=False))
        MonthFactory(account=account, month=date(year, month, 1), base_fen=base, **extra)


# --- worked examples ---------------------------------------------------------------------------


def test_months_before_1998_carry_no_pooled_part(db):
    account = out_account(balance=3_000_000)
    months(
        account, (1997, 11, 500_000), (1997, 12, 500_000), (1998, 1, 500_000), (1998, 2, 500_000)
    )

    funds = compute_funds(account)

    assert len(funds.months) == 4
    assert funds.pooled_months == 2
    assert funds.pooled_fen == 120_000  # 2 × 500000 × 12%
    assert funds.individual_fen == 3_000_000
    assert funds.total_fen == 3_120_000
    assert [m.rate for m in funds.months] == [None, None, Decimal("0.12"), Decimal("0.12")]


def test_general_account_uses_12_percent_whatever_the_employer_rate(db):
    account = out_account()
    months(account, (2019, 1, 123_456, Decimal("0.20")), (2019, 2, 123_456, Decimal("0.16")))

    funds = compute_funds(account)

    # 2 × 123456 × 0.12 = 29629.44 → 29629
    assert funds.pooled_fen == 29_629


def test_temporary_account_uses_the_employer_rate_above_12_percent(db):
    account = out_account(account_type=AccountType.TEMPORARY)
    months(account, (2019, 1, 123_456, Decimal("0.20")))

    funds = compute_funds(account)

    # 123456 × 0.20 = 24691.2 → 24691 (12% would be 14815)
    assert funds.pooled_fen == 24_691
    assert funds.months[0].rate == Decimal("0.20")


@pytest.mark.parametrize(
    ("employer_rate", "pooled_fen"),
    [
        (Decimal("0.10"), 14_815),
        (Decimal("0.12"), 14_815),
        (None, 14_815),
        (Decimal("0.16"), 19_753),
    ],
)
def test_temporary_account_below_12_percent_stays_at_12(db, employer_rate, pooled_fen):
    account = out_account(account_type=AccountType.TEMPORARY)
    months(account, (2019, 1, 123_456, employer_rate))

    # 123456 × 0.12 = 14814.72 → 14815; × 0.16 = 19752.96 → 19753
    assert compute_funds(account).pooled_fen == pooled_fen


def test_one_rounding_of_the_sum_not_per_month(db):
    """3 months of base 4 fen: 0.48 + 0.48 + 0.48 = 1.44 → 1 fen (per month it would be 0)."""
    account = out_account()
    months(account, (2020, 1, 4), (2020, 2, 4), (2020, 3, 4))

    assert compute_funds(account).pooled_fen == 1


def test_one_rounding_rounds_down_where_per_month_rounds_up(db):
    """5 months of base 5 fen: 0.6 × 5 = 3.0 → 3 fen (per month 1 + 1 + 1 + 1 + 1 = 5)."""
    account = out_account()
    months(account, *[(2021, m, 5) for m in range(1, 6)])

    assert compute_funds(account).pooled_fen == 3


def test_a_half_fen_in_the_total_rounds_up(db):
    """Temporary account at 12.5%: two months of base 2 fen give 0.25 + 0.25 = 0.50 → 1 fen
    (per month: 0 + 0 = 0)."""
    account = out_account(account_type=AccountType.TEMPORARY)
    months(account, (2020, 1, 2, Decimal("0.125")), (2020, 2, 2, Decimal("0.125")))

    assert compute_funds(account).pooled_fen == 1


def test_half_up_not_bankers_rounding(db):
    """3 months of base 12 fen at 12.5%: 1.5 × 3 = 4.5 → 5 fen (banker's rounding: 4; per month
    half-up: 2 + 2 + 2 = 6)."""
    account = out_account(account_type=AccountType.TEMPORARY)
    months(account, *[(2020, m, 12, Decimal("0.125")) for m in (1, 2, 3)])

    assert compute_funds(account).pooled_fen == 5


def test_cleared_months_are_excluded(db):
    account = out_account(balance=10)
    months(
        account,
        (2019, 1, 600_000),
        (2019, 2, 600_000, None, EMPLOYEE, True),
        (2019, 3, 700_000, None, FLEXIBLE, True),
    )

    funds = compute_funds(account)

    assert [f"{m.month:%Y-%m}" for m in funds.months] == ["2019-01"]
    assert (funds.pooled_months, funds.pooled_fen, funds.total_fen) == (1, 72_000, 72_010)


def test_duplicate_months_are_the_months_paid_in_the_incoming_account(db):
    person = PersonFactory()
    account = out_account(person, balance=1_000)
    months(
        account,
        (2019, 1, 600_000),
        (2019, 2, 600_000),
        (2019, 3, 600_000),
        (2019, 4, 600_000),
        (2019, 5, 600_000),
    )
    incoming = in_account(person)
    months(
        incoming,
        (2019, 2, 800_000),  # the same month, the same identity
        (2019, 4, 300_000, None, FLEXIBLE),  # the same month as a flexible worker
        (2019, 5, 800_000, None, EMPLOYEE, True),  # cleared: not paid there any more
        (2019, 6, 800_000),  # not in the outgoing account
    )

    funds = compute_funds(account, incoming)

    assert funds.duplicate_months == ["2019-02", "2019-04"]
    assert [m.duplicate for m in funds.months] == [False, True, False, True, False]
    # Duplicates still belong to the sheet's months and amounts (the refund process settles them).
    assert (len(funds.months), funds.pooled_fen) == (5, 360_000)
    assert compute_funds(account).duplicate_months == []


def test_an_account_without_months_moves_its_balance_only(db):
    funds = compute_funds(out_account(balance=456_789))

    assert (funds.months, funds.pooled_fen, funds.pooled_months) == ([], 0, 0)
    assert (funds.individual_fen, funds.total_fen) == (456_789, 456_789)


# --- properties --------------------------------------------------------------------------------

MONTHS = [date(y, m, 1) for y in range(1993, 2027) for m in range(1, 13)]
RATES = st.none() | st.decimals(
    min_value=Decimal("0"), max_value=Decimal("0.9999"), places=4, allow_nan=False
)
MONTH_ROWS = st.lists(
    st.tuples(
        st.sampled_from(MONTHS),
        st.sampled_from([EMPLOYEE, FLEXIBLE]),
        st.integers(min_value=0, max_value=5_000_000),
        RATES,
        st.booleans(),  # cleared
    ),
    max_size=30,
    unique_by=lambda row: (row[0], row[1]),
)


class Rollback(Exception):
    """Leave the example's rows behind: the savepoint is rolled back."""


def expected_pooled_fen(rows, temporary: bool) -> int:
    """Independently: Σ base × rate over uncleared months from 1998-01, then one half-up rounding
    to the fen, done as floor(x + 1/2)."""
    total = Decimal(0)
    for month, _identity, base, rate, cleared in rows:
        if cleared or month < date(1998, 1, 1):
            continue
        applied = Decimal("0.12")
        if temporary and rate is not None and rate > applied:
            applied = rate
        total += Decimal(base) * applied
    return int((total + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR))


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=MONTH_ROWS,
    temporary=st.booleans(),
    balance=st.integers(min_value=0, max_value=10**11),
)
def test_funds_match_an_independent_computation(db, rows, temporary, balance):
    try:
        with transaction.atomic():
            account = out_account(
                account_type=AccountType.TEMPORARY if temporary else AccountType.GENERAL,
                balance=balance,
            )
            for month, identity, base, rate, cleared in rows:
                MonthFactory(
                    account=account,
                    month=month,
                    identity=identity,
                    base_fen=base,
                    employer_rate=rate,
                    cleared=cleared,
                )

            funds = compute_funds(account)

            uncleared = [row for row in rows if not row[4]]
            assert funds.pooled_fen == expected_pooled_fen(rows, temporary)
            assert funds.individual_fen == balance
            assert funds.total_fen == funds.individual_fen + funds.pooled_fen
            assert len(funds.months) == len(uncleared)
            assert funds.pooled_months == sum(1 for row in uncleared if row[0] >= date(1998, 1, 1))
            assert funds.duplicate_months == []
            raise Rollback
    except Rollback:
        pass


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(out_rows=MONTH_ROWS, in_rows=MONTH_ROWS)
def test_duplicates_are_the_uncleared_months_paid_on_both_sides(db, out_rows, in_rows):
    try:
        with transaction.atomic():
            person = PersonFactory()
            accounts = (out_account(person), in_account(person))
            for account, rows in zip(accounts, (out_rows, in_rows), strict=True):
                for month, identity, base, rate, cleared in rows:
                    MonthFactory(
                        account=account,
                        month=month,
                        identity=identity,
                        base_fen=base,
                        employer_rate=rate,
                        cleared=cleared,
                    )

            funds = compute_funds(*accounts)

            paid_out = {row[0] for row in out_rows if not row[4]}
            paid_in = {row[0] for row in in_rows if not row[4]}
            assert funds.duplicate_months == sorted(f"{m:%Y-%m}" for m in paid_out & paid_in)
            raise Rollback
    except Rollback:
        pass
