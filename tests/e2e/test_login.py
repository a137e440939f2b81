"""Staff sign-in in a real browser: Chinese login page, dashboard shell, sign-out."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import shot
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_clerk_logs_in_sees_dashboard_and_logs_out(page, live_server, make_staff, office):
    user = make_staff("clerk", office=office, username="haidian-clerk")
    login_url = re.compile(re.escape(f"{live_server.url}/login/"))

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(login_url)
    expect(page).to_have_title(re.compile("登录"))
    expect(page.get_by_role("heading", name="经办人员登录")).to_be_visible()

    log_in(page, user.username, "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    expect(page).to_have_url(login_url)

    log_in(page, user.username, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="工作台", exact=True)).to_be_visible()
    header = page.locator("header")
    expect(header).to_contain_text("haidian-clerk")
    expect(header).to_contain_text("海淀区社会保险事业管理中心")
    expect(header).to_contain_text("窗口受理")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="参保人员查询")).to_be_visible()
    expect(nav.get_by_role("link", name="经办机构查询")).to_be_visible()

    shot(page, "dashboard")

    header.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(login_url)
    expect(page.get_by_label("用户名")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(login_url)


def test_staff_without_office_is_told_nothing_can_be_done(page, live_server, make_staff):
    user = make_staff("clerk", office=None, username="unassigned")

    page.goto(f"{live_server.url}/login/")
    log_in(page, user.username, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header")).to_contain_text("未分配经办机构")
    expect(page.get_by_role("main")).to_contain_text("尚未分配经办机构")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link")).to_have_text(["工作台"])
