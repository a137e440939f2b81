from django.contrib import admin

from clearing.models import ClearingPeriod, Instruction, Obligation, Position, Statement
from common.admin import ReadOnlyAdmin


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    """Read-only: obligations are written by the transfer workflow and the ministry's
    adjustments (clearing.services.obligation_adjust), never by hand."""

    list_display = [
        "period",
        "payer",
        "payee",
        "individual_fen",
        "pooled_fen",
        "leg",
        "completed_at",
    ]
    list_filter = ["period", "payer", "payee"]
    search_fields = ["=leg__transfer_no"]


class _PeriodRows(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PositionInline(_PeriodRows):
    model = Position
    fields = ["province", "receivable_fen", "payable_fen", "net_fen"]


class InstructionInline(_PeriodRows):
    model = Instruction
    fields = ["index", "payer", "payee", "amount_fen", "status", "bank_ref", "paid_at", "paid_by"]


class StatementInline(_PeriodRows):
    model = Statement
    fields = ["province", "status", "note", "acted_at", "acted_by"]


@admin.register(ClearingPeriod)
class ClearingPeriodAdmin(ReadOnlyAdmin):
    """Read-only: periods change only through the batch and the clearing services."""

    list_display = ["month", "status", "obligation_count", "gross_total_fen", "calculated_at"]
    list_filter = ["status"]
    inlines = [PositionInline, InstructionInline, StatementInline]
