"""Project settings package: base + one module per environment (dev, test, prod)."""

from settings.celery import app as celery_app

__all__ = ["celery_app"]
