"""Duplicate-contribution refunds through the services (DESIGN.md §6): detection, the rule of
人社部发〔2025〕42号, amounts, the bank account, once-only months, approval and payment, the module
switch and scope."""

from datetime import date
from decimal import Decimal

import pytest
from django_fsm_log.models import StateLog

from common.errors import ApplicationError
from common.models import AuditRecord
from refunds import selectors, services
from refunds.models import Refund, RefundMonth, RefundStatus
from registry.models import (
    AccountStatus,
    ContributionMonth,
    Identity,
    InsuranceAccount,
    ModuleSwitch,
)
from registry.services import module_switch_set
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory
from tests.refunds.conftest import months

MAR, APR = date(2020, 3, 1), date(2020, 4, 1)


def state() -> dict:
    """Everything a refund write can touch, to assert a refused one changed nothing."""
    return {
        "refunds": list(Refund.objects.order_by("pk").values_list("pk", "status", "voucher_no")),
        "refund_months": list(RefundMonth.objects.order_by("pk").values_list("pk", "active")),
        "cleared": list(
            ContributionMonth.objects.filter(cleared=True).values_list("pk", flat=True)
        ),
        "accounts": list(
            InsuranceAccount.objects.order_by("pk").values_list("pk", "individual_balance_fen")
        ),
        "logs": StateLog.objects.count(),
        "audit": AuditRecord.objects.count(),
    }


# --- detection ------------------------------------------------------------------------------------


def test_months_paid_twice_in_two_provinces_and_under_two_identities(person, accounts):
    found = selectors.duplicates(person)
    assert list(found) == [*months((2020, 3), (2020, 6)), date(2021, 1, 1)]  # partial overlap
    assert [(e.region, e.identity) for e in found[MAR]] == [
        ("110108", "flexible"),
        ("220102", "employee"),
    ]
    # two identities in one account
    assert [(e.region, e.identity) for e in found[date(2021, 1, 1)]] == [
        ("110108", "employee"),
        ("110108", "flexible"),
    ]
    assert all(e.refund_no == "" for entries in found.values() for e in entries)


def test_cleared_months_are_no_longer_duplicates(person, accounts):
    haidian, _ = accounts
    ContributionMonth.objects.filter(account=haidian, month=MAR).update(cleared=True)
    assert MAR not in selectors.duplicates(person)
    assert APR in selectors.duplicates(person)


# --- the rule -------------------------------------------------------------------------------------


def test_flexible_side_at_the_window_is_accepted(accounts, apply):
    refund = apply()
    assert refund.status == RefundStatus.SUBMITTED
    assert refund.refund_no.startswith("TF110000-")
    assert (refund.amount_fen, refund.credited_fen) == (200_000, 80_000)  # 20% and 8% of 2×5,000元
    assert refund.account_no == "6222020200001234567"
    assert [(m.month, m.identity, str(m.rate)) for m in refund.months.all()] == [
        (MAR, "flexible", "0.200"),
        (APR, "flexible", "0.200"),
    ]
    assert AuditRecord.objects.get(action="refund.submit").data["id_number"] == (
        "110101********0001"
    )


def test_the_employee_side_is_kept(accounts, apply):
    before = state()
    employee_2020 = [services.IdentityPeriod("220102", MAR, APR, "employee")]
    with pytest.raises(ApplicationError) as refused:
        apply(refund_region="220102", identities=employee_2020)
    assert (refused.value.status, refused.value.code) == (400, "EMPLOYEE_SIDE_KEPT")
    assert "人社部发〔2025〕42号" in refused.value.message
    assert "保留职工身份" in refused.value.message
    # …also when both sides are in one account (2021-01 in 海淀)
    employee_2021 = [
        services.IdentityPeriod("110108", date(2021, 1, 1), date(2021, 1, 1), "employee")
    ]
    with pytest.raises(ApplicationError) as same_account:
        apply(months=[date(2021, 1, 1)], identities=employee_2021)
    assert same_account.value.code == "EMPLOYEE_SIDE_KEPT"
    assert state() == before


def test_online_channels_may_not_refund_the_flexible_side_of_an_employee_overlap(
    accounts, apply, make_staff
):
    client = make_staff("channel", username="national_platform")
    before = state()
    with pytest.raises(ApplicationError) as refused:
        apply(actor=client, channel="national_platform")
    assert (refused.value.status, refused.value.code) == (400, "WINDOW_ONLY")
    assert (
        "仅支持线下办理" in refused.value.message
        and "人社部发〔2025〕42号" in refused.value.message
    )
    assert state() == before


@pytest.fixture
def employee_overlap(person, accounts):
    """广州 employee months 2020-07…2020-08 overlapping 长春's employee months."""
    guangzhou = AccountFactory(
        person=person,
        region=region("440106"),
        province=region("440000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=500_000,
    )
    for month in months((2020, 7), (2020, 9)):
        MonthFactory(account=guangzhou, month=month, identity=Identity.EMPLOYEE, base_fen=333_333)
    return guangzhou


@pytest.mark.parametrize("side", ["440106", "220102"])
def test_other_overlaps_either_side_online_too(employee_overlap, apply, make_staff, side):
    """Employee in two provinces: either side may be refunded, through any channel."""
    periods = [services.IdentityPeriod(side, date(2020, 7, 1), date(2020, 8, 1), "employee")]
    client = make_staff("channel", username="e_card")
    refund = apply(
        actor=client,
        channel="e_card",
        refund_region=side[:2] + "0000",  # the province's code names the account too
        months=[date(2020, 7, 1), date(2020, 8, 1)],
        identities=periods,
    )
    assert refund.account.region_id == side
    assert refund.province_id == side[:2] + "0000"


def test_amounts_round_once_on_the_total(employee_overlap, apply):
    """8% of 3,333.33元 is 266.6664元 a month: rounded per month 3 × 266.67 = 800.01元; the
    refund rounds once: 799.9992 → 800.00元."""
    MonthFactory(
        account=employee_overlap.person.accounts.get(region_id="220102"),
        month=date(2020, 9, 1),
        identity=Identity.EMPLOYEE,
        base_fen=500_000,
    )
    periods = [services.IdentityPeriod("440106", date(2020, 7, 1), date(2020, 9, 1), "employee")]
    refund = apply(
        refund_region="440106",
        months=months((2020, 7), (2020, 9)),
        identities=periods,
    )
    assert (refund.amount_fen, refund.credited_fen) == (80_000, 80_000)
    assert sum(m.amount for m in refund.months.all()) == Decimal("79999.92")


# --- the three steps' checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"bank": services.Bank("工商银行", "6222020200001234567", "严某")},
            "bank",
            "HOLDER_MISMATCH",
        ),
        ({"bank": services.Bank("工商银行", "6222-0202", "严某荣")}, "bank", "BANK_ACCOUNT_FORMAT"),
        ({"bank": services.Bank(" ", "6222020200001234567", "严某荣")}, "bank", "INVALID"),
        ({"identities": []}, "identities", "INVALID"),
        ({"months": [date(2020, 1, 1)]}, "months", "NOT_DUPLICATE"),  # paid once only
        ({"months": [MAR, MAR]}, "months", "INVALID"),
        ({"months": []}, "months", "INVALID"),
        (
            {"identities": [services.IdentityPeriod("110108", APR, APR, "flexible")]},
            "identities",
            "INVALID",
        ),  # 2020-03 has no maintained identity
        ({"refund_region": "310000"}, "refund_region", "INVALID"),
        ({"id_number": "110101198808080002"}, "id_number", "id_checksum"),
    ],
    ids=[
        "holder",
        "account-format",
        "bank-name",
        "no-identities",
        "not-duplicate",
        "month-twice",
        "no-months",
        "uncovered-month",
        "no-account-there",
        "bad-id",
    ],
)
def test_refused_applications_write_nothing(accounts, apply, overrides, field, code):
    before = state()
    with pytest.raises(ApplicationError) as refused:
        apply(**overrides)
    assert refused.value.status == 400
    assert refused.value.code == code and field in refused.value.fields
    assert state() == before


# --- a month once only ----------------------------------------------------------------------------


def test_a_month_is_refunded_once(accounts, apply, supervisor):
    first = apply()
    before = state()
    with pytest.raises(ApplicationError) as again:
        apply(months=[APR, date(2020, 5, 1)])
    assert (again.value.status, again.value.code) == (409, "ALREADY_REFUNDING")
    assert first.refund_no in again.value.message
    assert state() == before
    assert selectors.duplicates(first.person)[APR][0].refund_no == first.refund_no

    services.refund_reject(actor=supervisor, refund_no=first.refund_no, note="银行账户有误")
    assert apply(months=[APR]).amount_fen == 100_000  # rejected: the month is free again


# --- approval and payment -------------------------------------------------------------------------


def test_approved_and_paid_clears_the_months_and_takes_back_the_credit(
    accounts, apply, supervisor, finance_bj, person
):
    haidian, changchun = accounts
    refund = apply()
    services.refund_approve(actor=supervisor, refund_no=refund.refund_no)
    services.refund_pay(actor=finance_bj, refund_no=refund.refund_no, voucher_no="ICBC-0001")

    refund.refresh_from_db()
    assert (refund.status, refund.voucher_no) == (RefundStatus.PAID, "ICBC-0001")
    assert refund.paid_at is not None
    haidian.refresh_from_db()
    changchun.refresh_from_db()
    assert haidian.individual_balance_fen == 1_000_000 - 80_000
    assert changchun.individual_balance_fen == 800_000  # the kept side is untouched
    assert set(
        ContributionMonth.objects.filter(account=haidian, cleared=True).values_list(
            "month", flat=True
        )
    ) == {MAR, APR}
    assert MAR not in selectors.duplicates(person) and APR not in selectors.duplicates(person)
    assert list(
        StateLog.objects.for_(refund).order_by("pk").values_list("transition", "by__username")
    ) == [("approve", "bj_supervisor"), ("pay", "bj_refund_finance")]


def test_each_decision_in_its_state(accounts, apply, supervisor, finance_bj):
    refund = apply()
    before = state()
    for call in (
        lambda: services.refund_pay(actor=finance_bj, refund_no=refund.refund_no, voucher_no="V"),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.status == 409
    assert state() == before
    services.refund_approve(actor=supervisor, refund_no=refund.refund_no)
    for call in (
        lambda: services.refund_approve(actor=supervisor, refund_no=refund.refund_no),
        lambda: services.refund_reject(actor=supervisor, refund_no=refund.refund_no, note="x"),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.status == 409
    with pytest.raises(ApplicationError) as no_voucher:
        services.refund_pay(actor=finance_bj, refund_no=refund.refund_no, voucher_no=" ")
    assert no_voucher.value.status == 400
    with pytest.raises(ApplicationError) as blank_note:
        services.refund_reject(
            actor=supervisor, refund_no=apply(months=[date(2020, 5, 1)]).refund_no, note=""
        )
    assert blank_note.value.status == 400


def test_a_failed_payment_leaves_nothing_half_done(accounts, apply, supervisor, finance_bj):
    haidian, _ = accounts
    refund = apply()
    services.refund_approve(actor=supervisor, refund_no=refund.refund_no)
    haidian.individual_balance_fen = 50_000  # less than the 80,000 the months had credited
    haidian.save()
    before = state()
    with pytest.raises(ApplicationError) as refused:
        services.refund_pay(actor=finance_bj, refund_no=refund.refund_no, voucher_no="V1")
    assert (refused.value.status, refused.value.code) == (409, "BALANCE_TOO_LOW")
    assert "500.00" in refused.value.message and "800.00" in refused.value.message
    assert state() == before


# --- scope ----------------------------------------------------------------------------------------


def test_the_refunding_province_decides_and_pays(
    accounts, apply, make_staff, jilin_office, supervisor, finance_bj, refund_clerk
):
    refund = apply()
    jilin_supervisor = make_staff("supervisor", office=jilin_office, username="jl_sup")
    jilin_finance = make_staff("finance", office=jilin_office, username="jl_fin")
    before = state()
    for actor in (jilin_supervisor, refund_clerk, finance_bj):
        with pytest.raises(ApplicationError) as refused:
            services.refund_approve(actor=actor, refund_no=refund.refund_no)
        assert refused.value.status == 403
    services.refund_approve(actor=supervisor, refund_no=refund.refund_no)
    for actor in (jilin_finance, supervisor):
        with pytest.raises(ApplicationError) as refused:
            services.refund_pay(actor=actor, refund_no=refund.refund_no, voucher_no="V")
        assert refused.value.status == 403
    assert Refund.objects.get().status == RefundStatus.APPROVED
    assert before["cleared"] == state()["cleared"]


def test_a_clerk_anywhere_may_apply(accounts, apply, make_staff, jilin_office):
    jilin_clerk = make_staff("clerk", office=jilin_office, username="jl_clerk")
    refund = apply(actor=jilin_clerk)
    assert (refund.province_id, refund.accepting_office.code) == ("110000", "220102")


# --- the module switch ----------------------------------------------------------------------------


def test_suspended_module_refuses_every_write_with_the_notice(
    accounts, apply, supervisor, finance_bj, make_staff, national_office, person
):
    approved = apply(months=[date(2020, 5, 1)])
    services.refund_approve(actor=supervisor, refund_no=approved.refund_no)
    pending = apply()
    admin = make_staff("admin", office=national_office, username="moh_admin")
    notice = "因系统升级，接市中心通知，重复缴费退费模块目前暂停办理"
    module_switch_set(actor=admin, name=ModuleSwitch.Module.REFUNDS, suspended=True, notice=notice)
    before = state()
    for call in (
        lambda: apply(months=[date(2020, 6, 1)]),
        lambda: services.refund_approve(actor=supervisor, refund_no=pending.refund_no),
        lambda: services.refund_reject(actor=supervisor, refund_no=pending.refund_no, note="x"),
        lambda: services.refund_pay(actor=finance_bj, refund_no=approved.refund_no, voucher_no="V"),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.status == 503 and notice in refused.value.message
    assert state() == before
    assert len(selectors.duplicates(person)) == 5  # reads still work
