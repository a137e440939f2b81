"""Staff pages of refunds, under /refunds/ (names without a namespace, as the navigation in
registry/context_processors.py names them)."""

from django.urls import path, register_converter

from refunds import views
from refunds.selectors import WORKLISTS


class RefundNumber:
    """Refund numbers (`TF110000-20261205-00001`): letters, digits and hyphens, so anything else
    never reaches a query."""

    regex = "[0-9A-Za-z][0-9A-Za-z-]{0,39}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RefundNumber, "refund_no")

urlpatterns = [
    path("", views.refund_list, name="refund-list"),
    path("new/", views.refund_new, name="refund-new"),
    *[
        path(f"work/{name}/", views.worklist, {"name": name}, name=f"refund-work-{name}")
        for name in WORKLISTS
    ],
    path("<refund_no:refund_no>/", views.refund_detail, name="refund-detail"),
    *[
        path(
            f"<refund_no:refund_no>/{action}/",
            views.refund_action,
            {"action": action},
            name=f"refund-{action}",
        )
        for action in views.ACTIONS
    ],
]
