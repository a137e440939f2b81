"""Load the GB/T 2260 regions (and 兵团 660000) from registry/data/regions.csv; see its README."""

from django.db import migrations

from registry.data import load_regions


def forwards(apps, schema_editor):
    load_regions(apps.get_model("registry", "Region"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
