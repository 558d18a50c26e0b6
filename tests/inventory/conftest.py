"""Fixtures shared by the card stock tests (helpers are in tests/inventory/factories.py)."""

from __future__ import annotations

import pytest

from tests.inventory import factories as inv


@pytest.fixture
def keeper():
    """HQ's stock keeper."""
    return inv.keeper()
