"""Staff sessions: the idle timeout and the second-factor gate; the username axes keeps.

* ``IdleTimeoutMiddleware`` ends a staff session after ``MEMBERCARD_IDLE_MINUTES`` without a
  request (``MEMBERCARD_COUNTER_IDLE_MINUTES`` for store cashiers, whose counter stays open
  through a shift) and sends them to sign in again.
* ``SignInLockBackend`` is django-axes' lockout check (``signin_username`` masks what it
  stores).
* ``SecondFactorMiddleware`` lets a signed-in staff member who has not passed the second
  factor open nothing but the verification or enrolment pages and sign-out: whoever must
  have a second factor (``Staff.needs_second_factor``) and has none is sent to enrol; whoever
  has one (a cashier who chose to enrol, too) is asked for a code.

Both sit after django-otp's ``OTPMiddleware`` (which sets ``request.user.is_verified``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import user_has_device

from membercard.core.models import Role
from membercard.core.redaction import mask_card_data

LAST_SEEN_KEY = "membercard_last_seen"
# The last-seen time is written at most this often (seconds): not a session write per request.
_TOUCH_EVERY = 60
# Paths a session is never judged on: the POS API (terminal keys, no session) and files.
_EXEMPT_PREFIXES = ("/api/", "/static/", "/media/", "/healthz")


def signin_username(request: HttpRequest, credentials: dict | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the username axes counts and stores, with anything that
    looks like a swiped card (track data, a card number) masked. The same text is used to
    count and to check, so a lock still holds for that input."""
    source = credentials if credentials else getattr(request, "POST", {})
    raw = source.get("username") if source else None
    return mask_card_data(str(raw or "").strip())[:150]


class SignInLockBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in ``AUTHENTICATION_BACKENDS``. Every sign-in form
    (``/login/``, ``/admin/login/``) authenticates with its request and is counted; a call
    without one (an operator's script, ``authenticate()`` in a shell) is no sign-in form and
    has no address to count, so it is passed on to the password check unchanged."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInAttempts(AxesDatabaseHandler):
    """django-axes' database handler with a limit of its own for a client address.

    A store's tills often reach the server through one address: locking that address after
    as few failures as one username gets would lock the whole store out after a few typos
    by different cashiers. So a username is locked after ``AXES_FAILURE_LIMIT`` failures and
    an address after ``MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT``. axes compares one count
    with one limit, so the address's failures are expressed in the username's units: the
    address counts as locked exactly when its failures reach its own limit."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit = settings.AXES_FAILURE_LIMIT
        return max(
            by_username, by_address * limit // settings.MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT
        )


def _exempt(path: str) -> bool:
    return path.startswith(_EXEMPT_PREFIXES)


def _redirect_htmx_aware(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for htmx, ``HX-Redirect`` so the whole page goes (not a fragment swap)."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def idle_limit_seconds(user) -> int:
    """How long this staff member's session may sit without a request."""
    if getattr(user, "role", "") == Role.STORE_CASHIER:
        return settings.MEMBERCARD_COUNTER_IDLE_MINUTES * 60
    return settings.MEMBERCARD_IDLE_MINUTES * 60


class IdleTimeoutMiddleware:
    """Ends the session of a staff member idle for longer than their limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or _exempt(request.path) or not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN_KEY)
        if isinstance(last_seen, int) and now - last_seen > idle_limit_seconds(user):
            logout(request)
            login = redirect_to_login(request.get_full_path())
            return _redirect_htmx_aware(request, login["Location"])
        if not isinstance(last_seen, int) or now - last_seen >= _TOUCH_EVERY:
            request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


# Pages a staff member who has not passed the second factor may open.
_OPEN_URL_NAMES = frozenset(
    {"second-factor-verify", "second-factor-enrol", "logout", "language", "login"}
)


class SecondFactorMiddleware:
    """Holds a signed-in staff member at the second factor until they pass it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or _exempt(request.path) or not user.is_authenticated:
            return None
        if user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in _OPEN_URL_NAMES and not match.namespace:
            return None
        if user_has_device(user):
            target = "second-factor-verify"
        elif user.needs_second_factor:
            target = "second-factor-enrol"
        else:
            return None  # a cashier who has not enrolled: password only
        url = f"{reverse(target)}?next={_next(request)}"
        return _redirect_htmx_aware(request, url)


def _next(request: HttpRequest) -> str:
    from urllib.parse import quote

    if request.method != "GET" or request.headers.get("HX-Request") == "true":
        return quote("/")
    return quote(request.get_full_path())
