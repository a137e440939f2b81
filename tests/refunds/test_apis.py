"""Refunds API over HTTP (API.md "Refunds"): duplicates, the application and its rule, the
approval and payment, masking, scope, suspension, and every error as a clear 4xx/503.

The conftest's person 严某荣 paid flexible in 海淀 (2020-01…06, 2021-01), employee in 长春
(2020-03…08) and employee in 海淀 too in 2021-01; every base is 500,000 fen."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refunds import services
from refunds.models import Refund, RefundMonth
from registry.models import ContributionMonth, Identity
from registry.services import module_switch_set
from registry.validators import make_id_number
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory

ID_NUMBER = "110101198808080001"
DUPLICATES = f"/api/v1/persons/{ID_NUMBER}/duplicates/"
REFUNDS = "/api/v1/refunds/"
RULE = "人社部发〔2025〕42号"
NOTICE = "因系统升级，接市中心通知，重复缴费退费模块目前暂停办理。"


def url(refund_no: str, action: str = "") -> str:
    return f"{REFUNDS}{refund_no}/{action + '/' if action else ''}"


def body(**overrides) -> dict:
    """The window's application: 海淀's flexible months 2020-03 and 2020-04."""
    values = {
        "id_number": ID_NUMBER,
        "channel": "window",
        "refund_region": "110108",
        "months": ["2020-03", "2020-04"],
        "identities": [
            {"region": "110108", "start": "2020-01", "end": "2020-06", "identity": "flexible"}
        ],
        "bank": {
            "bank_name": "中国工商银行北京海淀支行",
            "account_no": "6222 0202 0000 1234 567",
            "holder_name": "严某荣",
        },
    }
    return {**values, **overrides}


def entry(region_code, identity, refund_no=""):
    return {
        "region": region_code,
        "province": f"{region_code[:2]}0000",
        "scheme": "enterprise",
        "identity": identity,
        "base_fen": 500_000,
        "refund_no": refund_no,
    }


def listed(client) -> dict[str, list[dict]]:
    response = client.get(DUPLICATES)
    assert response.status_code == 200, response.json()
    return {m["month"]: m["entries"] for m in response.json()["months"]}


@pytest.fixture
def clerk_api(api, refund_clerk):
    return api(refund_clerk)


@pytest.fixture
def guangdong(province_office):
    return province_office("440000")


# --- duplicates ---------------------------------------------------------------------------------


def test_duplicates_lists_the_months_paid_twice(clerk_api, accounts):
    months = listed(clerk_api)
    # Partial overlap: 2020-01/02 (海淀 only) and 2020-07/08 (长春 only) were paid once.
    assert list(months) == ["2020-03", "2020-04", "2020-05", "2020-06", "2021-01"]
    for month in ["2020-03", "2020-04", "2020-05", "2020-06"]:  # two provinces
        assert months[month] == [entry("110108", "flexible"), entry("220102", "employee")]
    # Two identities in one account.
    assert months["2021-01"] == [entry("110108", "employee"), entry("110108", "flexible")]


def test_duplicates_name_the_refund_holding_a_payment(clerk_api, accounts, apply):
    refund = apply()
    months = listed(clerk_api)
    assert months["2020-03"] == [
        entry("110108", "flexible", refund.refund_no),
        entry("220102", "employee"),
    ]
    assert months["2020-05"][0]["refund_no"] == ""


def test_duplicates_scope_and_bad_numbers(api, make_staff, accounts, guangdong):
    # A clerk anywhere may look the person up (as for the person record) …
    assert api(make_staff("clerk", office=guangdong)).get(DUPLICATES).status_code == 200
    assert api(make_staff("channel", office=guangdong)).get(DUPLICATES).status_code == 200
    # … a 广东 supervisor has no business with a Beijing/Jilin person; finance none at all.
    forbidden = api(make_staff("supervisor", office=guangdong)).get(DUPLICATES)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "FORBIDDEN"
    assert api(make_staff("finance")).get(DUPLICATES).status_code == 403
    assert api(make_staff("supervisor")).get(DUPLICATES).status_code == 200  # 北京 supervisor

    clerk = api(make_staff("clerk"))
    bad = clerk.get("/api/v1/persons/12345/duplicates/")
    assert bad.status_code == 400
    assert bad.json()["fields"]["id_number"] == ["社会保障号码应为18位，当前为5位。"]
    checksum = clerk.get(f"/api/v1/persons/{ID_NUMBER[:-1]}2/duplicates/")
    assert checksum.status_code == 400
    unknown = make_id_number("110105", date(1990, 5, 17), 123)
    missing = clerk.get(f"/api/v1/persons/{unknown}/duplicates/")
    assert missing.status_code == 404
    assert missing.json()["message"] == "未找到该社会保障号码对应的参保人员。"


def test_no_duplicates_is_an_empty_list(clerk_api, haidian):
    # Without 长春, only 2021-01 (two identities in 海淀) is paid twice.
    assert list(listed(clerk_api)) == ["2021-01"]
    ContributionMonth.objects.filter(month=date(2021, 1, 1), identity=Identity.EMPLOYEE).delete()
    assert listed(clerk_api) == {}


# --- the application ----------------------------------------------------------------------------


def test_submit_two_flexible_months_at_the_window(clerk_api, accounts):
    response = clerk_api.post(REFUNDS, body(), format="json")
    assert response.status_code == 201, response.json()
    got = response.json()
    assert got["refund_no"].startswith("TF110000-")
    assert (got["status"], got["status_label"]) == ("submitted", "已提交")
    # 2 × 20% × 500,000 refunded; the individual account had been credited 2 × 8% × 500,000.
    assert (got["amount_fen"], got["credited_fen"]) == (200_000, 80_000)
    assert (got["refund_region"], got["province"], got["channel"]) == ("110108", "110000", "window")
    assert got["months"] == [
        {
            "month": month,
            "identity": "flexible",
            "identity_label": "灵活就业·个人身份",
            "base_fen": 500_000,
            "rate": "0.200",
            "amount_fen_exact": "100000.000",
        }
        for month in ["2020-03", "2020-04"]
    ]
    # Masked: the ID number, the name (also as the holder's), the bank account but its last four.
    assert (got["id_number"], got["name"]) == ("110101********0001", "严*荣")
    assert got["bank"] == {
        "bank_name": "中国工商银行北京海淀支行",
        "account_no": "***************4567",
        "holder_name": "严*荣",
    }
    assert got["identities"] == body()["identities"]
    assert (got["note"], got["voucher_no"], got["paid_at"]) == ("", "", None)

    refund = Refund.objects.get(refund_no=got["refund_no"])
    assert (refund.amount_fen, refund.account_no) == (200_000, "6222020200001234567")
    assert refund.months.filter(active=True).count() == 2
    # The detail answers the same REFUND.
    assert clerk_api.get(url(refund.refund_no)).json() == got


def test_submit_employee_employee_worked_example_online(api, make_staff, accounts):
    """Two employee accounts overlap (长春 and 上海徐汇, 2020-07/08): either side may be refunded,
    online too. 上海's base 333,331 fen: 8% a month is 26,666.48 fen; the total rounds once,
    53,332.96 → 53,333 (rounding each month would give 53,332)."""
    shanghai = AccountFactory(
        person=accounts[0].person,
        region=region("310104"),
        province=region("310000"),
        individual_balance_fen=300_000,
    )
    for month in (date(2020, 7, 1), date(2020, 8, 1)):
        MonthFactory(account=shanghai, month=month, identity=Identity.EMPLOYEE, base_fen=333_331)
    online = api(make_staff("channel", username="np_channel"))
    response = online.post(
        REFUNDS,
        body(
            channel="national_platform",
            refund_region="310000",
            months=["2020-07", "2020-08"],
            identities=[
                {"region": "310104", "start": "2020-07", "end": "2020-08", "identity": "employee"}
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    got = response.json()
    assert got["refund_no"].startswith("TF310000-")
    assert (got["refund_region"], got["province"]) == ("310104", "310000")
    assert (got["amount_fen"], got["credited_fen"]) == (53_333, 53_333)
    assert [(m["rate"], m["amount_fen_exact"]) for m in got["months"]] == [
        ("0.080", "26666.480"),
        ("0.080", "26666.480"),
    ]


def test_employee_side_of_an_employee_flexible_overlap_is_kept(clerk_api, accounts):
    # 长春's employee months against 海淀's flexible ones …
    changchun = clerk_api.post(
        REFUNDS,
        body(
            refund_region="220102",
            months=["2020-03"],
            identities=[
                {"region": "220000", "start": "2020-03", "end": "2020-08", "identity": "employee"}
            ],
        ),
        format="json",
    )
    # … and 海淀's own employee month against its flexible one (two identities, one account).
    haidian = clerk_api.post(
        REFUNDS,
        body(
            months=["2021-01"],
            identities=[
                {"region": "110108", "start": "2021-01", "end": "2021-01", "identity": "employee"}
            ],
        ),
        format="json",
    )
    for response in (changchun, haidian):
        assert response.status_code == 400
        got = response.json()
        assert got["code"] == "EMPLOYEE_SIDE_KEPT"
        assert RULE in got["message"] and "只能退灵活就业部分" in got["message"]
        assert list(got["fields"]) == ["months"]
    assert not Refund.objects.exists()


def test_online_channel_may_not_refund_the_flexible_side(api, make_staff, accounts):
    online = api(make_staff("channel", username="np_channel"))
    response = online.post(REFUNDS, body(channel="national_platform"), format="json")
    assert response.status_code == 400
    got = response.json()
    assert got["code"] == "WINDOW_ONLY"
    assert list(got["fields"]) == ["channel"]
    assert RULE in got["message"] and "请到社保经办窗口申请" in got["message"]
    assert not Refund.objects.exists() and not RefundMonth.objects.exists()


@pytest.mark.parametrize(
    "bank,code",
    [
        ({"holder_name": "严某"}, "HOLDER_MISMATCH"),
        ({"holder_name": ""}, "HOLDER_MISMATCH"),
        ({"account_no": "6222-0202-0000-1234"}, "BANK_ACCOUNT_FORMAT"),
        ({"account_no": "62220202"}, "BANK_ACCOUNT_FORMAT"),
    ],
)
def test_bank_account_checked(clerk_api, accounts, bank, code):
    response = clerk_api.post(REFUNDS, body(bank={**body()["bank"], **bank}), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert list(response.json()["fields"]) == ["bank"]
    assert not Refund.objects.exists()


def test_malformed_application_is_400_naming_the_fields(clerk_api, accounts):
    response = clerk_api.post(
        REFUNDS,
        {**body(months=["2020-13"], identities=[], channel="fax"), "bank": None},
        format="json",
    )
    assert response.status_code == 400
    got = response.json()
    assert got["code"] == "INVALID"
    assert {"months", "identities", "channel", "bank"} <= set(got["fields"])
    # A month that was paid once only is not a duplicate.
    once = clerk_api.post(REFUNDS, body(months=["2020-01"]), format="json")
    assert (once.status_code, once.json()["code"]) == (400, "NOT_DUPLICATE")
    assert not Refund.objects.exists()


def test_a_month_is_refunded_once(clerk_api, accounts, apply):
    first = apply()  # 2020-03 and 2020-04
    response = clerk_api.post(REFUNDS, body(months=["2020-04", "2020-05"]), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ALREADY_REFUNDING"
    assert first.refund_no in response.json()["message"]
    assert list(Refund.objects.values_list("refund_no", flat=True)) == [first.refund_no]
    assert RefundMonth.objects.count() == 2
    assert listed(clerk_api)["2020-05"][0]["refund_no"] == ""


def test_only_clerks_and_channels_apply(api, supervisor, finance_bj, accounts):
    for user in (supervisor, finance_bj):
        assert api(user).post(REFUNDS, body(), format="json").status_code == 403
    assert not Refund.objects.exists()


# --- approval and payment -----------------------------------------------------------------------


def test_approve_and_pay_scope_and_state(
    api, make_staff, jilin_office, supervisor, finance_bj, accounts, apply
):
    refund = apply()
    jilin_supervisor = api(make_staff("supervisor", office=jilin_office))
    refused = jilin_supervisor.post(url(refund.refund_no, "approve"))
    assert refused.status_code == 403
    assert api(make_staff("clerk")).post(url(refund.refund_no, "approve")).status_code == 403

    early = api(finance_bj).post(url(refund.refund_no, "pay"), {"voucher_no": "PZ1"}, format="json")
    assert early.status_code == 409
    assert (early.json()["code"], early.json()["status"]) == ("WRONG_STATE", "submitted")
    refund.refresh_from_db()
    assert refund.status == "submitted"

    approved = api(supervisor).post(url(refund.refund_no, "approve"))
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["status_label"]) == ("approved", "已审批")
    assert api(supervisor).post(url(refund.refund_no, "approve")).status_code == 409

    voucher = {"voucher_no": "PZ-2026-0001"}
    clerk = api(make_staff("clerk"))
    assert clerk.post(url(refund.refund_no, "pay"), voucher, format="json").status_code == 403
    jilin_finance = api(make_staff("finance", office=jilin_office))
    assert (
        jilin_finance.post(url(refund.refund_no, "pay"), voucher, format="json").status_code == 403
    )
    blank = api(finance_bj).post(url(refund.refund_no, "pay"), {"voucher_no": " "}, format="json")
    assert blank.status_code == 400 and list(blank.json()["fields"]) == ["voucher_no"]
    refund.refresh_from_db()
    assert refund.status == "approved"

    paid = api(finance_bj).post(url(refund.refund_no, "pay"), voucher, format="json")
    assert paid.status_code == 200
    got = paid.json()
    assert (got["status"], got["status_label"], got["voucher_no"]) == (
        "paid",
        "已退费",
        "PZ-2026-0001",
    )
    assert got["paid_at"] is not None


def test_pay_clears_the_months_and_drops_the_balance(
    api, clerk_api, accounts, supervisor, finance_bj, apply
):
    haidian, changchun = accounts
    refund = apply()
    services.refund_approve(actor=supervisor, refund_no=refund.refund_no)
    response = api(finance_bj).post(
        url(refund.refund_no, "pay"), {"voucher_no": "PZ-2026-0002"}, format="json"
    )
    assert response.status_code == 200
    haidian.refresh_from_db()
    changchun.refresh_from_db()
    # 1,000,000 − 2 × 8% × 500,000; 长春 untouched.
    assert (haidian.individual_balance_fen, changchun.individual_balance_fen) == (920_000, 800_000)
    cleared = ContributionMonth.objects.filter(account=haidian, cleared=True)
    assert sorted(m.month for m in cleared) == [date(2020, 3, 1), date(2020, 4, 1)]
    assert not ContributionMonth.objects.filter(account=changchun, cleared=True).exists()
    # The refunded months are no longer paid twice.
    assert list(listed(clerk_api)) == ["2020-05", "2020-06", "2021-01"]


def test_reject_needs_a_reason_and_frees_the_months(
    api, clerk_api, supervisor, finance_bj, accounts, apply
):
    refund = apply()
    blank = api(supervisor).post(url(refund.refund_no, "reject"), {"note": "  "}, format="json")
    assert blank.status_code == 400
    assert blank.json()["fields"] == {"note": ["审批不通过须填写原因。"]}
    missing = api(supervisor).post(url(refund.refund_no, "reject"), {}, format="json")
    assert missing.status_code == 400 and "note" in missing.json()["fields"]

    note = "银行账户开户行信息不全"
    rejected = api(supervisor).post(url(refund.refund_no, "reject"), {"note": note}, format="json")
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["note"]) == ("rejected", note)
    paid = api(finance_bj).post(url(refund.refund_no, "pay"), {"voucher_no": "PZ"}, format="json")
    assert paid.status_code == 409
    # The months are free again: a new application takes them.
    assert listed(clerk_api)["2020-03"][0]["refund_no"] == ""
    assert clerk_api.post(REFUNDS, body(), format="json").status_code == 201


def test_unknown_refund_is_404(api, supervisor, finance_bj, clerk_api):
    assert clerk_api.get(url("TF110000-20260101-99999")).status_code == 404
    assert api(supervisor).post(url("TF110000-20260101-99999", "approve")).status_code == 404
    missing = api(finance_bj).post(
        url("TF110000-20260101-99999", "pay"), {"voucher_no": "PZ"}, format="json"
    )
    assert missing.status_code == 404
    assert "TF110000-20260101-99999" in missing.json()["message"]


# --- reads --------------------------------------------------------------------------------------


def test_detail_scope(
    api, make_staff, jilin_office, guangdong, supervisor, finance_bj, accounts, apply
):
    refund = apply()
    for user in (make_staff("clerk", office=guangdong), supervisor, finance_bj):
        assert api(user).get(url(refund.refund_no)).status_code == 200
    for user in (
        make_staff("supervisor", office=guangdong),
        make_staff("finance", office=jilin_office),
        make_staff("reviewer"),
    ):
        assert api(user).get(url(refund.refund_no)).status_code == 403


def test_list_filters_paginates_and_is_scoped(
    api, make_staff, jilin_office, supervisor, accounts, apply
):
    first = apply()
    second = apply(months=[date(2020, 5, 1)])
    services.refund_approve(actor=supervisor, refund_no=second.refund_no)
    client = api(supervisor)

    everything = client.get(REFUNDS).json()
    assert everything["count"] == 2 and {"next", "previous"} <= set(everything)
    assert [r["refund_no"] for r in everything["results"]] == [second.refund_no, first.refund_no]
    assert [m["month"] for m in everything["results"][1]["months"]] == ["2020-03", "2020-04"]
    approved = client.get(REFUNDS, {"status": "approved"}).json()
    assert [r["refund_no"] for r in approved["results"]] == [second.refund_no]
    assert client.get(REFUNDS, {"id_number": ID_NUMBER}).json()["count"] == 2
    other = make_id_number("110105", date(1990, 5, 17), 123)
    assert client.get(REFUNDS, {"id_number": other}).json()["count"] == 0
    bad = client.get(REFUNDS, {"status": "pending"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    assert client.get(REFUNDS, {"page_size": 1}).json()["results"][0]["refund_no"] == (
        second.refund_no
    )
    # A 吉林 supervisor sees neither (both are Beijing's, refunded and accepted there).
    jilin = api(make_staff("supervisor", office=jilin_office)).get(REFUNDS)
    assert (jilin.status_code, jilin.json()["count"]) == (200, 0)


def test_list_queries_do_not_grow_with_the_page(api, supervisor, accounts, apply):
    client = api(supervisor)
    apply()
    with CaptureQueriesContext(connection) as one:
        assert client.get(REFUNDS).json()["count"] == 1
    apply(months=[date(2020, 5, 1)])
    apply(months=[date(2020, 6, 1)])
    with CaptureQueriesContext(connection) as three:
        assert client.get(REFUNDS).json()["count"] == 3
    assert len(three) == len(one)


# --- suspension and authentication --------------------------------------------------------------


def test_suspended_module_refuses_every_write_with_the_notice(
    api, make_staff, national_office, clerk_api, supervisor, finance_bj, accounts, apply
):
    haidian = accounts[0]
    submitted = apply()
    approved = apply(months=[date(2020, 5, 1)])
    services.refund_approve(actor=supervisor, refund_no=approved.refund_no)
    admin = make_staff("admin", office=national_office)
    module_switch_set(actor=admin, name="refunds", suspended=True, notice=NOTICE)

    writes = [
        clerk_api.post(REFUNDS, body(months=["2020-06"]), format="json"),
        api(supervisor).post(url(submitted.refund_no, "approve")),
        api(supervisor).post(url(submitted.refund_no, "reject"), {"note": "x"}, format="json"),
        api(finance_bj).post(url(approved.refund_no, "pay"), {"voucher_no": "PZ"}, format="json"),
    ]
    for response in writes:
        assert response.status_code == 503
        got = response.json()
        assert (got["code"], got["message"], got["notice"]) == ("MODULE_SUSPENDED", NOTICE, NOTICE)

    # Nothing written.
    assert Refund.objects.count() == 2 and RefundMonth.objects.count() == 3
    submitted.refresh_from_db()
    approved.refresh_from_db()
    haidian.refresh_from_db()
    assert (submitted.status, approved.status) == ("submitted", "approved")
    assert haidian.individual_balance_fen == 1_000_000
    assert not ContributionMonth.objects.filter(cleared=True).exists()

    # Reads still work.
    assert clerk_api.get(DUPLICATES).status_code == 200
    assert clerk_api.get(url(submitted.refund_no)).status_code == 200
    assert api(supervisor).get(REFUNDS).json()["count"] == 2

    module_switch_set(actor=admin, name="refunds", suspended=False, notice="")
    assert api(supervisor).post(url(submitted.refund_no, "approve")).status_code == 200


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", DUPLICATES),
        ("get", REFUNDS),
        ("post", REFUNDS),
        ("get", url("TF110000-20260101-00001")),
        ("post", url("TF110000-20260101-00001", "approve")),
        ("post", url("TF110000-20260101-00001", "reject")),
        ("post", url("TF110000-20260101-00001", "pay")),
    ],
)
def test_anonymous_is_401(api, db, method, path):
    response = getattr(api(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"
