"""Addresses of the audit pages (names are in the ``web`` namespace)."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import audit

urlpatterns: list = [
    path("", audit.audit_list, name="audit"),
    path("export.csv", audit.audit_export, name="audit-export"),
]
