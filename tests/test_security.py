"""Login throttling (django-axes), the staff idle timeout, and the production security settings."""

import json
import os
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCKED = "登录失败次数过多"
TOKEN_URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


def html_login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def api_login(client, username, password):
    return client.post(
        TOKEN_URL,
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


# --- login page ---------------------------------------------------------------------------------


def test_login_page_locks_after_five_failures_and_refuses_the_right_password(make_staff):
    user = make_staff("clerk", username="hd_clerk")
    other = make_staff("clerk", username="hd_other")
    client = Client()

    answers = [html_login(client, user.username, "wrong").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the form again, then the lock

    refused = html_login(client, user.username, PASSWORD)
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert not signed_in(client)
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 5

    # Another user on the same machine, and the same user from another IP, are not affected.
    assert html_login(client, other.username, PASSWORD).status_code == 302
    assert signed_in(client)
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert html_login(elsewhere, user.username, PASSWORD).status_code == 302


def test_the_lock_lasts_fifteen_minutes(make_staff):
    user = make_staff("clerk")
    client = Client()
    start = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            html_login(client, user.username, "wrong")
        clock.move_to(start + timedelta(minutes=14))
        assert html_login(client, user.username, PASSWORD).status_code == 429
        clock.move_to(start + timedelta(minutes=15, seconds=1))
        assert html_login(client, user.username, PASSWORD).status_code == 302
        assert signed_in(client)


def test_a_successful_login_resets_the_count(make_staff):
    user = make_staff("clerk")
    client = Client()
    for _ in range(4):
        assert html_login(client, user.username, "wrong").status_code == 200
    assert html_login(client, user.username, PASSWORD).status_code == 302
    client.post("/logout/")

    for _ in range(4):
        assert html_login(client, user.username, "wrong").status_code == 200
    assert html_login(client, user.username, PASSWORD).status_code == 302
    assert signed_in(client)
    assert AccessFailureLog.objects.filter(username=user.username).count() == 8


# --- token endpoint ------------------------------------------------------------------------------


def test_token_endpoint_locks_after_five_failures_with_a_chinese_429(make_staff):
    user = make_staff("clerk", username="api_clerk")
    other = make_staff("clerk", username="api_other")
    client = Client()

    answers = [api_login(client, user.username, "wrong").status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]

    refused = api_login(client, user.username, PASSWORD)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["code"] == "LOCKED_OUT"
    assert LOCKED in refused.json()["message"]
    assert "token" not in refused.json()

    assert api_login(client, other.username, PASSWORD).status_code == 200


def test_token_endpoint_success_resets_the_count(make_staff):
    user = make_staff("clerk")
    client = Client()
    for _ in range(4):
        assert api_login(client, user.username, "wrong").status_code == 401
    assert api_login(client, user.username, PASSWORD).status_code == 200
    for _ in range(4):
        assert api_login(client, user.username, "wrong").status_code == 401
    assert api_login(client, user.username, PASSWORD).status_code == 200


def test_failures_on_page_and_api_share_one_count(make_staff):
    user = make_staff("clerk")
    client = Client()
    for _ in range(3):
        html_login(client, user.username, "wrong")
    for _ in range(2):
        api_login(client, user.username, "wrong")
    assert html_login(client, user.username, PASSWORD).status_code == 429
    assert api_login(client, user.username, PASSWORD).status_code == 429


# --- sessions ------------------------------------------------------------------------------------


def test_idle_staff_are_signed_out_after_thirty_minutes(make_staff):
    user = make_staff("clerk")
    client = Client()
    start = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        assert html_login(client, user.username, PASSWORD).status_code == 302
        # Active use keeps the session: each request moves the expiry on by 30 minutes.
        for minutes in (29, 58, 87):
            clock.move_to(start + timedelta(minutes=minutes))
            assert signed_in(client), minutes
        clock.move_to(start + timedelta(minutes=87 + 31))
        response = client.get("/")
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_session_cookie_is_httponly_and_ends_with_the_browser(make_staff):
    user = make_staff("clerk")
    client = Client()
    response = html_login(client, user.username, PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie


# --- production settings -------------------------------------------------------------------------


def prod_env() -> dict:
    """Real-looking production environment: the suite's PostgreSQL and Redis, a fresh key."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "pension.example.gov.cn,127.0.0.1",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
    }


def test_check_deploy_with_prod_settings_reports_no_issues():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=prod_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


PROD_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

c = Client(HTTP_HOST="pension.example.gov.cn")
plain = c.get("/login/")
tls = c.get("/health/", HTTP_X_FORWARDED_PROTO="https")
probe = c.get("/health/")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "tls_headers": {k: tls.get(k) for k in (
        "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
        "Referrer-Policy", "Cache-Control")},
    "probe": probe.status_code,
    "settings": {k: getattr(settings, k) for k in (
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "DEBUG")},
}))
"""


def test_prod_settings_redirect_to_https_and_send_security_headers():
    result = subprocess.run(
        [sys.executable, "-c", PROD_PROBE],
        cwd=ROOT,
        env=prod_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://pension.example.gov.cn/login/"]
    assert seen["tls_headers"] == {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "max-age=0, no-cache, no-store, must-revalidate, private",
    }
    # Internal health probes speak plain http: exempt from the redirect (503 here: no worker).
    assert seen["probe"] in (200, 503)
    assert seen["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_AGE": 1800,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "DEBUG": False,
    }
