"""A month is refunded once, even when two windows submit it at the same moment (PostgreSQL, one
thread and one connection each)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from refunds import services
from refunds.models import Refund, RefundMonth
from tests.concurrency import race
from tests.refunds.conftest import BANK, FLEXIBLE_2020

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


def test_two_windows_submit_the_same_month_at_once(regions, accounts, make_staff):
    clerks = [make_staff("clerk", username=f"clerk_{n}") for n in (1, 2)]

    def submit(clerk, months):
        return lambda: services.refund_submit(
            actor=User.objects.get(pk=clerk.pk),
            id_number="110101198808080001",
            channel="window",
            refund_region="110108",
            months=months,
            identities=FLEXIBLE_2020,
            bank=BANK,
        )

    outcomes = race(
        submit(clerks[0], [date(2020, 3, 1), date(2020, 4, 1)]),
        submit(clerks[1], [date(2020, 4, 1), date(2020, 5, 1)]),
    )

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert (error.status, error.code) == (409, "ALREADY_REFUNDING")
    assert Refund.objects.count() == 1
    assert RefundMonth.objects.filter(month=date(2020, 4, 1), active=True).count() == 1


def test_the_database_itself_refuses_a_second_active_refund_of_a_month(regions, accounts, apply):
    refund = apply()
    taken = refund.months.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundMonth.objects.create(
            refund=refund,
            contribution=taken.contribution,
            month=taken.month,
            identity=taken.identity,
            base_fen=taken.base_fen,
            rate=taken.rate,
            amount=taken.amount,
        )
