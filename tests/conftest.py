"""Shared fixtures: fast password hashing, the usual actors. Factories live in tests/factories.py,
helpers for the ledger and card service tests in tests/ledger/helpers.py."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import TransactionTestCase

from membercard.core import guards
from membercard.core.models import Role
from tests import factories as f


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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash staff passwords and PINs with MD5 in tests.

    Production hashes them with argon2 (membercard/settings.py PASSWORD_HASHERS), which is
    deliberately slow: far too slow for the hundreds of staff and PINs the tests create.
    Argon2 stays second so a hash already made with it still verifies; the test that checks
    PINs are hashed with argon2 puts it first again. Only settings change: no database needed.
    """
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture
def cashier():
    """A cashier at store S01."""
    return f.actor(Role.STORE_CASHIER)


@pytest.fixture
def manager():
    """A store manager at store S01."""
    return f.actor(Role.STORE_MANAGER)


@pytest.fixture
def finance():
    """Finance staff at head office."""
    return f.actor(Role.HQ_FINANCE)


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
