"""Whitelist API over HTTP (API.md "Whitelist"): the pre-check for every kind of account, 白名单维护
with its evidence and its refusals (个人放弃转移 above all), maker-checker, revocation, scope,
suspension, and every error as a clear 4xx/503.

The conftest's person 严某荣 retires in Beijing (110000): 海淀 contributing, 长春 suspended with 4
paid months, 广州 contributing with 2."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from common.models import AuditRecord
from registry.models import AccountStatus
from registry.services import module_switch_set
from registry.validators import make_id_number
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, PersonFactory, png_bytes
from tests.whitelist.conftest import EVIDENCE
from transfer import services as transfer_services
from transfer.models import Status
from whitelist.models import WhitelistEntry

ID_NUMBER = "110101198808080001"
PRECHECK = "/api/v1/retirement-precheck/"
WHITELIST = "/api/v1/whitelist/"
WAIVER_RULE = "受理“白名单维护”业务申请时，不得以“个人放弃转移”为由受理（需办理转移或者清算）。"
NOTICE = "因系统升级，白名单维护业务暂停办理。"
NOBODY = make_id_number("110101", date(1990, 1, 1), 11)  # valid, and no one holds it


def url(entry_no: str, action: str = "") -> str:
    return f"{WHITELIST}{entry_no}/{action + '/' if action else ''}"


def scan(name: str = "清算证明.png", content: bytes | None = None):
    """An uploaded file as the window's scanner sends it (multipart)."""
    return SimpleUploadedFile(name, png_bytes() if content is None else content)


def form(**overrides) -> dict:
    """The window's 白名单维护 form for 长春's account: reason 已清算, with its scan."""
    values = {
        "id_number": ID_NUMBER,
        "region": "220102",
        "scheme": "enterprise",
        "reason": "CLEARED",
        "evidence": "长春市南关区社会保险事业管理局出具的已清算证明",
        "channel": "window",
        "evidence_file": scan(),
    }
    return {k: v for k, v in {**values, **overrides}.items() if v is not None}


def precheck(client, benefit_region: str = "110000", id_number: str = ID_NUMBER) -> dict:
    response = client.post(
        PRECHECK, {"id_number": id_number, "benefit_region": benefit_region}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def by_region(result: dict) -> dict[str, dict]:
    return {f["region"]: f for f in result["findings"]}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.fixture
def make_entry(make_entry, accounts):
    """The conftest's `make_entry`, with the person's accounts in place."""
    return make_entry


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", username="hd_clerk")


@pytest.fixture
def other_supervisor(make_staff):
    return make_staff("supervisor", username="hd_supervisor2")


@pytest.fixture
def jilin_admin(make_staff, jilin_office):
    return make_staff("admin", office=jilin_office, username="jl_admin")


@pytest.fixture
def jilin_supervisor(make_staff, jilin_office):
    return make_staff("supervisor", office=jilin_office, username="jl_supervisor")


@pytest.fixture
def leg_out(clerk, make_staff, province_office, django_capture_on_commit_callbacks):
    """leg_out(person, refuse=None | "NO_TRANSFERABLE_RECORDS" | "OTHER") → the person's periodic
    leg out of 长春 into 海淀, submitted and checked (eligible); refused by 吉林's reviewer when
    asked — all through the transfer services."""
    reviewer = make_staff("reviewer", office=province_office("220000"), username="jl_reviewer")

    def run(person, refuse: str | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            application = transfer_services.application_submit(
                actor=clerk,
                outs=[transfer_services.Out(scheme="enterprise", region="220102")],
                id_number=person.id_number,
                name=person.name,
                phone="13800000000",
                hukou_address="北京市东城区某街道1号",
                in_scheme="enterprise",
                in_region="110108",
                channel="window",
            )
        leg = application.legs.get()
        leg.refresh_from_db()
        assert leg.status == Status.ELIGIBLE, leg.reasons
        if refuse:
            transfer_services.leg_refuse(
                actor=reviewer, transfer_no=leg.transfer_no, code=refuse, note="经核查，无需转移"
            )
            leg.refresh_from_db()
        return leg

    return run


@pytest.fixture
def stranger(db):
    """Another person with the same two accounts (suspended in 长春, contributing in 海淀)."""
    person = PersonFactory(name="郑某明")
    out = AccountFactory(person=person, region=region("220102"), status=AccountStatus.SUSPENDED)
    MonthFactory(account=out, month=date(2018, 1, 1))
    into = AccountFactory(person=person, region=region("110108"))
    MonthFactory(account=into, month=date(2024, 1, 1))
    return person


def make(api, admin, **overrides):
    response = api(admin).post(WHITELIST, form(**overrides), format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


# --- the pre-check ------------------------------------------------------------------------------


def test_precheck_finds_every_other_province_account_with_uncleared_months(api, clerk, accounts):
    person = accounts[0].person
    closed = AccountFactory(person=person, region=region("310101"), status=AccountStatus.CLOSED)
    for month in (1, 2, 3):
        MonthFactory(account=closed, month=date(2015, month, 1))
    gone = AccountFactory(
        person=person, region=region("330102"), status=AccountStatus.TRANSFERRED_OUT
    )
    MonthFactory(account=gone, month=date(2016, 1, 1))
    cleared = AccountFactory(person=person, region=region("320102"))
    MonthFactory(account=cleared, month=date(2017, 1, 1), cleared=True)
    AccountFactory(person=person, region=region("350102"))  # never paid a month

    result = precheck(api(clerk))

    assert result["passed"] is False
    assert (result["id_number"], result["name"]) == ("110101********0001", "严*荣")
    assert (result["benefit_province"], result["benefit_province_name"]) == ("110000", "北京市")
    findings = by_region(result)
    # Not 海淀 (the benefit province's own), not 浙江 (transferred out), not 江苏 (every month
    # cleared), not 福建 (no month paid).
    assert set(findings) == {"220102", "440106", "310101"}
    summary = {
        code: (f["province"], f["account_status"], f["kind"], f["paid_months"])
        for code, f in findings.items()
    }
    assert summary == {
        "220102": ("220000", "suspended", "untransferred", 4),
        "440106": ("440000", "contributing", "untransferred", 2),
        "310101": ("310000", "closed", "closed", 3),
    }
    for finding in findings.values():
        assert finding["scheme"] == "enterprise"
        assert finding["whitelisted"] is False
        assert finding["open_transfer"] is None and finding["refused_transfer"] is None
        assert finding["entry_no"] is None and finding["pending_entry_no"] is None
    assert "应将其转移到待遇领取地" in findings["220102"]["guidance"]
    assert "吉林省" in findings["220102"]["guidance"]
    assert "已终止" in findings["310101"]["guidance"]
    assert "需由上海市清理数据" in findings["310101"]["guidance"]


def test_the_benefit_provinces_own_account_is_never_a_finding(api, clerk, accounts):
    """Retiring in 吉林 instead: 长春 is home, 海淀 and 广州 are the other provinces."""
    result = precheck(api(clerk), benefit_region="220102")

    assert result["benefit_province"] == "220000"
    assert set(by_region(result)) == {"110108", "440106"}


def test_a_person_with_nothing_elsewhere_passes(api, clerk, beijing):
    result = precheck(api(clerk))

    assert (result["passed"], result["findings"]) == (True, [])


def test_an_open_transfer_is_named_in_its_finding(api, clerk, accounts, leg_out):
    leg = leg_out(accounts[0].person)

    finding = by_region(precheck(api(clerk)))["220102"]

    assert finding["kind"] == "open_transfer"
    assert finding["open_transfer"] == {
        "transfer_no": leg.transfer_no,
        "status": "eligible",
        "status_label": leg.get_status_display(),
    }
    assert leg.transfer_no in finding["guidance"]
    assert by_region(precheck(api(clerk)))["440106"]["kind"] == "untransferred"


def test_a_refusal_for_no_records_is_named_in_its_finding(api, clerk, accounts, leg_out):
    person = accounts[0].person
    leg_out(person, refuse="OTHER")
    assert by_region(precheck(api(clerk)))["220102"]["kind"] == "untransferred"

    refused = leg_out(person, refuse="NO_TRANSFERABLE_RECORDS")
    finding = by_region(precheck(api(clerk)))["220102"]

    assert finding["kind"] == "refused_no_records"
    assert finding["refused_transfer"] == {"transfer_no": refused.transfer_no}
    assert finding["open_transfer"] is None
    assert "白名单维护" in finding["guidance"]


@pytest.mark.parametrize(
    "payload,field,status_code",
    [
        ({"id_number": "110101198808080002", "benefit_region": "110000"}, "id_number", 400),
        ({"id_number": ID_NUMBER, "benefit_region": "999999"}, "benefit_region", 400),
        ({"id_number": ID_NUMBER, "benefit_region": "11"}, "benefit_region", 400),
        ({"benefit_region": "110000"}, "id_number", 400),
        ({"id_number": NOBODY, "benefit_region": "110000"}, None, 404),
    ],
)
def test_precheck_refuses_what_it_cannot_check(api, clerk, accounts, payload, field, status_code):
    response = api(clerk).post(PRECHECK, payload, format="json")

    assert response.status_code == status_code, response.json()
    if field:
        assert field in response.json()["fields"]
    else:
        assert response.json()["code"] == "NOT_FOUND"


def test_precheck_scope(api, make_staff, jilin_office, jilin_admin, admin, accounts):
    """A window anywhere may run it for any benefit place; an admin only for their province's."""
    jilin_clerk = make_staff("clerk", office=jilin_office, username="jl_clerk")
    finance = make_staff("finance", username="hd_finance")

    assert precheck(api(jilin_clerk))["passed"] is False
    assert precheck(api(admin))["passed"] is False
    body = {"id_number": ID_NUMBER, "benefit_region": "110000"}
    assert api(jilin_admin).post(PRECHECK, body, format="json").status_code == 403
    assert api(finance).post(PRECHECK, body, format="json").status_code == 403
    assert api().post(PRECHECK, body, format="json").status_code == 401


# --- making, approving and revoking an entry ----------------------------------------------------


def test_whitelisting_both_findings_passes_the_precheck_and_revoking_brings_one_back(
    api, admin, supervisor, accounts, media
):
    made = make(api, admin)

    assert made["status"] == "pending"
    assert made["entry_no"].startswith(f"BM110000-{date.today():%Y%m%d}-")
    assert {k: made[k] for k in ("reason", "benefit_province", "region", "scheme", "maker")} == {
        "reason": "CLEARED",
        "benefit_province": "110000",
        "region": "220102",
        "scheme": "enterprise",
        "maker": "hd_admin",
    }
    assert (made["status_label"], made["reason_label"]) == ("待审核", "已清算")
    assert (made["id_number"], made["name"]) == ("110101********0001", "严*荣")
    assert (made["evidence_name"], made["evidence_content_type"]) == ("清算证明.png", "image/png")
    assert made["transfer_no"] is None and made["checker"] is None
    assert made["evidence_url"] == url(made["entry_no"], "evidence")
    assert len(stored_files(media)) == 1
    # Pending: named, but not in force yet.
    finding = by_region(precheck(api(admin)))["220102"]
    assert (finding["pending_entry_no"], finding["whitelisted"]) == (made["entry_no"], False)

    approved = api(supervisor).post(url(made["entry_no"], "approve"))
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["checker"]) == ("approved", "hd_supervisor")
    assert approved.json()["checked_at"] is not None
    result = precheck(api(admin))
    assert result["passed"] is False  # 广州 still stands
    assert by_region(result)["220102"]["entry_no"] == made["entry_no"]
    assert by_region(result)["220102"]["whitelisted"] is True
    assert made["entry_no"] in by_region(result)["220102"]["guidance"]

    guangzhou = make(
        api,
        admin,
        region="440000",  # the province's code names the account too
        reason="TRANSFERRED",
        evidence="广州市天河区社会保险基金管理中心出具的已转移证明",
    )
    assert guangzhou["region"] == "440106"
    assert api(supervisor).post(url(guangzhou["entry_no"], "approve")).status_code == 200
    result = precheck(api(admin))
    assert result["passed"] is True
    assert all(f["whitelisted"] for f in result["findings"])

    revoked = api(admin).post(
        url(made["entry_no"], "revoke"), {"reason": "长春方面告知清算证明有误"}, format="json"
    )
    assert revoked.status_code == 200, revoked.json()
    assert (revoked.json()["status"], revoked.json()["note"]) == (
        "revoked",
        "长春方面告知清算证明有误",
    )
    result = precheck(api(admin))
    assert result["passed"] is False
    finding = by_region(result)["220102"]
    assert (finding["whitelisted"], finding["entry_no"], finding["kind"]) == (
        False,
        None,
        "untransferred",
    )

    timeline = api(supervisor).get(url(made["entry_no"])).json()["timeline"]
    assert [(t["action"], t["status"], t["actor"], t["note"]) for t in timeline] == [
        ("make", "pending", "hd_admin", "已清算"),
        ("approve", "approved", "hd_supervisor", "审核通过"),
        ("revoke", "revoked", "hd_admin", "长春方面告知清算证明有误"),
    ]
    assert {t["office"] for t in timeline} == {admin.staff.office.name}


def test_a_revoked_account_may_be_listed_again(api, admin, supervisor, make_entry):
    entry = make_entry()
    api(supervisor).post(url(entry.entry_no, "approve"))
    api(admin).post(url(entry.entry_no, "revoke"), {"reason": "材料有误"}, format="json")

    again = make(api, admin, evidence="长春市南关区社会保险事业管理局重新出具的已清算证明")

    assert again["entry_no"] != entry.entry_no and again["status"] == "pending"


def test_a_json_request_without_the_scan_is_refused(api, admin, accounts, media):
    body = form(evidence_file=None)

    response = api(admin).post(WHITELIST, body, format="json")

    assert response.status_code == 400
    assert "evidence_file" in response.json()["fields"]
    assert not WhitelistEntry.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"reason": "PERSONAL_WAIVER", "evidence": "参保人申请"},
        {"reason": "CLEARED", "evidence": "本人自愿放弃转移"},
        {"reason": "TRANSFERRED", "evidence": "参保人签字：本人放弃外省养老保险关系"},
    ],
)
def test_personal_waiver_is_refused_with_the_rule(api, admin, accounts, media, overrides):
    response = api(admin).post(WHITELIST, form(**overrides), format="multipart")

    assert response.status_code == 400
    got = response.json()
    assert (got["code"], got["message"]) == ("PERSONAL_WAIVER_REFUSED", WAIVER_RULE)
    assert got["fields"] == {"reason": [WAIVER_RULE]}
    assert not WhitelistEntry.objects.exists() and stored_files(media) == []
    assert not AuditRecord.objects.filter(action="whitelist.make").exists()


@pytest.mark.parametrize("channel", ["app_12333", "national_platform", "e_card"])
def test_online_channels_are_refused(api, admin, accounts, channel):
    response = api(admin).post(WHITELIST, form(channel=channel), format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "WINDOW_ONLY"
    assert "channel" in response.json()["fields"]
    assert not WhitelistEntry.objects.exists()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"reason": "DATA_JUNK"}, "reason"),
        ({"evidence": ""}, "evidence"),
        ({"region": "310101"}, "region"),  # no account there
        ({"region": "110108"}, "region"),  # the benefit province's own account
        ({"scheme": "resident"}, "region"),  # no such account in 长春
        ({"transfer_no": "TR220000-20260101-00001"}, "transfer_no"),  # only for a refusal
        ({"id_number": "110101198808080002"}, "id_number"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_an_entry_must_name_a_finding_with_an_accepted_reason(
    api, admin, accounts, media, overrides, field
):
    response = api(admin).post(WHITELIST, form(**overrides), format="multipart")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not WhitelistEntry.objects.exists() and stored_files(media) == []


def test_out_refused_no_records_must_name_this_accounts_refused_leg(
    api, admin, accounts, leg_out, stranger, media
):
    person = accounts[0].person
    refused_other = leg_out(person, refuse="OTHER")
    refused = leg_out(person, refuse="NO_TRANSFERABLE_RECORDS")
    foreign = leg_out(stranger, refuse="NO_TRANSFERABLE_RECORDS")
    client = api(admin)

    def attempt(**overrides):
        body = form(reason="OUT_REFUSED_NO_RECORDS", evidence="吉林省不予转出的告知书", **overrides)
        return client.post(WHITELIST, body, format="multipart")

    wrong = [
        attempt(),  # no transfer_no
        attempt(transfer_no="TR220000-20000101-99999"),  # unknown
        attempt(transfer_no=foreign.transfer_no),  # another person's leg
        attempt(transfer_no=refused_other.transfer_no),  # refused, but for another reason
        attempt(transfer_no=refused.transfer_no, region="440106"),  # a leg of another account
    ]
    for response in wrong:
        assert response.status_code == 400, response.json()
        assert list(response.json()["fields"]) == ["transfer_no"]
    assert not WhitelistEntry.objects.exists() and stored_files(media) == []

    right = attempt(transfer_no=refused.transfer_no)

    assert right.status_code == 201, right.json()
    assert (right.json()["reason"], right.json()["transfer_no"]) == (
        "OUT_REFUSED_NO_RECORDS",
        refused.transfer_no,
    )


def test_the_maker_never_checks_their_own_entry(api, make_staff, other_supervisor, accounts):
    both = make_staff("admin", "supervisor", username="hd_both")
    made = make(api, both)

    own = api(both).post(url(made["entry_no"], "approve"))
    assert own.status_code == 403
    assert "经办人不能审核本人" in own.json()["message"]
    own_reject = api(both).post(url(made["entry_no"], "reject"), {"note": "x"}, format="json")
    assert own_reject.status_code == 403
    assert WhitelistEntry.objects.get().status == "pending"

    other = api(other_supervisor).post(url(made["entry_no"], "approve"))
    assert other.status_code == 200
    assert (other.json()["status"], other.json()["checker"]) == ("approved", "hd_supervisor2")


def test_reject_with_a_note(api, supervisor, make_entry):
    entry = make_entry()

    no_note = api(supervisor).post(url(entry.entry_no, "reject"), {"note": " "}, format="json")
    assert no_note.status_code == 400 and "note" in no_note.json()["fields"]

    rejected = api(supervisor).post(
        url(entry.entry_no, "reject"), {"note": "证明材料未加盖公章"}, format="json"
    )

    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["status"], body["status_label"], body["note"], body["checker"]) == (
        "rejected",
        "审核不通过",
        "证明材料未加盖公章",
        "hd_supervisor",
    )
    assert body["timeline"][-1]["note"] == "证明材料未加盖公章"
    # Rejected: nothing more to check, nothing to revoke, and the account is a plain finding.
    assert api(supervisor).post(url(entry.entry_no, "approve")).status_code == 409
    revoke = api(supervisor).post(url(entry.entry_no, "revoke"), {"reason": "x"}, format="json")
    assert (revoke.status_code, revoke.json()["code"]) == (409, "WRONG_STATE")
    finding = by_region(precheck(api(supervisor)))["220102"]
    assert (finding["pending_entry_no"], finding["entry_no"]) == (None, None)


def test_revoke_needs_a_reason_and_an_approved_entry(api, admin, supervisor, make_entry):
    entry = make_entry()
    pending = api(admin).post(url(entry.entry_no, "revoke"), {"reason": "x"}, format="json")
    assert pending.status_code == 409
    api(supervisor).post(url(entry.entry_no, "approve"))

    blank = api(admin).post(url(entry.entry_no, "revoke"), {"reason": ""}, format="json")

    assert blank.status_code == 400 and "reason" in blank.json()["fields"]
    entry.refresh_from_db()
    assert entry.status == "approved"


def test_a_second_entry_for_the_same_account_is_a_conflict(api, admin, make_entry, media):
    first = make_entry()

    response = api(admin).post(WHITELIST, form(reason="TRANSFERRED"), format="multipart")

    assert response.status_code == 409
    assert response.json()["code"] == "ALREADY_LISTED"
    assert first.entry_no in response.json()["message"]
    assert WhitelistEntry.objects.count() == 1 and len(stored_files(media)) == 1


# --- the evidence document ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "upload,code",
    [
        (("证明.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024)), "TOO_LARGE"),
        (("证明.pdf", "这不是PDF，只是文字。".encode()), "UNSUPPORTED_FILE"),
        (("证明.exe", b"MZ\x90\x00"), "UNSUPPORTED_FILE"),
    ],
)
def test_evidence_must_be_a_pdf_or_image_of_at_most_10mb(api, admin, accounts, media, upload, code):
    name, content = upload

    response = api(admin).post(
        WHITELIST, form(evidence_file=scan(name, content)), format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert name in response.json()["fields"]["evidence_file"][0]
    assert not WhitelistEntry.objects.exists() and stored_files(media) == []


def test_a_pdf_is_accepted_as_evidence(api, admin, accounts):
    made = make(api, admin, evidence_file=scan("证明.pdf", b"%PDF-1.4\n%%EOF\n"))

    assert made["evidence_content_type"] == "application/pdf"


def test_evidence_download_is_scoped_and_audited(api, admin, jilin_admin, clerk, make_entry):
    entry = make_entry()

    response = api(clerk).get(url(entry.entry_no, "evidence"), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == EVIDENCE.content
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    opened = AuditRecord.objects.get(action="whitelist.evidence.open")
    assert (opened.actor, opened.data) == (clerk, {"entry_no": entry.entry_no})

    refused = api(jilin_admin).get(url(entry.entry_no, "evidence"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
    assert AuditRecord.objects.filter(action="whitelist.evidence.open").count() == 1
    assert api(clerk).get(url("BM110000-20000101-00009", "evidence")).status_code == 404


def test_a_missing_evidence_file_is_a_404_not_a_crash(api, admin, make_entry):
    entry = make_entry()
    entry.evidence_file.delete(save=False)

    response = api(admin).get(url(entry.entry_no, "evidence"))

    assert response.status_code == 404
    assert not AuditRecord.objects.filter(action="whitelist.evidence.open").exists()


# --- reading ------------------------------------------------------------------------------------


def test_list_is_scoped_and_filtered(
    api, make_staff, national_office, admin, supervisor, jilin_admin, make_entry, stranger
):
    first = make_entry()
    api(supervisor).post(url(first.entry_no, "approve"))
    second = make_entry(region="440106")
    ministry = make_staff("ministry", office=national_office, username="moh_ministry")

    everything = api(admin).get(WHITELIST).json()
    assert everything["count"] == 2
    assert [e["entry_no"] for e in everything["results"]] == [second.entry_no, first.entry_no]
    assert everything["results"][1]["timeline"][-1]["action"] == "approve"
    pending = api(admin).get(WHITELIST, {"status": "pending"}).json()
    assert [e["entry_no"] for e in pending["results"]] == [second.entry_no]
    assert api(admin).get(WHITELIST, {"id_number": ID_NUMBER}).json()["count"] == 2
    assert api(admin).get(WHITELIST, {"id_number": stranger.id_number}).json()["count"] == 0
    assert api(ministry).get(WHITELIST).json()["count"] == 2
    assert api(jilin_admin).get(WHITELIST).json()["count"] == 0
    assert api(admin).get(WHITELIST, {"status": "lost"}).status_code == 400


def test_detail_masks_the_person_and_404s_an_unknown_entry(api, supervisor, make_entry):
    entry = make_entry()

    body = api(supervisor).get(url(entry.entry_no)).json()

    assert (body["id_number"], body["name"]) == ("110101********0001", "严*荣")
    assert (body["region_name"], body["province_name"]) == ("南关区", "吉林省")
    assert ID_NUMBER not in str(body)
    assert api(supervisor).get(url("BM110000-20000101-00009")).status_code == 404
    assert api(supervisor).post(url("BM110000-20000101-00009", "approve")).status_code == 404


# --- scope, suspension, authentication ---------------------------------------------------------


def test_another_provinces_staff_cannot_touch_an_entry(
    api, admin, supervisor, jilin_admin, jilin_supervisor, make_entry
):
    entry = make_entry()

    assert api(jilin_supervisor).post(url(entry.entry_no, "approve")).status_code == 403
    reject = api(jilin_supervisor).post(url(entry.entry_no, "reject"), {"note": "x"}, format="json")
    assert reject.status_code == 403
    assert api(jilin_admin).get(url(entry.entry_no)).status_code == 403
    api(supervisor).post(url(entry.entry_no, "approve"))
    for user in (jilin_admin, jilin_supervisor):
        revoke = api(user).post(url(entry.entry_no, "revoke"), {"reason": "x"}, format="json")
        assert revoke.status_code == 403
    entry.refresh_from_db()
    assert (entry.status, entry.note) == ("approved", "")


def test_only_an_admin_makes_an_entry(api, clerk, supervisor, accounts, media):
    for user in (clerk, supervisor):
        response = api(user).post(WHITELIST, form(), format="multipart")
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"
    assert not WhitelistEntry.objects.exists() and stored_files(media) == []
    # The clerk still reads the province's entries.
    assert api(clerk).get(WHITELIST).status_code == 200


def test_an_admin_of_a_national_office_makes_no_entry(api, make_staff, national_office, accounts):
    ministry_admin = make_staff("admin", office=national_office, username="moh_admin")

    response = api(ministry_admin).post(WHITELIST, form(), format="multipart")

    assert response.status_code == 403
    assert not WhitelistEntry.objects.exists()


def test_a_suspended_module_refuses_every_write_with_the_notice(
    api, make_staff, national_office, admin, supervisor, make_entry
):
    pending = make_entry()
    approved = make_entry(region="440106")
    api(supervisor).post(url(approved.entry_no, "approve"))
    national_admin = make_staff("admin", office=national_office, username="moh_admin")
    module_switch_set(actor=national_admin, name="whitelist", suspended=True, notice=NOTICE)

    writes = [
        api(admin).post(WHITELIST, form(region="440106"), format="multipart"),
        api(supervisor).post(url(pending.entry_no, "approve")),
        api(supervisor).post(url(pending.entry_no, "reject"), {"note": "x"}, format="json"),
        api(admin).post(url(approved.entry_no, "revoke"), {"reason": "x"}, format="json"),
    ]
    for response in writes:
        assert response.status_code == 503
        got = response.json()
        assert (got["code"], got["notice"]) == ("MODULE_SUSPENDED", NOTICE)
    pending.refresh_from_db()
    approved.refresh_from_db()
    assert (pending.status, approved.status) == ("pending", "approved")
    assert WhitelistEntry.objects.count() == 2

    # Reads and the pre-check still work.
    assert api(admin).get(url(pending.entry_no)).status_code == 200
    assert api(admin).get(WHITELIST).json()["count"] == 2
    assert precheck(api(admin))["passed"] is False

    module_switch_set(actor=national_admin, name="whitelist", suspended=False, notice="")
    assert api(supervisor).post(url(pending.entry_no, "approve")).status_code == 200


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", PRECHECK),
        ("get", WHITELIST),
        ("post", WHITELIST),
        ("get", url("BM110000-20261205-00001")),
        ("get", url("BM110000-20261205-00001", "evidence")),
        ("post", url("BM110000-20261205-00001", "approve")),
        ("post", url("BM110000-20261205-00001", "reject")),
        ("post", url("BM110000-20261205-00001", "revoke")),
    ],
)
def test_no_token_is_a_401(api, db, method, path):
    response = getattr(api(), method)(path)

    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"
