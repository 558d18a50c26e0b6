"""Short calls to the approvals services for the tests, each under a fresh key."""

from __future__ import annotations

from membercard.approvals.services import (
    request_adjustment,
    request_hq_top_up,
    request_thresholds_change,
)
from membercard.cards.models import Card
from membercard.core.actors import Actor
from tests import factories as f


def ask_adjustment(actor: Actor, card: Card, delta: int = 500, bucket: str = "principal", **kw):
    kw.setdefault("idempotency_key", f.key())
    kw.setdefault("reason", "Till shortfall found on the day sheet")
    return request_adjustment(
        actor=actor, card_number=card.number, bucket=bucket, delta=delta, **kw
    )


def ask_top_up(actor: Actor, card: Card, amount_minor: int = 40_000, **kw):
    kw.setdefault("idempotency_key", f.key())
    kw.setdefault("tender", "cash")
    return request_hq_top_up(actor=actor, card_number=card.number, amount_minor=amount_minor, **kw)


def ask_thresholds(actor: Actor, **values):
    new = {
        "adjustment_minor": 5_000,
        "points_adjustment": 100,
        "hq_top_up_minor": 50_000,
        "lifetime_hours": 24,
        **values,
    }
    return request_thresholds_change(actor=actor, idempotency_key=f.key(), **new)


def approved(request, by: Actor | None = None):
    """``request`` approved by someone other than its maker (a fresh HQ admin unless
    ``by``): the second person of four eyes, for tests of what the approval does."""
    from membercard.approvals.services import approve
    from membercard.core.models import Role

    return approve(actor=by or f.actor(Role.HQ_ADMIN), request_id=request.pk)
