"""Fixtures for staff page tests: a signed-in Django test client per role."""

from __future__ import annotations

import pytest
from django.test import Client

from membercard.core.models import Role
from tests import factories as f


def signed_in(role: Role, location=None) -> Client:
    """A test client signed in as a new staff member with ``role`` (at S01 for store roles).
    HQ roles and managers come with an enrolled authenticator and a session that passed it
    (``tests.factories.staff``); ``tests/security/test_signin.py`` tests the real steps."""
    staff = f.staff(role, location)
    client = Client()
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def client_for(db):
    """``client_for(Role.STORE_CASHIER)`` -> a signed-in client."""
    return signed_in
