"""Benchmark: a bounded mixed staff load on the whole stack — gunicorn, PostgreSQL, Redis, Celery.

    make bench-load   # bash scripts/test-services.sh .venv/bin/python bench/load.py

On loopback: gunicorn (bench.load_settings = settings.test with CELERY_TASK_ALWAYS_EAGER off,
2 workers) and ONE Celery worker process (solo pool) on the throwaway PostgreSQL and Redis of
scripts/test-services.sh. Seeds `seed_demo` (300 persons, demo logins) plus --persons persons
prepared to pass the eligibility check (suspended in 吉林 or 广东, contributing in 北京 海淀), then
runs --threads client threads for --seconds with API tokens, each request drawn from the mix:

* read (50%): worklists (`GET /api/v1/transfers/?status=…` of the reviewers, the HTML
  `/transfers/work/outgoing/` with a session), case pages (`GET /api/v1/transfers/<no>/`),
  progress queries (`GET /api/v1/progress/?id_number=`);
* submit (20%): `POST /api/v1/transfer-applications/` by demo_clerk (queues a check to the worker);
* action (30%): `info-sheet` by the outgoing reviewer on legs seen `eligible`, `confirm` by
  demo_reviewer on legs seen `info_uploaded` (what a response last showed; racing threads get 409).

409s are counted apart (expected: two threads on one leg); errors = 5xx, other unexpected
statuses, connection failures (target 0). Afterwards waits for the queue to drain (`LLEN celery`
= 0 and no submitted leg left `submitted`) and reports the backlog at the stop, the drain time
and the check lag (submission → the worker's transition, from django-fsm-log). Last line: JSON.
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import suppress
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings.test"  # seeding runs here, eagerly

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django_fsm_log.models import StateLog  # noqa: E402

from registry.models import ContributionMonth, InsuranceAccount, Person, Region  # noqa: E402
from registry.validators import make_id_number  # noqa: E402
from transfer.models import Status, TransferLeg  # noqa: E402

PASSWORD = "demo12345"
SEED = 20261205
OUT = {"220000": ("220102", "jl_reviewer"), "440000": ("440106", "gd_reviewer")}
IN_REGION, IN_REVIEWER, CLERK = "110108", "demo_reviewer", "demo_clerk"
STALE = "?"  # a 409 said the leg moved: a later read tells where
MIX = (("read", 50), ("submit", 20), ("action", 30))


def log(message: str) -> None:
    print(message, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def pct(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return ms(values[0])
    return ms(statistics.quantiles(values, n=100, method="inclusive")[q - 1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- data ----------------------------------------------------------------------------------------


def seed(count: int) -> list[dict]:
    """seed_demo, then `count` persons a check passes: one leg each, 吉林/广东 → 北京 海淀."""
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    regions = {
        r.code: r
        for r in Region.objects.filter(
            code__in=["220102", "440106", "220000", "440000", "110108", "110000", "110101"]
        )
    }
    taken = set(Person.objects.values_list("id_number", flat=True))
    persons, plan = [], []
    n = 0
    while len(persons) < count:
        number = make_id_number(
            "110101", date(1975, 1, 1) + timedelta(days=n // 500), 500 + n % 500
        )
        n += 1
        if number in taken:
            continue
        province = "220000" if len(persons) % 2 == 0 else "440000"
        persons.append(
            Person(
                id_number=number,
                name=f"压测{len(persons)}号",
                hukou_region=regions["110101"],
                status=Person.Status.ACTIVE,
            )
        )
        plan.append(province)
    Person.objects.bulk_create(persons)
    accounts, months, bodies = [], [], []
    for person, province in zip(persons, plan, strict=True):
        out_region = OUT[province][0]
        out = InsuranceAccount(
            person=person,
            region=regions[out_region],
            province=regions[province],
            scheme="enterprise",
            account_type="general",
            status=InsuranceAccount.Status.SUSPENDED,
            arrears_fen=0,
            individual_balance_fen=500_000,
        )
        into = InsuranceAccount(
            person=person,
            region=regions[IN_REGION],
            province=regions["110000"],
            scheme="enterprise",
            account_type="general",
            status=InsuranceAccount.Status.CONTRIBUTING,
            arrears_fen=0,
            individual_balance_fen=0,
        )
        accounts += [out, into]
        bodies.append(
            {
                "province": province,
                "id_number": person.id_number,
                "body": json.dumps(
                    {
                        "id_number": person.id_number,
                        "name": person.name,
                        "phone": "13800000000",
                        "hukou_address": "北京市东城区某街道1号",
                        "in_scheme": "enterprise",
                        "in_region": IN_REGION,
                        "outs": [{"scheme": "enterprise", "region": out_region}],
                        "channel": "window",
                    },
                    ensure_ascii=False,
                ).encode(),
            }
        )
    InsuranceAccount.objects.bulk_create(accounts)
    for out, into in zip(accounts[::2], accounts[1::2], strict=True):
        for month in (date(2020, 1, 1), date(2020, 2, 1)):
            months.append(
                ContributionMonth(
                    account=out,
                    month=month,
                    base_fen=500_000,
                    identity=ContributionMonth.Identity.EMPLOYEE,
                )
            )
        months.append(
            ContributionMonth(
                account=into,
                month=date(2024, 1, 1),
                base_fen=800_000,
                identity=ContributionMonth.Identity.EMPLOYEE,
            )
        )
    ContributionMonth.objects.bulk_create(months)
    return bodies


def session_cookie(username: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- processes -----------------------------------------------------------------------------------


def start(cmd: list[str], logdir: str, name: str) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.load_settings", "PYTHONPATH": str(ROOT)}
    path = Path(logdir) / f"{name}.log"
    with open(path, "w") as out:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return process, path


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session, started here
            process.wait(5)


def tail(path: Path) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-30:])


def request(port, method, path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def token(port: int, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    status, data = request(
        port, "POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"}
    )
    if status != 200:
        raise SystemExit(f"token for {username}: {status} {data[:200]!r}")
    return json.loads(data)["token"]


def wait_ready(port: int, process: subprocess.Popen, path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with suppress(OSError, http.client.HTTPException):
            if request(port, "GET", "/health/", timeout=5)[0] == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer:\n{tail(path)}")


def wait_worker(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if " ready." in path.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise SystemExit(f"celery worker not ready:\n{tail(path)}")


# --- the load ------------------------------------------------------------------------------------


class State:
    """What the clients know: prepared bodies, legs and the status a response last showed."""

    def __init__(self, bodies: list[dict], rng: random.Random):
        self.lock = threading.Lock()
        self.bodies = bodies
        self.rng = rng
        self.legs: dict[str, dict] = {}  # transfer_no -> {"status", "province", "id_number"}
        self.submitted: list[str] = []

    def note(self, data: bytes) -> None:
        with suppress(ValueError, TypeError):
            payload = json.loads(data)
            items = payload.get("transfers") or [payload]
            with self.lock:
                for item in items:
                    leg = self.legs.get(item.get("transfer_no"))
                    if leg is not None and "status" in item:
                        leg["status"] = item["status"]

    def pick(self, *statuses: str) -> tuple[str, dict] | None:
        with self.lock:
            numbers = [
                n for n, leg in self.legs.items() if not statuses or leg["status"] in statuses
            ]
            if not numbers:
                return None
            number = self.rng.choice(numbers)
            return number, self.legs[number]


def run_load(port: int, tokens: dict, cookie: str, state: State, seconds: float, threads: int):
    stats = defaultdict(lambda: {"lat": [], "ok": 0, "conflict": 0, "errors": 0})
    error_samples: list[str] = []
    conflict_codes: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    kinds = [k for k, w in MIX for _ in range(w)]

    def choose(rng: random.Random):
        """(kind, user, method, path, body, expected, leg_no) for the next request."""
        kind = rng.choice(kinds)
        if kind == "submit":
            with state.lock:
                item = state.bodies.pop() if state.bodies else None
            if item is not None:
                return ("submit", CLERK, "POST", "/api/v1/transfer-applications/", item, 201)
            kind = "action"  # pool empty: fall through to an action
        if kind == "action":
            picked = state.pick(Status.INFO_UPLOADED) if rng.random() < 0.5 else None
            if picked:
                number, _ = picked
                return (
                    "confirm",
                    IN_REVIEWER,
                    "POST",
                    f"/api/v1/transfers/{number}/confirm/",
                    b"{}",
                    200,
                )
            picked = state.pick(Status.ELIGIBLE) or state.pick(Status.INFO_UPLOADED)
            if picked:
                number, leg = picked
                if leg["status"] == Status.INFO_UPLOADED:
                    return (
                        "confirm",
                        IN_REVIEWER,
                        "POST",
                        f"/api/v1/transfers/{number}/confirm/",
                        b"{}",
                        200,
                    )
                return (
                    "info_sheet",
                    OUT[leg["province"]][1],
                    "POST",
                    f"/api/v1/transfers/{number}/info-sheet/",
                    b"{}",
                    200,
                )
            kind = "read"  # nothing ready yet
        roll = rng.random()
        # A clerk polls what has not left `submitted` (and what a 409 left unknown) most.
        picked = (rng.random() < 0.7 and state.pick(Status.SUBMITTED, STALE)) or state.pick()
        if roll < 0.3 or picked is None:
            status, user = rng.choice(
                [
                    ("eligible", "jl_reviewer"),
                    ("eligible", "gd_reviewer"),
                    ("info_uploaded", IN_REVIEWER),
                    ("submitted", CLERK),
                ]
            )
            return ("worklist_api", user, "GET", f"/api/v1/transfers/?status={status}", None, 200)
        if roll < 0.45:
            return ("worklist_html", "session", "GET", "/transfers/work/outgoing/", None, 200)
        number, leg = picked
        if roll < 0.75:
            return ("case", CLERK, "GET", f"/api/v1/transfers/{number}/", None, 200)
        return (
            "progress",
            CLERK,
            "GET",
            f"/api/v1/progress/?id_number={leg['id_number']}",
            None,
            200,
        )

    def client(n: int):
        rng = random.Random(SEED + n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < stop_at:
                kind, user, method, path, body, expect = choose(rng)
                item = None
                number = path.split("/")[4] if kind in ("info_sheet", "confirm") else None
                if kind == "submit":
                    item, body = body, body["body"]
                if user == "session":
                    headers = {"Cookie": cookie, "Accept": "text/html"}
                else:
                    headers = {
                        "Authorization": f"Token {tokens[user]}",
                        "Accept": "application/json",
                        "Content-Type": "application/json",
                    }
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
                with lock:
                    s = stats[kind]
                    if status == expect:
                        s["ok"] += 1
                        s["lat"].append(elapsed)
                    elif status == 409:
                        s["conflict"] += 1
                        s["lat"].append(elapsed)
                        with suppress(ValueError, AttributeError):
                            conflict_codes[json.loads(data).get("code")] += 1
                    else:
                        s["errors"] += 1
                        if len(error_samples) < 10:
                            error_samples.append(f"{method} {path}: {status} {data[:300]!r}")
                if status == expect and kind == "submit":
                    legs = json.loads(data)["transfers"]
                    with state.lock:
                        for leg in legs:
                            state.legs[leg["transfer_no"]] = {
                                "status": leg["status"],
                                "province": item["province"],
                                "id_number": item["id_number"],
                            }
                            state.submitted.append(leg["transfer_no"])
                elif status == 200 and kind in ("case", "progress", "info_sheet", "confirm"):
                    state.note(data)
                elif status == 409 and number is not None:
                    with state.lock:
                        state.legs[number]["status"] = STALE
        finally:
            conn.close()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return stats, time.perf_counter() - started, error_samples, dict(conflict_codes)


def summarize(stats: dict, elapsed: float) -> dict:
    every = [x for s in stats.values() for x in s["lat"]]
    total = sum(s["ok"] + s["conflict"] + s["errors"] for s in stats.values())
    result = {
        "requests": total,
        "rps": round(total / elapsed, 1),
        "p50_ms": pct(every, 50),
        "p95_ms": pct(every, 95),
        "p99_ms": pct(every, 99),
        "errors": sum(s["errors"] for s in stats.values()),
        "conflicts_409": sum(s["conflict"] for s in stats.values()),
        "kinds": {},
    }
    for kind in sorted(stats):
        s = stats[kind]
        n = s["ok"] + s["conflict"] + s["errors"]
        result["kinds"][kind] = {
            "requests": n,
            "rps": round(n / elapsed, 1),
            "p50_ms": pct(s["lat"], 50),
            "p95_ms": pct(s["lat"], 95),
            "p99_ms": pct(s["lat"], 99),
            "errors": s["errors"],
            "conflicts_409": s["conflict"],
        }
    return result


def drain(submitted: list[str], timeout: float) -> tuple[float, int, int]:
    """Seconds until `LLEN celery` is 0 and none of `submitted` is still `submitted`."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    started = time.perf_counter()
    while True:
        queued = client.llen("celery")
        pending = TransferLeg.objects.filter(
            transfer_no__in=submitted, status=Status.SUBMITTED
        ).count()
        elapsed = time.perf_counter() - started
        if (queued == 0 and pending == 0) or elapsed > timeout:
            return elapsed, queued, pending
        time.sleep(0.2)


def check_lag(submitted: list[str]) -> dict:
    """Submission commit → the worker's check transition (django-fsm-log row), per leg."""
    legs = dict(
        TransferLeg.objects.filter(transfer_no__in=submitted).values_list("pk", "created_at")
    )
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(TransferLeg),
        object_id__in=list(legs),
        source_state=Status.SUBMITTED,
    ).values_list("object_id", "timestamp")
    lags = [(at - legs[int(pk)]).total_seconds() for pk, at in logs]
    return {
        "checked": len(lags),
        "p50_ms": pct(lags, 50),
        "p95_ms": pct(lags, 95),
        "max_ms": ms(max(lags)) if lags else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--persons", type=int, default=1500, help="submit-ready persons")
    parser.add_argument("--drain-timeout", type=float, default=300)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or "REDIS_URL" not in os.environ:
        raise SystemExit(
            "bench needs PostgreSQL and Redis: run it through scripts/test-services.sh"
        )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    begun = time.perf_counter()
    bodies = seed(args.persons)
    random.Random(SEED).shuffle(bodies)
    log(
        f"seeded seed_demo + {len(bodies)} submit-ready persons "
        f"({time.perf_counter() - begun:.0f} s)"
    )
    cookie = session_cookie("jl_reviewer")
    connections.close_all()

    bindir = Path(sys.executable).parent
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        web, web_log = start(
            [
                str(bindir / "gunicorn"),
                "settings.wsgi:application",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            tmp,
            "gunicorn",
        )
        worker, worker_log = start(
            [
                str(bindir / "celery"),
                "-A",
                "settings.celery",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            tmp,
            "celery",
        )
        try:
            wait_ready(port, web, web_log)
            wait_worker(worker_log, worker)
            users = [CLERK, IN_REVIEWER] + [reviewer for _, reviewer in OUT.values()]
            tokens = {user: token(port, user) for user in users}
            state = State(bodies, random.Random(SEED))
            log(
                f"load: {args.threads} threads, {args.seconds:g} s, gunicorn {args.workers} "
                f"workers, 1 celery worker (solo)"
            )
            stats, elapsed, samples, conflict_codes = run_load(
                port, tokens, cookie, state, args.seconds, args.threads
            )
            backlog = drain(state.submitted, 0)[1:]  # (queued, still submitted) at the stop
            drained, queued, pending = drain(state.submitted, args.drain_timeout)
            worker_alive = worker.poll() is None
        finally:
            stop(web)
            stop(worker)
            if "stats" not in locals() or summarize(stats, 1)["errors"]:
                log(
                    f"--- gunicorn log tail\n{tail(web_log)}\n"
                    f"--- celery log tail\n{tail(worker_log)}"
                )
    result = summarize(stats, elapsed)
    result["seconds"] = round(elapsed, 1)
    result["threads"] = args.threads
    result["submitted_legs"] = len(state.submitted)
    result["conflict_codes"] = conflict_codes
    result["backlog_at_stop"] = {"queued": backlog[0], "submitted": backlog[1]}
    result["drain_s"] = round(drained, 2)
    result["drained"] = queued == 0 and pending == 0
    result["left_queued"], result["left_submitted"] = queued, pending
    counts = dict(
        TransferLeg.objects.filter(transfer_no__in=state.submitted)
        .values_list("status")
        .annotate(n=django.db.models.Count("id"))
    )
    result["submitted_legs_by_status"] = counts
    result["check_lag"] = lag = check_lag(state.submitted)
    for kind, k in result["kinds"].items():
        log(
            f"  {kind:13} {k['requests']:6} req {k['rps']:7.1f} req/s  p50 {k['p50_ms']:7.1f} "
            f"p95 {k['p95_ms']:7.1f} p99 {k['p99_ms']:7.1f} ms  409 {k['conflicts_409']:4}  "
            f"errors {k['errors']}"
        )
    log(
        f"  {'all':13} {result['requests']:6} req {result['rps']:7.1f} req/s  p50 "
        f"{result['p50_ms']:7.1f} p95 {result['p95_ms']:7.1f} p99 {result['p99_ms']:7.1f} ms  "
        f"409 {result['conflicts_409']:4}  errors {result['errors']}"
    )
    log(f"409 codes: {conflict_codes}")
    log(
        f"at the stop: {backlog[0]} queued, {backlog[1]} legs still submitted; "
        f"drain: {result['drain_s']} s (queue {queued}, still submitted {pending}); "
        f"submitted legs by status {counts}; worker alive {worker_alive}"
    )
    log(
        f"check lag (submission → eligible/rejected by the worker): p50 {lag['p50_ms']} ms, "
        f"p95 {lag['p95_ms']} ms, max {lag['max_ms']} ms over {lag['checked']} legs"
    )
    for sample in samples:
        log(f"error: {sample}")
    print(json.dumps(result, ensure_ascii=False), flush=True)
    if result["errors"] or not result["drained"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
