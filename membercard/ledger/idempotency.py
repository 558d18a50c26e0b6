"""Idempotency keys: a replay returns the first result; a different request is refused.

The key is claimed (inserted) at the start of the business operation, in the
same transaction as the ledger rows, so a crash never leaves a key without its
operation or an operation without its key. A concurrent request with the same
key waits on the unique index until the first commits, fails, and is retried by
``business_operation``; the retry finds the key and replays.

The operation a service returns says which it was: ``operation.replayed`` is True when
``claim`` found the key (the first operation, returned again) and False when this call
made it (``Claim.complete``). Each attempt of a retried business operation claims afresh,
so the flag belongs to the attempt that committed: the loser of a race for one key, retried
after waiting on the unique index, replays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.errors import IdempotencyConflict, ValidationFailed
from membercard.ledger.models import IdempotencyRecord, Operation

MAX_KEY_LENGTH = 255


def purge_old_keys(now: dt.datetime, keep_days: int | None = None) -> int:
    """Forget keys claimed more than ``keep_days`` ago (the API promises at least 7): a
    replay that late is treated as a new request. Their operations stay, of course; only
    the key rows go. Answers how many were deleted."""
    keep_days = max(7, keep_days or settings.MEMBERCARD_IDEMPOTENCY_KEEP_DAYS)
    cutoff = now - dt.timedelta(days=keep_days)
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def fingerprint(service: str, request: dict[str, Any]) -> str:
    canonical = json.dumps([service, request], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed(_("An idempotency key is required."), field="idempotency_key")
    if len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            _("The idempotency key must be at most 255 printable ASCII characters."),
            field="idempotency_key",
        )
    return key


@dataclass
class Claim:
    record: IdempotencyRecord | None  # None when this is a replay
    replay: Operation | None  # the first operation, marked ``replayed``

    def complete(self, operation: Operation) -> Operation:
        """Tie the claimed key to the operation this call made (not a replay)."""
        if self.record is not None:
            self.record.operation = operation
            self.record.save(update_fields=["operation"])
        operation.replayed = False
        return operation


def claim(*, actor: Actor, key: str, service: str, request: dict[str, Any]) -> Claim:
    key = check_key(key)
    print_ = fingerprint(service, request)
    existing = (
        IdempotencyRecord.objects.select_related("operation")
        .filter(scope=actor.idempotency_scope, key=key)
        .first()
    )
    if existing is not None:
        if existing.fingerprint != print_:
            raise IdempotencyConflict()
        replay = existing.operation
        if replay is not None:
            replay.replayed = True
        return Claim(record=None, replay=replay)
    record = IdempotencyRecord.objects.create(
        scope=actor.idempotency_scope, key=key, fingerprint=print_
    )
    return Claim(record=record, replay=None)
