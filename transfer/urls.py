"""Staff pages of the transfer workflow, under /transfers/ (names without a namespace, as the
navigation in registry/context_processors.py names them)."""

from django.urls import path, register_converter

from transfer import views
from transfer.selectors import WORKLISTS


class CaseNumber:
    """Application and transfer numbers (`110108-20261204-00017-1`): letters, digits and
    hyphens, so anything else (a NUL byte, say) never reaches a query."""

    regex = "[0-9A-Za-z][0-9A-Za-z-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseNumber, "no")

urlpatterns = [
    path("new/", views.application_new, name="transfer-new"),
    path(
        "applications/<no:application_no>/receipt/",
        views.application_receipt,
        name="transfer-receipt",
    ),
    *[
        path(f"work/{name}/", views.worklist, {"name": name}, name=f"transfer-work-{name}")
        for name in WORKLISTS
    ],
    path("progress/", views.progress, name="transfer-progress"),
    path("materials/<int:material_id>/", views.material_download, name="transfer-material"),
    path("<no:transfer_no>/", views.case, name="transfer-case"),
    path("<no:transfer_no>/letter/", views.letter, name="transfer-letter"),
    *[
        path(
            f"<no:transfer_no>/{action}/",
            views.leg_action,
            {"action": action},
            name=f"transfer-{action}",
        )
        for action in views.ACTIONS
    ],
]
