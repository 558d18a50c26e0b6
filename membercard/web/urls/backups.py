"""Addresses of the backups pages (names are in the ``web`` namespace)."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import backups

urlpatterns = [
    path("", backups.status, name="backups"),
    path("now/", backups.back_up_now, name="backup-now"),
]
