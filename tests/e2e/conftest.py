"""Headless Chromium (Debian's package, never a downloaded build) driven by Playwright.

Browser tests use pytest-django's `live_server`, hence a transactional database: every test ends
with a flush of all tables, regions included. The autouse `regions` fixture below reloads them.
"""

import os

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(autouse=True)
def _reference_data(regions):
    """Every browser test starts with the regions loaded (see tests/conftest.py)."""


@pytest.fixture(scope="session")
def browser(django_db_setup):
    # With Playwright's loop marked as running, Django refuses ORM calls from the test process
    # (the tests' own factories, the flush after each test) with SynchronousOnlyOperation. Nothing
    # here is really asynchronous: the live server answers from its own thread.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium"),
                headless=True,
                args=CHROMIUM_ARGS,
            )
            yield browser
            browser.close()
        finally:
            # While Playwright's loop runs, Django's asgiref-local connections are other objects:
            # close them before the loop stops and they become unreachable.
            connections.close_all()
            playwright.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
