"""The frame every staff page shares: start page, menu by role, language per staff member,
domain errors rendered once."""

from __future__ import annotations

import pytest
from django.test import Client

from membercard.core.models import Role

pytestmark = pytest.mark.django_db


def test_anonymous_start_page_offers_sign_in_and_no_figures():
    response = Client().get("/")
    assert response.status_code == 200
    assert b'href="/login/"' in response.content
    assert b"ledger operations" not in response.content


def test_hq_start_page_shows_figures(client_for):
    response = client_for(Role.HQ_ADMIN).get("/")
    assert response.status_code == 200
    assert b"ledger operations" in response.content


def test_language_is_kept_on_the_staff_record_and_used_on_every_page(client_for):
    client = client_for(Role.HQ_ADMIN)
    response = client.post("/language/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    client.staff.refresh_from_db()
    assert client.staff.language == "zh-hans"
    page = client.get("/")
    assert page.headers["Content-Language"] == "zh-hans"
    assert b'lang="zh-hans"' in page.content


def test_unknown_language_is_ignored(client_for):
    client = client_for(Role.HQ_ADMIN)
    client.post("/language/", {"language": "xx"})
    client.staff.refresh_from_db()
    assert client.staff.language == ""


def test_language_change_does_not_redirect_off_site(client_for):
    client = client_for(Role.HQ_ADMIN)
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
