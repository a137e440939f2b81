"""Benchmark: the bootstrap import (`registry_import`) against a bare PostgreSQL COPY.

    make bench        # bash scripts/test-services.sh .venv/bin/python bench/import_registry.py
    bash scripts/test-services.sh .venv/bin/python bench/import_registry.py --rows 20000 --runs 1

Generates (fixed seed) an import file with N contribution months (default 1,000,000) for
~10,000 persons, then in one run, alternating COPY / import / COPY / import …:

* import — what an operator runs: json.load of the file from disk + registry_import()
  (whole-file validation, then the writes in one transaction), starting each time from an empty
  contribution table (persons and accounts already there, unchanged);
* copy — the same N rows loaded by a plain `COPY registry_contributionmonth (…) FROM STDIN`
  from a pre-built in-memory buffer, in one transaction, into the same (truncated) table with the
  same indexes and constraints;
* reimport — the unchanged file imported once more on top of itself (0 created, 0 updated).

Reports medians; the last line is JSON:
{"rows", "import_rows_per_s", "copy_rows_per_s", "ratio", "reimport_rows_per_s", "runs", …}.
Needs DATABASE_URL pointing at a scratch PostgreSQL database (scripts/test-services.sh gives one).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from common.scope import province_of  # noqa: E402
from registry.imports import RegistryImportError, registry_import  # noqa: E402
from registry.models import ContributionMonth, InsuranceAccount  # noqa: E402
from registry.validators import make_id_number  # noqa: E402

SEED = 20261204
# County codes in four different provinces (Beijing, Jilin, Guangdong, Shanghai); all are in both
# the Region table and python-stdnum's birth-place table, which dates them (浦东新区 from 1992):
# births are drawn from 1992-2001 so that every code was in force at birth.
REGIONS = ["110101", "220102", "440106", "310115"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
MAX_MONTHS_PER_ACCOUNT = 600  # 50 years, ending no later than last month
TABLE = ContributionMonth._meta.db_table
COPY_SQL = (
    f"COPY {TABLE} (account_id, month, identity, base_fen, employer_rate, cleared) FROM STDIN"
)
COPY_NULL = "\\N"
COPY_CHUNK = 8 << 20  # bytes per copy.write() of the bare COPY


def log(message: str) -> None:
    print(message, flush=True)


# --- data ----------------------------------------------------------------------------------------


def _month_list(last: str) -> list[str]:
    months = [f"{y:04d}-{m:02d}" for y in range(1970, int(last[:4]) + 1) for m in range(1, 13)]
    return [m for m in months if m <= last]


def generate(rows: int, persons: int) -> dict:
    """A valid import file with exactly `rows` contribution months, deterministic for `SEED`."""
    rng = random.Random(SEED)
    today = date.today()
    last = f"{today.year - (today.month == 1):04d}-{(today.month - 2) % 12 + 1:02d}"
    months = _month_list(last)

    people = []
    accounts = []
    ids: set[str] = set()
    for i in range(persons):
        region = REGIONS[i % len(REGIONS)]
        while True:
            birth = date.fromordinal(date(1992, 1, 1).toordinal() + rng.randrange(365 * 10))
            id_number = make_id_number(region, birth, rng.randrange(1000))
            if id_number not in ids:
                break
        ids.add(id_number)
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
        people.append(
            {"id_number": id_number, "name": name, "hukou_region": region, "status": "active"}
        )
        # Every person an enterprise account; one in four a second one in another province.
        regions = [rng.choice(REGIONS)]
        if i % 4 == 3:
            regions.append(rng.choice([r for r in REGIONS if r != regions[0]]))
        for n, account_region in enumerate(regions):
            accounts.append(
                {
                    "id_number": id_number,
                    "region": account_region,
                    "scheme": "enterprise",
                    "account_type": "general",
                    "status": "contributing" if n == len(regions) - 1 else "suspended",
                    "arrears_fen": 0,
                    "individual_balance_fen": rng.randrange(0, 50_000_000),
                    "contributions": [],
                }
            )

    per_account, extra = divmod(rows, len(accounts))
    if per_account + (extra > 0) > min(MAX_MONTHS_PER_ACCOUNT, len(months)):
        raise SystemExit(f"--rows {rows} is too many for {len(accounts)} accounts: add --persons")
    for n, account in enumerate(accounts):
        count = per_account + (n < extra)
        end = len(months) - rng.randrange(0, min(120, len(months) - count + 1))
        flexible = rng.random() < 0.1  # 灵活就业: no employer, no employer rate
        rated = not flexible and rng.random() < 0.7  # the others: rate not recorded
        base = rng.randrange(300_000, 2_500_000, 100)
        contributions = account["contributions"]
        for month in months[end - count : end]:
            record = {
                "month": month,
                "identity": "flexible" if flexible else "employee",
                "base_fen": base + (int(month[:4]) - 1970) * 1_000,
            }
            if rated:
                record["employer_rate"] = "0.16" if month >= "2019-05" else "0.2"
            contributions.append(record)

    return {
        "offices": [
            {"code": "110108", "name": "海淀区社会保险事业管理中心", "region": "110108"},
            {
                "code": "MOH",
                "name": "人力资源社会保障部社会保险经办机构",
                "region": "110000",
                "national": True,
            },
        ],
        "staff": [
            {
                "username": "bench_clerk",
                "password": "bench-only",
                "office": "110108",
                "roles": ["clerk"],
            },
        ],
        "persons": people,
        "accounts": accounts,
    }


def copy_buffer(data: dict) -> list[bytes]:
    """The file's months as COPY text for registry_contributionmonth, in ~8 MiB chunks."""
    ids = {
        (id_number, province, scheme): pk
        for pk, id_number, province, scheme in InsuranceAccount.objects.values_list(
            "pk", "person__id_number", "province_id", "scheme"
        )
    }
    chunks, lines, size = [], [], 0
    for account in data["accounts"]:
        pk = ids[(account["id_number"], province_of(account["region"]), account["scheme"])]
        for c in account["contributions"]:
            line = (
                f"{pk}\t{c['month']}-01\t{c['identity']}\t{c['base_fen']}\t"
                f"{c.get('employer_rate', COPY_NULL)}\tf\n"
            )
            lines.append(line)
            size += len(line)
            if size >= COPY_CHUNK:
                chunks.append("".join(lines).encode())
                lines, size = [], 0
    chunks.append("".join(lines).encode())
    return chunks


# --- measurements --------------------------------------------------------------------------------


def _reset(truncate: bool) -> None:
    with connection.cursor() as cursor:
        if truncate:
            cursor.execute(f"TRUNCATE {TABLE}")
        cursor.execute("CHECKPOINT")
    gc.collect()


def _count() -> int:
    return ContributionMonth.objects.count()


def _import(data: dict, operator: str) -> dict:
    try:
        return registry_import(data, operator=operator)
    except RegistryImportError as invalid:
        for error in invalid.errors[:20]:
            log(error)
        raise SystemExit(f"bench file rejected: {invalid.message}") from None


def run_import(path: Path, rows: int, *, truncate: bool = True) -> tuple[float, dict]:
    _reset(truncate)
    started = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    summary = _import(data, "bench/import_registry.py")
    elapsed = time.perf_counter() - started
    del data
    months = summary["contributions"]
    expected = (
        {"created": rows, "updated": 0, "unchanged": 0}
        if truncate
        else {"created": 0, "updated": 0, "unchanged": rows}
    )
    if months != expected or _count() != rows:
        raise SystemExit(f"import wrote {months} ({_count()} rows), expected {expected}")
    if not truncate and any(s["created"] or s["updated"] for s in summary.values()):
        raise SystemExit(f"re-import of an unchanged file changed something: {summary}")
    return elapsed, summary


def run_copy(chunks: list[bytes], rows: int) -> float:
    _reset(True)
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(COPY_SQL) as copy,
    ):
        for chunk in chunks:
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    if _count() != rows:
        raise SystemExit(f"COPY loaded {_count()} rows, expected {rows}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="contribution months")
    parser.add_argument("--persons", type=int, default=None, help="default min(10000, rows/100)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each measurement")
    args = parser.parse_args()
    rows, runs = args.rows, args.runs
    persons = args.persons or max(1, min(10_000, rows // 100))
    if connection.vendor != "postgresql":
        raise SystemExit("bench needs PostgreSQL: run it through scripts/test-services.sh")

    call_command("migrate", verbosity=0)
    if _count() or InsuranceAccount.objects.exists():
        raise SystemExit("bench needs an empty database (scripts/test-services.sh gives one)")

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "registry.json"
        started = time.perf_counter()
        data = generate(rows, persons)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        log(
            f"file: {len(data['persons'])} persons, {len(data['accounts'])} accounts, "
            f"{rows} months, {path.stat().st_size / 2**20:.1f} MiB "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        # Offices, staff, persons and accounts first (untimed), so that every timed import
        # inserts exactly the months and the COPY has account ids to load against.
        _import(
            {**data, "accounts": [{**a, "contributions": []} for a in data["accounts"]]},
            "bench/import_registry.py setup",
        )
        chunks = copy_buffer(data)
        del data
        log(f"copy buffer: {sum(map(len, chunks)) / 2**20:.1f} MiB in {len(chunks)} chunks")

        import_s, copy_s = [], []
        for run in range(1, runs + 1):
            elapsed = run_copy(chunks, rows)
            copy_s.append(elapsed)
            log(f"run {run}: copy   {elapsed:6.2f} s  {rows / elapsed:10,.0f} rows/s")
            elapsed, _ = run_import(path, rows)
            import_s.append(elapsed)
            log(f"run {run}: import {elapsed:6.2f} s  {rows / elapsed:10,.0f} rows/s")

        # The last import left the table full: import the unchanged file on top of it.
        reimport, summary = run_import(path, rows, truncate=False)
        log(f"re-import (unchanged file): {reimport:6.2f} s  {rows / reimport:10,.0f} rows/s")
        log(f"re-import summary: {summary}")

    import_median, copy_median = statistics.median(import_s), statistics.median(copy_s)
    import_rate, copy_rate = rows / import_median, rows / copy_median
    log(
        f"median over {runs} run(s): import {import_median:.2f} s, copy {copy_median:.2f} s, "
        f"import/copy {import_rate / copy_rate:.3f} (target >= 0.25)"
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "import_rows_per_s": round(import_rate),
                "copy_rows_per_s": round(copy_rate),
                "ratio": round(import_rate / copy_rate, 3),
                "reimport_rows_per_s": round(rows / reimport),
                "runs": runs,
                "import_s": [round(s, 3) for s in import_s],
                "copy_s": [round(s, 3) for s in copy_s],
                "reimport_s": round(reimport, 3),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
