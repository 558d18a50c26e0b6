"""The daily points expiry: due lots leave the cards through the ledger
(``points_expire`` operations, ``card_points`` -> ``points_expired``).

A lot is usable through its ``expires_on``; the run for date D expires every lot whose
last day is before D. Each card is one operation in its own transaction; a second run
for the same date finds nothing left to expire, so the job is idempotent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.ledger.accounts import card_accounts, house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.models import PointsLot
from membercard.loyalty.services.points import PointsBook
from membercard.operations.posting import post


@dataclass
class ExpiryRun:
    on: dt.date
    operations: list[Operation] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(op.details["points_expired"] for op in self.operations)


@business_operation
def expire_card_points(*, actor: Actor, card_id: int, on: dt.date) -> Operation | None:
    """Expire the card's lots whose last day is before ``on``; None if there are none."""
    number = Card.objects.filter(pk=card_id).values_list("number", flat=True).get()
    (card,) = lock_cards(number)
    accounts = card_accounts(card)
    details = {"expired_before": on.isoformat()}
    entry = Entry(OperationKind.POINTS_EXPIRE, card, fields={"details": details})
    book = PointsBook(entry, accounts.points)
    expired = book.expire_due(on=on, credit=house_account(AccountKind.POINTS_EXPIRED))
    if not expired:
        return None
    details["points_expired"] = expired
    return post(entry, actor=actor, points=book)


def expire_points(*, actor: Actor, on: dt.date) -> ExpiryRun:
    """Expire every lot due before ``on`` on every card (see the module docstring)."""
    require(actor, Action.EXPIRE_POINTS, _("expire points"))
    card_ids = (
        PointsLot.objects.filter(remaining__gt=0, expires_on__lt=on)
        .order_by("card_id")
        .values_list("card_id", flat=True)
        .distinct()
    )
    run = ExpiryRun(on=on)
    for card_id in list(card_ids):
        operation = expire_card_points(actor=actor, card_id=card_id, on=on)
        if operation is not None:
            run.operations.append(operation)
    return run
