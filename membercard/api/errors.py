"""Every API error is ``application/problem+json`` (RFC 9457) with a stable ``code``.

``type`` is ``urn:membercard:problem:<code>``, ``title`` the short meaning of the code,
``detail`` what happened this time; extra members carry the domain error's data
(``available``, ``field``, ``state``…). A problem that mentions money carries
``currency``. The handlers here are the one mapping from exceptions to responses:
domain errors keep the status their class names; request validation is 422
``validation_error``; unknown paths 404, wrong methods 405, unparseable bodies 400.

Answers that tell the truth: a database that is down or fails mid-request answers 503 with
``Retry-After``. On a money request (one sent with an ``Idempotency-Key``) the code is
``outcome_unknown``: the operation may or may not have been made, and the till sends the
same request with the same key again until it gets a definite answer (the first result,
replayed, or a refusal). So does any unexpected failure of a money request once its
service was called: never a 500 that a till could take for "declined". A read answers 503
``service_unavailable`` (nothing to be unsure about: just ask again).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import DatabaseError, InterfaceError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from membercard.api.idempotency import HEADER, is_money_request, outcome_at_stake
from membercard.api.throttle import Throttled
from membercard.core.errors import DomainError
from membercard.core.money import currency
from membercard.core.redaction import mask_card_data

logger = logging.getLogger("membercard.api")

PROBLEM_JSON = "application/problem+json"

TITLES = {
    "not_authenticated": "A valid terminal key is needed.",
    "validation_error": "The request is not valid.",
    "malformed_request": "The request body is not valid JSON.",
    "not_found": "Not found.",
    "method_not_allowed": "This method is not allowed here.",
    "throttled": "Too many card reads; slow down.",
    "refund_needs_approval": "This refund waits for a store manager's approval.",
    "server_error": "Something went wrong on the server.",
    "outcome_unknown": "The outcome is unknown: retry the same request with the same key.",
    "service_unavailable": "The service is unavailable for a moment; try again.",
}

# The database is down or failed mid-request (a refusal is a DomainError, never one of
# these): Django's wrappers of the driver's errors, connecting included.
DATABASE_ERRORS = (DatabaseError, InterfaceError)
RETRY_AFTER_SECONDS = 3


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """A problem+json response; ``extra`` members follow the standard ones."""
    body: dict[str, Any] = {
        "type": f"urn:membercard:problem:{code}",
        "title": title or TITLES.get(code, detail),
        "status": status,
        "detail": detail,
        "code": code,
    }
    for name, value in extra.items():
        body.setdefault(name, value)
    if any(name.endswith("_minor") or name in ("available", "needed") for name in extra):
        body.setdefault("currency", currency())
    content = json.dumps(
        _no_card_data(body), ensure_ascii=False, separators=(",", ":"), default=str
    )
    response = HttpResponse(content, status=status, content_type=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _no_card_data(value: Any) -> Any:
    """An error answer never echoes card input: whatever part of the request a message or
    member repeats (a field name, a validator's text) is masked like a log line."""
    if isinstance(value, str):
        return mask_card_data(value)
    if isinstance(value, dict):
        return {_no_card_data(key): _no_card_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_card_data(item) for item in value]
    return value


def outcome_unknown() -> HttpResponse:
    """503 for a money request whose outcome this server cannot tell."""
    return problem(
        503,
        "outcome_unknown",
        "The server could not finish answering; the operation may or may not have been "
        f"made. Send the same request with the same {HEADER} again: a request that went "
        "through is answered as a replay, never made twice.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        retry_after=RETRY_AFTER_SECONDS,
    )


def service_unavailable() -> HttpResponse:
    """503 for a read (or a request that changes nothing) while the database is away."""
    return problem(
        503,
        "service_unavailable",
        "The database cannot be reached just now; try again in a few seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        retry_after=RETRY_AFTER_SECONDS,
    )


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 for ``request`` when the database failed under it."""
    return outcome_unknown() if is_money_request(request) else service_unavailable()


def _domain_extra(exc: DomainError) -> dict[str, Any]:
    """The error's data under API names: money in minor units loses its ``_minor`` suffix
    (every amount in the API is in minor units)."""
    extra = {}
    for name, value in exc.extra.items():
        if name in {"type", "title", "status", "detail", "code"}:
            continue
        extra[name.removesuffix("_minor") if name.endswith("_minor") else name] = value
    return extra


def domain_problem(exc: DomainError) -> HttpResponse:
    return problem(
        exc.status,
        exc.code,
        exc.message,
        title=type(exc).default_message,
        **_domain_extra(exc),
    )


def _validation_problem(exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        msg = "unknown field" if error.get("type") == "extra_forbidden" else error.get("msg", "")
        errors.append({"loc": loc, "msg": str(msg), "type": error.get("type")})
    parts = []
    for error in errors[:3]:
        where = error["loc"]
        if where and where[0] == "header":
            label = f"header {where[-1]}"
        else:
            label = ".".join(where[1:]) or ".".join(where) or "request"
        parts.append(f"{label}: {error['msg']}")
    detail = "; ".join(parts) or "The request is not valid."
    # A field the body may not carry is named on its own (``"field": "currency"``): the
    # till's author sees at once which field the API refused rather than ignored.
    unknown = [e["loc"][-1] for e in errors if e["type"] == "extra_forbidden" and e["loc"]]
    if unknown:
        return problem(422, "validation_error", detail, errors=errors, field=unknown[0])
    return problem(422, "validation_error", detail, errors=errors)


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return domain_problem(exc)

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return _validation_problem(exc)

    @api.exception_handler(AuthenticationError)
    def on_not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            "not_authenticated",
            "Send a valid, unrevoked terminal key: Authorization: Bearer <key>.",
            headers={"WWW-Authenticate": 'Bearer realm="membercard"'},
        )

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return problem(
            429,
            "throttled",
            f"Too many card reads for this {'key' if exc.bucket == 'key' else 'address'}; "
            f"try again in {exc.retry_after} s.",
            headers={"Retry-After": str(exc.retry_after)},
            retry_after=exc.retry_after,
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return problem(400, "malformed_request", "The request body is not valid JSON.")
        return problem(exc.status_code, "http_error", str(exc))

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "not_found", "Not found.")

    def on_database_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning(
            "Database unavailable on %s %s: %s", request.method, request.path, exc, exc_info=exc
        )
        return unavailable(request)

    for database_error in DATABASE_ERRORS:
        api.add_exception_handler(database_error, on_database_error)

    @api.exception_handler(Exception)
    def on_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        if outcome_at_stake(request):
            return outcome_unknown()
        return problem(500, "server_error", "The server could not answer this request.")
