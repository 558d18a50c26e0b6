"""Addresses of the backoffice pages (names are in the ``web`` namespace)."""

from __future__ import annotations

urlpatterns: list = []
