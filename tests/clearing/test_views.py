"""Staff pages of clearing (clearing/views.py) through the Django test client on PostgreSQL and
Redis: the periods list, the period page (heat map, net chart, instructions, statements, batch
progress), a province's statement with confirm / dispute, and who may see what. State is built
through the real transfer and clearing services."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from clearing import netting, services
from clearing.models import (
    ClearingPeriod,
    InstructionStatus,
    PeriodStatus,
    Statement,
    StatementStatus,
)
from clearing.progress import STAGES, progress_end, progress_start, progress_step
from common.models import AuditRecord
from registry.selectors import region_children
from tests import pages

SH = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)
IN_NOVEMBER = datetime(2026, 11, 10, 10, 0, tzinfo=SH)

# 吉林→北京 6,200.00; 广东→北京 8,200.00; 北京→广东 6,200.00; 江苏→广东 2,000.00 (元).
# Nets: 北京 +8,200.00, 吉林 −6,200.00, 江苏 −2,000.00, 广东 0 (activity, no net).
PAIRS = {
    ("220000", "110000"): 620_000,
    ("440000", "110000"): 820_000,
    ("110000", "440000"): 620_000,
    ("320000", "440000"): 200_000,
}
NETS = {"110000": 820_000, "220000": -620_000, "320000": -200_000}
ACTIVE = ["110000", "220000", "320000", "440000"]


class Page(pages.Page):
    """Also the heat map's cells, the chart's bars, the forms' actions and the links; every tag,
    <strong> too, reads as a word break."""

    INLINE = frozenset()

    def __init__(self, html: str) -> None:
        self.heat_rows: list[list[dict]] = []
        self.bars: list[dict] = []
        self.forms: list[str] = []
        self.links: list[str] = []
        self._in_heat = False
        super().__init__(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "heat-table":
            self._in_heat = True
        if self._in_heat and tag == "tr":
            self.heat_rows.append([])
        if self._in_heat and tag == "td":
            self.heat_rows[-1].append(a)
        if tag == "rect" and "bar" in a.get("class", "").split():
            self.bars.append(a)
        if tag == "form":
            self.forms.append(a.get("action", ""))
        if tag == "a":
            self.links.append(a.get("href", ""))
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_heat = False
        super().handle_endtag(tag)

    @property
    def filled_cells(self) -> dict[tuple[int, int], dict]:
        return {
            (r, c): cell
            for r, row in enumerate(self.heat_rows)
            for c, cell in enumerate(row)
            if "hot" in cell.get("class", "").split()
        }


def page_of(response) -> Page:
    return pages.page_of(response, Page)


def november(complete_leg) -> None:
    """The four legs of PAIRS, completed in November 2026 (the batch then runs for real now)."""
    with time_machine.travel(IN_NOVEMBER):
        for (payer, payee), amount in PAIRS.items():
            complete_leg(payer, payee, balance_fen=amount - 120_000)


@pytest.fixture
def auditor(make_staff, national_office):
    return make_staff("auditor", office=national_office, username="moh_auditor")


@pytest.fixture
def calculated(complete_leg, ministry_finance):
    november(complete_leg)
    return services.clearing_period_run(actor=ministry_finance, month=NOV)


def period_state(month=NOV) -> dict:
    period = ClearingPeriod.objects.get(month=month)
    return {
        "period": (period.status, period.checksum, period.run_count),
        "statements": sorted(
            period.statements.values_list("province_id", "status", "note", "acted_at")
        ),
        "instructions": sorted(period.instructions.values_list("index", "status", "bank_ref")),
        "audit": AuditRecord.objects.count(),
    }


# --- the periods list --------------------------------------------------------------------------


def test_periods_list_for_ministry_finance(client, calculated, ministry_finance, complete_leg):
    complete_leg("330000", "110000")  # this month (now): recorded, not yet runnable
    current = f"{services.month_of(timezone.now()):%Y-%m}"
    client.force_login(ministry_finance)

    page = page_of(client.get("/clearing/"))

    row = page.text("period-2026-11")
    assert "2026年11月" in row and "已计算" in row
    assert "4" in row.split() and "22,600.00" in row
    assert calculated.checksum[:12] in row
    assert "/clearing/2026-11/run/" in page.forms  # calculated: may run again
    this_month = page.text(f"period-{current}")
    assert "未清算" in this_month and "尚未计算" in this_month
    assert f"/clearing/{current}/run/" not in page.forms  # the month has not ended
    assert "清算" in page.text("mainnav").split() and "/clearing/" in page.links


def test_periods_list_for_provincial_finance_shows_its_statement(client, calculated, finance):
    client.force_login(finance("220000"))
    page = page_of(client.get("/clearing/"))
    assert "待确认" in page.text("period-2026-11")
    assert not any(action.endswith("/run/") for action in page.forms)

    client.force_login(finance("650000"))  # 新疆: no activity in November
    assert "本省本期无清算业务" in page_of(client.get("/clearing/")).text("period-2026-11")


def test_a_clerk_gets_the_error_page(client, calculated, make_staff):
    client.force_login(make_staff("clerk", username="window_clerk"))
    for url in ["/clearing/", "/clearing/2026-11/", "/clearing/2026-11/statements/110000/"]:
        response = client.get(url)
        assert response.status_code == 403
        assert "无法办理" in response.content.decode()
    assert "清算" not in page_of(client.get("/")).text("mainnav").split()  # nor a nav entry


# --- the run button ----------------------------------------------------------------------------
# The view queues the batch with transaction.on_commit outside any transaction (as in production,
# where a request is not atomic): these tests commit for real, so the eager task runs inside the
# request just as it does in the embedded setup.
committing = pytest.mark.django_db(transaction=True)


@committing
def test_run_button_calculates_the_period(regions, client, complete_leg, ministry_finance):
    november(complete_leg)
    client.force_login(ministry_finance)
    before = page_of(client.get("/clearing/2026-11/"))
    assert "尚未计算" in before.text("control") and "4" in before.text("control").split()
    assert "/clearing/2026-11/run/" in before.forms

    response = client.post("/clearing/2026-11/run/")

    assert response.status_code == 302
    assert response["Location"].startswith("/clearing/2026-11/?queued=")
    period = ClearingPeriod.objects.get(month=NOV)
    assert (period.status, period.obligation_count, period.calculated_by) == (
        PeriodStatus.CALCULATED,
        4,
        ministry_finance,
    )
    followed = client.get(response["Location"])
    assert re.search(r'data-queued="\d{4}-\d\d-\d\dT[0-9:.]+\+00:00"', followed.content.decode())
    page = page_of(followed)
    assert f"计算完成，校验和 {period.checksum[:12]}" in page.text("progress")
    assert period.checksum in page.text("control-checksum")
    assert "5/5" in page.text("progress")


@committing
def test_run_messages_say_what_happened(regions, client, complete_leg, ministry_finance):
    november(complete_leg)
    client.force_login(ministry_finance)
    response = client.post("/clearing/2026-11/run/", follow=True)
    assert "计算完成，校验和" in response.content.decode()

    current = services.month_of(timezone.now())
    response = client.post(f"/clearing/{current:%Y-%m}/run/", follow=True)
    assert response.status_code == 200
    assert f"{current:%Y-%m} 尚未结束" in response.content.decode()
    assert not ClearingPeriod.objects.filter(month=current, checksum__gt="").exists()
    page = page_of(client.get(f"/clearing/{current:%Y-%m}/"))
    assert "本月尚未结束" in page.text("control") and not page.forms[1:]  # only 退出登录


@committing
def test_run_refused_by_the_batch_is_a_message_and_changes_nothing(
    regions, client, calculated, ministry_finance, finance
):
    for province in ACTIVE:
        services.statement_confirm(actor=finance(province), month=NOV, province=province)
    before = period_state()
    assert before["period"][0] == PeriodStatus.CONFIRMED
    client.force_login(ministry_finance)

    response = client.post("/clearing/2026-11/run/", follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "不能重新计算" in html
    assert period_state() == before


@committing
def test_an_unexpected_failure_of_the_batch_is_a_message_not_a_500(
    regions, client, calculated, ministry_finance, monkeypatch
):
    before = period_state()

    def broken(nets):
        raise RuntimeError("disk full")

    monkeypatch.setattr(netting, "settlement_instructions", broken)
    client.force_login(ministry_finance)
    response = client.post("/clearing/2026-11/run/", follow=True)

    assert response.status_code == 200
    page = page_of(response)
    assert "计算失败，未作任何更改。" in page.text("progress")
    assert "计算失败" in response.content.decode()
    assert period_state() == before


def test_only_ministry_finance_may_run(client, complete_leg, finance, auditor):
    november(complete_leg)
    for user in (finance("110000"), auditor):
        client.force_login(user)
        assert "/clearing/2026-11/run/" not in page_of(client.get("/clearing/2026-11/")).forms
        response = client.post("/clearing/2026-11/run/", follow=True)
        assert "只有部级财务清算人员可以计算清算期" in response.content.decode()
    period = ClearingPeriod.objects.get(month=NOV)
    assert (period.status, period.checksum, period.run_count) == (PeriodStatus.OPEN, "", 0)


# --- the period page ---------------------------------------------------------------------------


def test_period_page_heat_map_and_net_chart(client, calculated, ministry_finance):
    client.force_login(ministry_finance)
    page = page_of(client.get("/clearing/2026-11/"))

    # 32 × 32: a header row, then one row per settlement unit in code order.
    body = page.heat_rows[1:]
    assert len(body) == 32 and all(len(row) == 32 for row in body)
    assert len(page.heat_rows[0]) == 0  # the header row is all <th>
    diagonal = [r for r, row in enumerate(body) if "diag" in row[r].get("class", "")]
    assert diagonal == list(range(32))
    header = page.text("heat-table").split()
    assert header[:8] == ["付款＼收款", "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林"]
    assert header[31:33] == ["新疆", "兵团"] and header[33] == "北京"  # then the first row

    order = [r.code for r in region_children()]
    filled = {
        (order[r - 1], order[c]): (int(cell["data-fen"]), int(cell["data-count"]), cell)
        for (r, c), cell in page.filled_cells.items()
    }
    assert {pair: fen for pair, (fen, _, _) in filled.items()} == PAIRS
    assert all(count == 1 for _, count, _ in filled.values())
    # Intensity grows with the amount: the largest pair is the darkest (lowest lightness).
    lightness = {
        pair: int(re.search(r"(\d+)%\)", c["style"]).group(1)) for pair, (_, _, c) in filled.items()
    }
    assert lightness[("440000", "110000")] < lightness[("220000", "110000")]
    assert lightness[("220000", "110000")] < lightness[("320000", "440000")]
    assert filled[("220000", "110000")][2]["title"] == "吉林省 → 北京市：6,200.00 元，1 笔"
    assert "8,200.00" in page.text("heat-legend")  # the legend's top is the largest pair

    # One bar per non-zero net, receivers green to the right, payers red to the left.
    bars = {b["data-province"]: b for b in page.bars}
    assert {code: int(b["data-net-fen"]) for code, b in bars.items()} == NETS
    assert "bar-receive" in bars["110000"]["class"] and "bar-pay" in bars["220000"]["class"]
    assert (
        int(bars["110000"]["width"]) > int(bars["220000"]["width"]) > int(bars["320000"]["width"])
    )
    assert int(bars["220000"]["x"]) + int(bars["220000"]["width"]) == int(bars["110000"]["x"])
    chart = page.text("net-chart")
    for amount in ("8,200.00", "-6,200.00", "-2,000.00"):
        assert amount in chart

    # Instructions and statements, each statement linking to its page.
    assert "6,200.00" in page.text("instruction-0") and "吉林省" in page.text("instruction-0")
    assert "2,000.00" in page.text("instruction-1") and "江苏省" in page.text("instruction-1")
    for province in ACTIVE:
        assert "待确认" in page.text(f"statement-{province}")
        assert f"/clearing/2026-11/statements/{province}/" in page.links
    assert "/api/v1/clearing/periods/2026-11/export.xlsx" in page.links
    assert "/api/v1/clearing/periods/2026-11/export.csv" in page.links
    assert "22,600.00" in page.text("control-amount")


def test_provincial_finance_sees_only_its_rows(client, calculated, finance):
    client.force_login(finance("220000"))
    page = page_of(client.get("/clearing/2026-11/"))

    assert [(r, c) for r, c in page.filled_cells] == [(7, 0)]  # 吉林 (row 7) → 北京 (col 0)
    assert {b["data-province"]: int(b["data-net-fen"]) for b in page.bars} == {"220000": -620_000}
    assert "instruction-0" in page.texts and "instruction-1" not in page.texts
    assert [k for k in page.texts if k.startswith("statement-")] == ["statement-220000"]
    assert "/clearing/2026-11/statements/220000/" in page.links
    assert not any(action.endswith("/run/") for action in page.forms)

    client.force_login(finance("440000"))  # 广东: two pairs, a zero net
    page = page_of(client.get("/clearing/2026-11/"))
    assert len(page.filled_cells) == 3  # 广东→北京, 北京→广东, 江苏→广东
    assert page.bars == [] and "本省本期净额为零" in page.text("positions")
    assert "本省本期无结算指令" in page.text("instructions")


def test_auditor_sees_everything_and_acts_on_nothing(client, calculated, auditor):
    client.force_login(auditor)
    page = page_of(client.get("/clearing/2026-11/"))
    assert len(page.filled_cells) == 4 and len(page.bars) == 3
    assert not [action for action in page.forms if "/clearing/" in action]
    page = page_of(client.get("/clearing/2026-11/statements/220000/"))
    assert "6,200.00" in page.text("pairs-paying")
    assert not [action for action in page.forms if "/clearing/" in action]


def test_progress_box_from_the_cache(client, complete_leg, ministry_finance):
    november(complete_leg)
    progress_start(NOV, "moh_finance")
    progress_step(NOV, 2)
    client.force_login(ministry_finance)

    response = client.get("/clearing/2026-11/")
    page = page_of(response)
    box = page.text("progress")
    assert "正在计算" in box and "2/5" in box and STAGES[2] in box and "moh_finance" in box
    html = response.content.decode()
    assert 'data-url="/api/v1/clearing/periods/2026-11/progress/"' in html
    assert 'data-state="running"' in html
    assert "/static/clearing/progress.js" in html
    assert re.search(r'<progress id="progress-bar" max="5" value="2">', html)

    progress_end(NOV, ok=False, message="清算模块已暂停办理。")
    page = page_of(client.get("/clearing/2026-11/"))
    assert "计算失败" in page.text("progress") and "清算模块已暂停办理。" in page.text("progress")

    cache.clear()
    response = client.get("/clearing/2026-11/")
    assert 'id="progress"' not in response.content.decode()
    assert "/static/clearing/progress.js" not in response.content.decode()


# --- the statement page ------------------------------------------------------------------------


def test_statement_page_for_its_province(client, calculated, finance):
    client.force_login(finance("220000"))
    page = page_of(client.get("/clearing/2026-11/statements/220000/"))

    assert "北京市" in page.text("pairs-paying") and "6,200.00" in page.text("pairs-paying")
    assert "无" in page.text("pairs-receiving")
    assert page.text("position-net") == "-6,200.00"
    assert "待确认" in page.text("statement-status")
    assert page.text("control-pairs") == "1 对" and page.text("control-count") == "1 笔"
    assert page.text("control-amount") == "6,200.00 元"
    assert page.text("control-checksum") == calculated.checksum
    assert "6,200.00" in page.text("instructions")
    assert "/clearing/2026-11/statements/220000/confirm/" in page.forms
    assert "/clearing/2026-11/statements/220000/dispute/" in page.forms
    assert "/api/v1/clearing/periods/2026-11/export.xlsx?province=220000" in page.links
    assert "/api/v1/clearing/periods/2026-11/export.csv?province=220000" in page.links

    other = client.get("/clearing/2026-11/statements/110000/")
    assert other.status_code == 403 and "只能查看本省的对账单" in other.content.decode()


def test_ministry_may_view_any_statement_but_not_act(client, calculated, ministry_finance):
    client.force_login(ministry_finance)
    page = page_of(client.get("/clearing/2026-11/statements/440000/"))
    assert page.text("position-net") == "0.00"
    assert "北京市" in page.text("pairs-paying") and "江苏省" in page.text("pairs-receiving")
    assert not [a for a in page.forms if "/statements/" in a]
    assert client.get("/clearing/2026-11/statements/999999/").status_code == 404
    assert "无清算业务" in page_of(client.get("/clearing/2026-11/statements/650000/")).text(
        "no-statement"
    )


def test_confirm_all_then_pay_closes_the_period(client, calculated, finance):
    for province in ACTIVE:
        client.force_login(finance(province))
        response = client.post(f"/clearing/2026-11/statements/{province}/confirm/", follow=True)
        assert "已确认 2026-11 清算期对账单无误" in response.content.decode()
        assert "已确认" in page_of(response).text("statement-status")
    period = ClearingPeriod.objects.get(month=NOV)
    assert period.status == PeriodStatus.CONFIRMED

    client.force_login(finance("220000"))
    page = page_of(client.get("/clearing/2026-11/"))
    assert page.forms.count("/clearing/2026-11/instructions/0/paid/") == 1
    assert "/clearing/2026-11/instructions/1/paid/" not in page.forms  # 江苏 pays that one
    response = client.post(
        "/clearing/2026-11/instructions/0/paid/", {"bank_ref": "ICBC-20261205-001"}, follow=True
    )
    assert "第 1 笔结算指令已登记付款" in response.content.decode()
    assert "ICBC-20261205-001" in page_of(response).text("instruction-0")

    client.force_login(finance("320000"))
    response = client.post("/clearing/2026-11/instructions/0/paid/", {"bank_ref": "X"}, follow=True)
    assert "您的角色或所属省份无权办理此业务" in response.content.decode()
    client.post("/clearing/2026-11/instructions/1/paid/", {"bank_ref": "ABC-77"})
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    assert set(period.instructions.values_list("status", flat=True)) == {InstructionStatus.PAID}


def test_dispute_needs_a_note(client, calculated, finance):
    client.force_login(finance("220000"))
    before = period_state()

    response = client.post(
        "/clearing/2026-11/statements/220000/dispute/", {"note": "  "}, follow=True
    )

    assert response.status_code == 200
    assert "提出异议须填写说明。" in response.content.decode()
    assert period_state() == before

    response = client.post(
        "/clearing/2026-11/statements/220000/dispute/",
        {"note": "转移编号 220102-20261110-00001-1 金额与本省记录不符"},
        follow=True,
    )
    page = page_of(response)
    assert "已对 2026-11 清算期对账单提出异议" in response.content.decode()
    assert "有异议" in page.text("statement-status")
    assert "金额与本省记录不符" in page.text("statement-note")
    statement = Statement.objects.get(period__month=NOV, province_id="220000")
    assert (statement.status, statement.acted_by.username) == (
        StatementStatus.DISPUTED,
        "fin_220000",
    )


def test_another_provinces_finance_cannot_confirm(client, calculated, finance):
    before = period_state()
    client.force_login(finance("110000"))
    response = client.post("/clearing/2026-11/statements/220000/confirm/")
    assert response.status_code == 302
    assert period_state() == before
