"""A duplicate-contribution refund (个人重复缴费退费) in a real browser: the 海淀 clerk opens
严某荣 — flexible in 海淀 while employed in 长春, 2020-03…2020-06 — sees the duplicate months,
goes through the three steps (identity, direction, bank) and submits; the 北京 supervisor
approves; 北京 finance pays with a voucher; the refund shows 已退费 and the months are gone from
the person's duplicates. Screenshots go to test-results/, the form and the refund also to /tmp."""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from refunds.models import Refund, RefundStatus
from registry.models import AccountStatus, Identity, InsuranceAccount
from tests.conftest import region
from tests.e2e.helpers import log_in, log_out, shot
from tests.factories import (
    AccountFactory,
    MonthFactory,
    OfficeFactory,
    PersonFactory,
    StaffFactory,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

FORM_SHOT = Path("/tmp/refund-form.png")
PAGE_SHOT = Path("/tmp/refund-page.png")
ID_NUMBER = "110101198808080001"
MONTHS = ["2020-03", "2020-04", "2020-05", "2020-06"]


@pytest.fixture
def refund_data():
    """海淀's office with its clerk, supervisor and finance; 严某荣 paid 2020-03…2020-06 twice."""
    haidian = OfficeFactory(code="110108", region=region("110108"))
    for role, username in [("clerk", "hd_clerk"), ("supervisor", "bj_supervisor")]:
        StaffFactory(roles=[role], office=haidian, user__username=username)
    StaffFactory(roles=["finance"], office=haidian, user__username="bj_finance")
    person = PersonFactory(id_number=ID_NUMBER, name="严某荣")
    beijing = AccountFactory(
        person=person,
        region=region("110108"),
        status=AccountStatus.CONTRIBUTING,
        individual_balance_fen=1_000_000,
    )
    for month in range(1, 7):
        MonthFactory(
            account=beijing,
            month=date(2020, month, 1),
            identity=Identity.FLEXIBLE,
            base_fen=500_000,
        )
    jilin = AccountFactory(person=person, region=region("220102"), status=AccountStatus.SUSPENDED)
    for month in range(3, 9):
        MonthFactory(
            account=jilin, month=date(2020, month, 1), identity=Identity.EMPLOYEE, base_fen=500_000
        )
    return beijing


def test_refund_from_the_person_through_three_steps_to_payment(page, live_server, refund_data):
    base = live_server.url
    nav = page.get_by_role("navigation", name="主导航")

    # --- 海淀 clerk: the person's duplicate months ---------------------------------------------
    log_in(page, base, "hd_clerk")
    nav.get_by_role("link", name="参保人员查询").click()
    page.get_by_label("社会保障号码").fill(ID_NUMBER)
    page.get_by_role("button", name="查询").click()
    duplicates = page.locator("#duplicates")
    expect(duplicates).to_contain_text("共4个月未清退")
    expect(page.locator("#duplicate-2020-03")).to_contain_text("吉林省长春市南关区 · 职工")
    shot(page, "refund-1-person")
    duplicates.get_by_role("link", name="申请退费").click()

    # --- step 1: the identities, prefilled from the records ---------------------------------------
    expect(page.get_by_role("heading", name=re.compile("个人重复缴费退费"))).to_be_visible()
    expect(page.locator("#overlaps")).to_contain_text("2020-03 至 2020-06")
    rows = page.locator("#period-rows > li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_label("参保地")).to_have_value("110108")
    expect(rows.nth(0).get_by_label("起始年月")).to_have_value("2020-03")
    expect(rows.nth(0).get_by_label("参保身份")).to_have_value("flexible")
    expect(rows.nth(1).get_by_label("参保地")).to_have_value("220102")
    expect(rows.nth(1).get_by_label("参保身份")).to_have_value("employee")
    # The person says 长春 employed them from 2020-01: the clerk widens that period.
    rows.nth(1).get_by_label("起始年月").fill("2020-01")
    page.get_by_role("button", name="添加时间段").click()
    expect(rows).to_have_count(3)
    rows.nth(2).get_by_role("button", name="删除").click()
    expect(rows).to_have_count(2)

    # --- step 2: the direction; the employee side may not be refunded ---------------------------
    march = page.get_by_role("checkbox", name="2020-03")
    expect(march).to_be_disabled()
    page.get_by_role("radio", name=re.compile("退 吉林省长春市南关区")).check()
    expect(page.locator("#note-2020-03")).to_contain_text("保留职工身份，只能退灵活就业部分")
    expect(march).to_be_disabled()
    page.get_by_role("radio", name=re.compile("退 北京市海淀区")).check()
    expect(page.locator("#note-2020-03")).to_have_text("可退·仅限窗口")
    expect(page.locator("#month-2020-03 [data-cell=kept]")).to_have_text(
        "吉林省长春市南关区 · 职工"
    )
    for month in MONTHS:
        page.get_by_role("checkbox", name=month).check()
    expect(page.locator("#summary-amount")).to_have_text("4,000.00")
    expect(page.locator("#summary-credited")).to_have_text("1,600.00")
    expect(page.locator("#summary-months")).to_have_text(f"{'、'.join(MONTHS)}（共4个月）")

    # --- step 3: the bank; submitting unconfirmed keeps everything -------------------------------
    expect(page.get_by_label("户名")).to_have_value("严某荣")
    page.get_by_label("开户银行").fill("中国工商银行北京海淀支行")
    page.get_by_label("银行账号").fill("6222 0202 0000 1234 567")
    # A full-page screenshot resizes the viewport, and Chromium then scrolls a focused text
    # input back into view on the next click: leave the field first, as the clerk would.
    page.get_by_label("银行账号").blur()
    page.screenshot(path=FORM_SHOT, full_page=True)
    shot(page, "refund-2-form")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("请与参保人核对退费方向后勾选")
    expect(rows.nth(1).get_by_label("起始年月")).to_have_value("2020-01")
    expect(page.get_by_role("radio", name=re.compile("退 北京市海淀区"))).to_be_checked()
    expect(page.get_by_role("checkbox", name="2020-06")).to_be_checked()
    expect(page.get_by_label("银行账号")).to_have_value("6222 0202 0000 1234 567")
    expect(page.locator("#summary-amount")).to_have_text("4,000.00")
    assert not Refund.objects.exists()

    shot(page, "refund-2-form-unconfirmed")
    page.get_by_role("checkbox", name=re.compile("退费方向确认")).check()
    page.get_by_role("button", name="提交", exact=True).click()

    refund = Refund.objects.get()
    expect(page.get_by_role("heading", name=re.compile(refund.refund_no))).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("退费金额 4,000.00 元")
    expect(page.locator("#refund-totals")).to_contain_text("4,000.00")
    expect(page.locator("#summary")).to_contain_text("已提交")
    log_out(page)

    # --- 北京 supervisor: approve --------------------------------------------------------------
    log_in(page, base, "bj_supervisor")
    nav.get_by_role("link", name=re.compile("待审批退费")).click()
    expect(page.locator(f"#row-{refund.refund_no}")).to_contain_text("严*荣")
    page.get_by_role("link", name=refund.refund_no).click()
    page.locator("#actions").get_by_role("button", name="审批通过").click()
    dialog = page.locator("#dialog-approve")
    expect(dialog).to_contain_text("退费金额 4,000.00 元")
    dialog.get_by_role("button", name="审批通过").click()
    expect(page.get_by_role("alert").first).to_contain_text("已审批通过")
    expect(page.locator("#actions")).to_have_count(0)
    log_out(page)

    # --- 北京 finance: pay with the voucher ------------------------------------------------------
    log_in(page, base, "bj_finance")
    nav.get_by_role("link", name=re.compile("待支付退费")).click()
    page.get_by_role("link", name=refund.refund_no).click()
    page.locator("#actions").get_by_role("button", name="支付并登记凭证").click()
    dialog = page.locator("#dialog-pay")
    expect(dialog).to_contain_text("***************4567")
    dialog.get_by_label("付款凭证号").fill("PZ20261205-0001")
    dialog.get_by_role("button", name="支付并登记凭证").click()
    expect(page.get_by_role("alert").first).to_contain_text("付款凭证号 PZ20261205-0001，退费办结")
    expect(page.locator("#summary")).to_contain_text("已退费")
    expect(page.locator("#timeline")).to_contain_text("支付并登记凭证")
    page.screenshot(path=PAGE_SHOT, full_page=True)
    shot(page, "refund-3-paid")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PAID
    assert InsuranceAccount.objects.get(pk=refund_data.pk).individual_balance_fen == 840_000
    log_out(page)

    # --- the months are no longer duplicates -----------------------------------------------------
    log_in(page, base, "hd_clerk")
    page.goto(f"{base}/persons/?id_number={ID_NUMBER}")
    expect(page.locator("#duplicates")).to_contain_text("没有未清退的重复缴费月份")
    expect(page.locator("#duplicate-2020-03")).to_have_count(0)
