from django.contrib import admin

from clearing.models import Obligation
from common.admin import ReadOnlyAdmin


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    """Read-only: obligations are written by the transfer workflow (and later, adjustments by a
    clearing service), never by hand."""

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
