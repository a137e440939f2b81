from django.contrib import admin

from common.admin import ReadOnlyAdmin
from refunds.models import Refund


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Read-only: refunds change only through refunds.services (approval, payment)."""

    list_display = ["refund_no", "province", "status", "amount_fen", "created_at", "paid_at"]
    list_filter = ["status", "province"]
    search_fields = ["=refund_no"]
