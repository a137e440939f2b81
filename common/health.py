"""GET /health/ for load balancers and monitoring: is the database, Redis and a Celery worker up?

No login, no personal data, cheap: one `SELECT 1`, one Redis PING, one broadcast ping answered by
the first worker (at most about a second). 200 when everything answers, 503 naming what does not:

    {"status": "ok", "database": "ok", "redis": "ok", "worker": "ok"}
    {"status": "fail", "database": "ok", "redis": "ok", "worker": "fail"}

Without a broker (`make run`: eager Celery, no Redis) Redis is "unused" and the worker "eager";
both count as healthy there.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0
HEALTHY = {"ok", "unused", "eager"}


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return "ok" if cursor.fetchone()[0] == 1 else "fail"


def check_redis() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return "unused"
    client = redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        return "ok" if client.ping() else "fail"
    finally:
        client.close()


def check_worker() -> str:
    from settings.celery import app

    if app.conf.task_always_eager:
        return "eager"
    # Returns as soon as one worker answers; an empty list after the timeout means none did.
    replies = app.control.ping(timeout=TIMEOUT_SECONDS, limit=1)
    return "ok" if replies else "fail"


def _run(name: str, check) -> str:
    try:
        return check()
    except Exception:
        logger.exception("health check %s failed", name)
        return "fail"


@never_cache
@require_safe
def health(request):
    result = {"database": _run("database", check_database), "redis": _run("redis", check_redis)}
    # Without Redis the worker cannot be reached: say so at once rather than wait on the broker.
    result["worker"] = _run("worker", check_worker) if result["redis"] != "fail" else "fail"
    ok = all(value in HEALTHY for value in result.values())
    return JsonResponse({"status": "ok" if ok else "fail", **result}, status=200 if ok else 503)
