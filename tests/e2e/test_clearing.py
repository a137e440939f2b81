"""Monthly clearing in a real browser: the period page follows a running batch by itself (the
test moves the batch's progress, the page updates and reloads without being told), ministry
finance runs the batch and sees the heat map and the net-position chart, and a province's
finance confirms its statement. Screenshots: /tmp/clearing-period.png, /tmp/clearing-statement.png
(and copies in test-results/)."""

import re
import shutil
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from playwright.sync_api import expect

from clearing.models import ClearingPeriod, PeriodStatus, Statement, StatementStatus
from clearing.progress import STAGES, progress_end, progress_start, progress_step
from tests.e2e.helpers import SCREENSHOTS, log_in, log_out, shot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

SH = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)


@pytest.fixture
def november(complete_leg, ministry_finance, finance):
    """Three legs completed in November 2026 (time travel only here, before the browser runs):
    吉林→北京 6,200.00, 广东→北京 8,200.00, 北京→广东 6,200.00 元; the finance users."""
    cache.clear()
    with time_machine.travel(datetime(2026, 11, 10, 10, 0, tzinfo=SH)):
        complete_leg("220000", "110000")
        complete_leg("440000", "110000", balance_fen=700_000)
        complete_leg("110000", "440000")
    users = {"ministry": ministry_finance, "jilin": finance("220000")}
    yield users
    cache.clear()


def test_finance_runs_the_batch_sees_the_charts_and_a_province_confirms(
    page, live_server, november
):
    base = live_server.url
    nav = page.get_by_role("navigation", name="主导航")

    # --- a batch is running (the beat's): the page follows it by itself ---------------------
    progress_start(NOV, "定时任务")
    progress_step(NOV, 1)
    log_in(page, base, november["ministry"].username)
    nav.get_by_role("link", name="清算").click()
    expect(page.get_by_role("heading", name=re.compile("省际清算"))).to_be_visible()
    row = page.locator("#period-2026-11")
    expect(row).to_contain_text("未清算")
    expect(row.get_by_role("button", name="计算")).to_be_visible()
    row.get_by_role("link", name="2026年11月").click()

    box = page.locator("#progress")
    expect(box).to_contain_text("正在计算")
    expect(page.locator("#progress-step")).to_have_text("1/5")
    expect(page.locator("#progress-stage")).to_have_text(STAGES[1])
    page.evaluate("window.notReloaded = true")
    progress_step(NOV, 3)
    expect(page.locator("#progress-step")).to_have_text("3/5")  # moved without a reload
    expect(page.locator("#progress-stage")).to_have_text(STAGES[3])
    assert page.evaluate("window.notReloaded === true")

    progress_end(NOV, ok=False, message="数据库连接中断，计算失败，未作任何更改。")
    expect(box).to_contain_text("计算失败")  # the page reloaded by itself and shows the failure
    expect(box).to_contain_text("数据库连接中断，计算失败，未作任何更改。")
    assert page.evaluate("window.notReloaded === undefined")

    # --- ministry finance runs the batch again -------------------------------------------------
    page.locator("#actions").get_by_role("button", name="计算").click()
    expect(page.get_by_role("alert").first).to_contain_text("计算完成，校验和")
    period = ClearingPeriod.objects.get(month=NOV)
    assert period.status == PeriodStatus.CALCULATED
    expect(page.locator("h1")).to_contain_text("已计算")
    expect(box).to_contain_text("计算完成")
    expect(page.locator("#control-checksum")).to_have_text(period.checksum)
    expect(page.locator("#control-amount")).to_have_text("20,600.00")

    heat = page.locator("#heat-table")
    expect(heat.locator("tbody tr")).to_have_count(32)
    expect(heat.locator("tbody td")).to_have_count(32 * 32)
    expect(heat.locator("td.hot")).to_have_count(3)
    jilin_beijing = heat.locator("tbody tr").nth(6).locator("td").nth(0)
    expect(jilin_beijing).to_have_attribute("title", "吉林省 → 北京市：6,200.00 元，1 笔")

    bars = page.locator("#net-chart rect.bar")
    expect(bars).to_have_count(3)  # 北京 +8,200.00, 吉林 −6,200.00, 广东 −2,000.00
    expect(page.locator("#net-chart rect.bar-receive")).to_have_count(1)
    expect(page.locator('#net-chart rect[data-province="220000"]')).to_have_attribute(
        "data-net-fen", "-620000"
    )
    assert page.locator("#net-chart rect.bar-receive").bounding_box()["width"] > 100
    expect(page.locator("#net-chart")).to_contain_text("8,200.00")
    expect(page.locator("#instructions tbody tr")).to_have_count(2)
    expect(page.locator("#statement-220000")).to_contain_text("待确认")
    shutil.copy(shot(page, "clearing-period"), "/tmp/clearing-period.png")
    heat.screenshot(path=SCREENSHOTS / "e2e-clearing-heatmap.png")
    log_out(page)

    # --- 吉林 finance confirms its statement -----------------------------------------------------
    log_in(page, base, november["jilin"].username)
    nav.get_by_role("link", name="清算").click()
    expect(page.locator("#period-2026-11")).to_contain_text("待确认")
    shot(page, "clearing-periods-jilin")
    page.locator("#period-2026-11").get_by_role("link", name="2026年11月").click()
    expect(page.locator("#heat-table td.hot")).to_have_count(1)  # its own pair only
    expect(page.locator("#net-chart rect.bar")).to_have_count(1)
    shot(page, "clearing-period-jilin")
    page.get_by_role("link", name="本省对账单").click()

    expect(page.get_by_role("heading", name=re.compile("吉林省 对账单"))).to_be_visible()
    expect(page.locator("#position-net")).to_have_text("-6,200.00")
    expect(page.locator("#pairs-paying")).to_contain_text("北京市")
    expect(page.locator("#control-checksum")).to_have_text(period.checksum)
    page.get_by_role("button", name="提出异议").click()
    dialog = page.locator("#dialog-dispute")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="确认无误").click()
    expect(page.get_by_role("alert").first).to_contain_text("已确认 2026-11 清算期对账单无误")
    expect(page.locator("#statement-status")).to_contain_text("已确认")
    expect(page.get_by_role("button", name="确认无误")).to_have_count(0)
    shutil.copy(shot(page, "clearing-statement"), "/tmp/clearing-statement.png")
    statement = Statement.objects.get(period=period, province_id="220000")
    assert (statement.status, statement.acted_by.username) == (
        StatementStatus.CONFIRMED,
        "fin_220000",
    )
