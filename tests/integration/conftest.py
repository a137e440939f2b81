"""A real Celery worker, in a thread of the test process, consuming from the suite's Redis.

The rest of the suite runs tasks eagerly (settings.test); these tests send them through the broker
and read the answer from the result backend, as production does.
"""

import pytest
from celery.contrib.testing.worker import start_worker

from settings.celery import app


@pytest.fixture
def celery_worker(transactional_db, regions):
    """Start a worker for one test; queued tasks go through Redis to it.

    Needs `transactional_db`: the worker thread has its own database connection and sees only
    committed rows (and the Django fixup closes the test thread's connection at worker start,
    which would break a test wrapped in a transaction).
    """
    if not app.conf.broker_url:
        pytest.fail("tests/integration need REDIS_URL: run the suite with `make test`.")
    overrides = {
        "task_always_eager": False,
        # Leave pytest's log capture alone; the worker would replace the root handlers.
        "worker_hijack_root_logger": False,
    }
    saved = {key: app.conf[key] for key in overrides}
    app.conf.update(overrides)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
