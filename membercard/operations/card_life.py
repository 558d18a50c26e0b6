"""A card's life after sale: freeze and unfreeze, replace a lost card, restock a one-time
card handed back (``hand_back``; ``recover_card`` is its older name). Each is one business
operation on the ledger, so the card's hash chain records its whole life."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import CardNotInStock, InvalidTransition, ProductPolicyViolation
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory.lifecycle import transition
from membercard.ledger import idempotency
from membercard.ledger.accounts import card_accounts
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.services import limits, tiers
from membercard.loyalty.services.points import PointsBook
from membercard.operations.hand_back import back_in_stock, hand_back_card
from membercard.operations.posting import post

# The older name of a hand-back (a one-time card taken back at the counter).
recover_card = hand_back_card


@business_operation
def freeze_card(
    *, actor: Actor, card_number: str, reason: str = "", read_as: str = ""
) -> Operation:
    """Stop a card being used (reported lost or stolen). ``read_as``: how the card was
    read, when it was presented (a lost card found by its member was not)."""
    require(actor, Action.FREEZE, _("freeze cards"))
    (card,) = lock_cards(card_number)
    if card.state != CardState.ACTIVE:
        raise InvalidTransition(_("Only an active card can be frozen."), state=card.state)
    entry = Entry(
        OperationKind.CARD_FROZEN, card, fields={"reason": reason.strip(), "read_as": read_as}
    )
    operation = post(entry, actor=actor)
    transition(
        card, CardState.FROZEN, event="card.frozen", by=actor, document={"operation": operation}
    )
    return operation


@business_operation
def unfreeze_card(
    *, actor: Actor, card_number: str, reason: str = "", read_as: str = ""
) -> Operation:
    require(actor, Action.UNFREEZE, _("unfreeze cards"))
    (card,) = lock_cards(card_number)
    if card.state != CardState.FROZEN:
        raise InvalidTransition(_("The card is not frozen."), state=card.state)
    entry = Entry(
        OperationKind.CARD_UNFROZEN, card, fields={"reason": reason.strip(), "read_as": read_as}
    )
    operation = post(entry, actor=actor)
    transition(
        card, CardState.ACTIVE, event="card.unfrozen", by=actor, document={"operation": operation}
    )
    return operation


@business_operation
def replace_card(
    *,
    actor: Actor,
    old_number: str,
    new_number: str,
    idempotency_key: str,
    reason: str = "",
    limit_override: limits.LimitOverride | None = None,
    read_as: str = "",
) -> Operation:
    """A lost or damaged card is replaced by a card of the same product from the actor's
    stock: principal, bonus, points (lot by lot), tier, member, expiry and PIN move to the
    new card. The value moved must fit the new card's prepaid limit, or the approved
    ``limit_override`` (``approvals.replacements``), which the operation's details keep.
    ``read_as``: how the new card was read when it was scanned from stock."""
    request = {"old": old_number, "new": new_number}
    claim = idempotency.claim(
        actor=actor, key=idempotency_key, service="replace_card", request=request
    )
    if claim.replay:
        return claim.replay
    require(actor, Action.REPLACE, _("replace cards"))
    old, new = lock_cards(old_number, new_number)
    if old.pk == new.pk:
        raise InvalidTransition(_("A card cannot replace itself."))
    if old.state not in (CardState.ACTIVE, CardState.FROZEN):
        raise InvalidTransition(
            _("Only an active or frozen card can be replaced."), state=old.state
        )
    if new.state != CardState.IN_STOCK or new.location_id != actor.location.pk:
        raise CardNotInStock(_("The new card is not in stock at this location."))
    if new.product_id != old.product_id:
        raise ProductPolicyViolation(_("The new card must be of the same product."))

    old_accounts, new_accounts = card_accounts(old), card_accounts(new)
    # The new card receives the old one's value: it must fit the new card's prepaid limit
    # (the registered one when a member is carried over), also where the limits were
    # lowered since the old card was filled.
    limits.check_replacement(
        member_id=old.member_id,
        value_minor=new_accounts.value,
        carried_minor=old_accounts.value,
        override=limit_override,
    )
    fields = {"related_card": new, "reason": reason.strip(), "read_as": read_as}
    if limit_override is not None:
        fields["details"] = limit_override.details()
    entry = Entry(OperationKind.CARD_REPLACEMENT, old, fields=fields)
    for kind in (AccountKind.CARD_PRINCIPAL, AccountKind.CARD_BONUS):
        source = old_accounts.by_kind(kind)
        entry.move(source, new_accounts.by_kind(kind), source.balance)
    # Points move lot by lot, each keeping its expiry; tier and points owed follow.
    book = PointsBook(entry, old_accounts.points)
    book.move_all(to_card=new, to_account=new_accounts.points)
    operation = post(entry, actor=actor, points=book)
    tiers.carry_over(old=old, new=new, operation=operation, actor=actor)
    document = {"operation": operation}
    transition(
        new,
        CardState.ACTIVE,
        event="card.issued_as_replacement",
        by=actor,
        document=document,
        member=old.member,
        sold_at=old.sold_at,
        activated_at=timezone.now(),
        expires_on=old.expires_on,
        pin_hash=old.pin_hash,
    )
    transition(
        old,
        CardState.REPLACED,
        event="card.replaced",
        by=actor,
        document=document,
        replaced_by=new,
    )
    return claim.complete(operation)


@business_operation
def restock_card(*, actor: Actor, card_number: str) -> None:
    """A recovered card, checked and fit to sell again, goes back into stock here."""
    require(actor, Action.RESTOCK, _("restock cards"))
    (card,) = lock_cards(card_number)
    back_in_stock(card, actor=actor)
