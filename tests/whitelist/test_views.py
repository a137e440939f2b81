"""Staff pages of the retirement pre-check and the whitelist (whitelist/views.py) through the
Django test client: the pre-check's verdict and findings of each kind, the admin's way to the
window form, the form and its refusals (the waiver, the refused transfer, the file), the entry
page with maker-checker, revocation and the scoped, audited evidence, the lists and the scope.
State is built through the real services (tests/whitelist/conftest.py: 严某荣, retiring in
Beijing, with accounts in 长春 and 广州)."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm_log.models import StateLog

from common.models import AuditRecord
from registry.models import AccountStatus, ModuleSwitch
from registry.validators import make_id_number
from tests.factories import png_bytes
from tests.pages import page_of
from transfer import services as transfer_services
from transfer.materials import MAX_BYTES
from transfer.models import Status
from whitelist import services
from whitelist.models import EntryStatus, WhitelistEntry

ID_NUMBER = "110101198808080001"
RULE = "受理“白名单维护”业务申请时，不得以“个人放弃转移”为由受理（需办理转移或者清算）。"
PNG = png_bytes()
UNKNOWN = make_id_number("110101", date(1990, 3, 7), 1)  # valid, but nobody's


def html(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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
def jilin_reviewer(make_staff, jilin_office):
    return make_staff("reviewer", office=jilin_office, username="jl_reviewer")


def precheck(client, region="110000"):
    return page_of(client.get("/whitelist/precheck/", {"id_number": ID_NUMBER, "region": region}))


def upload(content=PNG, name="清算证明.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def form_data(**overrides) -> dict:
    """The window form as an admin fills it in for 长春's account."""
    data = {
        "id_number": ID_NUMBER,
        "account": "220102:enterprise",
        "reason": "CLEARED",
        "transfer_no": "",
        "evidence": "长春市南关区社会保险事业管理局出具的已清算证明",
        "evidence_file": upload(),
        **overrides,
    }
    return {key: value for key, value in data.items() if value is not None}


def stored_files(tmp_path) -> list:
    root = tmp_path / "media"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_made(tmp_path) -> None:
    assert not WhitelistEntry.objects.exists()
    assert not AuditRecord.objects.filter(action="whitelist.make").exists()
    assert stored_files(tmp_path) == []


# --- the pre-check -------------------------------------------------------------------------------


def test_precheck_finds_the_accounts_in_other_provinces(client, accounts, clerk):
    client.force_login(clerk)
    # The benefit place defaults to the user's province.
    page = page_of(client.get("/whitelist/precheck/"))
    assert page.selected["region"] == "110000"
    assert "不得以“个人放弃转移”为由受理。" in page.text("waiver-rule")

    page = precheck(client)
    assert page.text("verdict").startswith("查询存在外省市缴费记录 严某荣 110101198808080001")
    assert "待遇领取地 北京市" in page.text("verdict")
    changchun = page.text("finding-220102-enterprise")
    assert "吉林省长春市南关区 企业职工基本养老保险 影响退休预校验" in changchun
    assert "参保状态 暂停缴费 未清退缴费月数 4 个月" in changchun
    assert "情形 未转移的参保关系 白名单 未办理" in changchun
    assert "吉林省存在未转移的养老保险关系（4个月缴费记录）" in changchun
    assert "应将其转移到待遇领取地，合并计算退休待遇，或者在当地办理清算业务" in changchun
    assert "未清退缴费月数 2 个月" in page.text("finding-440106-enterprise")
    assert "finding-110108-enterprise" not in page.texts  # the benefit province's own account
    # The briefing's guidance and its rule, whatever the result.
    guidance = page.text("guidance")
    assert "应将其转移到待遇领取地，合并计算退休待遇，或者在外地办理清算业务" in guidance
    assert "需由外省清理数据，使预校验不再识别到该记录" in guidance
    assert "白名单维护”业务办理方式： 线下办理" in guidance
    # A clerk may not make an entry.
    assert "/whitelist/new/" not in html(
        client.get("/whitelist/precheck/", {"id_number": ID_NUMBER})
    )

    # Retiring in 吉林, the Beijing and 广州 accounts are the findings.
    page = precheck(client, "220000")
    assert "finding-110108-enterprise" in page.texts
    assert "finding-440106-enterprise" in page.texts
    assert "finding-220102-enterprise" not in page.texts


def test_precheck_passes_without_findings_and_says_what_is_wrong_with_the_input(
    client, beijing, clerk
):
    client.force_login(clerk)
    page = precheck(client)
    assert page.text("verdict") == (
        "通过 严某荣 110101198808080001 · 待遇领取地 北京市 未查询到外省市未转移的缴费记录。"
    )
    bad = page_of(client.get("/whitelist/precheck/", {"id_number": "110101198808080002"}))
    assert bad.text("e-id_number") == "社会保障号码校验位错误，请核对号码。"
    assert bad.values["id_number"] == "110101198808080002"
    assert "result" not in bad.texts
    unknown = page_of(client.get("/whitelist/precheck/", {"id_number": UNKNOWN}))
    assert unknown.text("e-id_number") == "未找到该社会保障号码对应的参保人员。"
    nowhere = page_of(
        client.get("/whitelist/precheck/", {"id_number": ID_NUMBER, "region": "999999"})
    )
    assert nowhere.text("e-region") == "请选择待遇领取地。"


def test_precheck_kinds_link_the_open_and_the_refused_transfer(
    client,
    beijing,
    changchun,
    clerk,
    admin,
    jilin_reviewer,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        application = transfer_services.application_submit(
            actor=clerk,
            outs=[transfer_services.Out(scheme="enterprise", region="220102")],
            id_number=ID_NUMBER,
            name="严某荣",
            phone="13800000000",
            hukou_address="北京市东城区某街道1号",
            in_scheme="enterprise",
            in_region="110108",
            channel="window",
        )
    leg = application.legs.get()
    leg.refresh_from_db()
    assert leg.status == Status.ELIGIBLE, leg.reasons

    client.force_login(clerk)
    page = precheck(client)
    finding = page.text("finding-220102-enterprise")
    assert f"在途转移业务 {leg.transfer_no} （校验通过）" in finding
    assert f"该参保关系已有在途转移业务 {leg.transfer_no}" in finding
    assert "情形 在途转移" in finding
    assert f'href="/transfers/{leg.transfer_no}/"' in html(
        client.get("/whitelist/precheck/", {"id_number": ID_NUMBER})
    )
    client.force_login(admin)  # may not open a transfer case: the number, unlinked
    assert f'href="/transfers/{leg.transfer_no}/"' not in html(
        client.get("/whitelist/precheck/", {"id_number": ID_NUMBER})
    )

    transfer_services.leg_refuse(
        actor=jilin_reviewer,
        transfer_no=leg.transfer_no,
        code="NO_TRANSFERABLE_RECORDS",
        note="经核查，该人员在本地无需要转移的缴费记录",
    )
    page = precheck(client)
    finding = page.text("finding-220102-enterprise")
    assert "情形 外省拒绝转出（无可转移的缴费记录）" in finding
    assert f"外省拒绝转出 {leg.transfer_no} （不予受理：无可转移的缴费记录）" in finding
    assert "可凭此办理“白名单维护”（线下办理）" in finding
    # The admin's link carries the reason and the refused transfer into the form.
    text = html(client.get("/whitelist/precheck/", {"id_number": ID_NUMBER}))
    link = re.search(r'href="(/whitelist/new/\?[^"]+)">办理白名单维护', text)[1]
    form = page_of(client.get(link.replace("&amp;", "&")))
    assert form.checked["account"] == ["220102:enterprise"]
    assert form.checked["reason"] == ["OUT_REFUSED_NO_RECORDS"]
    assert form.values["transfer_no"] == leg.transfer_no


def test_precheck_of_a_closed_account(client, beijing, guangzhou, clerk):
    guangzhou.status = AccountStatus.CLOSED
    guangzhou.save()
    client.force_login(clerk)
    finding = precheck(client).text("finding-440106-enterprise")
    assert "参保状态 已终止" in finding and "情形 已终止、仍有缴费记录" in finding
    assert "广东省的参保关系已终止，但仍有2个月未清退的缴费记录" in finding


def test_the_admin_of_the_benefit_province_gets_a_link_per_finding(
    client, accounts, admin, jilin_admin
):
    client.force_login(admin)
    text = html(client.get("/whitelist/precheck/", {"id_number": ID_NUMBER}))
    links = re.findall(r'href="(/whitelist/new/\?[^"]+)">办理白名单维护', text)
    assert links == [
        f"/whitelist/new/?id_number={ID_NUMBER}&amp;region=220102&amp;scheme=enterprise",
        f"/whitelist/new/?id_number={ID_NUMBER}&amp;region=440106&amp;scheme=enterprise",
    ]
    # Retiring elsewhere, the entry is not this admin's to make.
    text = html(client.get("/whitelist/precheck/", {"id_number": ID_NUMBER, "region": "220000"}))
    assert "/whitelist/new/" not in text
    client.force_login(jilin_admin)
    assert "/whitelist/new/" not in html(
        client.get("/whitelist/precheck/", {"id_number": ID_NUMBER, "region": "110000"})
    )
    assert "办理白名单维护" in html(
        client.get("/whitelist/precheck/", {"id_number": ID_NUMBER, "region": "220000"})
    )


def test_precheck_shows_pending_then_approved_entries_and_finally_passes(
    client, accounts, admin, supervisor, clerk, make_entry
):
    entry = make_entry()
    client.force_login(admin)
    page = precheck(client)
    finding = page.text("finding-220102-enterprise")
    assert "白名单待审核" in finding and f"白名单 待审核 {entry.entry_no}" in finding
    text = html(client.get("/whitelist/precheck/", {"id_number": ID_NUMBER}))
    assert f'href="/whitelist/{entry.entry_no}/"' in text
    assert "region=220102" not in text  # no second entry offered for it

    services.entry_approve(actor=supervisor, entry_no=entry.entry_no)
    other = make_entry(region="440106", reason="TRANSFERRED", evidence="广州市出具的已转移证明")
    services.entry_approve(actor=supervisor, entry_no=other.entry_no)
    client.force_login(clerk)
    page = precheck(client)
    assert page.text("verdict").startswith("通过 严某荣")
    assert "外省市的缴费记录均已办理白名单维护" in page.text("verdict")
    finding = page.text("finding-220102-enterprise")
    assert f"已办理白名单 {entry.entry_no}" in finding
    assert f"已办理白名单维护（{entry.entry_no}，已清算），不再影响退休预校验。" in finding


# --- the window form ----------------------------------------------------------------------------


def test_form_is_prefilled_from_the_precheck_and_offers_no_waiver(client, accounts, admin):
    client.force_login(admin)
    response = client.get(
        "/whitelist/new/", {"id_number": ID_NUMBER, "region": "220102", "scheme": "enterprise"}
    )
    page = page_of(response)
    assert page.checked["account"] == ["220102:enterprise"]
    assert "吉林省长春市南关区（企业职工基本养老保险，暂停缴费，未清退缴费 4 个月）" in page.text(
        "field-account"
    )
    assert "广东省广州市天河区" in page.text("field-account")
    reasons = re.findall(r'name="reason" value="([A-Z_]+)"', html(response))
    assert reasons == ["CLEARED", "TRANSFERRED", "OUT_REFUSED_NO_RECORDS"]
    assert "个人放弃转移" not in page.text("field-account")
    assert page.text("field-reason").startswith(
        "原因 * 已清算 已转移 外省拒绝转出：无需要转移的缴费记录"
    )
    assert page.text("waiver-rule").startswith(RULE)
    assert "窗口（ 线下办理 ）" in page.text("entry-form")
    assert 'name="channel"' not in html(response)  # fixed to the window
    assert 'enctype="multipart/form-data"' in html(response)


def test_submitting_the_form_makes_a_pending_entry(client, accounts, admin, tmp_path):
    client.force_login(admin)
    response = client.post("/whitelist/new/", form_data())
    entry = WhitelistEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/whitelist/{entry.entry_no}/"
    assert (entry.status, entry.channel, entry.reason) == ("pending", "window", "CLEARED")
    assert (entry.account.region_id, entry.benefit_province_id) == ("220102", "110000")
    assert entry.evidence_name == "清算证明.png"
    assert [p.read_bytes() for p in stored_files(tmp_path)] == [PNG]
    page = page_of(client.get(response["Location"]))
    assert f"已受理白名单维护 {entry.entry_no}" in page.text("main")
    assert "待审核" in page.text("summary")


def test_the_waiver_posted_anyway_is_refused_with_the_rule(client, accounts, admin, tmp_path):
    client.force_login(admin)
    data = form_data(reason="PERSONAL_WAIVER", evidence="参保人书面声明")
    page = page_of(client.post("/whitelist/new/", data))
    assert page.text("e-reason") == RULE
    assert page.text("error-summary").startswith(f"白名单维护未提交，请修改以下内容 原因：{RULE}")
    assert "证明材料文件须重新选择" in page.text("error-summary")
    assert "请重新选择文件" in page.text("field-evidence_file")
    assert page.checked["account"] == ["220102:enterprise"]
    assert page.text("f-evidence") == "参保人书面声明"
    assert_nothing_made(tmp_path)

    # Nor dressed up in the evidence text under an accepted reason.
    data = form_data(evidence="参保人本人自愿放弃转移，出具声明")
    page = page_of(client.post("/whitelist/new/", data))
    assert page.text("e-reason") == RULE
    assert page.checked["reason"] == ["CLEARED"]
    assert_nothing_made(tmp_path)


def test_the_refused_transfer_is_required_for_its_reason_only(client, accounts, admin, tmp_path):
    client.force_login(admin)
    page = page_of(client.post("/whitelist/new/", form_data(reason="OUT_REFUSED_NO_RECORDS")))
    assert page.text("e-transfer_no") == "以“外省拒绝转出”为由须填写被拒绝的转移编号。"
    page = page_of(
        client.post(
            "/whitelist/new/",
            form_data(reason="OUT_REFUSED_NO_RECORDS", transfer_no="220102-20260101-00001-1"),
        )
    )
    assert page.text("e-transfer_no") == "未找到转移编号为“220102-20260101-00001-1”的业务。"
    assert page.values["transfer_no"] == "220102-20260101-00001-1"
    page = page_of(client.post("/whitelist/new/", form_data(transfer_no="220102-1")))
    assert page.text("e-transfer_no") == "只有以“外省拒绝转出”为由时才填写转移编号。"
    assert_nothing_made(tmp_path)


def test_the_evidence_file_must_be_a_document(client, accounts, admin, tmp_path):
    client.force_login(admin)
    text = upload(b"just some text", "证明.txt", "text/plain")
    page = page_of(client.post("/whitelist/new/", form_data(evidence_file=text)))
    assert page.text("e-evidence_file") == "“证明.txt”不是PDF、JPEG或PNG文件（按文件内容识别）。"
    # Named .pdf, but not one by its content.
    fake = upload(b"GIF89a....", "证明.pdf", "application/pdf")
    page = page_of(client.post("/whitelist/new/", form_data(evidence_file=fake)))
    assert "不是PDF、JPEG或PNG文件" in page.text("e-evidence_file")
    big = upload(b"%PDF-" + b"0" * MAX_BYTES, "证明.pdf", "application/pdf")
    page = page_of(client.post("/whitelist/new/", form_data(evidence_file=big)))
    assert page.text("e-evidence_file") == "“证明.pdf”超过10MB，请压缩后再上传。"
    page = page_of(client.post("/whitelist/new/", form_data(evidence_file=None)))
    assert page.text("e-evidence_file") == "请上传证明材料的扫描件（PDF、JPG或PNG，不超过10MB）。"
    assert_nothing_made(tmp_path)


def test_every_gap_is_reported_at_once(client, accounts, admin, tmp_path):
    client.force_login(admin)
    page = page_of(
        client.post(
            "/whitelist/new/",
            {"id_number": ID_NUMBER, "reason": "", "evidence": "", "transfer_no": ""},
        )
    )
    assert page.text("error-summary") == (
        "白名单维护未提交，请修改以下内容 "
        "外省参保关系：请选择要办理白名单维护的外省参保关系。 "
        "原因：请选择办理白名单维护的原因。 "
        "证明材料说明：请说明证明材料及其出具机构。 "
        "证明材料扫描件：请上传证明材料的扫描件（PDF、JPG或PNG，不超过10MB）。 "
        "已填写的内容都已保留；证明材料文件须重新选择（浏览器不会保留已选择的文件）。"
    )
    assert_nothing_made(tmp_path)


def test_an_account_already_listed_and_a_suspended_module(client, accounts, admin, make_entry):
    entry = make_entry()
    client.force_login(admin)
    page = page_of(client.get("/whitelist/new/", {"id_number": ID_NUMBER}))
    assert page.disabled["account"] == ["220102:enterprise"]
    assert f"已有白名单 {entry.entry_no} （待审核）" in page.text("field-account")
    page = page_of(client.post("/whitelist/new/", form_data()))
    assert f"该参保关系已有白名单 {entry.entry_no}（待审核）。" in page.text("error-summary")
    assert WhitelistEntry.objects.count() == 1

    ModuleSwitch.objects.update_or_create(
        name="whitelist", defaults={"suspended": True, "notice": "系统升级，白名单维护暂停办理。"}
    )
    page = page_of(client.post("/whitelist/new/", form_data(account="440106:enterprise")))
    assert "系统升级，白名单维护暂停办理。" in page.text("error-summary")
    assert WhitelistEntry.objects.count() == 1


def test_the_form_is_for_admins_and_finds_the_person_first(client, accounts, admin, clerk):
    client.force_login(clerk)
    assert client.get("/whitelist/new/").status_code == 403
    assert client.post("/whitelist/new/", form_data()).status_code == 403
    client.force_login(admin)
    page = page_of(client.get("/whitelist/new/"))
    assert "search-form" in page.texts and "entry-form" not in page.texts
    page = page_of(client.get("/whitelist/new/", {"id_number": UNKNOWN}))
    assert page.text("e-id_number") == "未找到该社会保障号码对应的参保人员。"


def test_a_person_without_findings_is_told(client, beijing, admin):
    client.force_login(admin)
    page = page_of(client.get("/whitelist/new/", {"id_number": ID_NUMBER}))
    assert "没有影响本省退休预校验的外省参保关系" in page.text("no-findings")
    assert "entry-form" not in page.texts


# --- the entry page: maker-checker, revocation, evidence ---------------------------------------


def test_the_maker_may_not_check_their_own_entry(client, accounts, make_staff, make_entry):
    both = make_staff("admin", "supervisor", username="hd_both")
    entry = make_entry(actor=both)
    client.force_login(both)
    url = f"/whitelist/{entry.entry_no}/"
    page = page_of(client.get(url))
    assert "actions" not in page.texts  # no 审核通过 / 审核不通过
    assert "须由本省另一名审核人员审核" in page.text("own-entry")
    response = client.post(f"{url}approve/")
    assert response.status_code == 302 and response["Location"] == url
    page = page_of(client.get(url))
    assert "经办人不能审核本人经办的白名单" in page.text("main")
    client.post(f"{url}reject/", {"note": "材料不全"})
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING and entry.checker is None


def test_approve_then_revoke_with_the_timeline(client, accounts, admin, supervisor, make_entry):
    entry = make_entry()
    url = f"/whitelist/{entry.entry_no}/"
    client.force_login(admin)
    page = page_of(client.get(url))
    assert "actions" not in page.texts  # the maker, not a supervisor
    assert "长春市南关区社会保险事业管理局出具的已清算证明" in page.text("reason")
    assert "吉林省长春市南关区 险种 企业职工基本养老保险" in page.text("account")
    assert "经办人 hd_admin 审核人 待审核" in page.text("summary")

    client.force_login(supervisor)
    page = page_of(client.get(url))
    assert page.text("actions") == "审核通过 审核不通过"
    assert client.post(f"{url}approve/").status_code == 302
    page = page_of(client.get(url))
    assert f"已审核通过，白名单 {entry.entry_no} 生效" in page.text("main")
    assert "已生效" in page.text("summary") and "审核人 hd_supervisor" in page.text("summary")
    assert page.text("actions") == "撤销"  # a supervisor may revoke too
    client.post(f"{url}approve/")  # twice: refused, not a 500
    assert "该白名单当前状态为“已生效”，不能办理此操作。" in page_of(client.get(url)).text("main")

    client.force_login(admin)
    client.post(f"{url}revoke/", {"reason": " "})
    assert "撤销须填写原因。" in page_of(client.get(url)).text("main")
    client.post(f"{url}revoke/", {"reason": "外省数据已恢复，需办理转移"})
    page = page_of(client.get(url))
    assert f"已撤销白名单 {entry.entry_no}" in page.text("main")
    assert page.text("note").startswith("撤销原因 外省数据已恢复，需办理转移")
    timeline = page.text("timeline")
    rows = re.findall(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} (\S+) (\S+) (\S+) (\S+社会保险事业管理中心)", timeline
    )
    assert [row[:3] for row in rows] == [
        ("白名单维护（窗口受理）", "待审核", "hd_admin"),
        ("审核通过", "已生效", "hd_supervisor"),
        ("撤销", "已撤销", "hd_admin"),
    ]
    assert "外省数据已恢复，需办理转移" in timeline
    assert StateLog.objects.count() == 2
    # The finding is back.
    page = precheck(client)
    assert page.text("verdict").startswith("查询存在外省市缴费记录")
    assert "白名单 未办理" in page.text("finding-220102-enterprise")


def test_reject_needs_a_note(client, accounts, supervisor, make_entry):
    entry = make_entry()
    url = f"/whitelist/{entry.entry_no}/"
    client.force_login(supervisor)
    client.post(f"{url}reject/", {"note": ""})
    assert "审核不通过须填写原因。" in page_of(client.get(url)).text("main")
    client.post(f"{url}reject/", {"note": "证明材料非外省经办机构出具"})
    page = page_of(client.get(url))
    assert page.text("note").startswith("审核不通过原因 证明材料非外省经办机构出具")
    assert "审核不通过" in page.text("summary") and "actions" not in page.texts
    entry.refresh_from_db()
    assert (entry.status, entry.checker) == (EntryStatus.REJECTED, supervisor)


def test_the_evidence_is_opened_in_scope_and_recorded(
    client, accounts, admin, clerk, jilin_admin, make_staff, make_entry
):
    entry = make_entry()
    url = f"/whitelist/{entry.entry_no}/evidence/"
    client.force_login(admin)
    assert f'href="{url}"' in html(client.get(f"/whitelist/{entry.entry_no}/"))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert entry.entry_no in response["Content-Disposition"]
    record = AuditRecord.objects.get(action="whitelist.evidence.open")
    assert (record.actor, record.target_id, record.office_code) == (admin, str(entry.pk), "110108")
    client.force_login(clerk)  # a window of the benefit province may see it too
    assert client.get(url).status_code == 200

    before = AuditRecord.objects.filter(action="whitelist.evidence.open").count()
    client.force_login(jilin_admin)
    assert client.get(url).status_code == 403
    assert client.get(f"/whitelist/{entry.entry_no}/").status_code == 403
    client.force_login(make_staff("finance", username="hd_finance"))  # no whitelist role
    assert client.get(url).status_code == 403
    assert AuditRecord.objects.filter(action="whitelist.evidence.open").count() == before
    client.force_login(admin)
    assert client.get("/whitelist/BM110000-20000101-99999/evidence/").status_code == 404


# --- scope ---------------------------------------------------------------------------------------


def test_a_jilin_admin_cannot_make_or_revoke_a_beijing_entry(
    client, accounts, jilin_admin, supervisor, make_entry, tmp_path
):
    client.force_login(jilin_admin)
    # The Jilin admin's form is for retirement in 吉林: 长春's account is not a finding there.
    page = page_of(client.get("/whitelist/new/", {"id_number": ID_NUMBER, "region": "220102"}))
    assert "待遇领取地：吉林省" in page.text("person")
    assert "220102:enterprise" not in html(client.get("/whitelist/new/", {"id_number": ID_NUMBER}))
    assert "account" not in page.checked
    page = page_of(client.post("/whitelist/new/", form_data()))
    assert page.text("e-account") == "请从预校验识别到的外省参保关系中选择。"
    assert_nothing_made(tmp_path)

    entry = make_entry()
    services.entry_approve(actor=supervisor, entry_no=entry.entry_no)
    response = client.post(f"/whitelist/{entry.entry_no}/revoke/", {"reason": "越权"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED
    assert client.get("/whitelist/").status_code == 200
    assert entry.entry_no not in html(client.get("/whitelist/"))


# --- lists and navigation ----------------------------------------------------------------------


def test_list_and_worklist(client, accounts, admin, supervisor, other_supervisor, make_entry):
    first = make_entry()
    second = make_entry(region="440106", reason="TRANSFERRED", evidence="广州市出具的已转移证明")
    services.entry_approve(actor=supervisor, entry_no=first.entry_no)

    client.force_login(other_supervisor)
    nav = page_of(client.get("/")).text("mainnav")
    assert "退休预校验 待审核白名单 1 白名单" in nav
    page = page_of(client.get("/whitelist/work/"))
    assert f"row-{second.entry_no}" in page.texts and f"row-{first.entry_no}" not in page.texts
    assert page.text(f"row-{second.entry_no}") == (
        f"{second.entry_no} 严*荣 110101********0001 广东省广州市天河区 企业职工基本养老保险 "
        f"已转移 hd_admin {timezone.localdate(second.created_at):%Y-%m-%d} 待审核"
    )

    client.force_login(admin)
    page = page_of(client.get("/whitelist/"))
    assert [key for key in page.texts if key.startswith("row-")] == [
        f"row-{second.entry_no}",
        f"row-{first.entry_no}",
    ]
    assert "hd_admin （本人）" in page.text(f"row-{first.entry_no}")
    page = page_of(client.get("/whitelist/", {"status": "approved"}))
    assert [key for key in page.texts if key.startswith("row-")] == [f"row-{first.entry_no}"]
    page = page_of(client.get("/whitelist/", {"id_number": "110101198808080002"}))
    assert page.text("list-error") == "社会保障号码校验位错误，请核对号码。"
    assert "没有符合条件的白名单" in page.text("entries")
    page = page_of(client.get("/whitelist/", {"id_number": ID_NUMBER}))
    assert len([key for key in page.texts if key.startswith("row-")]) == 2
    nav = page_of(client.get("/")).text("mainnav")
    assert "退休预校验 白名单" in nav and "待审核白名单" not in nav


def test_navigation_by_role(client, clerk, make_staff):
    client.force_login(clerk)
    assert page_of(client.get("/")).text("mainnav") == (
        "工作台 新建申请 重复缴费退费 退休预校验 进度查询 参保人员查询 经办机构查询"
    )
    client.force_login(make_staff("finance", username="hd_finance"))
    assert "预校验" not in page_of(client.get("/")).text("mainnav")
    refused = client.get("/whitelist/precheck/", {"id_number": ID_NUMBER})
    assert refused.status_code == 403 and "无权办理此业务" in html(refused)
    assert client.get("/whitelist/").status_code == 403


def test_entry_numbers_in_urls_are_checked(client, admin):
    client.force_login(admin)
    assert client.get("/whitelist/BM110000-20000101-00001/").status_code == 404
    assert client.get("/whitelist/BM110000%00/").status_code == 404
    assert client.post("/whitelist/BM110000-20000101-00001/approve/").status_code == 404
    assert client.get("/whitelist/BM110000-20000101-00001/approve/").status_code == 405
