"""Addresses of the reports pages (names are in the ``web`` namespace)."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import reports

urlpatterns: list = [
    path("", reports.reports_index, name="reports"),
    path("<slug:name>/", reports.report_page, name="report"),
]
