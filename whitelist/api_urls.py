"""API routes of the whitelist (API.md "Whitelist"), under /api/v1/ as `api:whitelist-…`."""

from django.urls import path

from whitelist import apis

urlpatterns = [
    path(
        "retirement-precheck/",
        apis.RetirementPrecheckApi.as_view(),
        name="whitelist-precheck",
    ),
    path("whitelist/", apis.WhitelistCollectionApi.as_view(), name="whitelist-list"),
    path("whitelist/<str:entry_no>/", apis.WhitelistDetailApi.as_view(), name="whitelist-detail"),
    path(
        "whitelist/<str:entry_no>/evidence/",
        apis.WhitelistEvidenceApi.as_view(),
        name="whitelist-evidence",
    ),
    *[
        path(f"whitelist/<str:entry_no>/{action}/", api.as_view(), name=f"whitelist-{action}")
        for action, api in [
            ("approve", apis.WhitelistApproveApi),
            ("reject", apis.WhitelistRejectApi),
            ("revoke", apis.WhitelistRevokeApi),
        ]
    ],
]
