"""The retirement pre-check and the whitelist through the services (DESIGN.md §7): findings for
each kind of account, maker-checker, the waiver refused, offline only, the refused-transfer
reason, revocation, scope and the module switch."""

from datetime import date

import pytest
from django_fsm_log.models import StateLog

from common.errors import ApplicationError
from common.models import AuditRecord
from registry.models import AccountStatus, ContributionMonth, ModuleSwitch
from registry.services import module_switch_set
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory, PersonFactory
from transfer import services as transfer_services
from whitelist import selectors, services
from whitelist.models import EntryStatus, WhitelistEntry
from whitelist.services import WAIVER_RULE


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def findings(person, benefit="110000"):
    result = selectors.precheck(person=person, benefit_province=benefit)
    return result, {f.account.region_id: f for f in result.findings}


def entries_and_files(tmp_path) -> tuple:
    stored = sorted(p.name for p in (tmp_path / "media").rglob("*") if p.is_file())
    return list(WhitelistEntry.objects.values_list("entry_no", "status")), stored


# --- the pre-check --------------------------------------------------------------------------------


def test_each_kind_of_account(person, accounts):
    closed = AccountFactory(
        person=person, region=region("310115"), province=region("310000"), status="closed"
    )
    MonthFactory(account=closed, month=date(2015, 3, 1))
    gone = AccountFactory(
        person=person,
        region=region("320106"),
        province=region("320000"),
        status=AccountStatus.TRANSFERRED_OUT,
    )
    MonthFactory(account=gone, month=date(2016, 1, 1), cleared=False)  # paid twice, left behind
    empty = AccountFactory(person=person, region=region("330106"), province=region("330000"))
    MonthFactory(account=empty, month=date(2017, 1, 1), cleared=True)  # refunded: nothing left

    result, found = findings(person)

    assert result.passed is False
    assert result.benefit_province.code == "110000"
    assert sorted(found) == ["220102", "310115", "440106"]  # not 北京 itself, 江苏, 浙江
    assert (found["220102"].kind, found["220102"].paid_months) == ("untransferred", 4)
    assert found["440106"].kind == "untransferred"
    assert found["310115"].kind == "closed"
    assert "已终止" in found["310115"].guidance and "白名单维护" in found["310115"].guidance
    guidance = found["220102"].guidance
    assert "应将其转移到待遇领取地，合并计算退休待遇，或者在当地办理清算业务" in guidance
    assert "需由吉林省清理数据" in guidance and "线下办理" in guidance


def test_a_person_with_nothing_elsewhere_passes(person, beijing):
    result, found = findings(person)
    assert result.passed is True and found == {}


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", username="hd_clerk")


@pytest.fixture
def jilin_reviewer(make_staff):
    office = OfficeFactory(code="220000", region=region("220000"), province=region("220000"))
    return make_staff("reviewer", office=office, username="jl_reviewer")


@pytest.fixture
def leg(person, accounts, clerk, django_capture_on_commit_callbacks):
    """A periodic transfer 长春 → 海淀, checked and waiting for 吉林's information sheet."""
    with django_capture_on_commit_callbacks(execute=True):
        application = transfer_services.application_submit(
            actor=clerk,
            id_number=person.id_number,
            name=person.name,
            phone="13800000000",
            hukou_address="北京市东城区某街道1号",
            in_scheme="enterprise",
            in_region="110108",
            outs=[transfer_services.Out("enterprise", "220102")],
            channel="window",
        )
    leg = application.legs.get()
    leg.refresh_from_db()
    assert leg.status == "eligible"
    return leg


def test_an_open_transfer_says_so(person, leg):
    _, found = findings(person)
    assert found["220102"].kind == "open_transfer"
    assert found["220102"].open_leg == leg
    assert leg.transfer_no in found["220102"].guidance and "办结后预校验不再提示" in (
        found["220102"].guidance
    )


def refuse(leg, reviewer, code="NO_TRANSFERABLE_RECORDS"):
    transfer_services.leg_refuse(
        actor=reviewer, transfer_no=leg.transfer_no, code=code, note="经核查无需要转移的缴费记录"
    )


def test_a_refusal_for_no_records_points_to_the_whitelist(person, leg, jilin_reviewer):
    refuse(leg, jilin_reviewer)
    _, found = findings(person)
    assert found["220102"].kind == "refused_no_records"
    assert leg.transfer_no in found["220102"].guidance


# --- entries: maker-checker -----------------------------------------------------------------------


def test_an_approved_entry_no_longer_blocks(person, accounts, make_entry, supervisor, make_staff):
    entry = make_entry()
    assert (entry.status, entry.benefit_province_id) == (EntryStatus.PENDING, "110000")
    assert entry.entry_no.startswith("BM110000-")
    _, found = findings(person)
    assert not found["220102"].whitelisted and found["220102"].pending == entry  # not yet

    services.entry_approve(actor=supervisor, entry_no=entry.entry_no)

    result, found = findings(person)
    assert found["220102"].whitelisted and entry.entry_no in found["220102"].guidance
    assert result.passed is False  # 广州 still blocks
    second = make_entry(region="440106", reason="TRANSFERRED", evidence="广州出具的已转移证明")
    services.entry_approve(actor=supervisor, entry_no=second.entry_no)
    assert findings(person)[0].passed is True


def test_the_maker_may_not_check_their_own_entry(person, accounts, make_entry, make_staff):
    both = make_staff("admin", "supervisor", username="hd_admin_and_supervisor")
    entry = make_entry(actor=both)
    for call in (
        lambda: services.entry_approve(actor=both, entry_no=entry.entry_no),
        lambda: services.entry_reject(actor=both, entry_no=entry.entry_no, note="x"),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.status == 403
    assert WhitelistEntry.objects.get().status == EntryStatus.PENDING


def test_reject_and_revoke_with_their_reasons(person, accounts, make_entry, supervisor, admin):
    rejected = make_entry()
    with pytest.raises(ApplicationError) as blank:
        services.entry_reject(actor=supervisor, entry_no=rejected.entry_no, note=" ")
    assert blank.value.status == 400
    services.entry_reject(actor=supervisor, entry_no=rejected.entry_no, note="证明材料未盖章")
    rejected.refresh_from_db()
    assert (rejected.status, rejected.note, rejected.checker) == (
        EntryStatus.REJECTED,
        "证明材料未盖章",
        supervisor,
    )

    entry = make_entry()  # the account may be listed again after a rejection
    services.entry_approve(actor=supervisor, entry_no=entry.entry_no)
    assert findings(person)[1]["220102"].whitelisted
    with pytest.raises(ApplicationError) as no_reason:
        services.entry_revoke(actor=admin, entry_no=entry.entry_no, reason="")
    assert no_reason.value.status == 400
    services.entry_revoke(actor=admin, entry_no=entry.entry_no, reason="吉林省告知仍有未转移缴费")
    assert not findings(person)[1]["220102"].whitelisted  # the finding is back
    with pytest.raises(ApplicationError) as twice:
        services.entry_revoke(actor=admin, entry_no=entry.entry_no, reason="再次撤销")
    assert twice.value.status == 409
    assert list(
        StateLog.objects.for_(entry).order_by("pk").values_list("transition", "by__username")
    ) == [("approve", "hd_supervisor"), ("revoke", "hd_admin")]
    assert AuditRecord.objects.filter(action="whitelist.make").count() == 2


def test_one_entry_per_account_at_a_time(accounts, make_entry):
    entry = make_entry()
    with pytest.raises(ApplicationError) as again:
        make_entry()
    assert (again.value.status, again.value.code) == (409, "ALREADY_LISTED")
    assert entry.entry_no in again.value.message


# --- what is never accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"reason": "PERSONAL_WAIVER"},
        {"evidence": "参保人本人自愿放弃转移，签字确认"},
        {"reason": "CLEARED", "evidence": "个人放弃转移声明"},
    ],
    ids=["reason", "evidence-text", "waiver-under-another-reason"],
)
def test_the_personal_waiver_is_refused_with_the_rule(accounts, make_entry, overrides, tmp_path):
    before = entries_and_files(tmp_path)
    with pytest.raises(ApplicationError) as refused:
        make_entry(**overrides)
    assert (refused.value.status, refused.value.code) == (400, "PERSONAL_WAIVER_REFUSED")
    assert refused.value.message == WAIVER_RULE
    assert "不得以“个人放弃转移”为由受理" in WAIVER_RULE
    assert entries_and_files(tmp_path) == before


@pytest.mark.parametrize("channel", ["national_platform", "e_card", "app_12333"])
def test_online_is_refused(accounts, make_entry, channel, tmp_path):
    before = entries_and_files(tmp_path)
    with pytest.raises(ApplicationError) as refused:
        make_entry(channel=channel)
    assert (refused.value.status, refused.value.code) == (400, "WINDOW_ONLY")
    assert entries_and_files(tmp_path) == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"evidence_file": None}, "evidence_file", "INVALID"),
        (
            {"evidence_file": services.Evidence("a.txt", b"hello")},
            "evidence_file",
            "UNSUPPORTED_FILE",
        ),
        ({"evidence": " "}, "evidence", "INVALID"),
        ({"reason": "OTHER"}, "reason", "INVALID"),
        ({"region": "110108"}, "region", "NOT_A_FINDING"),  # the benefit province's own
        ({"region": "320106"}, "region", "NOT_A_FINDING"),  # no account there
        ({"transfer_no": "X-1"}, "transfer_no", "INVALID"),  # only with the refusal reason
        ({"id_number": "110101198808080002"}, "id_number", "id_checksum"),
    ],
)
def test_refused_entries_write_nothing(accounts, make_entry, overrides, field, code, tmp_path):
    before = entries_and_files(tmp_path)
    with pytest.raises(ApplicationError) as refused:
        make_entry(**overrides)
    assert (refused.value.status, refused.value.code) == (400, code)
    assert field in refused.value.fields
    assert entries_and_files(tmp_path) == before


# --- the refused-transfer reason ------------------------------------------------------------------


def test_out_refused_no_records_must_name_that_refused_leg(
    person, leg, jilin_reviewer, make_entry, clerk, django_capture_on_commit_callbacks
):
    def attempt(transfer_no):
        with pytest.raises(ApplicationError) as refused:
            make_entry(reason="OUT_REFUSED_NO_RECORDS", transfer_no=transfer_no)
        assert refused.value.status == 400 and "transfer_no" in refused.value.fields
        return refused.value.message

    assert "须填写被拒绝的转移编号" in attempt("")
    assert "未找到" in attempt("110108-20990101-00001-1")
    assert "不是转出地以“无可转移的缴费记录”不予受理" in attempt(leg.transfer_no)  # still open

    # Another person's leg, refused for no records: not this person's.
    other = PersonFactory()
    out = AccountFactory(
        person=other, region=region("220102"), province=region("220000"), status="suspended"
    )
    MonthFactory(account=out)
    into = AccountFactory(person=other, region=region("110108"), province=region("110000"))
    MonthFactory(account=into, month=date(2024, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        foreign = transfer_services.application_submit(
            actor=clerk,
            id_number=other.id_number,
            name=other.name,
            phone="13800000000",
            hukou_address="北京市某街道",
            in_scheme="enterprise",
            in_region="110108",
            outs=[transfer_services.Out("enterprise", "220102")],
            channel="window",
        ).legs.get()
    refuse(foreign, jilin_reviewer)
    assert "不是该参保人员从该参保关系转出的业务" in attempt(foreign.transfer_no)

    refuse(leg, jilin_reviewer, code="OTHER")  # refused, but for another reason
    assert "不是转出地以“无可转移的缴费记录”不予受理" in attempt(leg.transfer_no)
    assert not WhitelistEntry.objects.exists()


def test_out_refused_no_records_with_the_right_leg(person, leg, jilin_reviewer, make_entry):
    refuse(leg, jilin_reviewer)
    entry = make_entry(reason="OUT_REFUSED_NO_RECORDS", transfer_no=leg.transfer_no)
    assert entry.refused_leg == leg


def test_a_leg_of_another_account_is_not_accepted(
    person, accounts, leg, jilin_reviewer, make_entry
):
    refuse(leg, jilin_reviewer)  # the 长春 account's refusal…
    with pytest.raises(ApplicationError) as refused:  # …named for the 广州 account
        make_entry(region="440106", reason="OUT_REFUSED_NO_RECORDS", transfer_no=leg.transfer_no)
    assert refused.value.fields == {
        "transfer_no": [f"转移业务 {leg.transfer_no} 不是该参保人员从该参保关系转出的业务。"]
    }


# --- scope and the module switch ------------------------------------------------------------------


def test_who_may_make_and_check(accounts, make_entry, make_staff, jilin_office, national_office):
    for actor in (
        make_staff("clerk", username="hd_clerk_2"),
        make_staff("supervisor", username="hd_sup_2"),
        make_staff("admin", office=national_office, username="moh_admin"),
    ):
        with pytest.raises(ApplicationError) as refused:
            make_entry(actor=actor)
        assert refused.value.status == 403
    entry = make_entry()
    for actor in (
        make_staff("supervisor", office=jilin_office, username="jl_sup"),
        make_staff("admin", username="hd_admin_2"),
    ):
        with pytest.raises(ApplicationError) as refused:
            services.entry_approve(actor=actor, entry_no=entry.entry_no)
        assert refused.value.status == 403
    # 吉林's admin: for a 吉林 benefit the 长春 account is not another province's.
    jilin_admin = make_staff("admin", office=jilin_office, username="jl_admin")
    with pytest.raises(ApplicationError) as own_province:
        make_entry(actor=jilin_admin)
    assert own_province.value.code == "NOT_A_FINDING"


def test_suspended_module_refuses_writes(
    person, accounts, make_entry, supervisor, make_staff, national_office, tmp_path
):
    pending = make_entry()
    notice = "白名单维护功能升级，暂停办理"
    module_switch_set(
        actor=make_staff("admin", office=national_office, username="moh_admin"),
        name=ModuleSwitch.Module.WHITELIST,
        suspended=True,
        notice=notice,
    )
    before = entries_and_files(tmp_path)
    for call in (
        lambda: make_entry(region="440106"),
        lambda: services.entry_approve(actor=supervisor, entry_no=pending.entry_no),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.status == 503 and notice in refused.value.message
    assert entries_and_files(tmp_path) == before
    assert findings(person)[0].findings  # the pre-check (a read) still works
    assert ContributionMonth.objects.exists()
