"""The one place that decides what a user may see and do: roles × the office's province.

A user's scope comes from their staff record: the office's province (every province for a national
office) and their roles. Anything missing — no staff record, no office, no matching role — means
nothing is allowed. Selectors filter with `Scope.filter`; APIs and views ask `Scope.can`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.errors import NotAllowed


class Role(models.TextChoices):
    CLERK = "clerk", _("窗口受理")
    REVIEWER = "reviewer", _("经办审核")
    FINANCE = "finance", _("财务清算")
    SUPERVISOR = "supervisor", _("审批")
    ADMIN = "admin", _("业务管理员")
    MINISTRY = "ministry", _("部级经办")
    AUDITOR = "auditor", _("审计")
    CHANNEL = "channel", _("线上渠道")


def province_of(region_code: str) -> str:
    """Province (settlement unit) of any 6-digit code: first two digits + '0000'."""
    return f"{region_code[:2]}0000"


@dataclass(frozen=True)
class Rule:
    """Who may do an action: any of `roles` (and every one of `also`); `anywhere` roles act
    outside their own province (a clerk accepts a periodic transfer for anyone, at any office);
    `national_only` actions are for national offices alone, `provincial_only` ones for a
    province's own offices (a national office is not any province's finance)."""

    roles: frozenset[str]
    anywhere: frozenset[str] = frozenset()
    national_only: bool = False
    provincial_only: bool = False
    also: frozenset[str] = frozenset()


def _rule(
    *roles: Role,
    anywhere: Iterable[Role] = (),
    national_only: bool = False,
    provincial_only: bool = False,
    also: Iterable[Role] = (),
) -> Rule:
    return Rule(
        frozenset(roles), frozenset(anywhere), national_only, provincial_only, frozenset(also)
    )


STAFF_ROLES = tuple(Role)

RULES: dict[str, Rule] = {
    "office.view": _rule(*STAFF_ROLES, anywhere=STAFF_ROLES),
    "person.view": _rule(
        Role.CLERK,
        Role.CHANNEL,
        Role.REVIEWER,
        Role.SUPERVISOR,
        Role.ADMIN,
        Role.MINISTRY,
        Role.AUDITOR,
        anywhere=(Role.CLERK, Role.CHANNEL),
    ),
    "person.register": _rule(Role.CLERK),
    "contribution.record": _rule(Role.CLERK),
    "module.switch": _rule(Role.ADMIN, national_only=True),
    # Transfers: a periodic case is accepted at any office (or online) and followed by the
    # clerks and channels anywhere; reviewers act for their province as outgoing or incoming side.
    "transfer.apply": _rule(Role.CLERK, Role.CHANNEL, anywhere=(Role.CLERK, Role.CHANNEL)),
    "transfer.view": _rule(
        Role.CLERK,
        Role.CHANNEL,
        Role.REVIEWER,
        Role.FINANCE,
        Role.SUPERVISOR,
        Role.MINISTRY,
        Role.AUDITOR,
        anywhere=(Role.CLERK, Role.CHANNEL),
    ),
    "transfer.materials": _rule(
        Role.CLERK, Role.REVIEWER, Role.SUPERVISOR, Role.MINISTRY, Role.AUDITOR
    ),
    "transfer.recheck": _rule(Role.MINISTRY, national_only=True),
    "transfer.outgoing": _rule(Role.REVIEWER),  # info sheet, refuse: the outgoing province
    # confirm, return; traditional model: issue the contact letter, reject: the incoming province
    "transfer.incoming": _rule(Role.REVIEWER),
    "transfer.remit": _rule(Role.FINANCE),  # traditional: the outgoing province's finance
    "transfer.receive": _rule(Role.FINANCE),  # traditional: the incoming province's finance
    "transfer.withdraw": _rule(Role.CLERK, Role.CHANNEL),  # and only the accepting office/client
    # Refunds: applied for at any window (or online), decided and paid by the refunding
    # province's supervisor and finance.
    "refund.apply": _rule(Role.CLERK, Role.CHANNEL, anywhere=(Role.CLERK, Role.CHANNEL)),
    "refund.view": _rule(
        Role.CLERK,
        Role.CHANNEL,
        Role.SUPERVISOR,
        Role.FINANCE,
        Role.MINISTRY,
        Role.AUDITOR,
        anywhere=(Role.CLERK, Role.CHANNEL),
    ),
    "refund.approve": _rule(Role.SUPERVISOR),
    "refund.pay": _rule(Role.FINANCE),
    # Whitelist: any window may run the retirement pre-check; the benefit province's admin makes
    # an entry (offline), one of its supervisors — never the maker — approves or rejects it.
    "whitelist.precheck": _rule(
        Role.CLERK,
        Role.CHANNEL,
        Role.ADMIN,
        Role.SUPERVISOR,
        Role.REVIEWER,
        Role.MINISTRY,
        Role.AUDITOR,
        anywhere=(Role.CLERK, Role.CHANNEL),
    ),
    "whitelist.view": _rule(Role.CLERK, Role.ADMIN, Role.SUPERVISOR, Role.MINISTRY, Role.AUDITOR),
    "whitelist.make": _rule(Role.ADMIN, provincial_only=True),
    "whitelist.check": _rule(Role.SUPERVISOR, provincial_only=True),
    "whitelist.revoke": _rule(Role.ADMIN, Role.SUPERVISOR, provincial_only=True),
    # Clearing: finance sees its province's rows (the ministry and auditors all of them); the
    # ministry's finance runs the batch; each province's own finance confirms its statement and
    # pays its instructions; the ministry records adjustments.
    "clearing.view": _rule(Role.FINANCE, Role.MINISTRY, Role.AUDITOR),
    "clearing.run": _rule(Role.FINANCE, also=(Role.MINISTRY,), national_only=True),
    "clearing.statement": _rule(Role.FINANCE, provincial_only=True),
    "clearing.pay": _rule(Role.FINANCE, provincial_only=True),
    "clearing.adjust": _rule(Role.MINISTRY, national_only=True),
}


@dataclass(frozen=True)
class Scope:
    username: str = ""
    roles: frozenset[str] = frozenset()
    office_code: str | None = None
    office_name: str = ""
    province: str | None = None
    national: bool = False
    role_labels: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return self.office_code is not None and (self.national or self.province is not None)

    def has_role(self, *roles: str) -> bool:
        return self.active and bool(self.roles.intersection(roles))

    def covers(self, region_code: str) -> bool:
        """Whether a region (any level) lies in this user's province scope."""
        return self.active and (self.national or province_of(region_code) == self.province)

    def can(self, action: str, provinces: Iterable[str] | None = None) -> bool:
        """May this user do `action`; with `provinces`, on a record touching those provinces."""
        rule = RULES[action]
        held = self.roles & rule.roles
        if (
            not self.active
            or not held
            or not rule.also <= self.roles
            or (rule.national_only and not self.national)
            or (rule.provincial_only and self.national)
        ):
            return False
        if provinces is None or self.national or held & rule.anywhere:
            return True
        return any(province_of(code) == self.province for code in provinces)

    def require(self, action: str, provinces: Iterable[str] | None = None) -> None:
        if not self.can(action, provinces):
            raise NotAllowed("您的角色或所属省份无权办理此业务。")

    def filter(self, queryset: QuerySet, *province_fields: str) -> QuerySet:
        """Rows whose province (any of `province_fields`) is in scope; nothing when inactive."""
        if not self.active:
            return queryset.none()
        if self.national:
            return queryset
        condition = Q()
        for name in province_fields:
            condition |= Q(**{name: self.province})
        return queryset.filter(condition)


NO_SCOPE = Scope()


def scope_for(user) -> Scope:
    """Build the scope of a request's user. Fails closed: anything missing gives NO_SCOPE."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_pension_scope", None)
    if cached is not None:
        return cached
    staff = getattr(user, "staff", None)
    office = getattr(staff, "office", None) if staff is not None else None
    if office is None:
        scope = Scope(username=user.get_username())
    else:
        roles = frozenset(staff.roles.values_list("role", flat=True))
        scope = Scope(
            username=user.get_username(),
            roles=roles,
            office_code=office.code,
            office_name=office.name,
            province=office.province_id,
            national=office.national,
            role_labels=tuple(Role(role).label for role in Role if role in roles),
        )
    user._pension_scope = scope
    return scope
