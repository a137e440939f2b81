"""The transfer API's contract (API.md "Transfers", "Status codes"): body shapes, every status
code a client can cause, idempotent submission, the scoped paginated list, bounded query counts,
and material uploads."""

import copy
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from registry.models import AccountStatus, ModuleSwitch
from registry.services import module_switch_set
from registry.validators import make_id_number
from tests.conftest import region
from tests.factories import AccountFactory, OfficeFactory
from transfer import services
from transfer.models import Application, IdempotencyKey, Material, TransferLeg

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATE = "/api/v1/transfer-applications/"
LIST = "/api/v1/transfers/"

TRANSFER_FIELDS = {
    "transfer_no",
    "application_no",
    "id_number",
    "name",
    "mode",
    "out_scheme",
    "out_region",
    "out_province",
    "in_scheme",
    "in_region",
    "in_province",
    "status",
    "reasons",
    "info_sheet",
    "deadline",
    "overdue",
    "timeline",
}
TIMELINE_FIELDS = {"at", "action", "status", "actor", "office", "note"}
INFO_SHEET_FIELDS = {
    "version",
    "months",
    "pooled_months",
    "individual_fen",
    "pooled_fen",
    "total_fen",
    "duplicate_months",
}
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00")


def detail(no: str) -> str:
    return f"/api/v1/transfers/{no}/"


def action(no: str, name: str) -> str:
    return f"/api/v1/transfers/{no}/{name}/"


@pytest.fixture
def post_application(api, clerk, application_body, django_capture_on_commit_callbacks):
    """post_application(user=clerk, body=application_body, key=None) → the response; the
    eligibility check runs as the submission commits."""

    def post(user=None, body=None, key=None, check=True):
        client = api(user or clerk)
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        if not check:
            return client.post(CREATE, body or application_body, format="json", **headers)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(CREATE, body or application_body, format="json", **headers)

    return post


@pytest.fixture
def eligible_no(accounts, post_application) -> str:
    created = post_application()
    assert created.status_code == 201, created.json()
    return created.json()["transfers"][0]["transfer_no"]


# --- 201 -----------------------------------------------------------------------------------------


def test_create_answers_201_with_every_transfer_field(accounts, post_application, clerk, api):
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        created = post_application()

    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"application_no", "transfers"}
    assert body["application_no"] == "110108-20260928-00001"
    [transfer] = body["transfers"]
    assert set(transfer) >= TRANSFER_FIELDS
    [entry] = transfer.pop("timeline")
    assert {key: transfer[key] for key in TRANSFER_FIELDS - {"timeline"}} == {
        "transfer_no": "110108-20260928-00001-1",
        "application_no": "110108-20260928-00001",
        "id_number": "110101198808080001",
        "name": "严某荣",
        "mode": "periodic",
        "out_scheme": "enterprise",
        "out_region": "220102",
        "out_province": "220000",
        "in_scheme": "enterprise",
        "in_region": "110108",
        "in_province": "110000",
        "status": "submitted",
        "reasons": [],
        "info_sheet": None,
        "deadline": "2026-10-16",
        "overdue": False,
    }
    assert set(entry) >= TIMELINE_FIELDS
    assert ISO_WITH_OFFSET.fullmatch(entry.pop("at")), entry
    assert {key: entry[key] for key in TIMELINE_FIELDS - {"at"}} == {
        "action": "submit",
        "status": "submitted",
        "actor": "hd_clerk",
        "office": clerk.staff.office.name,
        "note": "",
    }

    # The check ran once the submission committed.
    shown = api(clerk).get(detail("110108-20260928-00001-1")).json()
    assert shown["status"] == "eligible"
    assert [(e["action"], e["status"], e["actor"]) for e in shown["timeline"]] == [
        ("submit", "submitted", "hd_clerk"),
        ("pass_check", "eligible", "系统"),
    ]
    assert shown["timeline"][1]["office"] == "人社部全国转移接续平台"


def test_info_sheet_and_rejection_reasons_in_the_transfer(
    accounts, post_application, api, jilin_reviewer, application_body
):
    created = post_application()
    no = created.json()["transfers"][0]["transfer_no"]

    sheet = api(jilin_reviewer).post(action(no, "info-sheet"), {"note": "已核"}, format="json")

    assert sheet.status_code == 200, sheet.json()
    assert set(sheet.json()["info_sheet"]) >= INFO_SHEET_FIELDS
    assert sheet.json()["info_sheet"]["total_fen"] == 3_216_000
    assert sheet.json()["timeline"][-1]["note"] == "已核"

    duplicate = post_application().json()["transfers"][0]["transfer_no"]
    shown = api(jilin_reviewer).get(detail(duplicate)).json()
    assert shown["status"] == "rejected"
    assert shown["reasons"] == [
        {
            "code": "DUPLICATE_APPLICATION",
            "message": "已有在途转移申请：该转出地尚有未办结的转移业务。",
        }
    ]
    assert (shown["info_sheet"], shown["deadline"]) == (None, None)


def test_agent_application(accounts, post_application, application_body):
    agent_id = make_id_number("110105", datetime(1985, 5, 5).date(), 7)
    body = {
        **application_body,
        "applicant": {
            "kind": "agent",
            "name": "李某",
            "id_number": agent_id,
            "power_of_attorney": True,
        },
    }

    created = post_application(body=body)

    assert created.status_code == 201, created.json()
    application = Application.objects.get()
    assert (
        application.applicant_kind,
        application.agent_name,
        application.agent_id_number,
        application.power_of_attorney,
    ) == ("agent", "李某", agent_id, True)


# --- 400 -----------------------------------------------------------------------------------------


def _without(*names):
    return lambda body: {k: v for k, v in body.items() if k not in names}


def _with(**values):
    return lambda body: {**body, **values}


ELEVEN_OUTS = [{"scheme": "enterprise", "region": f"{p}0000"} for p in range(11, 22)]
BAD_INPUT = {
    "missing id_number": (_without("id_number"), {"id_number"}),
    "missing several": (
        _without("name", "phone", "hukou_address"),
        {"name", "phone", "hukou_address"},
    ),
    "missing outs": (_without("outs"), {"outs"}),
    "bad in_region code": (_with(in_region="11010"), {"in_region"}),
    "bad out region code": (_with(outs=[{"scheme": "enterprise", "region": "22O102"}]), {"outs"}),
    "unknown in_region": (_with(in_region="119999"), {"in_region"}),
    "empty outs": (_with(outs=[]), {"outs"}),
    "eleven outs": (_with(outs=ELEVEN_OUTS), {"outs"}),
    "outs not a list": (_with(outs="220102"), {"outs"}),
    "bad phone": (_with(phone="1380000000a"), {"phone"}),
    "unknown in_scheme": (_with(in_scheme="military"), {"in_scheme"}),
    "unknown out scheme": (_with(outs=[{"scheme": "pension", "region": "220102"}]), {"outs"}),
    "unknown channel": (_with(channel="wechat"), {"channel"}),
    "bad check digit": (_with(id_number="110101198808080002"), {"id_number"}),
    "name mismatch": (_with(name="严某"), {"name"}),
    "unknown applicant kind": (_with(applicant={"kind": "friend"}), {"applicant"}),
    "agent without power of attorney": (
        _with(applicant={"kind": "agent", "name": "李某", "id_number": "110101198808080001"}),
        {"applicant"},
    ),
    "manual is not a boolean": (_with(manual="perhaps"), {"manual"}),
    "duplicate out places": (
        _with(
            outs=[
                {"scheme": "enterprise", "region": "220102"},
                {"scheme": "enterprise", "region": "220000"},
            ]
        ),
        {"outs"},
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_400_naming_the_fields(
    case, accounts, post_application, application_body, world
):
    change, fields = BAD_INPUT[case]
    before = world()

    answer = post_application(body=change(copy.deepcopy(application_body)))

    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert set(body["fields"]) == fields
    assert all(body["fields"][name] for name in fields)
    assert re.search(r"[\u4e00-\u9fff]", body["message"])
    assert world() == before


def test_malformed_json_is_400(accounts, api, clerk):
    answer = api(clerk).post(CREATE, data='{"id_number": "1101', content_type="application/json")

    assert answer.status_code == 400
    assert answer.json()["code"] == "MALFORMED"
    assert Application.objects.count() == 0


@pytest.mark.parametrize("payload", ["[]", '"text"', "null", "42"])
def test_json_that_is_not_an_object_is_400(payload, accounts, api, clerk):
    answer = api(clerk).post(CREATE, data=payload, content_type="application/json")

    assert answer.status_code == 400, answer.content
    assert Application.objects.count() == 0


def test_traditional_case_is_400_with_its_code_away_from_the_incoming_province(
    accounts, post_application, application_body, make_staff, jilin_office, world
):
    """A traditional case (here 企业 → 机关事业单位) is accepted only at an office of the incoming
    province (201 at 海淀: tests/transfer/test_traditional_apis.py); at 长春 it is refused."""
    before = world()

    answer = post_application(
        user=make_staff("clerk", office=jilin_office),
        body={**application_body, "in_scheme": "institution"},
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "TRADITIONAL_AT_INCOMING_OFFICE"
    assert list(answer.json()["fields"]) == ["outs"]
    assert world() == before


# --- 401 / 403 / 404 / 409 / 503 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", CREATE),
        ("get", LIST),
        ("get", detail("110108-20260928-00001-1")),
        ("post", action("110108-20260928-00001-1", "confirm")),
        ("get", "/api/v1/progress/?id_number=110101198808080001"),
        ("post", "/api/v1/transfer-applications/110108-20260928-00001/materials/"),
    ],
)
def test_anonymous_is_401(method, url, api, db):
    answer = getattr(api(), method)(url, {}, format="json") if method == "post" else api().get(url)

    assert answer.status_code == 401
    assert answer.json()["code"] == "NOT_AUTHENTICATED"


def test_invalid_token_is_401(api, db):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    answer = client.get(LIST)

    assert answer.status_code == 401
    assert answer.json()["code"] == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize("role", ["finance", "reviewer", "auditor", "supervisor"])
def test_roles_that_do_not_apply_get_403(role, accounts, post_application, make_staff):
    answer = post_application(user=make_staff(role))

    assert answer.status_code == 403
    assert answer.json()["code"] == "FORBIDDEN"
    assert Application.objects.count() == 0


def test_user_without_an_office_gets_403(accounts, post_application, make_staff, api, eligible_no):
    nowhere = make_staff("clerk", "reviewer", office=None)

    assert post_application(user=nowhere).status_code == 403
    assert api(nowhere).get(LIST).status_code == 403
    assert api(nowhere).get(detail(eligible_no)).status_code == 403


@pytest.mark.parametrize(
    ("who", "name", "body"),
    [
        ("guangdong_reviewer", "info-sheet", {}),
        ("beijing_reviewer", "info-sheet", {}),
        ("guangdong_reviewer", "refuse", {"code": "OTHER", "note": "不予受理"}),
        ("beijing_reviewer", "refuse", {"code": "OTHER", "note": "不予受理"}),
        ("jilin_reviewer", "withdraw", {"note": ""}),
    ],
)
def test_acting_outside_ones_province_or_office_is_403(
    who, name, body, eligible_no, api, request, world
):
    before = world()

    answer = api(request.getfixturevalue(who)).post(action(eligible_no, name), body, format="json")

    assert answer.status_code == 403, answer.json()
    assert answer.json()["code"] == "FORBIDDEN"
    assert world() == before


def test_confirm_by_the_outgoing_reviewer_is_403(eligible_no, api, jilin_reviewer, world):
    assert api(jilin_reviewer).post(action(eligible_no, "info-sheet")).status_code == 200
    before = world()

    answer = api(jilin_reviewer).post(action(eligible_no, "confirm"))

    assert answer.status_code == 403
    assert world() == before


def test_reviewer_of_another_province_cannot_see_the_leg(eligible_no, api, guangdong_reviewer):
    answer = api(guangdong_reviewer).get(detail(eligible_no))

    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", detail("110108-20260928-99999-1")),
        ("post", action("110108-20260928-99999-1", "confirm")),
        ("post", action("110108-20260928-99999-1", "withdraw")),
    ],
)
def test_unknown_transfer_number_is_404(method, url, api, clerk, beijing_reviewer):
    user = beijing_reviewer if url.endswith("confirm/") else clerk

    answer = getattr(api(user), method)(url)

    assert answer.status_code == 404
    assert answer.json()["code"] == "NOT_FOUND"


def test_wrong_state_is_409(eligible_no, api, beijing_reviewer, world):
    before = world()

    answer = api(beijing_reviewer).post(action(eligible_no, "confirm"))

    assert answer.status_code == 409
    assert (answer.json()["code"], answer.json()["status"]) == ("WRONG_STATE", "eligible")
    assert world() == before


def test_return_without_a_note_is_400(eligible_no, api, jilin_reviewer, beijing_reviewer, world):
    api(jilin_reviewer).post(action(eligible_no, "info-sheet"))
    before = world()

    answer = api(beijing_reviewer).post(action(eligible_no, "return"), {}, format="json")

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["note"]
    assert world() == before


def test_refuse_with_an_unknown_code_is_400(eligible_no, api, jilin_reviewer):
    answer = api(jilin_reviewer).post(
        action(eligible_no, "refuse"), {"code": "LAZY", "note": "x"}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["code"]


def test_full_workflow_through_the_actions(
    eligible_no, api, clerk, jilin_reviewer, beijing_reviewer
):
    steps = [
        (jilin_reviewer, "info-sheet", {}, "info_uploaded"),
        (beijing_reviewer, "return", {"note": "缺少明细"}, "eligible"),
        (jilin_reviewer, "info-sheet", {"note": "补充明细"}, "info_uploaded"),
        (beijing_reviewer, "confirm", {}, "completed"),
    ]
    for user, name, body, status in steps:
        answer = api(user).post(action(eligible_no, name), body, format="json")
        assert (answer.status_code, answer.json()["status"]) == (200, status), answer.json()
    final = answer.json()
    assert final["info_sheet"]["version"] == 2
    assert [entry["action"] for entry in final["timeline"]] == [
        "submit",
        "pass_check",
        "upload_info",
        "send_back",
        "upload_info",
        "confirm",
    ]
    assert final["timeline"][3]["note"] == "缺少明细"


def test_suspended_module_is_503_with_the_notice(
    accounts, post_application, make_staff, national_office, world
):
    admin = make_staff("admin", office=national_office)
    notice = "因系统升级，转移接续业务暂停办理。"
    module_switch_set(actor=admin, name=ModuleSwitch.Module.TRANSFER, suspended=True, notice=notice)
    before = world()

    answer = post_application()

    assert answer.status_code == 503
    assert answer.json() == {
        "code": "MODULE_SUSPENDED",
        "message": notice,
        "module": "transfer",
        "notice": notice,
    }
    assert world() == before


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", detail("%00"), 404),
        ("get", detail("x" * 500), 404),
        ("get", detail("１１０１０８"), 404),
        ("post", action("%00", "confirm"), 404),
        ("post", action("%00", "withdraw"), 404),  # no such number, whoever asks
        ("get", LIST + "?status=nonsense", 400),
        ("get", LIST + "?province=11", 400),
        ("get", LIST + "?overdue=maybe", 400),
        ("get", LIST + "?q=%00", 400),
        ("get", LIST + "?page=abc", 404),
        ("get", LIST + "?page=99", 404),
        ("get", "/api/v1/progress/", 400),
        ("get", "/api/v1/progress/?id_number=%00", 400),
        ("get", "/api/v1/progress/?id_number=11010119880808000X", 400),
    ],
)
def test_odd_requests_never_500(method, url, status, api, beijing_reviewer, eligible_no):
    answer = getattr(api(beijing_reviewer), method)(url)

    assert answer.status_code == status, (answer.status_code, answer.content[:300])
    assert answer.json()["code"]


def test_material_upload_to_a_nul_number_is_404(api, clerk, db):
    answer = upload(api(clerk), "%00", "a.pdf", PDF)

    assert answer.status_code == 404


@pytest.mark.parametrize(
    "key",
    ["k" * 129, "bad\x00key"],
    ids=["too-long", "nul"],
)
def test_odd_idempotency_keys_never_500(key, accounts, post_application):
    answer = post_application(key=key)

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["fields"]) == ["Idempotency-Key"]
    assert Application.objects.count() == 0


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_answer(accounts, post_application):
    first = post_application(key="req-0001")
    second = post_application(key="req-0001")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert Application.objects.count() == 1
    assert TransferLeg.objects.count() == 1
    assert IdempotencyKey.objects.get().key == "req-0001"


def test_same_key_with_another_body_is_409(accounts, post_application, application_body):
    post_application(key="req-0001")

    answer = post_application(key="req-0001", body={**application_body, "phone": "13900000000"})

    assert answer.status_code == 409
    assert answer.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Application.objects.count() == 1
    assert Application.objects.get().phone == "13800000000"


def test_different_users_may_use_the_same_key(accounts, post_application, make_staff):
    first = post_application(key="req-0001")
    second = post_application(key="req-0001", user=make_staff("clerk", username="hd_clerk_2"))

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["application_no"] != second.json()["application_no"]
    assert Application.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(accounts, post_application, application_body):
    refused = post_application(key="req-0001", body={**application_body, "name": "严某"})
    accepted = post_application(key="req-0001")

    assert (refused.status_code, accepted.status_code) == (400, 201)
    assert Application.objects.count() == 1


# --- the list ------------------------------------------------------------------------------------


@pytest.fixture
def three_legs(person, accounts, post_application, application_body, api, jilin_reviewer):
    """Jilin→Beijing eligible, Guangdong→Beijing eligible, Jilin→Beijing rejected (duplicate)."""
    AccountFactory(
        person=person,
        region=region("440106"),
        province=region("440000"),
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=10_000,
    )
    jilin = post_application().json()["transfers"][0]["transfer_no"]
    guangdong_body = {**application_body, "outs": [{"scheme": "enterprise", "region": "440106"}]}
    guangdong = post_application(body=guangdong_body).json()["transfers"][0]["transfer_no"]
    duplicate = post_application().json()["transfers"][0]["transfer_no"]
    return jilin, guangdong, duplicate


def test_list_is_paginated(three_legs, api, beijing_reviewer):
    jilin, guangdong, duplicate = three_legs
    client = api(beijing_reviewer)

    first = client.get(LIST, {"page_size": 2}).json()
    second = client.get(LIST, {"page_size": 2, "page": 2}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert (first["count"], first["previous"]) == (3, None)
    assert first["next"] == "http://testserver/api/v1/transfers/?page=2&page_size=2"
    assert [t["transfer_no"] for t in first["results"]] == [duplicate, guangdong]
    assert [t["transfer_no"] for t in second["results"]] == [jilin]
    assert second["next"] is None and second["previous"] is not None
    assert set(first["results"][0]) >= TRANSFER_FIELDS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["duplicate", "guangdong", "jilin"]),
        ({"status": "eligible"}, ["guangdong", "jilin"]),
        ({"status": "rejected"}, ["duplicate"]),
        ({"status": "completed"}, []),
        ({"province": "440000"}, ["guangdong"]),
        ({"province": "440106"}, ["guangdong"]),
        ({"province": "220000"}, ["duplicate", "jilin"]),
        ({"province": "110000"}, ["duplicate", "guangdong", "jilin"]),
        ({"overdue": "true"}, ["guangdong", "jilin"]),
        ({"overdue": "false"}, ["duplicate"]),
        ({"status": "eligible", "province": "220000"}, ["jilin"]),
    ],
)
def test_list_filters(query, expected, three_legs, api, beijing_reviewer):
    names = dict(zip(["jilin", "guangdong", "duplicate"], three_legs, strict=True))
    assert services.legs_mark_overdue(today=timezone.localdate() + timedelta(days=60)) == 2

    answer = api(beijing_reviewer).get(LIST, query)

    assert answer.status_code == 200, answer.json()
    assert [t["transfer_no"] for t in answer.json()["results"]] == [names[n] for n in expected]
    assert answer.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("jilin_reviewer", ["duplicate", "jilin"]),
        ("guangdong_reviewer", ["guangdong"]),
        ("beijing_reviewer", ["duplicate", "guangdong", "jilin"]),
        ("ministry", ["duplicate", "guangdong", "jilin"]),
        ("shanghai_reviewer", []),
    ],
)
def test_list_is_scoped(who, expected, three_legs, api, request, make_staff):
    names = dict(zip(["jilin", "guangdong", "duplicate"], three_legs, strict=True))
    if who == "shanghai_reviewer":
        user = make_staff("reviewer", office=OfficeFactory(code="310000", region=region("310000")))
    else:
        user = request.getfixturevalue(who)

    answer = api(user).get(LIST)

    assert [t["transfer_no"] for t in answer.json()["results"]] == [names[n] for n in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"province": "11"}, "province"),
        ({"overdue": "maybe"}, "overdue"),
    ],
)
def test_bad_list_filters_are_400(query, field, api, beijing_reviewer):
    answer = api(beijing_reviewer).get(LIST, query)

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == [field]


# --- query counts --------------------------------------------------------------------------------


@pytest.fixture
def many_legs(ready_person, submit, jilin_reviewer, beijing_reviewer):
    """make(n): n legs of n people, in every shape the list shows — checked, with sheets (one
    returned and uploaded again), completed."""

    def make(n: int) -> list[str]:
        numbers = []
        for i in range(n):
            leg = TransferLeg.objects.get(application=submit(who=ready_person()))
            if i % 3 >= 1:
                services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
            if i % 3 == 2:
                services.leg_return(
                    actor=beijing_reviewer, transfer_no=leg.transfer_no, note="退回"
                )
                services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=leg.transfer_no)
                services.leg_confirm(actor=beijing_reviewer, transfer_no=leg.transfer_no)
            numbers.append(leg.transfer_no)
        return numbers

    return make


LIST_QUERIES = 10  # auth, scope, count, page, sheets, logs: none per leg


def test_list_query_count_does_not_grow_with_the_legs(
    many_legs, api, beijing_reviewer, django_assert_max_num_queries
):
    counts = []
    for total in (5, 30):
        many_legs(total - TransferLeg.objects.count())
        client = api(beijing_reviewer)

        with django_assert_max_num_queries(LIST_QUERIES) as captured:
            answer = client.get(LIST)

        assert answer.status_code == 200
        assert (answer.json()["count"], len(answer.json()["results"])) == (total, total)
        assert {len(t["timeline"]) for t in answer.json()["results"]} == {2, 3, 6}
        assert {bool(t["info_sheet"]) for t in answer.json()["results"]} == {False, True}
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


def test_progress_query_count_does_not_grow_with_the_legs(
    accounts, submit, api, clerk, django_assert_max_num_queries
):
    counts = []
    for total in (1, 8):
        while TransferLeg.objects.count() < total:
            submit()
        client = api(clerk)

        with django_assert_max_num_queries(LIST_QUERIES) as captured:
            answer = client.get("/api/v1/progress/", {"id_number": "110101198808080001"})

        assert answer.status_code == 200
        statuses = [t["status"] for t in answer.json()["transfers"]]
        assert statuses == ["rejected"] * (total - 1) + ["eligible"]
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


def test_progress_is_newest_first_and_validates_the_number(accounts, submit, api, clerk):
    first, second = submit(), submit()
    client = api(clerk)

    answer = client.get("/api/v1/progress/", {"id_number": "110101198808080001"})
    bad = client.get("/api/v1/progress/", {"id_number": "110101198808080002"})

    assert [t["application_no"] for t in answer.json()["transfers"]] == [
        second.application_no,
        first.application_no,
    ]
    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["id_number"]


def test_progress_is_scoped_for_reviewers(
    three_legs, api, jilin_reviewer, guangdong_reviewer, make_staff, jilin_office
):
    jilin, guangdong, duplicate = three_legs
    query = {"id_number": "110101198808080001"}

    def seen(user):
        return [
            t["transfer_no"] for t in api(user).get("/api/v1/progress/", query).json()["transfers"]
        ]

    assert seen(jilin_reviewer) == [duplicate, jilin]
    assert seen(guangdong_reviewer) == [guangdong]
    # A clerk anywhere may look a person's cases up: the applicant may ask at any office.
    assert seen(make_staff("clerk", office=jilin_office)) == [duplicate, guangdong, jilin]


# --- materials -----------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def application_no(accounts, submit) -> str:
    return submit().application_no


def upload(client, application_no, name, content, kind="identity"):
    return client.post(
        f"/api/v1/transfer-applications/{application_no}/materials/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("严某荣身份证.pdf", PDF, "application/pdf", "pdf"),
        ("严某荣身份证.png", PNG, "image/png", "png"),
        ("严某荣身份证.jpg", JPEG, "image/jpeg", "jpg"),
        ("scan.bin", PDF, "application/pdf", "pdf"),
    ],
)
def test_material_upload_accepts_pdf_png_jpeg_by_content(
    name, content, content_type, extension, application_no, api, clerk, media
):
    answer = upload(api(clerk), application_no, name, content)

    assert answer.status_code == 201, answer.json()
    material = Material.objects.get(pk=answer.json()["id"])
    assert (material.content_type, material.size, material.original_name) == (
        content_type,
        len(content),
        name,
    )
    assert re.fullmatch(
        rf"materials/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.{extension}", material.file.name
    )
    assert name.rsplit(".", 1)[0] not in material.file.name
    assert "严某荣" not in str(media.rglob("*"))
    stored = media / material.file.name
    assert stored.read_bytes() == content


def test_two_uploads_get_different_names(application_no, api, clerk, media):
    client = api(clerk)
    upload(client, application_no, "a.pdf", PDF)
    upload(client, application_no, "a.pdf", PDF)

    first, second = Material.objects.order_by("id")
    assert first.file.name != second.file.name


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("身份证.pdf", "这是一段文字，不是PDF。".encode(), "UNSUPPORTED_FILE"),
        ("photo.png", b"GIF89a" + b"\x00" * 20, "UNSUPPORTED_FILE"),
        ("big.pdf", PDF + b"\x00" * (10 * 1024 * 1024 + 1 - len(PDF)), "TOO_LARGE"),
    ],
    ids=["text-named-pdf", "gif-named-png", "over-10-MB"],
)
def test_material_upload_refuses_what_is_not_an_allowed_document(
    name, content, code, application_no, api, clerk, media, world
):
    before = world()

    answer = upload(api(clerk), application_no, name, content)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert list(answer.json()["fields"]) == ["file"]  # the input the file came in
    assert world() == before
    assert list(media.rglob("*.*")) == []


def test_material_of_exactly_10_mb_is_accepted(application_no, api, clerk, media):
    content = PDF + b"\x00" * (10 * 1024 * 1024 - len(PDF))

    assert upload(api(clerk), application_no, "max.pdf", content).status_code == 201


def test_material_upload_by_another_office_is_403(
    application_no, api, make_staff, jilin_office, media, world
):
    before = world()

    answer = upload(api(make_staff("clerk", office=jilin_office)), application_no, "a.pdf", PDF)

    assert answer.status_code == 403
    assert world() == before


def test_material_upload_bad_kind_unknown_application_and_wrong_role(
    application_no, api, clerk, beijing_reviewer, media
):
    bad_kind = upload(api(clerk), application_no, "a.pdf", PDF, kind="selfie")
    unknown = upload(api(clerk), "110108-20000101-00001", "a.pdf", PDF)
    reviewer = upload(api(beijing_reviewer), application_no, "a.pdf", PDF)

    assert (bad_kind.status_code, list(bad_kind.json()["fields"])) == (400, ["kind"])
    assert unknown.status_code == 404
    assert reviewer.status_code == 403
    assert Material.objects.count() == 0


def test_material_upload_as_json_is_415(application_no, api, clerk):
    answer = api(clerk).post(
        f"/api/v1/transfer-applications/{application_no}/materials/",
        json.dumps({"kind": "identity"}),
        content_type="application/json",
    )

    assert answer.status_code == 415
