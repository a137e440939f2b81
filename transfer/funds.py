"""What moves with a transfer (国办发〔2009〕66号, DESIGN.md §4), computed from the outgoing
account's records:

- individual part: the account's individual-account balance, as the province's ledger holds it;
- pooled part (统筹基金): 12% of the contribution base of every paid, uncleared month from 1998-01
  on — for a temporary account (临时账户) the employer rate where it is above 12%;
- exact Decimal arithmetic, one half-up rounding to the fen per amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from common.money import round_fen
from registry.models import AccountType, ContributionMonth, InsuranceAccount

POOLED_RATE = Decimal("0.12")
POOLED_FROM = date(1998, 1, 1)  # months before the unified system carry no pooled transfer


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
    out_account: InsuranceAccount, in_account: InsuranceAccount | None = None
) -> Funds:
    """The information sheet's figures for moving `out_account` (into `in_account`)."""
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
            rate=pooled_rate(out_account, m.employer_rate) if m.month >= POOLED_FROM else None,
            duplicate=m.month in paid_in,
        )
        for m in rows
    ]
    return Funds(
        months=months,
        individual_fen=out_account.individual_balance_fen,
        pooled_fen=round_fen(sum((m.pooled for m in months), Decimal(0))),
    )
