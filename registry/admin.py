"""Django admin for every registry model. Lists mask ID numbers and names; search takes the full
ID number (exact match), so a lookup never needs the list to show it."""

from django.contrib import admin

from common.masking import mask_id_number, mask_name
from registry.models import (
    ContributionMonth,
    HolidayDay,
    HolidayYear,
    InsuranceAccount,
    ModuleSwitch,
    Office,
    Person,
    Region,
    Staff,
    StaffRole,
)


class MaskedPersonMixin:
    @admin.display(description="社会保障号码")
    def masked_id(self, obj):
        return mask_id_number(self._person(obj).id_number)

    @admin.display(description="姓名")
    def masked_name(self, obj):
        return mask_name(self._person(obj).name)

    def _person(self, obj):
        return obj


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "settlement_unit"]
    list_filter = ["level", "settlement_unit"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province", "region", "national"]
    list_filter = ["national", "province"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region", "province"]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role_list"]
    list_filter = ["roles__role", "office__province"]
    search_fields = ["user__username", "office__name", "office__code"]
    raw_id_fields = ["user", "office"]
    inlines = [StaffRoleInline]

    @admin.display(description="角色")
    def role_list(self, obj):
        return "、".join(r.get_role_display() for r in obj.roles.all())

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("user", "office").prefetch_related("roles")
        )


class InsuranceAccountInline(admin.TabularInline):
    model = InsuranceAccount
    extra = 0
    fields = ["region", "scheme", "account_type", "status", "arrears_fen", "individual_balance_fen"]
    raw_id_fields = ["region"]
    show_change_link = True


@admin.register(Person)
class PersonAdmin(MaskedPersonMixin, admin.ModelAdmin):
    list_display = ["masked_id", "masked_name", "hukou_region", "status"]
    list_filter = ["status"]
    search_fields = ["=id_number"]
    raw_id_fields = ["hukou_region"]
    inlines = [InsuranceAccountInline]


class ContributionMonthInline(admin.TabularInline):
    model = ContributionMonth
    extra = 0
    raw_id_fields = ["origin_province"]


@admin.register(InsuranceAccount)
class InsuranceAccountAdmin(MaskedPersonMixin, admin.ModelAdmin):
    list_display = ["masked_id", "masked_name", "region", "scheme", "account_type", "status"]
    list_filter = ["scheme", "status", "account_type", "province"]
    search_fields = ["=person__id_number"]
    raw_id_fields = ["person", "region", "province"]
    inlines = [ContributionMonthInline]
    list_select_related = ["person", "region"]

    def _person(self, obj):
        return obj.person


@admin.register(ContributionMonth)
class ContributionMonthAdmin(MaskedPersonMixin, admin.ModelAdmin):
    list_display = ["masked_id", "masked_name", "month", "identity", "base_fen", "cleared"]
    list_filter = ["identity", "cleared"]
    search_fields = ["=account__person__id_number"]
    raw_id_fields = ["account", "origin_province"]
    list_select_related = ["account__person"]
    date_hierarchy = "month"

    def _person(self, obj):
        return obj.account.person


class HolidayDayInline(admin.TabularInline):
    model = HolidayDay
    extra = 5


@admin.register(HolidayYear)
class HolidayYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "entered_by", "updated_at"]
    inlines = [HolidayDayInline]
    exclude = ["entered_by"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ModuleSwitch)
class ModuleSwitchAdmin(admin.ModelAdmin):
    list_display = ["name", "suspended", "notice", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]
