"""The period exports (API.md "Clearing": export.xlsx, export.csv): the workbook opens with openpyxl
and the CSV parses with the csv module, and their totals and control record are the API's; a
province's file lists only its rows; 元 are exact; user text never becomes a formula.

Legs completed in 2026-11 through the real transfer services, with odd balances so that 元 are
not round: 220000→110000, 440000→110000, 110000→440000; the batch runs on 2026-12-01. Nets:
440000 receives, 110000 and 220000 pay → instructions #0 110000→440000, #1 220000→440000."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from clearing import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)
PERIOD = "/api/v1/clearing/periods/2026-11/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ["汇总", "省际明细", "净额头寸", "结算指令", "对账单"]
BALANCES = {
    ("220000", "110000"): 123_456_789,
    ("440000", "110000"): 1_001,
    ("110000", "440000"): 99_999_999_999,
}


@pytest.fixture
def calculated(complete_leg, ministry_finance):
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)):
        for (payer, payee), balance in BALANCES.items():
            complete_leg(payer, payee, balance_fen=balance)
    with time_machine.travel(datetime(2026, 12, 1, 1, tzinfo=SHANGHAI)):
        yield services.clearing_period_run(actor=ministry_finance, month=NOV)


def exact_yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def read_back(value) -> Decimal:
    """A 元 cell as openpyxl reads it (a float), as the exact decimal it shows."""
    return Decimal(repr(value))


def workbook(answer):
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(answer.content))


def rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def csv_rows(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8 Chinese
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))


def section(table: list[list[str]], title: str) -> list[list[str]]:
    """The data rows under a CSV section title (after its header), up to the blank line."""
    start = table.index([title]) + 2
    end = table.index([], start)
    return table[start:end]


def test_the_workbook_totals_equal_the_api(calculated, api, ministry_finance):
    client = api(ministry_finance)
    body = client.get(PERIOD).json()

    answer = client.get(PERIOD + "export.xlsx")

    assert answer["Content-Disposition"] == 'attachment; filename="clearing-2026-11.xlsx"'
    book = workbook(answer)
    assert book.sheetnames == SHEETS
    summary = {row[0]: row[1:] for row in rows(book["汇总"]) if row[0]}
    assert summary["清算期"][0] == "2026-11"
    assert summary["状态"][0] == "已计算"
    assert summary["数据范围"][0] == "全部省份"
    assert summary["债务笔数"][0] == body["obligation_count"] == 3
    for label, key in [
        ("个人账户合计（分）", "individual_fen"),
        ("统筹基金合计（分）", "pooled_fen"),
        ("总额（分）", "gross_total_fen"),
    ]:
        fen, yuan = summary[label]
        assert fen == body[key]
        assert read_back(yuan) == exact_yuan(body[key])
    assert summary["校验总数"][0] == body["hash_total"]
    assert summary["校验和"][0] == body["checksum"]
    calculated_at = timezone.localtime(calculated.calculated_at).replace(tzinfo=None)
    assert abs(summary["计算时间"][0] - calculated_at) < timedelta(seconds=1)
    control = body["control"]
    assert summary["控制合计：省际汇总条数"][0] == control["pair_count"] == 3
    assert summary["控制合计：债务笔数"][0] == control["obligation_count"] == 3
    assert summary["控制合计：金额（分）"][0] == control["amount_fen"] == body["gross_total_fen"]
    assert read_back(summary["控制合计：金额（分）"][1]) == exact_yuan(control["amount_fen"])
    assert summary["控制合计：校验和"][0] == control["checksum"] == body["checksum"]

    header, *pairs, total = rows(book["省际明细"])
    assert header[:8] == (
        "付款省份代码",
        "付款省份",
        "收款省份代码",
        "收款省份",
        "笔数",
        "个人账户（分）",
        "统筹基金（分）",
        "金额（分）",
    )
    assert [(r[0], r[2], r[4], r[5], r[6], r[7]) for r in pairs] == [
        (p["payer"], p["payee"], p["count"], p["individual_fen"], p["pooled_fen"], p["amount_fen"])
        for p in body["pairs"]
    ]
    assert [r[1] for r in pairs] == ["北京市", "吉林省", "广东省"]
    for row in pairs:
        assert [read_back(v) for v in row[8:11]] == [exact_yuan(v) for v in row[5:8]]
        assert row[11] == next(
            p["hash_total"] for p in body["pairs"] if (p["payer"], p["payee"]) == (row[0], row[2])
        )
    assert total[0] == "合计"
    assert total[4] == control["obligation_count"]
    assert total[5:8] == (body["individual_fen"], body["pooled_fen"], control["amount_fen"])
    assert read_back(total[10]) == exact_yuan(control["amount_fen"])
    assert book["省际明细"]["K2"].number_format == "#,##0.00"

    _, *positions = rows(book["净额头寸"])
    assert [(r[0], r[2], r[3], r[4]) for r in positions] == [
        (p["province"], p["receivable_fen"], p["payable_fen"], p["net_fen"])
        for p in body["positions"]
    ]
    assert sum(r[4] for r in positions) == 0
    assert [read_back(r[7]) for r in positions] == [exact_yuan(r[4]) for r in positions]

    _, *instructions, paid_total = rows(book["结算指令"])
    assert [(r[0], r[1], r[3], r[5], r[7]) for r in instructions] == [
        (i["index"], i["payer"], i["payee"], i["amount_fen"], i["status_label"])
        for i in body["instructions"]
    ]
    assert paid_total[5] == sum(i["amount_fen"] for i in body["instructions"])

    statements = rows(book["对账单"])
    assert [(r[0], r[2]) for r in statements[1:4]] == [
        (s["province"], s["status_label"]) for s in body["statements"]
    ]
    assert statements[-1] == (
        "控制合计",
        control["pair_count"],
        control["obligation_count"],
        control["amount_fen"],
        control["checksum"],
    )


def test_the_csv_control_record_equals_the_api(calculated, api, ministry_finance):
    client = api(ministry_finance)
    body = client.get(PERIOD).json()

    answer = client.get(PERIOD + "export.csv")

    assert answer["Content-Disposition"] == 'attachment; filename="clearing-2026-11.csv"'
    table = csv_rows(answer)
    control = body["control"]
    assert table[-1] == [
        "控制合计",
        str(control["pair_count"]),
        str(control["obligation_count"]),
        str(control["amount_fen"]),
        control["checksum"],
    ]
    assert table[0] == ["清算期", "2026-11"]
    assert ["校验和", body["checksum"]] in table
    pairs = section(table, "省际明细")
    assert [r[:6] for r in pairs] == [
        [
            p["payer"],
            p["payee"],
            str(p["count"]),
            str(p["individual_fen"]),
            str(p["pooled_fen"]),
            str(p["amount_fen"]),
        ]
        for p in body["pairs"]
    ]
    assert [Decimal(r[6]) for r in pairs] == [exact_yuan(p["amount_fen"]) for p in body["pairs"]]
    assert pairs[0][6] == "1000001199.99"  # 99999999999 + 120000 fen, written exactly
    assert sum(int(r[2]) for r in pairs) == control["obligation_count"]
    assert sum(int(r[5]) for r in pairs) == control["amount_fen"]
    positions = section(table, "净额头寸")
    assert [(r[0], int(r[3])) for r in positions] == [
        (p["province"], p["net_fen"]) for p in body["positions"]
    ]
    instructions = section(table, "结算指令")
    assert [(int(r[0]), r[1], r[2], int(r[3])) for r in instructions] == [
        (i["index"], i["payer"], i["payee"], i["amount_fen"]) for i in body["instructions"]
    ]
    statements = section(table, "对账单")
    assert [(r[0], r[1]) for r in statements] == [
        (s["province"], s["status_label"]) for s in body["statements"]
    ]


def test_a_provinces_exports_list_only_its_rows(calculated, api, finance):
    client = api(finance("440000"))
    body = client.get(PERIOD).json()
    assert body["province"] == "440000"

    xlsx = client.get(PERIOD + "export.xlsx")
    table = csv_rows(client.get(PERIOD + "export.csv"))

    assert xlsx["Content-Disposition"] == 'attachment; filename="clearing-2026-11-440000.xlsx"'
    book = workbook(xlsx)
    summary = {row[0]: row[1:] for row in rows(book["汇总"]) if row[0]}
    assert summary["数据范围"][0] == "440000 广东省"
    _, *pairs, total = rows(book["省际明细"])
    assert {(r[0], r[2]) for r in pairs} == {("110000", "440000"), ("440000", "110000")}
    assert total[4] == body["control"]["obligation_count"] == 2
    assert total[7] == body["control"]["amount_fen"]
    assert [r[0] for r in rows(book["净额头寸"])[1:]] == ["440000"]
    assert [(r[0], r[1], r[3]) for r in rows(book["结算指令"])[1:-1]] == [
        (0, "110000", "440000"),
        (1, "220000", "440000"),
    ]
    assert [r[0] for r in rows(book["对账单"]) if r[0] and r[0].isdigit()] == ["440000"]

    assert all("440000" in r[:2] for r in section(table, "省际明细"))
    assert [r[0] for r in section(table, "净额头寸")] == ["440000"]
    assert [r[2] for r in section(table, "结算指令")] == ["440000", "440000"]
    assert [r[0] for r in section(table, "对账单")] == ["440000"]
    control = body["control"]
    assert table[-1] == [
        "控制合计",
        "2",
        "2",
        str(control["amount_fen"]),
        control["checksum"],
    ]


def test_the_ministry_exports_one_provinces_statement(calculated, api, ministry_finance, finance):
    jilin = api(finance("220000")).get(PERIOD).json()

    answer = api(ministry_finance).get(PERIOD + "export.csv?province=220000")

    assert answer["Content-Disposition"] == 'attachment; filename="clearing-2026-11-220000.csv"'
    table = csv_rows(answer)
    assert [r[:3] for r in section(table, "结算指令")] == [["1", "220000", "440000"]]
    assert table[-1][1:4] == [
        str(jilin["control"]["pair_count"]),
        str(jilin["control"]["obligation_count"]),
        str(jilin["control"]["amount_fen"]),
    ]


def test_user_text_never_becomes_a_formula(calculated, api, finance):
    note = '=HYPERLINK("http://example.invalid","点此")'
    api(finance("440000")).post(PERIOD + "statements/440000/dispute/", {"note": note})
    client = api(finance("440000"))

    book = workbook(client.get(PERIOD + "export.xlsx"))
    table = csv_rows(client.get(PERIOD + "export.csv"))

    cell = book["对账单"]["D2"]
    assert cell.value == note
    assert cell.data_type == "s"
    assert section(table, "对账单")[0][2] == "'" + note


def test_an_open_period_exports_empty_lists_with_zero_control(api, ministry_finance):
    with time_machine.travel(datetime(2026, 12, 1, 1, tzinfo=SHANGHAI)):
        client = api(ministry_finance)
        table = csv_rows(client.get(PERIOD + "export.csv"))
        book = workbook(client.get(PERIOD + "export.xlsx"))

    assert table[-1] == ["控制合计", "0", "0", "0", ""]
    assert rows(book["省际明细"])[1][:8] == ("合计", "0条", None, None, 0, 0, 0, 0)
    assert rows(book["汇总"])[1] == ("清算期", "2026-11", None)


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_exports_refuse_who_may_not_read(ext, calculated, api, make_staff, finance):
    clerk = make_staff("clerk", username="exp_clerk")

    refused = api(clerk).get(PERIOD + f"export.{ext}", HTTP_ACCEPT=XLSX)
    other_province = api(finance("440000")).get(PERIOD + f"export.{ext}?province=110000")
    anonymous = api().get(PERIOD + f"export.{ext}")
    bad_filter = api(finance("440000")).get(PERIOD + f"export.{ext}?province=4400")

    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["code"] == "FORBIDDEN"
    assert "Content-Disposition" not in refused
    assert other_province.status_code == 403
    assert anonymous.status_code == 401
    assert bad_filter.status_code == 400
    assert "province" in bad_filter.json()["fields"]


def test_a_bad_month_export_is_404(calculated, api, ministry_finance):
    answer = api(ministry_finance).get("/api/v1/clearing/periods/2026-13/export.xlsx")

    assert answer.status_code == 404
