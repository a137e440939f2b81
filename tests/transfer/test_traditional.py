"""The traditional model (传统模式, DESIGN.md §4): routing at submission, the six steps through the
services, every transition legal and illegal, the receipt check, the fund rules per scheme pair,
scope per step — and no clearing obligation."""

from datetime import date

import pytest
from django.conf import settings
from django.utils import timezone
from django_fsm_log.models import StateLog

from clearing.models import Obligation
from common.errors import ApplicationError
from registry.models import AccountStatus, ContributionMonth, InsuranceAccount, Scheme
from registry.workdays import add_working_days
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory
from transfer import selectors, services
from transfer.funds import FUND_RULES, INSTITUTION_REFORM, POOLED_FROM
from transfer.models import ContactLetter, Mode, Remittance, Status, TransferLeg

SHEET_TOTAL = 3_000_000 + 3 * 72_000  # balance + 12% of 600,000 for 1998-01, 2019-01, 2019-02


@pytest.fixture
def actors(clerk, beijing_reviewer, jilin_reviewer, beijing_finance, jilin_finance):
    return {
        "clerk": clerk,
        "in_reviewer": beijing_reviewer,
        "out_reviewer": jilin_reviewer,
        "in_finance": beijing_finance,
        "out_finance": jilin_finance,
    }


@pytest.fixture
def traditional(out_account, institution_in, submit):
    """traditional() → a new leg, enterprise in 长春 → institution in 海淀, just submitted."""

    def make() -> TransferLeg:
        return submit(in_scheme=Scheme.INSTITUTION).legs.get()

    return make


STEPS = ["issue_letter", "upload", "accept", "remit", "receive"]


def step(name: str, leg: TransferLeg, actors: dict, **kwargs):
    no = leg.transfer_no
    calls = {
        "issue_letter": lambda: services.leg_issue_letter(
            actor=actors["in_reviewer"], transfer_no=no
        ),
        "reject": lambda: services.leg_reject(
            actor=actors["in_reviewer"], transfer_no=no, note=kwargs.get("note", "材料不全")
        ),
        "upload": lambda: services.leg_upload_info_sheet(
            actor=actors["out_reviewer"], transfer_no=no
        ),
        "refuse": lambda: services.leg_refuse(
            actor=actors["out_reviewer"], transfer_no=no, code="OTHER", note="无此人"
        ),
        "accept": lambda: services.leg_confirm(actor=actors["in_reviewer"], transfer_no=no),
        "return": lambda: services.leg_return(
            actor=actors["in_reviewer"], transfer_no=no, note="缴费基数有误"
        ),
        "remit": lambda: services.leg_remit(
            actor=actors["out_finance"],
            transfer_no=no,
            amount_fen=kwargs.get("amount_fen", SHEET_TOTAL),
            voucher_no="JL-VOUCHER-001",
        ),
        "receive": lambda: services.leg_receive(
            actor=actors["in_finance"],
            transfer_no=no,
            amount_fen=kwargs.get("amount_fen", SHEET_TOTAL),
        ),
        "withdraw": lambda: services.leg_withdraw(actor=actors["clerk"], transfer_no=no),
    }
    return calls[name]()


def reload(leg: TransferLeg) -> TransferLeg:
    return TransferLeg.objects.get(pk=leg.pk)


# --- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("manual", [False, True])
@pytest.mark.parametrize("in_scheme", Scheme.values)
@pytest.mark.parametrize("out_scheme", Scheme.values)
def test_routing_by_scheme_pair_and_manual_flag(out_scheme, in_scheme, manual):
    periodic = out_scheme == in_scheme == "enterprise" and not manual
    assert services.route(out_scheme, in_scheme, manual) == (
        Mode.PERIODIC if periodic else Mode.TRADITIONAL
    )


def test_every_scheme_pair_has_a_fund_rule_with_its_source():
    assert set(FUND_RULES) == {(a, b) for a in Scheme.values for b in Scheme.values}
    assert all("号" in rule.source for rule in FUND_RULES.values())


def test_a_traditional_leg_waits_for_the_incoming_review_with_fifteen_working_days(traditional):
    leg = traditional()
    assert (leg.mode, leg.status) == (Mode.TRADITIONAL, Status.SUBMITTED)  # no ministry check ran
    assert leg.deadline == add_working_days(timezone.localdate(), 15).due
    assert settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS == 15
    assert not StateLog.objects.for_(leg).exists()


def test_one_application_may_mix_the_two_models(accounts, institution_in, submit):
    """An enterprise place (periodic, checked at once) and an institution place (traditional)."""
    AccountFactory(
        person=accounts[0].person,
        region=region("440106"),
        province=region("440000"),
        scheme=Scheme.INSTITUTION,
        status=AccountStatus.SUSPENDED,
    )
    application = submit(outs=[("enterprise", "220102"), ("institution", "440106")])
    periodic, traditional_leg = application.legs.order_by("id")
    assert (periodic.mode, periodic.status) == (Mode.PERIODIC, Status.ELIGIBLE)
    assert (traditional_leg.mode, traditional_leg.status) == (Mode.TRADITIONAL, Status.SUBMITTED)


@pytest.mark.parametrize(
    "overrides",
    [{"in_scheme": "institution"}, {"manual": True}],
    ids=["cross-scheme", "manual"],
)
def test_traditional_only_at_an_office_of_the_incoming_province(
    overrides, accounts, institution_in, submit, make_staff, jilin_office, world
):
    jilin_clerk = make_staff("clerk", office=jilin_office, username="jl_clerk")
    before = world()

    with pytest.raises(ApplicationError) as refused:
        submit(actor=jilin_clerk, **overrides)

    assert (refused.value.status, refused.value.code) == (400, "TRADITIONAL_AT_INCOMING_OFFICE")
    assert "须到转入地社保经办机构办理" in refused.value.message
    assert world() == before
    # The same clerk may accept the periodic case for anyone.
    assert submit(actor=jilin_clerk).legs.get().mode == Mode.PERIODIC


# --- the six steps --------------------------------------------------------------------------------


def test_a_whole_traditional_case(traditional, actors, accounts, institution_in):
    out_account, _ = accounts
    leg = traditional()
    out_months = ContributionMonth.objects.filter(account=out_account).count()

    letter = step("issue_letter", leg, actors)
    year = timezone.localdate().year
    assert letter.letter_no == f"LX110000-{year}-00001"
    assert (letter.office.code, letter.issued_by) == ("110108", actors["in_reviewer"])
    leg = reload(leg)
    assert (leg.status, leg.out_account_id) == (Status.LETTER_ISSUED, out_account.pk)

    sheet = step("upload", leg, actors)
    assert (sheet.individual_fen, sheet.pooled_fen, sheet.total_fen) == (
        3_000_000,
        216_000,
        SHEET_TOTAL,
    )
    step("accept", leg, actors)
    assert reload(leg).status == Status.INFO_ACCEPTED
    remittance = step("remit", leg, actors)
    assert (remittance.amount_fen, remittance.voucher_no) == (SHEET_TOTAL, "JL-VOUCHER-001")
    assert reload(leg).status == Status.FUNDS_REMITTED

    step("receive", leg, actors)

    leg = reload(leg)
    assert leg.status == Status.COMPLETED and leg.completed_at is not None
    assert leg.deadline is None
    remittance.refresh_from_db()
    assert (remittance.received_fen, remittance.received_by) == (SHEET_TOTAL, actors["in_finance"])
    out_account.refresh_from_db()
    institution_in.refresh_from_db()
    assert out_account.status == AccountStatus.TRANSFERRED_OUT
    assert out_account.individual_balance_fen == 0
    assert institution_in.individual_balance_fen == 200_000 + 3_000_000
    assert institution_in.months.count() == 1 + out_months  # the years count (企业 → 机关)
    assert not Obligation.objects.exists()  # the money moved with the case
    assert list(StateLog.objects.for_(leg).order_by("pk").values_list("transition", flat=True)) == [
        "issue_letter",
        "upload_info",
        "accept_info",
        "remit",
        "receive",
    ]


def test_each_step_gives_fifteen_working_days(traditional, actors):
    leg = traditional()
    due = add_working_days(timezone.localdate(), 15).due
    for name in STEPS[:-1]:
        step(name, leg, actors)
        assert reload(leg).deadline == due, name


def test_letter_numbers_run_per_incoming_province_and_year(traditional, actors, ready_person):
    first = step("issue_letter", traditional(), actors)
    other = ready_person()
    AccountFactory(
        person=other,
        region=region("110108"),
        province=region("110000"),
        scheme=Scheme.INSTITUTION,
        status=AccountStatus.CONTRIBUTING,
    )
    second_leg = TransferLeg.objects.get(
        application=services.application_submit(
            actor=actors["clerk"],
            id_number=other.id_number,
            name=other.name,
            phone="13800000000",
            hukou_address="北京市某街道",
            in_scheme=Scheme.INSTITUTION,
            in_region="110108",
            outs=[services.Out("enterprise", "220102")],
            channel="window",
        )
    )
    second = step("issue_letter", second_leg, actors)
    assert int(second.letter_no[-5:]) == int(first.letter_no[-5:]) + 1


def test_reject_needs_a_note_and_ends_the_case(traditional, actors):
    leg = traditional()
    with pytest.raises(ApplicationError) as refused:
        step("reject", leg, actors, note="  ")
    assert refused.value.status == 400 and reload(leg).status == Status.SUBMITTED
    step("reject", leg, actors, note="转出地参保信息与申请不符")
    leg = reload(leg)
    assert leg.status == Status.REJECTED and leg.deadline is None
    assert leg.reasons == [{"code": "REVIEW_REJECTED", "message": "转出地参保信息与申请不符"}]


def test_a_returned_sheet_goes_back_to_the_letter(traditional, actors):
    leg = traditional()
    for name in ("issue_letter", "upload", "return"):
        step(name, leg, actors)
    assert reload(leg).status == Status.LETTER_ISSUED
    assert step("upload", leg, actors).version == 2


def test_no_letter_without_an_outgoing_account(traditional, actors, out_account):
    leg = traditional()
    InsuranceAccount.objects.filter(pk=out_account.pk).update(status=AccountStatus.TRANSFERRED_OUT)
    with pytest.raises(ApplicationError) as refused:
        step("issue_letter", leg, actors)
    assert (refused.value.status, refused.value.code) == (409, "OUT_NOT_INSURED")
    assert reload(leg).status == Status.SUBMITTED and not ContactLetter.objects.exists()


# --- every transition, legal and illegal ----------------------------------------------------------

ALLOWED = {
    # action: the states it may start from (traditional leg)
    "issue_letter": {Status.SUBMITTED},
    "reject": {Status.SUBMITTED},
    "upload": {Status.LETTER_ISSUED},
    "refuse": {Status.LETTER_ISSUED},
    "accept": {Status.INFO_UPLOADED},
    "return": {Status.INFO_UPLOADED},
    "remit": {Status.INFO_ACCEPTED},
    "receive": {Status.FUNDS_REMITTED},
    "withdraw": {Status.SUBMITTED, Status.LETTER_ISSUED},
}
REACH = {  # how a leg gets to each state
    Status.SUBMITTED: [],
    Status.LETTER_ISSUED: ["issue_letter"],
    Status.INFO_UPLOADED: ["issue_letter", "upload"],
    Status.INFO_ACCEPTED: ["issue_letter", "upload", "accept"],
    Status.FUNDS_REMITTED: ["issue_letter", "upload", "accept", "remit"],
    Status.COMPLETED: STEPS,
    Status.REJECTED: ["reject"],
    Status.REFUSED: ["issue_letter", "refuse"],
    Status.WITHDRAWN: ["withdraw"],
}


@pytest.mark.parametrize("state", list(REACH))
def test_every_action_from_every_state(state, traditional, actors, world):
    """From each state every action not in ALLOWED is a 409 that changes nothing. (The allowed
    ones are the steps of REACH, plus `return` and `withdraw` after the letter, tested below.)"""
    leg = traditional()
    for name in REACH[state]:
        step(name, leg, actors)
    assert reload(leg).status == state
    for action, sources in ALLOWED.items():
        if state in sources:
            continue
        before = world()
        with pytest.raises(ApplicationError) as refused:
            step(action, leg, actors)
        assert refused.value.status == 409, (state, action)
        assert world() == before, (state, action)


def test_periodic_actions_refuse_a_traditional_leg_and_back(traditional, actors, ministry, submit):
    leg = traditional()
    with pytest.raises(ApplicationError) as recheck:
        services.leg_recheck(actor=ministry, transfer_no=leg.transfer_no)
    assert (recheck.value.status, recheck.value.code) == (409, "WRONG_MODE")
    assert services.leg_check_eligibility(leg_id=leg.pk).status == Status.SUBMITTED  # a no-op

    periodic = TransferLeg.objects.get(application=submit())
    for name in ("issue_letter", "reject", "remit", "receive"):
        with pytest.raises(ApplicationError) as refused:
            step(name, periodic, actors)
        assert refused.value.status == 409, name


# --- money ----------------------------------------------------------------------------------------


def test_receipt_of_another_amount_is_refused_with_both_figures(traditional, actors, world):
    leg = traditional()
    for name in STEPS[:-1]:
        step(name, leg, actors)
    before = world()
    remittances = list(Remittance.objects.values())

    with pytest.raises(ApplicationError) as refused:
        step("receive", leg, actors, amount_fen=SHEET_TOTAL - 100)

    assert (refused.value.status, refused.value.code) == (400, "AMOUNT_MISMATCH")
    assert "32,160.00" in refused.value.message and "32,159.00" in refused.value.message
    assert refused.value.extra == {"sheet_total_fen": SHEET_TOTAL, "amount_fen": SHEET_TOTAL - 100}
    assert world() == before
    assert list(Remittance.objects.values()) == remittances


def test_remittance_must_be_the_sheet_total_with_a_voucher(traditional, actors, world):
    leg = traditional()
    for name in STEPS[:3]:
        step(name, leg, actors)
    before = world()
    with pytest.raises(ApplicationError) as wrong:
        step("remit", leg, actors, amount_fen=SHEET_TOTAL + 1)
    assert wrong.value.code == "AMOUNT_MISMATCH"
    with pytest.raises(ApplicationError) as no_voucher:
        services.leg_remit(
            actor=actors["out_finance"], transfer_no=leg.transfer_no, amount_fen=1, voucher_no=" "
        )
    assert no_voucher.value.fields == {"voucher_no": ["请填写银行凭证号（不超过64个字符）。"]}
    assert world() == before and not Remittance.objects.exists()


# --- scope per step -------------------------------------------------------------------------------


def test_each_step_belongs_to_its_province_and_role(traditional, actors, make_staff, world):
    wrong = {
        # step: actors who may not take it
        "issue_letter": [actors["out_reviewer"], actors["in_finance"]],
        "upload": [actors["in_reviewer"], actors["out_finance"]],
        "accept": [actors["out_reviewer"], actors["in_finance"]],
        "remit": [actors["in_finance"], actors["out_reviewer"]],
        "receive": [actors["out_finance"], actors["in_reviewer"]],
    }
    leg = traditional()
    for name in STEPS:
        for intruder in wrong[name]:
            before = world()
            with pytest.raises(ApplicationError) as refused:
                step(name, leg, {**{k: intruder for k in actors}})
            assert refused.value.status == 403, (name, intruder)
            assert world() == before
        step(name, leg, actors)
    assert reload(leg).status == Status.COMPLETED


# --- fund rules per scheme pair -------------------------------------------------------------------


def _case(person, out_scheme, in_scheme, months, balance=400_000):
    out = AccountFactory(
        person=person,
        region=region("220102"),
        province=region("220000"),
        scheme=out_scheme,
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=balance,
    )
    for month in months:
        MonthFactory(account=out, month=month, base_fen=500_000)
    into = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        scheme=in_scheme,
        status=AccountStatus.CONTRIBUTING,
        individual_balance_fen=0,
    )
    MonthFactory(account=into, month=date(2025, 6, 1), base_fen=500_000)
    return out, into


@pytest.mark.parametrize(
    ("out_scheme", "in_scheme", "pooled_fen", "months_move"),
    [
        # 机关 → 企业: 12% only of the months since the reform (2014-10): 2 of 3
        ("institution", "enterprise", 2 * 60_000, True),
        # 企业 → 城乡居民: the individual account alone; the years count
        ("enterprise", "resident", 0, True),
        # 城乡居民 → 企业: the individual account alone; the years do not count
        ("resident", "enterprise", 0, False),
    ],
)
def test_fund_rule_of_the_scheme_pair(
    out_scheme, in_scheme, pooled_fen, months_move, person, actors, submit
):
    months = [date(2014, 9, 1), date(2014, 10, 1), date(2020, 3, 1)]
    out, into = _case(person, out_scheme, in_scheme, months)
    leg = submit(outs=[(out_scheme, "220102")], in_scheme=in_scheme).legs.get()
    assert leg.mode == Mode.TRADITIONAL
    step("issue_letter", leg, actors)
    sheet = step("upload", leg, actors)
    assert (sheet.individual_fen, sheet.pooled_fen) == (400_000, pooled_fen)
    for name in ("accept", "remit", "receive"):
        step(name, leg, actors, amount_fen=sheet.total_fen)

    into.refresh_from_db()
    out.refresh_from_db()
    assert into.individual_balance_fen == 400_000
    assert out.status == AccountStatus.TRANSFERRED_OUT
    assert into.months.count() == (1 + 3 if months_move else 1)
    assert out.months.count() == (0 if months_move else 3)
    assert not Obligation.objects.exists()


def test_pooled_start_months_are_the_policy_dates():
    assert FUND_RULES[("enterprise", "enterprise")].pooled_from == POOLED_FROM
    assert FUND_RULES[("institution", "institution")].pooled_from == INSTITUTION_REFORM
    assert FUND_RULES[("resident", "enterprise")].months_merge is False


def test_overdue_traditional_legs_are_flagged(traditional, actors):
    leg = traditional()
    step("issue_letter", leg, actors)
    later = reload(leg).deadline
    assert services.legs_mark_overdue(today=later) == 0
    assert services.legs_mark_overdue(today=date.fromordinal(later.toordinal() + 1)) == 1
    assert reload(leg).overdue is True


def test_withdraw_after_the_letter(traditional, actors):
    leg = traditional()
    step("issue_letter", leg, actors)
    step("withdraw", leg, actors)
    assert reload(leg).status == Status.WITHDRAWN


def test_the_incoming_reviewer_sees_the_platform_rules_as_hints(traditional, actors, out_account):
    leg = traditional()
    assert selectors.review_hints(leg) == []
    InsuranceAccount.objects.filter(pk=out_account.pk).update(arrears_fen=50_000)
    assert [h["code"] for h in selectors.review_hints(leg)] == ["OUT_ARREARS"]
    step("issue_letter", leg, actors)  # advice only: the reviewer decides
    assert selectors.review_hints(reload(leg)) == []
