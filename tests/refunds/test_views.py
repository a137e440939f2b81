"""Staff pages of refunds (refunds/views.py) through the Django test client: the person's
duplicate months, the guided three-step form and its refusals, the refund page with approval and
payment by scope, the worklists and the list, and the module switch. State is built through the
real services (tests/refunds/conftest.py: 严某荣, flexible in 海淀 while employed in 长春)."""

from datetime import date

import pytest
from django.utils import timezone

from refunds import services
from refunds.models import Refund, RefundMonth, RefundStatus
from refunds.selectors import duplicates
from registry.models import ContributionMonth, ModuleSwitch
from registry.validators import make_id_number
from tests.pages import Page, page_of

ID_NUMBER = "110101198808080001"
NOTICE = "因系统升级，接市中心通知，重复缴费退费模块目前暂停办理。"


PERIODS = {
    "period-0-region": "110108",
    "period-0-start": "2020-01",
    "period-0-end": "2020-06",
    "period-0-identity": "flexible",
    "period-1-region": "220102",
    "period-1-start": "2020-03",
    "period-1-end": "2020-08",
    "period-1-identity": "employee",
}


def form_data(**overrides) -> dict:
    """The whole form, filled in as a clerk would: 海淀's flexible 2020-03 and 2020-04."""
    data = {
        "id_number": ID_NUMBER,
        **PERIODS,
        "refund_region": "110108",
        "months": ["2020-03", "2020-04"],
        "bank_name": "中国工商银行北京海淀支行",
        "account_no": "6222 0202 0000 1234 567",
        "holder_name": "严某荣",
        "confirm_direction": "1",
        "action": "submit",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def assert_nothing_written(haidian) -> None:
    assert not Refund.objects.exists()
    assert not RefundMonth.objects.exists()
    haidian.refresh_from_db()
    assert haidian.individual_balance_fen == 1_000_000
    assert not ContributionMonth.objects.filter(cleared=True).exists()


def assert_kept(page: Page, data: dict) -> None:
    """Everything typed is shown again."""
    for key in ("bank_name", "account_no", "holder_name"):
        assert page.values[key] == data[key]
    for key, value in PERIODS.items():
        if key.endswith(("region", "identity")):
            assert page.selected[key] == value
        else:
            assert page.values[key] == value
    assert page.checked["refund_region"] == [data["refund_region"]]
    assert page.checked["months"] == data["months"]
    if "confirm_direction" in data:
        assert page.checked["confirm_direction"] == ["1"]


# --- the person's page ------------------------------------------------------------------------


def test_person_page_lists_the_duplicate_months_with_the_way_to_apply(
    client, accounts, refund_clerk, supervisor, apply
):
    client.force_login(refund_clerk)
    page = page_of(client.get("/persons/", {"id_number": ID_NUMBER}))
    section = page.text("duplicates")
    assert "重复缴费月份 共5个月未清退" in section
    assert page.text("duplicate-2020-03") == (
        "2020-03 北京市海淀区 · 灵活就业·个人身份 · 5,000.00 元 "
        "吉林省长春市南关区 · 职工 · 5,000.00 元"
    )
    assert page.text("duplicate-2021-01") == (
        "2021-01 北京市海淀区 · 职工 · 5,000.00 元 北京市海淀区 · 灵活就业·个人身份 · 5,000.00 元"
    )
    assert "duplicate-2020-07" not in page.texts  # paid once only
    html = client.get("/persons/", {"id_number": ID_NUMBER}).content.decode()
    assert f'href="/refunds/new/?id_number={ID_NUMBER}"' in html
    assert "重复缴费退费" in page.text("mainnav")

    refund = apply()
    page = page_of(client.get("/persons/", {"id_number": ID_NUMBER}))
    assert refund.refund_no in page.text("duplicate-2020-03")
    assert refund.refund_no not in page.text("duplicate-2020-05")

    client.force_login(supervisor)  # sees the months, may not apply
    page = page_of(client.get("/persons/", {"id_number": ID_NUMBER}))
    assert "2020-03" in page.text("duplicates") and "apply-refund" not in page.texts
    assert "重复缴费退费" not in page.text("mainnav")


# --- the guided form ------------------------------------------------------------------------------


def test_form_starts_from_the_records(client, accounts, refund_clerk):
    client.force_login(refund_clerk)
    page = page_of(client.get("/refunds/new/", {"id_number": ID_NUMBER}))
    assert page.text("overlaps") == (
        "期间 月数 各参保关系的缴费 "
        "2020-03 至 2020-06 4 北京市海淀区 · 灵活就业·个人身份；吉林省长春市南关区 · 职工 "
        "2021-01 1 北京市海淀区 · 职工；北京市海淀区 · 灵活就业·个人身份"
    )
    # Step 1, prefilled: per place, runs of months under one identity; where 海淀 was paid under
    # both identities the flexible one (the side the rule lets be refunded).
    periods = [
        (
            page.selected[f"period-{n}-region"],
            page.values[f"period-{n}-start"],
            page.values[f"period-{n}-end"],
            page.selected[f"period-{n}-identity"],
        )
        for n in range(3)
    ]
    assert periods == [
        ("110108", "2020-03", "2020-06", "flexible"),
        ("220102", "2020-03", "2020-06", "employee"),
        ("110108", "2021-01", "2021-01", "flexible"),
    ]
    assert "period-3-region" not in page.selected
    # Step 2: the direction is the clerk's to choose; the rule is quoted.
    assert "refund_region" not in page.checked
    assert "保留职工身份的基本养老保险关系和个人账户，清理同期其他关系" in page.text("rule")
    assert "企业与灵活就业部分重复，只允许选择退灵活就业部分" in page.text("rule")
    assert page.text("note-2020-03") == "待选择方向"
    assert page.disabled["months"] == ["2020-03", "2020-04", "2020-05", "2020-06", "2021-01"]
    # Step 3: the holder is the person; nothing is confirmed for the clerk.
    assert page.values["holder_name"] == "严某荣"
    assert page.values["bank_name"] == ""
    assert "confirm_direction" not in page.checked
    assert page.text("summary-amount") == "0.00"


def test_step_two_says_per_month_what_is_refunded_and_kept(client, accounts, refund_clerk, apply):
    client.force_login(refund_clerk)
    # Refunding 长春's employee months: the employee side is kept, so none may be chosen.
    data = form_data(refund_region="220102", months=[], action="preview")
    page = page_of(client.post("/refunds/new/", data))
    assert page.text("month-2020-03") == (
        "2020-03 北京市海淀区 · 灵活就业·个人身份 基数 5,000.00 "
        "吉林省长春市南关区 · 职工 基数 5,000.00 "
        "吉林省长春市南关区 · 职工 北京市海淀区 · 灵活就业·个人身份 400.00 不可选 "
        "企业职工与灵活就业重复的，保留职工身份，只能退灵活就业部分（人社部发〔2025〕42号）"
    )
    assert "退费参保地该月无缴费" in page.text("note-2021-01")
    assert page.disabled["months"] == ["2020-03", "2020-04", "2020-05", "2020-06", "2021-01"]

    # Refunding 海淀's flexible months (what 2020-03/04 of another application already hold is
    # marked); 2021-01 refunds 海淀's flexible payment and keeps its employee one.
    refund = apply()
    data = form_data(months=["2020-05", "2021-01"], action="preview")
    data["period-2-region"], data["period-2-identity"] = "110108", "flexible"
    data["period-2-start"] = data["period-2-end"] = "2021-01"
    page = page_of(client.post("/refunds/new/", data))
    assert page.text("note-2020-03") == f"不可选 已在退费申请 {refund.refund_no} 中"
    assert page.text("note-2020-05") == "可退·仅限窗口"
    assert page.text("month-2021-01").endswith(
        "北京市海淀区 · 灵活就业·个人身份 北京市海淀区 · 职工 1,000.00 可退·仅限窗口"
    )
    assert page.disabled["months"] == ["2020-03", "2020-04"]
    assert page.checked["months"] == ["2020-05", "2021-01"]
    assert page.text("summary-direction") == "退 北京市海淀区（企业职工基本养老保险） 的缴费"
    assert page.text("summary-months") == "2020-05、2021-01（共2个月）"
    assert page.text("summary-amount") == "2,000.00"
    assert page.text("summary-credited") == "800.00"
    assert page.text("summary-blocked").startswith("已勾选但不能退费的月份： （见第二步的说明）")
    assert not Refund.objects.exclude(pk=refund.pk).exists()  # a preview writes nothing


def test_submission_makes_the_refund_and_shows_its_page(client, accounts, refund_clerk):
    client.force_login(refund_clerk)
    response = client.post("/refunds/new/", form_data())
    refund = Refund.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/refunds/{refund.refund_no}/"
    assert refund.channel == "window"
    assert refund.identities == [
        {"region": "110108", "start": "2020-01", "end": "2020-06", "identity": "flexible"},
        {"region": "220102", "start": "2020-03", "end": "2020-08", "identity": "employee"},
    ]
    assert (refund.amount_fen, refund.credited_fen) == (200_000, 80_000)
    assert refund.account_no == "6222020200001234567"

    page = page_of(client.get(response["Location"]))
    assert f"已受理退费申请 {refund.refund_no}，退费金额 2,000.00 元" in page.text("main")
    assert (
        page.text("refund-totals") == "退费金额 2,000.00 元 冲减个人账户 800.00 元 退费月数 2 个月"
    )
    assert "严某荣" in page.text("summary") and ID_NUMBER in page.text("summary")
    assert "北京市海淀区 企业职工基本养老保险" in page.text("summary")
    assert page.text("months").startswith(
        "退费明细 月份 缴费身份 缴费基数（元） 退费比例 退费金额（元） "
        "2020-03 灵活就业·个人身份 5,000.00 20% 1,000.00 "
        "2020-04 灵活就业·个人身份 5,000.00 20% 1,000.00 "
        "退费金额合计 2个月 2,000.00 冲减个人账户"
    )
    assert "***************4567" in page.text("bank")
    assert "6222020200001234567" not in page.text("main")
    assert "受理退费申请 已提交 hd_refund_clerk" in page.text("timeline")
    assert "actions" not in page.texts  # a clerk neither approves nor pays


def test_employee_side_is_refused_beside_step_two_and_nothing_is_lost(
    client, accounts, haidian, refund_clerk
):
    client.force_login(refund_clerk)
    data = form_data(refund_region="220102", months=["2020-03"])
    page = page_of(client.post("/refunds/new/", data))
    assert "人社部发〔2025〕42号" in page.text("field-months")
    assert "只能退灵活就业部分" in page.text("error-summary")
    assert page.text("error-summary").startswith("退费申请未提交，请修改以下内容 第二步 退费月份：")
    assert_kept(page, data)
    assert_nothing_written(haidian)


def test_holder_mismatch_is_refused_beside_step_three(client, accounts, haidian, refund_clerk):
    client.force_login(refund_clerk)
    data = form_data(holder_name="严某")
    page = page_of(client.post("/refunds/new/", data))
    assert page.text("field-bank") == "银行账户户名须为参保人本人，请核对后使用本人账户。"
    assert "第三步 银行信息：银行账户户名须为参保人本人" in page.text("error-summary")
    assert_kept(page, data)
    assert_nothing_written(haidian)


def test_direction_must_be_confirmed(client, accounts, haidian, refund_clerk):
    client.force_login(refund_clerk)
    data = form_data(confirm_direction=None)
    page = page_of(client.post("/refunds/new/", data))
    assert page.text("field-confirm_direction").endswith(
        "请与参保人核对退费方向后勾选“退费方向确认”。"
    )
    assert "confirm_direction" not in page.checked
    assert_kept(page, data)
    assert_nothing_written(haidian)


def test_every_gap_is_reported_at_once(client, accounts, haidian, refund_clerk):
    client.force_login(refund_clerk)
    data = form_data(
        refund_region=None,
        months=[],
        bank_name="",
        account_no="",
        confirm_direction=None,
        **{"period-1-start": "2020-09", "period-2-region": "110108", "period-2-start": "2020-05"},
    )
    data |= {"period-2-end": "2020-12", "period-2-identity": "employee"}
    page = page_of(client.post("/refunds/new/", data))
    assert page.text("error-summary") == (
        "退费申请未提交，请修改以下内容 "
        "第一步 第2个时间段：起始年月不能晚于终止年月。 "
        "第一步 第3个时间段：与第1个时间段重叠：同一参保地同一月份只能有一种参保身份。 "
        "第二步 退费方向：请选择退费参保关系（退费方向）。 "
        "第二步 退费月份：请选择退费月份。 "
        "第三步 开户银行：请填写开户银行。 "
        "第三步 银行账号：请填写银行账号。 "
        "退费方向确认：请与参保人核对退费方向后勾选“退费方向确认”。 "
        "已填写的内容都已保留。"
    )
    assert page.text("field-period-1").endswith("起始年月不能晚于终止年月。")
    assert page.values["period-2-start"] == "2020-05"
    assert page.values["period-1-start"] == "2020-09"
    assert page.values["holder_name"] == "严某荣"
    assert_nothing_written(haidian)


def test_bank_account_format_and_unknown_months_are_refused(
    client, accounts, haidian, refund_clerk
):
    client.force_login(refund_clerk)
    page = page_of(client.post("/refunds/new/", form_data(account_no="6222-0202")))
    assert page.text("field-bank") == "银行账号应为12至30位数字，请核对。"
    page = page_of(client.post("/refunds/new/", form_data(months=["2020-03", "2020-07"])))
    assert "2020-07 不是该参保人员未清退的重复缴费月份。" in page.text("field-months")
    assert_nothing_written(haidian)


def test_form_is_for_window_clerks_and_finds_the_person_first(
    client, accounts, refund_clerk, supervisor
):
    client.force_login(supervisor)
    response = client.get("/refunds/new/", {"id_number": ID_NUMBER})
    assert response.status_code == 403
    assert "只有窗口经办人员可以受理重复缴费退费申请" in response.content.decode()
    assert client.post("/refunds/new/", form_data()).status_code == 403

    client.force_login(refund_clerk)
    page = page_of(client.get("/refunds/new/"))
    assert page.values["id_number"] == "" and "refund-form" not in page.texts
    page = page_of(client.get("/refunds/new/", {"id_number": "110101198808080002"}))
    assert page.text("search-error") == "社会保障号码校验位错误，请核对号码。"
    unknown = make_id_number("110101", date(1990, 1, 1), 7)
    page = page_of(client.get("/refunds/new/", {"id_number": unknown}))
    assert page.text("search-error") == "未找到该社会保障号码对应的参保人员。"


def test_a_person_without_duplicates_is_told(client, haidian, refund_clerk):
    ContributionMonth.objects.filter(month=date(2021, 1, 1), identity="employee").delete()
    client.force_login(refund_clerk)
    page = page_of(client.get("/refunds/new/", {"id_number": ID_NUMBER}))
    assert page.text("no-duplicates") == "该参保人员没有未清退的重复缴费月份，无需办理退费。"
    assert "refund-form" not in page.texts


# --- the refund page: approval and payment by scope -----------------------------------------


@pytest.fixture
def jilin_supervisor(make_staff, jilin_office):
    return make_staff("supervisor", office=jilin_office, username="jl_supervisor")


def test_approve_and_pay_through_the_pages(
    client, accounts, haidian, apply, refund_clerk, supervisor, finance_bj, jilin_supervisor
):
    refund = apply()
    url = f"/refunds/{refund.refund_no}/"

    # Another province's supervisor neither sees nor approves it.
    client.force_login(jilin_supervisor)
    assert client.get(url).status_code == 403
    assert client.post(f"{url}approve/").status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUBMITTED

    # Finance waits for the approval.
    client.force_login(finance_bj)
    page = page_of(client.get(url))
    assert "actions" not in page.texts
    client.post(f"{url}pay/", {"voucher_no": "PZ-1"})
    page = page_of(client.get(url))
    assert "当前状态为“已提交”，不能办理此操作" in page.text("main")

    client.force_login(supervisor)
    page = page_of(client.get("/refunds/work/approve/"))
    assert page.text(f"row-{refund.refund_no}") == (
        f"{refund.refund_no} 严*荣 110101********0001 北京市海淀区 2,000.00 "
        f"海淀区社会保险事业管理中心 {timezone.localdate(refund.created_at):%Y-%m-%d} 已提交"
    )
    assert "待审批退费 1" in page.text("mainnav")
    page = page_of(client.get(url))
    assert page.text("actions") == "审批通过 审批不通过"
    response = client.post(f"{url}approve/")
    assert response["Location"] == url
    page = page_of(client.get(url))
    assert "已审批通过，待退费地财务支付。" in page.text("main")
    assert "actions" not in page.texts
    assert "审批通过 已审批 bj_supervisor 海淀区社会保险事业管理中心" in page.text("timeline")

    client.force_login(finance_bj)
    page = page_of(client.get("/refunds/work/pay/"))
    assert refund.refund_no in page.text("refunds")
    assert "待支付退费 1" in page.text("mainnav")
    page = page_of(client.get(url))
    assert page.text("actions") == "支付并登记凭证"
    client.post(f"{url}pay/", {"voucher_no": "  "})
    assert "请填写付款凭证号" in page_of(client.get(url)).text("main")
    client.post(f"{url}pay/", {"voucher_no": "PZ20261205-0001"})
    page = page_of(client.get(url))
    assert "已支付退费 2,000.00 元，付款凭证号 PZ20261205-0001，退费办结。" in page.text("main")
    assert "已退费" in page.text("summary")
    assert "PZ20261205-0001" in page.text("bank")
    assert "支付并登记凭证 已退费 bj_refund_finance" in page.text("timeline")
    assert "退费 2,000.00 元，凭证号 PZ20261205-0001" in page.text("timeline")
    haidian.refresh_from_db()
    assert haidian.individual_balance_fen == 1_000_000 - 80_000
    assert date(2020, 3, 1) not in duplicates(haidian.person)
    assert (
        page_of(client.get("/refunds/work/pay/")).text("refunds").endswith("暂无待办的退费申请。")
    )


def test_reject_needs_a_note_and_frees_the_months(
    client, accounts, apply, supervisor, refund_clerk
):
    refund = apply()
    url = f"/refunds/{refund.refund_no}/"
    client.force_login(supervisor)
    client.post(f"{url}reject/", {"note": " "})
    page = page_of(client.get(url))
    assert "审批不通过须填写原因。" in page.text("main")
    assert "rejection" not in page.texts
    client.post(f"{url}reject/", {"note": "银行账户非本人"})
    page = page_of(client.get(url))
    assert page.text("rejection").startswith("审批不通过原因 银行账户非本人")
    assert "审批不通过 审批不通过 bj_supervisor" in page.text("timeline")
    assert not RefundMonth.objects.filter(active=True).exists()

    client.force_login(refund_clerk)  # the months may be applied for again
    page = page_of(client.post("/refunds/new/", form_data(action="preview")))
    assert page.text("note-2020-03") == "可退·仅限窗口"


def test_worklists_are_for_their_roles(client, accounts, apply, refund_clerk, finance_bj):
    apply()
    client.force_login(refund_clerk)
    assert client.get("/refunds/work/approve/").status_code == 403
    assert client.get("/refunds/work/pay/").status_code == 403
    client.force_login(finance_bj)
    assert client.get("/refunds/work/approve/").status_code == 403
    page = page_of(client.get("/refunds/work/pay/"))
    assert page.text("tabs") == "待支付退费 0 全部退费申请"


def test_list_searches_by_id_number_within_scope(
    client, accounts, apply, refund_clerk, jilin_supervisor, supervisor
):
    refund = apply()
    client.force_login(supervisor)
    page = page_of(client.get("/refunds/", {"id_number": ID_NUMBER}))
    assert f"row-{refund.refund_no}" in page.texts
    assert "严*荣" in page.text(f"row-{refund.refund_no}")
    page = page_of(client.get("/refunds/", {"status": "paid"}))
    assert f"row-{refund.refund_no}" not in page.texts
    page = page_of(client.get("/refunds/", {"id_number": "12345"}))
    assert page.text("list-error") == "社会保障号码应为18位，当前为5位。"
    client.force_login(jilin_supervisor)  # neither the refunding nor the accepting province
    page = page_of(client.get("/refunds/"))
    assert f"row-{refund.refund_no}" not in page.texts
    assert page.text("refunds").endswith("没有符合条件的退费申请。")


# --- the module switch ------------------------------------------------------------------------


def test_suspended_module_refuses_every_write_with_the_notice_and_still_shows(
    client, accounts, haidian, apply, refund_clerk, supervisor, finance_bj
):
    submitted, approved = apply(), apply(months=[date(2020, 5, 1)])
    services.refund_approve(actor=supervisor, refund_no=approved.refund_no)
    ModuleSwitch.objects.create(name="refunds", suspended=True, notice=NOTICE)

    client.force_login(refund_clerk)
    page = page_of(client.get("/refunds/new/", {"id_number": ID_NUMBER}))
    assert f"重复缴费退费：{NOTICE}" in page.text("body")  # the banner; the form still shows
    assert "refund-form" in page.texts
    data = form_data(months=["2020-06"])
    page = page_of(client.post("/refunds/new/", data))
    assert page.text("error-summary").startswith(f"退费申请未提交，请修改以下内容 {NOTICE}")
    assert_kept(page, data)
    # Also while the form is incomplete: the notice is said at once.
    page = page_of(client.post("/refunds/new/", form_data(bank_name="")))
    assert NOTICE in page.text("error-summary")
    assert Refund.objects.count() == 2

    client.force_login(supervisor)
    url = f"/refunds/{submitted.refund_no}/"
    for action in ("approve", "reject"):
        assert client.post(f"{url}{action}/", {"note": "材料不全"})["Location"] == url
        page = page_of(client.get(url))
        assert NOTICE in page.text("main")
        assert page.text("actions") == "审批通过 审批不通过"  # reads still work
    assert page_of(client.get("/refunds/work/approve/")).text(f"row-{submitted.refund_no}")

    client.force_login(finance_bj)
    url = f"/refunds/{approved.refund_no}/"
    client.post(f"{url}pay/", {"voucher_no": "PZ-1"})
    assert NOTICE in page_of(client.get(url)).text("main")
    assert approved.refund_no in page_of(client.get("/refunds/work/pay/")).text("refunds")

    assert [r.status for r in Refund.objects.order_by("id")] == ["submitted", "approved"]
    haidian.refresh_from_db()
    assert haidian.individual_balance_fen == 1_000_000
    assert not ContributionMonth.objects.filter(cleared=True).exists()
