"""Bad input (issue 8): every write API — and the window's forms — refuses too-long strings,
wrong types, unknown codes, impossible months, negative or huge amounts, malformed JSON and
oversized bodies and uploads with 400 (or 413) and a Chinese message, never a 500, and writes
nothing. One test per class of input, each sent to every endpoint it applies to, as a user
entitled to that endpoint (so a refusal is about the input, not about permission), against
records in the state where a valid body would succeed.

Each test prints its figure: cases sent, 5xx answers (0), writes on refused input (0)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm_log.models import StateLog

from clearing.models import Obligation
from common.models import AuditRecord
from refunds.models import Refund, RefundMonth
from registry.models import (
    AccountStatus,
    ContributionMonth,
    Identity,
    InsuranceAccount,
    Person,
    Scheme,
)
from registry.validators import make_id_number
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, PersonFactory, png_bytes
from tests.pages import Page
from transfer import services as transfer_services
from transfer.materials import MAX_BYTES
from transfer.models import (
    Application,
    ContactLetter,
    IdempotencyKey,
    InfoSheet,
    Material,
    Remittance,
    Status,
    TransferLeg,
)
from whitelist.models import WhitelistEntry

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
LONG = "长" * 10_000
PNG = png_bytes()
NEW_ID = make_id_number("110101", date(1990, 3, 7), 11)  # valid, nobody's yet
MODELS = [
    Application,
    TransferLeg,
    InfoSheet,
    ContactLetter,
    Remittance,
    Material,
    IdempotencyKey,
    Person,
    InsuranceAccount,
    ContributionMonth,
    Refund,
    RefundMonth,
    WhitelistEntry,
    Obligation,
    AuditRecord,
    StateLog,
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _migrant(n: int, *, in_scheme: str = Scheme.ENTERPRISE, flexible: bool = False) -> Person:
    """Suspended in 长春 (2 paid months, employee), contributing in 海淀 in `in_scheme`
    (`flexible`: 海淀 also holds flexible months 2020-01…2020-02, paid twice)."""
    person = PersonFactory(
        id_number=make_id_number("110101", date(1985, 5, n), n), name=f"测试{n}号"
    )
    out = AccountFactory(
        person=person,
        region=region("220102"),
        province=region("220000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=500_000,
    )
    for month in (date(2020, 1, 1), date(2020, 2, 1)):
        MonthFactory(account=out, month=month, base_fen=500_000, identity=Identity.EMPLOYEE)
    into = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        scheme=in_scheme,
        status=AccountStatus.CONTRIBUTING,
    )
    MonthFactory(account=into, month=date(2024, 1, 1), base_fen=800_000)
    if flexible:
        for month in (date(2020, 1, 1), date(2020, 2, 1)):
            MonthFactory(account=into, month=month, base_fen=500_000, identity=Identity.FLEXIBLE)
    return person


@dataclass
class Scene:
    users: dict
    people: dict
    legs: dict


@pytest.fixture
def scene(make_staff, province_office, national_office, django_capture_on_commit_callbacks):
    """Actors of 海淀 (Beijing), 吉林 and the ministry, and a record per endpoint in the state
    where its valid body would be accepted."""
    jilin = province_office("220000")
    users = {
        "clerk": make_staff("clerk", username="hd_clerk"),
        "bj_reviewer": make_staff("reviewer", username="bj_reviewer"),
        "bj_finance": make_staff("finance", username="bj_finance"),
        "admin": make_staff("admin", username="hd_admin"),
        "jl_reviewer": make_staff("reviewer", office=jilin, username="jl_reviewer"),
        "jl_finance": make_staff("finance", office=jilin, username="jl_finance"),
        "ministry": make_staff("ministry", office=national_office, username="moh"),
    }
    people = {n: _migrant(n) for n in (1, 2)}
    people |= {n: _migrant(n, in_scheme=Scheme.INSTITUTION) for n in (3, 4)}
    people[5] = _migrant(5, flexible=True)

    def submit(person: Person, in_scheme: str = Scheme.ENTERPRISE) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            application = transfer_services.application_submit(
                actor=users["clerk"],
                id_number=person.id_number,
                name=person.name,
                phone="13800000000",
                hukou_address="北京市东城区某街道1号",
                in_scheme=in_scheme,
                in_region="110108",
                outs=[transfer_services.Out(scheme="enterprise", region="220102")],
                channel="window",
            )
        return application.legs.get().transfer_no

    eligible = submit(people[1])  # refuse, withdraw
    uploaded = submit(people[2])  # return
    transfer_services.leg_upload_info_sheet(actor=users["jl_reviewer"], transfer_no=uploaded)
    traditional = {}
    for n, stage in ((3, Status.INFO_ACCEPTED), (4, Status.FUNDS_REMITTED)):
        no = submit(people[n], Scheme.INSTITUTION)
        transfer_services.leg_issue_letter(actor=users["bj_reviewer"], transfer_no=no)
        transfer_services.leg_upload_info_sheet(actor=users["jl_reviewer"], transfer_no=no)
        transfer_services.leg_confirm(actor=users["bj_reviewer"], transfer_no=no)
        if stage == Status.FUNDS_REMITTED:
            total = InfoSheet.objects.filter(leg__transfer_no=no).latest("version").total_fen
            transfer_services.leg_remit(
                actor=users["jl_finance"], transfer_no=no, amount_fen=total, voucher_no="BOC-1"
            )
        assert TransferLeg.objects.get(transfer_no=no).status == stage
        traditional[stage] = no
    legs = {
        "eligible": eligible,
        "uploaded": uploaded,
        "accepted": traditional[Status.INFO_ACCEPTED],
        "remitted": traditional[Status.FUNDS_REMITTED],
    }
    assert TransferLeg.objects.get(transfer_no=eligible).status == Status.ELIGIBLE
    return Scene(users=users, people=people, legs=legs)


# --- the write APIs, each with a body that would be accepted ---------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    user: str
    url: str  # may name {eligible}, {uploaded}, {accepted}, {remitted}, {p1}, {p5}
    body: dict
    strings: tuple[str, ...] = ()  # top-level string fields
    codes: dict = field(default_factory=dict)  # path → an unknown code
    months: tuple[tuple, ...] = ()  # paths of month values
    amounts: dict = field(default_factory=dict)  # path → (too small, too big) that must fail
    integers: tuple[tuple, ...] = ()  # paths of integer fields


def _application(scene: Scene) -> dict:
    person = scene.people[1]
    return {
        "id_number": person.id_number,
        "name": person.name,
        "phone": "13800000000",
        "hukou_address": "北京市东城区某街道1号",
        "in_scheme": "enterprise",
        "in_region": "110108",
        "outs": [{"scheme": "enterprise", "region": "220102"}],
        "channel": "window",
        "manual": False,
        "applicant": {"kind": "self"},
    }


ENDPOINTS = [
    Endpoint(
        "transfer-applications",
        "clerk",
        "/api/v1/transfer-applications/",
        {},  # filled from the scene (_application)
        strings=("id_number", "name", "phone", "hukou_address"),
        codes={
            ("in_region",): "999999",
            ("outs", 0, "region"): "999999",
            ("in_scheme",): "x",
            ("outs", 0, "scheme"): "x",
            ("channel",): "x",
            ("applicant", "kind"): "x",
        },
    ),
    Endpoint(
        "refuse",
        "jl_reviewer",
        "/api/v1/transfers/{eligible}/refuse/",
        {"code": "OTHER", "note": "转出地无可转移记录"},
        strings=("note",),
        codes={("code",): "x"},
    ),
    Endpoint(
        "return",
        "bj_reviewer",
        "/api/v1/transfers/{uploaded}/return/",
        {"note": "信息表有误"},
        strings=("note",),
    ),
    Endpoint(
        "remit",
        "jl_finance",
        "/api/v1/transfers/{accepted}/remit/",
        {"amount_fen": "TOTAL", "voucher_no": "BOC-2"},
        strings=("voucher_no",),
        amounts={("amount_fen",): (-1, 10**20)},
        integers=(("amount_fen",),),
    ),
    Endpoint(
        "receive",
        "bj_finance",
        "/api/v1/transfers/{remitted}/receive/",
        {"amount_fen": "TOTAL"},
        amounts={("amount_fen",): (-1, 10**20)},
        integers=(("amount_fen",),),
    ),
    Endpoint(
        "withdraw",
        "clerk",
        "/api/v1/transfers/{eligible}/withdraw/",
        {"note": "本人申请撤回"},
        strings=("note",),
    ),
    Endpoint(
        "persons",
        "clerk",
        "/api/v1/persons/",
        {"id_number": NEW_ID, "name": "张三", "hukou_region": "110101"},
        strings=("id_number", "name"),
        codes={("hukou_region",): "999999"},
    ),
    Endpoint(
        "contributions",
        "clerk",
        "/api/v1/persons/{p1}/contributions/",
        {
            "region": "110108",
            "scheme": "enterprise",
            "month": "2024-02",
            "identity": "employee",
            "base_fen": 600_000,
        },
        # ("region",): "999999" is test_contribution_with_an_unknown_region_is_400 (a defect)
        codes={("scheme",): "x", ("identity",): "x"},
        months=(("month",),),
        amounts={("base_fen",): (-1, 10**20)},
        integers=(("base_fen",),),
    ),
    Endpoint(
        "refunds",
        "clerk",
        "/api/v1/refunds/",
        {
            "id_number": "{p5}",
            "channel": "window",
            "refund_region": "110108",
            "months": ["2020-01"],
            "identities": [
                {"region": "110108", "start": "2020-01", "end": "2020-02", "identity": "flexible"},
                {"region": "220102", "start": "2020-01", "end": "2020-02", "identity": "employee"},
            ],
            "bank": {
                "bank_name": "中国工商银行北京海淀支行",
                "account_no": "6222020200001234567",
                "holder_name": "测试5号",
            },
        },
        strings=("id_number",),
        codes={
            ("refund_region",): "999999",
            ("channel",): "x",
            ("identities", 0, "identity"): "x",
            ("identities", 0, "region"): "999999",
        },
        months=(("months", 0), ("identities", 0, "start"), ("identities", 0, "end")),
    ),
    Endpoint(
        "whitelist",
        "admin",
        "/api/v1/whitelist/",
        {
            "id_number": "{p1}",
            "region": "220102",
            "scheme": "enterprise",
            "reason": "CLEARED",
            "evidence": "长春市南关区社会保险事业管理局出具的已清算证明",
            "channel": "window",
        },
        strings=("id_number", "reason", "evidence"),
        codes={("region",): "999999", ("scheme",): "x", ("reason",): "x", ("channel",): "x"},
    ),
    Endpoint(
        "clearing-adjustments",
        "ministry",
        "/api/v1/clearing/adjustments/",
        {
            "payer": "220000",
            "payee": "110000",
            "individual_fen": 100,
            "pooled_fen": 0,
            "reason": "更正2026年11月多计金额",
        },
        strings=("reason",),
        codes={("payer",): "999999", ("payee",): "999999"},
        months=(("period",),),
        amounts={("individual_fen",): (-(10**20), 10**20), ("pooled_fen",): (-(10**20), 10**20)},
        integers=(("individual_fen",), ("pooled_fen",)),
    ),
    Endpoint(
        "statement-dispute",
        "bj_finance",
        "/api/v1/clearing/periods/2026-11/statements/110000/dispute/",
        {"note": "广东应付金额有误"},
        strings=("note",),
    ),
    Endpoint(
        "instruction-paid",
        "bj_finance",
        "/api/v1/clearing/periods/2026-11/instructions/0/paid/",
        {"bank_ref": "ICBC-20261205-1"},
        strings=("bank_ref",),
    ),
    Endpoint(
        "retirement-precheck",
        "clerk",
        "/api/v1/retirement-precheck/",
        {"id_number": "{p1}", "benefit_region": "110000"},
        strings=("id_number",),
        codes={("benefit_region",): "999999"},
    ),
]


def _fill(value, scene: Scene):
    """Put the scene's numbers in a template body (a deep copy)."""
    if isinstance(value, dict):
        return {k: _fill(v, scene) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, scene) for v in value]
    if isinstance(value, str):
        return value.format(**scene.legs, **{f"p{n}": p.id_number for n, p in scene.people.items()})
    return value


def _body(endpoint: Endpoint, scene: Scene) -> dict:
    body = _application(scene) if endpoint.name == "transfer-applications" else endpoint.body
    body = _fill(body, scene)
    if body.get("amount_fen") == "TOTAL":
        no = scene.legs["accepted" if endpoint.name == "remit" else "remitted"]
        body["amount_fen"] = (
            InfoSheet.objects.filter(leg__transfer_no=no).latest("version").total_fen
        )
    return body


def _set(body: dict, path: tuple, value) -> dict:
    body = json.loads(json.dumps(body))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def _state() -> dict:
    """Row counts of everything a write can touch, and the states that change in place."""
    return {
        **{model.__name__: model.objects.count() for model in MODELS},
        "legs": list(TransferLeg.objects.order_by("pk").values_list("status", "reasons")),
        "accounts": list(
            InsuranceAccount.objects.order_by("pk").values_list("status", "individual_balance_fen")
        ),
        "months_cleared": ContributionMonth.objects.filter(cleared=True).count(),
    }


@dataclass
class Tally:
    cases: int = 0
    server_errors: list = field(default_factory=list)
    writes: list = field(default_factory=list)
    wrong_answers: list = field(default_factory=list)

    def report(self, what: str) -> None:
        print(
            f"\nbad input [{what}]: cases sent {self.cases}, 5xx {len(self.server_errors)}, "
            f"writes on refused input {len(self.writes)}, "
            f"other wrong answers {len(self.wrong_answers)}"
        )
        assert self.server_errors == [], self.server_errors
        assert self.writes == [], self.writes
        assert self.wrong_answers == [], self.wrong_answers


def _client(api, scene: Scene, endpoint: Endpoint):
    return api(scene.users[endpoint.user])


def _refused_json(response) -> str | None:
    """None when the answer is a 400/413 with a JSON body carrying a Chinese message; else what
    is wrong with it."""
    if response.status_code not in (400, 413):
        return f"status {response.status_code}: {response.content[:300]!r}"
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"not JSON: {response.content[:200]!r}"
    if not isinstance(body, dict) or not CJK.search(str(body.get("message", ""))):
        return f"no Chinese message: {body!r}"[:300]
    return None


def _send(tally: Tally, client, url: str, what: str, *, json_body=True, **kwargs) -> None:
    """POST and tally the answer; `json_body=False` checks the status alone (400/413)."""
    before = _state()
    response = client.post(url, **kwargs)
    tally.cases += 1
    if response.status_code >= 500:
        tally.server_errors.append((what, url, response.status_code))
    if json_body:
        problem = _refused_json(response)
    else:
        problem = None if response.status_code in (400, 413) else response.status_code
    if problem:
        tally.wrong_answers.append((what, url, problem))
    if _state() != before:
        tally.writes.append((what, url, response.status_code))


def _send_json(tally: Tally, client, url: str, what: str, body, json_body=True) -> None:
    _send(
        tally,
        client,
        url,
        what,
        json_body=json_body,
        data=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )


def _run(api, scene: Scene, cases) -> Tally:
    """cases(endpoint, body) yields (label, body) for each endpoint it applies to."""
    tally = Tally()
    for endpoint in ENDPOINTS:
        valid = _body(endpoint, scene)
        url = _fill(endpoint.url, scene)
        client = _client(api, scene, endpoint)
        for label, body in cases(endpoint, valid):
            _send_json(tally, client, url, f"{endpoint.name}: {label}", body)
    return tally


# --- one test per class of input -------------------------------------------------------------


def test_too_long_strings(api, scene):
    def cases(endpoint, valid):
        for name in endpoint.strings:
            yield f"{name} of 10,000 characters", _set(valid, (name,), LONG)

    tally = _run(api, scene, cases)
    tally.report("too-long strings")
    assert tally.cases == 18


def test_wrong_types(api, scene):
    def cases(endpoint, valid):
        yield "a list for the body", [valid]
        yield "a string for the body", "body"
        for name in endpoint.strings:
            yield f"an object for {name}", _set(valid, (name,), {"a": 1})
            yield f"a list for {name}", _set(valid, (name,), [valid.get(name)])
            yield f"a boolean for {name}", _set(valid, (name,), True)
        if "id_number" in endpoint.strings:
            yield "a number for id_number", _set(valid, ("id_number",), 12345)
        for path in endpoint.integers:
            yield f"a string for {path[-1]}", _set(valid, path, "一百")
            yield f"a decimal for {path[-1]}", _set(valid, path, 1.5)
        for key in ("outs", "bank", "identities", "applicant"):
            if key in valid:
                yield f"a string for {key}", _set(valid, (key,), "x")
        if "outs" in valid:
            yield "a list for an out place", _set(valid, ("outs", 0), ["enterprise"])

    tally = _run(api, scene, cases)
    tally.report("wrong types")
    assert tally.cases >= 50


def test_a_number_for_a_string_is_refused(api, scene):
    def cases(endpoint, valid):
        for name in endpoint.strings:
            if name != "id_number":  # test_wrong_types: 12345 is no valid number anyway
                yield f"a number for {name}", _set(valid, (name,), 12345)

    tally = _run(api, scene, cases)
    tally.report("a number for a string")


def test_unknown_codes(api, scene):
    def cases(endpoint, valid):
        for path, code in endpoint.codes.items():
            yield f"{'.'.join(map(str, path))} = {code}", _set(valid, path, code)

    tally = _run(api, scene, cases)
    # The filters of the lists, too: an unknown status or province is a 400, not an empty page.
    for url, user in [
        ("/api/v1/transfers/?status=x", "bj_reviewer"),
        ("/api/v1/transfers/?province=x", "bj_reviewer"),
        ("/api/v1/refunds/?status=x", "clerk"),
        ("/api/v1/whitelist/?status=x", "admin"),
        ("/api/v1/offices/?province=99", "clerk"),
    ]:
        response = api(scene.users[user]).get(url)
        tally.cases += 1
        if response.status_code >= 500:
            tally.server_errors.append((url, response.status_code))
        if problem := _refused_json(response):
            tally.wrong_answers.append((url, problem))
    tally.report("unknown codes")
    assert tally.cases >= 25


@pytest.mark.parametrize("month", ["2020-13", "2020-00", "abcd-ef", "2020-1", "0000-01"])
def test_impossible_months(api, scene, month):
    def cases(endpoint, valid):
        for path in endpoint.months:
            yield f"{'.'.join(map(str, path))} = {month}", _set(valid, path, month)

    tally = _run(api, scene, cases)
    tally.report(f"impossible month {month}")
    assert tally.cases == 5


def test_negative_and_huge_amounts(api, scene):
    def cases(endpoint, valid):
        for path, values in endpoint.amounts.items():
            for value in values:
                yield f"{path[-1]} = {value}", _set(valid, path, value)

    tally = _run(api, scene, cases)
    tally.report("negative and huge amounts")
    assert tally.cases == 10


def test_malformed_json(api, scene):
    tally = Tally()
    for endpoint in ENDPOINTS:
        client = _client(api, scene, endpoint)
        url = _fill(endpoint.url, scene)
        for label, raw in [
            ("truncated", '{"a":'),
            ("not JSON", "id_number=1"),
            ("a NUL byte", '{"note": "\u0000"}'),
            ("invalid UTF-8", b'{"note": "\xff\xfe"}'),
        ]:
            _send(
                tally,
                client,
                url,
                f"{endpoint.name}: {label}",
                data=raw,
                content_type="application/json",
            )
    tally.report("malformed JSON")
    assert tally.cases == 4 * len(ENDPOINTS)


def _oversized(api, scene, *, json_body: bool) -> Tally:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 2_621_440  # Django's default: the settings keep it
    tally = Tally()
    for endpoint in ENDPOINTS:
        body = {**_body(endpoint, scene), "padding": "x" * (limit + 1)}
        url = _fill(endpoint.url, scene)
        client = _client(api, scene, endpoint)
        _send_json(tally, client, url, endpoint.name, body, json_body=json_body)
    return tally


def test_oversized_json_bodies(api, scene):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE, even one whose fields are otherwise acceptable,
    is a 400 (Django's RequestDataTooBig as DRF reads the body), never a 500, and writes
    nothing."""
    tally = _oversized(api, scene, json_body=False)
    tally.report("oversized JSON bodies: status and writes")
    assert tally.cases == len(ENDPOINTS)


def test_oversized_json_bodies_answer_json_with_a_chinese_message(api, scene):
    tally = _oversized(api, scene, json_body=True)
    tally.report("oversized JSON bodies: JSON answer")


def test_contribution_with_an_unknown_region_is_400(api, scene):
    endpoint = ENDPOINTS[7]
    assert endpoint.name == "contributions"
    tally = Tally()
    body = _set(_body(endpoint, scene), ("region",), "999999")
    _send_json(tally, _client(api, scene, endpoint), _fill(endpoint.url, scene), "region", body)
    tally.report("contribution region 999999")


def test_oversized_form_bodies(client, scene):
    """The window's forms: a urlencoded body past the limit is a 400 (Django's RequestDataTooBig),
    never a 500, and nothing is written."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    tally = Tally()
    for url, user in [
        ("/transfers/new/", "clerk"),
        ("/refunds/new/", "clerk"),
        ("/whitelist/new/", "admin"),
        (f"/transfers/{scene.legs['eligible']}/withdraw/", "clerk"),
    ]:
        client.force_login(scene.users[user])
        before = _state()
        response = client.post(
            url,
            data=f"id_number=1&note={'x' * (limit + 1)}",
            content_type="application/x-www-form-urlencoded",
        )
        tally.cases += 1
        if response.status_code >= 500:
            tally.server_errors.append((url, response.status_code))
        if response.status_code not in (400, 413):
            tally.wrong_answers.append((url, response.status_code))
        if _state() != before:
            tally.writes.append(url)
    tally.report("oversized form bodies")


TOO_BIG = b"%PDF-" + b"0" * MAX_BYTES  # one byte past 10 MB, and a real PDF by its start
TOO_BIG_MESSAGE = "超过10MB，请压缩后再上传。"


def test_oversized_uploads_to_the_apis(api, scene):
    tally = Tally()
    application_no = Application.objects.get(legs__transfer_no=scene.legs["eligible"])
    cases = [
        (
            "material",
            "clerk",
            f"/api/v1/transfer-applications/{application_no.application_no}/materials/",
            {"kind": "identity"},
            "file",
        ),
        (
            "whitelist evidence",
            "admin",
            "/api/v1/whitelist/",
            {**_fill(ENDPOINTS[9].body, scene)},
            "evidence_file",
        ),
    ]
    for what, user, url, data, file_field in cases:
        upload = SimpleUploadedFile("证明.pdf", TOO_BIG, content_type="application/pdf")
        before = _state()
        response = api(scene.users[user]).post(
            url, {**data, file_field: upload}, format="multipart"
        )
        tally.cases += 1
        if response.status_code >= 500:
            tally.server_errors.append((what, response.status_code))
        if (problem := _refused_json(response)) or TOO_BIG_MESSAGE not in response.json()[
            "message"
        ]:
            tally.wrong_answers.append((what, problem or response.json()))
        if _state() != before:
            tally.writes.append(what)
    tally.report("oversized uploads (API)")


# --- the window's forms ----------------------------------------------------------------------


def _page_refused(tally: Tally, client, url: str, data: dict, what: str, *, expect: str):
    """A form page answers 200 with the form again and `expect` in the error summary on top."""
    before = _state()
    response = client.post(url, data)
    tally.cases += 1
    if response.status_code >= 500:
        tally.server_errors.append((what, response.status_code))
    summary = Page(response.content.decode()).text("error-summary")
    if response.status_code != 200 or expect not in summary:
        tally.wrong_answers.append((what, response.status_code, expect, summary[:200]))
    if _state() != before:
        tally.writes.append(what)


def _transfer_form(person: Person, **changes) -> dict:
    data = {
        "id_number": person.id_number,
        "name": person.name,
        "phone": "13800000000",
        "hukou_address": "北京市东城区某街道1号",
        "in_scheme": "enterprise",
        "in-province": "110000",
        "in-city": "",
        "in-county": "110108",
        "out-0-scheme": "enterprise",
        "out-0-province": "220000",
        "out-0-city": "220100",
        "out-0-county": "220102",
        "applicant_kind": "self",
        "material_identity": SimpleUploadedFile("身份证.png", PNG, content_type="image/png"),
    }
    data.update(changes)
    return data


def _refund_form(person: Person, **changes) -> dict:
    data = {
        "id_number": person.id_number,
        "period-0-region": "110108",
        "period-0-start": "2020-01",
        "period-0-end": "2020-02",
        "period-0-identity": "flexible",
        "period-1-region": "220102",
        "period-1-start": "2020-01",
        "period-1-end": "2020-02",
        "period-1-identity": "employee",
        "refund_region": "110108",
        "months": ["2020-01"],
        "bank_name": "中国工商银行北京海淀支行",
        "account_no": "6222 0202 0000 1234 567",
        "holder_name": person.name,
        "confirm_direction": "1",
        "action": "submit",
    }
    data.update(changes)
    return data


def _whitelist_form(person: Person, **changes) -> dict:
    data = {
        "id_number": person.id_number,
        "account": "220102:enterprise",
        "reason": "CLEARED",
        "transfer_no": "",
        "evidence": "长春市南关区社会保险事业管理局出具的已清算证明",
        "evidence_file": SimpleUploadedFile("清算证明.png", PNG, content_type="image/png"),
    }
    data.update(changes)
    return data


def test_forms_refuse_bad_input_with_a_form_error(client, scene):
    """/transfers/new/, /refunds/new/, /whitelist/new/: each class of bad input the form can
    carry comes back as the form with its error, and nothing is written."""
    tally = Tally()
    bj, refundee = scene.people[2], scene.people[5]
    big = SimpleUploadedFile("身份证.pdf", TOO_BIG, content_type="application/pdf")
    client.force_login(scene.users["clerk"])
    for what, changes, expect in [
        ("name too long", {"name": LONG}, "姓名"),
        ("address too long", {"hukou_address": LONG}, "户籍地址"),
        ("phone too long", {"phone": "1" * 10_000}, "联系电话"),
        ("unknown scheme", {"in_scheme": "x"}, "转入险种"),
        ("unknown region", {"in-county": "999999", "in-province": "990000"}, "转入地"),
        ("unknown out region", {"out-0-county": "999999"}, "转出地"),
        ("unknown applicant kind", {"applicant_kind": "x"}, "申请方式"),
        ("material over 10 MB", {"material_identity": big}, TOO_BIG_MESSAGE),
    ]:
        _page_refused(
            tally, client, "/transfers/new/", _transfer_form(bj, **changes), what, expect=expect
        )
    for what, changes, expect in [
        ("bank name too long", {"bank_name": LONG}, "开户银行"),
        ("holder too long", {"holder_name": LONG}, "户名"),
        ("month 2020-13", {"period-0-start": "2020-13"}, "起止年月"),
        ("month 2020-00", {"period-0-end": "2020-00"}, "起止年月"),
        ("month abcd-ef", {"period-0-start": "abcd-ef"}, "起止年月"),
        ("unknown refund month", {"months": ["2020-13"]}, "退费月份"),
        ("unknown region", {"refund_region": "999999"}, "退费方向"),
        ("unknown identity", {"period-0-identity": "x"}, "参保身份"),
    ]:
        _page_refused(
            tally, client, "/refunds/new/", _refund_form(refundee, **changes), what, expect=expect
        )
    client.force_login(scene.users["admin"])
    big = SimpleUploadedFile("证明.pdf", TOO_BIG, content_type="application/pdf")
    for what, changes, expect in [
        ("evidence too long", {"evidence": LONG}, "证明材料"),
        ("transfer number too long", {"transfer_no": LONG}, "转移编号"),
        ("unknown reason", {"reason": "x"}, "原因"),
        ("unknown account", {"account": "999999:x"}, "参保关系"),
        ("evidence over 10 MB", {"evidence_file": big}, TOO_BIG_MESSAGE),
    ]:
        _page_refused(
            tally,
            client,
            "/whitelist/new/",
            _whitelist_form(scene.people[1], **changes),
            what,
            expect=expect,
        )
    tally.report("forms")


def test_person_lookup_refuses_bad_numbers_on_the_page(client, scene):
    tally = Tally()
    client.force_login(scene.users["clerk"])
    for value in [LONG, "12345", "x" * 18, "110101199913450001", "[]"]:
        response = client.get("/persons/", {"id_number": value})
        tally.cases += 1
        if response.status_code >= 500:
            tally.server_errors.append((value[:20], response.status_code))
        text = response.content.decode()
        if response.status_code != 200 or '<p class="error" role="alert">' not in text:
            tally.wrong_answers.append((value[:20], response.status_code))
    tally.report("person lookup")
