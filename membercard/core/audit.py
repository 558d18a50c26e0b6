"""Writing the audit log (``AuditEvent``): one row per staff action, terminal write and
operator command, **inside the action's own transaction**.

A face (the staff pages' middleware, the API, an operator command) describes the row it
owes before it calls the view or service (``PendingAudit``) and runs the call inside
``audit_inside(pending)``. The first business operation (``@business_operation``) that
commits in that block writes the row just before its commit: if the write fails, the
operation rolls back and the action fails with it, so nothing changes without its row.
Such a row has no ``status`` (the answer does not exist yet) and its details say
``"outcome": "committed"``. When nothing committed (a refusal, a validation error, a read),
the face writes the row afterwards with the answer's status (``PendingAudit.write_after``).
Look-up throttle counters, wrong-PIN counts, sessions and sign-in lockouts do not run as
business operations (or commit a ``CommittedRefusal``), so they never use up the row.

Nothing secret is stored: form fields named like passwords, PINs, keys, secrets or tokens
are dropped, card numbers and reader input are masked to their last four digits, and what
a staff member searched for about a person (form fields named ``find-…``: a member's mobile
or name, to find their cards) is kept only as a keyed fingerprint (``search_fingerprint``),
enough to see the same search again, not to read it.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from membercard.core.actors import Actor
from membercard.core.http import client_address
from membercard.core.models import AuditEvent, AuditKind, Staff
from membercard.core.redaction import mask_card_data, mask_reference
from membercard.core.transactions import CommittedRefusal, after_operations, inside_operations

MAX_FIELDS = 40
MAX_VALUE = 120

_SECRET_NAME = re.compile(r"pass|pin|secret|token|key|csrf|otp|cvv|cvc", re.IGNORECASE)
# Not secret, and the way to find the operation a form made.
_KEPT = frozenset({"idempotency_key"})
CARD_NAME = re.compile(r"card|number|track|swipe|reader|uid", re.IGNORECASE)
# Form fields holding what was searched for about a person (``find-mobile``, ``find-name``).
SEARCH_PREFIX = "find-"

# The client address of the request being served (set by the staff pages' middleware), for
# rows written during the request without it at hand.
_address: contextvars.ContextVar[str] = contextvars.ContextVar("audit_address", default="")


# What gets stored ------------------------------------------------------------------------


# One implementation for the audit log and the log files: ``membercard.core.redaction``.
mask = mask_reference


def clean_value(value: str) -> str:
    """A free-text value with anything that looks like card or track data masked (bank-card
    data removed), then cut (after masking, so a cut never leaves digits unmasked)."""
    return mask_card_data(value)[:MAX_VALUE]


def search_fingerprint(term: str) -> str:
    """A keyed fingerprint of a search term about a person: the same term (any case, outer
    spaces) gives the same fingerprint, and nobody without the installation's secret key can
    turn it back into the term."""
    normalized = " ".join(str(term).split()).casefold()
    key = f"membercard.audit.search:{settings.SECRET_KEY}".encode()
    return "fp:" + hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()[:16]


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
        if name.startswith(SEARCH_PREFIX):
            out[name] = search_fingerprint(values[0]) if values and values[0] else ""
            continue
        cleaned = [
            mask(str(v)) if CARD_NAME.search(name) and re.search(r"\d{5}", str(v)) else v
            for v in values
        ]
        cleaned = [clean_value(str(v)) if isinstance(v, str) else v for v in cleaned]
        out[name] = cleaned[0] if len(cleaned) == 1 else cleaned[:10]
    return out


def clean_arguments(args: Iterable[str]) -> str:
    """A command line fit for the audit log: ``--key value`` pairs named like secrets
    dropped, card numbers masked."""
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
    return " ".join(cleaned)[:500]


def _who(staff: Staff | None) -> dict[str, Any]:
    if staff is None or not getattr(staff, "pk", None):
        return {}
    location = staff.location.code if staff.location_id else ""
    return {
        "staff": staff,
        "username": staff.get_username(),
        "role": staff.role or "",
        "location_code": location,
    }


def actor_fields(actor: Actor) -> dict[str, Any]:
    """Who, for a row about ``actor``: a staff member, or a POS terminal acting as staff of
    its store (``terminal:S01/till-1``, its role and store)."""
    if actor.staff is not None:
        return _who(actor.staff)
    fields: dict[str, Any] = {"role": str(actor.role), "location_code": actor.location.code}
    if actor.terminal is not None:
        fields["username"] = f"terminal:{actor.terminal}"[:150]
    return fields


def record(
    kind: str, *, staff: Staff | None = None, request: HttpRequest | None = None, **fields: Any
) -> AuditEvent:
    """One audit row, in the caller's transaction. ``fields`` are AuditEvent fields;
    ``details`` is cleaned here."""
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


@contextlib.contextmanager
def client_address_of(request: HttpRequest) -> Iterator[None]:
    """Rows written while ``request`` is served get its client address by default."""
    token = _address.set(client_address(request))
    try:
        yield
    finally:
        _address.reset(token)


# The row an action owes ------------------------------------------------------------------

# The fields of the row (``kind`` included), or None when the action owes no row after all
# (a request by nobody signed in, a sign-in page).
Describe = Callable[[], dict[str, Any] | None]


@dataclass
class PendingAudit:
    """The audit row a face owes for one action. ``describe`` gives the row's fields when it
    is written (for a request, the view name and the signed-in actor are known only once
    the view runs); ``event`` is the row once it is in the database for good."""

    describe: Describe
    event: AuditEvent | None = None
    _written: AuditEvent | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.event is not None

    def _write_inside(self, result: object) -> None:
        """Before a business operation commits: the row, unless an earlier one has it."""
        if self.event is not None or isinstance(result, CommittedRefusal):
            return
        fields = self.describe()
        if fields is None:
            return
        details = {**(fields.pop("details", None) or {}), "outcome": "committed"}
        if getattr(result, "pk", None) is not None:
            details["result"] = f"{type(result).__name__} {result.pk}"  # type: ignore[attr-defined]
        self._written = write_row(details=details, **fields)

    def _committed(self, result: object) -> None:
        """After a business operation committed: the row it wrote is in for good."""
        if self.event is None and self._written is not None:
            self.event = self._written

    def write_after(self, *, status: int | None = None, **details: Any) -> AuditEvent | None:
        """The row, written now (in its own transaction), if no business operation wrote it:
        the action committed nothing (a refusal, a validation error, a read)."""
        if self.event is not None:
            return None
        fields = self.describe()
        if fields is None:
            return None
        merged = {**(fields.pop("details", None) or {}), **details}
        self.event = write_row(status=status, details=merged, **fields)
        return self.event


def write_row(*, kind: str, **fields: Any) -> AuditEvent:
    """The one place an owed row reaches the table (tests make it fail here)."""
    return record(kind, **fields)


@contextlib.contextmanager
def audit_inside(pending: PendingAudit) -> Iterator[PendingAudit]:
    """The first business operation that commits in this block writes ``pending`` inside
    its transaction (see the module docstring); later ones in the block do not."""
    with inside_operations(pending._write_inside), after_operations(pending._committed):
        yield pending


# Called from other layers -----------------------------------------------------------------


def record_member_access(
    actor: Actor,
    action: str,
    *,
    count: int,
    data: Mapping[str, Any] | None = None,
    address: str = "",
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


def operator() -> str:
    """The operating-system user running a command ('' where there is none)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


def cli_fields(command: str, args: Iterable[str] = (), *, username: str = "") -> dict[str, Any]:
    """The fields of an operator command's row: the command, its cleaned arguments, the
    staff member named with ``--by`` (or the name as given) and the OS user."""
    staff = Staff.objects.filter(username=username).first() if username else None
    fields: dict[str, Any] = {
        "what": command[:120],
        "details": {"args": clean_arguments(args), "os_user": operator()},
    }
    if staff is not None:
        fields.update(_who(staff))
    else:
        fields["username"] = username[:150]
    return fields


def record_cli(command: str, args: Iterable[str] = (), *, username: str = "") -> AuditEvent:
    """An operator's command (``membercard batch create …``), in the caller's transaction."""
    return record(AuditKind.CLI, **cli_fields(command, args, username=username))
