"""Load the GB/T 2260 regions (and 兵团 660000) from registry/data/regions.csv; see its README."""

import csv
from pathlib import Path

from django.db import migrations

REGIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "regions.csv"


def load_regions(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    with open(REGIONS_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # Parents sort before their children (provinces, then cities, then counties).
    order = {"province": 0, "city": 1, "county": 2}
    Region.objects.bulk_create(
        [
            Region(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_id=row["parent"] or None,
                settlement_unit=row["settlement_unit"] == "1",
            )
            for row in sorted(rows, key=lambda r: (order[r["level"]], r["code"]))
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
