"""Staff pages of clearing, under /clearing/ (names without a namespace, as the navigation in
registry/context_processors.py names them)."""

from django.urls import path

from clearing import views

urlpatterns = [
    path("", views.period_list, name="clearing-periods"),
    path("<month:month>/", views.period_detail, name="clearing-period"),
    path("<month:month>/run/", views.period_run, name="clearing-period-run"),
    path(
        "<month:month>/instructions/<int:index>/paid/",
        views.instruction_paid,
        name="clearing-instruction-paid",
    ),
    path(
        "<month:month>/statements/<str:province>/",
        views.statement_detail,
        name="clearing-statement",
    ),
    path(
        "<month:month>/statements/<str:province>/confirm/",
        views.statement_confirm,
        name="clearing-statement-confirm",
    ),
    path(
        "<month:month>/statements/<str:province>/dispute/",
        views.statement_dispute,
        name="clearing-statement-dispute",
    ),
]
