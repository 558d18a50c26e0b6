"""Recording the audit log (``AuditEvent``): helpers, the middleware, the sign-in receivers.

* ``AuditMiddleware`` records every non-safe request (POST, PUT, PATCH, DELETE) by a
  signed-in staff member on the staff pages and the admin, after the response, with its
  status: a refused attempt (403, 422) is audited as well as a success. The POS API is
  left out: terminal writes are operations in the ledger.
* ``connect()`` (called from ``OpsConfig.ready``) hooks Django's sign-in, sign-out and
  failed sign-in signals.
* ``record_member_access`` is called by ``membercard.loyalty.audit.log_access`` for bulk
  reads and exports of member data; ``record_cli`` is for operators' commands.

Nothing secret is stored: form fields named like passwords, PINs, keys, secrets or tokens
are dropped, card numbers and reader input are masked to their last four digits.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from membercard.core.http import client_address
from membercard.core.redaction import mask_card_data, mask_reference
from membercard.ops.models import AuditEvent, AuditKind

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Sign-in and sign-out are recorded by the signal receivers, not twice by the middleware.
SKIPPED_URL_NAMES = frozenset({"login", "logout", "admin:login", "admin:logout"})
API_PREFIX = "/api/"

MAX_FIELDS = 40
MAX_VALUE = 120

_SECRET_NAME = re.compile(r"pass|pin|secret|token|key|csrf|otp|cvv|cvc", re.IGNORECASE)
# Not secret, and the way to find the operation a form made.
_KEPT = frozenset({"idempotency_key"})
_CARD_NAME = re.compile(r"card|number|track|swipe|reader|uid", re.IGNORECASE)

_address: contextvars.ContextVar[str] = contextvars.ContextVar("audit_address", default="")


# What gets stored ------------------------------------------------------------------------


# One implementation for the audit log and the log files: ``membercard.core.redaction``.
mask = mask_reference


def clean_value(value: str) -> str:
    """A free-text value with anything that looks like card or track data masked (bank-card
    data removed), then cut (after masking, so a cut never leaves digits unmasked)."""
    return mask_card_data(value)[:MAX_VALUE]


def is_secret(name: str) -> bool:
    return name not in _KEPT and bool(_SECRET_NAME.search(name))


def clean_fields(data: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Form fields fit for the audit log: secrets dropped, card data masked, values cut."""
    items = data.lists() if hasattr(data, "lists") else getattr(data, "items", lambda: data)()
    out: dict[str, Any] = {}
    for name, value in items:
        if len(out) >= MAX_FIELDS:
            out["…"] = "more fields left out"
            break
        name = str(name)[:60]
        if is_secret(name):
            continue
        values = value if isinstance(value, list | tuple) else [value]
        cleaned = [
            mask(str(v)) if _CARD_NAME.search(name) and re.search(r"\d{5}", str(v)) else v
            for v in values
        ]
        cleaned = [clean_value(str(v)) if isinstance(v, str) else v for v in cleaned]
        out[name] = cleaned[0] if len(cleaned) == 1 else cleaned[:10]
    return out


def _who(staff) -> dict[str, Any]:
    if staff is None or not getattr(staff, "pk", None):
        return {}
    location = staff.location.code if staff.location_id else ""
    return {
        "staff": staff,
        "username": staff.get_username(),
        "role": staff.role or "",
        "location_code": location,
    }


def record(kind: str, *, staff=None, request: HttpRequest | None = None, **fields) -> AuditEvent:
    """One audit row. ``fields`` are AuditEvent fields; ``details`` is cleaned here."""
    values: dict[str, Any] = {**_who(staff), **fields}
    values["details"] = clean_fields(values.get("details") or {})
    if request is not None:
        values.setdefault("address", client_address(request))
        values.setdefault("method", request.method or "")
        values.setdefault("path", request.path)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name:
            values.setdefault("what", match.view_name[:120])
    else:
        values.setdefault("address", _address.get())
    values["reference"] = mask_card_data(values.get("reference", ""))[:200]
    # A card number in a URL (``/hq/cards/<number>/``) or typed as a username is masked
    # like any other; bank-card data never reaches the table. A staff member's own
    # username is kept as it is (it is theirs, whatever it looks like).
    values["path"] = mask_card_data(values.get("path", ""))[:255]
    if values.get("staff") is None:
        values["username"] = mask_card_data(values.get("username", ""))[:150]
    return AuditEvent.objects.create(kind=kind, **values)


# The middleware ---------------------------------------------------------------------------


def _reference(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.kwargs:
        return ""
    parts = []
    for name, value in sorted(match.kwargs.items()):
        text = str(value)
        parts.append(f"{name}={mask(text) if _CARD_NAME.search(name) else text}")
    return " ".join(parts)


def _kind(what: str, path: str) -> str:
    return AuditKind.TERMINAL_CHANGE if "terminal" in f"{what} {path}".lower() else AuditKind.CHANGE


class AuditMiddleware:
    """Place after AuthenticationMiddleware. Records non-safe staff requests after the
    response; keeps the client address for audit rows written during the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _address.set(client_address(request))
        try:
            response = self.get_response(request)
        finally:
            _address.reset(token)
        if self._audited(request):
            try:
                self._record(request, response)
            except Exception:  # the change is done; a lost audit row is logged loudly
                logger.exception("Could not write the audit row for %s", request.path)
        return response

    @staticmethod
    def _audited(request: HttpRequest) -> bool:
        if request.method in SAFE_METHODS or request.path.startswith(API_PREFIX):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        match = getattr(request, "resolver_match", None)
        return not (match is not None and match.view_name in SKIPPED_URL_NAMES)

    @staticmethod
    def _record(request: HttpRequest, response: HttpResponse) -> None:
        match = getattr(request, "resolver_match", None)
        what = match.view_name if match is not None and match.view_name else ""
        details: dict[str, Any] = {}
        content_type = request.content_type or ""
        if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            details = clean_fields(request.POST)
            if request.FILES:
                details["files"] = [f.name[:80] for f in request.FILES.values()][:10]
        elif content_type:
            details = {"content_type": content_type[:80]}
        record(
            _kind(what, request.path),
            staff=request.user,
            request=request,
            status=response.status_code,
            reference=_reference(request),
            details=details,
        )


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


# Called from other layers -----------------------------------------------------------------


def record_member_access(
    actor, action: str, *, count: int, data: Mapping[str, Any] | None = None, address: str = ""
) -> AuditEvent:
    """A bulk read or export of member data (from ``loyalty.audit.log_access``), in the
    caller's transaction."""
    kind = AuditKind.MEMBER_EXPORT if "export" in action else AuditKind.MEMBER_BULK_READ
    details = {"count": count, **(data or {})}
    fields: dict[str, Any] = {}
    if actor.staff is None:
        fields = {"role": str(actor.role), "location_code": actor.location.code}
        if actor.terminal is not None:
            details["terminal"] = str(actor.terminal)
    return record(
        kind,
        staff=actor.staff,
        what=action,
        address=(address or _address.get())[:64],
        reference=f"count={count}",
        details=details,
        **fields,
    )


# Options every management command has; they say nothing about what the operator did.
_COMMON_OPTIONS = frozenset(
    {"verbosity", "settings", "pythonpath", "traceback", "no_color", "force_color", "skip_checks"}
)


def command_options(options: dict) -> list[str]:
    """A command's parsed options as ``--name=value`` arguments for ``record_cli``."""
    return [
        f"--{name.replace('_', '-')}={value}"
        for name, value in sorted(options.items())
        if name not in _COMMON_OPTIONS and value not in (None, "", False, [])
    ]


def record_cli(command: str, args: Iterable[str] = (), *, username: str = "") -> AuditEvent:
    """An operator's command (``membercard batch create …``), with its arguments cleaned:
    ``--key value`` pairs named like secrets are dropped, card numbers masked."""
    import getpass

    cleaned: list[str] = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
            continue
        if arg.startswith("--") and is_secret(arg.split("=", 1)[0]):
            skip_next = "=" not in arg
            continue
        cleaned.append(clean_value(str(arg)))
    staff = None
    if username:
        from django.contrib.auth import get_user_model

        staff = get_user_model()._default_manager.filter(username=username).first()
    try:
        operator = getpass.getuser()
    except Exception:  # no login name in some containers
        operator = ""
    fields = {} if staff is not None else {"username": username[:150]}
    return record(
        AuditKind.CLI,
        staff=staff,
        what=command[:120],
        details={"args": " ".join(cleaned)[:500], "os_user": operator},
        **fields,
    )


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
