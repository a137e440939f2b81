"""The ministry platform's eligibility check (DESIGN.md §4): every rule alone, failing and
passing, several together, and the check as the workflow runs it (task, recheck)."""

import json
import re
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_fsm_log.models import StateLog

from common.errors import Conflict, NotAllowed
from registry.models import AccountStatus, AccountType, Person
from registry.workdays import add_working_days
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory
from transfer import eligibility, services
from transfer.models import Status, TransferLeg
from transfer.tasks import eligibility_check

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The gist of each rule's message, as DESIGN.md §4's table words it.
GIST = {
    "SAME_PROVINCE": "省内转移不适用",
    "IN_NOT_INSURED": "转入地未正常参保缴费",
    "IN_NO_CONTRIBUTION": "转入地无缴费记录",
    "IN_TEMPORARY_ACCOUNT": "转入地为临时账户",
    "OUT_NOT_INSURED": "转出地无参保记录",
    "OUT_NOT_SUSPENDED": "人员还未暂停缴费",
    "OUT_ARREARS": "转出地存在欠费",
    "DUPLICATE_APPLICATION": "已有在途转移申请",
    "RECEIVING_BENEFITS": "已领取养老待遇",
}
TABLE_ORDER = list(GIST)


def leg_of(application) -> TransferLeg:
    return TransferLeg.objects.get(application=application)


def codes(leg: TransferLeg) -> list[str]:
    return [reason["code"] for reason in leg.reasons]


def assert_messages(leg: TransferLeg) -> None:
    for reason in leg.reasons:
        assert GIST[reason["code"]] in reason["message"], reason
        assert re.fullmatch(r"[\u4e00-\u9fff（）：，。、]+", reason["message"]), reason


def logs_of(leg: TransferLeg) -> list[StateLog]:
    return list(StateLog.objects.for_(leg).order_by("id"))


# --- each rule alone, through the service ----------------------------------------------------


def _delete(account):
    account.months.all().delete()
    account.delete()


def _set(obj, **values):
    for field, value in values.items():
        setattr(obj, field, value)
    obj.save()


FAILING = {
    "in: no account": ("IN_NOT_INSURED", lambda p, out, into: _delete(into)),
    "in: account suspended": (
        "IN_NOT_INSURED",
        lambda p, out, into: _set(into, status=AccountStatus.SUSPENDED),
    ),
    "in: account with no months": (
        "IN_NO_CONTRIBUTION",
        lambda p, out, into: into.months.all().delete(),
    ),
    "in: only cleared months": (
        "IN_NO_CONTRIBUTION",
        lambda p, out, into: into.months.update(cleared=True),
    ),
    "in: temporary account": (
        "IN_TEMPORARY_ACCOUNT",
        lambda p, out, into: _set(into, account_type=AccountType.TEMPORARY),
    ),
    "out: no account": ("OUT_NOT_INSURED", lambda p, out, into: _delete(out)),
    "out: transferred out": (
        "OUT_NOT_INSURED",
        lambda p, out, into: _set(out, status=AccountStatus.TRANSFERRED_OUT),
    ),
    "out: still contributing": (
        "OUT_NOT_SUSPENDED",
        lambda p, out, into: _set(out, status=AccountStatus.CONTRIBUTING),
    ),
    "out: arrears": ("OUT_ARREARS", lambda p, out, into: _set(out, arrears_fen=1)),
    "person: receiving benefits": (
        "RECEIVING_BENEFITS",
        lambda p, out, into: _set(p, status=Person.Status.RECEIVING_BENEFITS),
    ),
    "person: deceased": (
        "RECEIVING_BENEFITS",
        lambda p, out, into: _set(p, status=Person.Status.DECEASED),
    ),
}


@pytest.mark.parametrize("case", FAILING, ids=list(FAILING))
def test_each_failing_rule_alone_rejects_the_leg(case, person, accounts, submit):
    code, breaks = FAILING[case]
    out_account, in_account = accounts
    breaks(person, out_account, in_account)

    leg = leg_of(submit())

    assert leg.status == Status.REJECTED
    assert codes(leg) == [code]
    assert leg.reasons == [{"code": code, "message": eligibility.MESSAGES[code]}]
    assert_messages(leg)
    assert (leg.deadline, leg.overdue) == (None, False)
    [log] = logs_of(leg)
    assert (log.transition, log.source_state, log.state, log.by) == (
        "fail_check",
        "submitted",
        "rejected",
        None,
    )


PASSING = {
    "all facts in order": lambda p, out, into: None,
    "in: one uncleared month among cleared ones": lambda p, out, into: MonthFactory(
        account=into, month=date(2023, 5, 1), cleared=True
    ),
    "in: a flexible-identity month is a paid month": lambda p, out, into: into.months.update(
        identity="flexible"
    ),
    "out: a temporary outgoing account": lambda p, out, into: _set(
        out, account_type=AccountType.TEMPORARY
    ),
    "in: account in another city of the incoming province": lambda p, out, into: _set(
        into, region=region("110105")
    ),
}


@pytest.mark.parametrize("case", PASSING, ids=list(PASSING))
def test_each_rule_passes_when_its_fact_holds(case, person, accounts, submit):
    out_account, in_account = accounts
    PASSING[case](person, out_account, in_account)

    leg = leg_of(submit())

    assert leg.status == Status.ELIGIBLE
    assert leg.reasons == []
    assert leg.out_account_id == out_account.pk


def test_same_province_application_is_reported(person, in_account, submit):
    """海淀 → 东城, both Beijing: the Beijing account is both ends, so it is also not suspended."""
    leg = leg_of(submit(outs=[("enterprise", "110101")], in_region="110108"))

    assert leg.status == Status.REJECTED
    assert codes(leg) == ["SAME_PROVINCE", "OUT_NOT_SUSPENDED"]
    assert_messages(leg)


def test_same_province_alone_on_the_facts(accounts, submit):
    """SAME_PROVINCE in isolation: the facts of a passing leg with the incoming province set to
    the outgoing one fail that rule and no other."""
    leg = leg_of(submit(check=False))
    facts = eligibility.gather_facts(leg)
    assert eligibility.failed_rules(facts) == []

    same = replace(facts, in_province=facts.out_province)

    assert eligibility.failed_rules(same) == [
        {"code": "SAME_PROVINCE", "message": eligibility.MESSAGES["SAME_PROVINCE"]}
    ]
    assert GIST["SAME_PROVINCE"] in eligibility.MESSAGES["SAME_PROVINCE"]


def test_rule_table_has_the_designed_codes_in_order():
    assert [code for code, _message, _rule in eligibility.RULES] == TABLE_ORDER


# --- DUPLICATE_APPLICATION ---------------------------------------------------------------------


def test_another_open_leg_of_the_same_account_is_a_duplicate(accounts, submit):
    first = leg_of(submit())
    assert first.status == Status.ELIGIBLE

    second = leg_of(submit())

    assert second.status == Status.REJECTED
    assert codes(second) == ["DUPLICATE_APPLICATION"]
    assert_messages(second)
    assert TransferLeg.objects.get(pk=first.pk).status == Status.ELIGIBLE


def test_an_open_leg_with_its_info_sheet_uploaded_is_a_duplicate(accounts, submit, jilin_reviewer):
    first = leg_of(submit())
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=first.transfer_no)

    second = leg_of(submit())

    assert codes(second) == ["DUPLICATE_APPLICATION"]


def test_withdrawn_leg_does_not_count(accounts, submit, clerk):
    first = leg_of(submit())
    services.leg_withdraw(actor=clerk, transfer_no=first.transfer_no, note="本人申请撤回")

    second = leg_of(submit())

    assert second.status == Status.ELIGIBLE


def test_rejected_leg_does_not_count(accounts, submit):
    out_account, _ = accounts
    _set(out_account, arrears_fen=50_000)
    first = leg_of(submit())
    assert codes(first) == ["OUT_ARREARS"]
    _set(out_account, arrears_fen=0)

    second = leg_of(submit())

    assert second.status == Status.ELIGIBLE


def test_refused_leg_does_not_count(accounts, submit, jilin_reviewer):
    first = leg_of(submit())
    services.leg_refuse(
        actor=jilin_reviewer, transfer_no=first.transfer_no, code="OTHER", note="档案待核实"
    )

    second = leg_of(submit())

    assert second.status == Status.ELIGIBLE


def test_completed_leg_does_not_count(accounts, submit, jilin_reviewer, beijing_reviewer):
    """After a completed transfer the person works in Jilin again and stops paying there: the
    account is suspended once more, and a new transfer of it is no duplicate."""
    out_account, _ = accounts
    first = leg_of(submit())
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=first.transfer_no)
    services.leg_confirm(actor=beijing_reviewer, transfer_no=first.transfer_no)
    _set(out_account, status=AccountStatus.SUSPENDED, individual_balance_fen=50_000)
    MonthFactory(account=out_account, month=date(2025, 3, 1), base_fen=700_000)

    second = leg_of(submit())

    assert second.status == Status.ELIGIBLE, second.reasons


def test_open_leg_from_another_province_or_of_another_person_does_not_count(
    person, accounts, submit
):
    AccountFactory(
        person=person,
        region=region("440106"),
        province=region("440000"),
        status=AccountStatus.SUSPENDED,
    )
    guangdong = leg_of(submit(outs=[("enterprise", "440106")]))
    assert guangdong.status == Status.ELIGIBLE
    other = AccountFactory(region=region("220102"), status=AccountStatus.SUSPENDED)
    AccountFactory(person=other.person, region=region("110108"))
    MonthFactory(account=other.person.accounts.get(province_id="110000"))
    someone_else = leg_of(
        submit(
            id_number=other.person.id_number,
            name=other.person.name,
            outs=[("enterprise", "220102")],
        )
    )
    assert someone_else.status == Status.ELIGIBLE

    jilin = leg_of(submit())

    assert jilin.status == Status.ELIGIBLE, jilin.reasons


# --- several rules together --------------------------------------------------------------------


def test_all_failures_are_reported_in_the_table_order(person, accounts, submit):
    out_account, in_account = accounts
    open_leg = leg_of(submit())
    assert open_leg.status == Status.ELIGIBLE
    _set(person, status=Person.Status.DECEASED)
    _set(out_account, arrears_fen=12_345, status=AccountStatus.CONTRIBUTING)
    _set(in_account, account_type=AccountType.TEMPORARY)

    leg = leg_of(submit())

    assert codes(leg) == [
        "IN_TEMPORARY_ACCOUNT",
        "OUT_NOT_SUSPENDED",
        "OUT_ARREARS",
        "DUPLICATE_APPLICATION",
        "RECEIVING_BENEFITS",
    ]
    assert_messages(leg)


def test_same_province_with_incoming_failures_in_order(person, in_account, submit):
    _set(in_account, status=AccountStatus.SUSPENDED)
    in_account.months.update(cleared=True)
    _set(person, status=Person.Status.RECEIVING_BENEFITS)

    leg = leg_of(submit(outs=[("enterprise", "110105")]))

    assert codes(leg) == [
        "SAME_PROVINCE",
        "IN_NOT_INSURED",
        "IN_NO_CONTRIBUTION",
        "RECEIVING_BENEFITS",
    ]
    assert_messages(leg)


def test_no_account_anywhere_fails_only_the_two_account_rules(person, submit):
    leg = leg_of(submit())

    assert codes(leg) == ["IN_NOT_INSURED", "OUT_NOT_INSURED"]
    assert leg.out_account is None


# --- the outcome of the check ------------------------------------------------------------------


def test_eligible_leg_gets_its_account_and_a_deadline_of_ten_working_days(accounts, submit):
    out_account, _ = accounts
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        leg = leg_of(submit())

    assert leg.status == Status.ELIGIBLE
    assert leg.out_account_id == out_account.pk
    assert settings.TRANSFER_STEP_WORKING_DAYS == 10
    expected = add_working_days(date(2026, 9, 28), settings.TRANSFER_STEP_WORKING_DAYS).due
    # 国庆节 2026-10-01..07 off, Saturday 10-10 worked (调休).
    assert leg.deadline == expected == date(2026, 10, 16)
    assert leg.overdue is False
    [log] = logs_of(leg)
    assert (log.transition, log.state, log.by) == ("pass_check", "eligible", None)
    assert json.loads(log.description)["office"] == "MOH"


def test_deadline_follows_the_setting(accounts, submit, settings):
    settings.TRANSFER_STEP_WORKING_DAYS = 3
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        leg = leg_of(submit())

    assert leg.deadline == date(2026, 10, 8)


def test_rejected_leg_records_its_out_account_and_has_no_deadline(accounts, submit):
    out_account, _ = accounts
    _set(out_account, arrears_fen=100)

    leg = leg_of(submit())

    assert leg.status == Status.REJECTED
    assert leg.out_account_id == out_account.pk
    assert leg.deadline is None


def test_platform_check_of_a_checked_leg_does_nothing(accounts, submit):
    out_account, _ = accounts
    leg = leg_of(submit())
    assert leg.status == Status.ELIGIBLE
    before = (leg.status, leg.reasons, leg.deadline, len(logs_of(leg)))
    _set(out_account, arrears_fen=999)  # would fail now

    assert eligibility_check.delay(leg.pk).get() == "eligible"
    assert services.leg_check_eligibility(leg_id=leg.pk).status == Status.ELIGIBLE

    leg = TransferLeg.objects.get(pk=leg.pk)
    assert (leg.status, leg.reasons, leg.deadline, len(logs_of(leg))) == before


def test_platform_check_of_a_rejected_leg_does_not_pass_it(accounts, submit):
    out_account, _ = accounts
    _set(out_account, arrears_fen=999)
    leg = leg_of(submit())
    _set(out_account, arrears_fen=0)  # fixed, but only the ministry's recheck passes it now

    assert eligibility_check.delay(leg.pk).get() == "rejected"

    leg = TransferLeg.objects.get(pk=leg.pk)
    assert codes(leg) == ["OUT_ARREARS"]
    assert len(logs_of(leg)) == 1


def test_platform_check_of_a_withdrawn_leg_does_nothing(accounts, submit, clerk):
    leg = leg_of(submit(check=False))
    services.leg_withdraw(actor=clerk, transfer_no=leg.transfer_no, note="撤回")

    assert eligibility_check.delay(leg.pk).get() == "withdrawn"

    leg = TransferLeg.objects.get(pk=leg.pk)
    assert (leg.status, leg.reasons, leg.out_account_id) == ("withdrawn", [], None)
    assert [log.transition for log in logs_of(leg)] == ["withdraw"]


def test_platform_check_of_an_unknown_leg_does_nothing(db):
    assert eligibility_check.delay(987654).get() is None


def test_the_task_runs_the_check_of_a_submitted_leg(accounts, submit):
    leg = leg_of(submit(check=False))
    assert leg.status == Status.SUBMITTED

    assert eligibility_check.delay(leg.pk).get() == "eligible"
    assert TransferLeg.objects.get(pk=leg.pk).status == Status.ELIGIBLE


# --- recheck by the ministry -------------------------------------------------------------------


def test_recheck_after_the_data_was_fixed_passes_the_leg(accounts, submit, ministry):
    out_account, _ = accounts
    _set(out_account, arrears_fen=20_000)
    leg = leg_of(submit())
    assert codes(leg) == ["OUT_ARREARS"]
    _set(out_account, arrears_fen=0)

    rechecked = services.leg_recheck(actor=ministry, transfer_no=leg.transfer_no)

    assert rechecked.status == Status.ELIGIBLE
    leg = TransferLeg.objects.get(pk=leg.pk)
    assert (leg.status, leg.reasons, leg.out_account_id) == ("eligible", [], out_account.pk)
    assert leg.deadline == add_working_days(timezone.localdate(), 10).due
    fail, passed = logs_of(leg)
    assert (fail.transition, fail.by) == ("fail_check", None)
    assert (passed.transition, passed.source_state, passed.state, passed.by) == (
        "pass_check",
        "rejected",
        "eligible",
        ministry,
    )
    assert json.loads(passed.description)["office"] == "MOH"


def test_recheck_reports_what_still_fails(accounts, submit, ministry):
    out_account, in_account = accounts
    _set(out_account, arrears_fen=20_000)
    _set(in_account, account_type=AccountType.TEMPORARY)
    leg = leg_of(submit())
    assert codes(leg) == ["IN_TEMPORARY_ACCOUNT", "OUT_ARREARS"]
    _set(out_account, arrears_fen=0)

    services.leg_recheck(actor=ministry, transfer_no=leg.transfer_no)

    leg = TransferLeg.objects.get(pk=leg.pk)
    assert (leg.status, codes(leg)) == ("rejected", ["IN_TEMPORARY_ACCOUNT"])
    assert [log.transition for log in logs_of(leg)] == ["fail_check", "fail_check"]


def test_recheck_of_a_submitted_leg_runs_the_check(accounts, submit, ministry):
    leg = leg_of(submit(check=False))

    services.leg_recheck(actor=ministry, transfer_no=leg.transfer_no)

    assert TransferLeg.objects.get(pk=leg.pk).status == Status.ELIGIBLE


def test_recheck_by_a_provincial_ministry_user_is_forbidden(
    accounts, submit, make_staff, jilin_provincial_office, api, world
):
    out_account, _ = accounts
    _set(out_account, arrears_fen=20_000)
    leg = leg_of(submit())
    _set(out_account, arrears_fen=0)
    provincial = make_staff("ministry", office=jilin_provincial_office)
    before = world()

    with pytest.raises(NotAllowed) as refused:
        services.leg_recheck(actor=provincial, transfer_no=leg.transfer_no)
    answer = api(provincial).post(f"/api/v1/transfers/{leg.transfer_no}/recheck/")

    assert refused.value.status == 403
    assert answer.status_code == 403, answer.json()
    assert world() == before


def test_recheck_of_an_eligible_leg_is_a_conflict(accounts, submit, ministry, api, world):
    leg = leg_of(submit())
    before = world()

    with pytest.raises(Conflict) as conflict:
        services.leg_recheck(actor=ministry, transfer_no=leg.transfer_no)
    answer = api(ministry).post(f"/api/v1/transfers/{leg.transfer_no}/recheck/")

    assert conflict.value.status == 409
    assert answer.status_code == 409
    assert answer.json()["status"] == "eligible"
    assert world() == before


def test_recheck_through_the_api(accounts, submit, ministry, api):
    out_account, _ = accounts
    _set(out_account, status=AccountStatus.CONTRIBUTING)
    leg = leg_of(submit())
    _set(out_account, status=AccountStatus.SUSPENDED)

    answer = api(ministry).post(f"/api/v1/transfers/{leg.transfer_no}/recheck/")

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["status"], body["reasons"]) == ("eligible", [])
    assert [entry["action"] for entry in body["timeline"]] == ["submit", "fail_check", "pass_check"]
    assert body["timeline"][-1]["actor"] == "moh_ministry"
