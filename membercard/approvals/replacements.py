"""A replacement over the prepaid limit: refused at the counter (``PrepaidLimitExceeded``),
it may be filed as a request; someone else at HQ approves it (``APPROVE_LIMIT_OVERRIDE``).

The request is rehearsed with the override it asks for (``LimitOverride``: the new card may
carry the value it would carry now, no more), so the approver sees the old card emptied and
the value the new card receives. The approval posts the replacement as the maker with that
override; the one limit check (``loyalty.services.limits.check_prepaid_limit``) accepts it,
and the operation's details keep it (``{"limit_override": {"request": <id>, ...}}``), so the
reports list it (``reports.limit_overrides``). If the cards changed meanwhile the posting
differs from the preview and the approval is refused (``request_stale``).
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.approvals.preview import rehearse
from membercard.approvals.stock import file_request
from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.ledger.accounts import card_accounts
from membercard.ledger.models import Operation
from membercard.loyalty.services.limits import LimitOverride, current_limits
from membercard.operations.card_life import replace_card

APPROVAL_KEY = "approval-"  # the key an approval posts with (``services.approve``)


def request_replacement(
    *, actor: Actor, old_number: str, new_number: str, reason: str, idempotency_key: str
) -> ApprovalRequest:
    """File the replacement the prepaid limit refused: every other check is made now (the
    rehearsal), and the preview shows what the approval will post."""
    require(actor, Action.REPLACE, _("replace cards"))
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the card is replaced over the limit."), field="reason")
    old, new = _cards(old_number, new_number)
    carried = card_accounts(old).value + card_accounts(new).value
    limits = current_limits()
    limit = limits.registered_limit_minor if old.member_id else limits.anonymous_limit_minor
    if carried <= limit:
        raise ValidationFailed(
            _("This replacement fits the prepaid limit: replace the card at the counter.")
        )
    payload = {
        "old_number": old.number,
        "new_number": new.number,
        "reason": reason.strip(),
        "up_to_minor": carried,  # what the override lets the new card carry
        "limit_minor": limit,  # the limit it goes over (shown to the approver)
    }
    rehearsal_key = f"rehearsal-{uuid.uuid4().hex}"
    preview = rehearse(lambda: post_replacement(actor, payload, rehearsal_key))
    return file_request(actor, RequestKind.REPLACEMENT, payload, preview, idempotency_key)


def _cards(old_number: str, new_number: str) -> tuple[Card, Card]:
    found = {card.number: card for card in Card.objects.filter(number__in=[old_number, new_number])}
    if old_number not in found or new_number not in found:
        raise CardNotFound()
    return found[old_number], found[new_number]


def post_replacement(maker: Actor, payload: dict, idempotency_key: str) -> Operation:
    """The replacement, as ``maker``, with the override the request asks for (its number
    read off the approval's key; none in a rehearsal)."""
    request_id = None
    if idempotency_key.startswith(APPROVAL_KEY):
        request_id = int(idempotency_key.removeprefix(APPROVAL_KEY))
    return replace_card(
        actor=maker,
        old_number=payload["old_number"],
        new_number=payload["new_number"],
        reason=payload["reason"],
        idempotency_key=idempotency_key,
        limit_override=LimitOverride(request_id=request_id, up_to_minor=payload["up_to_minor"]),
    )
