"""The clearing API's contract (API.md "Clearing"): a period from completed legs to closed through
the API alone, every status code a client can cause (400 / 401 / 403 / 404 / 409 / 503), the
province scope of reads and writes, and adjustments. Refused writes are checked to change nothing.

State: three legs completed in 2026-11 (220000→110000, 440000→110000, 110000→440000, each
500000 + 120000 fen) through the real transfer services; the batch runs on 2026-12-01. Nets:
110000 +620000, 220000 −620000, 440000 0 → one instruction #0 220000→110000 620000 fen."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clearing import services
from clearing.models import ClearingPeriod, Instruction, Obligation, PairTotal, Statement
from common.models import AuditRecord
from registry.models import ModuleSwitch
from registry.services import module_switch_set

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER_DAY = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)
RUN_DAY = datetime(2026, 12, 1, 1, tzinfo=SHANGHAI)
NOV = date(2026, 11, 1)
LEG_FEN = 500_000 + 120_000
PERIODS = "/api/v1/clearing/periods/"
ADJUST = "/api/v1/clearing/adjustments/"
PROVINCES = ["110000", "220000", "440000"]

PERIOD_FIELDS = {
    "period",
    "status",
    "obligation_count",
    "gross_total_fen",
    "checksum",
    "pairs",
    "positions",
    "instructions",
    "statements",
}
EXTRA_FIELDS = {
    "status_label",
    "individual_fen",
    "pooled_fen",
    "hash_total",
    "calculated_at",
    "run_count",
    "control",
    "province",
    "progress",
}
PAIR_FIELDS = {"payer", "payee", "count", "individual_fen", "pooled_fen", "amount_fen"}
POSITION_FIELDS = {"province", "receivable_fen", "payable_fen", "net_fen"}
STATEMENT_FIELDS = {"province", "status", "note"}


def url(label: str = "2026-11", tail: str = "") -> str:
    return f"{PERIODS}{label}/{tail}"


def confirm_url(province: str, label: str = "2026-11") -> str:
    return url(label, f"statements/{province}/confirm/")


def dispute_url(province: str, label: str = "2026-11") -> str:
    return url(label, f"statements/{province}/dispute/")


def paid_url(index: int = 0, label: str = "2026-11") -> str:
    return url(label, f"instructions/{index}/paid/")


def world() -> dict:
    """Everything a clearing write could change."""
    return {
        "periods": list(
            ClearingPeriod.objects.order_by("month").values_list(
                "month", "status", "run_count", "checksum", "gross_total_fen"
            )
        ),
        "pairs": PairTotal.objects.count(),
        "statements": list(
            Statement.objects.order_by("period_id", "province_id").values_list(
                "province_id", "status", "note", "acted_at"
            )
        ),
        "instructions": list(
            Instruction.objects.order_by("period_id", "index").values_list(
                "index", "status", "bank_ref", "paid_at"
            )
        ),
        "obligations": list(
            Obligation.objects.order_by("id").values_list("id", "individual_fen", "pooled_fen")
        ),
        "audit": AuditRecord.objects.filter(action__startswith="clearing").count(),
    }


@pytest.fixture
def november(complete_leg):
    with time_machine.travel(NOVEMBER_DAY):
        return [
            complete_leg("220000", "110000"),
            complete_leg("440000", "110000"),
            complete_leg("110000", "440000"),
        ]


@pytest.fixture
def december(november):
    with time_machine.travel(RUN_DAY):
        yield


@pytest.fixture
def calculated(december, ministry_finance):
    return services.clearing_period_run(actor=ministry_finance, month=NOV)


@pytest.fixture
def confirmed(calculated, finance):
    for province in PROVINCES:
        services.statement_confirm(actor=finance(province), month=NOV, province=province)
    calculated.refresh_from_db()
    assert calculated.status == "confirmed"
    return calculated


@pytest.fixture
def closed(confirmed, finance):
    services.instruction_mark_paid(actor=finance("220000"), month=NOV, index=0, bank_ref="B-1")
    confirmed.refresh_from_db()
    assert confirmed.status == "closed"
    return confirmed


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", username="clr_reader")


@pytest.fixture
def national_finance(make_staff, national_office):
    """Finance at the national office without the ministry role: may read, may not run."""
    return make_staff("finance", office=national_office, username="nat_finance")


def test_a_period_from_legs_to_closed_through_the_api(december, api, ministry_finance, finance):
    ministry = api(ministry_finance)

    run = ministry.post(url(tail="run/"))

    assert run.status_code == 200, run.json()
    body = run.json()
    assert set(body) >= PERIOD_FIELDS | EXTRA_FIELDS
    assert body["period"] == "2026-11"
    assert body["status"] == "calculated"
    assert body["status_label"] == "已计算"
    assert body["province"] is None
    assert body["obligation_count"] == 3
    assert body["individual_fen"] == 3 * 500_000
    assert body["pooled_fen"] == 3 * 120_000
    assert body["gross_total_fen"] == 3 * LEG_FEN
    assert body["run_count"] == 1
    assert len(body["checksum"]) == 64
    assert body["hash_total"].isdigit()
    assert body["calculated_at"].startswith("2026-12-01T01:")
    assert [(p["payer"], p["payee"]) for p in body["pairs"]] == [
        ("110000", "440000"),
        ("220000", "110000"),
        ("440000", "110000"),
    ]
    assert all(set(p) >= PAIR_FIELDS for p in body["pairs"])
    assert all(p["amount_fen"] == LEG_FEN and p["count"] == 1 for p in body["pairs"])
    assert {p["province"]: p["net_fen"] for p in body["positions"]} == {
        "110000": LEG_FEN,
        "220000": -LEG_FEN,
        "440000": 0,
    }
    assert all(set(p) >= POSITION_FIELDS for p in body["positions"])
    assert body["instructions"] == [
        {
            "index": 0,
            "payer": "220000",
            "payee": "110000",
            "amount_fen": LEG_FEN,
            "status": "pending",
            "status_label": "待付款",
            "bank_ref": "",
            "paid_at": None,
        }
    ]
    assert [(s["province"], s["status"]) for s in body["statements"]] == [
        (p, "pending") for p in PROVINCES
    ]
    assert all(set(s) >= STATEMENT_FIELDS for s in body["statements"])
    assert body["control"] == {
        "pair_count": 3,
        "obligation_count": 3,
        "amount_fen": 3 * LEG_FEN,
        "checksum": body["checksum"],
    }
    assert body["progress"]["state"] == "done"

    read = ministry.get(url())
    assert read.status_code == 200
    assert read.json() == body

    progress = ministry.get(url(tail="progress/")).json()
    assert progress["state"] == "done"
    assert progress["step"] == progress["steps"] == 5
    assert progress["by"] == ministry_finance.username

    for number, province in enumerate(PROVINCES, start=1):
        answer = api(finance(province)).post(confirm_url(province))
        assert answer.status_code == 200, answer.json()
        statement = answer.json()
        assert statement["province"] == province
        assert statement["status"] == "confirmed"
        assert statement["acted_at"].startswith("2026-12-01T")
        assert statement["period"] == "2026-11"
        assert statement["period_status"] == ("confirmed" if number == 3 else "calculated")

    paid = api(finance("220000")).post(paid_url(), {"bank_ref": "ICBC-20261201-0001"})

    assert paid.status_code == 200, paid.json()
    assert paid.json()["status"] == "paid"
    assert paid.json()["bank_ref"] == "ICBC-20261201-0001"
    assert paid.json()["period_status"] == "closed"
    final = ministry.get(url()).json()
    assert final["status"] == "closed"
    assert final["checksum"] == body["checksum"]
    assert final["instructions"][0]["status"] == "paid"
    assert final["instructions"][0]["paid_at"].startswith("2026-12-01T")
    assert {s["status"] for s in final["statements"]} == {"confirmed"}
    assert all(s["acted_at"] for s in final["statements"])
    listed = ministry.get(PERIODS).json()
    assert listed[0]["period"] == "2026-11"
    assert listed[0]["status"] == "closed"
    assert listed[0]["checksum"] == body["checksum"]
    assert listed[0]["own_statement"] is None


def test_rerun_of_a_calculated_period_answers_the_same_checksum(calculated, api, ministry_finance):
    answer = api(ministry_finance).post(url(tail="run/"))

    assert answer.status_code == 200
    assert answer.json()["checksum"] == calculated.checksum
    assert answer.json()["run_count"] == 2


@pytest.mark.parametrize("label", ["2026-12", "2027-01", "2030-06"])
def test_run_of_the_current_or_a_future_month_is_409(label, december, api, ministry_finance):
    before = world()

    answer = api(ministry_finance).post(url(label, "run/"))

    assert answer.status_code == 409
    assert answer.json()["code"] == "PERIOD_NOT_ENDED"
    assert "尚未结束" in answer.json()["message"]
    assert world() == before


@pytest.mark.parametrize("state", ["confirmed", "closed"])
def test_run_of_a_period_past_calculated_is_409(state, request, api, ministry_finance):
    request.getfixturevalue(state)
    before = world()

    answer = api(ministry_finance).post(url(tail="run/"))

    assert answer.status_code == 409
    assert answer.json()["code"] == "WRONG_STATE"
    assert answer.json()["status"] == state
    assert world() == before


@pytest.mark.parametrize(
    "who", ["provincial_finance", "national_finance", "ministry_only", "clerk", "auditor"]
)
def test_only_ministry_finance_runs_the_batch(
    who, december, api, finance, national_finance, make_staff, national_office, clerk
):
    user = {
        "provincial_finance": lambda: finance("440000"),
        "national_finance": lambda: national_finance,
        "ministry_only": lambda: make_staff("ministry", office=national_office),
        "clerk": lambda: clerk,
        "auditor": lambda: make_staff("auditor", office=national_office),
    }[who]()
    before = world()

    answer = api(user).post(url(tail="run/"))

    assert answer.status_code == 403
    assert answer.json()["code"] == "FORBIDDEN"
    assert world() == before
    assert ClearingPeriod.objects.get(month=NOV).status == "open"


def test_suspended_clearing_module_is_503(december, api, ministry_finance, make_staff):
    admin = make_staff("admin", office=ministry_finance.staff.office)
    notice = "清算模块维护中。"
    module_switch_set(actor=admin, name=ModuleSwitch.Module.CLEARING, suspended=True, notice=notice)
    before = world()

    answer = api(ministry_finance).post(url(tail="run/"))

    assert answer.status_code == 503
    assert answer.json()["notice"] == notice
    assert world() == before


def test_ministry_and_auditors_see_every_row(calculated, api, ministry_finance, make_staff):
    auditor = make_staff("auditor", office=ministry_finance.staff.office)

    for user in (ministry_finance, auditor):
        body = api(user).get(url()).json()
        assert body["province"] is None
        assert len(body["pairs"]) == 3
        assert len(body["positions"]) == 3
        assert len(body["instructions"]) == 1
        assert len(body["statements"]) == 3


def test_provincial_finance_sees_only_rows_touching_its_province(calculated, api, finance):
    body = api(finance("440000")).get(url()).json()

    assert body["province"] == "440000"
    assert [(p["payer"], p["payee"]) for p in body["pairs"]] == [
        ("110000", "440000"),
        ("440000", "110000"),
    ]
    assert [p["province"] for p in body["positions"]] == ["440000"]
    assert body["instructions"] == []
    assert [s["province"] for s in body["statements"]] == ["440000"]
    assert body["control"] == {
        "pair_count": 2,
        "obligation_count": 2,
        "amount_fen": 2 * LEG_FEN,
        "checksum": calculated.checksum,
    }
    jilin = api(finance("220000")).get(url()).json()
    assert [i["index"] for i in jilin["instructions"]] == [0]
    assert [(p["payer"], p["payee"]) for p in jilin["pairs"]] == [("220000", "110000")]


def test_the_ministry_may_narrow_to_one_province(calculated, api, ministry_finance, finance):
    narrowed = api(ministry_finance).get(url() + "?province=440000").json()

    assert narrowed == api(finance("440000")).get(url()).json()


@pytest.mark.parametrize("province", ["110108", "999999", "44", "abcdef"])
def test_province_filter_must_be_a_settlement_unit(province, calculated, api, ministry_finance):
    answer = api(ministry_finance).get(url() + f"?province={province}")

    assert answer.status_code == 400
    assert "province" in answer.json()["fields"]


def test_provincial_finance_cannot_ask_for_another_province(calculated, api, finance):
    answer = api(finance("440000")).get(url() + "?province=110000")

    assert answer.status_code == 403


def test_period_list_shows_the_own_statement(calculated, api, finance, ministry_finance):
    api(finance("440000")).post(confirm_url("440000"))

    rows = api(finance("440000")).get(PERIODS).json()
    other = api(finance("310000")).get(PERIODS).json()
    national = api(ministry_finance).get(PERIODS).json()

    assert rows[0]["period"] == "2026-11"
    assert rows[0]["own_statement"] == "confirmed"
    assert other[0]["own_statement"] is None
    assert national[0]["own_statement"] is None
    assert national[0]["obligation_count"] == 3
    assert national[0]["gross_total_fen"] == 3 * LEG_FEN


def test_progress_is_idle_before_any_batch(december, api, finance):
    answer = api(finance("440000")).get(url(tail="progress/"))

    assert answer.status_code == 200
    assert answer.json() == {"state": "idle"}


def test_open_period_shows_live_totals_before_the_batch(december, api, ministry_finance):
    body = api(ministry_finance).get(url()).json()

    assert body["status"] == "open"
    assert body["obligation_count"] == 3
    assert body["gross_total_fen"] == 3 * LEG_FEN
    assert body["checksum"] == ""
    assert body["pairs"] == body["instructions"] == body["statements"] == []
    assert body["progress"] is None


def test_a_clerk_reads_nothing(calculated, api, clerk):
    client = api(clerk)
    for path in (PERIODS, url(), url(tail="progress/")):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert answer.json()["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", PERIODS),
        ("get", url()),
        ("get", url(tail="progress/")),
        ("post", url(tail="run/")),
        ("post", confirm_url("440000")),
        ("post", dispute_url("440000")),
        ("post", paid_url()),
        ("post", ADJUST),
        ("get", url(tail="export.xlsx")),
        ("get", url(tail="export.csv")),
    ],
)
def test_anonymous_is_401(method, path, calculated, api):
    before = world()

    answer = getattr(api(), method)(path)

    assert answer.status_code == 401
    assert answer.json()["code"] == "NOT_AUTHENTICATED"
    assert world() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", url("2026-13")),
        ("get", url("2026-00")),
        ("post", url("2026-13", "run/")),
        ("get", url("2026-13", "progress/")),
        ("post", confirm_url("440000", "2026-13")),
        ("get", url("2026-13", "export.csv")),
        ("get", url("26-11")),
    ],
)
def test_a_bad_month_in_the_url_is_404(method, path, calculated, api, ministry_finance):
    answer = getattr(api(ministry_finance), method)(path)

    assert answer.status_code == 404


def test_unknown_statement_or_instruction_is_404(calculated, api, finance):
    before = world()

    no_activity = api(finance("310000")).post(confirm_url("310000"))
    no_period = api(finance("440000")).post(confirm_url("440000", "2025-03"))

    assert no_activity.status_code == 404
    assert no_period.status_code == 404
    assert world() == before


def test_unknown_instruction_is_404(confirmed, api, finance):
    before = world()

    answer = api(finance("220000")).post(paid_url(7), {"bank_ref": "B-9"})

    assert answer.status_code == 404
    assert world() == before


def test_a_province_cannot_confirm_or_dispute_anothers_statement(calculated, api, finance):
    before = world()
    guangdong = api(finance("440000"))

    confirm = guangdong.post(confirm_url("220000"))
    dispute = guangdong.post(dispute_url("220000"), {"note": "不同意"})

    assert confirm.status_code == dispute.status_code == 403
    assert world() == before


def test_national_users_confirm_no_statement(calculated, api, ministry_finance, national_finance):
    before = world()

    for user in (ministry_finance, national_finance):
        assert api(user).post(confirm_url("110000")).status_code == 403

    assert world() == before


def test_a_province_cannot_pay_anothers_instruction(confirmed, api, finance, ministry_finance):
    before = world()

    payee = api(finance("110000")).post(paid_url(), {"bank_ref": "B-1"})
    bystander = api(finance("440000")).post(paid_url(), {"bank_ref": "B-1"})
    ministry = api(ministry_finance).post(paid_url(), {"bank_ref": "B-1"})

    assert payee.status_code == bystander.status_code == ministry.status_code == 403
    assert world() == before


def test_paying_before_every_statement_is_confirmed_is_409(calculated, api, finance):
    before = world()

    answer = api(finance("220000")).post(paid_url(), {"bank_ref": "B-1"})

    assert answer.status_code == 409
    assert answer.json()["code"] == "WRONG_STATE"
    assert world() == before


def test_paying_twice_is_409(closed, api, finance):
    before = world()

    answer = api(finance("220000")).post(paid_url(), {"bank_ref": "B-2"})

    assert answer.status_code == 409
    assert world() == before


@pytest.mark.parametrize(
    "body", [{}, {"bank_ref": ""}, {"bank_ref": "   "}, {"bank_ref": "x" * 65}]
)
def test_paying_without_a_bank_reference_is_400(body, confirmed, api, finance):
    before = world()

    answer = api(finance("220000")).post(paid_url(), body, format="json")

    assert answer.status_code == 400
    assert "bank_ref" in answer.json()["fields"]
    assert world() == before


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}, {"note": "x" * 501}])
def test_dispute_requires_a_note(body, calculated, api, finance):
    before = world()

    answer = api(finance("440000")).post(dispute_url("440000"), body, format="json")

    assert answer.status_code == 400
    assert "note" in answer.json()["fields"]
    assert world() == before


def test_a_dispute_blocks_confirmed(calculated, api, finance, ministry_finance):
    disputed = api(finance("440000")).post(dispute_url("440000"), {"note": "广东应收金额有误"})
    for province in ("110000", "220000"):
        api(finance(province)).post(confirm_url(province))

    assert disputed.status_code == 200
    assert disputed.json()["status"] == "disputed"
    assert disputed.json()["status_label"] == "有异议"
    assert disputed.json()["note"] == "广东应收金额有误"
    body = api(ministry_finance).get(url()).json()
    assert body["status"] == "calculated"
    assert {s["province"]: s["status"] for s in body["statements"]} == {
        "110000": "confirmed",
        "220000": "confirmed",
        "440000": "disputed",
    }
    before = world()
    assert api(finance("220000")).post(paid_url(), {"bank_ref": "B-1"}).status_code == 409
    assert world() == before


def test_statements_cannot_change_once_the_period_is_confirmed(confirmed, api, finance):
    before = world()

    dispute = api(finance("440000")).post(dispute_url("440000"), {"note": "晚了"})
    confirm = api(finance("440000")).post(confirm_url("440000"))

    assert dispute.status_code == confirm.status_code == 409
    assert world() == before


# --- adjustments -------------------------------------------------------------------------------


def adjustment(**changes) -> dict:
    return {
        "payer": "440000",
        "payee": "220000",
        "individual_fen": 10_000,
        "pooled_fen": -2_500,
        "reason": "2026-11 一笔转移金额核减",
        **changes,
    }


@pytest.mark.parametrize("who", ["provincial_finance", "national_finance", "clerk"])
def test_only_the_ministry_adjusts(who, calculated, api, finance, national_finance, clerk):
    user = {
        "provincial_finance": lambda: finance("440000"),
        "national_finance": lambda: national_finance,
        "clerk": lambda: clerk,
    }[who]()
    before = world()

    answer = api(user).post(ADJUST, adjustment(period="2026-11"), format="json")

    assert answer.status_code == 403
    assert world() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"individual_fen": 0, "pooled_fen": 0}, "individual_fen"),
        ({"payee": "440000"}, "payee"),
        ({"payer": "110108"}, "payer"),
        ({"payee": "999999"}, "payee"),
        ({"payer": "44"}, "payer"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"individual_fen": "1.5"}, "individual_fen"),
        ({"pooled_fen": 10**14}, "pooled_fen"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2027-01"}, "period"),
        ({"period": 202611}, "period"),
    ],
)
def test_bad_adjustments_are_400(changes, field, calculated, api, ministry_finance):
    before = world()

    answer = api(ministry_finance).post(ADJUST, adjustment(**changes), format="json")

    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["fields"]
    assert world() == before


def test_an_adjustment_reopens_a_calculated_period(calculated, api, ministry_finance):
    ministry = api(ministry_finance)

    answer = ministry.post(ADJUST, adjustment(period="2026-11"), format="json")

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert set(body) == {
        "id",
        "period",
        "payer",
        "payee",
        "individual_fen",
        "pooled_fen",
        "amount_fen",
        "reason",
        "created_by",
        "created_at",
    }
    assert body["period"] == "2026-11"
    assert (body["payer"], body["payee"]) == ("440000", "220000")
    assert (body["individual_fen"], body["pooled_fen"], body["amount_fen"]) == (
        10_000,
        -2_500,
        7_500,
    )
    assert body["reason"] == "2026-11 一笔转移金额核减"
    assert body["created_by"] == ministry_finance.username
    assert Obligation.objects.get(pk=body["id"]).leg is None
    period = ministry.get(url()).json()
    assert period["status"] == "open"

    rerun = ministry.post(url(tail="run/")).json()

    assert rerun["status"] == "calculated"
    assert rerun["obligation_count"] == 4
    assert rerun["gross_total_fen"] == 3 * LEG_FEN + 7_500
    assert rerun["checksum"] != calculated.checksum
    assert ("440000", "220000") in {(p["payer"], p["payee"]) for p in rerun["pairs"]}


def test_an_adjustment_goes_into_the_current_month_by_default(calculated, api, ministry_finance):
    answer = api(ministry_finance).post(ADJUST, adjustment(), format="json")

    assert answer.status_code == 201
    assert answer.json()["period"] == "2026-12"
    assert ClearingPeriod.objects.get(month=NOV).status == "calculated"


@pytest.mark.parametrize("state", ["confirmed", "closed"])
def test_an_adjustment_into_a_confirmed_or_closed_period_is_409(
    state, request, api, ministry_finance
):
    request.getfixturevalue(state)
    before = world()

    answer = api(ministry_finance).post(ADJUST, adjustment(period="2026-11"), format="json")

    assert answer.status_code == 409
    assert world() == before
