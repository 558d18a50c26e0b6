"""POS terminal keys: created at HQ for one store, shown once, stored hashed, revocable.

A key reads ``mct_<prefix>_<secret>``: the prefix (12 hex characters, public, unique)
finds the terminal row with one indexed query; the secret is 256 random bits from
``secrets``. The row keeps only the prefix and the SHA-256 of the whole key. A fast hash
is right here (unlike passwords): the secret is random and long, so there is nothing to
guess offline, and the API checks it on every request. Hashes are compared with
``hmac.compare_digest``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.core.errors import NotFound, NotPermitted, ValidationFailed
from membercard.core.models import Location, LocationKind, Staff, Terminal
from membercard.core.permissions import Action, role_may
from membercard.core.transactions import business_operation

KEY_SCHEME = "mct"
PREFIX_HEX_CHARS = 12
SECRET_BYTES = 32
# Never more than one write of last_used_at a minute per key, whatever the request rate.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_KEY = re.compile(rf"{KEY_SCHEME}_([0-9a-f]{{{PREFIX_HEX_CHARS}}})_([A-Za-z0-9_-]{{40,64}})", re.A)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}", re.A)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_HEX_CHARS // 2)
    return prefix, f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


def _check_issuer(by: Staff | None) -> None:
    """Keys are made at HQ: by an HQ admin, or by an operator at the server (``by`` None)."""
    if by is None:
        return
    if not by.is_active or not role_may(by.role, Action.MANAGE_TERMINALS):
        raise NotPermitted(_("Only an HQ admin may create or revoke terminal keys."))


@business_operation
def create_terminal_key(
    *, store_code: str, name: str, by: Staff | None = None
) -> tuple[Terminal, str]:
    """A new terminal at store ``store_code`` and its key. The key is returned once, here."""
    _check_issuer(by)
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise ValidationFailed(
            _("A terminal name is 1-80 letters, digits, spaces, dots, dashes or underscores."),
            field="name",
        )
    store = Location.objects.filter(code=store_code).first()
    if store is None or store.kind != LocationKind.STORE or not store.is_active:
        raise NotFound(_("No open store with that code."), field="store")
    if Terminal.objects.filter(location=store, name=name).exists():
        raise ValidationFailed(
            _(
                "Store %(store)s already has a terminal called %(name)s; "
                "revoke it and give the new one another name."
            )
            % {"store": store.code, "name": repr(name)},
            field="name",
        )
    for _attempt in range(5):  # a prefix collision is astronomically rare; try again if it happens
        prefix, key = _new_key()
        try:
            with transaction.atomic():
                terminal = Terminal.objects.create(
                    location=store,
                    name=name,
                    key_prefix=prefix,
                    key_hash=key_hash(key),
                    created_by=by,
                )
        except IntegrityError:
            if Terminal.objects.filter(location=store, name=name).exists():
                raise ValidationFailed(
                    _("That terminal name was just taken."), field="name"
                ) from None
            continue
        return terminal, key
    raise RuntimeError("Could not find a free terminal key prefix.")


def find_terminal(prefix_or_name: str, *, store_code: str | None = None) -> Terminal:
    """A terminal by its key prefix, or by ``store_code`` and name."""
    terminals = Terminal.objects.select_related("location")
    if store_code:
        found = terminals.filter(location__code=store_code, name=prefix_or_name).first()
    else:
        found = terminals.filter(key_prefix=prefix_or_name).first()
    if found is None:
        raise NotFound(_("No terminal like that."))
    return found


@business_operation
def revoke_terminal_key(*, terminal: Terminal, by: Staff | None = None) -> Terminal:
    """Stop ``terminal``'s key working, from the next request on. Revoking twice is harmless:
    the first revocation time is kept."""
    _check_issuer(by)
    Terminal.objects.filter(pk=terminal.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    terminal.refresh_from_db(fields=["revoked_at"])
    return terminal


def authenticate_key(key: str) -> Terminal | None:
    """The live terminal (with its store) this key belongs to, or None: unknown, malformed,
    revoked, or its store closed. Costs one indexed query."""
    match = _KEY.fullmatch(key or "")
    if match is None:
        return None
    terminal = Terminal.objects.select_related("location").filter(key_prefix=match.group(1)).first()
    if terminal is None or not hmac.compare_digest(terminal.key_hash, key_hash(key)):
        return None
    if terminal.revoked_at is not None or not terminal.location.is_active:
        return None
    return terminal


def note_terminal_used(terminal: Terminal, *, now: dt.datetime | None = None) -> None:
    """Keep ``last_used_at`` to the minute: at most one UPDATE a minute per key, and the
    condition in the UPDATE keeps several server processes from all writing it."""
    now = now or timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if terminal.last_used_at is not None and terminal.last_used_at > stale:
        return
    Terminal.objects.filter(pk=terminal.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    terminal.last_used_at = now
