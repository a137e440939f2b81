"""Benchmark: the monthly clearing batch at 1,000,000 obligations, beside a bare GROUP BY.

    make bench-clearing   # bash scripts/test-services.sh .venv/bin/python bench/clearing.py
    bash scripts/test-services.sh .venv/bin/python bench/clearing.py --quick   # small, ~10 s

Generates (fixed seed, COPY straight into `clearing_obligation`) 1,000,000 obligations between the
32 settlement units in the month before last and 100,000 in the month before that (both months
have ended; the two sets live side by side in one table), with the pairs skewed by province, then
measures:

* first run — `clearing.services.clearing_period_run(actor=None, …)`, as the beat calls it, once
  per month in a fresh process (`open → calculated`: the GROUP BY, the netting, the checksum, the
  results written, the audit row, commit); that process reports its peak RSS (VmHWM: Linux
  carries `ru_maxrss` over from the parent across fork and exec, so it would show the loader's
  size), and so does a second fresh process per month at the end (a rerun);
* batch vs bare — in this process, alternating, `--rounds` reruns of the batch (a rerun does the
  same GROUP BY and checksum, and compares the checksum with the stored one) and a bare
  `SELECT payer_id, payee_id, count(*), sum(individual_fen + pooled_fen) FROM clearing_obligation
  WHERE period = … GROUP BY payer_id, payee_id` over the same rows, at both sizes; medians.

The last line is JSON with `batch_vs_bare_groupby` (batch ÷ bare at 1,000,000, target <= 1.5),
`scaling_1m_vs_100k` (batch at 1,000,000 ÷ at 100,000, <= 12), `peak_rss_mb_1m` and
`peak_rss_mb_100k` (their difference <= 50 MB) and the raw figures.
Needs DATABASE_URL / REDIS_URL of a scratch PostgreSQL and Redis (scripts/test-services.sh).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from clearing.models import ClearingPeriod, Obligation, PairTotal, PeriodStatus  # noqa: E402
from clearing.services import clearing_period_run, month_of, pair_totals  # noqa: E402
from clearing.services import previous_month as month_before  # noqa: E402
from registry.models import Region  # noqa: E402

SEED = 20261204
TABLE = Obligation._meta.db_table
BARE = (
    f"SELECT payer_id, payee_id, count(*), sum(individual_fen + pooled_fen) FROM {TABLE}"
    " WHERE period = %s GROUP BY payer_id, payee_id"
)
INDIVIDUAL_MAX, POOLED_MAX = 5_000_000, 2_000_000  # fen, inclusive
CHUNK = 8 << 20  # bytes per COPY write
SIZES = ("100k", "1m")


def log(message: str) -> None:
    print(message, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


def memory_mb() -> dict[str, float]:
    """This process's resident set now (VmRSS) and at its peak (VmHWM), from /proc (Linux).

    The peak is that of the process image since its exec. `ru_maxrss` is not: Linux keeps it
    across fork and exec, so a child of the loader would start at the loader's size."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {key: round(int(fields[key].split()[0]) / 1024, 1) for key in ("VmRSS", "VmHWM")}


# --- the fresh process: one batch, its peak RSS ---------------------------------------------------


def child(month: date) -> None:
    """Run the batch once in this (fresh) process; print its time and peak RSS as JSON."""
    before = memory_mb()["VmRSS"]
    gc.collect()
    started = time.perf_counter()
    period = clearing_period_run(actor=None, month=month)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "ms": ms(elapsed),
                "peak_rss_mb": memory_mb()["VmHWM"],
                "rss_before_batch_mb": before,
                "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "obligations": period.obligation_count,
                "run_count": period.run_count,
                "checksum": period.checksum,
            }
        ),
        flush=True,
    )


def run_child(month: date) -> dict:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", month.isoformat()],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the batch process for {month:%Y-%m} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- data -----------------------------------------------------------------------------------------


def raw_cursor():
    connection.ensure_connection()
    return connection.connection.cursor()


@contextmanager
def bulk_load(cursor, table: str):
    """One transaction around a bulk COPY: without the deferred FK triggers (the rows are
    consistent; needs a superuser, as in the throwaway cluster) and without the plain indexes,
    which are built again from their definitions afterwards (constraint indexes stay)."""
    with transaction.atomic():
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        yield
        for _, definition in indexes:
            cursor.execute(definition)


def province_weights(rng: random.Random, units: list[str]) -> tuple[list[float], list[float]]:
    """Cumulative weights of each unit as payer (people leaving) and as payee (arriving):
    log-normal, so a few provinces carry most of the flow, as between provinces in real life."""
    out = [rng.lognormvariate(0, 1) for _ in units]
    into = [rng.lognormvariate(0, 1) for _ in units]
    return list(accumulate(out)), list(accumulate(into))


def load_obligations(rng: random.Random, units: list[str], months: list[tuple[date, int]]) -> int:
    """COPY `count` obligations into each month (ids from 1, month by month). Adjustments
    without a leg, as the bench has no legs: reason 'bench'."""
    payer_w, payee_w = province_weights(rng, units)
    columns = (
        "id, created_at, updated_at, payer_id, payee_id, period, completed_at,"
        " individual_fen, pooled_fen, reason"
    )
    cur = raw_cursor()
    pk = 0
    with bulk_load(cur, TABLE), cur.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
        for month, count in months:
            # Completion times: the month's days and hours (Asia/Shanghai).
            stamps = [
                f"{month:%Y-%m}-{day:02d} {hour:02d}:{minute:02d}:00+08"
                for day in range(1, 29)
                for hour in range(8, 18)
                for minute in range(0, 60, 10)
            ]
            payers = rng.choices(units, cum_weights=payer_w, k=count)
            payees = rng.choices(units, cum_weights=payee_w, k=count)
            parts, size = [], 0
            for n in range(count):
                payer, payee = payers[n], payees[n]
                while payee == payer:
                    payee = rng.choices(units, cum_weights=payee_w)[0]
                pk += 1
                stamp = stamps[rng.randrange(len(stamps))]
                line = (
                    f"{pk}\t{stamp}\t{stamp}\t{payer}\t{payee}\t{month}\t{stamp}\t"
                    f"{rng.randint(0, INDIVIDUAL_MAX)}\t{rng.randint(0, POOLED_MAX)}\tbench\n"
                )
                parts.append(line)
                size += len(line)
                if size >= CHUNK:
                    copy.write("".join(parts))
                    parts, size = [], 0
            copy.write("".join(parts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'),"
            f" (SELECT coalesce(max(id), 1) FROM {TABLE}))"
        )
    return pk


def vacuum(table: str) -> None:
    """Statistics and a set visibility map, as a settled autovacuum leaves them (see
    bench/transfer.py: the loads' commits are flushed first, the VACUUM commits synchronously)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        cursor.execute("CHECKPOINT" if cursor.fetchone()[0] else "SELECT pg_sleep(1)")
        cursor.execute("SET synchronous_commit = on")
        try:
            cursor.execute(f"VACUUM ANALYZE {table}")
        finally:
            cursor.execute("RESET synchronous_commit")


# --- measurements ---------------------------------------------------------------------------------


def bare(month: date) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(BARE, [month])
        return cursor.fetchall()


def check(month: date, count: int, bare_rows: list[tuple]) -> None:
    """The batch's stored pair totals are the bare GROUP BY's, and cover every obligation."""
    period = ClearingPeriod.objects.get(month=month)
    if period.status != PeriodStatus.CALCULATED or period.obligation_count != count:
        raise SystemExit(f"{period.label}: {period.status}, {period.obligation_count} obligations")
    stored = sorted(
        PairTotal.objects.filter(period=period).values_list(
            "payer_id", "payee_id", "count", "amount_fen"
        )
    )
    expected = sorted((payer, payee, n, int(amount)) for payer, payee, n, amount in bare_rows)
    if stored != expected:
        raise SystemExit(f"{period.label}: the pair totals differ from the bare GROUP BY")


def measure(months: dict[str, date], rounds: int) -> dict:
    """Alternate batch and bare at both sizes (the order turns every round); one untimed round
    first. Every batch here is a rerun of a calculated period."""
    times = {(size, kind): [] for size in SIZES for kind in ("batch", "bare")}
    checksums = {}
    for r in range(rounds + 1):
        for size in SIZES if r % 2 else reversed(SIZES):
            for kind in ("batch", "bare") if (r // 2) % 2 else ("bare", "batch"):
                gc.collect()
                started = time.perf_counter()
                if kind == "batch":
                    period = clearing_period_run(actor=None, month=months[size])
                else:
                    bare(months[size])
                elapsed = time.perf_counter() - started
                if kind == "batch":
                    checksums.setdefault(size, period.checksum)
                    if period.checksum != checksums[size]:
                        raise SystemExit(f"{period.label}: the rerun's checksum changed")
                if r:
                    times[(size, kind)].append(elapsed)
    return {
        size: {
            kind: {
                "median_ms": ms(statistics.median(times[(size, kind)])),
                "min_ms": ms(min(times[(size, kind)])),
                "max_ms": ms(max(times[(size, kind)])),
                "runs_ms": [ms(t) for t in times[(size, kind)]],
            }
            for kind in ("batch", "bare")
        }
        for size in SIZES
    }


def explain(months: dict[str, date], rounds: int) -> None:
    """Where the batch's time goes (--explain): EXPLAIN ANALYZE of its GROUP BY at both sizes
    and of the bare one, then, alternating, the GROUP BY's variants and `pair_totals()` (the
    ORM query and its rows in Python) beside the whole batch (a rerun)."""
    plans = {}
    for size in SIZES:
        with CaptureQueriesContext(connection) as queries:
            pair_totals(months[size])
        (plans[size],) = [q["sql"] for q in queries.captured_queries]
    month = months["1m"]
    where = f"FROM {TABLE} WHERE period = '{month}'::date GROUP BY payer_id, payee_id"
    hash_sum = "sum((id % 9973) * (individual_fen + 7 * pooled_fen))"
    queries = {
        "bare: count, sum(amount)": BARE.replace("%s", f"'{month}'::date"),
        "count only": f"SELECT payer_id, payee_id, count(*) {where}",
        "count, 2 sums": f"SELECT payer_id, payee_id, count(id), sum(individual_fen),"
        f" sum(pooled_fen) {where}",
        "count, 2 sums, hash sum": f"SELECT payer_id, payee_id, count(id), sum(individual_fen),"
        f" sum(pooled_fen), {hash_sum} {where}",
        "the batch's SQL (+ ORDER BY)": plans["1m"],
    }
    with connection.cursor() as cursor:
        for sql in [plans["100k"], plans["1m"], queries["bare: count, sum(amount)"]]:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            log(sql)
            for (line,) in cursor.fetchall():
                log("    " + line)

    def run_sql(sql: str):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    steps = {name: (lambda sql=sql: run_sql(sql)) for name, sql in queries.items()}
    steps["pair_totals() (ORM, Python)"] = lambda: pair_totals(month)
    steps["clearing_period_run (rerun)"] = lambda: clearing_period_run(actor=None, month=month)
    times = {name: [] for name in steps}
    for r in range(rounds + 1):
        for name, step in steps.items() if r % 2 else reversed(steps.items()):
            gc.collect()
            started = time.perf_counter()
            step()
            if r:
                times[name].append(time.perf_counter() - started)
    log(f"at {month:%Y-%m}, medians of {rounds}:")
    for name, values in times.items():
        log(f"  {name:30} {ms(statistics.median(values)):8.1f} ms")


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--large", type=int, default=1_000_000, help="obligations of one month")
    parser.add_argument("--small", type=int, default=100_000, help="obligations of the other")
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds of batch and bare")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE, variants")
    parser.add_argument("--quick", action="store_true", help="a small run to try the script")
    parser.add_argument("--child", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.quick:
        args.large, args.small, args.rounds = 100_000, 10_000, 3
    if connection.vendor != "postgresql":
        raise SystemExit("bench needs PostgreSQL: run it through scripts/test-services.sh")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    begun = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Obligation.objects.exists() or ClearingPeriod.objects.exists():
        raise SystemExit("bench needs an empty database (scripts/test-services.sh gives one)")
    with connection.cursor() as cursor:  # the script vacuums what it loads (scratch database)
        cursor.execute(f"ALTER TABLE {TABLE} SET (autovacuum_enabled = off)")
    units = sorted(Region.objects.filter(settlement_unit=True).values_list("code", flat=True))
    if len(units) != 32:
        raise SystemExit(f"expected 32 settlement units, found {len(units)}")
    # Two months that have ended: the month before last (large) and the one before it (small).
    large_month = month_before(month_before(month_of(timezone.now())))
    months = {"100k": month_before(large_month), "1m": large_month}
    counts = {"100k": args.small, "1m": args.large}

    started = time.perf_counter()
    rng = random.Random(SEED)
    total = load_obligations(rng, units, [(months[s], counts[s]) for s in SIZES])
    loaded = time.perf_counter() - started
    vacuum(TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s)", [TABLE] * 2)
        total_bytes, heap_bytes = cursor.fetchone()
    log(
        f"obligations: {total:,} ({counts['1m']:,} in {months['1m']:%Y-%m}, {counts['100k']:,} in"
        f" {months['100k']:%Y-%m}), {len(units)} units; heap {heap_bytes >> 20} MiB, with indexes"
        f" {total_bytes >> 20} MiB; COPY {loaded:.1f} s, ready after"
        f" {time.perf_counter() - begun:.1f} s"
    )

    # First runs, each in a fresh process (the beat's worker runs it once a month).
    first = {size: run_child(months[size]) for size in SIZES}
    for size in SIZES:
        f = first[size]
        if f["obligations"] != counts[size] or f["run_count"] != 1:
            raise SystemExit(f"first run of {months[size]:%Y-%m}: {f}")
        rows = bare(months[size])
        check(months[size], counts[size], rows)
        per_pair = sorted(n for _, _, n, _ in rows)
        log(
            f"first run {size:>4} ({months[size]:%Y-%m}): {f['ms']} ms, peak RSS"
            f" {f['peak_rss_mb']} MB ({f['rss_before_batch_mb']} MB before the batch);"
            f" {len(rows)} pairs, obligations per pair {per_pair[0]:,} / median"
            f" {per_pair[len(rows) // 2]:,} / {per_pair[-1]:,}"
        )

    # Reruns beside the bare GROUP BY, alternating.
    timed = measure(months, args.rounds)
    for size in SIZES:
        t = timed[size]
        log(
            f"{size:>4}: batch median {t['batch']['median_ms']} ms {t['batch']['runs_ms']}; bare"
            f" GROUP BY median {t['bare']['median_ms']} ms {t['bare']['runs_ms']}"
        )
    if args.explain:
        explain(months, args.rounds)

    # Reruns in fresh processes, for their peak RSS too.
    rerun = {size: run_child(months[size]) for size in SIZES}
    for size in SIZES:
        r = rerun[size]
        if r["checksum"] != first[size]["checksum"]:
            raise SystemExit(f"{months[size]:%Y-%m}: the rerun's checksum changed")
        log(f"rerun process {size:>4}: {r['ms']} ms, peak RSS {r['peak_rss_mb']} MB")

    ratio = timed["1m"]["batch"]["median_ms"] / timed["1m"]["bare"]["median_ms"]
    ratio_small = timed["100k"]["batch"]["median_ms"] / timed["100k"]["bare"]["median_ms"]
    scaling = timed["1m"]["batch"]["median_ms"] / timed["100k"]["batch"]["median_ms"]
    first_scaling = first["1m"]["ms"] / first["100k"]["ms"]
    rss = {s: max(first[s]["peak_rss_mb"], rerun[s]["peak_rss_mb"]) for s in SIZES}
    rss_diff = rss["1m"] - rss["100k"]
    log(
        f"batch/bare at {counts['1m']:,}: {ratio:.3f} (target <= 1.5; at {counts['100k']:,}:"
        f" {ratio_small:.3f}); batch {counts['1m']:,}/{counts['100k']:,}: {scaling:.2f}"
        f" (target <= 12; first runs {first_scaling:.2f}); peak RSS {rss['1m']} / {rss['100k']}"
        f" MB, difference {rss_diff:.1f} MB (target <= 50); total"
        f" {time.perf_counter() - begun:.0f} s"
    )
    print(
        json.dumps(
            {
                "batch_vs_bare_groupby": round(ratio, 3),
                "scaling_1m_vs_100k": round(scaling, 3),
                "peak_rss_mb_1m": rss["1m"],
                "peak_rss_mb_100k": rss["100k"],
                "peak_rss_difference_mb": round(rss_diff, 1),
                "batch_vs_bare_groupby_100k": round(ratio_small, 3),
                "first_run_scaling_1m_vs_100k": round(first_scaling, 3),
                "batch_ms": {s: timed[s]["batch"] for s in SIZES},
                "bare_groupby_ms": {s: timed[s]["bare"] for s in SIZES},
                "first_run": {s: without(first[s], "run_count") for s in SIZES},
                "rerun_process": {s: without(rerun[s], "run_count") for s in SIZES},
                "obligations": {s: counts[s] for s in SIZES},
                "months": {s: f"{months[s]:%Y-%m}" for s in SIZES},
                "rounds": args.rounds,
                "seconds": round(time.perf_counter() - begun),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
