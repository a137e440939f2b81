"""The traditional model over HTTP (API.md "Transfers": `issue-letter`, `reject`, `remit`,
`receive`, and the shared actions on a traditional leg): a whole case across the three offices,
the routing answer at submission, the amount checks, and every 400/401/403/404/409 a client can
cause — each refused request changing nothing."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from clearing.models import Obligation
from registry.models import AccountStatus, ContributionMonth, Scheme
from registry.workdays import add_working_days
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory, OfficeFactory, PersonFactory
from transfer import services
from transfer.funds import FUND_RULES
from transfer.models import Application, ContactLetter, Remittance, TransferLeg

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATE = "/api/v1/transfer-applications/"
LIST = "/api/v1/transfers/"
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00")
# out_account: 3,000,000 fen balance; 12% of 600,000 for 1998-01, 2019-01, 2019-02 (1997-12
# carries no pooled part) — the rule of 企业 → 机关事业单位 is the 2009 one.
SHEET_TOTAL = 3_000_000 + 3 * 72_000
NEW_FIELDS = {"mode_label", "letter", "remittance", "fund_rule"}
SHOWN_AT_SUBMISSION = [
    *["mode", "mode_label", "status", "reasons", "info_sheet", "letter", "remittance"],
    *["fund_rule", "deadline", "in_scheme", "out_scheme"],
]


def detail(no: str) -> str:
    return f"/api/v1/transfers/{no}/"


def action(no: str, name: str) -> str:
    return f"/api/v1/transfers/{no}/{name}/"


@pytest.fixture
def guangdong_finance(make_staff, guangdong_office):
    return make_staff("finance", office=guangdong_office, username="gd_finance")


@pytest.fixture
def jilin_clerk(make_staff, jilin_office):
    return make_staff("clerk", office=jilin_office, username="jl_clerk")


@pytest.fixture
def post_application(api, clerk, application_body, django_capture_on_commit_callbacks):
    """post_application(user=clerk, **changes) → the response; any queued check runs as the
    submission commits."""

    def post(user=None, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            return api(user or clerk).post(CREATE, {**application_body, **changes}, format="json")

    return post


@pytest.fixture
def traditional_no(out_account, institution_in, post_application) -> str:
    """企业 in 长春 → 机关事业单位 in 海淀, submitted at the 海淀 office."""
    created = post_application(in_scheme="institution")
    assert created.status_code == 201, created.json()
    return created.json()["transfers"][0]["transfer_no"]


@pytest.fixture
def periodic_no(accounts, post_application) -> str:
    created = post_application()
    assert created.status_code == 201, created.json()
    [transfer] = created.json()["transfers"]
    assert transfer["mode"] == "periodic"
    return transfer["transfer_no"]


STAGES = ["submitted", "letter_issued", "info_uploaded", "info_accepted", "funds_remitted"]
STAGES += ["completed"]


@pytest.fixture
def advance(beijing_reviewer, jilin_reviewer, beijing_finance, jilin_finance):
    """advance(no, stage) → moves a just-submitted traditional leg up to `stage` through the
    services, each step by its own actor."""
    steps = {
        "letter_issued": lambda no: services.leg_issue_letter(
            actor=beijing_reviewer, transfer_no=no
        ),
        "info_uploaded": lambda no: services.leg_upload_info_sheet(
            actor=jilin_reviewer, transfer_no=no
        ),
        "info_accepted": lambda no: services.leg_confirm(actor=beijing_reviewer, transfer_no=no),
        "funds_remitted": lambda no: services.leg_remit(
            actor=jilin_finance, transfer_no=no, amount_fen=SHEET_TOTAL, voucher_no="BOC-0001"
        ),
        "completed": lambda no: services.leg_receive(
            actor=beijing_finance, transfer_no=no, amount_fen=SHEET_TOTAL
        ),
    }

    def run(no: str, stage: str) -> str:
        for name in STAGES[1 : STAGES.index(stage) + 1]:
            steps[name](no)
        assert TransferLeg.objects.get(transfer_no=no).status == stage
        return no

    return run


@pytest.fixture
def snapshot(world):
    """world() plus the traditional model's own rows."""

    def take() -> dict:
        return {
            **world(),
            "letters": list(ContactLetter.objects.order_by("pk").values_list("pk", "letter_no")),
            "remittances": list(
                Remittance.objects.order_by("pk").values_list(
                    "pk", "amount_fen", "voucher_no", "received_fen", "received_at"
                )
            ),
        }

    return take


# --- a whole case --------------------------------------------------------------------------------


def test_whole_traditional_case_across_the_three_offices(
    out_account,
    institution_in,
    post_application,
    api,
    clerk,
    beijing_reviewer,
    jilin_reviewer,
    beijing_finance,
    jilin_finance,
):
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        created = post_application(in_scheme="institution")
        step_deadline = add_working_days(
            date(2026, 9, 28), settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS
        ).due.isoformat()

        assert created.status_code == 201, created.json()
        [transfer] = created.json()["transfers"]
        no = transfer["transfer_no"]
        assert set(transfer) >= NEW_FIELDS
        assert {key: transfer[key] for key in SHOWN_AT_SUBMISSION} == {
            "mode": "traditional",
            "mode_label": "传统模式",
            "status": "submitted",
            "reasons": [],
            "info_sheet": None,
            "letter": None,
            "remittance": None,
            "fund_rule": {
                "pooled_from": "1998-01",
                "months_merge": True,
                "source": FUND_RULES[("enterprise", "institution")].source,
            },
            # 15 working days per traditional step, not the periodic model's 10
            "deadline": step_deadline,
            "in_scheme": "institution",
            "out_scheme": "enterprise",
        }
        assert step_deadline == "2026-10-23"
        # No eligibility check ran: the leg waits for the incoming province's review.
        waiting = api(clerk).get(detail(no)).json()
        assert (waiting["status"], len(waiting["timeline"])) == ("submitted", 1)

        def post(user, name, body=None):
            answer = api(user).post(action(no, name), body or {}, format="json")
            assert answer.status_code == 200, (name, answer.json())
            return answer.json()

        # 1. The Beijing reviewer reviews the application and issues the contact letter.
        shown = post(beijing_reviewer, "issue-letter")
        assert (shown["status"], shown["status_label"]) == ("letter_issued", "已开具联系函")
        letter = shown["letter"]
        assert re.fullmatch(r"LX110000-2026-\d{5}", letter["letter_no"])
        assert letter == {
            "letter_no": "LX110000-2026-00001",
            "issued_at": letter["issued_at"],
            "office": "110108",
            "office_name": beijing_reviewer.staff.office.name,
        }
        assert ISO_WITH_OFFSET.fullmatch(letter["issued_at"])
        assert shown["timeline"][-1]["note"] == "联系函 LX110000-2026-00001"
        assert (shown["deadline"], shown["remittance"]) == (step_deadline, None)

        # 2. The 吉林 reviewer uploads the information sheet, by the pair's rule.
        shown = post(jilin_reviewer, "info-sheet", {"note": "已核对"})
        assert shown["status"] == "info_uploaded"
        assert shown["info_sheet"] == {
            "version": 1,
            "months": 4,
            "pooled_months": 3,
            "individual_fen": 3_000_000,
            "pooled_fen": 216_000,
            "total_fen": SHEET_TOTAL,
            "duplicate_months": [],
        }

        # 3. The Beijing reviewer accepts the sheet: nothing moves yet.
        shown = post(beijing_reviewer, "confirm")
        assert shown["status"] == "info_accepted"
        assert shown["timeline"][-1]["note"] == "接收信息表（第1版）"
        out_account.refresh_from_db()
        assert out_account.status == AccountStatus.SUSPENDED

        # 4. 吉林 finance remits the sheet's total, with the bank voucher.
        shown = post(jilin_finance, "remit", {"amount_fen": SHEET_TOTAL, "voucher_no": "BOC-01"})
        assert shown["status"] == "funds_remitted"
        remittance = shown["remittance"]
        assert remittance == {
            "amount_fen": SHEET_TOTAL,
            "voucher_no": "BOC-01",
            "remitted_at": remittance["remitted_at"],
            "received_fen": None,
            "received_at": None,
        }
        assert ISO_WITH_OFFSET.fullmatch(remittance["remitted_at"])
        assert shown["timeline"][-1]["note"] == "划转 32,160.00 元，凭证号 BOC-01"

        # 5. Beijing finance confirms the receipt: the case completes.
        shown = post(beijing_finance, "receive", {"amount_fen": SHEET_TOTAL})

    assert (shown["status"], shown["deadline"], shown["overdue"]) == ("completed", None, False)
    assert shown["remittance"]["received_fen"] == SHEET_TOTAL
    assert ISO_WITH_OFFSET.fullmatch(shown["remittance"]["received_at"])
    assert shown["letter"]["letter_no"] == "LX110000-2026-00001"
    assert [(e["action"], e["status"], e["actor"], e["office"]) for e in shown["timeline"]] == [
        ("submit", "submitted", "hd_clerk", clerk.staff.office.name),
        ("issue_letter", "letter_issued", "bj_reviewer", beijing_reviewer.staff.office.name),
        ("upload_info", "info_uploaded", "jl_reviewer", jilin_reviewer.staff.office.name),
        ("accept_info", "info_accepted", "bj_reviewer", beijing_reviewer.staff.office.name),
        ("remit", "funds_remitted", "jl_finance", jilin_finance.staff.office.name),
        ("receive", "completed", "bj_finance", beijing_finance.staff.office.name),
    ]
    assert shown["timeline"][-1]["note"] == "到账 32,160.00 元"

    # The money moved with the case: no clearing obligation; history and balance moved.
    assert Obligation.objects.count() == 0
    out_account.refresh_from_db()
    institution_in.refresh_from_db()
    assert (out_account.status, out_account.individual_balance_fen) == (
        AccountStatus.TRANSFERRED_OUT,
        0,
    )
    assert institution_in.individual_balance_fen == 200_000 + 3_000_000
    assert sorted(
        ContributionMonth.objects.filter(account=institution_in).values_list(
            "month", "origin_province_id"
        )
    ) == [
        (date(1997, 12, 1), "220000"),
        (date(1998, 1, 1), "220000"),
        (date(2019, 1, 1), "220000"),
        (date(2019, 2, 1), "220000"),
        (date(2025, 1, 1), None),
    ]

    # Every party sees the same finished case, on its page and in its list.
    for user in (clerk, jilin_reviewer, jilin_finance, beijing_finance):
        assert api(user).get(detail(no)).json() == shown
    listed = api(beijing_finance).get(LIST, {"status": "completed"}).json()["results"]
    # …the list with the ID number and name masked (DESIGN.md §3).
    assert listed == [{**shown, "id_number": "110101********0001", "name": "严*荣"}]


# --- routing at submission -----------------------------------------------------------------------

PAIRS = [
    ("enterprise", "enterprise", False, "periodic"),
    ("enterprise", "enterprise", True, "traditional"),
    ("enterprise", "institution", False, "traditional"),
    ("institution", "enterprise", False, "traditional"),
    ("institution", "institution", False, "traditional"),
    ("enterprise", "resident", False, "traditional"),
    ("resident", "enterprise", False, "traditional"),
    ("resident", "resident", False, "traditional"),
]


@pytest.mark.parametrize(
    ("out_scheme", "in_scheme", "manual", "mode"),
    PAIRS,
    ids=[f"{o}-{i}{'-manual' if m else ''}" for o, i, m, _ in PAIRS],
)
def test_routing_at_the_incoming_office(
    out_scheme, in_scheme, manual, mode, accounts, post_application, api, clerk
):
    today = timezone.localdate()

    created = post_application(
        in_scheme=in_scheme,
        manual=manual,
        outs=[{"scheme": out_scheme, "region": "220102"}],
    )

    assert created.status_code == 201, created.json()
    [transfer] = created.json()["transfers"]
    rule = FUND_RULES[(out_scheme, in_scheme)]
    assert (transfer["mode"], transfer["letter"], transfer["remittance"]) == (mode, None, None)
    assert transfer["mode_label"] == {"periodic": "定期清算模式", "traditional": "传统模式"}[mode]
    assert transfer["fund_rule"] == {
        "pooled_from": rule.pooled_from.strftime("%Y-%m") if rule.pooled_from else None,
        "months_merge": rule.months_merge,
        "source": rule.source,
    }
    days = {
        "periodic": settings.TRANSFER_STEP_WORKING_DAYS,
        "traditional": settings.TRANSFER_TRADITIONAL_STEP_WORKING_DAYS,
    }[mode]
    assert transfer["deadline"] == add_working_days(today, days).due.isoformat()
    # The periodic leg was checked once the submission committed; a traditional one was not.
    shown = api(clerk).get(detail(transfer["transfer_no"])).json()
    assert shown["status"] == {"periodic": "eligible", "traditional": "submitted"}[mode]


def test_any_office_of_the_incoming_province_accepts_a_traditional_case(
    out_account, institution_in, post_application, make_staff
):
    chaoyang = OfficeFactory(code="110105", region=region("110105"), province=region("110000"))

    created = post_application(user=make_staff("clerk", office=chaoyang), in_scheme="institution")

    assert created.status_code == 201, created.json()
    assert created.json()["transfers"][0]["mode"] == "traditional"
    assert created.json()["application_no"].startswith("110105-")


@pytest.mark.parametrize(
    "changes",
    [
        {"in_scheme": "institution"},
        {"manual": True},
        {
            "outs": [
                {"scheme": "enterprise", "region": "220102"},
                {"scheme": "institution", "region": "440106"},
            ]
        },
    ],
    ids=["cross-scheme", "manual", "one-of-two-legs"],
)
@pytest.mark.parametrize("where", ["jilin_office", "guangdong_office"])
def test_traditional_case_away_from_the_incoming_province_is_400(
    changes, where, accounts, institution_in, post_application, make_staff, request, snapshot
):
    clerk_there = make_staff("clerk", office=request.getfixturevalue(where))
    before = snapshot()

    answer = post_application(user=clerk_there, **changes)

    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "TRADITIONAL_AT_INCOMING_OFFICE"
    assert "须到转入地社保经办机构办理" in body["message"]
    assert list(body["fields"]) == ["outs"]
    assert snapshot() == before
    # The same case at a periodic pair is accepted there.
    assert post_application(user=clerk_there).status_code == 201


# --- the amount checks ---------------------------------------------------------------------------


def test_receive_with_a_wrong_amount_is_400_with_both_figures(
    traditional_no, advance, api, beijing_finance, snapshot
):
    advance(traditional_no, "funds_remitted")
    before = snapshot()

    answer = api(beijing_finance).post(
        action(traditional_no, "receive"), {"amount_fen": SHEET_TOTAL - 1}, format="json"
    )

    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "AMOUNT_MISMATCH"
    assert (body["sheet_total_fen"], body["amount_fen"]) == (SHEET_TOTAL, SHEET_TOTAL - 1)
    assert "32,160.00" in body["message"] and "32,159.99" in body["message"]
    assert list(body["fields"]) == ["amount_fen"]
    assert snapshot() == before
    shown = api(beijing_finance).get(detail(traditional_no)).json()
    assert shown["status"] == "funds_remitted"
    assert (shown["remittance"]["received_fen"], shown["remittance"]["received_at"]) == (None, None)


@pytest.mark.parametrize("amount", [SHEET_TOTAL + 1, 3_000_000, 0])
def test_remit_with_a_wrong_amount_is_400(
    amount, traditional_no, advance, api, jilin_finance, snapshot
):
    advance(traditional_no, "info_accepted")
    before = snapshot()

    answer = api(jilin_finance).post(
        action(traditional_no, "remit"),
        {"amount_fen": amount, "voucher_no": "BOC-01"},
        format="json",
    )

    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert (body["code"], body["sheet_total_fen"], body["amount_fen"]) == (
        "AMOUNT_MISMATCH",
        SHEET_TOTAL,
        amount,
    )
    assert "32,160.00" in body["message"]
    assert snapshot() == before
    assert Remittance.objects.count() == 0


# --- the other paths of a traditional leg --------------------------------------------------------


def test_reject_with_a_note(traditional_no, api, beijing_reviewer):
    answer = api(beijing_reviewer).post(
        action(traditional_no, "reject"), {"note": "  缺少视同缴费年限认定材料  "}, format="json"
    )

    assert answer.status_code == 200, answer.json()
    shown = answer.json()
    assert (shown["status"], shown["deadline"], shown["letter"]) == ("rejected", None, None)
    assert shown["reasons"] == [{"code": "REVIEW_REJECTED", "message": "缺少视同缴费年限认定材料"}]
    assert [(e["action"], e["status"], e["note"]) for e in shown["timeline"][1:]] == [
        ("reject", "rejected", "缺少视同缴费年限认定材料")
    ]
    assert ContactLetter.objects.count() == 0


def test_return_sends_the_sheet_back_to_the_letter(
    traditional_no, advance, api, beijing_reviewer, jilin_reviewer
):
    advance(traditional_no, "info_uploaded")

    returned = api(beijing_reviewer).post(
        action(traditional_no, "return"), {"note": "缺少2019年明细"}, format="json"
    )
    again = api(jilin_reviewer).post(action(traditional_no, "info-sheet"), format="json")

    assert returned.status_code == 200, returned.json()
    assert returned.json()["status"] == "letter_issued"
    assert returned.json()["timeline"][-1]["action"] == "return_info"
    assert returned.json()["letter"]["letter_no"] == ContactLetter.objects.get().letter_no
    assert again.status_code == 200, again.json()
    assert (again.json()["status"], again.json()["info_sheet"]["version"]) == ("info_uploaded", 2)


def test_refuse_and_withdraw_after_the_letter(
    traditional_no, out_account, institution_in, advance, api, clerk, jilin_reviewer, submit
):
    advance(traditional_no, "letter_issued")

    refused = api(jilin_reviewer).post(
        action(traditional_no, "refuse"), {"code": "OTHER", "note": "档案不全"}, format="json"
    )

    assert refused.status_code == 200, refused.json()
    assert (refused.json()["status"], refused.json()["refuse_code"]) == ("refused", "OTHER")

    other = advance(submit(in_scheme="institution").legs.get().transfer_no, "letter_issued")
    withdrawn = api(clerk).post(action(other, "withdraw"), {"note": "本人申请撤回"}, format="json")

    assert withdrawn.status_code == 200, withdrawn.json()
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["letter"] is not None


# --- 400 -----------------------------------------------------------------------------------------

REMIT_OK = {"amount_fen": SHEET_TOTAL, "voucher_no": "BOC-01"}
BAD_BODIES = [
    ("submitted", "beijing_reviewer", "reject", {}, "note"),
    ("submitted", "beijing_reviewer", "reject", {"note": "   "}, "note"),
    ("info_accepted", "jilin_finance", "remit", {"amount_fen": SHEET_TOTAL}, "voucher_no"),
    ("info_accepted", "jilin_finance", "remit", {**REMIT_OK, "voucher_no": "  "}, "voucher_no"),
    ("info_accepted", "jilin_finance", "remit", {**REMIT_OK, "voucher_no": "V" * 65}, "voucher_no"),
    ("info_accepted", "jilin_finance", "remit", {"voucher_no": "BOC-01"}, "amount_fen"),
    ("info_accepted", "jilin_finance", "remit", {**REMIT_OK, "amount_fen": "三万"}, "amount_fen"),
    ("info_accepted", "jilin_finance", "remit", {**REMIT_OK, "amount_fen": -1}, "amount_fen"),
    ("info_accepted", "jilin_finance", "remit", {**REMIT_OK, "amount_fen": 1.5}, "amount_fen"),
    ("funds_remitted", "beijing_finance", "receive", {}, "amount_fen"),
    ("funds_remitted", "beijing_finance", "receive", {"amount_fen": None}, "amount_fen"),
]


@pytest.mark.parametrize(
    ("stage", "who", "name", "body", "field"),
    BAD_BODIES,
    ids=[f"{name}-{i}" for i, (_, _, name, _, _) in enumerate(BAD_BODIES)],
)
def test_bad_action_bodies_are_400_naming_the_field(
    stage, who, name, body, field, traditional_no, advance, api, request, snapshot
):
    advance(traditional_no, stage)
    before = snapshot()

    answer = api(request.getfixturevalue(who)).post(
        action(traditional_no, name), body, format="json"
    )

    assert answer.status_code == 400, answer.json()
    assert list(answer.json()["fields"]) == [field]
    assert re.search(r"[\u4e00-\u9fff]", answer.json()["message"])
    assert snapshot() == before


# --- 401 / 403 / 404 -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["issue-letter", "reject", "remit", "receive"])
def test_anonymous_is_401(name, traditional_no, api, snapshot):
    before = snapshot()

    answer = api().post(action(traditional_no, name), {}, format="json")

    assert answer.status_code == 401
    assert answer.json()["code"] == "NOT_AUTHENTICATED"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "who", "body"),
    [
        ("issue-letter", "beijing_reviewer", {}),
        ("reject", "beijing_reviewer", {"note": "x"}),
        ("remit", "jilin_finance", REMIT_OK),
        ("receive", "beijing_finance", {"amount_fen": 1}),
    ],
)
def test_unknown_transfer_number_is_404(name, who, body, api, request, db):
    # `db` in the signature: pytest-django orders the test among the database tests.
    answer = api(request.getfixturevalue(who)).post(
        action("110108-20260928-99999-1", name), body, format="json"
    )

    assert answer.status_code == 404
    assert answer.json()["code"] == "NOT_FOUND"


FORBIDDEN = [
    # the incoming province's reviewer issues the letter or rejects
    ("submitted", "jilin_reviewer", "issue-letter", {}),
    ("submitted", "guangdong_reviewer", "issue-letter", {}),
    ("submitted", "beijing_finance", "issue-letter", {}),
    ("submitted", "clerk", "issue-letter", {}),
    ("submitted", "jilin_reviewer", "reject", {"note": "不通过"}),
    ("submitted", "beijing_finance", "reject", {"note": "不通过"}),
    # the outgoing province's reviewer uploads the sheet or refuses
    ("letter_issued", "beijing_reviewer", "info-sheet", {}),
    ("letter_issued", "beijing_reviewer", "refuse", {"code": "OTHER", "note": "x"}),
    ("letter_issued", "jilin_finance", "info-sheet", {}),
    # the incoming province's reviewer accepts or returns the sheet
    ("info_uploaded", "jilin_reviewer", "confirm", {}),
    ("info_uploaded", "jilin_reviewer", "return", {"note": "x"}),
    ("info_uploaded", "beijing_finance", "confirm", {}),
    # the outgoing province's finance remits
    ("info_accepted", "beijing_finance", "remit", REMIT_OK),
    ("info_accepted", "guangdong_finance", "remit", REMIT_OK),
    ("info_accepted", "jilin_reviewer", "remit", REMIT_OK),
    ("info_accepted", "clerk", "remit", REMIT_OK),
    # the incoming province's finance confirms the receipt
    ("funds_remitted", "jilin_finance", "receive", {"amount_fen": SHEET_TOTAL}),
    ("funds_remitted", "beijing_reviewer", "receive", {"amount_fen": SHEET_TOTAL}),
    ("funds_remitted", "guangdong_finance", "receive", {"amount_fen": SHEET_TOTAL}),
    # only the accepting office withdraws
    ("letter_issued", "jilin_clerk", "withdraw", {"note": "x"}),
]


@pytest.mark.parametrize(
    ("stage", "who", "name", "body"),
    FORBIDDEN,
    ids=[f"{name}-by-{who}" for _, who, name, _ in FORBIDDEN],
)
def test_the_wrong_province_or_role_is_403(
    stage, who, name, body, traditional_no, advance, api, request, snapshot
):
    advance(traditional_no, stage)
    before = snapshot()

    answer = api(request.getfixturevalue(who)).post(
        action(traditional_no, name), body, format="json"
    )

    assert answer.status_code == 403, answer.json()
    assert answer.json()["code"] == "FORBIDDEN"
    assert snapshot() == before


# --- 409 -----------------------------------------------------------------------------------------

WRONG_STATE = [
    ("letter_issued", "beijing_reviewer", "issue-letter", {}),  # twice
    ("letter_issued", "beijing_reviewer", "reject", {"note": "不通过"}),
    ("submitted", "jilin_reviewer", "info-sheet", {}),  # before the letter
    ("submitted", "beijing_reviewer", "confirm", {}),
    ("letter_issued", "beijing_reviewer", "return", {"note": "x"}),
    ("submitted", "jilin_finance", "remit", REMIT_OK),
    ("info_uploaded", "jilin_finance", "remit", REMIT_OK),  # before the sheet is accepted
    ("funds_remitted", "jilin_finance", "remit", REMIT_OK),  # twice
    ("info_accepted", "beijing_finance", "receive", {"amount_fen": SHEET_TOTAL}),
    ("completed", "beijing_finance", "receive", {"amount_fen": SHEET_TOTAL}),
    ("info_uploaded", "clerk", "withdraw", {"note": "x"}),
    ("completed", "beijing_reviewer", "confirm", {}),
]


@pytest.mark.parametrize(
    ("stage", "who", "name", "body"),
    WRONG_STATE,
    ids=[f"{name}-at-{stage}" for stage, _, name, _ in WRONG_STATE],
)
def test_wrong_state_is_409(
    stage, who, name, body, traditional_no, advance, api, request, snapshot
):
    advance(traditional_no, stage)
    before = snapshot()

    answer = api(request.getfixturevalue(who)).post(
        action(traditional_no, name), body, format="json"
    )

    assert answer.status_code == 409, answer.json()
    assert (answer.json()["code"], answer.json()["status"]) == ("WRONG_STATE", stage)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "name", "body"),
    [
        ("beijing_reviewer", "issue-letter", {}),
        ("beijing_reviewer", "reject", {"note": "不通过"}),
        ("jilin_finance", "remit", REMIT_OK),
        ("beijing_finance", "receive", {"amount_fen": SHEET_TOTAL}),
    ],
)
def test_traditional_actions_on_a_periodic_leg_are_409_wrong_mode(
    who, name, body, periodic_no, api, request, snapshot
):
    before = snapshot()

    answer = api(request.getfixturevalue(who)).post(action(periodic_no, name), body, format="json")

    assert answer.status_code == 409, answer.json()
    assert (answer.json()["code"], answer.json()["mode"]) == ("WRONG_MODE", "periodic")
    assert "定期清算模式" in answer.json()["message"]
    assert snapshot() == before


def test_recheck_of_a_traditional_leg_is_409_wrong_mode(traditional_no, api, ministry, snapshot):
    before = snapshot()

    answer = api(ministry).post(action(traditional_no, "recheck"))

    assert answer.status_code == 409, answer.json()
    assert (answer.json()["code"], answer.json()["mode"]) == ("WRONG_MODE", "traditional")
    assert snapshot() == before


# --- lists ---------------------------------------------------------------------------------------


@pytest.fixture
def traditional_person(db):
    """traditional_person() → another person with a suspended 长春 enterprise account and a
    contributing 海淀 institution account."""

    def make():
        someone = PersonFactory()
        out = AccountFactory(
            person=someone,
            region=region("220102"),
            province=region("220000"),
            status=AccountStatus.SUSPENDED,
            individual_balance_fen=500_000,
        )
        MonthFactory(account=out, month=date(2020, 1, 1), base_fen=500_000)
        into = AccountFactory(
            person=someone,
            region=region("110108"),
            province=region("110000"),
            scheme=Scheme.INSTITUTION,
        )
        MonthFactory(account=into, month=date(2024, 1, 1), base_fen=800_000)
        return someone

    return make


def test_list_query_count_does_not_grow_with_traditional_legs(
    traditional_person,
    submit,
    beijing_reviewer,
    jilin_reviewer,
    beijing_finance,
    jilin_finance,
    api,
    django_assert_max_num_queries,
):
    total = 500_000 + 60_000

    def step(leg, i):
        no = leg.transfer_no
        if i % 4 >= 1:
            services.leg_issue_letter(actor=beijing_reviewer, transfer_no=no)
            services.leg_upload_info_sheet(actor=jilin_reviewer, transfer_no=no)
            services.leg_confirm(actor=beijing_reviewer, transfer_no=no)
        if i % 4 >= 2:
            services.leg_remit(
                actor=jilin_finance, transfer_no=no, amount_fen=total, voucher_no="V"
            )
        if i % 4 == 3:
            services.leg_receive(actor=beijing_finance, transfer_no=no, amount_fen=total)

    counts = []
    for size in (4, 16):
        for i in range(TransferLeg.objects.count(), size):
            step(submit(who=traditional_person(), in_scheme="institution").legs.get(), i)
        client = api(beijing_finance)

        with django_assert_max_num_queries(12) as captured:
            answer = client.get(LIST, {"page_size": 50})

        assert answer.status_code == 200
        results = answer.json()["results"]
        assert len(results) == size
        assert {t["status"] for t in results} == {
            "submitted",
            "info_accepted",
            "funds_remitted",
            "completed",
        }
        assert {t["letter"] is None for t in results} == {True, False}
        assert {t["remittance"] is None for t in results} == {True, False}
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]
    assert Application.objects.count() == 16
    assert Obligation.objects.count() == 0
