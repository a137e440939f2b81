"""Authorization matrix (issue 8): every URL × every role × own / other province / national,
walked against the real permission layer, every failure collected into one message.

The table is tests/authz_table.py; a URL added to settings.urls without a row fails here. Data
is built once, at the start of the one test, through the real services (the clearing steps under
time_machine, as tests/clearing does): a periodic transfer 220000 → 110000 completed in 2026-11
with a material, the 2026-11 clearing period run, confirmed and closed, a rejected refund in
110000 and a rejected whitelist entry of 110000 — every write then meets a terminal state (409)
or a validation error (400) when allowed, a 403 / 404 / a page's flashed refusal when not; a
snapshot taken before and after the walk proves no probe changed anything. List probes also check
the list names the record exactly for the users whose province it is.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from clearing import services as clearing_services
from clearing.models import ClearingPeriod, Instruction, Obligation, Statement
from refunds import services as refund_services
from refunds.models import Refund
from registry.models import AccountStatus, ContributionMonth, Identity, ModuleSwitch, Person
from tests.authz_table import EXEMPT, PLACES, PUBLIC_OPTIONAL, ROLES, TABLE, Probe, Row, staff
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, png_bytes
from transfer import services as transfer_services
from transfer.materials import Upload
from transfer.models import Application, Material, TransferLeg
from whitelist import services as whitelist_services
from whitelist.models import WhitelistEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER_DAY = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)
RUN_DAY = datetime(2026, 12, 1, 1, tzinfo=SHANGHAI)
NOV = date(2026, 11, 1)
# the words of the refusals a page flashes: NotAllowed's 无权…, the clearing run's 只有部级…
REFUSALS = ("无权", "只有")


def routes(resolver=None, prefix: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def exempt(route: str) -> bool:
    return any(route.startswith(prefix) for prefix in EXEMPT)


# --- the data, through the real services ---------------------------------------------------------


def build_data(complete_leg, make_staff, ministry_finance, finance, person, offices) -> dict:
    with time_machine.travel(NOVEMBER_DAY):
        leg = complete_leg("220000", "110000")
    accepting_clerk = get_user_model().objects.get(username="clr_clerk")
    material = transfer_services.application_add_material(
        actor=accepting_clerk,
        application_no=leg.application.application_no,
        upload=Upload(kind="identity", name="id.png", content=png_bytes()),
    )
    with time_machine.travel(RUN_DAY):
        clearing_services.clearing_period_run(actor=ministry_finance, month=NOV)
        for province in ("110000", "220000"):
            clearing_services.statement_confirm(
                actor=finance(province), month=NOV, province=province
            )
        clearing_services.instruction_mark_paid(
            actor=finance("220000"), month=NOV, index=0, bank_ref="B-1"
        )

    # 严某荣: flexible in 海淀 2020-01…06 while employed in 长春 2020-03…08 (refunds conftest)
    haidian = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        status=AccountStatus.CONTRIBUTING,
    )
    changchun = AccountFactory(
        person=person,
        region=region("220102"),
        province=region("220000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=800_000,
    )
    for month in range(1, 9):
        if month <= 6:
            MonthFactory(
                account=haidian,
                month=date(2020, month, 1),
                identity=Identity.FLEXIBLE,
                base_fen=500_000,
            )
        if month >= 3:
            MonthFactory(
                account=changchun,
                month=date(2020, month, 1),
                identity=Identity.EMPLOYEE,
                base_fen=500_000,
            )
    bj_clerk = make_staff("clerk", office=offices["bj"], username="mx_setup_clerk")
    bj_supervisor = make_staff("supervisor", office=offices["bj"], username="mx_setup_sup")
    bj_admin = make_staff("admin", office=offices["bj"], username="mx_setup_admin")
    refund = refund_services.refund_submit(
        actor=bj_clerk,
        id_number=person.id_number,
        channel="window",
        refund_region="110108",
        months=[date(2020, 3, 1), date(2020, 4, 1)],
        identities=[
            refund_services.IdentityPeriod("110108", date(2020, 1, 1), date(2020, 6, 1), "flexible")
        ],
        bank=refund_services.Bank("中国工商银行北京海淀支行", "6222020200001234567", "严某荣"),
    )
    refund_services.refund_reject(actor=bj_supervisor, refund_no=refund.refund_no, note="矩阵")
    entry = whitelist_services.entry_make(
        actor=bj_admin,
        id_number=person.id_number,
        region="220102",
        scheme="enterprise",
        reason="CLEARED",
        evidence="长春市南关区社会保险事业管理局出具的已清算证明",
        evidence_file=whitelist_services.Evidence("清算证明.png", png_bytes()),
        channel="window",
    )
    whitelist_services.entry_reject(actor=bj_supervisor, entry_no=entry.entry_no, note="矩阵")
    return {
        "transfer_no": leg.transfer_no,
        "application_no": leg.application.application_no,
        "material_id": material.pk,
        "month": "2026-11",
        "refund_no": refund.refund_no,
        "entry_no": entry.entry_no,
        "id_number": person.id_number,
        "leg_id_number": leg.application.person.id_number,
    }


def snapshot() -> dict:
    """What a probe that got through by mistake would change: every record's state, counts."""
    return {
        "legs": list(TransferLeg.objects.order_by("pk").values_list("pk", "status")),
        "applications": Application.objects.count(),
        "materials": Material.objects.count(),
        "periods": list(ClearingPeriod.objects.values_list("month", "status", "run_count")),
        "statements": list(Statement.objects.order_by("pk").values_list("pk", "status")),
        "instructions": list(Instruction.objects.order_by("pk").values_list("pk", "status")),
        "obligations": Obligation.objects.count(),
        "refunds": list(Refund.objects.order_by("pk").values_list("pk", "status")),
        "entries": list(WhitelistEntry.objects.order_by("pk").values_list("pk", "status")),
        "persons": Person.objects.count(),
        "months": ContributionMonth.objects.count(),
        "modules": list(ModuleSwitch.objects.order_by("pk").values_list("pk", "suspended")),
    }


# --- classifying an answer --------------------------------------------------------------------


def classify(probe: Probe, response) -> str:
    """ok / no (403, 404, a page's refusal) / login (401, redirect to the login page) / the
    status itself for anything a cell never expects (405, 5xx…)."""
    code = response.status_code
    if code == 401:
        return "login"
    if code in (403, 404):
        return "no"
    if (
        code in (301, 302)
        and "/login/" in response.get("Location", "")
        and probe.path not in ("/login/", "/logout/")  # logging out lands on the login page
    ):
        return "login"
    if code >= 500 or code == 405:
        return str(code)
    if not probe.api and code in (301, 302):
        # the messages this request added (earlier ones wait in the session: no redirect followed)
        storage = get_messages(response.wsgi_request)
        flashed = [str(m) for m in getattr(storage, "_queued_messages", [])]
        if any(word in text for text in flashed for word in REFUSALS):
            return "no"
    if probe.api and probe.method != "GET" and not probe.reads and code in (200, 201, 204):
        return f"{code} (a write succeeded: the probe must not change data)"
    return "ok"


def label_place(label: str) -> str | None:
    return label.split("@")[1].split("(")[0] if "@" in label else None


def send(client, probe: Probe, data: dict):
    path = probe.path.format(**data)
    method = getattr(client, probe.method.lower())
    if probe.method == "GET":
        return method(path)
    if probe.api:
        body = json.loads(json.dumps(probe.body or {}).replace("{id_number}", data["id_number"]))
        return method(path, body, format=probe.format)
    return method(path, probe.body or {})


@pytest.mark.django_db
def test_every_url_every_role_every_province(
    complete_leg,
    make_staff,
    ministry_finance,
    finance,
    person,
    office,
    national_office,
    province_office,
):
    started = time.monotonic()
    table = list(TABLE)
    present = set(routes())
    for route in PUBLIC_OPTIONAL & present:  # /health/: public when the route exists
        table.insert(
            0,
            Row(
                route,
                (Probe("GET", "/" + route, staff, anonymous=True, no_office=True, api=False),),
            ),
        )

    # 1. the table covers settings.urls exactly (bar the exempt prefixes)
    walked = {row.route for row in table}
    missing = sorted(r for r in present - walked if not exempt(r))
    stale = sorted(walked - present)
    assert not missing and not stale, f"URLs without a row: {missing}; rows without a URL: {stale}"

    # 2. the users: every role (and the ministry's finance) at each of four offices
    offices = {
        "bj": office,
        "jl": province_office("220000"),
        "gd": province_office("440000"),
        "nat": national_office,
    }
    data = build_data(complete_leg, make_staff, ministry_finance, finance, person, offices)
    users = {
        (role, key): make_staff(*role.split("+"), office=where, username=f"mx_{role}_{key}")
        for role in ROLES
        for key, where in offices.items()
    }
    no_office = get_user_model().objects.create_user(username="mx_no_office", password="x")
    clients: dict = {}

    def client_for(user, api: bool):
        key = (user.pk if user else None, api)
        if key not in clients:
            if api:
                client = APIClient()
                if user is not None:
                    token, _ = Token.objects.get_or_create(user=user)
                    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            else:
                client = Client()
                if user is not None:
                    client.force_login(user)
            clients[key] = client
        return clients[key]

    before = snapshot()
    failures: list[str] = []
    tally: Counter = Counter()
    cells = 0
    # 3. the exempt admin site still refuses the anonymous and a non-is_staff user
    for user in (None, users[("admin", "nat")]):
        response = client_for(user, False).get("/admin/")
        cells += 1
        if response.status_code != 302 or "/admin/login/" not in response["Location"]:
            failures.append(f"GET /admin/ as {user}: {response.status_code}, not the admin login")
    # static files (served by WhiteNoise, no URL pattern) are public
    response = client_for(None, False).get("/static/css/app.css")
    cells += 1
    if response.status_code != 200:
        failures.append(f"GET /static/css/app.css as anonymous: {response.status_code}")

    # 4. every cell, the logout row last (it ends its client's session)
    for row in table:
        for probe in row.probes:
            office_of = {"own": probe.own, "other": probe.other, "national": "nat"}
            cases = [("anonymous", None, "login" if not probe.anonymous else "ok")]
            cases.append(("no office", no_office, "ok" if probe.no_office else "no"))
            for role in ROLES:
                for place in PLACES:
                    user = users[(role, office_of[place])]
                    allowed = probe.who(frozenset(role.split("+")), place)
                    cases.append(
                        (f"{role}@{place}({office_of[place]})", user, "ok" if allowed else "no")
                    )
            for label, user, expected in cases:
                response = send(client_for(user, probe.api), probe, data)
                got = classify(probe, response)
                cells += 1
                tally[(expected, got, response.status_code)] += 1
                if got != expected:
                    failures.append(
                        f"{probe.method} {probe.path.format(**data)} as {label}: expected "
                        f"{expected}, got {got} ({response.status_code})"
                    )
                elif got == "ok" and probe.shows and user is not None:
                    roles, place = frozenset(label.split("@")[0].split("+")), label_place(label)
                    should = place is not None and probe.sees(roles, place)
                    named = data[probe.shows] in response.content.decode()
                    cells += 1
                    if named != should:
                        failures.append(
                            f"{probe.method} {probe.path.format(**data)} as {label}: the list "
                            f"{'names' if named else 'omits'} {data[probe.shows]}"
                        )

    after = snapshot()
    if after != before:
        failures.append(f"the walk changed data: {before} → {after}")

    elapsed = time.monotonic() - started
    print(
        f"\nauthorization matrix: {cells} cells checked, {len(failures)} failures, "
        f"{elapsed:.1f} s; (expected, got, status) → count: {dict(sorted(tally.items()))}"
    )
    assert not failures, f"{len(failures)} of {cells} cells failed:\n" + "\n".join(failures)
