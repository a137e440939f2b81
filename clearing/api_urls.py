"""API routes of clearing (API.md "Clearing"), included under /api/v1/ as `api:clearing-…`."""

from django.urls import path

from clearing import apis

urlpatterns = [
    path("clearing/periods/", apis.PeriodListApi.as_view(), name="clearing-period-list"),
    path(
        "clearing/periods/<month:month>/",
        apis.PeriodDetailApi.as_view(),
        name="clearing-period-detail",
    ),
    path(
        "clearing/periods/<month:month>/run/",
        apis.PeriodRunApi.as_view(),
        name="clearing-period-run",
    ),
    path(
        "clearing/periods/<month:month>/progress/",
        apis.PeriodProgressApi.as_view(),
        name="clearing-period-progress",
    ),
    path(
        "clearing/periods/<month:month>/statements/<str:province>/confirm/",
        apis.StatementConfirmApi.as_view(),
        name="clearing-statement-confirm",
    ),
    path(
        "clearing/periods/<month:month>/statements/<str:province>/dispute/",
        apis.StatementDisputeApi.as_view(),
        name="clearing-statement-dispute",
    ),
    path(
        "clearing/periods/<month:month>/instructions/<int:index>/paid/",
        apis.InstructionPaidApi.as_view(),
        name="clearing-instruction-paid",
    ),
    path(
        "clearing/periods/<month:month>/export.xlsx",
        apis.PeriodExportXlsxApi.as_view(),
        name="clearing-export-xlsx",
    ),
    path(
        "clearing/periods/<month:month>/export.csv",
        apis.PeriodExportCsvApi.as_view(),
        name="clearing-export-csv",
    ),
    path("clearing/adjustments/", apis.AdjustmentCreateApi.as_view(), name="clearing-adjust"),
]
