"""Input no view should see: NUL characters (400; 422 ``validation_error`` on the API) and
bank cards swiped into any field (``PaymentCardRefused``, 422).

No text we keep may hold a NUL: PostgreSQL refuses it in a string literal (a search for
``?q=%00`` answered 500 there), SQLite would store it and cut what a report or a receipt
shows. One rule here covers every page, form and the POS API, instead of one check per
list, form and filter: the path, every query parameter (names and values), every form
field of a form post, and a JSON body's ``\\u0000`` escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from membercard.core.errors import PaymentCardRefused
from membercard.core.redaction import holds_bank_card

NUL = "\x00"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_JSON_NUL = b"\\u0000"


def _in_params(params) -> bool:
    return any(NUL in name or NUL in value for name, values in params.lists() for value in values)


def _json_too_big(request: HttpRequest) -> bool:
    """A body Django would refuse to read into memory anyway (left to the view's 400)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return limit is not None and length > limit


def carries_nul(request: HttpRequest) -> bool:
    """Whether any input of ``request`` holds a NUL character."""
    if NUL in request.path or _in_params(request.GET):
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if request.content_type in _FORM_TYPES:
        return _in_params(request.POST)  # field values; uploaded files are not text fields
    if request.content_type == "application/json" and not _json_too_big(request):
        return _JSON_NUL in request.body
    return False


class RejectNulMiddleware:
    """400 for a request carrying a NUL character (under ``/api/``, the API's 422
    ``validation_error`` problem, as for any other input it refuses)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not carries_nul(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            # The API's answer to any input it refuses (documented on every endpoint).
            from membercard.api.errors import problem  # the API's one problem+json shape

            detail = "The request holds a NUL character."
            return problem(422, "validation_error", detail)
        return HttpResponseBadRequest(
            _("The request holds a character that is not allowed (NUL)."),
            content_type="text/plain; charset=utf-8",
        )


# Fields never read for card data: secrets and tokens (passwords, PINs, one-time codes,
# idempotency keys: random strings that may hold a long run of digits by chance).
_NOT_CARD_INPUT = re.compile(r"pass|pin|secret|token|key|csrf|otp", re.IGNORECASE)


def _json_values(data: Any, name: str = "") -> Iterator[str]:
    """Every string in a JSON document, but those under a secret's or token's name."""
    if _NOT_CARD_INPUT.search(name):
        return
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _json_values(value, str(key))
    elif isinstance(data, list):
        for value in data:
            yield from _json_values(value, name)


def _param_values(params) -> Iterator[str]:
    for name, values in params.lists():
        if not _NOT_CARD_INPUT.search(name):
            yield from values


def typed_values(request: HttpRequest) -> Iterator[str]:
    """What a person (or a reader acting as a keyboard) typed into ``request``: query
    parameters, form fields, a JSON body's strings."""
    yield from _param_values(request.GET)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if request.content_type in _FORM_TYPES:
        yield from _param_values(request.POST)
    elif request.content_type == "application/json" and not _json_too_big(request):
        try:
            yield from _json_values(json.loads(request.body or b"null"))
        except ValueError:
            return  # not JSON: the API answers its own 422


class RefuseBankCardMiddleware:
    """A bank card swiped into any field of any page, form or API body is refused before a
    view, a service or a sign-in backend sees it: nothing of it can be stored (a member's
    name, a reason, a note, a username the lockout counts) and the answer never repeats it.

    The one rule for free text; the reader parser refuses the same cards in card fields
    with the same error (``PaymentCardRefused``), so a counter shows the same message
    wherever the swipe landed. Card paths (``/hq/cards/<number>/``) name no card of a bank
    and answer 404; the log filter masks them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not any(holds_bank_card(value) for value in typed_values(request)):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            from membercard.api.errors import domain_problem  # the API's one error shape

            return domain_problem(PaymentCardRefused())
        from membercard.web.access import render_error  # the pages' one error rendering

        return render_error(request, PaymentCardRefused())
