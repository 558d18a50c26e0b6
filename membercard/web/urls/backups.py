"""Addresses of the backups pages (names are in the ``web`` namespace)."""

from __future__ import annotations

urlpatterns: list = []
