"""Helpers for the browser tests: a card reader typing Track 2, a key-press counter,
signing in through the login form, staff with a known password."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercard.cards.models import Card
from membercard.core.models import Location, Role, Staff
from tests import factories as f

PASSWORD = "browser-test-pw"


def track2(number: str, expiry_yymm: str = "3012") -> str:
    """What a magstripe reader types for Track 2: start sentinel, PAN, separator, expiry,
    service code and discretionary data, end sentinel."""
    return f";{number}={expiry_yymm}1010000000000?"


@dataclass
class Keyboard:
    """Presses keys like a cashier and counts them (``type`` counts one per character)."""

    page: object
    presses: list[str] = field(default_factory=list)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses.extend(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses.append(key)

    @property
    def count(self) -> int:
        return len(self.presses)


def staff(role: Role, location: Location | None = None, language: str = "") -> Staff:
    """A staff member who signs in with ``PASSWORD`` (head office exists: the house
    accounts of every sale live there)."""
    f.hq()
    member = f.staff(role, location, password=PASSWORD)
    if language:
        member.language = language
        member.save(update_fields=["language"])
    return member


def log_in(page, member: Staff, password: str = PASSWORD) -> None:
    """Sign in through the login form, as staff do, and wait for the page after it; whoever
    has an authenticator (HQ roles and managers always) types its current code next."""
    page.goto("/login/")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    device = TOTPDevice.objects.filter(user=member, confirmed=True).first()
    if device is not None:
        page.wait_for_url("**/account/second-factor/**")
        page.fill("input[name=token]", f.totp_code(device))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/account/second-factor/" not in url)


# htmx marks what it is working on: a request in flight, content being swapped in or
# settling (new forms are wired up only once settled).
_HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling"


def sign_in(page, member: Staff) -> None:
    """A signed-in session without the login form (for tests about other things): the
    session cookie Django's test client makes, handed to the browser (the second factor
    passed through the device ``tests.factories.staff`` enrols)."""
    client = Client()
    client.force_login(member)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    # The live server listens on localhost (pytest-django's default).
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "domain": "localhost", "path": "/"}]
    )


def wait_for_focus(page, element_id: str) -> None:
    """Wait until ``element_id`` has the focus and htmx has finished with the page: what a
    cashier sees before pressing the next key."""
    page.wait_for_function(
        """([id, busy]) => document.activeElement && document.activeElement.id === id
                          && !document.querySelector(busy)""",
        arg=[element_id, _HTMX_BUSY],
    )


def swipe(page, card: Card) -> None:
    """Swipe ``card`` through a keyboard-wedge reader: it types Track 2 and Enter into
    whatever field has the focus (the counter keeps it on ``#card-input``)."""
    wait_for_focus(page, "card-input")
    page.keyboard.type(track2(card.number))
    page.keyboard.press("Enter")
