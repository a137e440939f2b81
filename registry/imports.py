"""The bootstrap import (`manage.py import_registry FILE.json`, API.md "Bootstrap import").

All-or-nothing: the whole file is checked first and every error is reported with the record it
concerns; only a clean file is written, in one transaction. Idempotent: records are upserted by
their natural keys (office code, username, ID number, person + province + scheme, account + month
+ identity) and rows whose values already match are left untouched. Contribution months — the bulk
of any real file — go through COPY into a temporary table and one INSERT … ON CONFLICT on
PostgreSQL, never a save() per row.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import ApplicationError
from common.scope import Role, province_of
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

SECTIONS = ("offices", "staff", "persons", "accounts")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
EARLIEST_MONTH = "1951-01"  # 《劳动保险条例》: no pension contribution can be older
COPY_NULL = "\\N"
MAX_FEN = 10**12  # 100亿元: far above any real base or balance, far below BIGINT's limit


class RegistryImportError(ApplicationError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"导入文件有{len(errors)}处错误，未写入任何数据。", code="IMPORT_INVALID")
        self.errors = errors


@dataclass
class _Plan:
    offices: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    persons: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    # (id_number, province, scheme) → rows of (month "YYYY-MM", identity, base_fen, rate | None)
    months: dict[tuple[str, str, str], list[tuple[str, str, int, Decimal | None]]] = field(
        default_factory=dict
    )
    month_count: int = 0


class _Checker:
    """Collects every error of the file, each prefixed with where it is and which record."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        # One error per line, whatever the file's values contain.
        line = f"{where}: {message}".replace("\r", "\\r").replace("\n", "\\n")
        self.errors.append(line)

    def text(
        self, where: str, record: dict, key: str, max_length: int, *, strip: bool = True
    ) -> str | None:
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"缺少“{key}”或不是文字")
            return None
        if len(value) > max_length:
            self.error(where, f"“{key}”超过{max_length}个字符")
            return None
        return value.strip() if strip else value

    def choice(self, where: str, record: dict, key: str, choices, default=None) -> str | None:
        value = record.get(key, default)
        if value not in choices:
            self.error(where, f"“{key}”的值“{value}”无效，应为：{'、'.join(choices)}")
            return None
        return value

    def fen(self, where: str, record: dict, key: str, default: int | None = None) -> int | None:
        value = record.get(key, default)
        if type(value) is not int or not 0 <= value <= MAX_FEN:
            self.error(where, f"“{key}”应为0至{MAX_FEN}之间的整数（单位：分），当前为“{value}”")
            return None
        return value


def _code(value) -> str | None:
    """A code field's value if it is text (a list or object can't be a code, nor a set key)."""
    return value if isinstance(value, str) else None


def _rate(value) -> Decimal | None:
    """Employer rate as an exact Decimal in [0, 1) with at most 4 places; None if invalid."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        return None
    if not rate.is_finite() or not 0 <= rate < 1 or rate.as_tuple().exponent < -4:
        return None
    return rate


def _section(check: _Checker, data: dict, name: str) -> list:
    records = data.get(name, [])
    if not isinstance(records, list):
        check.error(name, "应为数组")
        return []
    return records


def _check(data) -> _Plan:
    check = _Checker()
    plan = _Plan()
    if not isinstance(data, dict):
        raise RegistryImportError(["文件: 顶层应为对象，包含 offices、staff、persons、accounts"])
    for unknown in sorted(set(data) - set(SECTIONS)):
        check.error(unknown, f"未知的部分，应为：{'、'.join(SECTIONS)}")

    regions = set(Region.objects.values_list("code", flat=True))
    office_codes = set(Office.objects.values_list("code", flat=True))
    known_persons = set(Person.objects.values_list("id_number", flat=True))

    seen: set = set()
    for i, record in enumerate(_section(check, data, "offices")):
        where = f"offices[{i}]"
        if not isinstance(record, dict):
            check.error(where, "应为对象")
            continue
        where += f" ({record.get('code')})"
        code = check.text(where, record, "code", 32)
        name = check.text(where, record, "name", 128)
        region = _code(record.get("region"))
        if region not in regions:
            check.error(where, f"区划代码“{record.get('region')}”不存在")
            region = None
        national = record.get("national", False)
        if not isinstance(national, bool):
            check.error(where, "“national”应为 true 或 false")
        if code in seen:
            check.error(where, f"机构代码“{code}”在文件中重复")
        if code:
            seen.add(code)
        if code and name and region and isinstance(national, bool):
            plan.offices.append(
                {"code": code, "name": name, "region": region, "national": national}
            )
    office_codes |= seen

    seen = set()
    username_validator = UnicodeUsernameValidator()
    for i, record in enumerate(_section(check, data, "staff")):
        where = f"staff[{i}]"
        if not isinstance(record, dict):
            check.error(where, "应为对象")
            continue
        where += f" ({record.get('username')})"
        username = check.text(where, record, "username", 150)
        if username:
            try:
                username_validator(username)
            except ValidationError:
                check.error(where, "用户名只能包含字母、数字和 @/./+/-/_")
                username = None
        password = check.text(where, record, "password", 128, strip=False)
        office = _code(record.get("office"))
        if office not in office_codes:
            check.error(where, f"经办机构“{record.get('office')}”不存在")
        roles = record.get("roles")
        if (
            not isinstance(roles, list)
            or not roles
            or not all(isinstance(r, str) and r in Role.values for r in roles)
        ):
            check.error(where, f"“roles”应为非空数组，取值：{'、'.join(Role.values)}")
            roles = None
        if username in seen:
            check.error(where, f"用户名“{username}”在文件中重复")
        if username:
            seen.add(username)
        if username and password and office in office_codes and roles:
            plan.staff.append(
                {"username": username, "password": password, "office": office, "roles": roles}
            )

    seen = set()
    for i, record in enumerate(_section(check, data, "persons")):
        where = f"persons[{i}]"
        if not isinstance(record, dict):
            check.error(where, "应为对象")
            continue
        where += f" ({record.get('id_number')})"
        try:
            id_number = validate_id_number(str(record.get("id_number") or ""))
        except ValidationError as invalid:
            check.error(where, invalid.messages[0])
            id_number = None
        name = check.text(where, record, "name", 64)
        hukou = _code(record.get("hukou_region"))
        if hukou not in regions:
            check.error(where, f"户籍地区划代码“{record.get('hukou_region')}”不存在")
        status = check.choice(where, record, "status", Person.Status.values, "active")
        if id_number in seen:
            check.error(where, f"社会保障号码“{id_number}”在文件中重复")
        if id_number:
            seen.add(id_number)
        if id_number and name and hukou in regions and status:
            plan.persons.append(
                {"id_number": id_number, "name": name, "hukou_region": hukou, "status": status}
            )
    known_persons |= seen

    current_month = timezone.localdate().strftime("%Y-%m")
    identities = set(ContributionMonth.Identity.values)
    for i, record in enumerate(_section(check, data, "accounts")):
        where = f"accounts[{i}]"
        if not isinstance(record, dict):
            check.error(where, "应为对象")
            continue
        where += f" ({record.get('id_number')} {record.get('region')} {record.get('scheme')})"
        id_number = str(record.get("id_number") or "").strip().upper()
        if id_number not in known_persons:
            check.error(where, f"参保人员“{id_number}”不存在（应先在 persons 中导入）")
        region = _code(record.get("region"))
        if region not in regions:
            check.error(where, f"区划代码“{record.get('region')}”不存在")
        scheme = check.choice(where, record, "scheme", InsuranceAccount.Scheme.values)
        account_type = check.choice(
            where, record, "account_type", InsuranceAccount.AccountType.values, "general"
        )
        status = check.choice(where, record, "status", InsuranceAccount.Status.values)
        arrears = check.fen(where, record, "arrears_fen", 0)
        balance = check.fen(where, record, "individual_balance_fen", 0)
        ok = id_number in known_persons and region in regions
        ok = ok and None not in (scheme, account_type, status, arrears, balance)
        key = (id_number, province_of(region), scheme) if ok else None
        if key and key in plan.months:
            check.error(where, "同一人员在同一省份同一险种只能有一个参保关系，文件中重复")
            ok = False

        rows: list[tuple[str, str, int, Decimal | None]] = []
        seen_months: set[tuple[str, str]] = set()
        contributions = record.get("contributions", [])
        if not isinstance(contributions, list):
            check.error(where, "“contributions”应为数组")
            contributions = []
        for j, month_record in enumerate(contributions):
            at = f"{where}.contributions[{j}]"
            if not isinstance(month_record, dict):
                check.error(at, "应为对象")
                continue
            month = month_record.get("month")
            if not isinstance(month, str) or not MONTH.fullmatch(month):
                check.error(at, f"月份“{month}”无效，应为YYYY-MM（01至12月）")
                month = None
            elif not EARLIEST_MONTH <= month <= current_month:
                check.error(at, f"月份“{month}”不可能有缴费（应在{EARLIEST_MONTH}至当月之间）")
                month = None
            identity = _code(month_record.get("identity"))
            if identity not in identities:
                check.error(at, f"缴费身份“{identity}”无效，应为：employee、flexible")
            base = month_record.get("base_fen")
            if type(base) is not int or not 0 <= base <= MAX_FEN:
                check.error(at, f"“base_fen”应为0至{MAX_FEN}之间的整数（单位：分）")
                base = None
            raw_rate = month_record.get("employer_rate")
            rate = None if raw_rate is None else _rate(raw_rate)
            if raw_rate is not None and rate is None:
                check.error(at, f"单位缴费比例“{raw_rate}”无效，应为0至1之间、最多4位小数")
                continue
            if month and identity in identities and base is not None:
                if (month, identity) in seen_months:
                    check.error(at, f"{month}的{identity}缴费记录在该参保关系中重复")
                    continue
                seen_months.add((month, identity))
                rows.append((month, identity, base, rate))
        if ok:
            plan.accounts.append(
                {
                    "key": key,
                    "region": region,
                    "account_type": account_type,
                    "status": status,
                    "arrears_fen": arrears,
                    "individual_balance_fen": balance,
                }
            )
            plan.months[key] = rows
            plan.month_count += len(rows)

    if check.errors:
        raise RegistryImportError(check.errors)
    return plan


def _upsert(model, existing: dict, rows: dict, fields: list[str]) -> Counter:
    """Create the rows (key → values) missing from `existing` (key → instance) and update those
    whose `fields` differ; count each outcome. Unchanged rows are not written at all."""
    counts: Counter = Counter()
    to_create, to_update = [], []
    now = timezone.now()
    for key, values in rows.items():
        obj = existing.get(key)
        if obj is None:
            to_create.append(model(**values))
            counts["created"] += 1
        elif any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            obj.updated_at = now
            to_update.append(obj)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    model.objects.bulk_create(to_create, batch_size=2000)
    model.objects.bulk_update(to_update, [*fields, "updated_at"], batch_size=2000)
    return counts


def _write_offices(plan: _Plan) -> Counter:
    rows = {
        o["code"]: {
            "code": o["code"],
            "name": o["name"],
            "region_id": o["region"],
            "province_id": province_of(o["region"]),
            "national": o["national"],
        }
        for o in plan.offices
    }
    existing = Office.objects.in_bulk(list(rows), field_name="code")
    return _upsert(Office, existing, rows, ["name", "region_id", "province_id", "national"])


def _write_staff(plan: _Plan) -> Counter:
    """Staff are few: a user at a time, so a password is re-hashed only when it changed."""
    User = get_user_model()
    offices = dict(Office.objects.values_list("code", "pk"))
    usernames = [s["username"] for s in plan.staff]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    counts: Counter = Counter()
    for record in plan.staff:
        office_id = offices[record["office"]]
        user = users.get(record["username"])
        if user is None:
            user = User.objects.create_user(
                username=record["username"], password=record["password"]
            )
            staff = Staff.objects.create(user=user, office_id=office_id)
            roles = sorted(set(record["roles"]))
            StaffRole.objects.bulk_create([StaffRole(staff=staff, role=r) for r in roles])
            counts["created"] += 1
            continue
        changed = False
        if not user.check_password(record["password"]):
            user.set_password(record["password"])
            user.save(update_fields=["password"])
            changed = True
        staff, created = Staff.objects.get_or_create(user=user, defaults={"office_id": office_id})
        if staff.office_id != office_id:
            staff.office_id = office_id
            staff.save(update_fields=["office", "updated_at"])
            changed = True
        wanted = set(record["roles"])
        held = set(staff.roles.values_list("role", flat=True))
        if wanted != held:
            staff.roles.exclude(role__in=wanted).delete()
            StaffRole.objects.bulk_create([StaffRole(staff=staff, role=r) for r in wanted - held])
            changed = True
        counts["updated" if changed or created else "unchanged"] += 1
    return counts


def _write_persons(plan: _Plan) -> Counter:
    rows = {
        p["id_number"]: {
            "id_number": p["id_number"],
            "name": p["name"],
            "hukou_region_id": p["hukou_region"],
            "status": p["status"],
        }
        for p in plan.persons
    }
    existing = Person.objects.in_bulk(list(rows), field_name="id_number")
    return _upsert(Person, existing, rows, ["name", "hukou_region_id", "status"])


ACCOUNT_FIELDS = ["region_id", "account_type", "status", "arrears_fen", "individual_balance_fen"]


def _write_accounts(plan: _Plan) -> tuple[Counter, dict[tuple[str, str, str], int]]:
    """Accounts are keyed by (ID number, province, scheme): one per person, province and scheme."""
    person_ids = dict(
        Person.objects.filter(id_number__in={a["key"][0] for a in plan.accounts}).values_list(
            "id_number", "pk"
        )
    )
    accounts = InsuranceAccount.objects.filter(person_id__in=person_ids.values())
    existing = {
        (a.person.id_number, a.province_id, a.scheme): a for a in accounts.select_related("person")
    }
    rows = {
        record["key"]: {
            "person_id": person_ids[record["key"][0]],
            "province_id": record["key"][1],
            "scheme": record["key"][2],
            "region_id": record["region"],
            **{f: record[f] for f in ACCOUNT_FIELDS if f != "region_id"},
        }
        for record in plan.accounts
    }
    counts = _upsert(InsuranceAccount, existing, rows, ACCOUNT_FIELDS)
    ids = {
        (id_number, province, scheme): pk
        for pk, id_number, province, scheme in accounts.values_list(
            "pk", "person__id_number", "province_id", "scheme"
        )
    }
    return counts, ids


def _month_rows(plan: _Plan, account_ids: dict):
    for key, rows in plan.months.items():
        account_id = account_ids[key]
        for month, identity, base, rate in rows:
            yield account_id, f"{month}-01", identity, base, rate


_MERGE_MONTHS = """
WITH merged AS (
    INSERT INTO registry_contributionmonth
        (account_id, month, identity, base_fen, employer_rate, cleared)
    SELECT account_id, month, identity, base_fen, employer_rate, false FROM import_months
    ON CONFLICT (account_id, month, identity) DO UPDATE
        SET base_fen = EXCLUDED.base_fen, employer_rate = EXCLUDED.employer_rate
        WHERE (registry_contributionmonth.base_fen, registry_contributionmonth.employer_rate)
              IS DISTINCT FROM (EXCLUDED.base_fen, EXCLUDED.employer_rate)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
"""


def _write_months_postgresql(plan: _Plan, account_ids: dict) -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE import_months (account_id bigint, month date, identity text,"
            " base_fen bigint, employer_rate numeric(5, 4)) ON COMMIT DROP"
        )
        with cursor.connection.cursor().copy("COPY import_months FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, (account_id, month, identity, base, rate) in enumerate(
                _month_rows(plan, account_ids), 1
            ):
                rate_text = COPY_NULL if rate is None else rate
                buffer.write(f"{account_id}\t{month}\t{identity}\t{base}\t{rate_text}\n")
                if n % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cursor.execute(_MERGE_MONTHS)
        created, updated = cursor.fetchone()
        # Dropped now, not only at commit: an import may run inside a caller's transaction.
        cursor.execute("DROP TABLE import_months")
    return Counter(created=created, updated=updated, unchanged=plan.month_count - created - updated)


def _write_months_generic(plan: _Plan, account_ids: dict) -> Counter:
    """SQLite (the embedded default): compare in Python, write in bulk."""
    counts: Counter = Counter()
    existing = {
        (m.account_id, m.month.strftime("%Y-%m-%d"), m.identity): m
        for m in ContributionMonth.objects.filter(account_id__in=list(account_ids.values()))
    }
    to_create, to_update = [], []
    for account_id, month, identity, base, rate in _month_rows(plan, account_ids):
        row = existing.get((account_id, month, identity))
        if row is None:
            to_create.append(
                ContributionMonth(
                    account_id=account_id,
                    month=month,
                    identity=identity,
                    base_fen=base,
                    employer_rate=rate,
                )
            )
            counts["created"] += 1
        elif row.base_fen != base or row.employer_rate != rate:
            row.base_fen, row.employer_rate = base, rate
            to_update.append(row)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    ContributionMonth.objects.bulk_create(to_create, batch_size=5000)
    ContributionMonth.objects.bulk_update(to_update, ["base_fen", "employer_rate"], batch_size=5000)
    return counts


def registry_import(data, *, operator: str = "import_registry") -> dict[str, dict[str, int]]:
    """Check the whole file, then write it in one transaction. Returns counts per section:
    created / updated / unchanged. Raises RegistryImportError (listing every error) untouched."""
    plan = _check(data)
    with transaction.atomic():
        summary = {
            "offices": _write_offices(plan),
            "staff": _write_staff(plan),
            "persons": _write_persons(plan),
        }
        summary["accounts"], account_ids = _write_accounts(plan)
        write_months = (
            _write_months_postgresql if connection.vendor == "postgresql" else _write_months_generic
        )
        summary["contributions"] = write_months(plan, account_ids)
        result = {
            name: {k: counts.get(k, 0) for k in ("created", "updated", "unchanged")}
            for name, counts in summary.items()
        }
        audit_record(actor=None, action="registry.import", operator=operator, summary=result)
    return result
