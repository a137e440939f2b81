from django.contrib import admin

from common.models import AuditRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only services write (audit trail, workflow, clearing): an admin form
    could skip the state machine, the locks and the log."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "office_code", "action", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "target_id"]
