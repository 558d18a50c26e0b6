"""A database that is down or fails mid-request answers 503 with ``Retry-After``, not 500.

A 500 after a payment reads as "it failed", though the operation may have committed before
the failure (a lost connection while the answer was being written). So any database error
(``DatabaseError``/``InterfaceError``, connecting included; a refusal is a ``DomainError``,
never one of these) answers 503 and says that the outcome is unknown: a staff page gets a
plain page (no menus: they would need the database) telling the cashier to check the card
or send the same form again (a money form carries its idempotency key, so a payment that
went through is not taken twice); a POS API request gets the API's problem+json
(``outcome_unknown`` for a money request, ``service_unavailable`` for a read).

Place it before the middleware that use the database (sessions, authentication, audit): a
failure in the view comes to ``process_exception``; one in a middleware inside this one
has already become Django's 500 when it comes back here, so the error is noted on the
request as it is handled (``got_request_exception``) and the 500 is replaced.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from membercard.api import errors as api_errors

logger = logging.getLogger("membercard.web")

API_PREFIX = "/api/"
_FAILURE = "membercard_database_failure"


def is_database_failure(exc: BaseException | None) -> bool:
    return isinstance(exc, api_errors.DATABASE_ERRORS)


def unavailable_page(request: HttpRequest) -> HttpResponse:
    """The 503 answer for ``request`` while the database is away."""
    if request.path_info.startswith(API_PREFIX):
        return api_errors.unavailable(request)
    # An htmx form (the counter) gets the message where its errors go, like a refusal.
    htmx = request.headers.get("HX-Request") == "true"
    html = render_to_string(
        "web/_unavailable.html" if htmx else "web/unavailable.html",
        {
            "title": _("The system cannot reach its database"),
            "changing": request.method not in ("GET", "HEAD", "OPTIONS"),
            "retry_after": api_errors.RETRY_AFTER_SECONDS,
        },
    )
    response = HttpResponse(html, status=503)
    if htmx:
        response["HX-Retarget"] = request.headers.get("X-Error-Target", "#messages")
        response["HX-Reswap"] = "innerHTML"
    response["Retry-After"] = str(api_errors.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _note_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django is handling an exception that will become a 500: note a database failure."""
    exc = sys.exc_info()[1]
    if request is not None and is_database_failure(exc):
        setattr(request, _FAILURE, exc)


got_request_exception.connect(_note_failure, dispatch_uid="membercard.web.middleware_errors")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FAILURE, None) is not None:
            return unavailable_page(request)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_database_failure(exc):
            return None
        logger.warning(
            "Database unavailable on %s %s: %s", request.method, request.path, exc, exc_info=exc
        )
        return unavailable_page(request)
