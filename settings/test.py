"""Settings for `make test`: the throwaway PostgreSQL and Redis of scripts/test-services.sh.

Tests run Celery eagerly unless they start a real worker (tests/integration does).
"""

import os

import dj_database_url

from settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

try:
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
except KeyError as missing:
    raise RuntimeError(
        "settings.test needs DATABASE_URL (and REDIS_URL): run the suite with `make test`, "
        "which starts a throwaway PostgreSQL and Redis."
    ) from missing

CELERY_BROKER_URL = os.environ.get("REDIS_URL", "")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL or None
CELERY_TASK_ALWAYS_EAGER = True
# The real Redis, as in production: a worker's batch progress reaches the web process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CELERY_BROKER_URL,
        "KEY_PREFIX": "test",
    }
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from the app folders (no collectstatic outside production).
WHITENOISE_USE_FINDERS = True

# django-axes stays on (tests/test_security.py tests it): failed logins are rows in the test
# database, rolled back or flushed after each test, so no test inherits another's failures.
AXES_ENABLED = True
