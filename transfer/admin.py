"""Read-only admin views of the workflow: every change goes through the services (and their log),
never through a form that could skip the state machine."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from common.masking import mask_id_number, mask_name
from transfer.models import Application, InfoSheet, Material, TransferLeg


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["application_no", "masked_id", "masked_name", "channel", "accepting_office"]
    list_filter = ["channel", "in_province"]
    search_fields = ["=application_no", "=person__id_number"]
    list_select_related = ["person", "accepting_office"]

    @admin.display(description="社会保障号码")
    def masked_id(self, obj):
        return mask_id_number(obj.person.id_number)

    @admin.display(description="姓名")
    def masked_name(self, obj):
        return mask_name(obj.name)


@admin.register(TransferLeg)
class TransferLegAdmin(ReadOnlyAdmin):
    list_display = ["transfer_no", "status", "out_province", "in_province", "deadline", "overdue"]
    list_filter = ["status", "overdue", "mode", "out_province", "in_province"]
    search_fields = ["=transfer_no", "=application__person__id_number"]


@admin.register(InfoSheet)
class InfoSheetAdmin(ReadOnlyAdmin):
    list_display = ["leg", "version", "months", "individual_fen", "pooled_fen", "total_fen"]
    search_fields = ["=leg__transfer_no"]
    exclude = ["detail"]


@admin.register(Material)
class MaterialAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "content_type", "size", "uploaded_at"]
    exclude = ["file", "original_name"]
