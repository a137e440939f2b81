"""Benchmark: the transfer workflow at scale — eligibility check, reviewer worklist, intake.

    make bench-transfer   # bash scripts/test-services.sh .venv/bin/python bench/transfer.py
    bash scripts/test-services.sh .venv/bin/python bench/transfer.py --quick   # small, ~30 s

Generates (fixed seed, COPY straight into the tables) a registry of ~266,000 persons with two
accounts each and >= 10,000,000 contribution months, and 1,000,000 transfer legs, then measures:

* eligibility — `leg_check_eligibility` (the Celery task's service: locks, the four look-ups,
  the rules, the transition, its log row, commit) on submitted legs of people with 10 years
  (120 months) and 40 years (480 months) of history, alternating; median and p95 per group;
* worklist — the outgoing reviewer's worklist of one province (`selectors.worklist`) as a page is
  served: `Paginator(...).get_page(n)` = the COUNT + the page's slice, first page and page 1,000,
  and the worklist counts every reviewer page shows (`selectors.worklist_counts`), on a
  10,000-leg database and on the 1,000,000-leg one, alternating between the two;
* intake — `POST /api/v1/transfer-applications/` against gunicorn (settings.prod, 2 workers,
  loopback) beside a trivial authenticated GET (`/api/v1/offices/?page_size=1`), the same client
  concurrency, alternating slices of bounded load (20 s each in total).

The last line is JSON with `eligibility_ratio_40y_vs_10y` (target <= 1.5),
`worklist_ratio_1m_vs_10k` (<= 1.5), `intake_vs_trivial` (>= 0.4) and the raw figures.
Needs DATABASE_URL / REDIS_URL of a scratch PostgreSQL and Redis (scripts/test-services.sh).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, connections, router, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg.copy import QueuedLibpqWriter  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from common.scope import scope_for  # noqa: E402
from registry.models import Office, Person, Region, Staff, StaffRole  # noqa: E402
from registry.validators import make_id_number, validate_id_number  # noqa: E402
from transfer import selectors, services  # noqa: E402
from transfer.models import Status, TransferLeg  # noqa: E402

SEED = 20261205
SMALL = "small"  # database alias of the 10,000-leg copy
FOCUS = "440000"  # the worklist's province (广东: the largest outflow)
PAGE = 50  # rows per worklist page (the API's and the pages' size)
DEEP_PAGE = 1000
BIRTH_FIRST, BIRTH_DAYS = date(1960, 1, 1), 3652  # 1960-1969: 40 years of history fit
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
CHUNK = 8 << 20  # bytes per COPY write
REJECTED_REASONS = json.dumps(
    [{"code": "OUT_NOT_SUSPENDED", "message": "人员还未暂停缴费。"}], ensure_ascii=False
)
# Status mix of the bulk of the legs (history piles up as completed cases).
SPREAD = [
    (Status.COMPLETED, 72),
    (Status.WITHDRAWN, 5),
    (Status.REJECTED, 5),
    (Status.REFUSED, 1),
    (Status.SUBMITTED, 1),
    (Status.ELIGIBLE, 8),
    (Status.INFO_UPLOADED, 8),
]
OPEN = {Status.SUBMITTED, Status.ELIGIBLE, Status.INFO_UPLOADED}
LOADED = [
    "registry_person",
    "registry_insuranceaccount",
    "registry_contributionmonth",
    "transfer_application",
    "transfer_transferleg",
]


def log(message: str) -> None:
    print(message, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


# --- reference data ------------------------------------------------------------------------------


@dataclass
class World:
    provinces: list[str]  # settlement units with a county code usable in ID numbers
    county: dict[str, str]  # province -> one county code
    offices: dict[str, int]  # province -> office id
    office_code: dict[str, str]
    clerk: object = None
    reviewer: object = None
    token: str = ""


def make_world() -> World:
    """One office per province (code = a county of it), the ministry, a clerk and a reviewer."""
    last_birth = BIRTH_FIRST + timedelta(days=BIRTH_DAYS - 1)
    settlement = set(Region.objects.filter(settlement_unit=True).values_list("code", flat=True))
    county = {}
    counties = Region.objects.filter(level="county").order_by("code")
    for code in counties.values_list("code", flat=True):
        province = f"{code[:2]}0000"
        if province in county or province not in settlement:
            continue
        try:  # a code ID numbers of people born in the 1960s can carry
            validate_id_number(make_id_number(code, last_birth, 0))
        except ValidationError:
            continue
        county[province] = code
    provinces = sorted(county)
    if FOCUS not in county or len(provinces) < 10:
        raise SystemExit(f"region table too small: {provinces}")
    names = dict(Region.objects.filter(code__in=provinces).values_list("code", "name"))
    offices, codes = {}, {}
    for province in provinces:
        office = Office.objects.create(
            code=county[province],
            name=f"{names[province]}社会保险事业管理中心",
            region_id=county[province],
            province_id=province,
        )
        offices[province], codes[province] = office.pk, office.code
    Office.objects.create(
        code="MOH",
        name="人力资源社会保障部社会保险经办机构",
        region_id="110000",
        province_id="110000",
        national=True,
    )
    world = World(provinces, county, offices, codes)
    User = get_user_model()
    for username, province, role in [
        ("bench_clerk", "110000", "clerk"),
        ("bench_reviewer", FOCUS, "reviewer"),
    ]:
        user = User.objects.create_user(username=username, password=None)
        staff = Staff.objects.create(user=user, office_id=offices[province])
        StaffRole.objects.create(staff=staff, role=role)
        setattr(world, role, user)
    world.token = Token.objects.create(user=world.clerk).key
    return world


# --- generated data ------------------------------------------------------------------------------


@dataclass
class Plan:
    """Who is who. Person i has id i+1, its out account id 2i+1 (suspended, province out_p[i])
    and its in account id 2i+2 (contributing, province in_p[i])."""

    filler: int
    tested: int  # per group (10 years, 40 years)
    intake: int
    names: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    out_p: list[str] = field(default_factory=list)
    in_p: list[str] = field(default_factory=list)
    months: list[tuple[int, int]] = field(default_factory=list)  # (out months, in months)

    @property
    def persons(self) -> int:
        return self.filler + 2 * self.tested + self.intake

    def group(self, i: int) -> str:
        if i < self.filler:
            return "filler"
        if i < self.filler + self.tested:
            return "10y"
        if i < self.filler + 2 * self.tested:
            return "40y"
        return "intake"


def make_plan(world: World, rng: random.Random, filler: int, tested: int, intake: int) -> Plan:
    plan = Plan(filler, tested, intake)
    provinces, n = world.provinces, len(world.provinces)
    others = [p for p in provinces if p != FOCUS]
    seen = set()
    for i in range(plan.persons):
        group = plan.group(i)
        region = world.county[provinces[i % n]]
        birth = BIRTH_FIRST + timedelta(days=(i // n) % BIRTH_DAYS)
        number = make_id_number(region, birth, i // (n * BIRTH_DAYS))
        if number in seen:
            raise SystemExit(f"duplicate ID number {number}")
        seen.add(number)
        plan.id_numbers.append(number)
        plan.names.append(rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))))
        # The checked legs leave from another province than the worklist's: checking them must
        # not change the worklist being measured.
        out_p = rng.choice(provinces if group == "filler" else others)
        in_p = rng.choice([p for p in provinces if p != out_p])
        plan.out_p.append(out_p)
        plan.in_p.append(in_p)
        if group == "filler":
            plan.months.append((rng.randint(6, 30), rng.randint(6, 30)))
        elif group == "10y":
            plan.months.append((60, 60))
        elif group == "40y":
            plan.months.append((240, 240))
        else:
            plan.months.append((12, 12))
    return plan


def month_tails(today: date) -> tuple[list[str], list[str]]:
    """`month\tidentity\temployer_rate\tcleared\n` for every month 1970-01 .. last month, for an
    employee (rate 0.2 / 0.16 from 2019-05) and for a flexible worker (no rate)."""
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    employee, flexible = [], []
    year, month = 1970, 1
    while date(year, month, 1) <= last:
        day = f"{year:04d}-{month:02d}-01"
        rate = "0.16" if (year, month) >= (2019, 5) else "0.2"
        employee.append(f"{day}\temployee\t{rate}\tf\n")
        flexible.append(f"{day}\tflexible\t\\N\tf\n")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return employee, flexible


class Copier:
    """COPY text into a table in ~8 MiB writes (a queue thread sends while Python builds)."""

    def __init__(self, cursor, table: str, columns: str):
        self.cursor, self.sql = cursor, f"COPY {table} ({columns}) FROM STDIN"
        self.parts, self.size, self.rows = [], 0, 0

    def __enter__(self):
        self.manager = self.cursor.copy(self.sql, writer=QueuedLibpqWriter(self.cursor))
        self.copy = self.manager.__enter__()
        return self

    def add(self, text: str, rows: int = 1) -> None:
        self.parts.append(text)
        self.size += len(text)
        self.rows += rows
        if self.size >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.copy.write("".join(self.parts).encode())
            self.parts, self.size = [], 0

    def __exit__(self, *exc):
        if exc[0] is None:
            self.flush()
        return self.manager.__exit__(*exc)


def raw_cursor():
    connection.ensure_connection()
    return connection.connection.cursor()


@contextmanager
def bulk_load(cursor, tables: list[str]):
    """One transaction around a bulk COPY into `tables`: without the deferred FK triggers (the
    generated rows are consistent; 10 million trigger events would cost more than the COPY;
    needs a superuser, as in the throwaway cluster) and without the plain indexes, which are
    built again from their own definitions after the COPY (one sorted build instead of a
    million scattered inserts). Constraint indexes (primary keys, unique) stay in place."""
    with transaction.atomic():
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        yield
        for _, definition in indexes:
            cursor.execute(definition)


def load_registry(plan: Plan, world: World, rng: random.Random, today: date) -> None:
    stamp = f"{today - timedelta(days=400)} 09:00:00+08"
    cur = raw_cursor()
    with bulk_load(cur, ["registry_person", "registry_insuranceaccount"]):
        with Copier(
            cur,
            "registry_person",
            "id, created_at, updated_at, id_number, name, status, hukou_region_id",
        ) as copy:
            for i in range(plan.persons):
                number = plan.id_numbers[i]
                copy.add(
                    f"{i + 1}\t{stamp}\t{stamp}\t{number}\t{plan.names[i]}\tactive\t{number[:6]}\n"
                )
        with Copier(
            cur,
            "registry_insuranceaccount",
            "id, created_at, updated_at, scheme, account_type, status, arrears_fen,"
            " individual_balance_fen, person_id, province_id, region_id",
        ) as copy:
            for i in range(plan.persons):
                for n, (status, province) in enumerate(
                    [("suspended", plan.out_p[i]), ("contributing", plan.in_p[i])], 1
                ):
                    copy.add(
                        f"{2 * i + n}\t{stamp}\t{stamp}\tenterprise\tgeneral\t{status}\t0\t"
                        f"{rng.randrange(0, 50_000_000)}\t{i + 1}\t{province}\t"
                        f"{world.county[province]}\n"
                    )
    set_sequences(["registry_person", "registry_insuranceaccount"])


def load_months(plan: Plan, rng: random.Random, today: date) -> int:
    employee, flexible = month_tails(today)
    last = len(employee)
    cur = raw_cursor()
    with (
        bulk_load(cur, ["registry_contributionmonth"]),
        Copier(
            cur,
            "registry_contributionmonth",
            "account_id, base_fen, month, identity, employer_rate, cleared",
        ) as copy,
    ):
        for i in range(plan.persons):
            n_out, n_in = plan.months[i]
            # Out account: the months before the in account's, which run to last month.
            for account, start, count in [
                (2 * i + 1, last - n_in - n_out, n_out),
                (2 * i + 2, last - n_in, n_in),
            ]:
                tails = flexible if rng.random() < 0.1 else employee
                prefix = f"{account}\t{rng.randrange(300_000, 2_500_000, 100)}\t"
                copy.add(prefix + prefix.join(tails[start : start + count]), count)
    return copy.rows


@dataclass
class LegSpec:
    person: int  # index
    out_p: str
    in_p: str
    status: str


def leg_specs(plan: Plan, world: World, rng: random.Random, args) -> tuple[list, list, dict]:
    """Phase "10k": the focus province's outgoing worklist alone (`small_legs` eligible legs).
    Phase "1m": everything else up to `legs` — `worklist_extra` more eligible legs of that
    worklist, the legs to be checked (one submitted leg per tested person) with those people's
    completed history (1 leg for 10 years, 4 for 40 years), and the bulk with a realistic spread
    of statuses and provinces. Returns (phase 10k, phase 1m, {group: [leg id]})."""
    provinces = world.provinces
    others = [p for p in provinces if p != FOCUS]
    person = iter(range(10**9))  # the bulk's legs go round the filler persons

    def filler() -> int:
        return next(person) % plan.filler

    def worklist_leg() -> LegSpec:
        return LegSpec(filler(), FOCUS, rng.choice(others), Status.ELIGIBLE)

    small = [worklist_leg() for _ in range(args.small_legs)]
    big = [worklist_leg() for _ in range(args.worklist_extra)]
    checked = []
    for i in range(plan.filler, plan.filler + 2 * plan.tested):
        history = 1 if plan.group(i) == "10y" else 4
        checked.append(LegSpec(i, plan.out_p[i], plan.in_p[i], Status.SUBMITTED))
        for _ in range(history):
            out_p = rng.choice(provinces)
            in_p = rng.choice([p for p in provinces if p != out_p])
            big.append(LegSpec(i, out_p, in_p, Status.COMPLETED))
    big += checked
    bulk = args.legs - len(small) - len(big)
    if bulk < 0:
        raise SystemExit("--legs is too small for the worklist and the checked legs")
    statuses, weights = zip(*SPREAD, strict=True)
    for status in rng.choices(statuses, weights, k=bulk):
        out_p = rng.choice(provinces)
        in_p = rng.choice(others if out_p == FOCUS else [p for p in provinces if p != out_p])
        big.append(LegSpec(filler(), out_p, in_p, status))
    rng.shuffle(big)  # ids of the worklist's legs interleave with the rest, as in real life
    groups = {"10y": [], "40y": []}  # leg ids: the small phase's legs come first, from id 1
    for n, spec in enumerate(big):
        if spec.status == Status.SUBMITTED and spec.person >= plan.filler:
            groups[plan.group(spec.person)].append(len(small) + n + 1)
    return small, big, groups


def load_legs(specs: list[LegSpec], first: int, plan: Plan, world: World, rng, today, total: int):
    """One application per leg (ids = leg ids), accepted at the incoming province's office."""
    days = 5 * 365
    apps, legs = [], []
    for n, spec in enumerate(specs):
        pk = first + n
        # Closed legs spread over five years (by id); open ones are from the last two months.
        age = rng.randint(0, 60) if spec.status in OPEN else days - (pk * days) // total
        created_day = today - timedelta(days=age)
        created = f"{created_day} 10:00:00+08"
        office = world.office_code[spec.in_p]
        number = f"{office}-{created_day:%Y%m%d}-{pk:07d}"
        i = spec.person
        apps.append(
            f"{pk}\t{created}\t{created}\t{number}\t{plan.names[i]}\t13800000000\t某某路1号\t"
            f"enterprise\twindow\tf\tself\t\t\tf\t{world.offices[spec.in_p]}\t{spec.in_p}\t"
            f"{world.county[spec.in_p]}\t{i + 1}\t{world.clerk.pk}\n"
        )
        deadline, overdue, completed, reasons, refuse = "\\N", "f", "\\N", "[]", ""
        if spec.status in OPEN:
            days_left = 14 if spec.status == Status.SUBMITTED else rng.randint(-30, 20)
            due = today + timedelta(days=days_left)
            deadline, overdue = str(due), "t" if due < today else "f"
        elif spec.status == Status.COMPLETED:
            completed = f"{min(created_day + timedelta(days=40), today)} 15:00:00+08"
        elif spec.status == Status.REJECTED:
            reasons = REJECTED_REASONS
        elif spec.status == Status.REFUSED:
            refuse = "OTHER"
        legs.append(
            f"{pk}\t{created}\t{created}\t{number}-1\tperiodic\tenterprise\t{spec.status}\t"
            f"{reasons}\t{refuse}\t{deadline}\t{overdue}\t{completed}\t{pk}\t{spec.in_p}\t\\N\t"
            f"{spec.out_p}\t{world.county[spec.out_p]}\n"
        )
    cur = raw_cursor()
    with bulk_load(cur, ["transfer_application", "transfer_transferleg"]):
        with Copier(
            cur,
            "transfer_application",
            "id, created_at, updated_at, application_no, name, phone, hukou_address, in_scheme,"
            " channel, manual, applicant_kind, agent_name, agent_id_number, power_of_attorney,"
            " accepting_office_id, in_province_id, in_region_id, person_id, submitted_by_id",
        ) as copy:
            for line in apps:
                copy.add(line)
        with Copier(
            cur,
            "transfer_transferleg",
            "id, created_at, updated_at, transfer_no, mode, out_scheme, status, reasons,"
            " refuse_code, deadline, overdue, completed_at, application_id, in_province_id,"
            " out_account_id, out_province_id, out_region_id",
        ) as copy:
            for line in legs:
                copy.add(line)
    set_sequences(["transfer_application", "transfer_transferleg"])


def set_sequences(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 1) FROM {table}))"
            )


def vacuum(tables: list[str]) -> None:
    """What a settled autovacuum leaves: statistics and a set visibility map (index-only scans).

    VACUUM marks a page all-visible only once every row on it has its "committed" hint bit, and
    PostgreSQL sets that bit only once the WAL is flushed up to the latest commit of the row's
    group of 32 transaction ids. `synchronous_commit` is off in the throwaway cluster, so the
    loads' commits are flushed first (CHECKPOINT) and the ANALYZEs here commit synchronously:
    otherwise one table's ANALYZE would keep the next table's pages from becoming all-visible."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        cursor.execute("CHECKPOINT" if cursor.fetchone()[0] else "SELECT pg_sleep(1)")
        cursor.execute("SET synchronous_commit = on")
        try:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
                cursor.execute(
                    "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class"
                    " WHERE oid = %s::regclass",
                    [table],
                )
                if (visible := cursor.fetchone()[0]) < 0.95:
                    log(f"note: only {visible:.0%} of {table}'s pages are all-visible")
        finally:
            cursor.execute("RESET synchronous_commit")


def clone_small_database(name: str) -> None:
    """The 10,000-leg state, kept as a second database to measure side by side with 1,000,000."""
    default = settings.DATABASES["default"]
    connections.close_all()
    conninfo = psycopg.conninfo.make_conninfo(
        host=default["HOST"] or None,
        port=default["PORT"] or None,
        user=default["USER"] or None,
        password=default["PASSWORD"] or None,
        dbname="postgres",
    )
    with psycopg.connect(conninfo, autocommit=True) as admin:
        for attempt in range(10):
            try:
                admin.execute(
                    f'CREATE DATABASE "{name}" TEMPLATE "{default["NAME"]}" STRATEGY FILE_COPY'
                )
                break
            except psycopg.errors.ObjectInUse:  # autovacuum on the template: retry
                time.sleep(1 + attempt)
        else:
            raise SystemExit("could not copy the database (still in use)")
    settings.DATABASES[SMALL] = {**default, "NAME": name}


# --- measurements --------------------------------------------------------------------------------


class ReadFrom:
    """A database router sending reads to `alias` (None: the default database), so that the
    selectors, which take no database argument, run unchanged on the 10,000-leg copy."""

    alias: str | None = None

    def db_for_read(self, model, **hints):
        return self.alias


READ = ReadFrom()


def worklist_page(scope, number: int) -> tuple[int, int, list[TransferLeg]]:
    """What a worklist page costs (transfer/views.py): the COUNT behind the paginator and the
    page's rows."""
    legs = selectors.worklist(scope=scope, name="outgoing")
    page = Paginator(legs, PAGE).get_page(number)
    rows = list(page.object_list)
    return page.number, page.paginator.count, rows


def check_page(rows: list[TransferLeg], number: int, count: int) -> None:
    expected = min(PAGE, count - (number - 1) * PAGE)
    keys = [(leg.deadline, leg.pk) for leg in rows]
    if len(rows) != expected or keys != sorted(keys):
        raise SystemExit(f"worklist page {number}: {len(rows)} rows, expected {expected} in order")
    if any(leg.status != Status.ELIGIBLE or leg.out_province_id != FOCUS for leg in rows):
        raise SystemExit(f"worklist page {number}: a leg outside the worklist")
    if not all(leg.application.person.id_number and leg.out_region.name for leg in rows):
        raise SystemExit(f"worklist page {number}: incomplete rows")


def measure_worklist(reviewer, rounds: int) -> dict:
    """Page 1 and page 1,000 of the worklist, and the worklist counts every reviewer page shows
    (`selectors.worklist_counts`, from the page shell's context processor), on both databases,
    alternating."""
    scope = scope_for(reviewer)
    kinds = ["first", "deep", "counts"]
    times = {(db, kind): [] for db in ("10k", "1m") for kind in kinds}
    served = {}
    aliases = {"10k": SMALL, "1m": None}
    router.routers.insert(0, READ)
    try:
        for r in range(rounds + 2):  # two untimed rounds warm both databases' caches
            for db in ["10k", "1m"] if r % 2 else ["1m", "10k"]:
                READ.alias = aliases[db]
                for kind in kinds:
                    gc.collect()
                    started = time.perf_counter()
                    if kind == "counts":
                        counts = selectors.worklist_counts(scope=scope)
                    else:
                        page_no, count, rows = worklist_page(
                            scope, DEEP_PAGE if kind == "deep" else 1
                        )
                    elapsed = time.perf_counter() - started
                    if r >= 2:
                        times[(db, kind)].append(elapsed)
                    elif kind == "counts":
                        if counts["outgoing"]["total"] != served[(db, "first")][1]:
                            raise SystemExit(f"worklist counts {counts} disagree with the pages")
                    else:
                        check_page(rows, page_no, count)
                        served[(db, kind)] = (page_no, count)
    finally:
        router.routers.remove(READ)
        READ.alias = None
    result = {}
    for db in ("10k", "1m"):
        result[db] = {
            "worklist_legs": served[(db, "first")][1],
            "first_page_ms": ms(statistics.median(times[(db, "first")])),
            "page_1000_ms": ms(statistics.median(times[(db, "deep")])),
            "page_1000_served": served[(db, "deep")][0],
            "counts_ms": ms(statistics.median(times[(db, "counts")])),
            "first_page_p95_ms": ms(p95(times[(db, "first")])),
            "page_1000_p95_ms": ms(p95(times[(db, "deep")])),
            "counts_p95_ms": ms(p95(times[(db, "counts")])),
        }
    return result


def explain_deep_page(reviewer) -> None:
    """EXPLAIN ANALYZE of page 1,000's queries and the counts' at 1,000,000 legs (--explain)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        worklist_page(scope_for(reviewer), DEEP_PAGE)
        selectors.worklist_counts(scope=scope_for(reviewer))
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            log(query["sql"][:300])
            for (line,) in cursor.fetchall():
                log("    " + line)


def measure_eligibility(groups: dict[str, list[int]], checks: int, warmup: int = 10) -> dict:
    """Alternate a 10-year and a 40-year person's leg; each check commits like the task does."""
    if min(len(legs) for legs in groups.values()) < warmup + checks:
        raise SystemExit("--checks is too large for --tested-persons")
    ids = groups
    times = {"10y": [], "40y": []}
    for n in range(warmup + checks):
        for group in ("10y", "40y") if n % 2 else ("40y", "10y"):
            leg_id = ids[group][n]
            gc.collect()
            started = time.perf_counter()
            leg = services.leg_check_eligibility(leg_id=leg_id)
            elapsed = time.perf_counter() - started
            if leg.status != Status.ELIGIBLE:
                raise SystemExit(f"leg {leg_id} ({group}) failed its check: {leg.reasons}")
            if n >= warmup:
                times[group].append(elapsed)
    return {
        g: {"median_ms": ms(statistics.median(t)), "p95_ms": ms(p95(t)), "n": len(t)}
        for g, t in times.items()
    }


# --- intake over HTTP ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """settings.prod under gunicorn on loopback; stopped (by its pid) whatever happens."""

    def __init__(self, workers: int, logdir: str):
        self.port = free_port()
        self.log_path = Path(logdir) / "gunicorn.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "settings.prod",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_MEDIA_ROOT": str(Path(logdir) / "media"),
            "DJANGO_STATIC_ROOT": str(Path(logdir) / "static"),
        }
        self.log_file = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "settings.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, token: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/offices/?page_size=1", headers=auth(token))
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer:\n{self.tail()}")

    def tail(self) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the master stops its workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session, started here
                self.process.wait(5)
        self.log_file.close()


def _die_with_parent() -> None:
    """In the gunicorn child: get SIGTERM if this script dies without its `finally` (Linux)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def auth(token: str) -> dict:
    return {"Authorization": f"Token {token}", "Accept": "application/json"}


@dataclass
class Load:
    ok: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    slices: list[float] = field(default_factory=list)  # requests/s of each slice


def drive(port: int, token: str, next_request, seconds: float, concurrency: int, load: Load):
    """`concurrency` client threads, each on its own connection, for `seconds` (or until
    `next_request` runs dry); adds to `load`."""
    headers = {**auth(token), "Content-Type": "application/json"}
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    ok = [0]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, errors = [], []
        try:
            while time.perf_counter() < stop_at:
                with lock:
                    request = next_request()
                if request is None:
                    break
                method, path, body, expect = request
                started = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, data = None, repr(exc).encode()
                elapsed = time.perf_counter() - started
                if status == expect:
                    latencies.append(elapsed)
                else:
                    errors.append(f"{method} {path}: {status} {data[:300]!r}")
        finally:
            conn.close()
            with lock:
                ok[0] += len(latencies)
                load.latencies.extend(latencies)
                load.errors.extend(errors)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    load.ok += ok[0]
    load.seconds += elapsed
    load.slices.append(ok[0] / elapsed)


def intake_bodies(plan: Plan, world: World) -> list[bytes]:
    first = plan.filler + 2 * plan.tested
    return [
        json.dumps(
            {
                "id_number": plan.id_numbers[i],
                "name": plan.names[i],
                "phone": "13900000000",
                "hukou_address": "某某路2号",
                "in_scheme": "enterprise",
                "in_region": world.county[plan.in_p[i]],
                "outs": [{"scheme": "enterprise", "region": world.county[plan.out_p[i]]}],
                "channel": "window",
            },
            ensure_ascii=False,
        ).encode()
        for i in range(first, first + plan.intake)
    ]


def measure_intake(world: World, bodies: list[bytes], args) -> dict:
    remaining = iter(bodies)

    def post():
        body = next(remaining, None)
        return None if body is None else ("POST", "/api/v1/transfer-applications/", body, 201)

    def get():
        return ("GET", "/api/v1/offices/?page_size=1", None, 200)

    loads = {"get": Load(), "post": Load()}
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as tmp:
        server = Gunicorn(args.workers, tmp)
        try:
            server.wait_ready(world.token)
            warm = Load()
            drive(server.port, world.token, get, 1, args.concurrency, warm)
            drive(server.port, world.token, post, 1, args.concurrency, warm)
            if warm.errors:
                raise SystemExit("warm-up errors:\n" + "\n".join(warm.errors[:5]))
            share = args.load_seconds / args.slices
            for n in range(args.slices):
                for kind in ("get", "post") if n % 2 == 0 else ("post", "get"):
                    request = get if kind == "get" else post
                    drive(server.port, world.token, request, share, args.concurrency, loads[kind])
                get_rate, post_rate = loads["get"].slices[-1], loads["post"].slices[-1]
                log(f"  slice {n + 1:2}: GET {get_rate:6.1f} req/s, POST {post_rate:6.1f} req/s")
            if next(remaining, None) is None:
                log("note: every prepared intake person was used: raise --intake-persons")
        finally:
            if any(load.errors for load in loads.values()):
                log(server.tail())
            server.stop()
    result = {}
    for kind, load in loads.items():
        if load.errors:
            log(f"{kind}: {len(load.errors)} errors, first: {load.errors[0]}")
        result[kind] = {
            "requests": load.ok,
            "rps": round(load.ok / load.seconds, 1),
            "rps_slices_median": round(statistics.median(load.slices), 1),
            "errors": len(load.errors),
            "p50_ms": ms(statistics.median(load.latencies)),
            "p95_ms": ms(p95(load.latencies)),
        }
    # Slice n of each kind ran back to back: their ratios are less exposed to the machine's
    # swings than the ratio of the totals (reported beside it, not the target).
    pairs = zip(loads["post"].slices, loads["get"].slices, strict=True)
    result["post_vs_get_slice_median"] = round(statistics.median(p / g for p, g in pairs), 3)
    return result


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--small-legs", type=int, default=10_000, help="legs of the small copy")
    parser.add_argument("--worklist-extra", type=int, default=40_000)
    parser.add_argument("--filler-persons", type=int, default=250_000)
    parser.add_argument("--tested-persons", type=int, default=2_000, help="per history length")
    parser.add_argument("--intake-persons", type=int, default=12_000)
    parser.add_argument("--checks", type=int, default=400, help="eligibility checks per group")
    parser.add_argument("--rounds", type=int, default=30, help="worklist rounds")
    parser.add_argument("--load-seconds", type=float, default=20, help="per request kind")
    parser.add_argument("--slices", type=int, default=10, help="alternating load slices")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE page 1,000")
    parser.add_argument("--quick", action="store_true", help="a small run to try the script")
    args = parser.parse_args()
    if args.quick:
        args.legs, args.worklist_extra, args.filler_persons = 100_000, 45_000, 20_000
        args.tested_persons, args.intake_persons, args.checks = 300, 2_000, 100
        args.rounds, args.load_seconds = 5, 4
    if connection.vendor != "postgresql":
        raise SystemExit("bench needs PostgreSQL: run it through scripts/test-services.sh")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks

    begun = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Person.objects.exists() or TransferLeg.objects.exists() or Office.objects.exists():
        raise SystemExit("bench needs an empty database (scripts/test-services.sh gives one)")
    with connection.cursor() as cursor:
        # The script vacuums what it loads itself: no autovacuum may hold back the horizon of
        # those VACUUMs nor run beside the measurements (the scratch database only).
        for table in LOADED:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
    rng = random.Random(SEED)
    today = timezone.localdate()

    started = time.perf_counter()
    world = make_world()
    plan = make_plan(world, rng, args.filler_persons, args.tested_persons, args.intake_persons)
    small, big, groups = leg_specs(plan, world, rng, args)
    load_registry(plan, world, rng, today)
    load_legs(small, 1, plan, world, rng, today, args.legs)
    vacuum(["registry_person", "registry_insuranceaccount", "transfer_application",
            "transfer_transferleg"])  # fmt: skip
    log(
        f"registry: {plan.persons:,} persons, {2 * plan.persons:,} accounts; "
        f"{len(small):,} legs ({time.perf_counter() - started:.1f} s)"
    )
    started = time.perf_counter()
    small_db = f"{settings.DATABASES['default']['NAME']}_10k"
    clone_small_database(small_db)
    elapsed = time.perf_counter() - started
    log(f"copied the {len(small):,}-leg state to database {small_db} ({elapsed:.1f} s)")

    started = time.perf_counter()
    months = load_months(plan, rng, today)
    log(f"contribution months: {months:,} ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    load_legs(big, 1 + len(small), plan, world, rng, today, args.legs)
    log(f"legs: +{len(big):,} ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    vacuum(["registry_contributionmonth", "transfer_application", "transfer_transferleg"])
    log(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    bodies = intake_bodies(plan, world)
    del small, big  # the generated rows: keep the collections in the loops below short
    gc.collect()
    gc.freeze()
    legs_total = TransferLeg.objects.count()
    months_total = months
    elapsed = time.perf_counter() - begun
    log(f"data ready after {elapsed:.0f} s: {legs_total:,} legs, {months_total:,} months")

    # Worklist: 10,000 legs (copy) vs 1,000,000 legs, alternating.
    worklist = measure_worklist(world.reviewer, args.rounds)
    for name, w in worklist.items():
        log(
            f"worklist {name:>3}: {w['worklist_legs']:,} legs in the worklist; first page "
            f"{w['first_page_ms']} ms (p95 {w['first_page_p95_ms']}), page 1000 (served as page "
            f"{w['page_1000_served']}) {w['page_1000_ms']} ms (p95 {w['page_1000_p95_ms']}); "
            f"worklist counts {w['counts_ms']} ms (p95 {w['counts_p95_ms']})"
        )
    if args.explain:
        explain_deep_page(world.reviewer)
    connections[SMALL].close()

    # Eligibility: 10 years vs 40 years of history, alternating.
    eligibility = measure_eligibility(groups, args.checks)
    for group, e in eligibility.items():
        log(f"eligibility {group}: median {e['median_ms']} ms, p95 {e['p95_ms']} ms (n={e['n']})")

    # Intake over HTTP.
    connections.close_all()
    log(
        f"intake: gunicorn settings.prod, {args.workers} workers, {args.concurrency} client "
        f"threads, {args.slices} alternating slices, {args.load_seconds:g} s per kind"
    )
    intake = measure_intake(world, bodies, args)
    for kind in ("get", "post"):
        r = intake[kind]
        log(
            f"intake {kind:4}: {r['rps']} req/s ({r['requests']} requests, {r['errors']} errors),"
            f" p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms"
        )
    log(f"intake POST/GET, median of the slices' ratios: {intake['post_vs_get_slice_median']}")

    eligibility_ratio = eligibility["40y"]["median_ms"] / eligibility["10y"]["median_ms"]
    worklist_ratio = worklist["1m"]["page_1000_ms"] / worklist["10k"]["page_1000_ms"]
    first_ratio = worklist["1m"]["first_page_ms"] / worklist["10k"]["first_page_ms"]
    counts_ratio = worklist["1m"]["counts_ms"] / worklist["10k"]["counts_ms"]
    intake_ratio = intake["post"]["rps"] / intake["get"]["rps"]
    log(
        f"eligibility 40y/10y {eligibility_ratio:.3f} (target <= 1.5); worklist 1m/10k page 1000 "
        f"{worklist_ratio:.3f} (target <= 1.5), first page {first_ratio:.3f}, counts "
        f"{counts_ratio:.3f}; intake/trivial "
        f"{intake_ratio:.3f} (target >= 0.4); total {time.perf_counter() - begun:.0f} s"
    )
    errors = intake["post"]["errors"] + intake["get"]["errors"]
    print(
        json.dumps(
            {
                "eligibility_ratio_40y_vs_10y": round(eligibility_ratio, 3),
                "worklist_ratio_1m_vs_10k": round(worklist_ratio, 3),
                "intake_vs_trivial": round(intake_ratio, 3),
                "worklist_first_page_ratio_1m_vs_10k": round(first_ratio, 3),
                "worklist_counts_ratio_1m_vs_10k": round(counts_ratio, 3),
                "eligibility_ms": eligibility,
                "worklist_ms": worklist,
                "intake": intake,
                "legs": legs_total,
                "contribution_months": months_total,
                "persons": plan.persons,
                "seconds": round(time.perf_counter() - begun),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
