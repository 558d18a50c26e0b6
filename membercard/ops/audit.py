"""The audit log above the services: the middleware, the sign-in receivers, the search.

The writing itself lives in ``membercard.core.audit`` (so services and every face write it
the same way, inside the action's transaction).

* ``AuditMiddleware`` owes one row for every non-safe request (POST, PUT, PATCH, DELETE)
  by a signed-in staff member on the staff pages and the admin, and by a POS terminal on
  the API (a terminal acts as staff of its store: ``terminal:S01/till-1``, its role and
  store). The first business operation the request commits writes the row inside its
  transaction (status empty, ``"outcome": "committed"``); if the row cannot be written the
  action rolls back. A request that committed nothing (a refusal: 403, 409, 422…) gets its
  row after the response, with the status. API reads (GET) are not recorded.
* ``connect()`` (called from ``OpsConfig.ready``) hooks Django's sign-in, sign-out and
  failed sign-in signals.
* ``AuditedCommand`` (``membercard.ops.commands``) does the same for operators' commands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from membercard.core.actors import Actor
from membercard.core.audit import (  # noqa: F401  (the helpers, where callers above core look)
    CARD_NAME,
    PendingAudit,
    actor_fields,
    audit_inside,
    clean_fields,
    clean_value,
    client_address_of,
    is_secret,
    mask,
    record,
    record_cli,
    record_member_access,
)
from membercard.core.models import AuditEvent, AuditKind
from membercard.core.redaction import mask_card_data

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Sign-in and sign-out are recorded by the signal receivers, not twice by the middleware.
SKIPPED_URL_NAMES = frozenset({"login", "logout", "admin:login", "admin:logout"})
API_PREFIX = "/api/"
IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"


# The middleware ---------------------------------------------------------------------------


def _reference(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.kwargs:
        return ""
    parts = []
    for name, value in sorted(match.kwargs.items()):
        text = str(value)
        parts.append(f"{name}={mask(text) if CARD_NAME.search(name) else text}")
    return " ".join(parts)


def _kind(what: str, path: str) -> str:
    return AuditKind.TERMINAL_CHANGE if "terminal" in f"{what} {path}".lower() else AuditKind.CHANGE


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else ""


def _form_details(request: HttpRequest) -> dict[str, Any]:
    content_type = request.content_type or ""
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        details = clean_fields(request.POST)
        if request.FILES:
            details["files"] = [f.name[:80] for f in request.FILES.values()][:10]
        return details
    return {"content_type": content_type[:80]} if content_type else {}


def _staff_row(request: HttpRequest) -> dict[str, Any] | None:
    """The row a staff page request owes, or None (not signed in, sign-in and sign-out)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or _view_name(request) in SKIPPED_URL_NAMES:
        return None
    what = _view_name(request)
    return {
        "kind": _kind(what, request.path),
        "staff": user,
        "request": request,
        "reference": _reference(request),
        "details": _form_details(request),
    }


def _api_body(request: HttpRequest) -> dict[str, Any]:
    """A terminal's JSON body, cleaned like a form (card numbers masked, secrets dropped)."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {"content_type": (request.content_type or "")[:80]}
    return clean_fields(body) if isinstance(body, dict) else {}


def _terminal_row(request: HttpRequest) -> dict[str, Any] | None:
    """The row a POS terminal's write owes, or None (no valid key: nothing to audit)."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):
        return None
    details = _api_body(request)
    if actor.terminal is not None:
        details["terminal"] = str(actor.terminal)
    key = request.META.get(IDEMPOTENCY_HEADER, "")
    if key:
        details["idempotency_key"] = mask_card_data(key)[:120]
    return {
        "kind": AuditKind.CHANGE,
        "request": request,
        "reference": _reference(request),
        "details": details,
        **actor_fields(actor),
    }


class AuditMiddleware:
    """Place after AuthenticationMiddleware. Owes an audit row for every non-safe staff or
    terminal request, written inside the first business operation the request commits, else
    after the response; keeps the client address for audit rows written during the
    request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with client_address_of(request):
            if request.method in SAFE_METHODS:
                return self.get_response(request)
            describe = _terminal_row if request.path.startswith(API_PREFIX) else _staff_row
            pending = PendingAudit(describe=lambda: describe(request))
            with audit_inside(pending):
                response = self.get_response(request)
        if not pending.done:
            try:  # nothing committed: the attempt is recorded with its answer's status
                pending.write_after(status=response.status_code)
            except Exception:
                logger.exception("Could not write the audit row for %s", request.path)
        return response


# Sign-in, sign-out, failed sign-in --------------------------------------------------------


def _signed_in(sender, request, user, **kwargs) -> None:
    record(AuditKind.SIGN_IN, staff=user, request=request, what="login")


def _signed_out(sender, request, user, **kwargs) -> None:
    record(AuditKind.SIGN_OUT, staff=user, request=request, what="logout")


def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """The attempted username (never the password) and the address it came from. A card
    swiped into the username field is masked (a bank card removed) before it is written."""
    from django.contrib.auth import get_user_model

    staff_model = get_user_model()
    username = str(credentials.get(staff_model.USERNAME_FIELD) or credentials.get("username", ""))
    known = staff_model._default_manager.filter(**{staff_model.USERNAME_FIELD: username}).first()
    record(
        AuditKind.SIGN_IN_FAILED,
        staff=known,
        request=request,
        what="login",
        username=(username if known is not None else mask_card_data(username))[:150],
        details={"known_username": known is not None},
    )


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """django-axes locked a username or address (its ``username`` is already masked by
    ``AXES_USERNAME_CALLABLE``); one row per refused attempt while the lock holds."""
    record(
        AuditKind.SIGN_IN_LOCKED,
        request=request,
        what="login",
        username=str(username or "")[:150],
        details={"locked_address": str(ip_address or "")},
    )


def connect() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="membercard-audit-locked-out")
    user_logged_in.connect(_signed_in, dispatch_uid="membercard-audit-sign-in")
    user_logged_out.connect(_signed_out, dispatch_uid="membercard-audit-sign-out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="membercard-audit-sign-in-failed")


# Operators' commands -----------------------------------------------------------------------

# Options every management command has; they say nothing about what the operator did.
_COMMON_OPTIONS = frozenset(
    {"verbosity", "settings", "pythonpath", "traceback", "no_color", "force_color", "skip_checks"}
)


def command_options(options: dict) -> list[str]:
    """A command's parsed options as ``--name=value`` arguments for its audit row."""
    return [
        f"--{name.replace('_', '-')}={value}"
        for name, value in sorted(options.items())
        if name not in _COMMON_OPTIONS and value not in (None, "", False, [])
    ]


# Reading (the search page and its export) -------------------------------------------------


def search_events(
    *,
    username: str = "",
    kind: str = "",
    location: str = "",
    date_from=None,
    date_to=None,
    text: str = "",
) -> QuerySet[AuditEvent]:
    """Events matching every given filter (dates inclusive, in the installation's zone)."""
    events = AuditEvent.objects.all()
    if username:
        events = events.filter(username__iexact=username.strip())
    if kind:
        events = events.filter(kind=kind)
    if location:
        events = events.filter(location_code__iexact=location.strip())
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    if text:
        text = text.strip()
        events = events.filter(
            Q(what__icontains=text) | Q(path__icontains=text) | Q(reference__icontains=text)
        )
    return events
