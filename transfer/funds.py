"""What moves with a transfer (DESIGN.md §4), computed from the outgoing account's records:

- individual part: the account's individual-account balance, as the province's ledger holds it;
- pooled part (统筹基金): 12% of the contribution base of every paid, uncleared month from the
  scheme pair's start month on — for a temporary account (临时账户) the employer rate where it is
  above 12% — or nothing, where the pair's rule moves the individual account alone;
- exact Decimal arithmetic, one half-up rounding to the fen per amount.

Which parts move for each pair of schemes is the table `FUND_RULES` below, each row with its
source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from common.money import round_fen
from registry.models import AccountType, ContributionMonth, InsuranceAccount, Scheme

POOLED_RATE = Decimal("0.12")
POOLED_FROM = date(1998, 1, 1)  # months before the unified system carry no pooled transfer
INSTITUTION_REFORM = date(2014, 10, 1)  # 机关事业单位养老保险制度改革 took effect


@dataclass(frozen=True)
class FundRule:
    """What moves from one scheme to another.

    `pooled_from`: the first month whose base carries a pooled part (None: no pooled part moves);
    `months_merge`: whether the contribution months move and count in the incoming scheme (where
    they do not, they stay with the closed outgoing account, and only the balance moves)."""

    pooled_from: date | None
    months_merge: bool
    source: str


ENT, INST, RES = Scheme.ENTERPRISE, Scheme.INSTITUTION, Scheme.RESIDENT
DOC_2009 = "国办发〔2009〕66号《城镇企业职工基本养老保险关系转移接续暂行办法》"
DOC_2017 = (
    "人社部发〔2017〕71号《关于机关事业单位基本养老保险关系和职业年金转移接续有关问题的通知》"
)
DOC_2014 = "人社部发〔2014〕17号《城乡养老保险制度衔接暂行办法》"
DOC_RESIDENT = "国发〔2014〕8号《关于建立统一的城乡居民基本养老保险制度的意见》"

FUND_RULES: dict[tuple[str, str], FundRule] = {
    # 企业职工 → 企业职工: the individual account, and 12% of every month's base from 1998-01.
    (ENT, ENT): FundRule(POOLED_FROM, True, DOC_2009),
    # 企业 → 机关事业单位: as between enterprises, for the months paid to the enterprise scheme.
    (ENT, INST): FundRule(POOLED_FROM, True, f"{DOC_2017}；统筹基金按{DOC_2009}计算"),
    # 机关事业单位 → 企业 / 机关事业单位 (across provinces): the individual account, and 12% of
    # the base of the months since the reform (2014-10).
    (INST, ENT): FundRule(INSTITUTION_REFORM, True, DOC_2017),
    (INST, INST): FundRule(INSTITUTION_REFORM, True, DOC_2017),
    # 城镇职工 → 城乡居民: the whole individual account; the years count in the resident scheme.
    (ENT, RES): FundRule(None, True, DOC_2014),
    (INST, RES): FundRule(None, True, DOC_2014),
    # 城乡居民 → 城镇职工: the individual account only; the resident years are neither merged
    # into nor converted to employee years.
    (RES, ENT): FundRule(None, False, DOC_2014),
    (RES, INST): FundRule(None, False, DOC_2014),
    # 城乡居民 → 城乡居民 (across provinces): the individual account; the years count.
    (RES, RES): FundRule(None, True, DOC_RESIDENT),
}


def fund_rule(out_scheme: str, in_scheme: str) -> FundRule:
    return FUND_RULES[(out_scheme, in_scheme)]


@dataclass(frozen=True)
class SheetMonth:
    month: date
    identity: str
    base_fen: int
    rate: Decimal | None  # None: before 1998-01, no pooled part
    duplicate: bool

    @property
    def pooled(self) -> Decimal:
        return self.base_fen * self.rate if self.rate is not None else Decimal(0)


@dataclass(frozen=True)
class Funds:
    months: list[SheetMonth] = field(default_factory=list)
    individual_fen: int = 0
    pooled_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.individual_fen + self.pooled_fen

    @property
    def pooled_months(self) -> int:
        return sum(1 for m in self.months if m.rate is not None)

    @property
    def duplicate_months(self) -> list[str]:
        return sorted({f"{m.month:%Y-%m}" for m in self.months if m.duplicate})


def pooled_rate(account: InsuranceAccount, employer_rate: Decimal | None) -> Decimal:
    if account.account_type == AccountType.TEMPORARY and employer_rate is not None:
        return max(POOLED_RATE, employer_rate)
    return POOLED_RATE


def compute_funds(
    out_account: InsuranceAccount,
    in_account: InsuranceAccount | None = None,
    in_scheme: str | None = None,
) -> Funds:
    """The information sheet's figures for moving `out_account` into `in_scheme` (by default its
    own scheme) and `in_account`, by the scheme pair's rule."""
    rule = fund_rule(out_account.scheme, in_scheme or out_account.scheme)
    paid_in = (
        set(in_account.months.filter(cleared=False).values_list("month", flat=True))
        if in_account is not None
        else set()
    )
    rows = ContributionMonth.objects.filter(account=out_account, cleared=False).order_by(
        "month", "identity"
    )
    months = [
        SheetMonth(
            month=m.month,
            identity=m.identity,
            base_fen=m.base_fen,
            rate=(
                pooled_rate(out_account, m.employer_rate)
                if rule.pooled_from is not None and m.month >= rule.pooled_from
                else None
            ),
            duplicate=m.month in paid_in,
        )
        for m in rows
    ]
    return Funds(
        months=months,
        individual_fen=out_account.individual_balance_fen,
        pooled_fen=round_fen(sum((m.pooled for m in months), Decimal(0))),
    )
