"""退休一件事 in a real browser: the 海淀 clerk's pre-check of 严某荣 (retiring in Beijing) finds
her accounts in 长春 and 广州 (查询存在外省市缴费记录); the 海淀 admin makes a whitelist entry for
each at the window with its evidence (one first sent without the file: nothing typed is lost);
the 海淀 supervisor — another user — approves both from the pending list; the pre-check passes.
Screenshots go to test-results/, the pre-check and the approved entry also to /tmp."""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from registry.models import AccountStatus
from tests.conftest import region
from tests.e2e.helpers import log_in, log_out, shot
from tests.factories import (
    AccountFactory,
    MonthFactory,
    OfficeFactory,
    PersonFactory,
    StaffFactory,
    png_bytes,
)
from whitelist.models import EntryStatus, WhitelistEntry

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PRECHECK_SHOT = Path("/tmp/precheck.png")
ENTRY_SHOT = Path("/tmp/whitelist-entry.png")
ID_NUMBER = "110101198808080001"
# Per finding: its account's place, the reason chosen, the evidence described and its file.
EVIDENCE = {
    "220102": (
        "吉林省长春市南关区",
        "已清算",
        "吉林省长春市南关区社会保险事业管理局出具的已清算证明",
        "长春清算证明.png",
    ),
    "440106": (
        "广东省广州市天河区",
        "已转移",
        "广州市天河区社会保险基金管理局出具的已转移证明",
        "广州转移证明.png",
    ),
}


@pytest.fixture
def whitelist_data(settings, tmp_path):
    """海淀's clerk, admin and supervisor; 严某荣 contributing in 海淀, with 4 paid months left in
    长春 (suspended) and 2 in 广州."""
    settings.MEDIA_ROOT = tmp_path / "media"
    haidian = OfficeFactory(code="110108", region=region("110108"))
    for role, username in [("clerk", "hd_clerk"), ("admin", "hd_admin")]:
        StaffFactory(roles=[role], office=haidian, user__username=username)
    StaffFactory(roles=["supervisor"], office=haidian, user__username="hd_supervisor")
    person = PersonFactory(id_number=ID_NUMBER, name="严某荣")
    beijing = AccountFactory(person=person, region=region("110108"))
    MonthFactory(account=beijing, month=date(2024, 1, 1))
    changchun = AccountFactory(
        person=person, region=region("220102"), status=AccountStatus.SUSPENDED
    )
    for month in (1, 2, 3, 4):
        MonthFactory(account=changchun, month=date(2019, month, 1))
    guangzhou = AccountFactory(person=person, region=region("440106"))
    for month in (5, 6):
        MonthFactory(account=guangzhou, month=date(2021, month, 1))


def run_precheck(page, nav) -> None:
    nav.get_by_role("link", name="退休预校验").click()
    expect(page.get_by_label("待遇领取地")).to_have_value("110000")  # the user's province
    page.get_by_label("社会保障号码").fill(ID_NUMBER)
    page.get_by_role("button", name="预校验").click()


def test_precheck_fails_admin_whitelists_supervisor_approves_precheck_passes(
    page, live_server, whitelist_data
):
    base = live_server.url
    nav = page.get_by_role("navigation", name="主导航")
    verdict = page.locator("#verdict")

    # --- 海淀 clerk: the pre-check finds two accounts elsewhere -----------------------------------
    log_in(page, base, "hd_clerk")
    run_precheck(page, nav)
    expect(verdict).to_contain_text("查询存在外省市缴费记录")
    findings = page.locator("article.finding")
    expect(findings).to_have_count(2)
    changchun = page.locator("#finding-220102-enterprise")
    expect(changchun).to_contain_text("吉林省长春市南关区")
    expect(changchun).to_contain_text("4 个月")
    expect(changchun).to_contain_text("应将其转移到待遇领取地，合并计算退休待遇")
    expect(page.locator("#finding-440106-enterprise")).to_contain_text("2 个月")
    expect(page.locator("#waiver-rule")).to_contain_text(
        "受理“白名单维护”业务申请时，不得以“个人放弃转移”为由受理。"
    )
    expect(page.get_by_role("link", name="办理白名单维护")).to_have_count(0)  # not a clerk's
    page.screenshot(path=PRECHECK_SHOT, full_page=True)
    shot(page, "whitelist-1-precheck")
    log_out(page)

    # --- 海淀 admin: one entry per finding, at the window ---------------------------------------
    log_in(page, base, "hd_admin")
    for code, (place, reason, evidence, file_name) in EVIDENCE.items():
        run_precheck(page, nav)
        finding = page.locator(f"#finding-{code}-enterprise")
        finding.get_by_role("link", name="办理白名单维护").click()
        expect(page.get_by_role("heading", name=re.compile("白名单维护"))).to_be_visible()
        expect(page.locator("#entry-form")).to_contain_text("线下办理")
        expect(page.get_by_role("radio", name=re.compile(f"^{place}"))).to_be_checked()
        expect(page.get_by_role("radio", name=re.compile("个人放弃"))).to_have_count(0)
        # The refused transfer's number is asked for with its reason only.
        transfer_no = page.get_by_label("被拒绝的转移编号")
        expect(transfer_no).to_be_hidden()
        page.get_by_role("radio", name="外省拒绝转出：无需要转移的缴费记录").check()
        expect(transfer_no).to_be_visible()
        page.get_by_role("radio", name=reason, exact=True).check()
        expect(transfer_no).to_be_hidden()
        page.get_by_label("证明材料说明").fill(evidence)
        if code == "220102":
            # Sent without the file: everything typed stays, the file is asked for again.
            page.get_by_role("button", name="提交审核").click()
            expect(page.locator("#error-summary")).to_contain_text("请上传证明材料的扫描件")
            expect(page.locator("#error-summary")).to_contain_text("证明材料文件须重新选择")
            expect(page.get_by_role("radio", name=reason, exact=True)).to_be_checked()
            expect(page.get_by_label("证明材料说明")).to_have_value(evidence)
            assert not WhitelistEntry.objects.exists()
            shot(page, "whitelist-2-form-error")
        page.get_by_label("证明材料扫描件").set_input_files(
            {"name": file_name, "mimeType": "image/png", "buffer": png_bytes()}
        )
        page.get_by_role("button", name="提交审核").click()
        entry = WhitelistEntry.objects.get(account__region_id=code)
        expect(page.get_by_role("heading", name=re.compile(entry.entry_no))).to_be_visible()
        flash = page.get_by_role("alert").first
        expect(flash).to_contain_text(f"已受理白名单维护 {entry.entry_no}")
        expect(page.locator("#summary")).to_contain_text("待审核")
        expect(page.locator("#reason")).to_contain_text(evidence)
        expect(page.locator("#actions")).to_have_count(0)  # the maker does not check
    # The pre-check now shows both entries waiting for their checker.
    run_precheck(page, nav)
    expect(verdict).to_contain_text("查询存在外省市缴费记录")
    expect(page.locator("article.finding.pending")).to_have_count(2)
    log_out(page)

    # --- 海淀 supervisor (another user): approves both -------------------------------------------
    log_in(page, base, "hd_supervisor")
    expect(nav.get_by_role("link", name=re.compile("待审核白名单"))).to_contain_text("2")
    for number, entry in enumerate(WhitelistEntry.objects.order_by("id")):
        nav.get_by_role("link", name=re.compile("待审核白名单")).click()
        expect(page.locator("#entries tbody tr")).to_have_count(2 - number)
        page.get_by_role("link", name=entry.entry_no).click()
        evidence = page.request.get(f"{base}/whitelist/{entry.entry_no}/evidence/")
        assert evidence.status == 200 and evidence.body() == png_bytes()
        page.locator("#actions").get_by_role("button", name="审核通过").click()
        dialog = page.locator("#dialog-approve")
        expect(dialog).to_contain_text(entry.get_reason_display())
        dialog.get_by_role("button", name="审核通过").click()
        expect(page.get_by_role("alert").first).to_contain_text(
            f"已审核通过，白名单 {entry.entry_no} 生效"
        )
        expect(page.locator("#summary")).to_contain_text("已生效")
        expect(page.locator("#timeline")).to_contain_text("hd_supervisor")
    timeline = page.locator("#timeline tbody tr")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("白名单维护（窗口受理）")
    expect(timeline.nth(0)).to_contain_text("hd_admin")
    expect(timeline.nth(1)).to_contain_text("审核通过")
    expect(timeline.nth(1)).to_contain_text("hd_supervisor")
    page.screenshot(path=ENTRY_SHOT, full_page=True)
    shot(page, "whitelist-3-entry")
    assert set(WhitelistEntry.objects.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    log_out(page)

    # --- the pre-check passes -----------------------------------------------------------------
    log_in(page, base, "hd_clerk")
    run_precheck(page, nav)
    expect(verdict).to_contain_text("通过")
    expect(verdict).not_to_contain_text("查询存在外省市缴费记录")
    expect(page.locator("article.finding.whitelisted")).to_have_count(2)
    shot(page, "whitelist-4-passed")
