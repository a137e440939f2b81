"""What every page's shell shows: the user's office and roles, the navigation (with the
reviewer's worklist counts, also shown on the dashboard), and banners."""

from django.utils import timezone

from common.scope import Role, scope_for
from refunds.selectors import WORKLISTS as REFUND_WORKLISTS
from refunds.selectors import worklist_counts as refund_worklist_counts
from registry.models import ModuleSwitch
from registry.selectors import maintenance_window_notice, suspended_modules
from registry.workdays import calendar_warnings
from transfer.selectors import WORKLISTS, worklist_counts
from whitelist.selectors import pending_count as whitelist_pending_count


def staff_shell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    labels = dict(ModuleSwitch.Module.choices)
    banners = [
        {"level": "danger", "text": f"{labels.get(name, name)}：{notice}"}
        for name, notice in sorted(suspended_modules().items())
    ]
    if notice := maintenance_window_notice():
        banners.append({"level": "warning", "text": notice})
    banners += [{"level": "info", "text": w} for w in calendar_warnings(timezone.localdate())]
    nav = [{"url": "dashboard", "label": "工作台"}]
    if scope.has_role(Role.CLERK) and scope.can("transfer.apply"):
        nav.append({"url": "transfer-new", "label": "新建申请"})
    if scope.has_role(Role.CLERK) and scope.can("refund.apply"):
        nav.append({"url": "refund-new", "label": "重复缴费退费"})
    counts = worklist_counts(scope=scope)
    work_tiles = [
        {"name": name, "url": f"transfer-work-{name}", "label": work.label, **counts[name]}
        for name, work in WORKLISTS.items()
        if name in counts
    ]
    nav += work_tiles
    nav += [
        {"url": f"refund-work-{name}", "label": REFUND_WORKLISTS[name][0], "total": total}
        for name, total in refund_worklist_counts(scope=scope).items()
    ]
    if scope.can("whitelist.precheck"):
        nav.append({"url": "whitelist-precheck", "label": "退休预校验"})
    if (pending := whitelist_pending_count(scope=scope)) is not None:
        nav.append({"url": "whitelist-work", "label": "待审核白名单", "total": pending})
    if scope.has_role(Role.ADMIN, Role.SUPERVISOR) and scope.can("whitelist.view"):
        nav.append({"url": "whitelist-list", "label": "白名单"})
    if scope.can("transfer.view"):
        nav.append({"url": "transfer-progress", "label": "进度查询"})
    if scope.can("person.view"):
        nav.append({"url": "person-lookup", "label": "参保人员查询"})
    if scope.can("clearing.view"):
        nav.append({"url": "clearing-periods", "label": "清算"})
    if scope.can("office.view"):
        nav.append({"url": "office-directory", "label": "经办机构查询"})
    if scope.can("module.switch"):
        nav.append({"url": "module-switches", "label": "模块开关"})
    return {
        "scope": scope,
        "nav": nav,
        "banners": banners,
        "worklist_counts": counts,
        "work_tiles": work_tiles,
    }
