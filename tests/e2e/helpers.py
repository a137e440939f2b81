"""What the browser tests share: signing in and out as a staff user, and full-page screenshots
into test-results/."""

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台", exact=True)).to_be_visible()


def log_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("用户名")).to_be_visible()


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot, test-results/e2e-<name>.png (e.g. "refund-2-form"); its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"e2e-{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
