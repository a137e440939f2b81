"""Tasks queued through Redis run on a real worker that reaches the test database."""

import pytest

from common.tasks import health_ping
from settings.celery import app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

REGIONS_IN_MIGRATION_0002 = 3218


def test_health_ping_runs_on_the_worker(celery_worker):
    result = health_ping.delay()

    assert result.get(timeout=20) == {"pong": True, "regions": REGIONS_IN_MIGRATION_0002}
    assert not result.app.conf.task_always_eager
    assert app.conf.broker_url.startswith("redis://")
    assert type(result.backend).__name__ == "RedisBackend"
    # A fresh handle reads the outcome back from Redis, not from the sender's memory.
    stored = app.AsyncResult(result.id)
    assert stored.state == "SUCCESS"
    assert stored.result["pong"] is True
