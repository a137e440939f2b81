"""The beat scheduler: django-celery-beat's database scheduler, except that an entry of the static
`CELERY_BEAT_SCHEDULE` is written to the database only when it is not there yet.

The stock scheduler rewrites each static entry's schedule at every start, so a time changed in the
admin would silently return to the settings' value at the next deploy; here the admin's edit stays
(the settings give the first value; delete the row in the admin to take the settings' again)."""

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


class _Entry(ModelEntry):
    @classmethod
    def from_entry(cls, name, app=None, **entry):
        existing = PeriodicTask.objects.filter(name=name).first()
        if existing is None:
            return super().from_entry(name, app=app, **entry)
        return cls(existing, app=app)


class Scheduler(DatabaseScheduler):
    Entry = _Entry
