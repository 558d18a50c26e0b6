"""Shared fixtures. Factories live in tests/factories.py."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import TransactionTestCase

from membercard.ledger import guards


@pytest.fixture(scope="session", autouse=True)
def _ledger_purge_on_flush():
    """Transactional tests empty the throw-away test database after each test; on SQLite
    the append-only triggers would refuse that DELETE, so only that flush may purge."""
    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        with guards.allow_purge():
            return original(self)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(scope="session", autouse=True)
def _postgres_when_required(django_db_setup, django_db_blocker):
    """CI's PostgreSQL leg sets MEMBERCARD_REQUIRE_POSTGRES=1: never silently run on SQLite."""
    if os.environ.get("MEMBERCARD_REQUIRE_POSTGRES") == "1":
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", "this run must use PostgreSQL"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` skip on SQLite (they run in CI's PostgreSQL leg)."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("MEMBERCARD_REQUIRE_POSTGRES") == "1":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
