"""Personal data (issue 8): ID numbers and names are masked (`110101********0001`, `严*荣`) in
lists, logs and exports; clearing exports carry no personal data at all; the audit table and the
application log never hold a full ID number; full values only on a case page the user may see
(another province's user gets 403/404); uploaded documents — transfer materials and whitelist
evidence — are served only with the same check (anonymous: the login page / 401).

State is built through the real services: 严某荣 (110101198808080001) transfers 长春 → 海淀 with
an identity document, 李小龙 has flexible months in 海淀 paid twice and applies for a refund, 王大明
retires in Beijing with an account left in 长春 and gets a whitelist entry with evidence."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from clearing import services as clearing_services
from common.masking import mask_id_number, mask_name
from common.models import AuditRecord
from refunds import services as refund_services
from registry.models import AccountStatus, Identity, Person, Scheme
from registry.validators import make_id_number
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, PersonFactory, png_bytes
from transfer import services as transfer_services
from transfer.materials import Upload
from transfer.models import Material
from whitelist import services as whitelist_services

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = png_bytes()
YAN = ("110101198808080001", "严某荣")
LI = (make_id_number("110101", date(1986, 6, 6), 21), "李小龙")
WANG = (make_id_number("110101", date(1960, 2, 2), 31), "王大明")
DENIED = (403, 404)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _person(id_number: str, name: str) -> Person:
    return PersonFactory(id_number=id_number, name=name)


def _account(person, code: str, *, status=AccountStatus.CONTRIBUTING, months=(), **kwargs):
    account = AccountFactory(
        person=person,
        region=region(code),
        province=region(f"{code[:2]}0000"),
        status=status,
        **kwargs,
    )
    for month, identity in months:
        MonthFactory(account=account, month=month, base_fen=500_000, identity=identity)
    return account


@pytest.fixture
def people(make_staff, province_office, django_capture_on_commit_callbacks):
    """Staff of 海淀 (Beijing), 吉林 and 广东 (a province no case touches), and the three cases."""
    jilin, guangdong = province_office("220000"), province_office("440000")
    staff = {
        "clerk": make_staff("clerk", username="hd_clerk"),
        "bj_reviewer": make_staff("reviewer", username="bj_reviewer"),
        "bj_supervisor": make_staff("supervisor", username="bj_supervisor"),
        "bj_finance": make_staff("finance", username="bj_finance"),
        "admin": make_staff("admin", username="hd_admin"),
        "jl_reviewer": make_staff("reviewer", office=jilin, username="jl_reviewer"),
        "jl_admin": make_staff("admin", office=jilin, username="jl_admin"),
        "gd_reviewer": make_staff("reviewer", office=guangdong, username="gd_reviewer"),
        "gd_supervisor": make_staff("supervisor", office=guangdong, username="gd_supervisor"),
        "gd_clerk": make_staff("clerk", office=guangdong, username="gd_clerk"),
    }
    employee, flexible = Identity.EMPLOYEE, Identity.FLEXIBLE
    yan = _person(*YAN)
    _account(
        yan,
        "220102",
        status=AccountStatus.SUSPENDED,
        individual_balance_fen=300_000,
        months=[(date(2019, 1, 1), employee), (date(2019, 2, 1), employee)],
    )
    _account(yan, "110108", months=[(date(2024, 1, 1), employee)])
    with django_capture_on_commit_callbacks(execute=True):
        application = transfer_services.application_submit(
            actor=staff["clerk"],
            id_number=YAN[0],
            name=YAN[1],
            phone="13800000000",
            hukou_address="北京市东城区某街道1号",
            in_scheme="enterprise",
            in_region="110108",
            outs=[transfer_services.Out(scheme="enterprise", region="220102")],
            channel="window",
            uploads=[Upload(kind="identity", name="身份证.png", content=PNG)],
        )
    leg = application.legs.get()

    li = _person(*LI)
    _account(li, "110108", months=[(date(2020, 1, 1), flexible), (date(2020, 2, 1), flexible)])
    _account(
        li,
        "220102",
        status=AccountStatus.SUSPENDED,
        months=[(date(2020, 1, 1), employee), (date(2020, 2, 1), employee)],
    )
    refund = refund_services.refund_submit(
        actor=staff["clerk"],
        id_number=LI[0],
        channel="window",
        refund_region="110108",
        months=[date(2020, 1, 1)],
        identities=[
            refund_services.IdentityPeriod("110108", date(2020, 1, 1), date(2020, 2, 1), flexible),
            refund_services.IdentityPeriod("220102", date(2020, 1, 1), date(2020, 2, 1), employee),
        ],
        bank=refund_services.Bank("中国工商银行北京海淀支行", "6222020200001234567", LI[1]),
    )

    wang = _person(*WANG)
    _account(wang, "110108", months=[(date(2024, 1, 1), employee)])
    _account(
        wang,
        "220102",
        status=AccountStatus.SUSPENDED,
        months=[(date(2019, 3, 1), employee)],
        scheme=Scheme.ENTERPRISE,
    )
    entry = whitelist_services.entry_make(
        actor=staff["admin"],
        id_number=WANG[0],
        region="220102",
        scheme="enterprise",
        reason="CLEARED",
        evidence="长春市南关区社会保险事业管理局出具的已清算证明",
        evidence_file=whitelist_services.Evidence("清算证明.png", PNG),
        channel="window",
    )
    return {"staff": staff, "leg": leg, "refund": refund, "entry": entry}


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.content.decode()


def assert_masked(text: str, *who: tuple[str, str]) -> None:
    """Each person shows masked (ID and name), never in full."""
    for id_number, name in who:
        assert id_number not in text
        assert name not in text
        assert mask_id_number(id_number) in text
        assert mask_name(name) in text


def _api_text(api, user, url: str) -> str:
    response = api(user).get(url)
    assert response.status_code == 200, response.content[:300]
    return json.dumps(response.json(), ensure_ascii=False)


# --- lists ------------------------------------------------------------------------------------


def test_transfer_list_api_masks_id_numbers_and_names(api, people):
    for user in ("bj_reviewer", "jl_reviewer", "clerk"):
        assert_masked(_api_text(api, people["staff"][user], "/api/v1/transfers/"), YAN)


def test_transfer_worklist_pages_mask_id_numbers_and_names(people):
    staff = people["staff"]
    # The outgoing province's worklist (the leg is eligible: 待上传信息表) …
    assert_masked(_text(_login(staff["jl_reviewer"]).get("/transfers/work/outgoing/")), YAN)
    # … then, once the sheet is up, the incoming province's.
    transfer_services.leg_upload_info_sheet(
        actor=staff["jl_reviewer"], transfer_no=people["leg"].transfer_no
    )
    assert_masked(_text(_login(staff["bj_reviewer"]).get("/transfers/work/incoming/")), YAN)


def test_refund_list_pages_mask_id_numbers_and_names(people):
    client = _login(people["staff"]["bj_supervisor"])
    assert_masked(_text(client.get("/refunds/")), LI)
    assert_masked(_text(client.get("/refunds/work/approve/")), LI)


def test_refund_list_api_masks_id_numbers_and_names(api, people):
    supervisor = people["staff"]["bj_supervisor"]
    assert_masked(_api_text(api, supervisor, "/api/v1/refunds/"), LI)
    assert_masked(_api_text(api, supervisor, f"/api/v1/refunds/{people['refund'].refund_no}/"), LI)


def test_whitelist_lists_and_their_api_mask_id_numbers_and_names(api, people):
    staff = people["staff"]
    assert_masked(_text(_login(staff["admin"]).get("/whitelist/")), WANG)
    assert_masked(_text(_login(staff["bj_supervisor"]).get("/whitelist/work/")), WANG)
    assert_masked(_api_text(api, staff["admin"], "/api/v1/whitelist/"), WANG)
    assert_masked(
        _api_text(api, staff["admin"], f"/api/v1/whitelist/{people['entry'].entry_no}/"), WANG
    )


# --- exports ------------------------------------------------------------------------------------


def test_clearing_exports_carry_no_personal_data(api, complete_leg, ministry_finance, finance):
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)):
        complete_leg("220000", "110000")
        complete_leg("440000", "110000")
    with time_machine.travel(datetime(2026, 12, 1, 1, tzinfo=SHANGHAI)):
        clearing_services.clearing_period_run(actor=ministry_finance, month=date(2026, 11, 1))
    people = list(Person.objects.values_list("id_number", "name"))
    assert len(people) == 2
    forbidden = [
        value
        for id_number, name in people
        for value in (id_number, name, mask_id_number(id_number), mask_name(name), id_number[-4:])
    ]
    texts = []
    for user in (ministry_finance, finance("110000")):
        csv_answer = api(user).get("/api/v1/clearing/periods/2026-11/export.csv")
        assert csv_answer.status_code == 200
        rows = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
        assert rows  # it lists something: the pairs, positions and the control record
        texts.append(csv_answer.content.decode("utf-8-sig"))
        xlsx_answer = api(user).get("/api/v1/clearing/periods/2026-11/export.xlsx")
        assert xlsx_answer.status_code == 200
        book = load_workbook(io.BytesIO(xlsx_answer.content), read_only=True)
        texts.append(
            "\n".join(
                str(cell)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                for cell in row
                if cell is not None
            )
        )
    for text in texts:
        assert "110000" in text  # the provinces are there …
        found = [value for value in forbidden if value in text]
        assert found == []  # … the people are not, not even masked


# --- the audit table and the log ----------------------------------------------------------------


def test_audit_records_never_hold_a_full_id_number(api, people):
    """After a submission, a refund and a whitelist entry (made in the fixture), a material and
    the evidence opened, a person registered and a refund approved: no column of any audit row
    holds a full ID number (the masked one is what identifies the person)."""
    staff = people["staff"]
    material = Material.objects.get()
    assert (
        _login(staff["bj_reviewer"]).get(f"/transfers/materials/{material.pk}/").status_code == 200
    )
    entry_no = people["entry"].entry_no
    assert _login(staff["admin"]).get(f"/whitelist/{entry_no}/evidence/").status_code == 200
    newcomer = make_id_number("110101", date(1999, 9, 9), 41)
    registered = api(staff["clerk"]).post(
        "/api/v1/persons/",
        {"id_number": newcomer, "name": "赵新", "hukou_region": "110101"},
        format="json",
    )
    assert registered.status_code == 201, registered.content
    refund_services.refund_approve(
        actor=staff["bj_supervisor"], refund_no=people["refund"].refund_no
    )

    rows = [
        json.dumps(row, ensure_ascii=False, default=str) for row in AuditRecord.objects.values()
    ]
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"transfer.material.open", "whitelist.evidence.open"} <= actions
    assert len(rows) >= 6
    full = list(Person.objects.values_list("id_number", flat=True))
    assert [n for n in full if any(n in row for row in rows)] == []
    assert any(mask_id_number(YAN[0]) in row for row in rows)  # what is recorded instead


def test_the_application_log_never_holds_a_full_id_number(api, people, caplog):
    """A whole submission through the API (eligibility check included, eagerly), its case page,
    the progress query and a refused, invalid one — at DEBUG, every logger."""
    staff = people["staff"]
    someone = _person(make_id_number("110101", date(1977, 7, 7), 51), "钱多多")
    _account(
        someone,
        "220102",
        status=AccountStatus.SUSPENDED,
        months=[(date(2019, 1, 1), Identity.EMPLOYEE)],
    )
    _account(someone, "110108", months=[(date(2024, 1, 1), Identity.EMPLOYEE)])
    body = {
        "id_number": someone.id_number,
        "name": someone.name,
        "phone": "13800000000",
        "hukou_address": "北京市东城区某街道2号",
        "in_scheme": "enterprise",
        "in_region": "110108",
        "outs": [{"scheme": "enterprise", "region": "220102"}],
        "channel": "window",
    }
    with caplog.at_level(logging.DEBUG):
        created = api(staff["clerk"]).post("/api/v1/transfer-applications/", body, format="json")
        assert created.status_code == 201, created.content
        [transfer] = created.json()["transfers"]
        assert _login(staff["bj_reviewer"]).get(f"/transfers/{transfer['transfer_no']}/")
        progress = api(staff["clerk"]).get("/api/v1/progress/", {"id_number": someone.id_number})
        assert progress.status_code == 200
        refused = api(staff["clerk"]).post(
            "/api/v1/transfer-applications/", {**body, "phone": "x"}, format="json"
        )
        assert refused.status_code == 400
    assert len(caplog.records) > 0  # the log was listening
    numbers = list(Person.objects.values_list("id_number", flat=True))
    leaked = [
        record.getMessage()[:200]
        for record in caplog.records
        if any(n in f"{record.getMessage()} {record.exc_text or ''}" for n in numbers)
    ]
    assert leaked == []


def test_a_refused_person_lookup_logs_no_full_id_number(api, people, caplog):
    gd = people["staff"]["gd_reviewer"]  # 广东: no account of 严某荣 there
    with caplog.at_level(logging.DEBUG):
        for url in (f"/api/v1/persons/{YAN[0]}/", f"/api/v1/persons/{YAN[0]}/duplicates/"):
            assert api(gd).get(url).status_code in DENIED
    assert [r.getMessage() for r in caplog.records if YAN[0] in r.getMessage()] == []


# --- full values only where the user may see the case --------------------------------------------


def test_case_pages_show_full_values_only_in_scope(api, people):
    staff, leg, refund = people["staff"], people["leg"], people["refund"]
    case, detail = f"/transfers/{leg.transfer_no}/", f"/api/v1/transfers/{leg.transfer_no}/"
    for user in ("bj_reviewer", "jl_reviewer"):  # incoming and outgoing province
        page = _text(_login(staff[user]).get(case))
        assert YAN[0] in page and YAN[1] in page
        answer = api(staff[user]).get(detail).json()
        assert (answer["id_number"], answer["name"]) == YAN
    refund_page = f"/refunds/{refund.refund_no}/"
    assert LI[0] in _text(_login(staff["bj_supervisor"]).get(refund_page))

    # 广东's staff: no case of theirs — refused, and nothing of the person in the answer.
    for client, url in [
        (_login(staff["gd_reviewer"]), case),
        (_login(staff["gd_supervisor"]), refund_page),
        (_login(staff["gd_reviewer"]), f"/transfers/{leg.transfer_no}/letter/"),
    ]:
        response = client.get(url)
        assert response.status_code in DENIED, (url, response.status_code)
        assert YAN[0] not in response.content.decode() and LI[0] not in response.content.decode()
    for url in (detail, f"/api/v1/refunds/{refund.refund_no}/"):
        response = api(staff["gd_supervisor"]).get(url)
        assert response.status_code in DENIED, (url, response.status_code)
    response = api(staff["gd_reviewer"]).get(detail)
    assert response.status_code in DENIED
    assert YAN[0] not in response.content.decode()
    # Anonymous: the login page (HTML) or 401 (API).
    assert Client().get(case)["Location"].startswith("/login/")
    assert api().get(detail).status_code == 401


# --- uploaded documents ---------------------------------------------------------------------------


def _served(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def test_transfer_materials_are_served_only_in_scope(people):
    staff = people["staff"]
    url = f"/transfers/materials/{Material.objects.get().pk}/"
    for user in ("bj_reviewer", "jl_reviewer", "clerk"):
        assert _served(_login(staff[user]).get(url)) == PNG
    opened = AuditRecord.objects.filter(action="transfer.material.open").count()
    assert opened == 3
    for user in ("gd_reviewer", "bj_finance"):  # another province; a role without materials
        response = _login(staff[user]).get(url)
        assert response.status_code in DENIED, (user, response.status_code)
        assert PNG not in response.content
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert AuditRecord.objects.filter(action="transfer.material.open").count() == opened


def test_whitelist_evidence_is_served_only_in_scope(api, people):
    staff, entry_no = people["staff"], people["entry"].entry_no
    page_url = f"/whitelist/{entry_no}/evidence/"
    api_url = f"/api/v1/whitelist/{entry_no}/evidence/"
    assert _served(_login(staff["admin"]).get(page_url)) == PNG
    assert _served(api(staff["admin"]).get(api_url)) == PNG
    opened = AuditRecord.objects.filter(action="whitelist.evidence.open").count()
    assert opened == 2
    for user in ("jl_admin", "gd_supervisor"):  # the account's province; a third province
        for response in (_login(staff[user]).get(page_url), api(staff[user]).get(api_url)):
            assert response.status_code in DENIED, (user, response.status_code)
            assert PNG not in response.content
    anonymous = Client().get(page_url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert api().get(api_url).status_code == 401
    assert AuditRecord.objects.filter(action="whitelist.evidence.open").count() == opened
