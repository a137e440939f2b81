"""Registry API: auth (401/403), persons, offices, module switches, registration writes."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from common.models import AuditRecord
from registry.models import ContributionMonth, ModuleSwitch, Person
from registry.validators import make_id_number
from tests.factories import PASSWORD, AccountFactory, MonthFactory, PersonFactory, StaffFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_ID = make_id_number("110105", date(1990, 5, 17), 123)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- auth ---------------------------------------------------------------------------------------


def test_token_then_authenticated_request(api, make_staff):
    user = make_staff("clerk")
    client = api()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/offices/").status_code == 200


def test_token_wrong_password_is_401_in_chinese(api, make_staff):
    user = make_staff("clerk")
    response = api().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "wrong"}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {"code": "AUTHENTICATION_FAILED", "message": "用户名或密码错误。"}


def test_token_missing_fields_is_400_naming_them(api, db):
    response = api().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/persons/110101198808080001/"),
        ("get", "/api/v1/offices/"),
        ("put", "/api/v1/modules/refunds/"),
        ("post", "/api/v1/persons/"),
        ("get", "/api/schema/"),
    ],
)
def test_anonymous_is_401(api, db, method, url):
    response = getattr(api(), method)(url, {}, format="json")
    assert response.status_code == 401
    if url.startswith("/api/v1/"):
        assert response.json()["code"] == "NOT_AUTHENTICATED"


def test_bad_token_is_401(api, db):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/offices/").status_code == 401


def test_schema_and_swagger_ui_without_cdn(client, make_staff):
    client.force_login(make_staff("clerk"))
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/persons/{id_number}/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content
    assert b"cdn" not in docs.content.lower()


# --- persons ------------------------------------------------------------------------------------


def test_person_contract_fields(api, make_staff):
    account = AccountFactory(individual_balance_fen=3_000_000, arrears_fen=500)
    MonthFactory(account=account, month=date(2019, 1, 1))
    MonthFactory(account=account, month=date(2019, 2, 1))
    MonthFactory(account=account, month=date(2019, 3, 1), cleared=True)
    response = api(make_staff("clerk")).get(f"/api/v1/persons/{account.person.id_number}/")
    assert response.status_code == 200
    body = response.json()
    assert {"id_number", "name", "status", "accounts"} <= set(body)
    assert body["accounts"] == [
        {
            "region": "220102",
            "region_name": "南关区",
            "province": "220000",
            "scheme": "enterprise",
            "account_type": "general",
            "status": "contributing",
            "paid_months": 2,
            "arrears_fen": 500,
            "individual_balance_fen": 3_000_000,
        }
    ]


def test_person_scope(api, make_staff, national_office):
    jilin_only = AccountFactory(region_id="220102", province_id="220000").person
    jilin_only.hukou_region_id = "220102"
    jilin_only.save()
    url = f"/api/v1/persons/{jilin_only.id_number}/"
    # A clerk (any office) may look anyone up: a periodic transfer is accepted anywhere.
    assert api(make_staff("clerk")).get(url).status_code == 200
    assert api(make_staff("channel")).get(url).status_code == 200
    # A Beijing reviewer sees Beijing persons only; a national one sees all.
    assert api(make_staff("reviewer")).get(url).status_code == 403
    assert api(make_staff("reviewer", office=national_office)).get(url).status_code == 200
    # Finance has no business with person records; no office means nothing.
    assert api(make_staff("finance")).get(url).status_code == 403
    no_office = StaffFactory(office=None, roles=["clerk"]).user
    assert api(no_office).get(url).status_code == 403


def test_person_visible_to_reviewer_of_an_account_province(api, make_staff):
    person = AccountFactory(region_id="110108", province_id="110000").person
    AccountFactory(person=person)  # and one in Jilin
    response = api(make_staff("reviewer")).get(f"/api/v1/persons/{person.id_number}/")
    assert response.status_code == 200
    assert [a["province"] for a in response.json()["accounts"]] == ["110000", "220000"]


def test_unknown_person_is_404(api, make_staff):
    response = api(make_staff("clerk")).get("/api/v1/persons/110101198808080001/")
    assert response.status_code == 404
    assert response.json()["message"] == "未找到该社会保障号码对应的参保人员。"


# --- offices ------------------------------------------------------------------------------------


def test_office_directory_filters_and_paginates(api, make_staff, office, jilin_office):
    client = api(make_staff("finance"))
    everything = client.get("/api/v1/offices/").json()
    assert everything["count"] == 2 and {"next", "previous", "results"} <= set(everything)
    jilin = client.get("/api/v1/offices/", {"province": "220000"}).json()
    assert [o["code"] for o in jilin["results"]] == ["220102"]
    assert jilin["results"][0]["province_name"] == "吉林省"
    by_name = client.get("/api/v1/offices/", {"q": "南关"}).json()
    assert [o["code"] for o in by_name["results"]] == ["220102"]
    assert client.get("/api/v1/offices/", {"province": "11"}).status_code == 400


def test_office_directory_refused_without_office(api, db):
    assert (
        api(StaffFactory(office=None, roles=["clerk"]).user).get("/api/v1/offices/").status_code
        == 403
    )


# --- module switches ----------------------------------------------------------------------------


def test_module_switch_by_national_admin(api, make_staff, national_office):
    admin = make_staff("admin", office=national_office)
    notice = "因系统升级，重复缴费退费业务暂停办理。"
    response = api(admin).put(
        "/api/v1/modules/refunds/", {"suspended": True, "notice": notice}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["suspended"] is True
    switch = ModuleSwitch.objects.get(name="refunds")
    assert (switch.suspended, switch.notice, switch.updated_by) == (True, notice, admin)
    record = AuditRecord.objects.get(action="module.switch")
    assert (record.actor, record.office_code, record.data["suspended"]) == (admin, "MOH", True)


@pytest.mark.parametrize("role", ["clerk", "reviewer", "finance", "supervisor", "ministry"])
def test_module_switch_refused_for_other_roles(api, make_staff, national_office, role):
    response = api(make_staff(role, office=national_office)).put(
        "/api/v1/modules/refunds/", {"suspended": True, "notice": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not ModuleSwitch.objects.exists()


def test_module_switch_refused_for_provincial_admin(api, make_staff):
    response = api(make_staff("admin")).put(
        "/api/v1/modules/refunds/", {"suspended": True, "notice": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not ModuleSwitch.objects.exists()


def test_module_switch_bad_input(api, make_staff, national_office):
    client = api(make_staff("admin", office=national_office))
    assert (
        client.put("/api/v1/modules/nope/", {"suspended": True, "notice": "x"}).status_code == 404
    )
    missing_notice = client.put("/api/v1/modules/refunds/", {"suspended": True}, format="json")
    assert missing_notice.status_code == 400
    assert "notice" in missing_notice.json()["fields"]
    assert (
        client.put("/api/v1/modules/refunds/", {"suspended": "maybe"}, format="json").status_code
        == 400
    )
    assert not ModuleSwitch.objects.exists()


def register(client, id_number=NEW_ID):
    return client.post(
        "/api/v1/persons/",
        {"id_number": id_number, "name": "李某", "hukou_region": "110105"},
        format="json",
    )


def test_suspended_module_refuses_writes_with_503_and_notice(api, make_staff, national_office):
    admin = api(make_staff("admin", office=national_office))
    clerk = api(make_staff("clerk"))
    notice = "因系统升级，参保登记暂停办理。"
    admin.put("/api/v1/modules/registry/", {"suspended": True, "notice": notice}, format="json")
    response = register(clerk)
    assert response.status_code == 503
    assert response.json()["notice"] == notice
    assert not Person.objects.exists()
    # Reads still work while suspended.
    assert clerk.get("/api/v1/offices/").status_code == 200
    admin.put("/api/v1/modules/registry/", {"suspended": False}, format="json")
    assert register(clerk).status_code == 201


# --- registration writes and the month-end maintenance window ----------------------------------


def test_register_person_audited_with_masked_id(api, make_staff):
    clerk = make_staff("clerk")
    response = register(api(clerk))
    assert response.status_code == 201
    assert response.json()["id_number"] == NEW_ID
    record = AuditRecord.objects.get(action="person.register")
    assert record.actor == clerk
    assert record.data["id_number"] == f"{NEW_ID[:6]}********{NEW_ID[-4:]}"
    assert NEW_ID not in str(record.data)


def test_register_invalid_id_is_400_with_reason(api, make_staff):
    bad = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
    response = register(api(make_staff("clerk")), bad)
    assert response.status_code == 400
    assert response.json()["fields"] == {"id_number": ["社会保障号码校验位错误，请核对号码。"]}
    assert not Person.objects.exists()


def test_register_known_person_is_409(api, make_staff):
    client = api(make_staff("clerk"))
    register(client)
    assert register(client).status_code == 409
    assert Person.objects.count() == 1


def test_register_refused_for_reviewer(api, make_staff):
    assert register(api(make_staff("reviewer"))).status_code == 403
    assert not Person.objects.exists()


def test_malformed_json_is_400(api, make_staff):
    response = api(make_staff("clerk")).post(
        "/api/v1/persons/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "MALFORMED"


@pytest.mark.parametrize(
    "moment,open_",
    [
        (at(2026, 12, 31, 16, 59, 59), True),
        (at(2026, 12, 31, 17, 0, 0), False),
        (at(2027, 1, 1, 8, 59, 59), False),
        (at(2027, 1, 1, 9, 0, 0), True),
        (at(2027, 2, 28, 17, 30), False),  # last day of a short month
        (at(2028, 2, 28, 17, 30), True),  # 2028 is a leap year: the 29th is the last day
        (at(2026, 12, 15, 23, 0), True),
    ],
)
def test_maintenance_window_refuses_registry_writes(api, make_staff, moment, open_):
    clerk = api(make_staff("clerk"))
    with time_machine.travel(moment, tick=False):
        response = register(clerk)
    if open_:
        assert response.status_code == 201
    else:
        assert response.status_code == 503
        assert response.json()["code"] == "MAINTENANCE_WINDOW"
        assert "17:00" in response.json()["notice"]
        assert not Person.objects.exists()


def test_maintenance_window_refuses_contributions(api, make_staff):
    person = PersonFactory()
    with time_machine.travel(at(2026, 11, 30, 18, 0), tick=False):
        response = api(make_staff("clerk")).post(
            f"/api/v1/persons/{person.id_number}/contributions/",
            {
                "region": "110108",
                "scheme": "enterprise",
                "month": "2026-11",
                "identity": "employee",
                "base_fen": 800000,
            },
            format="json",
        )
    assert response.status_code == 503
    assert not ContributionMonth.objects.exists()


# --- contributions ------------------------------------------------------------------------------


def contribution(client, person, **overrides):
    body = {
        "region": "110108",
        "scheme": "enterprise",
        "month": "2024-03",
        "identity": "employee",
        "base_fen": 800000,
        "employer_rate": "0.16",
    } | overrides
    return client.post(f"/api/v1/persons/{person.id_number}/contributions/", body, format="json")


def test_contribution_recorded_in_own_province(api, make_staff):
    person = PersonFactory()
    response = contribution(api(make_staff("clerk")), person)
    assert response.status_code == 201
    assert response.json() == {
        "region": "110108",
        "month": "2024-03",
        "identity": "employee",
        "base_fen": 800000,
    }
    month = ContributionMonth.objects.get()
    assert (month.month, month.account.province_id) == (date(2024, 3, 1), "110000")
    assert contribution(api(make_staff("clerk")), person).status_code == 409


def test_contribution_other_province_refused(api, make_staff):
    person = PersonFactory()
    response = contribution(api(make_staff("clerk")), person, region="220102")
    assert response.status_code == 403
    assert not ContributionMonth.objects.exists()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"month": "2024-13"}, "month"),
        ({"month": "1900-01"}, "month"),
        ({"base_fen": -1}, "base_fen"),
        ({"base_fen": "lots"}, "base_fen"),
        ({"identity": "boss"}, "identity"),
        ({"region": "11010"}, "region"),
        ({"employer_rate": "1.5"}, "employer_rate"),
    ],
)
def test_contribution_bad_input_400(api, make_staff, overrides, field):
    response = contribution(api(make_staff("clerk")), PersonFactory(), **overrides)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ContributionMonth.objects.exists()


def test_contribution_future_month_400(api, make_staff):
    with time_machine.travel(at(2026, 6, 10, 10, 0), tick=False):
        response = contribution(api(make_staff("clerk")), PersonFactory(), month="2026-07")
    assert response.status_code == 400
    assert not ContributionMonth.objects.exists()
