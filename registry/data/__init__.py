"""Reference data shipped with the code (see README.md beside this file)."""

import csv
from pathlib import Path

REGIONS_CSV = Path(__file__).resolve().parent / "regions.csv"
LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


def load_regions(region_model) -> int:
    """Insert every region of regions.csv that is missing; parents before children.

    Takes the model class so that a migration can pass its historical model."""
    with open(REGIONS_CSV, encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: (LEVEL_ORDER[r["level"]], r["code"]))
    created = region_model.objects.bulk_create(
        [
            region_model(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_id=row["parent"] or None,
                settlement_unit=row["settlement_unit"] == "1",
            )
            for row in rows
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return len(created)
