"""The periodic workflow through its services (DESIGN.md §4): every legal transition, every
illegal one refused without a trace, scope, routing, completion, the transition log, deadlines,
the module switch and application numbers."""

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_fsm_log.models import StateLog

from clearing.models import Obligation
from common.errors import ApplicationError, Conflict, NotAllowed, Unavailable
from registry.models import AccountStatus, ContributionMonth, Identity, ModuleSwitch
from registry.services import module_switch_set
from registry.validators import make_id_number
from registry.workdays import add_working_days
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory
from transfer import services
from transfer.materials import Upload
from transfer.models import Application, InfoSheet, NumberCounter, Status, TransferLeg
from transfer.tasks import mark_overdue

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNREGISTERED = make_id_number("110101", date(1990, 1, 1), 12)
E, F = Identity.EMPLOYEE, Identity.FLEXIBLE


def leg_of(application) -> TransferLeg:
    return TransferLeg.objects.get(application=application)


def fresh(leg: TransferLeg) -> TransferLeg:
    return TransferLeg.objects.get(pk=leg.pk)


def logs_of(leg: TransferLeg) -> list[StateLog]:
    return list(StateLog.objects.for_(leg).order_by("id"))


def working_days_from_today() -> date:
    return add_working_days(timezone.localdate(), settings.TRANSFER_STEP_WORKING_DAYS).due


# --- the actions, each by the actor allowed to do it ---------------------------------------------


@pytest.fixture
def act(clerk, jilin_reviewer, beijing_reviewer, ministry):
    """act[name](transfer_no) runs one action as the right person."""
    return {
        "upload": lambda no: services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=no),
        "refuse": lambda no: services.leg_refuse(
            actor=jilin_reviewer, transfer_no=no, code="OTHER", note="档案待核实"
        ),
        "confirm": lambda no: services.leg_confirm(actor=beijing_reviewer, transfer_no=no),
        "return": lambda no: services.leg_return(
            actor=beijing_reviewer, transfer_no=no, note="缺少2019年缴费明细"
        ),
        "withdraw": lambda no: services.leg_withdraw(actor=clerk, transfer_no=no, note="本人撤回"),
        "recheck": lambda no: services.leg_recheck(actor=ministry, transfer_no=no),
    }


@pytest.fixture
def leg_in(accounts, submit, act):
    """leg_in(status) → a leg brought to `status` through the services."""
    out_account, _ = accounts

    def make(status: str) -> TransferLeg:
        if status == Status.SUBMITTED:
            return leg_of(submit(check=False))
        if status == Status.REJECTED:
            out_account.arrears_fen = 100
            out_account.save()
            return leg_of(submit())
        leg = leg_of(submit())
        steps = {
            Status.ELIGIBLE: [],
            Status.INFO_UPLOADED: ["upload"],
            Status.COMPLETED: ["upload", "confirm"],
            Status.REFUSED: ["refuse"],
            Status.WITHDRAWN: ["withdraw"],
        }[status]
        for step in steps:
            act[step](leg.transfer_no)
        leg = fresh(leg)
        assert leg.status == status
        return leg

    return make


STATES = [
    Status.SUBMITTED,
    Status.ELIGIBLE,
    Status.REJECTED,
    Status.INFO_UPLOADED,
    Status.COMPLETED,
    Status.REFUSED,
    Status.WITHDRAWN,
]
ACTIONS = ["upload", "refuse", "confirm", "return", "withdraw", "recheck"]
LEGAL = {
    (Status.SUBMITTED, "withdraw"): Status.WITHDRAWN,
    (Status.SUBMITTED, "recheck"): Status.ELIGIBLE,
    (Status.ELIGIBLE, "upload"): Status.INFO_UPLOADED,
    (Status.ELIGIBLE, "refuse"): Status.REFUSED,
    (Status.ELIGIBLE, "withdraw"): Status.WITHDRAWN,
    (Status.REJECTED, "recheck"): Status.REJECTED,  # the arrears are still there
    (Status.INFO_UPLOADED, "confirm"): Status.COMPLETED,
    (Status.INFO_UPLOADED, "return"): Status.ELIGIBLE,
}
ILLEGAL = [(s, a) for s in STATES for a in ACTIONS if (s, a) not in LEGAL]


@pytest.mark.parametrize(("status", "action"), list(LEGAL), ids=[f"{s}-{a}" for s, a in LEGAL])
def test_legal_transition(status, action, leg_in, act):
    leg = leg_in(status)
    logs = len(logs_of(leg))

    act[action](leg.transfer_no)

    leg = fresh(leg)
    assert leg.status == LEGAL[status, action]
    assert len(logs_of(leg)) == logs + 1
    assert (logs_of(leg)[-1].source_state, logs_of(leg)[-1].state) == (status, leg.status)


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=[f"{s}-{a}" for s, a in ILLEGAL])
def test_illegal_transition_is_a_conflict_and_changes_nothing(status, action, leg_in, act, world):
    leg = leg_in(status)
    before = world()

    with pytest.raises(Conflict) as conflict:
        act[action](leg.transfer_no)

    assert conflict.value.status == 409
    assert conflict.value.code == "WRONG_STATE"
    assert conflict.value.extra == {"status": status}
    assert world() == before


def test_submit_then_check_passes(accounts, submit, clerk):
    out_account, _ = accounts
    application = submit(check=False)
    leg = leg_of(application)
    assert (leg.status, leg.deadline, logs_of(leg)) == ("submitted", working_days_from_today(), [])
    assert (application.accepting_office.code, application.submitted_by) == ("110108", clerk)
    assert (application.in_province_id, leg.out_province_id, leg.in_province_id) == (
        "110000",
        "220000",
        "110000",
    )

    services.leg_check_eligibility(leg_id=leg.pk)

    leg = fresh(leg)
    assert (leg.status, leg.reasons, leg.out_account_id) == ("eligible", [], out_account.pk)


def test_submit_then_check_rejects(accounts, submit):
    out_account, _ = accounts
    out_account.status = AccountStatus.CONTRIBUTING
    out_account.save()

    leg = leg_of(submit())

    assert (leg.status, [r["code"] for r in leg.reasons]) == ("rejected", ["OUT_NOT_SUSPENDED"])


# --- the steps in detail -----------------------------------------------------------------------


def test_upload_generates_the_info_sheet(leg_in, jilin_reviewer):
    leg = leg_in(Status.ELIGIBLE)

    sheet = services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)

    assert (sheet.leg_id, sheet.version, sheet.uploaded_by) == (leg.pk, 1, jilin_reviewer)
    assert (sheet.months, sheet.pooled_months) == (4, 3)
    assert (sheet.individual_fen, sheet.pooled_fen, sheet.total_fen) == (
        3_000_000,
        216_000,
        3_216_000,
    )
    assert sheet.duplicate_months == []
    assert sheet.detail == [
        ["1997-12", "employee", 600_000, "", "0"],
        ["1998-01", "employee", 600_000, "0.12", "72000.00"],
        ["2019-01", "employee", 600_000, "0.12", "72000.00"],
        ["2019-02", "employee", 600_000, "0.12", "72000.00"],
    ]
    leg = fresh(leg)
    assert (leg.status, leg.deadline, leg.overdue) == (
        "info_uploaded",
        working_days_from_today(),
        False,
    )


def test_upload_refused_when_the_out_account_changed(leg_in, jilin_reviewer, accounts, world):
    leg = leg_in(Status.ELIGIBLE)
    out_account, _ = accounts
    out_account.status = AccountStatus.CONTRIBUTING
    out_account.save()
    before = world()

    with pytest.raises(Conflict) as conflict:
        services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)

    assert conflict.value.code == "OUT_ACCOUNT_CHANGED"
    assert world() == before


def test_nothing_to_transfer_is_refused_with_that_code(
    person, in_account, submit, jilin_reviewer, world
):
    empty = AccountFactory(person=person, region=region("220102"), status=AccountStatus.SUSPENDED)
    leg = leg_of(submit())
    assert leg.out_account_id == empty.pk
    before = world()

    with pytest.raises(ApplicationError) as refused:
        services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    assert (refused.value.status, refused.value.code) == (400, "NO_TRANSFERABLE_RECORDS")
    assert world() == before

    services.leg_refuse(
        actor=jilin_reviewer,
        transfer_no=leg.transfer_no,
        code="NO_TRANSFERABLE_RECORDS",
        note="无可转移的缴费记录",
    )
    leg = fresh(leg)
    assert (leg.status, leg.refuse_code, leg.deadline) == (
        "refused",
        "NO_TRANSFERABLE_RECORDS",
        None,
    )


def test_refuse(leg_in, jilin_reviewer):
    leg = leg_in(Status.ELIGIBLE)

    services.leg_refuse(
        actor=jilin_reviewer, transfer_no=leg.transfer_no, code="OTHER", note=" 档案待核实 "
    )

    leg = fresh(leg)
    assert (leg.status, leg.refuse_code, leg.deadline, leg.overdue) == (
        "refused",
        "OTHER",
        None,
        False,
    )
    assert json.loads(logs_of(leg)[-1].description)["note"] == "档案待核实"


@pytest.mark.parametrize(
    ("code", "note", "field"),
    [
        ("", "说明", "code"),
        ("NOPE", "说明", "code"),
        ("OTHER", "", "note"),
        ("OTHER", "  ", "note"),
    ],
)
def test_refuse_requires_a_code_and_a_note(code, note, field, leg_in, jilin_reviewer, world):
    leg = leg_in(Status.ELIGIBLE)
    before = world()

    with pytest.raises(ApplicationError) as invalid:
        services.leg_refuse(actor=jilin_reviewer, transfer_no=leg.transfer_no, code=code, note=note)

    assert invalid.value.status == 400
    assert list(invalid.value.fields) == [field]
    assert world() == before


@pytest.mark.parametrize("from_status", [Status.SUBMITTED, Status.ELIGIBLE])
def test_withdraw(from_status, leg_in, clerk):
    leg = leg_in(from_status)

    services.leg_withdraw(actor=clerk, transfer_no=leg.transfer_no, note="本人不再转移")

    leg = fresh(leg)
    assert (leg.status, leg.deadline) == ("withdrawn", None)
    log = logs_of(leg)[-1]
    assert (log.transition, log.by, json.loads(log.description)["note"]) == (
        "withdraw",
        clerk,
        "本人不再转移",
    )


def test_return_sends_the_leg_back_with_a_note_and_a_new_deadline(leg_in, beijing_reviewer):
    leg = leg_in(Status.INFO_UPLOADED)
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        services.leg_return(actor=beijing_reviewer, transfer_no=leg.transfer_no, note="明细不全")

    leg = fresh(leg)
    assert (leg.status, leg.deadline, leg.overdue) == ("eligible", date(2026, 10, 16), False)
    log = logs_of(leg)[-1]
    assert (log.transition, log.source_state, log.state, log.by) == (
        "send_back",
        "info_uploaded",
        "eligible",
        beijing_reviewer,
    )
    assert json.loads(log.description)["note"] == "明细不全"
    assert InfoSheet.objects.filter(leg=leg).count() == 1


@pytest.mark.parametrize("note", ["", "   "])
def test_return_requires_a_note(note, leg_in, beijing_reviewer, world):
    leg = leg_in(Status.INFO_UPLOADED)
    before = world()

    with pytest.raises(ApplicationError) as invalid:
        services.leg_return(actor=beijing_reviewer, transfer_no=leg.transfer_no, note=note)

    assert (invalid.value.status, list(invalid.value.fields)) == (400, ["note"])
    assert world() == before


def test_info_sheet_is_versioned(leg_in, accounts, jilin_reviewer, beijing_reviewer):
    out_account, _ = accounts
    leg = leg_in(Status.INFO_UPLOADED)
    services.leg_return(actor=beijing_reviewer, transfer_no=leg.transfer_no, note="缺2019-05")
    MonthFactory(account=out_account, month=date(2019, 5, 1), base_fen=700_000)

    sheet = services.leg_upload_info_sheet(
        actor=jilin_reviewer, transfer_no=leg.transfer_no, note="已补充2019-05"
    )

    assert sheet.version == 2
    assert (sheet.months, sheet.pooled_fen, sheet.note) == (5, 300_000, "已补充2019-05")
    assert list(
        InfoSheet.objects.filter(leg=leg)
        .order_by("version")
        .values_list("version", "months", "pooled_fen")
    ) == [(1, 4, 216_000), (2, 5, 300_000)]
    assert fresh(leg).status == Status.INFO_UPLOADED


# --- completion --------------------------------------------------------------------------------


def test_completion_moves_history_and_balance_and_writes_one_obligation(
    accounts, submit, jilin_reviewer, beijing_reviewer
):
    out_account, in_account = accounts
    MonthFactory(account=out_account, month=date(2019, 3, 1), identity=F, base_fen=400_000)
    MonthFactory(account=out_account, month=date(2019, 4, 1), base_fen=600_000, cleared=True)
    # Paid in Beijing too: 2019-01 as an employee (stays behind), 2019-03 as an employee
    # (the flexible 2019-03 from Jilin moves beside it).
    MonthFactory(account=in_account, month=date(2019, 1, 1), base_fen=900_000)
    MonthFactory(account=in_account, month=date(2019, 3, 1), base_fen=900_000)
    leg = leg_of(submit())
    sheet = services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    # 1998-01, 2019-01, 2019-02 × 72000 + 2019-03 × 48000
    assert (sheet.months, sheet.pooled_fen, sheet.duplicate_months) == (
        5,
        264_000,
        ["2019-01", "2019-03"],
    )

    services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)

    leg = fresh(leg)
    assert (leg.status, leg.deadline, leg.overdue) == ("completed", None, False)
    assert leg.completed_at is not None
    out_account.refresh_from_db()
    in_account.refresh_from_db()
    assert out_account.status == AccountStatus.TRANSFERRED_OUT
    assert (out_account.individual_balance_fen, in_account.individual_balance_fen) == (
        0,
        4_000_000,
    )

    def held(account):
        return set(
            ContributionMonth.objects.filter(account=account).values_list(
                "month", "identity", "origin_province_id", "cleared"
            )
        )

    assert held(in_account) == {
        (date(2024, 1, 1), E, None, False),
        (date(2019, 1, 1), E, None, False),
        (date(2019, 3, 1), E, None, False),
        (date(1997, 12, 1), E, "220000", False),
        (date(1998, 1, 1), E, "220000", False),
        (date(2019, 2, 1), E, "220000", False),
        (date(2019, 3, 1), F, "220000", False),
    }
    assert held(out_account) == {
        (date(2019, 1, 1), E, None, False),  # paid twice: left for the refund process
        (date(2019, 4, 1), E, None, True),  # cleared: does not move
    }
    [obligation] = Obligation.objects.all()
    assert (
        obligation.leg_id,
        obligation.payer_id,
        obligation.payee_id,
        obligation.individual_fen,
        obligation.pooled_fen,
        obligation.amount_fen,
    ) == (leg.pk, "220000", "110000", 3_000_000, 264_000, 3_264_000)
    assert obligation.completed_at == leg.completed_at
    assert obligation.period == timezone.localtime(leg.completed_at).date().replace(day=1)


def test_completion_moves_only_the_sheets_individual_amount(leg_in, accounts, beijing_reviewer):
    out_account, in_account = accounts
    leg = leg_in(Status.INFO_UPLOADED)
    out_account.individual_balance_fen += 500  # interest credited after the sheet
    out_account.save()

    services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)

    out_account.refresh_from_db()
    in_account.refresh_from_db()
    assert (out_account.individual_balance_fen, in_account.individual_balance_fen) == (
        500,
        4_000_000,
    )
    assert Obligation.objects.get().individual_fen == 3_000_000


def test_completion_refused_when_the_balance_fell_below_the_sheet(
    leg_in, accounts, beijing_reviewer, world
):
    out_account, _ = accounts
    leg = leg_in(Status.INFO_UPLOADED)
    out_account.individual_balance_fen -= 1
    out_account.save()
    before = world()

    with pytest.raises(Conflict) as conflict:
        services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)

    assert conflict.value.code == "SHEET_OUTDATED"
    assert world() == before


def test_completion_refused_when_the_in_account_stopped_contributing(
    leg_in, accounts, beijing_reviewer, world
):
    _, in_account = accounts
    leg = leg_in(Status.INFO_UPLOADED)
    in_account.status = AccountStatus.SUSPENDED
    in_account.save()
    before = world()

    with pytest.raises(Conflict) as conflict:
        services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)

    assert conflict.value.code == "IN_ACCOUNT_CHANGED"
    assert world() == before


def test_completion_refused_when_the_out_account_is_no_longer_suspended(
    leg_in, accounts, beijing_reviewer, world
):
    """The person went back to work in Jilin after the sheet was sent: that account is live
    again and must not be closed as transferred out."""
    out_account, _ = accounts
    leg = leg_in(Status.INFO_UPLOADED)
    out_account.status = AccountStatus.CONTRIBUTING
    out_account.save()
    before = world()

    with pytest.raises(Conflict) as conflict:
        services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)

    assert (conflict.value.status, conflict.value.code) == (409, "OUT_ACCOUNT_CHANGED")
    assert world() == before


@pytest.mark.parametrize(
    ("completed_at", "period"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, 999_000, tzinfo=SHANGHAI), date(2026, 12, 1)),
        (datetime(2027, 1, 1, 0, 0, 0, tzinfo=SHANGHAI), date(2027, 1, 1)),
    ],
    ids=["last-millisecond-of-december", "first-instant-of-january"],
)
def test_obligation_period_is_the_shanghai_month_of_completion(
    completed_at, period, leg_in, beijing_reviewer
):
    leg = leg_in(Status.INFO_UPLOADED)

    with time_machine.travel(completed_at, tick=False):
        services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)

    obligation = Obligation.objects.get(leg=leg)
    assert obligation.period == period
    assert obligation.completed_at == completed_at == fresh(leg).completed_at


# --- scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["beijing_reviewer", "guangdong_reviewer"])
@pytest.mark.parametrize("action", ["upload", "refuse"])
def test_outgoing_actions_only_by_the_outgoing_province(who, action, leg_in, request, world):
    leg = leg_in(Status.ELIGIBLE)
    actor = request.getfixturevalue(who)
    before = world()

    with pytest.raises(NotAllowed) as refused:
        if action == "upload":
            services.leg_upload_info_sheet(actor=actor, transfer_no=leg.transfer_no)
        else:
            services.leg_refuse(actor=actor, transfer_no=leg.transfer_no, code="OTHER", note="x")

    assert refused.value.status == 403
    assert world() == before


@pytest.mark.parametrize("who", ["jilin_reviewer", "guangdong_reviewer"])
@pytest.mark.parametrize("action", ["confirm", "return"])
def test_incoming_actions_only_by_the_incoming_province(who, action, leg_in, request, world):
    leg = leg_in(Status.INFO_UPLOADED)
    actor = request.getfixturevalue(who)
    before = world()

    with pytest.raises(NotAllowed):
        if action == "confirm":
            services.leg_confirm(actor=actor, transfer_no=leg.transfer_no)
        else:
            services.leg_return(actor=actor, transfer_no=leg.transfer_no, note="退回")

    assert world() == before


@pytest.mark.parametrize(
    "who", ["jilin clerk", "beijing clerk of another office", "reviewer of the accepting office"]
)
def test_withdraw_only_by_the_accepting_office(who, leg_in, make_staff, jilin_office, world):
    leg = leg_in(Status.ELIGIBLE)
    actor = {
        "jilin clerk": lambda: make_staff("clerk", office=jilin_office),
        "beijing clerk of another office": lambda: make_staff(
            "clerk", office=OfficeFactory(code="110102", region=region("110102"))
        ),
        "reviewer of the accepting office": lambda: make_staff("reviewer"),
    }[who]()
    before = world()

    with pytest.raises(NotAllowed):
        services.leg_withdraw(actor=actor, transfer_no=leg.transfer_no, note="")

    assert world() == before


@pytest.fixture
def channel_client(make_staff):
    return make_staff("channel", username="national_platform")


def test_channel_client_withdraws_its_own_submission(accounts, submit, channel_client):
    leg = leg_of(submit(actor=channel_client, channel="national_platform"))
    assert leg.status == Status.ELIGIBLE
    assert leg.application.channel == "national_platform"

    services.leg_withdraw(actor=channel_client, transfer_no=leg.transfer_no, note="用户撤回")

    assert fresh(leg).status == Status.WITHDRAWN
    assert logs_of(leg)[-1].by == channel_client


def test_another_channel_client_cannot_withdraw(
    accounts, submit, channel_client, make_staff, world
):
    leg = leg_of(submit(actor=channel_client, channel="e_card"))
    other = make_staff("channel", username="app_12333")
    before = world()

    with pytest.raises(NotAllowed):
        services.leg_withdraw(actor=other, transfer_no=leg.transfer_no, note="")

    assert world() == before


@pytest.mark.parametrize(
    ("who", "channel"),
    [("clerk", "national_platform"), ("clerk", "app_12333"), ("channel_client", "window")],
)
def test_channel_must_fit_the_submitter(who, channel, accounts, submit, request, world):
    before = world()

    with pytest.raises(ApplicationError) as invalid:
        submit(actor=request.getfixturevalue(who), channel=channel)

    assert (invalid.value.status, list(invalid.value.fields)) == (400, ["channel"])
    assert world() == before


@pytest.mark.parametrize("role", ["reviewer", "finance", "supervisor", "ministry", "auditor"])
def test_roles_that_do_not_apply_cannot_submit(role, accounts, submit, make_staff, world):
    actor = make_staff(role)
    before = world()

    with pytest.raises(NotAllowed):
        submit(actor=actor)

    assert world() == before
    assert Application.objects.count() == NumberCounter.objects.count() == 0


# --- what submission refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "严某"}, "name", "NAME_MISMATCH"),
        ({"id_number": UNREGISTERED}, "id_number", "UNKNOWN_PERSON"),
        ({"id_number": "110101198808080002"}, "id_number", "id_checksum"),
        ({"in_region": "119999"}, "in_region", "UNKNOWN_REGION"),
        ({"outs": [("enterprise", "229999")]}, "outs", "UNKNOWN_REGION"),
        ({"outs": []}, "outs", "INVALID"),
        ({"outs": [("enterprise", "220102"), ("enterprise", "220104")]}, "outs", "INVALID"),
        ({"outs": [("enterprise", f"{p}0000") for p in range(11, 22)]}, "outs", "INVALID"),
    ],
    ids=[
        "name-mismatch",
        "unknown-person",
        "bad-check-digit",
        "unknown-in-region",
        "unknown-out-region",
        "no-outs",
        "same-province-twice",
        "eleven-outs",
    ],
)
def test_invalid_submissions_are_refused_and_nothing_written(
    overrides, field, code, accounts, submit, world
):
    before = world()

    with pytest.raises(ApplicationError) as invalid:
        submit(**overrides)

    assert (invalid.value.status, invalid.value.code) == (400, code)
    assert list(invalid.value.fields) == [field]
    assert world() == before


def test_name_is_compared_without_surrounding_spaces(accounts, submit):
    assert leg_of(submit(name=" 严某荣 ")).status == Status.ELIGIBLE


def test_an_invalid_material_writes_nothing_not_even_a_number(accounts, submit, world):
    before = world()

    with pytest.raises(ApplicationError) as invalid:
        submit(uploads=[Upload(kind="identity", name="身份证.pdf", content=b"not a pdf")])

    assert invalid.value.code == "UNSUPPORTED_FILE"
    assert world() == before


# --- the transition log ------------------------------------------------------------------------


def test_every_transition_writes_one_log_row_with_actor_office_and_note(
    accounts, submit, jilin_reviewer, beijing_reviewer
):
    leg = leg_of(submit())
    trail = [("pass_check", None, "MOH", "")]

    def step(call, transition, by, office, note):
        count = len(logs_of(leg))
        call()
        trail.append((transition, by, office, note))
        assert len(logs_of(leg)) == count + 1

    no = leg.transfer_no
    step(
        lambda: services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=no),
        "upload_info",
        jilin_reviewer,
        "220000",
        "上传信息表（第1版）",
    )
    step(
        lambda: services.leg_return(actor=beijing_reviewer, transfer_no=no, note="明细不全"),
        "send_back",
        beijing_reviewer,
        "110108",
        "明细不全",
    )
    step(
        lambda: services.leg_upload_info_sheet(
            actor=jilin_reviewer, transfer_no=no, note="已补充明细"
        ),
        "upload_info",
        jilin_reviewer,
        "220000",
        "已补充明细",
    )
    step(
        lambda: services.leg_confirm(actor=beijing_reviewer, transfer_no=no),
        "confirm",
        beijing_reviewer,
        "110108",
        "",
    )

    logs = logs_of(leg)
    assert [
        (
            log.transition,
            log.by,
            json.loads(log.description)["office"],
            json.loads(log.description)["note"],
        )
        for log in logs
    ] == trail
    assert [(log.source_state, log.state) for log in logs] == [
        ("submitted", "eligible"),
        ("eligible", "info_uploaded"),
        ("info_uploaded", "eligible"),
        ("eligible", "info_uploaded"),
        ("info_uploaded", "completed"),
    ]
    assert json.loads(logs[0].description)["office_name"] == "人社部全国转移接续平台"
    assert json.loads(logs[1].description)["office_name"] == jilin_reviewer.staff.office.name


# --- deadlines -----------------------------------------------------------------------------------


def test_mark_overdue_flags_only_open_legs_past_their_deadline(
    ready_person, submit, act, jilin_reviewer
):
    people = [ready_person() for _ in range(6)]
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        eligible = leg_of(submit(who=people[0]))
        unchecked = leg_of(submit(who=people[1], check=False))
        uploaded = leg_of(submit(who=people[2]))
        act["upload"](uploaded.transfer_no)
        refused = leg_of(submit(who=people[3]))
        act["refuse"](refused.transfer_no)
        people[4].accounts.filter(province_id="220000").update(arrears_fen=1)
        rejected = leg_of(submit(who=people[4]))
    with time_machine.travel(datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI), tick=False):
        later = leg_of(submit(who=people[5]))
    legs = [eligible, unchecked, uploaded, refused, rejected, later]
    assert [fresh(leg).deadline for leg in legs] == [date(2026, 10, 16)] * 3 + [None, None] + [
        date(2026, 10, 26)
    ]

    assert services.legs_mark_overdue(today=date(2026, 10, 16)) == 0
    assert services.legs_mark_overdue(today=date(2026, 10, 17)) == 3

    assert [fresh(leg).overdue for leg in legs] == [True, True, True, False, False, False]
    assert services.legs_mark_overdue(today=date(2026, 10, 17)) == 0
    assert [fresh(leg).status for leg in legs] == [
        "eligible",
        "submitted",
        "info_uploaded",
        "refused",
        "rejected",
        "eligible",
    ]

    with time_machine.travel(datetime(2026, 10, 19, 10, 0, tzinfo=SHANGHAI), tick=False):
        act["upload"](eligible.transfer_no)
        assert mark_overdue.delay().get() == 0  # nothing more is past 2026-10-19
    after = fresh(eligible)
    assert (after.status, after.overdue, after.deadline) == (
        "info_uploaded",
        False,
        add_working_days(date(2026, 10, 19), 10).due,
    )


def test_mark_overdue_leaves_closed_legs_alone_whatever_their_deadline(leg_in, act, world):
    """Closing steps clear the deadline; a closed leg that still carries one (older data) is no
    business of the overdue job either."""
    legs = [leg_in(status) for status in (Status.WITHDRAWN, Status.COMPLETED)]
    TransferLeg.objects.filter(pk__in=[leg.pk for leg in legs]).update(deadline=date(2026, 1, 5))
    before = world()

    assert services.legs_mark_overdue(today=date(2026, 12, 1)) == 0

    assert world() == before


# --- the module switch ---------------------------------------------------------------------------


@pytest.fixture
def suspend_transfers(make_staff, national_office):
    admin = make_staff("admin", office=national_office, username="moh_admin")

    def suspend(suspended=True):
        module_switch_set(
            actor=admin,
            name=ModuleSwitch.Module.TRANSFER,
            suspended=suspended,
            notice="因系统升级，转移接续业务暂停办理。" if suspended else "",
        )

    return suspend


def test_suspended_module_refuses_submission(accounts, submit, suspend_transfers, world):
    suspend_transfers()
    before = world()

    with pytest.raises(Unavailable) as unavailable:
        submit()

    assert unavailable.value.status == 503
    assert unavailable.value.message == "因系统升级，转移接续业务暂停办理。"
    assert world() == before

    suspend_transfers(False)
    assert leg_of(submit()).status == Status.ELIGIBLE


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.ELIGIBLE, "upload"),
        (Status.ELIGIBLE, "refuse"),
        (Status.ELIGIBLE, "withdraw"),
        (Status.INFO_UPLOADED, "confirm"),
        (Status.INFO_UPLOADED, "return"),
        (Status.REJECTED, "recheck"),
    ],
)
def test_suspended_module_refuses_every_step(status, action, leg_in, act, suspend_transfers, world):
    leg = leg_in(status)
    suspend_transfers()
    before = world()

    with pytest.raises(Unavailable) as unavailable:
        act[action](leg.transfer_no)

    assert unavailable.value.extra["notice"] == "因系统升级，转移接续业务暂停办理。"
    assert world() == before


# --- application numbers -------------------------------------------------------------------------


def test_application_numbers_are_readable_and_unique(
    person, accounts, submit, make_staff, jilin_office
):
    AccountFactory(person=person, region=region("440106"), status=AccountStatus.SUSPENDED)
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        first = submit(check=False)
        second = submit(check=False, outs=[("enterprise", "220102"), ("enterprise", "440106")])
        elsewhere = submit(check=False, actor=make_staff("clerk", office=jilin_office))
    with time_machine.travel(datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI), tick=False):
        next_day = submit(check=False)

    assert [a.application_no for a in (first, second, elsewhere, next_day)] == [
        "110108-20260928-00001",
        "110108-20260928-00002",
        "220102-20260928-00001",
        "110108-20260929-00001",
    ]
    assert list(first.legs.values_list("transfer_no", flat=True)) == ["110108-20260928-00001-1"]
    assert list(second.legs.order_by("id").values_list("transfer_no", "out_region_id")) == [
        ("110108-20260928-00002-1", "220102"),
        ("110108-20260928-00002-2", "440106"),
    ]
    numbers = Application.objects.values_list("application_no", flat=True)
    assert all(re.fullmatch(r"\d{6}-\d{8}-\d{5}", no) for no in numbers)
