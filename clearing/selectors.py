"""Reads of clearing, scoped: the ministry and auditors see every province's rows, a province's
finance only the rows its province pays or receives (API.md "Clearing"). Fails closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from clearing.models import (
    ClearingPeriod,
    Instruction,
    Obligation,
    PairTotal,
    PeriodStatus,
    Position,
    Statement,
)
from clearing.progress import progress_get
from clearing.services import month_of, previous_month
from common.errors import NotAllowed
from common.scope import Scope


@dataclass(frozen=True)
class ControlTotals:
    """NACHA-style control record of what a statement or export lists."""

    pair_count: int
    obligation_count: int
    amount_fen: int
    checksum: str


@dataclass
class PeriodView:
    """A period as one user may see it. `province` is whose rows these are (None: every
    province's). Before the first calculation, `obligation_count` and the sums are live."""

    period: ClearingPeriod
    province: str | None
    pairs: list[PairTotal] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    progress: dict | None = None

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def calculated(self) -> bool:
        return self.period.status != PeriodStatus.OPEN or bool(self.period.checksum)

    @property
    def control(self) -> ControlTotals:
        return ControlTotals(
            pair_count=len(self.pairs),
            obligation_count=sum(p.count for p in self.pairs),
            amount_fen=sum(p.amount_fen for p in self.pairs),
            checksum=self.period.checksum,
        )

    @property
    def statement(self) -> Statement | None:
        """The province's own statement, when this view is one province's."""
        if self.province is None:
            return None
        return next((s for s in self.statements if s.province_id == self.province), None)


def parse_month(text: str) -> date | None:
    """'2026-11' → date(2026, 11, 1); None for anything else."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _require_view(scope: Scope) -> None:
    if not scope.can("clearing.view"):
        raise NotAllowed("您的角色无权查看清算数据。")


def _rows_province(scope: Scope, province: str | None) -> str | None:
    """Whose rows to show: the asked province if in scope; a province's own staff always theirs."""
    if province is not None:
        if not scope.covers(province):
            raise NotAllowed("只能查看本省的对账单。")
        return province
    return None if scope.national else scope.province


def _live_totals(period: ClearingPeriod) -> None:
    totals = Obligation.objects.filter(period=period.month).aggregate(
        count=Count("id"), individual=Sum("individual_fen"), pooled=Sum("pooled_fen")
    )
    period.obligation_count = totals["count"]
    period.individual_fen = totals["individual"] or 0
    period.pooled_fen = totals["pooled"] or 0
    period.gross_total_fen = period.individual_fen + period.pooled_fen


def period_view(*, scope: Scope, month: date, province: str | None = None) -> PeriodView:
    """The period with its results: every row for a national user, else the province's rows."""
    _require_view(scope)
    own = _rows_province(scope, province)
    period = ClearingPeriod.objects.filter(month=month).first() or ClearingPeriod(month=month)
    if period.status == PeriodStatus.OPEN and not period.checksum:
        _live_totals(period)
    view = PeriodView(period=period, province=own, progress=progress_get(month))
    if period.pk is None:
        return view
    pairs = period.pairs.all()
    positions = period.positions.all()
    instructions = period.instructions.select_related("paid_by")
    statements = period.statements.select_related("acted_by")
    if own is not None:
        pairs = pairs.filter(Q(payer_id=own) | Q(payee_id=own))
        positions = positions.filter(province_id=own)
        instructions = instructions.filter(Q(payer_id=own) | Q(payee_id=own))
        statements = statements.filter(province_id=own)
    view.pairs, view.positions = list(pairs), list(positions)
    view.instructions, view.statements = list(instructions), list(statements)
    return view


@dataclass(frozen=True)
class PeriodRow:
    period: ClearingPeriod
    own_statement: str | None  # the status of the user's province's statement, if any


def period_list(*, scope: Scope, today: date | None = None) -> list[PeriodRow]:
    """Every period, newest first, and last month's even before anything was recorded in it
    (so ministry finance can run it). Periods not yet calculated show their live totals."""
    _require_view(scope)
    today = today or timezone.localdate()
    periods = ClearingPeriod.objects.order_by("-month")
    if not scope.national:
        periods = periods.annotate(
            own_statement=Subquery(
                Statement.objects.filter(period=OuterRef("pk"), province_id=scope.province).values(
                    "status"
                )[:1]
            )
        )
    periods = list(periods)
    uncalculated = [p for p in periods if p.status == PeriodStatus.OPEN and not p.checksum]
    if uncalculated:
        live = {
            row["period"]: row
            for row in Obligation.objects.filter(period__in=[p.month for p in uncalculated])
            .order_by()
            .values("period")
            .annotate(count=Count("id"), individual=Sum("individual_fen"), pooled=Sum("pooled_fen"))
        }
        for period in uncalculated:
            row = live.get(period.month, {"count": 0, "individual": 0, "pooled": 0})
            period.obligation_count = row["count"]
            period.individual_fen, period.pooled_fen = row["individual"], row["pooled"]
            period.gross_total_fen = period.individual_fen + period.pooled_fen
    last = previous_month(today)
    if not any(p.month == last for p in periods):
        periods.append(ClearingPeriod(month=last))
        periods.sort(key=lambda p: p.month, reverse=True)
    return [PeriodRow(p, getattr(p, "own_statement", None)) for p in periods]


def month_has_ended(month: date) -> bool:
    return month < month_of(timezone.now())
