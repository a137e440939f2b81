"""A periodic transfer from the window to 办结 in a real browser: the clerk (海淀) accepts the
application, the outgoing reviewer (吉林) uploads the information sheet, the incoming reviewer
(北京) confirms, and the clerk's progress query shows 办结. Screenshots go to test-results/."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from registry.models import AccountStatus
from tests.conftest import region
from tests.e2e.helpers import log_in, log_out, shot
from tests.factories import (
    AccountFactory,
    MonthFactory,
    OfficeFactory,
    PersonFactory,
    StaffFactory,
    png_bytes,
)
from transfer.models import Status, TransferLeg

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

ID_NUMBER = "110101198808080001"


@pytest.fixture
def case_data(settings, tmp_path):
    """Offices, staff and 严某荣: suspended in 长春南关区, contributing in 海淀."""
    settings.MEDIA_ROOT = tmp_path / "media"
    haidian = OfficeFactory(code="110108", region=region("110108"))
    jilin = OfficeFactory(code="220000", region=region("220000"))
    StaffFactory(roles=["clerk"], office=haidian, user__username="hd_clerk")
    StaffFactory(roles=["reviewer"], office=haidian, user__username="bj_reviewer")
    StaffFactory(roles=["reviewer"], office=jilin, user__username="jl_reviewer")
    person = PersonFactory(id_number=ID_NUMBER, name="严某荣")
    out = AccountFactory(
        person=person,
        region=region("220102"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=3_000_000,
    )
    for year, month in [(1997, 12), (1998, 1), (2019, 1), (2019, 2)]:
        MonthFactory(account=out, month=date(year, month, 1), base_fen=600_000)
    beijing = AccountFactory(person=person, region=region("110108"))
    MonthFactory(account=beijing, month=date(2024, 1, 1), base_fen=800_000)


def test_periodic_transfer_from_window_to_completion(page, live_server, case_data):
    base = live_server.url
    nav = page.get_by_role("navigation", name="主导航")

    # --- 海淀 clerk: the window form ---------------------------------------------------------
    log_in(page, base, "hd_clerk")
    nav.get_by_role("link", name="新建申请").click()
    expect(page.get_by_role("heading", name=re.compile("新建转移申请"))).to_be_visible()
    # The incoming place defaults to the clerk's office: 北京市 海淀区 (no city level).
    expect(page.get_by_label("转入地（省）")).to_have_value("110000")
    expect(page.get_by_label("转入地（市）")).to_be_hidden()
    expect(page.get_by_label("转入地（区县）")).to_have_value("110108")

    page.get_by_role("textbox", name="社会保障号码").fill(ID_NUMBER)
    expect(page.get_by_role("textbox", name="姓名")).to_have_value("严某荣")
    accounts = page.locator("#person-accounts")
    expect(accounts).to_be_visible()
    jilin_row = accounts.locator("tr", has_text="南关区")
    expect(jilin_row).to_contain_text("吉林省")
    expect(jilin_row).to_contain_text("暂停缴费")
    expect(accounts.locator("tr", has_text="海淀区")).to_contain_text("正常缴费")
    expect(accounts.get_by_role("button", name="作为转出地")).to_have_count(1)

    # The outgoing place through its selects, province → city → county.
    row = page.locator("#out-rows li").first
    row.get_by_label("转出地（省）").select_option(label="吉林省")
    row.get_by_label("转出地（市）").select_option(label="长春市")
    row.get_by_label("转出地（区县）").select_option(label="南关区")
    # The same place from the accounts list adds nothing twice.
    accounts.get_by_role("button", name="作为转出地").click()
    expect(page.locator("#out-rows li")).to_have_count(1)
    # A second row can be added and removed again.
    page.get_by_role("button", name="添加转出地").click()
    expect(page.locator("#out-rows li")).to_have_count(2)
    page.locator("#out-rows li").nth(1).get_by_role("button", name="删除").click()
    expect(page.locator("#out-rows li")).to_have_count(1)

    page.get_by_role("textbox", name="申请人联系电话").fill("13800000000")
    page.get_by_role("textbox", name="户籍地址").fill("北京市东城区某街道1号")
    identity = {"name": "身份证.png", "mimeType": "image/png", "buffer": png_bytes()}
    page.get_by_label("参保人身份证件").set_input_files(identity)

    # 代办 asks for the agent and the agent's documents; back to 本人 hides them again.
    agent_name = page.get_by_role("textbox", name="代办人姓名")
    expect(agent_name).to_be_hidden()
    page.get_by_role("radio", name=re.compile("^代办")).check()
    expect(agent_name).to_be_visible()
    expect(page.get_by_label(re.compile("^授权委托书"))).to_be_visible()
    shot(page, "transfer-1-form-agent")
    page.get_by_role("radio", name=re.compile("^本人办理")).check()
    expect(agent_name).to_be_hidden()

    # A wrong name comes back beside the field, with everything typed still there.
    page.get_by_role("textbox", name="姓名").fill("严某")
    page.get_by_role("button", name="提交申请").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("姓名与社会保障号码登记的姓名不一致")
    expect(summary).to_contain_text("已选择的文件需要重新选择")
    expect(page.locator("#field-name")).to_contain_text("姓名与社会保障号码登记的姓名不一致")
    expect(page.get_by_role("textbox", name="申请人联系电话")).to_have_value("13800000000")
    expect(row.get_by_label("转出地（区县）")).to_have_value("220102")
    expect(accounts).to_be_visible()  # the accounts are listed again
    shot(page, "transfer-1-form-error")
    assert not TransferLeg.objects.exists()

    page.get_by_role("textbox", name="姓名").fill("严某荣")
    page.get_by_label("参保人身份证件").set_input_files(identity)
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("heading", name=re.compile("受理回执"))).to_be_visible()
    leg = TransferLeg.objects.select_related("application").get()
    receipt = page.locator(".receipt")
    for text in [leg.application.application_no, leg.transfer_no, "严某荣", ID_NUMBER]:
        expect(receipt).to_contain_text(text)
    expect(receipt).to_contain_text("吉林省长春市南关区")
    expect(receipt).to_contain_text("校验通过")  # the check ran when the submission committed
    expect(page.get_by_role("button", name="打印回执")).to_be_visible()
    shot(page, "transfer-2-receipt")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印回执")).to_be_hidden()
    expect(nav).to_be_hidden()
    shot(page, "transfer-2-receipt-print")
    page.emulate_media(media="screen")
    log_out(page)

    # --- 吉林 reviewer: upload the information sheet ----------------------------------------
    log_in(page, base, "jl_reviewer")
    shot(page, "transfer-3-dashboard-jilin")
    nav.get_by_role("link", name="待上传信息表").click()
    expect(page.locator(f"#row-{leg.transfer_no}")).to_contain_text("110101********0001")
    shot(page, "transfer-3-worklist-outgoing")
    page.get_by_role("link", name=leg.transfer_no).click()
    expect(page.get_by_role("heading", name=re.compile(leg.transfer_no))).to_be_visible()
    page.get_by_role("button", name="上传信息表").click()
    dialog = page.locator("#dialog-info-sheet")
    expect(dialog).to_be_visible()
    dialog.get_by_label("说明").fill("已核对缴费记录")
    shot(page, "transfer-4-info-sheet-dialog")
    dialog.get_by_role("button", name="生成并上传").click()
    expect(page.get_by_role("alert").first).to_contain_text("信息表（第1版）已生成并上传")
    expect(page.locator("#summary")).to_contain_text("信息表已上传")
    expect(page.locator("#sheet-totals")).to_contain_text("32,160.00")
    shot(page, "transfer-4-case-sheet")
    log_out(page)

    # --- 北京 reviewer: confirm ----------------------------------------------------------------
    log_in(page, base, "bj_reviewer")
    expect(page.locator("#work-incoming")).to_contain_text("1")
    nav.get_by_role("link", name="待确认").click()
    page.get_by_role("link", name=leg.transfer_no).click()
    page.locator("#actions").get_by_role("button", name="确认办结").click()
    dialog = page.locator("#dialog-confirm")
    expect(dialog).to_contain_text("合计 32,160.00 元")
    shot(page, "transfer-5-confirm-dialog")
    dialog.get_by_role("button", name="确认办结").click()
    expect(page.get_by_role("alert").first).to_contain_text("已确认办结")
    expect(page.locator("#summary")).to_contain_text("办结")
    expect(page.locator("#actions")).to_have_count(0)
    shot(page, "transfer-6-case-completed")
    leg.refresh_from_db()
    assert leg.status == Status.COMPLETED
    log_out(page)

    # --- 海淀 clerk: 进度查询 --------------------------------------------------------------------
    log_in(page, base, "hd_clerk")
    nav.get_by_role("link", name="进度查询").click()
    page.get_by_label("社会保障号码").fill(ID_NUMBER)
    page.get_by_role("button", name="查询").click()
    card = page.locator(f"#leg-{leg.transfer_no}")
    expect(card).to_contain_text("审核状态：办结")
    expect(card).to_contain_text("确认办结")
    shot(page, "transfer-7-progress")
