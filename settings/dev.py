"""Embedded default for `make run`: SQLite, eager Celery, debug on. Never for production."""

import os

from settings.base import *  # noqa: F403
from settings.base import BASE_DIR

DEBUG = True
SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"),
        "OPTIONS": {"timeout": 20},
    }
}

CELERY_BROKER_URL = os.environ.get("REDIS_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL

# Serve static files straight from the app folders (no collectstatic outside production).
WHITENOISE_USE_FINDERS = True
