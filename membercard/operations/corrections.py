"""Corrections are new operations: a reversal mirrors one operation; an adjustment posts
a difference with a reason. Nothing already written is ever changed."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import (
    CardNotActive,
    NotFound,
    NotPermitted,
    NotReversible,
    ValidationFailed,
)
from membercard.core.money import check_amount
from membercard.core.permissions import Action, allowed, require
from membercard.core.transactions import business_operation
from membercard.days.gate import current_day
from membercard.inventory.lifecycle import transition
from membercard.ledger import idempotency
from membercard.ledger.accounts import card_accounts, house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.models import LotEvent
from membercard.loyalty.policies import lot_expiry, policy_for
from membercard.loyalty.services import limits, standing, tiers
from membercard.loyalty.services.points import PointsBook
from membercard.operations import gifts
from membercard.operations.checks import handed_back_since
from membercard.operations.posting import post

REVERSIBLE = frozenset(
    {
        OperationKind.CARD_SALE,
        OperationKind.TOP_UP,
        OperationKind.PURCHASE,
        OperationKind.REFUND,
        OperationKind.GIFT_REDEMPTION,
    }
)
BUCKETS = {
    "principal": (AccountKind.CARD_PRINCIPAL, AccountKind.ADJUSTMENTS),
    "bonus": (AccountKind.CARD_BONUS, AccountKind.ADJUSTMENTS),
    "points": (AccountKind.CARD_POINTS, AccountKind.POINTS_ADJUSTMENTS),
}


def _may_reverse(actor: Actor, original: Operation) -> bool:
    """A manager of the operation's location, or whoever made it (a terminal its own)."""
    if actor.terminal is not None:
        return original.terminal_id == actor.terminal.pk
    if actor.staff is not None and original.staff_id == actor.staff.pk:
        return True
    return allowed(actor, Action.REVERSE_OTHERS, original.location)


def _sale_is_untouched(sale: Operation) -> bool:
    """Nothing but this sale (and operations already reversed) happened on the card since."""
    later = sale.card.operations.filter(pk__gt=sale.pk).exclude(kind=OperationKind.REVERSAL)
    return not later.filter(Q(reversed_by__isnull=True)).exists()


def _past_day(original: Operation) -> NotReversible:
    """The refusal for an operation of a closed or past business day, saying what to do."""
    day = {"day": original.business_date.isoformat()}
    if original.kind == OperationKind.PURCHASE:
        message = _(
            "This purchase is from the business day %(day)s, which is over (closed or past): "
            "it can no longer be reversed. Refund it instead."
        )
    else:
        message = _(
            "This operation is from the business day %(day)s, which is over (closed or past): "
            "only operations of the open business day can be reversed. HQ can correct it "
            "with an adjustment."
        )
    return NotReversible(message % day, business_date=day["day"])


@business_operation
def reverse(
    *, actor: Actor, operation_id: int, idempotency_key: str, reason: str = ""
) -> Operation:
    """The exact mirror of an operation of today at this store."""
    claim = idempotency.claim(
        actor=actor, key=idempotency_key, service="reverse", request={"operation": operation_id}
    )
    if claim.replay:
        return claim.replay
    require(actor, Action.REVERSE, _("reverse operations"))
    original = Operation.objects.filter(pk=operation_id).select_related("card").first()
    # Another store's operations answer like nonexistent ones.
    if original is None or original.location_id != actor.location.pk:
        raise NotFound(_("No operation with that number here."))
    if original.kind not in REVERSIBLE:
        raise NotReversible(
            _("A %(kind)s cannot be reversed.") % {"kind": original.get_kind_display().lower()}
        )
    # The day comes before who: no one reverses a past day's operation, so saying "only a
    # manager" would send the cashier to a manager who cannot do it either.
    if original.business_date != current_day(actor.location, on=today()):
        raise _past_day(original)
    if not _may_reverse(actor, original):
        raise NotPermitted(_("Only a manager may reverse another person's operation."))
    (card,) = lock_cards(original.card.number)
    if hasattr(original, "reversed_by"):
        raise NotReversible(_("This operation was already reversed."))
    if (
        original.kind == OperationKind.PURCHASE
        and original.refunds.filter(reversed_by__isnull=True).exists()
    ):
        raise NotReversible(_("This purchase has refunds: reverse them first."))
    if original.kind == OperationKind.CARD_SALE and not _sale_is_untouched(original):
        raise NotReversible(_("The card was used since it was sold."))
    if card.state not in (CardState.ACTIVE, CardState.FROZEN):
        raise NotReversible(_("The card is no longer active."), state=card.state)
    if handed_back_since(card, original):
        raise NotReversible(_("The card was handed back since."), state=card.state)

    entry = Entry(
        OperationKind.REVERSAL,
        card,
        fields={
            "gross_minor": original.gross_minor,
            "discount_minor": original.discount_minor,
            "net_minor": original.net_minor,
            "paid_other_minor": original.paid_other_minor,
            "tender": original.tender,
            "reverses": original,
            "reason": reason.strip(),
        },
    )
    # The card's accounts as they are now, read under the card's lock.
    accounts = {a.pk: a for a in card.accounts.all()}
    for transfer in original.transfers.select_related("debit_account", "credit_account"):
        entry.move(
            accounts.get(transfer.credit_account_id, transfer.credit_account),
            accounts.get(transfer.debit_account_id, transfer.debit_account),
            transfer.amount,
        )
    operation = post(entry, actor=actor)
    _undo_loyalty(original, operation, actor)
    gifts.after_reversal(original=original, reversal=operation, actor=actor)
    if original.kind == OperationKind.CARD_SALE:
        transition(
            card,
            CardState.IN_STOCK,
            event="card.sale_reversed",
            by=actor,
            document={"operation": operation},
            location=original.location,
            sold_at=None,
            activated_at=None,
            expires_on=None,
            member=None,
            pin_hash="",
        )
    return claim.complete(operation)


def _undo_loyalty(original: Operation, reversal: Operation, actor: Actor) -> None:
    """What loyalty kept about ``original`` is undone with it: its points lots changes
    (mirrored), the points it made the card owe or repaid, the tier it reached."""
    book = PointsBook(Entry(OperationKind.REVERSAL, reversal.card))
    book.mirror(original)
    book.save(reversal)
    standing.cancel_owed(reversal.card, original.details.get("points_owed", 0))
    standing.owe_points(reversal.card, original.details.get("points_debt_repaid", 0))
    if original.kind == OperationKind.PURCHASE:
        tiers.revert_upgrade(original=original, reversal=reversal, actor=actor)
    elif original.kind == OperationKind.CARD_SALE:
        tiers.reset(card=reversal.card, operation=reversal, actor=actor, reason="Sale reversed.")


@business_operation
def adjust(
    *,
    actor: Actor,
    card_number: str,
    bucket: str,
    delta: int,
    reason: str,
    idempotency_key: str,
) -> Operation:
    """HQ finance corrects a card's principal, bonus or points by a signed ``delta``; value
    added must fit the card's prepaid limit."""
    request = {"card": card_number, "bucket": bucket, "delta": delta, "reason": reason}
    claim = idempotency.claim(actor=actor, key=idempotency_key, service="adjust", request=request)
    if claim.replay:
        return claim.replay
    if not allowed(actor, Action.ADJUST):
        raise NotPermitted(_("Only HQ finance may adjust a card."))
    if not reason or not reason.strip():
        raise ValidationFailed(_("An adjustment needs a reason."), field="reason")
    if bucket not in BUCKETS:
        raise ValidationFailed(_("Adjust principal, bonus or points."), field="bucket")
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationFailed(_("The adjustment must be a whole number, not zero."), field="delta")
    check_amount(abs(delta), field="adjustment")
    (card,) = lock_cards(card_number)
    if card.state not in (CardState.ACTIVE, CardState.FROZEN):
        raise CardNotActive(
            _("Only a card in a customer's hands can be adjusted."), state=card.state
        )
    card_kind, house_kind = BUCKETS[bucket]
    accounts = card_accounts(card)
    card_account = accounts.by_kind(card_kind)
    house = house_account(house_kind)
    entry = Entry(
        OperationKind.ADJUSTMENT,
        card,
        fields={
            "gross_minor": abs(delta) if bucket != "points" else 0,
            "net_minor": abs(delta) if bucket != "points" else 0,
            "reason": reason.strip(),
            "details": {"bucket": bucket, "delta": delta},
        },
    )
    if bucket == "points":
        # Points added are a lot of their own (expiring as if earned today); points taken
        # come from the lots closest to expiry.
        book = PointsBook(entry, accounts.points)
        if delta > 0:
            policy, on = policy_for(card.product), today()
            book.earn(
                delta, source=house, on=on, expires_on=lot_expiry(policy, on), event=LotEvent.ADJUST
            )
        else:
            book.take(-delta, credit=house, event=LotEvent.ADJUST)
        return claim.complete(post(entry, actor=actor, points=book))
    # Value added fits the card's prepaid limit, as a top-up would (taking value off never
    # fails it, so a card over a limit lowered since can still be corrected down).
    limits.check_adjustment(card=card, value_minor=accounts.value, delta_minor=delta)
    if delta > 0:
        entry.move(house, card_account, delta)
    else:
        entry.move(card_account, house, -delta)
    return claim.complete(post(entry, actor=actor))
