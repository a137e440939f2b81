"""The periodic model end to end through the API: submit → check → sheet → confirm."""

from clearing.models import Obligation
from registry.models import AccountStatus


def test_periodic_case_completes(
    api,
    make_staff,
    jilin_provincial_office,
    accounts,
    application_body,
    django_capture_on_commit_callbacks,
):
    out_account, in_account = accounts
    clerk = api(make_staff("clerk"))
    with django_capture_on_commit_callbacks(execute=True):
        created = clerk.post("/api/v1/transfer-applications/", application_body, format="json")
    assert created.status_code == 201, created.json()
    transfer_no = created.json()["transfers"][0]["transfer_no"]
    leg = clerk.get(f"/api/v1/transfers/{transfer_no}/").json()
    assert leg["status"] == "eligible", leg

    jilin = api(make_staff("reviewer", office=jilin_provincial_office))
    sheet = jilin.post(f"/api/v1/transfers/{transfer_no}/info-sheet/", {}, format="json")
    assert sheet.status_code == 200, sheet.json()
    info = sheet.json()["info_sheet"]
    # 3 months from 1998 × 600000 × 12% = 216000; 1997-12 carries no pooled part.
    assert info == {
        "version": 1,
        "months": 4,
        "pooled_months": 3,
        "individual_fen": 3_000_000,
        "pooled_fen": 216_000,
        "total_fen": 3_216_000,
        "duplicate_months": [],
    }
    beijing = api(make_staff("reviewer"))
    done = beijing.post(f"/api/v1/transfers/{transfer_no}/confirm/", {}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    out_account.refresh_from_db()
    in_account.refresh_from_db()
    assert out_account.status == AccountStatus.TRANSFERRED_OUT
    assert (out_account.individual_balance_fen, in_account.individual_balance_fen) == (0, 4_000_000)
    assert in_account.months.count() == 5
    obligation = Obligation.objects.get()
    assert (obligation.payer_id, obligation.payee_id, obligation.pooled_fen) == (
        "220000",
        "110000",
        216_000,
    )
    again = beijing.post(f"/api/v1/transfers/{transfer_no}/confirm/", {}, format="json")
    assert again.status_code == 409
    progress = clerk.get("/api/v1/progress/", {"id_number": "110101198808080001"}).json()
    assert [t["status"] for t in progress["transfers"]] == ["completed"]
    assert [e["action"] for e in progress["transfers"][0]["timeline"]] == [
        "submit",
        "pass_check",
        "upload_info",
        "confirm",
    ]
