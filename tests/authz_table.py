"""The authorization matrix: every URL of `settings.urls` × every role × own / other province.

One row per URL pattern (its route as `get_resolver()` spells it). Each row has one or more
probes: a method, a path template (filled from the test's data: {transfer_no}, {refund_no}, …),
a body, and who may pass — `grant(...)` below, written from API.md / DESIGN.md / common.scope —
with the two offices that are "own" and "other" for that record. Writes send a body that passes
validation but hits a record in a terminal state (a completed transfer, a closed clearing period,
a rejected refund / whitelist entry) or an empty body where validation runs after the role
check: an allowed user gets 400/409 (or a page's non-refusal redirect), a forbidden one 403
(or 404 where the record is hidden by scope) — no side effects.

Offices: bj = 海淀 110108 (province 110000), jl = 吉林省 220000, gd = 广东省 440000 (a third
province, for records that touch both Beijing and Jilin), nat = the national office (MOH).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = (
    "clerk",
    "reviewer",
    "finance",
    "supervisor",
    "admin",
    "ministry",
    "auditor",
    "channel",
    "ministry+finance",  # the ministry's finance (runs the clearing batch)
)
ALL = frozenset(r for r in ROLES if "+" not in r)
PLACES = ("own", "other", "national")

# who(user_roles, place) -> allowed?
Who = Callable[[frozenset[str], str], bool]


def grant(
    *roles: str,
    where: str = "any",
    anywhere: tuple[str, ...] = (),
    also: tuple[str, ...] = (),
) -> Who:
    """`where`: any (role alone), own (the record's province, or a national office), own_only
    (the record's province; a national office is no province's), national (national office
    only), provincial (any provincial office, not national)."""

    def who(user_roles: frozenset[str], place: str) -> bool:
        held = user_roles & set(roles)
        if not held or not set(also) <= user_roles:
            return False
        if held & set(anywhere):
            return True
        return {
            "any": True,
            "own": place in ("own", "national"),
            "own_only": place == "own",
            "national": place == "national",
            "provincial": place in ("own", "other"),
        }[where]

    return who


def nobody(user_roles: frozenset[str], place: str) -> bool:
    return False


def staff(user_roles: frozenset[str], place: str) -> bool:
    return True


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    who: Who
    body: dict | None = None
    own: str = "bj"
    other: str = "jl"
    anonymous: bool = False  # reachable without logging in
    no_office: bool = False  # reachable by a logged-in user without a staff office
    api: bool = True
    reads: bool = False  # a POST that only reads (the retirement pre-check): 200 when allowed
    format: str = "json"
    # a list: when reachable, it names data[shows] exactly for the users `sees` (own / other as
    # this probe's), e.g. a reviewer of 广东 lists transfers but never the 吉林→北京 one
    shows: str = ""
    sees: Who | None = None


@dataclass(frozen=True)
class Row:
    route: str
    probes: tuple[Probe, ...] = field(default=())


def api(route, *probes):
    return Row("api/v1/" + route, probes)


def page(route, *probes):
    return Row(route, tuple(Probe(**{**p.__dict__, "api": False}) for p in probes))


def P(method, path, who, body=None, **kw):
    return Probe(method, path, who, body, **kw)


# --- what each action needs (API.md tables, common.scope.RULES) ------------------------------
PERSON_VIEW = grant(
    "clerk",
    "channel",
    "reviewer",
    "supervisor",
    "admin",
    "ministry",
    "auditor",
    where="own",
    anywhere=("clerk", "channel"),
)
PERSON_VIEW_ROLE = grant(
    "clerk", "channel", "reviewer", "supervisor", "admin", "ministry", "auditor"
)
TRANSFER_VIEW_ROLES = (
    "clerk",
    "channel",
    "reviewer",
    "finance",
    "supervisor",
    "ministry",
    "auditor",
)
TRANSFER_VIEW = grant(*TRANSFER_VIEW_ROLES, where="own", anywhere=("clerk", "channel"))
TRANSFER_VIEW_ROLE = grant(*TRANSFER_VIEW_ROLES)
MATERIALS = grant("clerk", "reviewer", "supervisor", "ministry", "auditor", where="own")
INCOMING = grant("reviewer", where="own")  # leg 220000 → 110000: own = bj, other = jl
OUTGOING = grant("reviewer", where="own")  # own = jl, other = bj
APPLY = grant("clerk", "channel")
CLEARING_VIEW = grant("finance", "ministry", "auditor")
CLEARING_RUN = grant("finance", where="national", also=("ministry",))
CLEARING_PROVINCE = grant("finance", where="own_only")
REFUND_VIEW_ROLES = ("clerk", "channel", "supervisor", "finance", "ministry", "auditor")
REFUND_VIEW = grant(*REFUND_VIEW_ROLES, where="own", anywhere=("clerk", "channel"))
# lists are the province's work: a clerk of 吉林 opens a 北京 refund by its number (a window
# follows up any case) but does not find it in 吉林's list
TRANSFER_LISTED = grant(*TRANSFER_VIEW_ROLES, where="own")
REFUND_LISTED = grant(*REFUND_VIEW_ROLES, where="own")
WL_VIEW_ROLES = ("clerk", "admin", "supervisor", "ministry", "auditor")
WL_VIEW = grant(*WL_VIEW_ROLES, where="own")
WL_PRECHECK_ROLES = ("clerk", "channel", "admin", "supervisor", "reviewer", "ministry", "auditor")

NOTE = {"note": "矩阵测试"}
PAGE_POST = {  # every page action's fields, valid; the record's state refuses the action
    "note": "矩阵测试",
    "code": "OTHER",
    "amount_yuan": "1.00",
    "voucher_no": "V-MATRIX",
    "bank_ref": "B-MATRIX",
    "reason": "矩阵测试",
}
T = "transfers/{transfer_no}/"
R = "refunds/{refund_no}/"
W = "whitelist/{entry_no}/"
C = "clearing/periods/{month}/"

TABLE: tuple[Row, ...] = (
    # --- API ------------------------------------------------------------------------------
    api("auth/token/", P("POST", "/api/v1/auth/token/", staff, {}, anonymous=True, no_office=True)),
    api("persons/", P("POST", "/api/v1/persons/", grant("clerk"), {})),
    api(
        "persons/<str:id_number>/",
        P("GET", "/api/v1/persons/{id_number}/", PERSON_VIEW, other="gd"),
    ),
    api(
        "persons/<str:id_number>/contributions/",
        P("POST", "/api/v1/persons/{id_number}/contributions/", grant("clerk"), {}),
    ),
    api("offices/", P("GET", "/api/v1/offices/", grant(*ALL))),
    api("regions/", P("GET", "/api/v1/regions/", grant(*ALL))),
    api(
        "modules/<str:name>/",
        P("PUT", "/api/v1/modules/refunds/", grant("admin", where="national"), {}),
    ),
    api("transfer-applications/", P("POST", "/api/v1/transfer-applications/", APPLY, {})),
    api(
        "transfer-applications/<str:application_no>/materials/",
        P(
            "POST",
            "/api/v1/transfer-applications/{application_no}/materials/",
            APPLY,
            {},
            format="multipart",
        ),
    ),
    api(
        "transfers/",
        P(
            "GET",
            "/api/v1/transfers/",
            TRANSFER_VIEW_ROLE,
            other="gd",
            shows="transfer_no",
            sees=TRANSFER_LISTED,
        ),
    ),
    api("transfers/<str:transfer_no>/", P("GET", "/api/v1/" + T, TRANSFER_VIEW, other="gd")),
    api(
        "transfers/<str:transfer_no>/recheck/",
        P("POST", f"/api/v1/{T}recheck/", grant("ministry", where="national"), {}),
    ),
    api(
        "transfers/<str:transfer_no>/issue-letter/",
        P("POST", f"/api/v1/{T}issue-letter/", INCOMING, {}),
    ),
    api("transfers/<str:transfer_no>/reject/", P("POST", f"/api/v1/{T}reject/", INCOMING, NOTE)),
    api("transfers/<str:transfer_no>/confirm/", P("POST", f"/api/v1/{T}confirm/", INCOMING, {})),
    api("transfers/<str:transfer_no>/return/", P("POST", f"/api/v1/{T}return/", INCOMING, NOTE)),
    api(
        "transfers/<str:transfer_no>/info-sheet/",
        P("POST", f"/api/v1/{T}info-sheet/", OUTGOING, {}, own="jl", other="bj"),
    ),
    api(
        "transfers/<str:transfer_no>/refuse/",
        P(
            "POST",
            f"/api/v1/{T}refuse/",
            OUTGOING,
            {"code": "OTHER", "note": "x"},
            own="jl",
            other="bj",
        ),
    ),
    api(
        "transfers/<str:transfer_no>/remit/",
        P(
            "POST",
            f"/api/v1/{T}remit/",
            grant("finance", where="own"),
            {"amount_fen": 1, "voucher_no": "V"},
            own="jl",
            other="bj",
        ),
    ),
    api(
        "transfers/<str:transfer_no>/receive/",
        P("POST", f"/api/v1/{T}receive/", grant("finance", where="own"), {"amount_fen": 1}),
    ),
    # withdraw: clerk or channel, only the accepting office (海淀) or the submitting client
    api(
        "transfers/<str:transfer_no>/withdraw/",
        P("POST", f"/api/v1/{T}withdraw/", grant("clerk", where="own_only"), NOTE),
    ),
    api(
        "progress/",
        P(
            "GET",
            "/api/v1/progress/?id_number={leg_id_number}",
            TRANSFER_VIEW_ROLE,
            other="gd",
            shows="transfer_no",
            sees=TRANSFER_VIEW,
        ),
    ),
    api("clearing/periods/", P("GET", "/api/v1/clearing/periods/", CLEARING_VIEW)),
    api("clearing/periods/<month:month>/", P("GET", "/api/v1/" + C, CLEARING_VIEW)),
    api("clearing/periods/<month:month>/run/", P("POST", f"/api/v1/{C}run/", CLEARING_RUN, {})),
    api(
        "clearing/periods/<month:month>/progress/", P("GET", f"/api/v1/{C}progress/", CLEARING_VIEW)
    ),
    api(
        "clearing/periods/<month:month>/statements/<str:province>/confirm/",
        P("POST", f"/api/v1/{C}statements/110000/confirm/", CLEARING_PROVINCE, {}),
    ),
    api(
        "clearing/periods/<month:month>/statements/<str:province>/dispute/",
        P("POST", f"/api/v1/{C}statements/110000/dispute/", CLEARING_PROVINCE, NOTE),
    ),
    api(
        "clearing/periods/<month:month>/instructions/<int:index>/paid/",
        P(
            "POST",
            f"/api/v1/{C}instructions/0/paid/",
            CLEARING_PROVINCE,
            {"bank_ref": "B-2"},
            own="jl",
            other="bj",
        ),
    ),
    api(
        "clearing/periods/<month:month>/export.xlsx",
        P("GET", f"/api/v1/{C}export.xlsx", CLEARING_VIEW),
    ),
    api(
        "clearing/periods/<month:month>/export.csv",
        P("GET", f"/api/v1/{C}export.csv", CLEARING_VIEW),
    ),
    api(
        "clearing/adjustments/",
        P("POST", "/api/v1/clearing/adjustments/", grant("ministry", where="national"), {}),
    ),
    api(
        "persons/<str:id_number>/duplicates/",
        P("GET", "/api/v1/persons/{id_number}/duplicates/", PERSON_VIEW, other="gd"),
    ),
    api(
        "refunds/",
        P(
            "GET",
            "/api/v1/refunds/",
            grant(*REFUND_VIEW_ROLES),
            shows="refund_no",
            sees=REFUND_LISTED,
        ),
        P("POST", "/api/v1/refunds/", APPLY, {}),
    ),
    api("refunds/<str:refund_no>/", P("GET", "/api/v1/" + R, REFUND_VIEW)),
    api(
        "refunds/<str:refund_no>/approve/",
        P("POST", f"/api/v1/{R}approve/", grant("supervisor", where="own"), {}),
    ),
    api(
        "refunds/<str:refund_no>/reject/",
        P("POST", f"/api/v1/{R}reject/", grant("supervisor", where="own"), NOTE),
    ),
    api(
        "refunds/<str:refund_no>/pay/",
        P("POST", f"/api/v1/{R}pay/", grant("finance", where="own"), {"voucher_no": "V"}),
    ),
    api(
        "retirement-precheck/",
        P(
            "POST",
            "/api/v1/retirement-precheck/",
            grant(*WL_PRECHECK_ROLES, where="own", anywhere=("clerk", "channel")),
            {"id_number": "{id_number}", "benefit_region": "110000"},
            reads=True,
        ),
    ),
    api(
        "whitelist/",
        P("GET", "/api/v1/whitelist/", grant(*WL_VIEW_ROLES), shows="entry_no", sees=WL_VIEW),
        P("POST", "/api/v1/whitelist/", grant("admin", where="provincial"), {}),
    ),
    api("whitelist/<str:entry_no>/", P("GET", "/api/v1/" + W, WL_VIEW)),
    api("whitelist/<str:entry_no>/evidence/", P("GET", f"/api/v1/{W}evidence/", WL_VIEW)),
    api(
        "whitelist/<str:entry_no>/approve/",
        P("POST", f"/api/v1/{W}approve/", grant("supervisor", where="own_only"), {}),
    ),
    api(
        "whitelist/<str:entry_no>/reject/",
        P("POST", f"/api/v1/{W}reject/", grant("supervisor", where="own_only"), NOTE),
    ),
    api(
        "whitelist/<str:entry_no>/revoke/",
        P(
            "POST",
            f"/api/v1/{W}revoke/",
            grant("admin", "supervisor", where="own_only"),
            {"reason": "x"},
        ),
    ),
    # schema and docs: any signed-in user (SERVE_PERMISSIONS = IsAuthenticated)
    Row("api/schema/", (P("GET", "/api/schema/", staff, no_office=True),)),
    Row("api/docs/", (P("GET", "/api/docs/", staff, no_office=True),)),
    # --- HTML pages -------------------------------------------------------------------------
    page("", P("GET", "/", staff, no_office=True)),
    page("login/", P("GET", "/login/", staff, anonymous=True, no_office=True)),
    page("persons/", P("GET", "/persons/", PERSON_VIEW_ROLE)),
    page("offices/", P("GET", "/offices/", grant(*ALL))),
    page("modules/", P("GET", "/modules/", grant("admin", where="national"))),
    page("transfers/new/", P("GET", "/transfers/new/", grant("clerk"))),
    page(
        "transfers/applications/<no:application_no>/receipt/",
        P("GET", "/transfers/applications/{application_no}/receipt/", TRANSFER_VIEW, other="gd"),
    ),
    page("transfers/work/review/", P("GET", "/transfers/work/review/", grant("reviewer"))),
    page("transfers/work/outgoing/", P("GET", "/transfers/work/outgoing/", grant("reviewer"))),
    page("transfers/work/incoming/", P("GET", "/transfers/work/incoming/", grant("reviewer"))),
    page("transfers/work/remit/", P("GET", "/transfers/work/remit/", grant("finance"))),
    page("transfers/work/receive/", P("GET", "/transfers/work/receive/", grant("finance"))),
    page(
        "transfers/progress/",
        P(
            "GET",
            "/transfers/progress/?id_number={leg_id_number}",
            TRANSFER_VIEW_ROLE,
            other="gd",
            shows="transfer_no",
            sees=TRANSFER_VIEW,
        ),
    ),
    page(
        "transfers/materials/<int:material_id>/",
        P("GET", "/transfers/materials/{material_id}/", MATERIALS, other="gd"),
    ),
    page("transfers/<no:transfer_no>/", P("GET", "/" + T, TRANSFER_VIEW, other="gd")),
    page("transfers/<no:transfer_no>/letter/", P("GET", f"/{T}letter/", TRANSFER_VIEW, other="gd")),
    page(
        "transfers/<no:transfer_no>/recheck/",
        P("POST", f"/{T}recheck/", grant("ministry", where="national"), PAGE_POST),
    ),
    page(
        "transfers/<no:transfer_no>/issue-letter/",
        P("POST", f"/{T}issue-letter/", INCOMING, PAGE_POST),
    ),
    page("transfers/<no:transfer_no>/reject/", P("POST", f"/{T}reject/", INCOMING, PAGE_POST)),
    page("transfers/<no:transfer_no>/confirm/", P("POST", f"/{T}confirm/", INCOMING, PAGE_POST)),
    page("transfers/<no:transfer_no>/return/", P("POST", f"/{T}return/", INCOMING, PAGE_POST)),
    page(
        "transfers/<no:transfer_no>/info-sheet/",
        P("POST", f"/{T}info-sheet/", OUTGOING, PAGE_POST, own="jl", other="bj"),
    ),
    page(
        "transfers/<no:transfer_no>/refuse/",
        P("POST", f"/{T}refuse/", OUTGOING, PAGE_POST, own="jl", other="bj"),
    ),
    page(
        "transfers/<no:transfer_no>/remit/",
        P("POST", f"/{T}remit/", grant("finance", where="own"), PAGE_POST, own="jl", other="bj"),
    ),
    page(
        "transfers/<no:transfer_no>/receive/",
        P("POST", f"/{T}receive/", grant("finance", where="own"), PAGE_POST),
    ),
    page(
        "transfers/<no:transfer_no>/withdraw/",
        P("POST", f"/{T}withdraw/", grant("clerk", where="own_only"), PAGE_POST),
    ),
    page("clearing/", P("GET", "/clearing/", CLEARING_VIEW)),
    page("clearing/<month:month>/", P("GET", "/clearing/{month}/", CLEARING_VIEW)),
    page(
        "clearing/<month:month>/run/", P("POST", "/clearing/{month}/run/", CLEARING_RUN, PAGE_POST)
    ),
    page(
        "clearing/<month:month>/instructions/<int:index>/paid/",
        P(
            "POST",
            "/clearing/{month}/instructions/0/paid/",
            CLEARING_PROVINCE,
            PAGE_POST,
            own="jl",
            other="bj",
        ),
    ),
    page(
        "clearing/<month:month>/statements/<str:province>/",
        P(
            "GET",
            "/clearing/{month}/statements/110000/",
            grant("finance", "ministry", "auditor", where="own"),
        ),
    ),
    page(
        "clearing/<month:month>/statements/<str:province>/confirm/",
        P("POST", "/clearing/{month}/statements/110000/confirm/", CLEARING_PROVINCE, PAGE_POST),
    ),
    page(
        "clearing/<month:month>/statements/<str:province>/dispute/",
        P("POST", "/clearing/{month}/statements/110000/dispute/", CLEARING_PROVINCE, PAGE_POST),
    ),
    page(
        "refunds/",
        P("GET", "/refunds/", grant(*REFUND_VIEW_ROLES), shows="refund_no", sees=REFUND_LISTED),
    ),
    page("refunds/new/", P("GET", "/refunds/new/", grant("clerk"))),
    page("refunds/work/approve/", P("GET", "/refunds/work/approve/", grant("supervisor"))),
    page("refunds/work/pay/", P("GET", "/refunds/work/pay/", grant("finance"))),
    page("refunds/<refund_no:refund_no>/", P("GET", "/" + R, REFUND_VIEW)),
    page(
        "refunds/<refund_no:refund_no>/approve/",
        P("POST", f"/{R}approve/", grant("supervisor", where="own"), PAGE_POST),
    ),
    page(
        "refunds/<refund_no:refund_no>/reject/",
        P("POST", f"/{R}reject/", grant("supervisor", where="own"), PAGE_POST),
    ),
    page(
        "refunds/<refund_no:refund_no>/pay/",
        P("POST", f"/{R}pay/", grant("finance", where="own"), PAGE_POST),
    ),
    page(
        "whitelist/",
        P("GET", "/whitelist/", grant(*WL_VIEW_ROLES), shows="entry_no", sees=WL_VIEW),
    ),
    page("whitelist/precheck/", P("GET", "/whitelist/precheck/", grant(*WL_PRECHECK_ROLES))),
    page("whitelist/new/", P("GET", "/whitelist/new/", grant("admin", where="provincial"))),
    # 待审核: the pending entries the user may see (whitelist.view), approve buttons for supervisors
    page("whitelist/work/", P("GET", "/whitelist/work/", grant(*WL_VIEW_ROLES))),
    page("whitelist/<entry_no:entry_no>/", P("GET", "/" + W, WL_VIEW)),
    page("whitelist/<entry_no:entry_no>/evidence/", P("GET", f"/{W}evidence/", WL_VIEW)),
    page(
        "whitelist/<entry_no:entry_no>/approve/",
        P("POST", f"/{W}approve/", grant("supervisor", where="own_only"), PAGE_POST),
    ),
    page(
        "whitelist/<entry_no:entry_no>/reject/",
        P("POST", f"/{W}reject/", grant("supervisor", where="own_only"), PAGE_POST),
    ),
    page(
        "whitelist/<entry_no:entry_no>/revoke/",
        P("POST", f"/{W}revoke/", grant("admin", "supervisor", where="own_only"), PAGE_POST),
    ),
    # last: it ends the session of the client that walks it
    page("logout/", P("POST", "/logout/", staff, anonymous=True, no_office=True)),
)

# Not walked cell by cell, with the reason; the test still checks each exists and is guarded.
EXEMPT = {
    "admin/": "Django admin: its own is_staff check (every admin/ route); the test checks an "
    "anonymous and a staff-role user without is_staff are sent to the admin login",
}
PUBLIC_OPTIONAL = {"health/"}  # added by another change; public when present
