"""Selling cards and topping them up: money comes in by a tender and becomes card value."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards import policies
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import (
    CardNotInStock,
    NotPermitted,
    ProductPolicyViolation,
    ValidationFailed,
)
from membercard.core.money import check_amount
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory.lifecycle import transition
from membercard.ledger import idempotency
from membercard.ledger.accounts import card_accounts, house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.models import Member
from membercard.loyalty.services import limits, tiers
from membercard.loyalty.services.members import find_or_register_member
from membercard.operations.checks import (
    check_new_pin,
    check_tender,
    ensure_usable,
)
from membercard.operations.posting import post


@business_operation
def sell_card(
    *,
    actor: Actor,
    card_number: str,
    initial_value_minor: int,
    tender: str,
    idempotency_key: str,
    member: Member | None = None,
    member_name: str = "",
    member_mobile: str = "",
    pin: str | None = None,
    read_as: str = "",
    occurred_at: dt.datetime | None = None,
) -> Operation:
    """A card in stock at the seller's location becomes active with its first value.

    The customer pays initial value + card fee + deposit by ``tender``; a bonus
    by the product's rule is granted from HQ's promotions. The product may require a
    member; value + bonus must fit the prepaid limit (anonymous or registered).
    ``member_mobile`` (with ``member_name``) gives the card to the member with that mobile,
    registered here if new: inside this sale, so a refused sale registers nobody.
    """
    request = {
        "card": card_number,
        "initial_value_minor": initial_value_minor,
        "tender": tender,
        "member": member.pk if member else None,
    }
    if member_mobile:
        request["member_mobile"] = member_mobile
    claim = idempotency.claim(
        actor=actor, key=idempotency_key, service="sell_card", request=request
    )
    if claim.replay:
        return claim.replay
    require(actor, Action.SELL_CARD, _("sell cards"))
    (card,) = lock_cards(card_number)
    product = card.product
    if card.state != CardState.IN_STOCK or card.location_id != actor.location.pk:
        raise CardNotInStock()
    if not product.is_active:
        raise ProductPolicyViolation(
            _("%(product)s is no longer sold.") % {"product": product.name}
        )
    check_amount(initial_value_minor, allow_zero=True, field="initial value")
    if initial_value_minor == 0 and product.has_stored_value and not product.rechargeable:
        raise ProductPolicyViolation(_("A one-time card is sold with its face value."))
    policies.check_initial_value(product, initial_value_minor)
    paid = initial_value_minor + product.card_fee_minor + product.deposit_minor
    tender = check_tender(tender, needed=paid > 0)
    if product.pin_required and not pin:
        raise ValidationFailed(_("This card needs a PIN to pay: set one at sale."), field="pin")
    if member is None and member_mobile:
        member = find_or_register_member(actor=actor, name=member_name, mobile=member_mobile)
    bonus = policies.bonus_for(product, initial_value_minor)
    limits.check_sale(product=product, member=member, value_minor=initial_value_minor + bonus)

    accounts = card_accounts(card)
    till = (
        house_account(AccountKind.TENDER, location=actor.location, tender=tender) if paid else None
    )
    entry = Entry(
        OperationKind.CARD_SALE,
        card,
        fields={
            "gross_minor": paid,
            "net_minor": paid,
            "tender": tender,
            "read_as": read_as,
            # The sale's lines as the receipt and the API show them (the ledger has them too).
            "details": {
                "initial_value_minor": initial_value_minor,
                "bonus_minor": bonus,
                "card_fee_minor": product.card_fee_minor,
                "deposit_minor": product.deposit_minor,
            },
        },
    )
    if till is not None:
        entry.move(till, accounts.principal, initial_value_minor)
        entry.move(
            till,
            house_account(AccountKind.CARD_FEES, location=actor.location),
            product.card_fee_minor,
        )
        entry.move(
            till,
            house_account(AccountKind.DEPOSITS, location=actor.location),
            product.deposit_minor,
        )
    entry.move(house_account(AccountKind.PROMOTIONS), accounts.bonus, bonus)

    pin_hash = make_password(check_new_pin(pin)) if pin else ""
    operation = post(entry, actor=actor, occurred_at=occurred_at)
    transition(
        card,
        CardState.ACTIVE,
        event="card.sold",
        by=actor,
        document={"operation": operation},
        sold_at=actor.location,
        activated_at=timezone.now(),
        expires_on=policies.expiry_for(product, today()),
        member=member,
        pin_hash=pin_hash,
    )
    if member is not None:  # a member's card starts at its tier at once
        tiers.give_starting_tier(
            card=card, actor=actor, on=operation.business_date, operation=operation
        )
    return claim.complete(operation)


@business_operation
def top_up(
    *,
    actor: Actor,
    card_number: str,
    amount_minor: int,
    tender: str,
    idempotency_key: str,
    read_as: str = "",
    occurred_at: dt.datetime | None = None,
) -> Operation:
    """Add value to a rechargeable card: HQ always, a store only where the product allows;
    value + bonus after it must fit the card's prepaid limit (anonymous or registered)."""
    request = {"card": card_number, "amount_minor": amount_minor, "tender": tender}
    claim = idempotency.claim(actor=actor, key=idempotency_key, service="top_up", request=request)
    if claim.replay:
        return claim.replay
    require(actor, Action.TOP_UP, _("top up cards"))
    check_amount(amount_minor)
    tender = check_tender(tender, needed=True)
    (card,) = lock_cards(card_number)
    product = card.product
    ensure_usable(card)
    # What the card is comes first: a one-time card is topped up nowhere, not "only at HQ".
    policies.require_value_card(product, _("top up"))
    if not product.rechargeable:
        raise ProductPolicyViolation(
            _("%(product)s is a one-time card: it is not rechargeable and cannot be topped up.")
            % {"product": product.name}
        )
    if not actor.at_hq and not product.stores_may_top_up:  # the product widens a store's power
        raise NotPermitted(
            _("Only headquarters may top up %(product)s cards.") % {"product": product.name}
        )
    bonus = policies.bonus_for(product, amount_minor)
    accounts = card_accounts(card)
    limits.check_top_up(card=card, value_minor=accounts.value, adding_minor=amount_minor + bonus)

    entry = Entry(
        OperationKind.TOP_UP,
        card,
        fields={
            "gross_minor": amount_minor,
            "net_minor": amount_minor,
            "tender": tender,
            "read_as": read_as,
            "details": {"bonus_minor": bonus},
        },
    )
    till = house_account(AccountKind.TENDER, location=actor.location, tender=tender)
    entry.move(till, accounts.principal, amount_minor)
    entry.move(house_account(AccountKind.PROMOTIONS), accounts.bonus, bonus)
    return claim.complete(post(entry, actor=actor, occurred_at=occurred_at))
