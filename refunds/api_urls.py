"""API routes of refunds (API.md "Refunds"), included under /api/v1/ as `api:refund-…`."""

from django.urls import path

from refunds import apis

urlpatterns = [
    path(
        "persons/<str:id_number>/duplicates/",
        apis.PersonDuplicatesApi.as_view(),
        name="refund-duplicates",
    ),
    path("refunds/", apis.RefundCollectionApi.as_view(), name="refund-list"),
    path("refunds/<str:refund_no>/", apis.RefundDetailApi.as_view(), name="refund-detail"),
    path(
        "refunds/<str:refund_no>/approve/", apis.RefundApproveApi.as_view(), name="refund-approve"
    ),
    path("refunds/<str:refund_no>/reject/", apis.RefundRejectApi.as_view(), name="refund-reject"),
    path("refunds/<str:refund_no>/pay/", apis.RefundPayApi.as_view(), name="refund-pay"),
]
