"""Staff pages of the transfer workflow (transfer/views.py) through the Django test client:
the window's form and receipt, the worklists, the case page and its actions, materials and the
progress query. State is built through the real services."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clearing.models import Obligation
from common.models import AuditRecord
from registry.models import AccountStatus, InsuranceAccount, ModuleSwitch, Scheme
from registry.validators import make_id_number
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory, PersonFactory, png_bytes
from tests.pages import Page
from transfer import services, views
from transfer.forms import ReceiveForm
from transfer.funds import DOC_2014, DOC_2017, fund_rule
from transfer.materials import MAX_BYTES, Upload
from transfer.models import (
    Application,
    ContactLetter,
    InfoSheet,
    Material,
    Mode,
    NumberCounter,
    Remittance,
    Status,
    TransferLeg,
)

ID_NUMBER = "110101198808080001"


PNG = png_bytes()


def html(response) -> str:
    return response.content.decode()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def submit_case(clerk, django_capture_on_commit_callbacks):
    """submit_case(id_number, name, out="220102") → the leg, after the eligibility check."""

    def submit(id_number=ID_NUMBER, name="严某荣", out="220102") -> TransferLeg:
        with django_capture_on_commit_callbacks(execute=True):
            application = services.application_submit(
                actor=clerk,
                id_number=id_number,
                name=name,
                phone="13800000000",
                hukou_address="北京市东城区某街道1号",
                in_scheme="enterprise",
                in_region="110108",
                outs=[services.Out(scheme="enterprise", region=out)],
                channel="window",
                uploads=[Upload(kind="identity", name="身份证.png", content=PNG)],
            )
        return application.legs.get()

    return submit


def migrant(n: int, out_region: str, name: str) -> str:
    """A person suspended in `out_region` and contributing in 海淀; returns the ID number."""
    person = PersonFactory(id_number=make_id_number("110101", date(1985, 5, n), n), name=name)
    out = AccountFactory(
        person=person,
        region=region(out_region),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=100_000,
    )
    MonthFactory(account=out, month=date(2020, 1, 1))
    beijing = AccountFactory(person=person, region=region("110108"))
    MonthFactory(account=beijing, month=date(2024, 1, 1))
    return person.id_number


def form_data(**changes) -> dict:
    """The window form as a clerk fills it for 严某荣 (长春 → 海淀); None drops a field."""
    data = {
        "id_number": ID_NUMBER,
        "name": "严某荣",
        "phone": "13800000000",
        "hukou_address": "北京市东城区某街道1号",
        "in_scheme": "enterprise",
        "in-province": "110000",
        "in-city": "",
        "in-county": "110108",
        "out-0-scheme": "enterprise",
        "out-0-province": "220000",
        "out-0-city": "220100",
        "out-0-county": "220102",
        "applicant_kind": "self",
        "material_identity": SimpleUploadedFile("身份证.png", PNG, content_type="image/png"),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- the new application form --------------------------------------------------------------------


def test_form_renders_with_the_office_region_as_incoming(client, clerk):
    client.force_login(clerk)
    response = client.get("/transfers/new/")
    assert response.status_code == 200
    page = Page(html(response))
    assert "新建转移申请" in html(response) and "添加转出地" in html(response)
    assert page.selected["in-province"] == "110000"
    assert page.selected["in-county"] == "110108"  # 海淀区, directly under 北京市
    assert page.selected["in_scheme"] == page.selected["out-0-scheme"] == "enterprise"
    assert page.checked["applicant_kind"] == ["self"]
    assert 'name="material_identity" type="file" accept=".pdf,.jpg,.jpeg,.png"' in html(response)
    assert '<script src="/static/js/application-form.js"' in html(response)


def test_form_is_for_clerks_only(client, jilin_reviewer):
    client.force_login(jilin_reviewer)
    response = client.get("/transfers/new/")
    assert response.status_code == 403
    assert "只有窗口经办人员可以受理转移申请" in html(response)


def test_submission_creates_the_application_and_shows_the_receipt(
    client, clerk, accounts, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/transfers/new/", form_data())
    application = Application.objects.get()
    leg = application.legs.get()
    assert response.status_code == 302
    assert response.url == f"/transfers/applications/{application.application_no}/receipt/"
    assert (application.channel, application.submitted_by) == ("window", clerk)
    assert (leg.out_region_id, application.in_region_id) == ("220102", "110108")
    assert leg.status == Status.ELIGIBLE  # the check ran when the submission committed
    assert list(application.materials.values_list("kind", "size")) == [("identity", len(PNG))]

    receipt = client.get(response.url)
    page = html(receipt)
    assert "受理回执" in page
    for text in [
        application.application_no,
        leg.transfer_no,
        "严某荣",
        ID_NUMBER,
        "海淀区社会保险事业管理中心",
        "吉林省长春市南关区",
        "北京市海淀区",
        "校验通过",
        "打印回执",
    ]:
        assert text in page, text
    assert f"已受理，申请编号 {application.application_no}。" in page


def test_agent_submission_stores_the_agent_and_three_materials(
    client, clerk, accounts, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    agent_id = make_id_number("110105", date(1970, 3, 3), 21)
    data = form_data(
        applicant_kind="agent",
        agent_name="严某某",
        agent_id_number=agent_id,
        power_of_attorney="1",
        material_agent_identity=SimpleUploadedFile("代办人.jpg", b"\xff\xd8\xff\xe0jpeg"),
        material_power_of_attorney=SimpleUploadedFile("委托书.pdf", b"%PDF-1.4 power"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/transfers/new/", data)
    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.applicant_kind, application.agent_name) == ("agent", "严某某")
    assert (application.agent_id_number, application.power_of_attorney) == (agent_id, True)
    assert sorted(application.materials.values_list("kind", "content_type")) == [
        ("agent_identity", "image/jpeg"),
        ("identity", "image/png"),
        ("power_of_attorney", "application/pdf"),
    ]


def assert_nothing_written(media_root):
    assert not Application.objects.exists()
    assert not TransferLeg.objects.exists()
    assert not Material.objects.exists()
    assert not NumberCounter.objects.exists()
    assert not AuditRecord.objects.filter(action="transfer.apply").exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id_number": "110101198808080002"}, "id_number", "社会保障号码校验位错误，请核对号码。"),
        ({"material_identity": None}, "material_identity", "请上传本人身份证件（PDF、JPG或PNG）。"),
        (
            {"material_identity": SimpleUploadedFile("身份证.pdf", b"just some text\n")},
            "material_identity",
            "“身份证.pdf”不是PDF、JPEG或PNG文件（按文件内容识别）。",
        ),
        ({"name": "严某"}, "name", "姓名与社会保障号码登记的姓名不一致，请核对。"),
        ({"phone": "138-call-me"}, "phone", "联系电话格式不正确（7至20位数字）。"),
        ({"in-county": ""}, "in_region", "转入地请选择到区县一级。"),
        (
            {"out-1-scheme": "enterprise", "out-1-province": "220000", "out-1-county": "220102",
             "out-1-city": "220100"},
            "outs",
            "同一省份同一险种的转出地只能添加一次。",
        ),
    ],
    ids=["id-check-digit", "no-identity-file", "txt-renamed-pdf", "name-mismatch", "phone",
         "in-region-incomplete", "same-province-twice"],
)  # fmt: skip
def test_invalid_submission_shows_the_error_beside_the_field_and_keeps_values(
    client, clerk, accounts, settings, changes, field, message
):
    client.force_login(clerk)
    response = client.post("/transfers/new/", form_data(**changes))
    assert response.status_code == 200
    page = Page(html(response))
    assert message in page.text(f"field-{field}")  # beside the field …
    assert message in page.text("error-summary")  # … and in the summary at the top
    assert "已选择的文件需要重新选择" in page.text("error-summary")
    expected = form_data(**changes)
    for name in ["id_number", "name", "phone", "hukou_address"]:
        assert page.values[name] == expected[name]
    assert page.selected["in-province"] == "110000"
    assert page.selected["out-0-province"] == "220000"
    assert page.selected["out-0-city"] == "220100"
    assert page.selected["out-0-county"] == "220102"
    assert page.checked["applicant_kind"] == ["self"]
    assert_nothing_written(settings.MEDIA_ROOT)


def test_oversized_file_is_refused_beside_its_input(client, clerk, accounts, settings):
    client.force_login(clerk)
    big = SimpleUploadedFile("身份证.pdf", b"%PDF-" + b"0" * MAX_BYTES)
    response = client.post("/transfers/new/", form_data(material_identity=big))
    page = Page(html(response))
    assert "“身份证.pdf”超过10MB，请压缩后再上传。" in page.text("field-material_identity")
    assert_nothing_written(settings.MEDIA_ROOT)


def test_invalid_agent_submission_marks_each_missing_piece(client, clerk, accounts, settings):
    client.force_login(clerk)
    response = client.post(
        "/transfers/new/",
        form_data(applicant_kind="agent", agent_name="严某某", agent_id_number="123"),
    )
    page = Page(html(response))
    assert "代办人证件号码：社会保障号码应为18位，当前为3位。" in page.text("field-agent_id_number")
    assert "代办须提供授权委托书" in page.text("field-power_of_attorney")
    assert "请上传代办人身份证件" in page.text("field-material_agent_identity")
    assert "请上传授权委托书" in page.text("field-material_power_of_attorney")
    assert page.checked["applicant_kind"] == ["agent"]
    assert (page.values["agent_name"], page.values["agent_id_number"]) == ("严某某", "123")
    assert_nothing_written(settings.MEDIA_ROOT)


def test_suspended_module_keeps_the_form_and_says_why(client, clerk, accounts, settings):
    ModuleSwitch.objects.create(name="transfer", suspended=True, notice="系统升级，暂停受理。")
    client.force_login(clerk)
    response = client.post("/transfers/new/", form_data(phone="13911112222"))
    page = Page(html(response))
    assert page.text("error-summary").startswith("申请未提交，请修改以下内容 系统升级，暂停受理。")
    assert page.values["phone"] == "13911112222"
    assert_nothing_written(settings.MEDIA_ROOT)


# --- worklists -----------------------------------------------------------------------------------


def test_worklists_show_own_province_masked_with_counts_overdue_and_search(
    client, jilin_reviewer, accounts, submit_case
):
    first = submit_case()
    guangdong = submit_case(migrant(2, "440106", "张小明"), "张小明", out="440106")
    services.legs_mark_overdue(today=date(2100, 1, 1))  # the two so far are overdue
    later = submit_case(migrant(3, "220104", "李四"), "李四", out="220104")
    assert {first.status, guangdong.status, later.status} == {Status.ELIGIBLE}

    client.force_login(jilin_reviewer)
    text = html(client.get("/transfers/work/outgoing/"))
    page = Page(text)
    assert f"row-{first.transfer_no}" in page.texts and f"row-{later.transfer_no}" in page.texts
    assert guangdong.transfer_no not in text  # 广东's case is not 吉林's work
    row = page.text(f"row-{first.transfer_no}")
    assert "严*荣 110101********0001 吉林省长春市南关区 北京市海淀区" in row
    assert row.endswith("超期")
    assert not page.text(f"row-{later.transfer_no}").endswith("超期")
    assert ID_NUMBER not in text and "严某荣" not in text  # full values only on the case page
    assert page.text("tabs") == (
        "待开具联系函（作为转入地） 0 待上传信息表（作为转出地） 2 超期 1 待确认（作为转入地） 0"
    )
    assert "待开具联系函 0 待上传信息表 2 待确认 0" in page.text("mainnav")
    assert "定期清算模式" in row and "企业职工 → 企业职工" in row

    overdue = html(client.get("/transfers/work/outgoing/", {"overdue": "1"}))
    assert first.transfer_no in overdue and later.transfer_no not in overdue

    by_number = html(client.get("/transfers/work/outgoing/", {"q": later.transfer_no}))
    assert later.transfer_no in by_number and first.transfer_no not in by_number
    by_id = html(client.get("/transfers/work/outgoing/", {"q": ID_NUMBER}))
    assert first.transfer_no in by_id and later.transfer_no not in by_id
    nothing = html(client.get("/transfers/work/outgoing/", {"q": "999999"}))
    assert "没有符合条件的业务" in nothing


def test_incoming_worklist_and_dashboard_counts(
    client, beijing_reviewer, jilin_reviewer, accounts, submit_case
):
    leg = submit_case()
    client.force_login(beijing_reviewer)
    assert "暂无待办业务" in html(client.get("/transfers/work/incoming/"))
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    incoming = html(client.get("/transfers/work/incoming/"))
    assert f"row-{leg.transfer_no}" in Page(incoming).texts
    assert '<a href="/transfers/work/incoming/" aria-current="page">待确认' in incoming

    dashboard = Page(html(client.get("/")))
    assert dashboard.text("work-incoming") == "待确认 1 无超期"
    assert dashboard.text("work-outgoing") == "待上传信息表 0 无超期"
    services.legs_mark_overdue(today=date(2100, 1, 1))
    text = html(client.get("/"))
    assert Page(text).text("work-incoming") == "待确认 1 其中超期 1 件"
    assert '<span class="count overdue" title="共1件，其中超期1件">1</span>' in text


def test_worklist_and_case_pages_take_a_fixed_number_of_queries(
    client, jilin_reviewer, accounts, submit_case
):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = submit_case()
    client.force_login(jilin_reviewer)
    one = queries("/transfers/work/outgoing/")
    more = [submit_case(migrant(n, "220104", f"李{n}"), f"李{n}", out="220104") for n in (4, 5, 6)]
    assert queries("/transfers/work/outgoing/") == one
    for leg in (first, more[0]):
        services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    # 严某荣's sheet has 4 months over 3 years, 李4's one month: the same queries.
    assert queries(f"/transfers/{first.transfer_no}/") == queries(
        f"/transfers/{more[0].transfer_no}/"
    )


def test_worklists_refuse_clerks(client, clerk):
    client.force_login(clerk)
    assert client.get("/transfers/work/outgoing/").status_code == 403


# --- the case page -------------------------------------------------------------------------------


def test_case_page_shows_the_sheet_by_year_in_yuan(
    client, jilin_reviewer, beijing_reviewer, accounts, submit_case
):
    leg = submit_case()
    client.force_login(jilin_reviewer)
    response = client.post(f"/transfers/{leg.transfer_no}/info-sheet/", {"note": "已核对"})
    assert response.status_code == 302 and response.url == f"/transfers/{leg.transfer_no}/"
    done = html(client.get(response.url))
    assert "信息表（第1版）已生成并上传，转移金额合计 32,160.00 元。" in done
    leg.refresh_from_db()
    assert leg.status == Status.INFO_UPLOADED

    client.force_login(beijing_reviewer)
    page = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    # 600000 fen a month; 12% from 1998 on; 1997-12 carries no pooled part.
    assert page.text("year-1997") == "1997 1 职工 6,000.00 — 不计统筹"
    assert page.text("year-1998") == "1998 1 职工 6,000.00 12% 720.00"
    assert page.text("year-2019") == "2019 2 职工 12,000.00 12% 1,440.00"
    assert page.text("sheet-total") == "合计 4 2,160.00"
    assert page.text("sheet-totals") == (
        "个人账户 30,000.00 元 统筹基金 2,160.00 元 转移合计 32,160.00 元 "
        "缴费月数 4 个月（计算统筹基金 3 个月）"
    )
    assert "第1版" in page.text("sheet") and "说明：已核对" in page.text("sheet")
    assert "duplicates" not in page.texts
    summary = page.text("summary")  # full name and number on the case page
    assert "严某荣" in summary and ID_NUMBER in summary


def test_case_page_lists_duplicate_months(
    client, jilin_reviewer, out_account, in_account, submit_case
):
    MonthFactory(account=out_account, month=date(2024, 1, 1), base_fen=700_000)
    leg = submit_case()
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    client.force_login(jilin_reviewer)
    text = html(client.get(f"/transfers/{leg.transfer_no}/"))
    page = Page(text)
    assert page.text("duplicates") == (
        "重复缴费月份（转入地已有缴费，办结后留待退费处理）：2024-01"
    )
    assert page.text("year-2024") == "2024 1 职工 7,000.00 12% 840.00"
    assert '<td>2024-01</td><td>职工</td><td class="num">7,000.00</td>' in text
    assert '<span class="status status-warn">重复缴费</span>' in text


def test_buttons_follow_role_province_and_status(
    client, clerk, jilin_reviewer, beijing_reviewer, make_staff, accounts, submit_case
):
    leg = submit_case()
    url = f"/transfers/{leg.transfer_no}/"

    def buttons(user) -> str:
        client.force_login(user)
        page = Page(html(client.get(url)))
        return page.text("actions") if "actions" in page.texts else ""

    assert buttons(jilin_reviewer) == "上传信息表 不予受理"
    assert buttons(beijing_reviewer) == ""
    assert buttons(clerk) == "撤回"
    other_office = OfficeFactory(code="110105", region=region("110105"))
    assert buttons(make_staff("clerk", office=other_office)) == ""
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    assert buttons(jilin_reviewer) == ""
    assert buttons(beijing_reviewer) == "确认办结 退回"
    assert buttons(clerk) == ""


def test_confirm_completes_and_a_second_confirm_shows_the_conflict(
    client, jilin_reviewer, beijing_reviewer, accounts, submit_case
):
    leg = submit_case()
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    client.force_login(beijing_reviewer)
    first = client.post(f"/transfers/{leg.transfer_no}/confirm/", follow=True)
    leg.refresh_from_db()
    assert leg.status == Status.COMPLETED
    assert "已确认办结，参保关系已转入本地。" in html(first)
    again = client.post(f"/transfers/{leg.transfer_no}/confirm/", follow=True)
    assert again.redirect_chain == [(f"/transfers/{leg.transfer_no}/", 302)]
    flash = '<div class="flash flash-error" role="alert">该业务当前状态为“办结”，不能办理此操作。'
    assert flash in html(again)


def test_return_needs_a_note_and_sends_the_case_back(
    client, jilin_reviewer, beijing_reviewer, accounts, submit_case
):
    leg = submit_case()
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    client.force_login(beijing_reviewer)
    refused = client.post(f"/transfers/{leg.transfer_no}/return/", {"note": " "}, follow=True)
    assert "退回须填写原因。" in html(refused)
    leg.refresh_from_db()
    assert leg.status == Status.INFO_UPLOADED
    back = client.post(
        f"/transfers/{leg.transfer_no}/return/", {"note": "缴费基数与档案不符"}, follow=True
    )
    leg.refresh_from_db()
    assert leg.status == Status.ELIGIBLE
    text = html(back)
    assert "已退回转出地重新上传信息表。" in text and "缴费基数与档案不符" in text


def test_refuse_shows_the_reason_in_words(client, clerk, jilin_reviewer, accounts, submit_case):
    leg = submit_case()
    client.force_login(jilin_reviewer)
    client.post(
        f"/transfers/{leg.transfer_no}/refuse/",
        {"code": "NO_TRANSFERABLE_RECORDS", "note": "缴费记录已清退"},
    )
    leg.refresh_from_db()
    assert (leg.status, leg.refuse_code) == (Status.REFUSED, "NO_TRANSFERABLE_RECORDS")
    page = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert page.text("refusal") == "不予受理原因 无可转移的缴费记录：缴费记录已清退"
    client.force_login(clerk)
    progress = Page(html(client.get("/transfers/progress/", {"id_number": ID_NUMBER})))
    card = progress.text(f"leg-{leg.transfer_no}")
    assert "审核状态： 不予受理" in card
    assert "不予受理原因 无可转移的缴费记录：缴费记录已清退" in card


def test_withdraw_by_the_accepting_clerk_only(client, clerk, make_staff, accounts, submit_case):
    leg = submit_case()
    other = make_staff("clerk", office=OfficeFactory(code="110105", region=region("110105")))
    client.force_login(other)
    refused = client.post(f"/transfers/{leg.transfer_no}/withdraw/", {"note": "x"}, follow=True)
    assert "只有受理该申请的经办机构或渠道可以撤回。" in html(refused)
    client.force_login(clerk)
    done = client.post(f"/transfers/{leg.transfer_no}/withdraw/", {"note": "本人申请撤回"})
    leg.refresh_from_db()
    assert done.status_code == 302 and leg.status == Status.WITHDRAWN


def test_ministry_rechecks_a_rejected_case(
    client, make_staff, national_office, person, out_account, submit_case
):
    leg = submit_case()  # no account in 北京 yet
    assert leg.status == Status.REJECTED
    ministry = make_staff("ministry", office=national_office)
    client.force_login(ministry)
    page = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert page.text("reasons").startswith("审核不通过原因 转入地未正常参保缴费")
    assert page.text("actions") == "重新校验"
    account = AccountFactory(person=person, region=region("110108"))
    MonthFactory(account=account, month=date(2024, 1, 1))
    done = client.post(f"/transfers/{leg.transfer_no}/recheck/", follow=True)
    leg.refresh_from_db()
    assert leg.status == Status.ELIGIBLE
    assert "已重新校验，结果：校验通过。" in html(done)


def test_actions_need_post(client, jilin_reviewer, accounts, submit_case):
    leg = submit_case()
    client.force_login(jilin_reviewer)
    assert client.get(f"/transfers/{leg.transfer_no}/info-sheet/").status_code == 405
    leg.refresh_from_db()
    assert leg.status == Status.ELIGIBLE


def test_other_province_gets_403_on_case_and_material(
    client, guangdong_reviewer, accounts, submit_case
):
    leg = submit_case()
    material = leg.application.materials.get()
    client.force_login(guangdong_reviewer)
    case = client.get(f"/transfers/{leg.transfer_no}/")
    assert case.status_code == 403 and "无法办理" in html(case)
    assert ID_NUMBER not in html(case)
    download = client.get(f"/transfers/materials/{material.pk}/")
    assert download.status_code == 403
    assert PNG not in download.content


def test_unknown_case_is_a_404_page(client, clerk):
    client.force_login(clerk)
    response = client.get("/transfers/110108-20990101-00001-1/")
    assert response.status_code == 404
    assert "未找到转移编号为“110108-20990101-00001-1”的业务。" in html(response)
    assert client.post("/transfers/110108-20990101-00001-1/withdraw/").status_code == 404


def test_material_download_streams_the_file_inline(
    client, clerk, jilin_reviewer, accounts, submit_case
):
    leg = submit_case()
    material = leg.application.materials.get()
    for user in (clerk, jilin_reviewer):
        client.force_login(user)
        case = html(client.get(f"/transfers/{leg.transfer_no}/"))
        assert f'href="/transfers/materials/{material.pk}/"' in case
        response = client.get(f"/transfers/materials/{material.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"


# --- progress and navigation ---------------------------------------------------------------------


def test_progress_shows_status_and_timeline(
    client, clerk, jilin_reviewer, beijing_reviewer, accounts, submit_case
):
    leg = submit_case()
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
    services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)
    client.force_login(clerk)
    text = html(client.get("/transfers/progress/", {"id_number": ID_NUMBER}))
    card = Page(text).text(f"leg-{leg.transfer_no}")
    assert card.startswith(f"转移编号 {leg.transfer_no} 审核状态： 办结")
    assert "转出地 吉林省长春市南关区 企业职工基本养老保险 转入地 北京市海淀区" in card
    steps = re.findall(r"<tr><td>[0-9-]+ [0-9:]+</td><td>([^<]+)</td><td>([^<]+)</td>", text)
    assert steps == [
        ("受理", "已受理"),
        ("部级平台校验通过", "校验通过"),
        ("上传信息表", "信息表已上传"),
        ("确认办结", "办结"),
    ]
    bad = html(client.get("/transfers/progress/", {"id_number": "110101198808080002"}))
    assert "社会保障号码校验位错误，请核对号码。" in bad


def test_progress_of_a_person_without_cases(client, clerk, person):
    client.force_login(clerk)
    text = html(client.get("/transfers/progress/", {"id_number": ID_NUMBER}))
    assert "未查询到该社会保障号码的转移业务" in text


def test_navigation_by_role(client, clerk, jilin_reviewer, make_staff):
    def nav(user) -> str:
        client.force_login(user)
        return Page(html(client.get("/"))).text("mainnav")

    assert nav(clerk) == (
        "工作台 新建申请 重复缴费退费 退休预校验 进度查询 参保人员查询 经办机构查询"
    )
    assert nav(jilin_reviewer) == (
        "工作台 待开具联系函 0 待上传信息表 0 待确认 0 退休预校验 "
        "进度查询 参保人员查询 经办机构查询"
    )
    assert nav(make_staff("finance")) == (
        "工作台 待划转基金 0 待确认到账 0 待支付退费 0 进度查询 清算 经办机构查询"
    )


def test_nul_characters_are_not_found_rather_than_a_server_error(client, clerk, jilin_reviewer):
    client.force_login(clerk)
    assert client.get("/transfers/110108%00/").status_code == 404
    assert client.post("/transfers/110108%00/withdraw/").status_code == 404
    assert client.get("/transfers/applications/110108%00/receipt/").status_code == 404
    # In a query string it is refused before any view (common.middleware.RejectNulMiddleware).
    assert client.get("/transfers/progress/", {"id_number": "\x00"}).status_code == 400
    client.force_login(jilin_reviewer)
    assert client.get("/transfers/work/outgoing/", {"q": "1\x00"}).status_code == 400


# --- the traditional model (传统模式) ------------------------------------------------------------

# 严某荣, 企业 (长春) → 机关事业单位 (海淀): the balance 3,000,000 fen and 12% of the 600,000
# base of 1998-01, 2019-01 and 2019-02 (1997-12 carries no pooled part).
SHEET_TOTAL = 3_216_000


def institution_account(person):
    """`person` contributes to the 机关事业单位 scheme in 海淀: the incoming account of a
    企业 → 机关 case."""
    account = AccountFactory(person=person, region=region("110108"), scheme=Scheme.INSTITUTION)
    MonthFactory(account=account, month=date(2025, 1, 1), base_fen=900_000)
    return account


@pytest.fixture
def traditional(clerk, beijing_reviewer, jilin_reviewer, jilin_finance, person, out_account):
    """traditional(until="submitted", who=None) → a 企业 (长春) → 机关事业单位 (海淀) leg
    accepted at the 海淀 window, taken through the services to `until` (remitted with voucher
    JL-0001); by default 严某荣's (out_account, and an institution account made here), else a new
    person named `who` with both accounts."""
    steps = {
        Status.SUBMITTED: lambda no: services.leg_issue_letter(
            actor=beijing_reviewer, transfer_no=no
        ),
        Status.LETTER_ISSUED: lambda no: services.leg_upload_info_sheet(
            actor=jilin_reviewer, transfer_no=no
        ),
        Status.INFO_UPLOADED: lambda no: services.leg_confirm(
            actor=beijing_reviewer, transfer_no=no
        ),
        Status.INFO_ACCEPTED: lambda no: services.leg_remit(
            actor=jilin_finance,
            transfer_no=no,
            amount_fen=InfoSheet.objects.filter(leg__transfer_no=no).latest("version").total_fen,
            voucher_no="JL-0001",
        ),
    }

    def make(until=Status.SUBMITTED, who: str | None = None) -> TransferLeg:
        someone = person
        if who is not None:
            someone = PersonFactory(name=who)
            out = AccountFactory(
                person=someone,
                region=region("220104"),
                status=AccountStatus.SUSPENDED,
                individual_balance_fen=100_000,
            )
            MonthFactory(account=out, month=date(2020, 1, 1))
        institution_account(someone)
        application = services.application_submit(
            actor=clerk,
            id_number=someone.id_number,
            name=someone.name,
            phone="13800000000",
            hukou_address="北京市东城区某街道1号",
            in_scheme=Scheme.INSTITUTION,
            in_region="110108",
            outs=[services.Out(scheme=Scheme.ENTERPRISE, region="220102")],
            channel="window",
            uploads=[Upload(kind="identity", name="身份证.png", content=PNG)],
        )
        leg = application.legs.get()
        while leg.status != until:
            steps[leg.status](leg.transfer_no)
            leg.refresh_from_db()
        return leg

    return make


@pytest.fixture
def snapshot(world):
    """world() and the traditional model's own rows: the letters and the remittances."""

    def take() -> dict:
        return world() | {
            "letters": list(ContactLetter.objects.order_by("pk").values_list("pk", "letter_no")),
            "remittances": list(
                Remittance.objects.order_by("pk").values_list(
                    "pk", "amount_fen", "voucher_no", "received_fen", "received_at"
                )
            ),
        }

    return take


def buttons(client, user, leg) -> str:
    client.force_login(user)
    page = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    return page.text("actions") if "actions" in page.texts else ""


def flash_error(response) -> str:
    found = re.findall(r'<div class="flash flash-error" role="alert">([^<]*)</div>', html(response))
    assert len(found) == 1, found
    return found[0]


def local_day() -> str:
    today = date.today()
    return f"{today.year}年{today.month}月{today.day}日"


def test_the_form_shows_which_model_each_place_follows(client, clerk, accounts):
    client.force_login(clerk)
    text = html(client.get("/transfers/new/"))
    page = Page(text)
    assert page.text("field-out-0").endswith("定期清算模式 删除")
    assert '<span class="mode mode-periodic" data-route' in text
    assert 'id="routing-traditional" role="status" hidden>' in text
    assert 'id="routing-elsewhere" role="alert" hidden>' in text
    assert "手工转移" in page.text("field-manual") and "manual" not in page.checked
    assert '<script src="/static/transfer/routing.js"' in text

    # Re-shown after an error, the form keeps 手工转移 and routes the place by it.
    again = client.post("/transfers/new/", form_data(manual="1", phone="x"))
    text = html(again)
    page = Page(text)
    assert page.checked["manual"] == ["1"]
    assert page.text("field-out-0").endswith("传统模式 删除")
    assert 'id="routing-traditional" role="status">' in text
    assert 'id="routing-elsewhere" role="alert" hidden>' in text  # 海淀 is the incoming side


def test_a_cross_scheme_case_is_accepted_at_the_incoming_office_and_waits_for_review(
    client, clerk, person, out_account
):
    institution_account(person)
    client.force_login(clerk)
    response = client.post("/transfers/new/", form_data(in_scheme="institution"))
    assert response.status_code == 302
    application = Application.objects.get()
    leg = application.legs.get()
    assert (leg.mode, leg.status, application.manual) == (Mode.TRADITIONAL, Status.SUBMITTED, False)
    receipt = Page(html(client.get(response.url)))
    row = receipt.text(f"receipt-{leg.transfer_no}")
    assert row == (
        f"{leg.transfer_no} 吉林省长春市南关区 企业职工基本养老保险 北京市海淀区 "
        "机关事业单位养老保险 传统模式 已受理"
    )
    assert receipt.text("receipt-traditional").startswith(
        "传统模式：由转入地社保经办机构审核并开具联系函"
    )
    assert "每个环节的办理时限为15个工作日" in receipt.text("receipt-traditional")


def test_the_manual_checkbox_sends_an_enterprise_case_to_the_traditional_model(
    client, clerk, accounts
):
    client.force_login(clerk)
    response = client.post("/transfers/new/", form_data(manual="1"))
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.manual and application.legs.get().mode == Mode.TRADITIONAL
    assert "receipt-traditional" in Page(html(client.get(response.url))).texts


def test_a_traditional_case_at_another_province_office_is_refused_with_everything_kept(
    client, make_staff, jilin_office, person, out_account, settings
):
    institution_account(person)
    client.force_login(make_staff("clerk", office=jilin_office))
    response = client.post(
        "/transfers/new/", form_data(in_scheme="institution", phone="13911112222")
    )
    assert response.status_code == 200
    text = html(response)
    page = Page(text)
    refusal = "须到转入地社保经办机构办理"
    assert refusal in page.text("field-outs") and refusal in page.text("error-summary")
    assert 'id="routing-elsewhere" role="alert">' in text  # the form says so before submitting
    assert page.text("field-out-0").endswith("传统模式 删除")
    assert page.values["phone"] == "13911112222"
    assert page.selected["in_scheme"] == "institution"
    assert page.selected["in-county"] == "110108"
    assert page.selected["out-0-county"] == "220102"
    assert_nothing_written(settings.MEDIA_ROOT)


def test_the_incoming_reviewer_issues_the_letter_from_the_review_worklist(
    client, clerk, beijing_reviewer, jilin_reviewer, out_account, traditional, snapshot
):
    leg = traditional()
    client.force_login(beijing_reviewer)
    worklist = Page(html(client.get("/transfers/work/review/")))
    assert worklist.text(f"row-{leg.transfer_no}").startswith(
        f"{leg.transfer_no} 严*荣 110101********0001 吉林省长春市南关区 北京市海淀区 "
        "企业职工 → 机关事业单位 海淀区社会保险事业管理中心"
    )
    assert worklist.text("tabs").startswith("待开具联系函（作为转入地） 1 ")

    assert buttons(client, beijing_reviewer, leg) == "开具联系函 审核不通过"
    assert buttons(client, jilin_reviewer, leg) == ""
    assert buttons(client, clerk, leg) == "撤回"

    client.force_login(beijing_reviewer)
    case = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert case.text("mode") == "传统模式"
    assert case.text("letter") == "联系函 转入地尚未开具联系函（待转入地审核）。"
    assert "在15个工作日内上传参保缴费信息表" in case.text("dialog-issue-letter")
    done = client.post(f"/transfers/{leg.transfer_no}/issue-letter/", follow=True)
    letter = ContactLetter.objects.get(leg=leg)
    assert letter.letter_no == f"LX110000-{date.today().year}-00001"
    text = html(done)
    assert f"已开具联系函 {letter.letter_no}，请转出地上传信息表。" in text
    assert Page(text).text("letter") == (
        f"联系函 联系函编号 {letter.letter_no} 开具日期 {local_day()} "
        "开具机构 海淀区社会保险事业管理中心 经办人 bj_reviewer 查看并打印联系函"
    )
    assert f'href="/transfers/{leg.transfer_no}/letter/"' in text
    leg.refresh_from_db()
    assert (leg.status, leg.out_account) == (Status.LETTER_ISSUED, out_account)

    before = snapshot()
    again = client.post(f"/transfers/{leg.transfer_no}/issue-letter/", follow=True)
    assert flash_error(again) == "该业务当前状态为“已开具联系函”，不能办理此操作。"
    assert snapshot() == before

    assert buttons(client, beijing_reviewer, leg) == ""
    assert buttons(client, jilin_reviewer, leg) == "上传信息表 不予受理"
    assert buttons(client, clerk, leg) == "撤回"  # the accepting office may still withdraw
    withdrawn = client.post(f"/transfers/{leg.transfer_no}/withdraw/", {"note": "本人撤回"})
    leg.refresh_from_db()
    assert withdrawn.status_code == 302 and leg.status == Status.WITHDRAWN


def test_reject_needs_a_note_and_shows_the_reason(
    client, beijing_reviewer, jilin_reviewer, ministry, traditional, snapshot
):
    leg = traditional()
    before = snapshot()
    client.force_login(jilin_reviewer)  # the outgoing side may not review
    refused = client.post(f"/transfers/{leg.transfer_no}/reject/", {"note": "x"}, follow=True)
    assert flash_error(refused) == "您的角色或所属省份无权办理此业务。"
    client.force_login(beijing_reviewer)
    blank = client.post(f"/transfers/{leg.transfer_no}/reject/", {"note": "  "}, follow=True)
    assert flash_error(blank) == "审核不通过须填写原因。"
    assert snapshot() == before

    done = client.post(
        f"/transfers/{leg.transfer_no}/reject/", {"note": "转入地参保信息与档案不符"}, follow=True
    )
    assert "已审核不通过。" in html(done)
    page = Page(html(done))
    assert page.text("reasons") == "审核不通过原因 （转入地审核） 转入地参保信息与档案不符"
    leg.refresh_from_db()
    assert leg.status == Status.REJECTED
    assert buttons(client, ministry, leg) == ""  # the ministry's recheck is for periodic legs


def test_the_printable_letter(
    client, beijing_reviewer, jilin_finance, guangdong_reviewer, traditional
):
    leg = traditional()
    url = f"/transfers/{leg.transfer_no}/letter/"
    client.force_login(beijing_reviewer)
    missing = client.get(url)
    assert missing.status_code == 409
    assert f"转移业务 {leg.transfer_no} 尚未开具联系函，没有可打印的联系函。" in html(missing)

    letter = services.leg_issue_letter(actor=beijing_reviewer, transfer_no=leg.transfer_no)
    for user in (beijing_reviewer, jilin_finance):  # whoever may see the case
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        text = html(response)
        page = Page(text)
        assert page.text("letter-title") == "基本养老保险关系转移接续联系函"
        assert page.text("letter-no") == letter.letter_no
        assert page.text("letter-to") == "吉林省长春市南关区社会保险经办机构："
        body = page.text("letter")
        assert (
            f"参保人员严某荣（社会保障号码： {ID_NUMBER} ），原在你处参加企业职工基本养老保险"
            in body
        )
        assert "现在我处参加机关事业单位养老保险（参保地：北京市海淀区）" in body
        assert "自收到本函之日起15个工作日内" in page.text("letter-request")
        assert page.text("letter-rule").startswith(
            "转移资金：转移个人账户储存额，及1998年1月起各月缴费基数12%的统筹基金"
        )
        assert f"依据：{DOC_2017}；" in page.text("letter-rule")
        assert page.text("letter-facts").startswith(f"姓名 严某荣 社会保障号码 {ID_NUMBER}")
        assert page.text("letter-sign") == f"（盖章） 海淀区社会保险事业管理中心 {local_day()}"
        assert "data-print>打印联系函</button>" in text
        assert 'href="/static/transfer/transfer.css"' in text
    client.force_login(guangdong_reviewer)
    other = client.get(url)
    assert other.status_code == 403 and ID_NUMBER not in html(other)


def test_the_outgoing_reviewer_uploads_the_sheet_after_the_letter(
    client, jilin_reviewer, beijing_reviewer, traditional
):
    leg = traditional(Status.LETTER_ISSUED)
    client.force_login(jilin_reviewer)
    row = Page(html(client.get("/transfers/work/outgoing/"))).text(f"row-{leg.transfer_no}")
    assert "北京市海淀区 企业职工 → 机关事业单位 传统模式 " in row
    done = client.post(f"/transfers/{leg.transfer_no}/info-sheet/", follow=True)
    assert "信息表（第1版）已生成并上传，转移金额合计 32,160.00 元。" in html(done)
    page = Page(html(done))
    assert page.text("fund-rule") == (
        "转移资金规则 企业职工基本养老保险 → 机关事业单位养老保险 "
        "转移个人账户储存额，及1998年1月起各月缴费基数12%的统筹基金"
        "（临时账户按高于12%的单位缴费比例）； 缴费年限合并计算（缴费记录随同转入）。 "
        f"依据：{DOC_2017}；统筹基金按国办发〔2009〕66号《城镇企业职工基本养老保险关系转移接续暂行办法》计算"
    )
    assert page.text("remittance").startswith("基金划转 尚未划转基金。")
    leg.refresh_from_db()
    assert leg.status == Status.INFO_UPLOADED


def test_the_incoming_reviewer_accepts_or_returns_the_sheet(
    client, beijing_reviewer, jilin_reviewer, traditional
):
    leg = traditional(Status.INFO_UPLOADED)
    client.force_login(beijing_reviewer)
    row = Page(html(client.get("/transfers/work/incoming/"))).text(f"row-{leg.transfer_no}")
    assert "企业职工 → 机关事业单位 传统模式 " in row
    assert buttons(client, beijing_reviewer, leg) == "接收信息表 退回"
    case = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert "合计 32,160.00 元" in case.text("dialog-confirm")
    assert "由转出地财务按信息表合计划转基金" in case.text("dialog-confirm")

    back = client.post(f"/transfers/{leg.transfer_no}/return/", {"note": "缺少1997年档案"})
    leg.refresh_from_db()
    assert back.status_code == 302 and leg.status == Status.LETTER_ISSUED
    services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)

    done = client.post(f"/transfers/{leg.transfer_no}/confirm/", follow=True)
    assert "已接收信息表，待转出地按信息表合计划转基金。" in html(done)
    assert "待转出地财务按信息表合计 32,160.00 元划转基金" in Page(html(done)).text("remittance")
    leg.refresh_from_db()
    assert leg.status == Status.INFO_ACCEPTED
    assert leg.info_sheets.count() == 2


def test_outgoing_finance_registers_the_remittance_in_yuan(
    client, jilin_finance, beijing_finance, beijing_reviewer, traditional, snapshot
):
    leg = traditional(Status.INFO_ACCEPTED)
    url = f"/transfers/{leg.transfer_no}/remit/"
    client.force_login(jilin_finance)
    worklist = Page(html(client.get("/transfers/work/remit/")))
    assert "企业职工 → 机关事业单位 32,160.00 " in worklist.text(f"row-{leg.transfer_no}")
    assert buttons(client, jilin_finance, leg) == "登记基金划转"
    case = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert case.values["amount_yuan"] == "32160.00"  # the sheet's total, in 元
    assert "信息表第1版合计 32,160.00 元" in case.text("dialog-remit")

    before = snapshot()
    for amount, voucher, message in [
        (
            "32,000.00",
            "JL-0001",
            "划转金额与信息表合计不一致：信息表合计 32,160.00 元，划转金额 32,000.00 元。",
        ),
        (
            "32160.001",
            "JL-0001",
            "金额格式不正确：请填写以元为单位、最多两位小数的金额，如 32160.00。",
        ),
        (
            "-32160",
            "JL-0001",
            "金额格式不正确：请填写以元为单位、最多两位小数的金额，如 32160.00。",
        ),
        ("", "JL-0001", "请填写金额（元）。"),
        ("32160.00", " ", "请填写银行凭证号。"),
    ]:
        response = client.post(url, {"amount_yuan": amount, "voucher_no": voucher}, follow=True)
        assert response.redirect_chain == [(f"/transfers/{leg.transfer_no}/", 302)]
        assert flash_error(response) == message, amount
        assert snapshot() == before

    for user in (beijing_finance, beijing_reviewer):  # not the outgoing province's finance
        assert buttons(client, user, leg) == ""
        response = client.post(url, {"amount_yuan": "32160.00", "voucher_no": "X"}, follow=True)
        assert flash_error(response) == "您的角色或所属省份无权办理此业务。"
        assert snapshot() == before

    client.force_login(jilin_finance)
    done = client.post(url, {"amount_yuan": "32,160", "voucher_no": " JL-0001 "}, follow=True)
    assert "已登记基金划转 32,160.00 元，银行凭证号 JL-0001。" in html(done)
    remittance = Remittance.objects.get()
    assert (remittance.leg, remittance.amount_fen, remittance.voucher_no) == (
        leg,
        SHEET_TOTAL,
        "JL-0001",
    )
    assert remittance.remitted_by == jilin_finance
    page = Page(html(done))
    assert page.text("remittance").startswith(
        "基金划转 划转金额 32,160.00 元 银行凭证号 JL-0001 划转登记 jl_finance · "
    )
    assert page.text("remittance").endswith("到账确认 待转入地财务确认到账")


def test_incoming_finance_confirms_receipt_and_the_case_completes(
    client, clerk, jilin_finance, beijing_finance, traditional, snapshot, out_account
):
    leg = traditional(Status.FUNDS_REMITTED)
    url = f"/transfers/{leg.transfer_no}/receive/"
    client.force_login(beijing_finance)
    worklist = Page(html(client.get("/transfers/work/receive/")))
    assert "企业职工 → 机关事业单位 32,160.00 JL-0001 " in worklist.text(f"row-{leg.transfer_no}")
    assert buttons(client, beijing_finance, leg) == "确认到账"
    case = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert "转出地已登记划转 32,160.00 元，银行凭证号 JL-0001 。" in case.text("dialog-receive")
    assert case.values["amount_yuan"] == ""  # typed from the bank statement, not prefilled

    before = snapshot()
    assert buttons(client, jilin_finance, leg) == ""  # 吉林 remitted; only 北京 confirms
    response = client.post(url, {"amount_yuan": "32160.00"}, follow=True)
    assert flash_error(response) == "您的角色或所属省份无权办理此业务。"
    client.force_login(beijing_finance)
    wrong = client.post(url, {"amount_yuan": "32,159.99"}, follow=True)
    assert flash_error(wrong) == (
        "到账金额与信息表合计不一致：信息表合计 32,160.00 元，到账金额 32,159.99 元。"
    )
    assert snapshot() == before

    done = client.post(url, {"amount_yuan": "32160.00"}, follow=True)
    assert "已确认到账，业务办结，参保关系已转入本地。" in html(done)
    leg.refresh_from_db()
    out_account.refresh_from_db()
    assert leg.status == Status.COMPLETED and leg.completed_at is not None
    assert out_account.status == AccountStatus.TRANSFERRED_OUT
    assert not Obligation.objects.exists()  # the money moved with the case: nothing to clear
    page = Page(html(done))
    assert "actions" not in page.texts
    assert "到账 32,160.00 元 · bj_finance · " in page.text("remittance")

    client.force_login(clerk)
    text = html(client.get("/transfers/progress/", {"id_number": ID_NUMBER}))
    card = Page(text).text(f"leg-{leg.transfer_no}")
    letter = ContactLetter.objects.get()
    assert card.startswith(f"转移编号 {leg.transfer_no} 审核状态： 办结")
    assert f"办理模式 传统模式 联系函编号 {letter.letter_no}" in card
    steps = re.findall(r"<tr><td>[0-9-]+ [0-9:]+</td><td>([^<]+)</td><td>([^<]+)</td>", text)
    assert steps == [
        ("受理", "已受理"),
        ("开具联系函", "已开具联系函"),
        ("上传信息表", "信息表已上传"),
        ("接收信息表", "信息表已接收"),
        ("基金划转", "基金已划转"),
        ("确认到账，办结", "办结"),
    ]


def test_finance_worklists_take_a_fixed_number_of_queries(
    client, jilin_finance, beijing_finance, traditional
):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    traditional(Status.INFO_ACCEPTED)
    client.force_login(jilin_finance)
    one = queries("/transfers/work/remit/")
    traditional(Status.INFO_ACCEPTED, who="李四")
    assert queries("/transfers/work/remit/") == one
    client.force_login(beijing_finance)
    assert queries("/transfers/work/receive/") == queries("/transfers/work/receive/")


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("32160", 3_216_000), ("32,160.5", 3_216_050), ("32160.00元", 3_216_000), (" 0.01 ", 1),
     ("0.29", 29), ("4.35", 435), ("1.15", 115), ("9999999999999.99", 999_999_999_999_999)],
)  # fmt: skip
def test_amounts_typed_in_yuan_become_exact_fen(typed, fen):
    form = ReceiveForm({"amount_yuan": typed})  # 0.29, 4.35, 1.15: where a float loses a fen
    assert form.is_valid(), form.errors
    assert form.arguments() == {"amount_fen": fen}


@pytest.mark.parametrize(
    "typed", ["1.005", "-1", "1e3", "12.", ".5", "NaN", "１２", "10000000000000"]
)
def test_amounts_in_yuan_refuse_anything_else(typed):
    form = ReceiveForm({"amount_yuan": typed})
    assert not form.is_valid()
    assert form.errors["amount_yuan"] == [
        "金额格式不正确：请填写以元为单位、最多两位小数的金额，如 32160.00。"
    ]


@pytest.mark.parametrize(
    ("out_scheme", "in_scheme", "title", "parts", "months"),
    [
        ("enterprise", "institution", "基本养老保险关系转移接续联系函",
         "转移个人账户储存额，及1998年1月起", "缴费年限合并计算（缴费记录随同转入）"),
        ("institution", "institution", "基本养老保险关系转移接续联系函",
         "转移个人账户储存额，及2014年10月起", "缴费年限合并计算（缴费记录随同转入）"),
        ("resident", "enterprise", "城乡养老保险制度衔接联系函",
         "只转移个人账户储存额，不转移统筹基金",
         "缴费年限不合并、不折算（缴费记录保留在原参保关系）"),
        ("enterprise", "resident", "城乡养老保险制度衔接联系函",
         "只转移个人账户储存额，不转移统筹基金", "缴费年限合并计算（缴费记录随同转入）"),
    ],
)  # fmt: skip
def test_the_letter_and_the_rule_follow_the_scheme_pair(
    out_scheme, in_scheme, title, parts, months
):
    assert views._letter_title(out_scheme, in_scheme) == title
    rule = views.RuleView(fund_rule(out_scheme, in_scheme))
    assert rule.parts.startswith(parts)
    assert rule.months == months
    if "resident" in (out_scheme, in_scheme):
        assert rule.source == DOC_2014 and rule.pooled_from == ""


def test_the_incoming_reviewer_sees_the_platform_rules_as_advice(
    client, clerk, beijing_reviewer, out_account, traditional
):
    leg = traditional()
    client.force_login(beijing_reviewer)
    case = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert case.text("review-hints").endswith("未发现不符合转移条件的情况。")

    InsuranceAccount.objects.filter(pk=out_account.pk).update(arrears_fen=80_000)
    case = Page(html(client.get(f"/transfers/{leg.transfer_no}/")))
    assert case.text("review-hints").endswith("转出地存在欠费：须补缴欠费后方可转出。")
    assert buttons(client, beijing_reviewer, leg) == "开具联系函 审核不通过"  # advice only

    client.force_login(clerk)  # only the reviewer who decides sees it
    assert "review-hints" not in Page(html(client.get(f"/transfers/{leg.transfer_no}/"))).texts
