"""GET /health/: database, Redis and a Celery worker; 200 when all answer, else 503 naming the
failing part."""

import time

import pytest
from django.test import Client

from settings.celery import app
from tests.integration.conftest import celery_worker  # noqa: F401 (the real worker fixture)


def get_health():
    response = Client().get("/health/")  # anonymous: no login for probes
    return response.status_code, response.json()


@pytest.mark.django_db
def test_eager_celery_is_reported_as_such():
    """`make run` (eager Celery): no worker to ask, and that is healthy."""
    assert app.conf.task_always_eager
    status, body = get_health()
    assert (status, body) == (
        200,
        {"status": "ok", "database": "ok", "redis": "ok", "worker": "eager"},
    )


@pytest.mark.django_db
def test_without_a_worker_it_is_503_naming_the_worker():
    app.conf.task_always_eager = False
    try:
        started = time.monotonic()
        status, body = get_health()
        elapsed = time.monotonic() - started
    finally:
        app.conf.task_always_eager = True
    assert (status, body) == (
        503,
        {"status": "fail", "database": "ok", "redis": "ok", "worker": "fail"},
    )
    assert elapsed < 3  # a one-second ping, not a hang


@pytest.mark.django_db
def test_unreachable_redis_is_503_without_waiting_on_the_worker(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    status, body = get_health()
    assert (status, body) == (
        503,
        {"status": "fail", "database": "ok", "redis": "fail", "worker": "fail"},
    )


@pytest.mark.django_db
def test_post_is_refused_and_nothing_personal_is_shown():
    response = Client().post("/health/")
    assert response.status_code == 405
    _, body = get_health()
    assert set(body) == {"status", "database", "redis", "worker"}
    assert "no-store" in Client().get("/health/")["Cache-Control"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_ok_with_a_real_worker(celery_worker):  # noqa: F811
    status, body = get_health()
    assert (status, body) == (
        200,
        {"status": "ok", "database": "ok", "redis": "ok", "worker": "ok"},
    )
