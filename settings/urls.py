from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.converters import MonthConverter
from common.health import health
from registry import apis as registry_apis
from registry import views as registry_views
from transfer import apis as transfer_apis

register_converter(MonthConverter, "month")

admin.site.site_header = "养老保险关系转移接续系统 管理后台"
admin.site.site_title = "管理后台"

api_v1 = [
    path("auth/token/", registry_apis.TokenObtainApi.as_view(), name="token"),
    path("persons/", registry_apis.PersonRegisterApi.as_view(), name="person-register"),
    path("persons/<str:id_number>/", registry_apis.PersonDetailApi.as_view(), name="person-detail"),
    path(
        "persons/<str:id_number>/contributions/",
        registry_apis.ContributionRecordApi.as_view(),
        name="contribution-record",
    ),
    path("offices/", registry_apis.OfficeListApi.as_view(), name="office-list"),
    path("regions/", registry_apis.RegionListApi.as_view(), name="region-list"),
    path("modules/<str:name>/", registry_apis.ModuleSwitchApi.as_view(), name="module-switch"),
    path(
        "transfer-applications/",
        transfer_apis.TransferApplicationCreateApi.as_view(),
        name="transfer-application-create",
    ),
    path(
        "transfer-applications/<str:application_no>/materials/",
        transfer_apis.MaterialUploadApi.as_view(),
        name="transfer-material-upload",
    ),
    path("transfers/", transfer_apis.TransferListApi.as_view(), name="transfer-list"),
    path(
        "transfers/<str:transfer_no>/",
        transfer_apis.TransferDetailApi.as_view(),
        name="transfer-detail",
    ),
    *[
        path(f"transfers/<str:transfer_no>/{action}/", api.as_view(), name=f"transfer-{action}")
        for action, api in [
            ("recheck", transfer_apis.TransferRecheckApi),
            ("issue-letter", transfer_apis.TransferIssueLetterApi),
            ("reject", transfer_apis.TransferRejectApi),
            ("info-sheet", transfer_apis.TransferInfoSheetApi),
            ("refuse", transfer_apis.TransferRefuseApi),
            ("confirm", transfer_apis.TransferConfirmApi),
            ("return", transfer_apis.TransferReturnApi),
            ("remit", transfer_apis.TransferRemitApi),
            ("receive", transfer_apis.TransferReceiveApi),
            ("withdraw", transfer_apis.TransferWithdrawApi),
        ]
    ],
    path("progress/", transfer_apis.ProgressApi.as_view(), name="progress"),
    path("", include("clearing.api_urls")),
    path("", include("refunds.api_urls")),
    path("", include("whitelist.api_urls")),
]

urlpatterns = [
    path("health/", health, name="health"),  # no login: load balancers and monitoring
    path("", registry_views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("persons/", registry_views.person_lookup, name="person-lookup"),
    path("offices/", registry_views.office_directory, name="office-directory"),
    path("modules/", registry_views.module_switches, name="module-switches"),
    path("transfers/", include("transfer.urls")),
    path("clearing/", include("clearing.urls")),
    path("refunds/", include("refunds.urls")),
    path("whitelist/", include("whitelist.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
