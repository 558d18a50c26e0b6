"""Signing in through the real forms: the password, then the authenticator's code."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercard.core.models import Role
from tests import factories as f


@pytest.mark.django_db(transaction=True)
def test_a_manager_signs_in_through_the_forms_with_the_authenticator_code(page):
    from playwright.sync_api import expect

    from tests.browser.helpers import log_in
    from tests.browser.helpers import staff as browser_staff

    manager = browser_staff(Role.STORE_MANAGER, f.store())

    log_in(page, manager)  # types the password, then the app's current code

    expect(page).to_have_url(re.compile(r"/counter/$"))
    assert TOTPDevice.objects.get(user=manager).last_t > 0
