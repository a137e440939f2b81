"""Obligations recorded before periods existed get their (open) period row."""

from django.db import migrations


def create_periods(apps, schema_editor):
    Obligation = apps.get_model("clearing", "Obligation")
    ClearingPeriod = apps.get_model("clearing", "ClearingPeriod")
    months = Obligation.objects.order_by().values_list("period", flat=True).distinct()
    ClearingPeriod.objects.bulk_create(
        [ClearingPeriod(month=month) for month in months], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("clearing", "0003_periods")]

    operations = [migrations.RunPython(create_periods, migrations.RunPython.noop)]
