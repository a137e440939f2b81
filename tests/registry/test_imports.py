"""The bootstrap import (API.md "Bootstrap import"): `manage.py import_registry FILE.json` and the
`registry_import` service behind it. Idempotent upsert; all-or-nothing with every error reported.
"""

import copy
import json
import re
import time
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from common.models import AuditRecord
from registry.imports import RegistryImportError, registry_import
from registry.models import (
    ContributionMonth,
    InsuranceAccount,
    Office,
    Person,
    Staff,
    StaffRole,
)
from registry.validators import make_id_number

ID = "110101198808080001"
OTHER_ID = make_id_number("110108", date(1975, 5, 20), 12)  # 110108197505200125
FORMER_PASSWORD = "…"

EXAMPLE = {
    "offices": [
        {
            "code": "110108",
            "name": "海淀区社会保险事业管理中心",
            "region": "110108",
            "national": False,
        },
        {
            "code": "MOH",
            "name": "人力资源社会保障部社会保险经办机构",
            "region": "110000",
            "national": True,
        },
    ],
    "staff": [
        {
            "username": "hd_clerk",
            "password": FORMER_PASSWORD,
            "office": "110108",
            "roles": ["clerk"],
        }
    ],
    "persons": [{"id_number": ID, "name": "严某荣", "hukou_region": "110101", "status": "active"}],
    "accounts": [
        {
            "id_number": ID,
            "region": "220102",
            "scheme": "enterprise",
            "account_type": "general",
            "status": "suspended",
            "arrears_fen": 0,
            "individual_balance_fen": 3000000,
            "contributions": [
                {
                    "month": "2019-01",
                    "identity": "employee",
                    "base_fen": 600000,
                    "employer_rate": "0.16",
                }
            ],
        }
    ],
}

SECTIONS = ("offices", "staff", "persons", "accounts", "contributions")


def example() -> dict:
    return copy.deepcopy(EXAMPLE)


def next_month() -> str:
    today = timezone.localdate()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


@pytest.fixture
def run_import(db, tmp_path):
    """run_import(data) → the command's stdout as {section: (created, updated, unchanged)}."""

    def run(data) -> dict[str, tuple[int, int, int]]:
        path = tmp_path / "registry.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        out = StringIO()
        call_command("import_registry", str(path), stdout=out, stderr=StringIO())
        lines = out.getvalue().splitlines()
        assert lines[-1] == "导入完成。"
        counts = {}
        for line in lines[:-1]:
            section, *numbers = re.fullmatch(
                r"(\w+): 新增 (\d+)，更新 (\d+)，未变 (\d+)", line
            ).groups()
            counts[section] = tuple(int(n) for n in numbers)
        return counts

    return run


@pytest.fixture
def rejected_import(db, tmp_path):
    """rejected_import(data) → (CommandError message, stderr lines), asserting it was refused."""

    def run(data, *, raw: str | None = None) -> tuple[str, list[str]]:
        path = tmp_path / "registry.json"
        text = raw if raw is not None else json.dumps(data, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        err = StringIO()
        with pytest.raises(CommandError) as refused:
            call_command("import_registry", str(path), stdout=StringIO(), stderr=err)
        return str(refused.value), err.getvalue().splitlines()

    return run


def snapshot() -> dict[str, dict]:
    """Every imported table's rows, by natural key, with all their values."""
    users = get_user_model().objects.values()
    return {
        "offices": {row["code"]: row for row in Office.objects.values()},
        "users": {row["username"]: row for row in users},
        "staff": {s.user.username: _values(s) for s in Staff.objects.select_related("user")},
        "roles": {
            (username, role): {}
            for username, role in StaffRole.objects.values_list("staff__user__username", "role")
        },
        "persons": {row["id_number"]: row for row in Person.objects.values()},
        "accounts": {
            (a.person.id_number, a.province_id, a.scheme): _values(a)
            for a in InsuranceAccount.objects.select_related("person")
        },
        "months": {
            (
                m.account.person.id_number,
                m.account.province_id,
                m.account.scheme,
                f"{m.month:%Y-%m}",
                m.identity,
            ): _values(m)
            for m in ContributionMonth.objects.select_related("account__person")
        },
    }


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def changes(before: dict, after: dict) -> dict:
    """{table: {key: "added" | "removed" | {changed field, …}}} — empty when nothing changed."""
    result = {}
    for table in before:
        old, new = before[table], after[table]
        diff = {}
        for key in old.keys() | new.keys():
            if key not in old:
                diff[key] = "added"
            elif key not in new:
                diff[key] = "removed"
            elif fields := {f for f in old[key] if old[key][f] != new[key][f]}:
                diff[key] = fields
        if diff:
            result[table] = diff
    return result


def row_counts() -> dict[str, int]:
    return {table: len(rows) for table, rows in snapshot().items()} | {
        "audit": AuditRecord.objects.count()
    }


def imports_audited() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action="registry.import").order_by("id"))


# --- the API.md example -----------------------------------------------------------------------


def test_example_file_imports(run_import):
    counts = run_import(example())

    assert counts == {
        "offices": (2, 0, 0),
        "staff": (1, 0, 0),
        "persons": (1, 0, 0),
        "accounts": (1, 0, 0),
        "contributions": (1, 0, 0),
    }
    haidian = Office.objects.get(code="110108")
    assert (haidian.name, haidian.region_id, haidian.province_id, haidian.national) == (
        "海淀区社会保险事业管理中心",
        "110108",
        "110000",
        False,
    )
    ministry = Office.objects.get(code="MOH")
    assert (ministry.region_id, ministry.province_id, ministry.national) == (
        "110000",
        "110000",
        True,
    )
    staff = Staff.objects.get(user__username="hd_clerk")
    assert staff.office == haidian
    assert set(staff.roles.values_list("role", flat=True)) == {"clerk"}
    assert staff.user.check_password(FORMER_PASSWORD)
    person = Person.objects.get(id_number=ID)
    assert (person.name, person.hukou_region_id, person.status) == ("严某荣", "110101", "active")
    account = InsuranceAccount.objects.get(person=person)
    assert (
        account.region_id,
        account.province_id,
        account.scheme,
        account.account_type,
        account.status,
        account.arrears_fen,
        account.individual_balance_fen,
    ) == ("220102", "220000", "enterprise", "general", "suspended", 0, 3000000)
    month = ContributionMonth.objects.get(account=account)
    assert (
        month.month,
        month.identity,
        month.base_fen,
        month.employer_rate,
        month.origin_province_id,
        month.cleared,
    ) == (date(2019, 1, 1), "employee", 600000, Decimal("0.1600"), None, False)


def test_reimport_changes_nothing(run_import):
    run_import(example())
    before = snapshot()

    counts = run_import(example())

    assert counts == {section: (0, 0, 1) for section in SECTIONS} | {"offices": (0, 0, 2)}
    assert changes(before, snapshot()) == {}


def test_service_returns_the_counts(db):
    assert registry_import(example()) == {
        "offices": {"created": 2, "updated": 0, "unchanged": 0},
        "staff": {"created": 1, "updated": 0, "unchanged": 0},
        "persons": {"created": 1, "updated": 0, "unchanged": 0},
        "accounts": {"created": 1, "updated": 0, "unchanged": 0},
        "contributions": {"created": 1, "updated": 0, "unchanged": 0},
    }


def set_base(data):
    data["accounts"][0]["contributions"][0]["base_fen"] = 650000


def set_rate(data):
    data["accounts"][0]["contributions"][0]["employer_rate"] = "0.14"


def drop_rate(data):
    del data["accounts"][0]["contributions"][0]["employer_rate"]


def add_month(data):
    data["accounts"][0]["contributions"].append(
        {"month": "2019-02", "identity": "employee", "base_fen": 600000}
    )


def rename_person(data):
    data["persons"][0]["name"] = "严荣"


def rename_office(data):
    data["offices"][0]["name"] = "北京市海淀区社会保险事业管理中心"


def change_status(data):
    data["accounts"][0]["status"] = "contributing"


def change_balance(data):
    data["accounts"][0]["individual_balance_fen"] = 3100000


def add_role(data):
    data["staff"][0]["roles"] = ["clerk", "reviewer"]


def swap_role(data):
    data["staff"][0]["roles"] = ["reviewer"]


def move_staff(data):
    data["staff"][0]["office"] = "MOH"


ACCOUNT = (ID, "220000", "enterprise")
MONTH = (*ACCOUNT, "2019-01", "employee")


UPDATED = (0, 1, 0)


@pytest.mark.parametrize(
    ("change", "section", "counts", "expected"),
    [
        (set_base, "contributions", UPDATED, {"months": {MONTH: {"base_fen"}}}),
        (set_rate, "contributions", UPDATED, {"months": {MONTH: {"employer_rate"}}}),
        (drop_rate, "contributions", UPDATED, {"months": {MONTH: {"employer_rate"}}}),
        (
            add_month,
            "contributions",
            (1, 0, 1),
            {"months": {(*ACCOUNT, "2019-02", "employee"): "added"}},
        ),
        (rename_person, "persons", UPDATED, {"persons": {ID: {"name", "updated_at"}}}),
        (rename_office, "offices", (0, 1, 1), {"offices": {"110108": {"name", "updated_at"}}}),
        (change_status, "accounts", UPDATED, {"accounts": {ACCOUNT: {"status", "updated_at"}}}),
        (
            change_balance,
            "accounts",
            UPDATED,
            {"accounts": {ACCOUNT: {"individual_balance_fen", "updated_at"}}},
        ),
        (add_role, "staff", UPDATED, {"roles": {("hd_clerk", "reviewer"): "added"}}),
        (
            swap_role,
            "staff",
            UPDATED,
            {"roles": {("hd_clerk", "reviewer"): "added", ("hd_clerk", "clerk"): "removed"}},
        ),
        (move_staff, "staff", UPDATED, {"staff": {"hd_clerk": {"office_id", "updated_at"}}}),
    ],
)
def test_one_changed_field_is_reported_and_applied(run_import, change, section, counts, expected):
    run_import(example())
    before = snapshot()
    data = example()
    change(data)

    reported = run_import(data)

    unchanged = {s: (0, 0, 1) for s in SECTIONS} | {"offices": (0, 0, 2)}
    assert reported == unchanged | {section: counts}
    assert changes(before, snapshot()) == expected


def test_changed_values_are_the_new_ones(run_import):
    run_import(example())
    data = example()
    for change in (set_base, set_rate, rename_person, rename_office, change_balance, move_staff):
        change(data)

    run_import(data)

    month = ContributionMonth.objects.get()
    assert (month.base_fen, month.employer_rate) == (650000, Decimal("0.1400"))
    assert Person.objects.get().name == "严荣"
    assert Office.objects.get(code="110108").name == "北京市海淀区社会保险事业管理中心"
    assert InsuranceAccount.objects.get().individual_balance_fen == 3100000
    assert Staff.objects.get().office.code == "MOH"


def test_changed_password_is_reported_and_the_staff_logs_in_with_it(run_import, api):
    run_import(example())
    before = snapshot()
    data = example()
    data["staff"][0]["password"] = "Haidian-2027!"

    counts = run_import(data)

    assert counts["staff"] == (0, 1, 0)
    assert changes(before, snapshot()) == {"users": {"hd_clerk": {"password"}}}
    login = api().post(
        "/api/v1/auth/token/",
        {"username": "hd_clerk", "password": "Haidian-2027!"},
        format="json",
    )
    assert login.status_code == 200, login.content
    assert login.json()["token"]
    former = api().post(
        "/api/v1/auth/token/",
        {"username": "hd_clerk", "password": FORMER_PASSWORD},
        format="json",
    )
    assert former.status_code == 401


def test_lowercase_x_in_the_file_is_stored_uppercase_and_links_the_account(run_import):
    number = "11010119900307002X"
    data = example()
    data["persons"][0]["id_number"] = number.lower()
    data["accounts"][0]["id_number"] = number.lower()

    run_import(data)

    assert list(Person.objects.values_list("id_number", flat=True)) == [number]
    assert InsuranceAccount.objects.get().person.id_number == number


# --- one account per person, province and scheme ---------------------------------------------


def test_province_code_and_county_code_resolve_to_the_same_account(run_import):
    run_import(example())
    account = InsuranceAccount.objects.get()
    before = snapshot()
    data = example()
    data["accounts"][0]["region"] = "220000"

    counts = run_import(data)

    assert counts["accounts"] == (0, 1, 0)
    assert counts["contributions"] == (0, 0, 1)
    assert changes(before, snapshot()) == {"accounts": {ACCOUNT: {"region_id", "updated_at"}}}
    moved = InsuranceAccount.objects.get()
    assert (moved.pk, moved.region_id, moved.province_id) == (account.pk, "220000", "220000")


def test_another_scheme_in_the_same_province_is_another_account(run_import):
    data = example()
    data["accounts"].append(
        {"id_number": ID, "region": "220102", "scheme": "resident", "status": "contributing"}
    )

    assert run_import(data)["accounts"] == (2, 0, 0)
    assert set(InsuranceAccount.objects.values_list("province_id", "scheme")) == {
        ("220000", "enterprise"),
        ("220000", "resident"),
    }


def test_province_and_county_code_in_one_file_are_a_duplicate(run_import, rejected_import):
    data = example()
    data["accounts"].append(
        {"id_number": ID, "region": "220000", "scheme": "enterprise", "status": "contributing"}
    )

    message, errors = rejected_import(data)

    assert message == "导入文件有1处错误，未写入任何数据。"
    assert errors == [
        f"accounts[1] ({ID} 220000 enterprise): "
        "同一人员在同一省份同一险种只能有一个参保关系，文件中重复"
    ]
    assert row_counts() == {
        "offices": 0,
        "users": 0,
        "staff": 0,
        "roles": 0,
        "persons": 0,
        "accounts": 0,
        "months": 0,
        "audit": 0,
    }


# --- all or nothing ---------------------------------------------------------------------------


def bad_file() -> tuple[dict, list[tuple[str, str]]]:
    """One valid record per section and many bad ones; → (data, [(where, message fragment)])."""
    data = example()
    future = next_month()
    account = f"accounts[1] ({ID} 310101 enterprise)"
    data["comment"] = "not a section"
    data["offices"] += [
        {"code": "X1", "name": "不存在区", "region": "119999", "national": False},
        {"code": "110108", "name": "海淀（重复）", "region": "110108", "national": False},
    ]
    data["staff"] = [
        {"username": "hd_clerk", "password": "pw", "office": "110108", "roles": ["clerk", "boss"]},
        {"username": "nowhere", "password": "pw", "office": "999", "roles": ["clerk"]},
        {"username": "no_office", "password": "pw", "roles": ["clerk"]},
        {"username": "ok_staff", "password": "pw", "office": "MOH", "roles": ["ministry"]},
    ]
    data["persons"] += [
        {"id_number": ID[:17] + "2", "name": "校验位错", "hukou_region": "110101"},
        {"id_number": OTHER_ID, "name": "户籍错", "hukou_region": "999999"},
    ]
    employee = {"identity": "employee", "base_fen": 600000}
    data["accounts"] += [
        {
            "id_number": ID,
            "region": "310101",
            "scheme": "enterprise",
            "status": "contributing",
            "contributions": [
                {**employee, "month": "2019-13"},
                {**employee, "month": future},
                {**employee, "month": "2019-05"},
                {**employee, "month": "2019-05"},
                {**employee, "month": "2019-06", "base_fen": -1},
                {**employee, "month": "2019-07", "base_fen": "600000"},
                {**employee, "month": "2019-08", "base_fen": 600000.0},
                {**employee, "month": "2019-09", "base_fen": True},
                {**employee, "month": "2019-10", "employer_rate": "1.5"},
                {**employee, "month": "2019-11", "employer_rate": "abc"},
                {**employee, "month": "2019-12", "identity": "soldier"},
                {**employee, "month": "1950-12"},
            ],
        },
        {"id_number": "110101197001010010", "region": "110101", "scheme": "resident",
         "status": "contributing"},
        {"id_number": ID, "region": "440106", "scheme": "enterprise", "status": "contributing",
         "arrears_fen": -1},
        {"id_number": ID, "region": "500103", "scheme": "military", "status": "contributing"},
        {"id_number": ID, "region": "650102", "scheme": "enterprise", "status": "active"},
        {"id_number": ID, "region": "990000", "scheme": "enterprise", "status": "contributing"},
        {"id_number": ID, "region": "120101", "scheme": "enterprise", "status": "contributing",
         "individual_balance_fen": 1.5},
    ]  # fmt: skip
    expected = [
        ("comment", "未知的部分，应为：offices、staff、persons、accounts"),
        ("offices[2] (X1)", "区划代码“119999”不存在"),
        ("offices[3] (110108)", "机构代码“110108”在文件中重复"),
        ("staff[0] (hd_clerk)", "“roles”应为非空数组"),
        ("staff[1] (nowhere)", "经办机构“999”不存在"),
        ("staff[2] (no_office)", "经办机构“None”不存在"),
        (f"persons[1] ({ID[:17]}2)", "社会保障号码校验位错误，请核对号码。"),
        (f"persons[2] ({OTHER_ID})", "户籍地区划代码“999999”不存在"),
        (f"{account}.contributions[0]", "月份“2019-13”无效"),
        (f"{account}.contributions[1]", f"月份“{future}”不可能有缴费"),
        (f"{account}.contributions[3]", "2019-05的employee缴费记录在该参保关系中重复"),
        (f"{account}.contributions[4]", "“base_fen”应为0至"),
        (f"{account}.contributions[5]", "“base_fen”应为0至"),
        (f"{account}.contributions[6]", "“base_fen”应为0至"),
        (f"{account}.contributions[7]", "“base_fen”应为0至"),
        (f"{account}.contributions[8]", "单位缴费比例“1.5”无效"),
        (f"{account}.contributions[9]", "单位缴费比例“abc”无效"),
        (f"{account}.contributions[10]", "缴费身份“soldier”无效"),
        (f"{account}.contributions[11]", "月份“1950-12”不可能有缴费"),
        (
            "accounts[2] (110101197001010010 110101 resident)",
            "参保人员“110101197001010010”不存在",
        ),
        (f"accounts[3] ({ID} 440106 enterprise)", "“arrears_fen”应为0至"),
        (f"accounts[4] ({ID} 500103 military)", "“scheme”的值“military”无效"),
        (f"accounts[5] ({ID} 650102 enterprise)", "“status”的值“active”无效"),
        (f"accounts[6] ({ID} 990000 enterprise)", "区划代码“990000”不存在"),
        (f"accounts[7] ({ID} 120101 enterprise)", "“individual_balance_fen”应为0至"),
    ]
    return data, expected


def assert_errors(errors: list[str], expected: list[tuple[str, str]]) -> None:
    assert len(errors) == len(expected), "\n".join(errors)
    for error, (where, fragment) in zip(errors, expected, strict=True):
        assert error.startswith(f"{where}: "), (error, where)
        assert fragment in error, (error, fragment)


def test_bad_records_write_nothing_and_every_error_is_reported(rejected_import):
    data, expected = bad_file()

    message, errors = rejected_import(data)

    assert message == f"导入文件有{len(expected)}处错误，未写入任何数据。"
    assert_errors(errors, expected)
    assert row_counts() == {
        "offices": 0,
        "users": 0,
        "staff": 0,
        "roles": 0,
        "persons": 0,
        "accounts": 0,
        "months": 0,
        "audit": 0,
    }


def test_bad_records_change_nothing_in_a_registry_that_has_data(run_import, rejected_import):
    run_import(example())
    before = snapshot()
    audits = len(imports_audited())
    data, expected = bad_file()
    # The valid records now carry changes, none of which may be applied.
    for change in (set_base, rename_person, rename_office, change_balance, add_month):
        change(data)

    message, errors = rejected_import(data)

    assert message == f"导入文件有{len(expected)}处错误，未写入任何数据。"
    assert_errors(errors, expected)
    assert changes(before, snapshot()) == {}
    assert len(imports_audited()) == audits


def test_error_message_from_the_service_lists_every_error(db):
    data, expected = bad_file()

    with pytest.raises(RegistryImportError) as refused:
        registry_import(data)

    assert refused.value.code == "IMPORT_INVALID"
    assert_errors(refused.value.errors, expected)
    assert Office.objects.count() == 0


@pytest.mark.parametrize(
    "month", ["2019-13", "2019-00", "2019-1", "201901", "2019-01-01", 201901, None]
)
def test_invalid_month(rejected_import, month):
    data = example()
    data["accounts"][0]["contributions"][0]["month"] = month

    _, errors = rejected_import(data)

    assert errors == [
        f"accounts[0] ({ID} 220102 enterprise).contributions[0]: "
        f"月份“{month}”无效，应为YYYY-MM（01至12月）"
    ]
    assert Person.objects.count() == 0


def test_current_month_is_accepted_and_next_month_refused(run_import, rejected_import):
    data = example()
    data["accounts"][0]["contributions"][0]["month"] = next_month()

    _, errors = rejected_import(data)
    assert errors == [
        f"accounts[0] ({ID} 220102 enterprise).contributions[0]: 月份“{next_month()}”"
        "不可能有缴费（应在1951-01至当月之间）"
    ]
    assert ContributionMonth.objects.count() == 0

    data["accounts"][0]["contributions"][0]["month"] = f"{timezone.localdate():%Y-%m}"
    assert run_import(data)["contributions"] == (1, 0, 0)
    assert ContributionMonth.objects.get().month == timezone.localdate().replace(day=1)


@pytest.mark.parametrize("rate", ["1.5", "abc", "1", "-0.01", "0.12345", "NaN", True, [0.16]])
def test_invalid_employer_rate(rejected_import, rate):
    data = example()
    data["accounts"][0]["contributions"][0]["employer_rate"] = rate

    _, errors = rejected_import(data)

    assert errors == [
        f"accounts[0] ({ID} 220102 enterprise).contributions[0]: "
        f"单位缴费比例“{rate}”无效，应为0至1之间、最多4位小数"
    ]
    assert ContributionMonth.objects.count() == 0


@pytest.mark.parametrize(
    ("rate", "stored"),
    [
        ("0.16", Decimal("0.1600")),
        ("0.9999", Decimal("0.9999")),
        ("0", Decimal("0")),
        (0, Decimal("0")),
        (0.16, Decimal("0.1600")),  # a JSON number goes through its shortest text, not binary
        (None, None),
    ],
)
def test_valid_employer_rate_is_stored_exactly(run_import, rate, stored):
    data = example()
    data["accounts"][0]["contributions"][0]["employer_rate"] = rate

    run_import(data)

    assert ContributionMonth.objects.get().employer_rate == stored


@pytest.mark.parametrize("base", [-1, "600000", 600000.0, True, None, 10**12 + 1])
def test_invalid_base(rejected_import, base):
    data = example()
    data["accounts"][0]["contributions"][0]["base_fen"] = base

    _, errors = rejected_import(data)

    assert errors == [
        f"accounts[0] ({ID} 220102 enterprise).contributions[0]: "
        "“base_fen”应为0至1000000000000之间的整数（单位：分）"
    ]
    assert ContributionMonth.objects.count() == 0


@pytest.mark.parametrize("key", ["arrears_fen", "individual_balance_fen"])
@pytest.mark.parametrize("value", [-1, "0", 0.5, False])
def test_invalid_account_amount(rejected_import, key, value):
    data = example()
    data["accounts"][0][key] = value

    _, errors = rejected_import(data)

    assert errors == [
        f"accounts[0] ({ID} 220102 enterprise): "
        f"“{key}”应为0至1000000000000之间的整数（单位：分），当前为“{value}”"
    ]
    assert InsuranceAccount.objects.count() == 0


@pytest.mark.parametrize(
    ("key", "value", "choices"),
    [
        ("scheme", "military", "enterprise、institution、resident"),
        ("status", "active", "contributing、suspended、transferred_out、closed"),
        ("account_type", "special", "general、temporary"),
    ],
)
def test_unknown_account_choice(rejected_import, key, value, choices):
    data = example()
    data["accounts"][0][key] = value
    where = f"accounts[0] ({ID} 220102 {data['accounts'][0]['scheme']})"

    _, errors = rejected_import(data)

    assert errors == [f"{where}: “{key}”的值“{value}”无效，应为：{choices}"]
    assert InsuranceAccount.objects.count() == 0


def test_unknown_person_status(rejected_import):
    data = example()
    data["persons"][0]["status"] = "retired"

    _, errors = rejected_import(data)

    assert errors == [
        f"persons[0] ({ID}): “status”的值“retired”无效，应为：active、receiving_benefits、deceased"
    ]
    assert Person.objects.count() == 0


def test_duplicate_person_in_the_file(rejected_import):
    data = example()
    data["persons"].append({"id_number": ID, "name": "严某荣", "hukou_region": "110101"})

    _, errors = rejected_import(data)

    assert errors == [f"persons[1] ({ID}): 社会保障号码“{ID}”在文件中重复"]


def test_duplicate_username_in_the_file(rejected_import):
    data = example()
    data["staff"].append(dict(data["staff"][0]))

    _, errors = rejected_import(data)

    assert errors == ["staff[1] (hd_clerk): 用户名“hd_clerk”在文件中重复"]


def test_account_may_name_a_person_already_in_the_registry(run_import):
    run_import(example())
    data = {
        "accounts": [
            {"id_number": ID, "region": "110108", "scheme": "enterprise", "status": "contributing"}
        ]
    }

    assert run_import(data)["accounts"] == (1, 0, 0)
    assert InsuranceAccount.objects.filter(person__id_number=ID).count() == 2


def test_staff_may_name_an_office_already_in_the_registry(run_import):
    run_import(example())
    data = {
        "staff": [{"username": "moh", "password": "pw", "office": "MOH", "roles": ["ministry"]}]
    }

    assert run_import(data)["staff"] == (1, 0, 0)
    assert Staff.objects.get(user__username="moh").office.code == "MOH"


# --- file-level failures ----------------------------------------------------------------------


def test_top_level_array_is_refused(rejected_import):
    message, errors = rejected_import([example()])

    assert message == "导入文件有1处错误，未写入任何数据。"
    assert errors == ["文件: 顶层应为对象，包含 offices、staff、persons、accounts"]
    assert Office.objects.count() == 0


def test_section_that_is_not_an_array_is_refused(rejected_import):
    data = example()
    data["persons"] = data["persons"][0]

    _, errors = rejected_import(data)

    assert errors == [
        "persons: 应为数组",
        f"accounts[0] ({ID} 220102 enterprise): 参保人员“{ID}”不存在（应先在 persons 中导入）",
    ]
    assert Office.objects.count() == 0


def test_malformed_json_is_a_clear_command_error(rejected_import, tmp_path):
    message, errors = rejected_import(None, raw='{"offices": [')

    path = tmp_path / "registry.json"
    assert message.startswith(f"{path} 不是有效的 UTF-8 JSON：")
    assert "line 1 column 14" in message
    assert errors == []
    assert Office.objects.count() == 0


def test_file_not_in_utf8_is_a_clear_command_error(db, tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes(
        json.dumps({"persons": [{"name": "严某荣"}]}, ensure_ascii=False).encode("gbk")
    )

    with pytest.raises(CommandError, match=r"不是有效的 UTF-8 JSON"):
        call_command("import_registry", str(path), stdout=StringIO(), stderr=StringIO())
    assert Person.objects.count() == 0


def test_missing_file_is_a_clear_command_error(db, tmp_path):
    path = tmp_path / "absent.json"

    with pytest.raises(CommandError) as refused:
        call_command("import_registry", str(path), stdout=StringIO(), stderr=StringIO())

    assert str(refused.value) == f"无法读取文件 {path}：No such file or directory"
    assert AuditRecord.objects.count() == 0


# --- audit ------------------------------------------------------------------------------------


def test_each_successful_import_is_audited(run_import, tmp_path):
    run_import(example())
    run_import(example())

    first, second = imports_audited()
    path = tmp_path / "registry.json"
    assert (first.actor_id, first.actor_label, first.target_type, first.target_id) == (
        None,
        f"import_registry {path}",
        "",
        "",
    )
    assert first.data["summary"]["persons"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert second.data["summary"]["persons"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert second.data["summary"]["contributions"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_failed_import_is_not_audited(rejected_import):
    data = example()
    data["persons"][0]["hukou_region"] = "999999"

    rejected_import(data)

    assert imports_audited() == []


# --- a large file -----------------------------------------------------------------------------


def large_file(persons: int, months: int) -> dict:
    data = {"persons": [], "accounts": []}
    first = date(2010, 1, 1)
    for i in range(persons):
        number = make_id_number("110101", date(1960, 1, 1) + timedelta(days=37 * i), i)
        data["persons"].append(
            {"id_number": number, "name": f"参保人{i}", "hukou_region": "110101"}
        )
        contributions = []
        for m in range(months):
            year, month = first.year + m // 12, m % 12 + 1
            contributions.append(
                {
                    "month": f"{year}-{month:02d}",
                    "identity": "employee" if i % 3 else "flexible",
                    "base_fen": 300000 + 100 * m + i,
                    "employer_rate": None if i % 3 == 0 else "0.16",
                }
            )
        data["accounts"].append(
            {
                "id_number": number,
                "region": "220102" if i % 2 else "110108",
                "scheme": "enterprise",
                "status": "contributing",
                "individual_balance_fen": 1000 * i,
                "contributions": contributions,
            }
        )
    return data


def test_large_file_imports_in_one_go_and_reimports_unchanged(run_import):
    data = large_file(200, 100)

    started = time.perf_counter()
    first = run_import(data)
    second = run_import(data)
    elapsed = time.perf_counter() - started

    assert first == {
        "offices": (0, 0, 0),
        "staff": (0, 0, 0),
        "persons": (200, 0, 0),
        "accounts": (200, 0, 0),
        "contributions": (20000, 0, 0),
    }
    assert second == {
        "offices": (0, 0, 0),
        "staff": (0, 0, 0),
        "persons": (0, 0, 200),
        "accounts": (0, 0, 200),
        "contributions": (0, 0, 20000),
    }
    assert ContributionMonth.objects.count() == 20000
    assert ContributionMonth.objects.filter(employer_rate__isnull=True).count() == 67 * 100
    last = ContributionMonth.objects.get(
        account__person__id_number=data["persons"][199]["id_number"], month=date(2018, 4, 1)
    )
    assert (last.identity, last.base_fen, last.employer_rate) == (
        "employee",
        300000 + 100 * 99 + 199,
        Decimal("0.16"),
    )
    assert elapsed < 15, f"two imports of 20,000 months took {elapsed:.1f}s"


# --- regressions: bugs found in registry/imports.py, each fixed with its test -------------------


def test_two_imports_in_one_outer_transaction(db):
    with transaction.atomic():
        registry_import(example())
        assert registry_import(example())["contributions"] == {
            "created": 0,
            "updated": 0,
            "unchanged": 1,
        }


def test_month_with_trailing_newline_is_a_reported_error(rejected_import):
    data = example()
    data["accounts"][0]["contributions"][0]["month"] = "2019-01\n"

    _, errors = rejected_import(data)

    assert len(errors) == 1
    assert errors[0].startswith(f"accounts[0] ({ID} 220102 enterprise).contributions[0]: 月份")
    assert ContributionMonth.objects.count() == 0


def test_unhashable_value_is_a_reported_error(rejected_import):
    data = example()
    data["offices"][0]["region"] = ["110108"]

    _, errors = rejected_import(data)

    assert len(errors) == 1
    assert errors[0].startswith("offices[0] (110108): ")
    assert Office.objects.count() == 0


def test_repeated_role_is_imported_once(run_import):
    data = example()
    data["staff"][0]["roles"] = ["clerk", "clerk"]

    run_import(data)

    assert list(StaffRole.objects.values_list("role", flat=True)) == ["clerk"]


def test_password_is_imported_as_written(run_import, api):
    data = example()
    data["staff"][0]["password"] = " pass word "

    run_import(data)

    login = api().post(
        "/api/v1/auth/token/",
        {"username": "hd_clerk", "password": " pass word "},
        format="json",
    )
    assert login.status_code == 200, login.content


def test_two_invalid_numbers_give_one_error_each(rejected_import):
    data = example()
    data["persons"] = [
        {"id_number": ID[:17] + "2", "name": "甲", "hukou_region": "110101"},
        {"id_number": ID[:17] + "3", "name": "乙", "hukou_region": "110101"},
    ]
    data["accounts"] = []

    _, errors = rejected_import(data)

    assert errors == [
        f"persons[0] ({ID[:17]}2): 社会保障号码校验位错误，请核对号码。",
        f"persons[1] ({ID[:17]}3): 社会保障号码校验位错误，请核对号码。",
    ]
