"""`manage.py seed_demo`: the demo registry of `make run` (registry/demo.py) loads, is idempotent,
and holds the cases the later screens need (transfers, refunds, retirement pre-check)."""

import re
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Count, Q
from django.test import RequestFactory
from django.utils import timezone

from clearing.models import Obligation, PeriodStatus
from clearing.services import clearing_period_run, previous_month
from common.scope import Role, scope_for
from refunds import selectors as refund_selectors
from refunds import services as refund_services
from registry.demo import DEMO_PASSWORD, demo_registry_data
from registry.models import (
    ContributionMonth,
    InsuranceAccount,
    Office,
    Person,
    Region,
    Staff,
    StaffRole,
)
from registry.validators import validate_id_number
from tests.factories import png_bytes
from transfer import services as transfer_services
from whitelist import selectors as whitelist_selectors
from whitelist import services as whitelist_services

SUMMARY = re.compile(r"^(\w+): 新增 (\d+)，更新 (\d+)，未变 (\d+)$", re.MULTILINE)
MODELS = (Office, Staff, StaffRole, Person, InsuranceAccount, ContributionMonth)

LOGIN = RequestFactory().post("/login/")  # django-axes wants the request


def seed_demo(*args: str) -> tuple[dict[str, tuple[int, int, int]], str]:
    """Run the command; → ({section: (created, updated, unchanged)}, stdout)."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    text = out.getvalue()
    return {name: tuple(map(int, counts)) for name, *counts in SUMMARY.findall(text)}, text


def row_counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["User"] = get_user_model().objects.count()
    return counts


@pytest.fixture
def seeded(db):
    return seed_demo()


def test_second_run_changes_nothing(seeded):
    first, _ = seeded
    before = row_counts()
    assert first["contributions"] == (before["ContributionMonth"], 0, 0)
    assert first["persons"] == (before["Person"], 0, 0)

    skipped, text = seed_demo()
    assert skipped == {} and "演示数据已载入，本次未改动" in text
    assert row_counts() == before

    second, _ = seed_demo("--reload")

    assert row_counts() == before
    assert set(second) == {"offices", "staff", "persons", "accounts", "contributions"}
    for section, (created, updated, unchanged) in second.items():
        assert (created, updated) == (0, 0), section
        assert unchanged == sum(first[section]), section


def test_data_is_deterministic(db):
    assert demo_registry_data() == demo_registry_data()


def test_offices_and_persons(seeded):
    units = set(Region.objects.filter(settlement_unit=True).values_list("code", flat=True))
    assert len(units) == 32
    provincial = set(Office.objects.filter(code__in=units).values_list("province_id", flat=True))
    assert provincial == units
    assert Office.objects.get(code="MOH").national
    assert Office.objects.get(code="110108").name == "海淀区社会保险事业管理中心"
    # every settlement unit also holds accounts, so each can be the outgoing side
    assert set(InsuranceAccount.objects.values_list("province_id", flat=True)) == units

    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(numbers) == 300
    for number in numbers:
        assert validate_id_number(number) == number
    assert len({number[:2] for number in numbers}) >= 20  # hukou spread over many provinces
    statuses = dict(Person.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses["active"] > 250
    assert statuses["receiving_benefits"] >= 1
    assert statuses["deceased"] >= 1

    # API.md's example works as documented
    example = Person.objects.get(id_number="110101198808080001")
    assert example.name == "严某荣"
    held = {(a.region_id, a.scheme, a.status) for a in example.accounts.all()}
    assert held == {
        ("220102", "enterprise", "suspended"),
        ("110108", "enterprise", "contributing"),
    }
    assert all(a.months.exists() and a.arrears_fen == 0 for a in example.accounts.all())


def test_every_role_has_a_demo_login(seeded):
    _, output = seeded
    for role in Role.values:
        staff = Staff.objects.filter(roles__role=role).select_related("user").first()
        assert staff is not None, role
        user = authenticate(LOGIN, username=staff.user.username, password=DEMO_PASSWORD)
        assert user is not None, role
        assert scope_for(user).has_role(role)
        assert re.search(rf"^{staff.user.username}\s+{DEMO_PASSWORD}\s", output, re.MULTILINE)

    ministry = scope_for(authenticate(LOGIN, username="demo_ministry", password=DEMO_PASSWORD))
    assert ministry.national and ministry.roles == {"ministry", "finance"}
    assert scope_for(
        authenticate(LOGIN, username="jl_reviewer", password=DEMO_PASSWORD)
    ).province == ("220000")
    admin = authenticate(LOGIN, username="demo_admin", password=DEMO_PASSWORD)
    assert admin.is_staff and scope_for(admin).can("module.switch")
    assert not authenticate(LOGIN, username="demo_clerk", password=DEMO_PASSWORD).is_staff


def test_histories_hold_the_cases_later_screens_need(seeded):
    accounts = InsuranceAccount.objects
    months = ContributionMonth.objects
    assert accounts.filter(account_type="temporary", months__employer_rate__isnull=False).exists()
    assert accounts.filter(status="suspended", arrears_fen__gt=0).exists()
    assert months.filter(identity="flexible", employer_rate__isnull=True).exists()
    assert months.filter(month__lt=date(1998, 1, 1)).exists()
    for scheme in ("institution", "resident"):
        assert accounts.filter(scheme=scheme).exists(), scheme
    for status in ("contributing", "suspended", "transferred_out", "closed"):
        assert accounts.filter(status=status).exists(), status
    assert not months.filter(base_fen__lt=300000).exists()
    assert not months.filter(base_fen__gt=2500000).exists()
    assert not months.filter(month__gt=timezone.localdate().replace(day=1)).exists()

    # the same month paid in two accounts of one person, employee-vs-employee and vs-flexible
    paid_twice = (
        months.values("account__person", "month")
        .annotate(
            accounts=Count("account", distinct=True),
            flexible=Count("pk", filter=Q(identity="flexible")),
        )
        .filter(accounts__gt=1)
    )
    assert paid_twice.filter(flexible=0).exists()
    assert paid_twice.filter(flexible__gt=0).exists()


def test_last_month_has_clearing_data_for_demo_ministry_to_run(seeded):
    month = previous_month(timezone.localdate())
    assert Obligation.objects.filter(period=month).count() == 2000
    seed_demo()
    seed_demo("--reload")
    assert Obligation.objects.count() == 2000  # written once

    ministry = get_user_model().objects.get(username="demo_ministry")
    period = clearing_period_run(actor=ministry, month=month)

    assert period.status == PeriodStatus.CALCULATED
    assert period.obligation_count == 2000
    assert sum(period.positions.values_list("net_fen", flat=True)) == 0
    # Every province with a statement has a demo finance login to confirm it.
    finance_provinces = set(
        Staff.objects.filter(roles__role="finance", office__national=False).values_list(
            "office__province_id", flat=True
        )
    )
    assert set(period.statements.values_list("province_id", flat=True)) <= finance_provinces
    assert {"110000", "220000", "440000"} <= finance_provinces


def test_a_traditional_case_is_ready_to_walk_through(seeded, django_capture_on_commit_callbacks):
    """README's traditional walk-through: 林某清, 企业 in 长春 → 机关事业单位 in 海淀."""
    users = get_user_model().objects
    with django_capture_on_commit_callbacks(execute=True):
        application = transfer_services.application_submit(
            actor=users.get(username="demo_clerk"),
            id_number="11010119900307002X",
            name="林某清",
            phone="13800000000",
            hukou_address="北京市东城区某街道2号",
            in_scheme="institution",
            in_region="110108",
            outs=[transfer_services.Out("enterprise", "220102")],
            channel="window",
        )
    leg = application.legs.get()
    assert (leg.mode, leg.status) == ("traditional", "submitted")
    transfer_services.leg_issue_letter(
        actor=users.get(username="demo_reviewer"), transfer_no=leg.transfer_no
    )
    sheet = transfer_services.leg_upload_info_sheet(
        actor=users.get(username="jl_reviewer"), transfer_no=leg.transfer_no
    )
    assert sheet.months > 80 and sheet.pooled_fen > 0


def test_a_refund_case_is_ready_to_walk_through(seeded):
    """README's refund walk-through: 王某芳 paid 灵活就业 in 朝阳 while employed in 广州."""
    users = get_user_model().objects
    person = Person.objects.get(id_number="110105199206180240")
    twice = refund_selectors.duplicates(person)
    assert len(twice) == 8
    assert {(e.region, e.identity) for entries in twice.values() for e in entries} == {
        ("110105", "flexible"),
        ("440106", "employee"),
    }
    refund = refund_services.refund_submit(
        actor=users.get(username="demo_clerk"),
        id_number=person.id_number,
        channel="window",
        refund_region="110105",
        months=list(twice),
        identities=[refund_services.IdentityPeriod("110105", min(twice), max(twice), "flexible")],
        bank=refund_services.Bank("中国银行北京朝阳支行", "6216610100001234567", "王某芳"),
    )
    refund_services.refund_approve(
        actor=users.get(username="demo_supervisor"), refund_no=refund.refund_no
    )
    refund_services.refund_pay(
        actor=users.get(username="demo_finance"), refund_no=refund.refund_no, voucher_no="BOC-1"
    )
    assert refund_selectors.duplicates(person) == {}


def test_a_whitelist_case_is_ready_to_walk_through(seeded, settings, tmp_path):
    """README's whitelist walk-through: 赵某明 retires in Beijing; 石家庄 kept cleared months."""
    settings.MEDIA_ROOT = tmp_path
    users = get_user_model().objects
    person = Person.objects.get(id_number="110102196609090351")
    result = whitelist_selectors.precheck(person=person, benefit_province="110000")
    assert not result.passed
    assert [(f.account.region_id, f.kind) for f in result.findings] == [("130102", "closed")]
    entry = whitelist_services.entry_make(
        actor=users.get(username="bj_admin"),
        id_number=person.id_number,
        region="130102",
        scheme="enterprise",
        reason="CLEARED",
        evidence="石家庄市长安区社会保险事业管理局出具的已清算证明",
        evidence_file=whitelist_services.Evidence("证明.png", png_bytes()),
        channel="window",
    )
    whitelist_services.entry_approve(
        actor=users.get(username="demo_supervisor"), entry_no=entry.entry_no
    )
    assert whitelist_selectors.precheck(person=person, benefit_province="110000").passed
