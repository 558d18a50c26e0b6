"""Addresses of the days pages (names are in the ``web`` namespace): the store manager's
business day, Z reports, and HQ finance's reconciliation board."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import days, reconciliation

urlpatterns: list = [
    path("", days.days, name="days"),
    path("<str:day>/close/", days.close, name="day-close"),
    path("z/<str:code>/<str:day>.pdf", days.z_report, name="day-z-report"),
    path("reopen/<str:code>/<str:day>/", days.reopen, name="day-reopen"),
    path("reconciliation/", reconciliation.board, name="reconciliation"),
    path(
        "reconciliation/<str:code>/<str:day>/",
        reconciliation.store_day,
        name="reconciliation-day",
    ),
    path(
        "reconciliation/<str:code>/<str:day>/deposit/",
        reconciliation.deposit,
        name="reconciliation-deposit",
    ),
]
