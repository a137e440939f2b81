"""The one place that decides what a user may see and do: roles × office province, fail closed."""

import pytest
from django.contrib.auth import get_user_model

from common.errors import NotAllowed
from common.scope import NO_SCOPE, RULES, Role, scope_for
from registry.models import InsuranceAccount
from tests.factories import AccountFactory, StaffFactory

BEIJING, JILIN = "110000", "220000"

# action → (roles allowed at all, roles allowed outside their own province)
EXPECTED = {
    "office.view": (set(Role.values), set(Role.values)),
    "person.view": (
        {"clerk", "channel", "reviewer", "supervisor", "admin", "ministry", "auditor"},
        {"clerk", "channel"},
    ),
    "person.register": ({"clerk"}, set()),
    "contribution.record": ({"clerk"}, set()),
    "module.switch": (set(), set()),  # national admins only: see test_module_switch_national_only
    "transfer.apply": ({"clerk", "channel"}, {"clerk", "channel"}),
    "transfer.view": (
        {"clerk", "channel", "reviewer", "finance", "supervisor", "ministry", "auditor"},
        {"clerk", "channel"},
    ),
    "transfer.materials": ({"clerk", "reviewer", "supervisor", "ministry", "auditor"}, set()),
    "transfer.recheck": (set(), set()),  # national ministry only: see test_recheck_national_only
    "transfer.outgoing": ({"reviewer"}, set()),
    "transfer.incoming": ({"reviewer"}, set()),
    "transfer.withdraw": ({"clerk", "channel"}, set()),
    "transfer.remit": ({"finance"}, set()),
    "transfer.receive": ({"finance"}, set()),
    "refund.apply": ({"clerk", "channel"}, {"clerk", "channel"}),
    "refund.view": (
        {"clerk", "channel", "supervisor", "finance", "ministry", "auditor"},
        {"clerk", "channel"},
    ),
    "refund.approve": ({"supervisor"}, set()),
    "refund.pay": ({"finance"}, set()),
    "whitelist.precheck": (
        {"clerk", "channel", "admin", "supervisor", "reviewer", "ministry", "auditor"},
        {"clerk", "channel"},
    ),
    "whitelist.view": ({"clerk", "admin", "supervisor", "ministry", "auditor"}, set()),
    "whitelist.make": ({"admin"}, set()),
    "whitelist.check": ({"supervisor"}, set()),
    "whitelist.revoke": ({"admin", "supervisor"}, set()),
    "clearing.view": ({"finance", "ministry", "auditor"}, set()),
    "clearing.run": (set(), set()),  # ministry + finance at a national office: see below
    "clearing.statement": ({"finance"}, set()),
    "clearing.pay": ({"finance"}, set()),
    "clearing.adjust": (set(), set()),  # national ministry only: see below
}


def test_every_rule_is_in_the_table():
    assert set(RULES) == set(EXPECTED)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_matrix_for_a_provincial_office(make_staff, role, action):
    scope = scope_for(make_staff(role))  # 海淀区 office, province 110000
    allowed, anywhere = EXPECTED[action]
    assert scope.can(action) is (role in allowed)
    assert scope.can(action, [BEIJING]) is (role in allowed)
    assert scope.can(action, ["110108"]) is (role in allowed)
    assert scope.can(action, [JILIN]) is (role in anywhere)
    assert scope.can(action, ["220102"]) is (role in anywhere)


def test_module_switch_national_only(make_staff, national_office):
    assert scope_for(make_staff("admin")).can("module.switch") is False
    national_admin = scope_for(make_staff("admin", office=national_office))
    assert national_admin.can("module.switch") is True
    assert scope_for(make_staff("clerk", office=national_office)).can("module.switch") is False


def test_recheck_national_only(make_staff, national_office):
    assert scope_for(make_staff("ministry")).can("transfer.recheck") is False
    assert scope_for(make_staff("ministry", office=national_office)).can("transfer.recheck")


def test_clearing_run_needs_ministry_and_finance_at_a_national_office(make_staff, national_office):
    assert scope_for(make_staff("ministry", "finance")).can("clearing.run") is False
    assert scope_for(make_staff("finance", office=national_office)).can("clearing.run") is False
    assert scope_for(make_staff("ministry", office=national_office)).can("clearing.run") is False
    both = scope_for(make_staff("ministry", "finance", office=national_office))
    assert both.can("clearing.run") is True


def test_statements_and_payments_are_for_a_provinces_own_finance(make_staff, national_office):
    national_finance = scope_for(make_staff("ministry", "finance", office=national_office))
    assert national_finance.can("clearing.statement", [BEIJING]) is False
    assert national_finance.can("clearing.pay", [BEIJING]) is False
    assert national_finance.can("clearing.view", [JILIN]) is True


def test_adjust_national_ministry_only(make_staff, national_office):
    assert scope_for(make_staff("ministry")).can("clearing.adjust") is False
    assert scope_for(make_staff("ministry", office=national_office)).can("clearing.adjust")


def test_national_office_covers_every_province(make_staff, national_office):
    scope = scope_for(make_staff("reviewer", office=national_office))
    assert scope.covers("650102") and scope.covers("660000") and scope.covers("110108")
    assert scope.can("person.view", [JILIN])


def test_no_office_means_nothing(db):
    user = StaffFactory(office=None, roles=["clerk", "admin", "ministry"]).user
    scope = scope_for(user)
    assert not scope.active
    assert not any(scope.can(action) for action in RULES)
    AccountFactory()
    assert scope.filter(InsuranceAccount.objects.all(), "province_id").count() == 0
    with pytest.raises(NotAllowed):
        scope.require("office.view")


def test_no_staff_record_anonymous_and_inactive_mean_nothing(db, make_staff):
    bare = get_user_model().objects.create_user("bare", password="x-123456789")
    assert scope_for(bare) == scope_for(bare)  # cached per request user
    assert not scope_for(bare).active
    assert scope_for(None) is NO_SCOPE
    inactive = make_staff("clerk")
    inactive.is_active = False
    assert scope_for(inactive) is NO_SCOPE


def test_office_without_roles_means_nothing(make_staff):
    scope = scope_for(make_staff())
    assert scope.active and not scope.roles
    assert not any(scope.can(action) for action in RULES)


def test_filter_keeps_own_province_rows(make_staff, national_office):
    AccountFactory(region_id="110108", province_id=BEIJING)
    AccountFactory(region_id="220102", province_id=JILIN)
    accounts = InsuranceAccount.objects.all()
    beijing = scope_for(make_staff("reviewer"))
    assert list(beijing.filter(accounts, "province_id").values_list("province_id", flat=True)) == [
        BEIJING
    ]
    national = scope_for(make_staff("auditor", office=national_office))
    assert national.filter(accounts, "province_id").count() == 2


def test_role_labels_are_chinese(make_staff):
    scope = scope_for(make_staff("clerk", "reviewer"))
    assert scope.role_labels == ("窗口受理", "经办审核")
    assert scope.office_name.endswith("社会保险事业管理中心")
