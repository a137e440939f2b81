"""Concurrency soak (issue 8): THREADS threads, each with its own database connection, run random
legal and illegal actions through the real services for SOAK_SECONDS, on PostgreSQL with a real
Celery worker checking every periodic submission. Afterwards the invariants must hold, and no
action may have ended in anything but a clean answer (ok or an `ApplicationError`).

Figures are printed at the end (actions, outcomes per class, invariant violations). The seed of
the random choices is printed too; SOAK_SEED=… replays the same choices (not the same
interleaving), SOAK_SECONDS=… runs longer."""

from __future__ import annotations

import os
import random
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from django_fsm_log.models import StateLog

from clearing import services as clearing
from clearing.models import ClearingPeriod, Obligation
from common.errors import ApplicationError
from common.scope import scope_for
from refunds import services as refunds
from refunds.models import Refund, RefundMonth, RefundStatus
from registry.models import AccountStatus, ContributionMonth, Identity, InsuranceAccount
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, PersonFactory
from transfer import services as transfer
from transfer.models import InfoSheet, Mode, Status, TransferLeg

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
PROVINCES = ("110000", "220000", "440000")
THREADS = 4
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "15"))
DRAIN_SECONDS = 20
PERIODIC_PERSONS = 18
TRADITIONAL_PERSONS = 6
DUPLICATE_MONTHS = (date(2023, 5, 1), date(2023, 6, 1))
BASE_FEN = 500_000


@dataclass
class Case:
    """One person: suspended in `out_p`, contributing in `in_p`; 2023-05/06 paid in both (in the
    incoming account as `in_identity`), so either side may be refunded."""

    person_pk: int
    id_number: str
    name: str
    out_p: str
    in_p: str
    in_identity: str


@dataclass
class World:
    cases: list[Case]
    reviewer: dict[str, object]
    supervisor: dict[str, object]
    finance: dict[str, object]
    clerk: dict[str, object]  # a window clerk at each province's own office
    ministry: object
    previous: date
    legs: list[tuple[str, Case]] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Tally:
    outcomes: Counter = field(default_factory=Counter)  # ok / 409 / 403 / 400 / 404 / …
    by_action: Counter = field(default_factory=Counter)  # (action, outcome)
    transitions: Counter = field(default_factory=Counter)  # ("leg"|"refund", number) → ok count
    runs: int = 0  # clearing runs of the previous month that succeeded
    crashes: list[str] = field(default_factory=list)


# --- setup --------------------------------------------------------------------------------------


def make_case(n: int) -> Case:
    out_p, in_p = PROVINCES[n % 3], PROVINCES[(n + 1 + n // 3 % 2) % 3]
    in_identity = Identity.FLEXIBLE if n % 2 == 0 else Identity.EMPLOYEE
    person = PersonFactory()
    out = AccountFactory(
        person=person,
        region=region(out_p),
        province=region(out_p),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=300_000,
    )
    for month in (date(2019, 1, 1), date(2019, 2, 1), *DUPLICATE_MONTHS):
        MonthFactory(account=out, month=month, base_fen=BASE_FEN)
    into = AccountFactory(
        person=person, region=region(in_p), province=region(in_p), individual_balance_fen=1_000_000
    )
    MonthFactory(account=into, month=date(2024, 1, 1), base_fen=800_000)
    for month in DUPLICATE_MONTHS:
        MonthFactory(account=into, month=month, identity=in_identity, base_fen=BASE_FEN)
    return Case(person.pk, person.id_number, person.name, out_p, in_p, in_identity)


def submit(world: World, case: Case, *, traditional: bool, actor=None) -> TransferLeg:
    application = transfer.application_submit(
        actor=actor or (world.clerk[case.in_p] if traditional else world.clerk[case.out_p]),
        outs=[transfer.Out(scheme="enterprise", region=case.out_p)],
        id_number=case.id_number,
        name=case.name,
        phone="13800000000",
        hukou_address="某地某街道1号",
        in_scheme="enterprise",
        in_region=case.in_p,
        channel="window",
        manual=traditional,
    )
    (leg,) = application.submitted_legs
    with world.lock:
        world.legs.append((leg.transfer_no, case))
    return leg


def previous_month_day() -> datetime:
    """10:00 on the 10th of the month before the real one (Asia/Shanghai)."""
    previous = clearing.previous_month(timezone.localdate())
    return datetime(previous.year, previous.month, 10, 10, tzinfo=SH)


# --- actions ------------------------------------------------------------------------------------


def other(rng: random.Random, province: str) -> str:
    return rng.choice([p for p in PROVINCES if p != province])


def pick_actor(rng: random.Random, actors: dict, province: str, wrong: float = 0.15):
    """The right province's actor, or now and then another province's (expects a 403)."""
    return actors[other(rng, province) if rng.random() < wrong else province]


def leg_action(rng: random.Random, w: World) -> tuple[str, Callable, tuple | None]:
    """A step on a random leg: mostly the next legal one for the status just read (others may
    move the leg first: a 409), sometimes any step, by a wrong actor or with bad input."""
    number, case = rng.choice(w.legs)
    if rng.random() < 0.02:
        number = f"{number}-9"  # no such leg: 404
    row = TransferLeg.objects.filter(transfer_no=number).values_list("status", "mode").first()
    status, mode = row or (Status.SUBMITTED, Mode.PERIODIC)
    key = ("leg", number)
    out_rev = lambda: pick_actor(rng, w.reviewer, case.out_p)  # noqa: E731
    in_rev = lambda: pick_actor(rng, w.reviewer, case.in_p)  # noqa: E731
    accepting = case.in_p if mode == Mode.TRADITIONAL else case.out_p
    note = "" if rng.random() < 0.05 else "说明"  # an empty note: 400

    def sheet_total() -> int:
        sheet = InfoSheet.objects.filter(leg__transfer_no=number).order_by("-version").first()
        total = sheet.total_fen if sheet else 1
        return total + 1 if rng.random() < 0.1 else total  # a wrong amount: 400

    steps = {
        "upload": lambda: transfer.leg_upload_info_sheet(actor=out_rev(), transfer_no=number),
        "refuse": lambda: transfer.leg_refuse(
            actor=out_rev(), transfer_no=number, code="OTHER", note=note
        ),
        "confirm": lambda: transfer.leg_confirm(actor=in_rev(), transfer_no=number),
        "return": lambda: transfer.leg_return(actor=in_rev(), transfer_no=number, note=note),
        "withdraw": lambda: transfer.leg_withdraw(
            actor=pick_actor(rng, w.clerk, accepting), transfer_no=number
        ),
        "issue_letter": lambda: transfer.leg_issue_letter(actor=in_rev(), transfer_no=number),
        "reject": lambda: transfer.leg_reject(actor=in_rev(), transfer_no=number, note=note),
        "remit": lambda: transfer.leg_remit(
            actor=pick_actor(rng, w.finance, case.out_p),
            transfer_no=number,
            amount_fen=sheet_total(),
            voucher_no="PZ0001",
        ),
        "receive": lambda: transfer.leg_receive(
            actor=pick_actor(rng, w.finance, case.in_p),
            transfer_no=number,
            amount_fen=sheet_total(),
        ),
        "recheck": lambda: transfer.leg_recheck(actor=w.ministry, transfer_no=number),
    }
    periodic_next = {
        Status.SUBMITTED: ["withdraw"],
        Status.ELIGIBLE: ["upload"] * 6 + ["refuse", "withdraw"],
        Status.INFO_UPLOADED: ["confirm"] * 3 + ["return"] * 2,
        Status.REJECTED: ["recheck"],
    }
    traditional_next = {
        Status.SUBMITTED: ["issue_letter"] * 6 + ["reject", "withdraw"],
        Status.LETTER_ISSUED: ["upload"] * 6 + ["refuse", "withdraw"],
        Status.INFO_UPLOADED: ["confirm"] * 3 + ["return"] * 2,
        Status.INFO_ACCEPTED: ["remit"],
        Status.FUNDS_REMITTED: ["receive"],
    }
    legal = (periodic_next if mode == Mode.PERIODIC else traditional_next).get(status)
    name = rng.choice(legal) if legal and rng.random() < 0.75 else rng.choice(list(steps))
    return f"leg.{name}", steps[name], key


BANK = ("中国工商银行某支行", "6222020200001234567")


def refund_submit_action(rng: random.Random, w: World) -> tuple[str, Callable, tuple | None]:
    case = rng.choice(w.cases)
    side_in = rng.random() < 0.7
    code = case.in_p if side_in else case.out_p
    identity = case.in_identity if side_in else Identity.EMPLOYEE
    months = rng.sample(DUPLICATE_MONTHS, rng.choice((1, 2)))
    holder = case.name if rng.random() > 0.05 else "他人"  # another's bank account: 400

    def run():
        refund = refunds.refund_submit(
            actor=w.clerk[rng.choice(PROVINCES)],
            id_number=case.id_number,
            channel="window",
            refund_region=code,
            months=months,
            identities=[
                refunds.IdentityPeriod(code, DUPLICATE_MONTHS[0], DUPLICATE_MONTHS[-1], identity)
            ],
            bank=refunds.Bank(BANK[0], BANK[1], holder),
        )
        with w.lock:
            w.refunds.append(refund.refund_no)
        return refund

    return "refund.submit", run, None


def refund_step_action(rng: random.Random, w: World) -> tuple[str, Callable, tuple | None]:
    if not w.refunds:
        return refund_submit_action(rng, w)
    number = rng.choice(w.refunds)
    status, province = Refund.objects.filter(refund_no=number).values_list("status", "province_id")[
        0
    ]
    steps = {
        "approve": lambda: refunds.refund_approve(
            actor=pick_actor(rng, w.supervisor, province), refund_no=number
        ),
        "reject": lambda: refunds.refund_reject(
            actor=pick_actor(rng, w.supervisor, province), refund_no=number, note="材料不符"
        ),
        "pay": lambda: refunds.refund_pay(
            actor=pick_actor(rng, w.finance, province), refund_no=number, voucher_no="TK0001"
        ),
    }
    legal = {RefundStatus.SUBMITTED: ["approve"] * 4 + ["reject"], RefundStatus.APPROVED: ["pay"]}
    choices = legal.get(status)
    name = rng.choice(choices) if choices and rng.random() < 0.75 else rng.choice(list(steps))
    return f"refund.{name}", steps[name], ("refund", number)


def clearing_action(rng: random.Random, w: World) -> tuple[str, Callable, tuple | None]:
    """The previous month's batch, adjustments and statements, by the ministry or a province."""
    payer = rng.choice(PROVINCES)
    province = rng.choice(PROVINCES)
    steps = {
        "run": lambda: clearing.clearing_period_run(actor=w.ministry, month=w.previous),
        "run_by_province": lambda: clearing.clearing_period_run(
            actor=w.finance[province], month=w.previous
        ),
        "run_current": lambda: clearing.clearing_period_run(
            actor=w.ministry, month=clearing.month_of(timezone.now())
        ),
        "adjust": lambda: clearing.obligation_adjust(
            actor=w.ministry,
            payer=payer,
            payee=other(rng, payer),
            individual_fen=rng.choice((0, 1_000, -500)),
            pooled_fen=0,
            reason="更正",
            month=rng.choice((w.previous, None)),
        ),
        "adjust_by_province": lambda: clearing.obligation_adjust(
            actor=w.finance[province],
            payer=payer,
            payee=other(rng, payer),
            individual_fen=1_000,
            pooled_fen=0,
            reason="更正",
            month=w.previous,
        ),
        "statement_confirm": lambda: clearing.statement_confirm(
            actor=pick_actor(rng, w.finance, province), month=w.previous, province=province
        ),
        "statement_dispute": lambda: clearing.statement_dispute(
            actor=w.finance[province], month=w.previous, province=province, note="金额有误"
        ),
    }
    weights = {"run": 5, "adjust": 3, "statement_confirm": 1, "statement_dispute": 1}
    names = list(steps)
    name = rng.choices(names, [weights.get(n, 1) for n in names])[0]
    return f"clearing.{name}", steps[name], None


def submit_action(rng: random.Random, w: World) -> tuple[str, Callable, tuple | None]:
    """A new application for someone: most are refused by the worker (an open or finished leg
    already exists), a traditional one at a wrong office is refused at once (400)."""
    case = rng.choice(w.cases)
    traditional = rng.random() < 0.3
    actor = w.clerk[case.in_p if rng.random() < 0.8 else other(rng, case.in_p)]
    return (
        "leg.submit",
        lambda: submit(w, case, traditional=traditional, actor=actor if traditional else None),
        None,
    )


ACTIONS = [(leg_action, 12), (refund_step_action, 4), (refund_submit_action, 2)]
ACTIONS += [(clearing_action, 2), (submit_action, 1)]


def soak(world: World, seed: int) -> list[Tally]:
    """THREADS workers run random actions until the time is up; one Tally each."""
    deadline = time.monotonic() + SOAK_SECONDS
    tallies = [Tally() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> None:
        rng, tally = random.Random(seed + index), tallies[index]
        makers, weights = zip(*ACTIONS, strict=True)
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            while time.monotonic() < deadline:
                name, call, key = rng.choices(makers, weights)[0](rng, world)
                try:
                    call()
                    outcome = "ok"
                    if key:
                        tally.transitions[key] += 1
                    if name == "clearing.run":
                        tally.runs += 1
                except ApplicationError as error:
                    outcome = str(error.status)
                except Exception:  # a crash: reported, and the test fails
                    outcome = "crash"
                    tally.crashes.append(f"{name}: {traceback.format_exc()}")
                tally.outcomes[outcome] += 1
                tally.by_action[(name, outcome)] += 1
        except Exception:
            tally.crashes.append(f"thread {index}: {traceback.format_exc()}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SOAK_SECONDS + 60)
    assert not any(thread.is_alive() for thread in threads), "a soak thread hung"
    return tallies


# --- invariants ---------------------------------------------------------------------------------


def person_figures(person_pks: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per person: (months, uncleared months, sum of individual balances)."""
    months = dict(
        ContributionMonth.objects.filter(account__person_id__in=person_pks)
        .values("account__person_id")
        .annotate(n=Count("id"))
        .values_list("account__person_id", "n")
    )
    uncleared = dict(
        ContributionMonth.objects.filter(account__person_id__in=person_pks, cleared=False)
        .values("account__person_id")
        .annotate(n=Count("id"))
        .values_list("account__person_id", "n")
    )
    balances = dict(
        InsuranceAccount.objects.filter(person_id__in=person_pks)
        .values("person_id")
        .annotate(total=Sum("individual_balance_fen"))
        .values_list("person_id", "total")
    )
    return {pk: (months[pk], uncleared.get(pk, 0), balances[pk]) for pk in person_pks}


def log_chains(model) -> dict[int, list[StateLog]]:
    """Every object's StateLog rows, in the order written (each object's transitions run under
    its row lock, so id order is commit order)."""
    content_type = ContentType.objects.get_for_model(model)
    chains: dict[int, list[StateLog]] = defaultdict(list)
    for log in StateLog.objects.filter(content_type=content_type).order_by("pk"):
        chains[log.object_id].append(log)
    return chains


def chain_violations(what: str, chains, current: dict[int, str], initial: str) -> list[str]:
    """Each object's log, in order, is one unbroken walk from `initial` to its status now:
    no transition missing, none logged twice."""
    found = []
    for pk, status in current.items():
        state = initial
        for log in chains.get(pk, []):
            if log.source_state != state:
                found.append(f"{what} {pk}: {log.transition} from {log.source_state}, was {state}")
            state = log.state
        if state != status:
            found.append(f"{what} {pk}: log ends at {state}, status is {status}")
    return found


def check_invariants(
    world: World, before: dict, log_mark: int, tally: Tally, paid_before: set[int]
) -> list[str]:
    violations: list[str] = []
    legs = {leg.pk: leg for leg in TransferLeg.objects.select_related("out_account")}

    # 1. Every completed periodic leg has exactly one obligation, for its figures and month;
    #    a traditional or unfinished leg none. One completed leg per outgoing account.
    obligations = defaultdict(list)
    for obligation in Obligation.objects.filter(leg__isnull=False):
        obligations[obligation.leg_id].append(obligation)
    completed_per_account = Counter()
    for leg in legs.values():
        found = obligations.get(leg.pk, [])
        periodic_done = leg.mode == Mode.PERIODIC and leg.status == Status.COMPLETED
        if len(found) != (1 if periodic_done else 0):
            violations.append(f"leg {leg.transfer_no} ({leg.mode} {leg.status}): {len(found)} obl.")
        if periodic_done and len(found) == 1:
            sheet = leg.info_sheets.order_by("-version").first()
            (obligation,) = found
            if (obligation.individual_fen, obligation.pooled_fen) != (
                sheet.individual_fen,
                sheet.pooled_fen,
            ) or obligation.period != clearing.month_of(leg.completed_at):
                violations.append(f"leg {leg.transfer_no}: obligation differs from its sheet")
        if leg.status == Status.COMPLETED:
            completed_per_account[leg.out_account_id] += 1
            if leg.out_account.status != AccountStatus.TRANSFERRED_OUT:
                violations.append(f"leg {leg.transfer_no}: done, out account still open")
    violations += [
        f"account {pk}: {n} completed legs" for pk, n in completed_per_account.items() if n > 1
    ]

    # 2. Months and balances conserved per person, less what paid refunds took.
    paid = Refund.objects.filter(status=RefundStatus.PAID).exclude(pk__in=paid_before)
    paid_credit = dict(
        paid.values("person_id").annotate(t=Sum("credited_fen")).values_list("person_id", "t")
    )
    paid_months = dict(
        RefundMonth.objects.filter(refund__in=paid)
        .values("refund__person_id")
        .annotate(n=Count("id"))
        .values_list("refund__person_id", "n")
    )
    after = person_figures(list(before))
    for pk, (months, uncleared, balance) in before.items():
        now_months, now_uncleared, now_balance = after[pk]
        if now_months != months:
            violations.append(f"person {pk}: {months} months before, {now_months} after")
        if now_uncleared != uncleared - paid_months.get(pk, 0):
            violations.append(f"person {pk}: uncleared {uncleared} → {now_uncleared}")
        if now_balance + paid_credit.get(pk, 0) != balance:
            violations.append(f"person {pk}: balance {balance} → {now_balance} + refunded")
    if InsuranceAccount.objects.filter(individual_balance_fen__lt=0).exists():
        violations.append("a negative individual balance")

    # 3. No month refunded twice; a paid refund's months are cleared; a cleared month was paid.
    twice = (
        RefundMonth.objects.filter(active=True)
        .values("contribution_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    violations += [f"contribution {row['contribution_id']} in two refunds" for row in twice]
    paid_contributions = set(
        RefundMonth.objects.filter(refund__status=RefundStatus.PAID).values_list(
            "contribution_id", flat=True
        )
    )
    cleared = set(ContributionMonth.objects.filter(cleared=True).values_list("pk", flat=True))
    if paid_contributions != cleared:
        violations.append(f"cleared months {sorted(cleared ^ paid_contributions)} vs paid refunds")
    if RefundMonth.objects.filter(active=True, refund__status=RefundStatus.REJECTED).exists():
        violations.append("a rejected refund still holds its months")

    # 4. Every transition logged once: each log is an unbroken walk to the status now; the logs
    #    written by people during the soak are exactly the transitions the threads saw succeed;
    #    the worker checked each periodic leg once (none if it was withdrawn first).
    leg_chains = log_chains(TransferLeg)
    violations += chain_violations(
        "leg", leg_chains, {pk: leg.status for pk, leg in legs.items()}, Status.SUBMITTED
    )
    refund_rows = dict(Refund.objects.values_list("pk", "status"))
    refund_chains = log_chains(Refund)
    violations += chain_violations("refund", refund_chains, refund_rows, RefundStatus.SUBMITTED)
    period_rows = dict(ClearingPeriod.objects.values_list("pk", "status"))
    period_chains = log_chains(ClearingPeriod)
    violations += chain_violations("period", period_chains, period_rows, "open")

    def by_people(chain):
        return sum(1 for log in chain if log.pk > log_mark and log.by_id is not None)

    for pk, leg in legs.items():
        chain = leg_chains.get(pk, [])
        seen = tally.transitions[("leg", leg.transfer_no)]
        if by_people(chain) != seen:
            violations.append(f"leg {leg.transfer_no}: {by_people(chain)} logged, {seen} done")
        checks = [log for log in chain if log.by_id is None]
        expected = int(leg.mode == Mode.PERIODIC and bool(chain) and chain[0].by_id is None)
        if len(checks) != expected:
            violations.append(f"leg {leg.transfer_no}: {len(checks)} worker checks")
    refund_numbers = dict(Refund.objects.values_list("pk", "refund_no"))
    for pk, number in refund_numbers.items():
        chain = refund_chains.get(pk, [])
        if by_people(chain) != tally.transitions[("refund", number)]:
            violations.append(f"refund {number}: {by_people(chain)} logged")
    previous = ClearingPeriod.objects.get(month=world.previous)
    runs = sum(
        1
        for log in period_chains.get(previous.pk, [])
        if log.pk > log_mark and log.transition == "calculate"
    )
    if runs != tally.runs:
        violations.append(f"period {previous}: {runs} calculations logged, {tally.runs} ran")

    # 5. A calculated period's figures are those of its obligations now (an adjustment after a
    #    run took it back to open).
    if previous.status != "open":
        rows = Obligation.objects.filter(period=world.previous)
        figures = (rows.count(), rows.aggregate(t=Sum("individual_fen"))["t"] or 0)
        if figures != (previous.obligation_count, previous.individual_fen):
            violations.append(f"period {previous}: {figures} vs calculated")
    return violations


# --- the test -----------------------------------------------------------------------------------


def test_concurrency_soak(
    request, regions, make_staff, province_office, complete_leg, ministry_finance, capsys
):
    started = time.monotonic()
    seed = int(os.environ.get("SOAK_SEED", time.time_ns() % 1_000_000))

    # Three legs done last month: the previous month's batch has something to calculate.
    with time_machine.travel(previous_month_day()):
        for out_p, in_p in (("220000", "110000"), ("440000", "110000"), ("110000", "220000")):
            complete_leg(out_p, in_p)

    def staff(role: str) -> dict[str, object]:
        return {
            p: make_staff(role, office=province_office(p), username=f"soak_{role}_{p}")
            for p in PROVINCES
        }

    world = World(
        cases=[make_case(n) for n in range(PERIODIC_PERSONS + TRADITIONAL_PERSONS)],
        reviewer=staff("reviewer"),
        supervisor=staff("supervisor"),
        finance=staff("finance"),
        clerk=staff("clerk"),
        ministry=ministry_finance,
        previous=clearing.previous_month(timezone.localdate()),
    )
    scope_for(ministry_finance)  # each user's scope cached once, before the threads share it
    for actors in (world.reviewer, world.clerk, world.supervisor, world.finance):
        for actor in actors.values():
            scope_for(actor)
    person_pks = list(InsuranceAccount.objects.values_list("person_id", flat=True).distinct())
    before = person_figures(person_pks)
    paid_before = set(Refund.objects.filter(status=RefundStatus.PAID).values_list("pk", flat=True))
    log_mark = StateLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    request.getfixturevalue("celery_worker")  # from here on, checks go through Redis
    for n, case in enumerate(world.cases):
        submit(world, case, traditional=n >= PERIODIC_PERSONS)
    tallies = soak(world, seed)

    total = Tally()
    for tally in tallies:
        total.outcomes.update(tally.outcomes)
        total.by_action.update(tally.by_action)
        total.transitions.update(tally.transitions)
        total.runs += tally.runs
        total.crashes += tally.crashes

    # The worker drains: every periodic submission gets its check.
    deadline = time.monotonic() + DRAIN_SECONDS
    waiting = TransferLeg.objects.filter(mode=Mode.PERIODIC, status=Status.SUBMITTED)
    while waiting.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    unchecked = list(waiting.values_list("transfer_no", flat=True))

    violations = [f"leg {number}: never checked by the worker" for number in unchecked]
    violations += check_invariants(world, before, log_mark, total, paid_before)

    legs = Counter(TransferLeg.objects.values_list("mode", "status"))
    actions = sum(total.outcomes.values())
    named = ("ok", "409", "403", "400", "404", "crash")
    rest = actions - sum(total.outcomes[k] for k in named)
    with capsys.disabled():
        print(f"\nsoak: seed {seed}, {THREADS} threads × {SOAK_SECONDS:.0f} s")
        print(
            f"soak: actions {actions}, ok {total.outcomes['ok']}, 409 {total.outcomes['409']}, "
            f"403 {total.outcomes['403']}, 400 {total.outcomes['400']}, "
            f"404 {total.outcomes['404']}, crashes {total.outcomes['crash']}, "
            f"other {rest}"
        )
        print(f"soak: legs {dict(sorted(legs.items()))}")
        print(f"soak: refunds {Counter(Refund.objects.values_list('status', flat=True))}")
        period = ClearingPeriod.objects.get(month=world.previous)
        print(
            f"soak: period {period.label} {period.status}, runs {period.run_count}, "
            f"obligations {Obligation.objects.filter(period=world.previous).count()}; "
            f"worker checks {StateLog.objects.filter(pk__gt=log_mark, by=None).count()}"
        )
        print(f"soak: by action {dict(sorted(total.by_action.items()))}")
        print(f"soak: invariant violations {len(violations)}; {time.monotonic() - started:.1f} s")
        for line in violations[:20] + total.crashes[:3]:
            print(f"soak: {line}")

    assert not total.crashes, total.crashes[0]
    assert not violations, violations
    assert total.outcomes["ok"] > 100 and total.outcomes["409"] > 0, total.outcomes
    done = {name for (name, outcome) in total.by_action if outcome == "ok"}
    for needed in ("leg.upload", "leg.confirm", "refund.submit", "refund.pay", "clearing.run"):
        assert needed in done, f"the soak never got {needed} through"
