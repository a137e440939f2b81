"""A traditional-model transfer (传统模式) across the three offices in a real browser: the 海淀
clerk accepts 严某荣's 企业职工 (吉林) → 机关事业单位 (北京) case; the 北京 reviewer issues the
contact letter and opens it to print; the 吉林 reviewer uploads the information sheet; the 北京
reviewer accepts it; 吉林 finance registers the remittance; 北京 finance first types a wrong amount
(both figures shown, nothing changes), then the right one; the case is 办结 and the progress query
says so. Screenshots go to test-results/, and the case and the letter also to /tmp."""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clearing.models import Obligation
from registry.models import AccountStatus, Scheme
from tests.conftest import region
from tests.e2e.helpers import SCREENSHOTS, log_in, log_out, shot
from tests.factories import (
    AccountFactory,
    MonthFactory,
    OfficeFactory,
    PersonFactory,
    StaffFactory,
    png_bytes,
)
from transfer.models import ContactLetter, Mode, Remittance, Status, TransferLeg

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

CASE_SHOT = Path("/tmp/traditional-case.png")
LETTER_SHOT = Path("/tmp/traditional-letter.png")
ID_NUMBER = "110101198808080001"


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@pytest.fixture
def case_data(settings, tmp_path):
    """Offices and staff of 北京 (海淀) and 吉林; 严某荣 suspended in the 吉林 enterprise scheme
    (长春南关区) and contributing to the 机关事业单位 scheme in 海淀."""
    settings.MEDIA_ROOT = tmp_path / "media"
    haidian = OfficeFactory(code="110108", region=region("110108"))
    jilin = OfficeFactory(code="220000", region=region("220000"))
    StaffFactory(roles=["clerk"], office=haidian, user__username="hd_clerk")
    StaffFactory(roles=["reviewer"], office=haidian, user__username="bj_reviewer")
    StaffFactory(roles=["finance"], office=haidian, user__username="bj_finance")
    StaffFactory(roles=["reviewer"], office=jilin, user__username="jl_reviewer")
    StaffFactory(roles=["finance"], office=jilin, user__username="jl_finance")
    person = PersonFactory(id_number=ID_NUMBER, name="严某荣")
    out = AccountFactory(
        person=person,
        region=region("220102"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=3_000_000,
    )
    for year, month in [(1997, 12), (1998, 1), (2019, 1), (2019, 2)]:
        MonthFactory(account=out, month=date(year, month, 1), base_fen=600_000)
    institution = AccountFactory(person=person, region=region("110108"), scheme=Scheme.INSTITUTION)
    MonthFactory(account=institution, month=date(2025, 1, 1), base_fen=900_000)


def test_traditional_transfer_across_three_offices(page, live_server, case_data):
    base = live_server.url
    nav = page.get_by_role("navigation", name="主导航")
    alert = page.locator(".flash").first

    # --- 海淀 clerk: a cross-scheme application at the incoming office --------------------------
    log_in(page, base, "hd_clerk")
    nav.get_by_role("link", name="新建申请").click()
    page.get_by_role("textbox", name="社会保障号码").fill(ID_NUMBER)
    expect(page.get_by_role("textbox", name="姓名")).to_have_value("严某荣")
    expect(page.locator("#person-accounts")).to_contain_text("机关事业单位养老保险")

    row = page.locator("#out-rows li").first
    route = row.locator("[data-route]")
    expect(route).to_have_text("定期清算模式")
    expect(page.locator("#routing-traditional")).to_be_hidden()
    page.get_by_label("转入险种").select_option(label="机关事业单位养老保险")
    expect(route).to_have_text("传统模式")  # the routing follows the schemes as they change
    expect(page.locator("#routing-traditional")).to_be_visible()
    expect(page.locator("#routing-elsewhere")).to_be_hidden()  # 海淀 is in the incoming province
    row.get_by_label("转出险种").select_option(label="企业职工基本养老保险")
    row.get_by_label("转出地（省）").select_option(label="吉林省")
    row.get_by_label("转出地（市）").select_option(label="长春市")
    row.get_by_label("转出地（区县）").select_option(label="南关区")
    page.get_by_role("textbox", name="申请人联系电话").fill("13800000000")
    page.get_by_role("textbox", name="户籍地址").fill("北京市东城区某街道1号")
    page.get_by_label("参保人身份证件").set_input_files(
        {"name": "身份证.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    shot(page, "traditional-1-form")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", name=re.compile("受理回执"))).to_be_visible()
    leg = TransferLeg.objects.select_related("application").get()
    assert (leg.mode, leg.status) == (Mode.TRADITIONAL, Status.SUBMITTED)
    receipt_row = page.locator(f"#receipt-{leg.transfer_no}")
    expect(receipt_row).to_contain_text("传统模式")
    expect(receipt_row).to_contain_text("已受理")
    expect(page.locator("#receipt-traditional")).to_contain_text(
        "转入地社保经办机构审核并开具联系函"
    )
    shot(page, "traditional-2-receipt")
    log_out(page)

    # --- 北京 reviewer: reviews and issues the contact letter, opens it to print ---------------
    log_in(page, base, "bj_reviewer")
    nav.get_by_role("link", name="待开具联系函").click()
    expect(page.locator(f"#row-{leg.transfer_no}")).to_contain_text("企业职工 → 机关事业单位")
    page.get_by_role("link", name=leg.transfer_no).click()
    expect(page.locator("#mode")).to_have_text("传统模式")
    page.locator("#actions").get_by_role("button", name="开具联系函").click()
    dialog = page.locator("#dialog-issue-letter")
    expect(dialog).to_contain_text("15个工作日内上传参保缴费信息表")
    dialog.get_by_role("button", name="开具联系函").click()
    letter_no = f"LX110000-{date.today().year}-00001"
    expect(alert).to_contain_text(f"已开具联系函 {letter_no}")
    expect(page.locator("#letter")).to_contain_text(letter_no)
    expect(page.locator("#summary")).to_contain_text("已开具联系函")

    page.get_by_role("link", name="查看并打印联系函").click()
    sheet = page.locator("#letter")
    expect(sheet.get_by_role("heading", name="基本养老保险关系转移接续联系函")).to_be_visible()
    expect(page.locator("#letter-no")).to_have_text(letter_no)
    expect(page.locator("#letter-to")).to_have_text("吉林省长春市南关区社会保险经办机构：")
    expect(sheet).to_contain_text(ID_NUMBER)
    expect(sheet).to_contain_text("现在我处参加机关事业单位养老保险（参保地：北京市海淀区）")
    expect(page.locator("#letter-request")).to_contain_text("15个工作日内")
    expect(page.locator("#letter-rule")).to_contain_text("依据：人社部发〔2017〕71号")
    expect(page.locator("#letter-sign")).to_contain_text("海淀区社会保险事业管理中心")
    page.screenshot(path=LETTER_SHOT, full_page=True)
    shot(page, "traditional-3-letter")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印联系函")).to_be_hidden()
    expect(nav).to_be_hidden()
    expect(sheet).to_be_visible()
    shot(page, "traditional-3-letter-print")
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    (SCREENSHOTS / "e2e-traditional-letter.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1  # the letter fits one A4 sheet
    page.emulate_media(media="screen")
    log_out(page)

    # --- 吉林 reviewer: uploads the information sheet -----------------------------------------
    log_in(page, base, "jl_reviewer")
    nav.get_by_role("link", name="待上传信息表").click()
    expect(page.locator(f"#row-{leg.transfer_no}")).to_contain_text("传统模式")
    page.get_by_role("link", name=leg.transfer_no).click()
    page.locator("#actions").get_by_role("button", name="上传信息表").click()
    page.locator("#dialog-info-sheet").get_by_role("button", name="生成并上传").click()
    expect(alert).to_contain_text("转移金额合计 32,160.00 元")
    expect(page.locator("#summary")).to_contain_text("信息表已上传")
    log_out(page)

    # --- 北京 reviewer: accepts the sheet ------------------------------------------------------
    log_in(page, base, "bj_reviewer")
    nav.get_by_role("link", name="待确认").click()
    page.get_by_role("link", name=leg.transfer_no).click()
    page.locator("#actions").get_by_role("button", name="接收信息表").click()
    dialog = page.locator("#dialog-confirm")
    expect(dialog).to_contain_text("合计 32,160.00 元")
    dialog.get_by_role("button", name="接收信息表").click()
    expect(alert).to_contain_text("已接收信息表")
    expect(page.locator("#summary")).to_contain_text("信息表已接收")
    log_out(page)

    # --- 吉林 finance: registers the remittance ------------------------------------------------
    log_in(page, base, "jl_finance")
    nav.get_by_role("link", name="待划转基金").click()
    expect(page.locator(f"#row-{leg.transfer_no}")).to_contain_text("32,160.00")
    page.get_by_role("link", name=leg.transfer_no).click()
    page.locator("#actions").get_by_role("button", name="登记基金划转").click()
    dialog = page.locator("#dialog-remit")
    expect(dialog.get_by_label("划转金额（元）")).to_have_value("32160.00")  # the sheet's total
    dialog.get_by_label("银行凭证号").fill("JL20261205-0007")
    shot(page, "traditional-4-remit-dialog")
    dialog.get_by_role("button", name="登记划转").click()
    expect(alert).to_contain_text("已登记基金划转 32,160.00 元，银行凭证号 JL20261205-0007")
    expect(page.locator("#remittance")).to_contain_text("待转入地财务确认到账")
    log_out(page)

    # --- 北京 finance: a wrong amount first, then the right one --------------------------------
    log_in(page, base, "bj_finance")
    nav.get_by_role("link", name="待确认到账").click()
    work_row = page.locator(f"#row-{leg.transfer_no}")
    expect(work_row).to_contain_text("32,160.00")
    expect(work_row).to_contain_text("JL20261205-0007")
    shot(page, "traditional-5-worklist-receive")
    page.get_by_role("link", name=leg.transfer_no).click()
    page.locator("#actions").get_by_role("button", name="确认到账").click()
    dialog = page.locator("#dialog-receive")
    dialog.get_by_label("到账金额（元）").fill("32,000.00")
    dialog.get_by_role("button", name="确认到账").click()
    expect(alert).to_have_text(
        "到账金额与信息表合计不一致：信息表合计 32,160.00 元，到账金额 32,000.00 元。"
    )
    expect(page.locator("#summary")).to_contain_text("基金已划转")
    shot(page, "traditional-5-receive-mismatch")
    leg.refresh_from_db()
    assert leg.status == Status.FUNDS_REMITTED
    assert Remittance.objects.get().received_fen is None

    page.locator("#actions").get_by_role("button", name="确认到账").click()
    dialog.get_by_label("到账金额（元）").fill("32160.00")
    dialog.get_by_role("button", name="确认到账").click()
    expect(alert).to_contain_text("已确认到账，业务办结")
    expect(page.locator("#summary")).to_contain_text("办结")
    expect(page.locator("#actions")).to_have_count(0)
    expect(page.locator("#remittance")).to_contain_text("到账 32,160.00 元")
    page.screenshot(path=CASE_SHOT, full_page=True)
    shot(page, "traditional-6-case-completed")
    leg.refresh_from_db()
    assert leg.status == Status.COMPLETED
    assert not Obligation.objects.exists()  # moved per case: nothing for the monthly clearing
    log_out(page)

    # --- 海淀 clerk: 进度查询 --------------------------------------------------------------------
    log_in(page, base, "hd_clerk")
    nav.get_by_role("link", name="进度查询").click()
    page.get_by_label("社会保障号码").fill(ID_NUMBER)
    page.get_by_role("button", name="查询").click()
    card = page.locator(f"#leg-{leg.transfer_no}")
    expect(card).to_contain_text("审核状态：办结")
    expect(card).to_contain_text("传统模式")
    expect(card).to_contain_text(ContactLetter.objects.get().letter_no)
    expect(card).to_contain_text("确认到账，办结")
    shot(page, "traditional-7-progress")
