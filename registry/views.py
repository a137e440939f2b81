"""Staff pages of the registry: dashboard, person lookup, office directory, module switches."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError, NotAllowed
from common.scope import Role, scope_for
from refunds.selectors import duplicates
from registry import selectors, services
from registry.models import Identity, InsuranceAccount, ModuleSwitch, Region
from registry.validators import validate_id_number
from registry.workdays import year_calendar
from transfer.selectors import place_names


@login_required
def dashboard(request):
    scope = scope_for(request.user)
    accounts = scope.filter(InsuranceAccount.objects.all(), "province_id")
    by_status = dict(accounts.values_list("status").annotate(n=Count("id")).order_by())
    today = timezone.localdate()
    return render(
        request,
        "registry/dashboard.html",
        {
            "account_counts": [
                (label, by_status.get(value, 0)) for value, label in InsuranceAccount.Status.choices
            ],
            "calendars": [year_calendar(y) for y in (today.year, today.year + 1)],
            "today": today,
        },
    )


@login_required
def person_lookup(request):
    scope = scope_for(request.user)
    if not scope.can("person.view"):
        raise NotAllowed("您的角色无权查询参保人员。")
    id_number = request.GET.get("id_number", "").strip()
    context = {"id_number": id_number, "person": None, "error": ""}
    if id_number:
        try:
            number = validate_id_number(id_number)
            context["person"] = selectors.person_get(scope=scope, id_number=number)
        except ValidationError as invalid:
            context["error"] = invalid.messages[0]
        except ApplicationError as refused:
            context["error"] = refused.message
    if context["person"] is not None:
        context["duplicates"] = _duplicate_months(context["person"])
        context["can_refund"] = scope.has_role(Role.CLERK) and scope.can("refund.apply")
    return render(request, "registry/person_lookup.html", context)


def _duplicate_months(person) -> list[dict]:
    """重复缴费月份: months paid more than once and not cleared, each with its payments."""
    twice = duplicates(person)
    names = place_names({e.region for entries in twice.values() for e in entries})
    return [
        {
            "month": month,
            "entries": [
                {
                    "place": names.get(e.region, e.region),
                    "identity": Identity(e.identity).label,
                    "base_fen": e.base_fen,
                    "refund_no": e.refund_no,
                }
                for e in entries
            ],
        }
        for month, entries in twice.items()
    ]


@login_required
def office_directory(request):
    scope = scope_for(request.user)
    province = request.GET.get("province", "")
    q = request.GET.get("q", "").strip()[:64]
    offices = selectors.office_list(
        scope=scope, province=province if province.isdigit() and len(province) == 6 else None, q=q
    )
    page = Paginator(offices, 30).get_page(request.GET.get("page"))
    provinces = Region.objects.filter(level=Region.Level.PROVINCE, settlement_unit=True)
    return render(
        request,
        "registry/office_directory.html",
        {"page": page, "q": q, "province": province, "provinces": provinces},
    )


@login_required
@require_http_methods(["GET", "POST"])
def module_switches(request):
    scope = scope_for(request.user)
    scope.require("module.switch")
    if request.method == "POST":
        try:
            switch = services.module_switch_set(
                actor=request.user,
                name=request.POST.get("name", ""),
                suspended=request.POST.get("suspended") == "1",
                notice=request.POST.get("notice", "")[:500],
            )
        except ApplicationError as refused:
            messages.error(request, refused.message)
        else:
            state = "已暂停办理" if switch.suspended else "已恢复办理"
            messages.success(request, f"{switch.get_name_display()}{state}。")
        return redirect("module-switches")
    current = {s.name: s for s in ModuleSwitch.objects.select_related("updated_by")}
    modules = [
        {"name": value, "label": label, "switch": current.get(value)}
        for value, label in ModuleSwitch.Module.choices
    ]
    return render(request, "registry/module_switches.html", {"modules": modules})
