"""The Celery app. Without a broker URL tasks run eagerly in-process (the embedded default)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.dev")

app = Celery("pension")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
