"""Staff pages of the retirement pre-check and the whitelist, under /whitelist/ (names without a
namespace, as the navigation in registry/context_processors.py names them)."""

from django.urls import path, register_converter

from whitelist import views


class EntryNumber:
    """Whitelist numbers (`BM110000-20261205-00001`): letters, digits and hyphens, so anything
    else never reaches a query."""

    regex = "[0-9A-Za-z][0-9A-Za-z-]{0,39}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(EntryNumber, "entry_no")

urlpatterns = [
    path("", views.entry_list, name="whitelist-list"),
    path("precheck/", views.precheck, name="whitelist-precheck"),
    path("new/", views.entry_new, name="whitelist-new"),
    path("work/", views.worklist, name="whitelist-work"),
    path("<entry_no:entry_no>/", views.entry_detail, name="whitelist-entry"),
    path("<entry_no:entry_no>/evidence/", views.evidence_download, name="whitelist-evidence"),
    *[
        path(
            f"<entry_no:entry_no>/{action}/",
            views.entry_action,
            {"action": action},
            name=f"whitelist-{action}",
        )
        for action in views.ACTIONS
    ],
]
