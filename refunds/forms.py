"""The window's guided refund form (个人重复缴费退费), in the briefing's three steps: (1) the
identity of each overlapping period, (2) the refund direction — which account's months are
refunded, and which months — (3) the bank account, then 退费方向确认 and 提交.

Here: what the clerk typed, checked for shape only (complete, well-formed) so that every gap is
reported at once, and the plan the page shows for it — per month what is refunded and what kept,
which months may not be chosen, and the amounts. The rules themselves are
`services.refund_submit`'s; the plan follows them so the page can say so before submission."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms

from common.money import round_fen
from refunds.selectors import Entry
from refunds.services import CREDITED_RATE, REFUND_RATE, IdentityPeriod
from registry.models import Identity

# Form key → label, for the error summary at the top of the form (in the order of the form).
FIELD_LABELS = {
    "periods": "第一步 参保身份",
    "refund_region": "第二步 退费方向",
    "months": "第二步 退费月份",
    "channel": "第二步 受理渠道",
    "bank_name": "第三步 开户银行",
    "account_no": "第三步 银行账号",
    "holder_name": "第三步 户名",
    "bank": "第三步 银行信息",
    "confirm_direction": "退费方向确认",
}
# The service's field names → the form's.
SERVICE_FIELDS = {"identities": "periods"}
MAX_PERIODS = 24
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def parse_month(text: str) -> date | None:
    """ "2020-03" → date(2020, 3, 1); anything else None."""
    match = MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        return None
    return date(int(match[1]), int(match[2]), 1)


def _required(label: str) -> dict[str, str]:
    return {"required": f"请填写{label}。"}


# --- step 1: the identity of each overlapping period ----------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    """One identity period as typed (`period-<index>-…` in the POST; months as "YYYY-MM")."""

    index: int
    region: str = ""
    start: str = ""
    end: str = ""
    identity: str = ""

    @property
    def key(self) -> str:
        return f"period-{self.index}"

    @property
    def blank(self) -> bool:
        return not (self.region or self.start or self.end or self.identity)

    def problem(self, regions: set[str]) -> str | None:
        """What keeps the row from being a period (None: it is one)."""
        if self.region not in regions:
            return "请选择参保地。"
        start, end = parse_month(self.start), parse_month(self.end)
        if start is None or end is None:
            return "请填写起止年月（如 2020-03）。"
        if start > end:
            return "起始年月不能晚于终止年月。"
        if self.identity not in Identity.values:
            return "请选择参保身份（职工或灵活就业）。"
        return None

    def period(self) -> IdentityPeriod | None:
        start, end = parse_month(self.start), parse_month(self.end)
        if start is None or end is None or self.identity not in Identity.values:
            return None
        return IdentityPeriod(self.region, start, end, self.identity)


PERIOD_ROW = re.compile(r"^period-([0-9]{1,3})-region$")


def read_periods(data) -> list[PeriodRow]:
    indexes = sorted({int(m[1]) for key in data if (m := PERIOD_ROW.match(key))})
    return [
        PeriodRow(
            i,
            data.get(f"period-{i}-region", "").strip()[:6],
            data.get(f"period-{i}-start", "").strip()[:7],
            data.get(f"period-{i}-end", "").strip()[:7],
            data.get(f"period-{i}-identity", "").strip()[:16],
        )
        for i in indexes
    ]


def period_errors(rows: list[PeriodRow], regions: set[str]) -> dict[str, list[str]]:
    """Per row what is wrong, and for the step: none given, too many, or two periods of one
    place overlapping (the identity of a month there would be ambiguous)."""
    errors: dict[str, list[str]] = {}
    filled = [row for row in rows if not row.blank]
    if not filled:
        errors["periods"] = ["请维护重复缴费期间的参保身份（参保地、起止年月和身份）。"]
    elif len(filled) > MAX_PERIODS:
        errors["periods"] = [f"参保身份时间段最多{MAX_PERIODS}个。"]
    for row in filled:
        if problem := row.problem(regions):
            errors[row.key] = [problem]
    periods = [(row, row.period()) for row in filled if row.key not in errors]
    for n, (row, period) in enumerate(periods):
        for other, earlier in periods[:n]:
            if (
                period.region == earlier.region
                and period.start <= earlier.end
                and earlier.start <= period.end
            ):
                n_other = filled.index(other) + 1
                errors[row.key] = [
                    f"与第{n_other}个时间段重叠：同一参保地同一月份只能有一种参保身份。"
                ]
                break
    return errors


def prefilled_periods(twice: dict[date, list[Entry]]) -> list[PeriodRow]:
    """Step 1 as the records have it: per account, runs of consecutive duplicate months under
    one identity. Where one account was paid under both identities in a month, the flexible one
    is put down — the side the rule lets be refunded; the clerk corrects what the person says."""
    declared: dict[str, dict[date, str]] = {}
    for month, entries in twice.items():
        for entry in entries:
            current = declared.setdefault(entry.region, {}).get(month)
            if current != Identity.FLEXIBLE:
                declared[entry.region][month] = entry.identity
    runs: list[tuple[date, str, date, str]] = []  # start, region, end, identity
    for region, months in declared.items():
        for month in sorted(months):
            identity = months[month]
            if runs and runs[-1][1] == region and runs[-1][3] == identity:
                start, _, end, _ = runs[-1]
                if _next_month(end) == month:
                    runs[-1] = (start, region, month, identity)
                    continue
            runs.append((month, region, month, identity))
    runs.sort()
    return [
        PeriodRow(n, region, month_label(start), month_label(end), identity)
        for n, (start, region, end, identity) in enumerate(runs)
    ]


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True)
class Overlap:
    """Consecutive duplicate months paid the same way (the same accounts and identities)."""

    start: date
    end: date
    months: int
    entries: list[Entry]


def overlaps(twice: dict[date, list[Entry]]) -> list[Overlap]:
    found: list[Overlap] = []
    for month, entries in sorted(twice.items()):
        shape = [(e.account_id, e.identity) for e in entries]
        last = found[-1] if found else None
        if (
            last is not None
            and _next_month(last.end) == month
            and [(e.account_id, e.identity) for e in last.entries] == shape
        ):
            found[-1] = Overlap(last.start, month, last.months + 1, last.entries)
        else:
            found.append(Overlap(month, month, 1, entries))
    return found


# --- step 2: the direction, month by month ------------------------------------------------------


def identity_of(month: date, entry: Entry, periods: list[IdentityPeriod]) -> str | None:
    """The identity declared for `month` at the entry's place (the first period that covers it,
    as the service reads them)."""
    for period in periods:
        if period.start <= month <= period.end and period.region in (entry.region, entry.province):
            return period.identity
    return None


@dataclass(frozen=True)
class MonthPlan:
    """One duplicate month under the chosen direction: the entry refunded, the entries kept,
    and why the month may not be chosen ("" when it may)."""

    month: date
    entries: list[Entry]
    refunded: Entry | None
    kept: list[Entry]
    blocked: str
    window_only: bool
    checked: bool

    @property
    def value(self) -> str:
        return month_label(self.month)

    @property
    def amount(self) -> Decimal | None:
        return (
            self.refunded.base_fen * REFUND_RATE[self.refunded.identity] if self.refunded else None
        )

    @property
    def amount_fen(self) -> int | None:
        """Display only: the refund's total is rounded once, over all its months."""
        return round_fen(self.amount) if self.refunded else None


# Why a month may not be chosen, as the page says it (static/refunds/refund-form.js says the same
# when the clerk changes the direction or an identity).
BLOCKED = {
    "no_direction": "请先选择退费参保关系",
    "not_paid_here": "退费参保地该月无缴费",
    "no_identity": "未维护该月在退费参保地的参保身份（第一步）",
    "no_such_identity": "退费参保地该月没有以“{identity}”身份的缴费，请核对第一步",
    "taken": "已在退费申请 {refund_no} 中",
    "employee_side": (
        "企业职工与灵活就业重复的，保留职工身份，只能退灵活就业部分（人社部发〔2025〕42号）"
    ),
}


def plan_month(
    month: date,
    entries: list[Entry],
    *,
    refund_region: str,
    periods: list[IdentityPeriod],
    checked: bool,
) -> MonthPlan:
    """The month as `services.refund_submit` would take it, in the same order of checks."""

    def plan(refunded=None, blocked="", window_only=False):
        kept = [e for e in entries if e is not refunded]
        return MonthPlan(month, entries, refunded, kept, blocked, window_only, checked)

    if not refund_region:
        return plan(blocked=BLOCKED["no_direction"])
    at_place = [e for e in entries if refund_region in (e.region, e.province)]
    if not at_place:
        return plan(blocked=BLOCKED["not_paid_here"])
    identity = identity_of(month, at_place[0], periods)
    if identity is None:
        return plan(blocked=BLOCKED["no_identity"])
    refunded = next((e for e in at_place if e.identity == identity), None)
    if refunded is None:
        label = Identity(identity).label
        return plan(blocked=BLOCKED["no_such_identity"].format(identity=label))
    if refunded.refund_no:
        return plan(refunded, BLOCKED["taken"].format(refund_no=refunded.refund_no))
    kept = {e.identity for e in entries if e is not refunded}
    if identity == Identity.EMPLOYEE and Identity.FLEXIBLE in kept:
        return plan(refunded, BLOCKED["employee_side"])
    return plan(refunded, window_only=identity == Identity.FLEXIBLE and Identity.EMPLOYEE in kept)


@dataclass(frozen=True)
class Totals:
    months: list[MonthPlan]  # chosen and refundable
    blocked: list[MonthPlan]  # chosen, but may not be
    amount_fen: int
    credited_fen: int


def totals(plans: list[MonthPlan]) -> Totals:
    """What the chosen, refundable months come to: one rounding each, as the service rounds."""
    chosen = [p for p in plans if p.checked and not p.blocked]
    amount = sum((p.amount for p in chosen), Decimal(0))
    credited = sum((p.refunded.base_fen * CREDITED_RATE for p in chosen), Decimal(0))
    return Totals(
        chosen,
        [p for p in plans if p.checked and p.blocked],
        round_fen(amount),
        round_fen(credited),
    )


def milli_fen(base_fen: int, rate: Decimal) -> int:
    """An exact amount in thousandths of a fen, for the page's script to add up as integers."""
    return int(base_fen * rate * 1000)


# --- step 2's choice and step 3 ---------------------------------------------------------------


class RefundForm(forms.Form):
    """The direction, the months and the bank account, and the clerk's 退费方向确认."""

    refund_region = forms.ChoiceField(
        error_messages={
            "required": "请选择退费参保关系（退费方向）。",
            "invalid_choice": "请从参保人员的参保关系中选择退费方向。",
        }
    )
    months = forms.MultipleChoiceField(
        error_messages={
            "required": "请选择退费月份。",
            "invalid_choice": "%(value)s 不是该参保人员未清退的重复缴费月份。",
        }
    )
    bank_name = forms.CharField(
        max_length=64,
        error_messages={**_required("开户银行"), "max_length": "开户银行不能超过64个字。"},
    )
    account_no = forms.CharField(
        max_length=40,
        error_messages={**_required("银行账号"), "max_length": "银行账号不能超过40个字符。"},
    )
    holder_name = forms.CharField(
        max_length=64,
        error_messages={**_required("户名"), "max_length": "户名不能超过64个字。"},
    )
    confirm_direction = forms.BooleanField(
        error_messages={"required": "请与参保人核对退费方向后勾选“退费方向确认”。"}
    )

    def __init__(self, data, *, regions: list[str], months: list[str]) -> None:
        super().__init__(data)
        self.fields["refund_region"].choices = [(r, r) for r in regions]
        self.fields["months"].choices = [(m, m) for m in months]

    def chosen_months(self) -> list[date]:
        return [parse_month(m) for m in self.cleaned_data["months"]]
