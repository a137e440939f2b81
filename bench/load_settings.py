"""Settings for `make bench-load`: settings.test with a real Celery worker (not eager)."""

from settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
