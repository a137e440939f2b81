from django.contrib import admin

from common.admin import ReadOnlyAdmin
from whitelist.models import WhitelistEntry


@admin.register(WhitelistEntry)
class WhitelistEntryAdmin(ReadOnlyAdmin):
    """Read-only: entries change only through whitelist.services (maker-checker)."""

    list_display = ["entry_no", "benefit_province", "reason", "status", "maker", "checker"]
    list_filter = ["status", "reason", "benefit_province"]
    search_fields = ["=entry_no"]
