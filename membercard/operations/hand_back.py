"""A one-time card handed back at the counter: its deposit is refunded by a tender, value
left on it is paid out or the hand-back refused (the product's ``value_on_hand_back``),
and the card stays at this store, either back in stock (fit to sell again) or
``recovered`` ("to check") for the store manager or HQ to restock, send to HQ or void.

The ledger of a hand-back (one ``card_recovery`` operation):

- deposit: deposits held (at the store that sold the card) -> the till, by the tender;
- value left, where the product pays it out: the principal -> the till (paid out, by the
  same tender), the bonus -> breakage at HQ (a bonus was never paid for, so it is not
  paid out: the house keeps it, as with expired value);
- points left lapse (every lot), its tier and any points owed end.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext as _

from membercard.cards.models import Card, ValueOnHandBack
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import CardNotInStock, InvalidTransition, ProductPolicyViolation
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory.lifecycle import transition
from membercard.ledger import idempotency
from membercard.ledger.accounts import CardAccounts, card_accounts, house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind, Transfer
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.models import LotEvent
from membercard.loyalty.services import tiers
from membercard.loyalty.services.points import PointsBook
from membercard.operations.checks import check_tender
from membercard.operations.posting import post


@dataclass(frozen=True)
class HandBackMoney:
    """What the customer gets back, and what the house keeps."""

    deposit_minor: int
    paid_out_minor: int  # the principal left, paid out
    forfeited_minor: int  # the bonus left, to breakage

    @property
    def total_minor(self) -> int:
        return self.deposit_minor + self.paid_out_minor

    def details(self) -> dict[str, int]:
        return {
            "deposit_refunded_minor": self.deposit_minor,
            "value_paid_out_minor": self.paid_out_minor,
            "bonus_forfeited_minor": self.forfeited_minor,
        }


def deposit_held(card: Card) -> int:
    """The deposit taken when the card was last sold and not yet given back.

    A replacement card was never sold: the deposit was paid for the card it replaced
    (and that one's predecessors), so their operations count too.
    """
    card_ids = [card.pk]
    while (previous := Card.objects.filter(replaced_by_id=card_ids[-1]).first()) is not None:
        card_ids.append(previous.pk)
    on_card = Transfer.objects.filter(operation__card_id__in=card_ids)
    taken = on_card.filter(credit_account__kind=AccountKind.DEPOSITS).aggregate(t=Sum("amount"))
    given = on_card.filter(debit_account__kind=AccountKind.DEPOSITS).aggregate(t=Sum("amount"))
    return (taken["t"] or 0) - (given["t"] or 0)


def _money_back(card: Card, accounts: CardAccounts) -> HandBackMoney:
    """The deposit, and the value left as the product's policy says (or the refusal)."""
    left = accounts.value
    if left and card.product.value_on_hand_back != ValueOnHandBack.PAY_OUT:
        raise ProductPolicyViolation(
            _("The card still carries value: spend it to zero first."), value_minor=left
        )
    return HandBackMoney(
        deposit_minor=deposit_held(card),
        paid_out_minor=accounts.principal.balance,
        forfeited_minor=accounts.bonus.balance,
    )


def _entry(
    card: Card,
    accounts: CardAccounts,
    money: HandBackMoney,
    *,
    actor: Actor,
    tender: str,
    fit: bool,
    read_as: str,
) -> Entry:
    """The operation: its details keep the money lines of the receipt and where the card
    went (``card_state``), so a receipt or an API replay shows them as they were."""
    state = CardState.IN_STOCK if fit else CardState.RECOVERED
    entry = Entry(
        OperationKind.CARD_RECOVERY,
        card,
        fields={
            "gross_minor": money.total_minor,
            "net_minor": money.total_minor,
            "tender": tender if money.total_minor else "",
            "read_as": read_as,
            "details": {**money.details(), "card_state": str(state)},
        },
    )
    if money.total_minor:
        till = house_account(AccountKind.TENDER, location=actor.location, tender=tender)
        if money.deposit_minor:
            deposits = house_account(AccountKind.DEPOSITS, location=card.sold_at or actor.location)
            entry.move(deposits, till, money.deposit_minor)
        entry.move(accounts.principal, till, money.paid_out_minor)
    if money.forfeited_minor:
        entry.move(accounts.bonus, house_account(AccountKind.BREAKAGE), money.forfeited_minor)
    return entry


@business_operation
def hand_back_card(
    *,
    actor: Actor,
    card_number: str,
    idempotency_key: str,
    tender: str = "cash",
    fit_to_sell: bool = False,
    read_as: str = "",
) -> Operation:
    """A customer hands a one-time card back: the deposit (and, where the product pays it
    out, the principal left) is paid by ``tender``, the bonus left goes to breakage, points
    lapse. The card stays at this location: back in stock when someone who may restock
    (``Action.RESTOCK``) says it is ``fit_to_sell``, else ``recovered`` (to check).
    No value moves onto a card, so no prepaid limit applies. ``read_as``: how the card was
    read (kept with the operation)."""
    request = {"card": card_number, "tender": tender}
    if fit_to_sell:
        request["fit_to_sell"] = True
    claim = idempotency.claim(
        actor=actor, key=idempotency_key, service="hand_back_card", request=request
    )
    if claim.replay:
        return claim.replay
    require(actor, Action.RECOVER, _("take cards back"))
    if fit_to_sell:
        require(actor, Action.RESTOCK, _("restock cards"))
    (card,) = lock_cards(card_number)
    if card.product.rechargeable:
        raise ProductPolicyViolation(_("Only one-time cards are handed back."))
    if card.state != CardState.ACTIVE:
        raise InvalidTransition(_("Only an active one-time card is handed back."), state=card.state)
    accounts = card_accounts(card)
    money = _money_back(card, accounts)
    tender = check_tender(tender, needed=money.total_minor > 0)
    entry = _entry(
        card, accounts, money, actor=actor, tender=tender, fit=fit_to_sell, read_as=read_as
    )
    book = PointsBook(entry, accounts.points)
    book.take(
        accounts.points.balance,
        credit=house_account(AccountKind.POINTS_EXPIRED),
        event=LotEvent.LAPSE,
    )
    operation = post(entry, actor=actor, points=book)
    tiers.reset(card=card, operation=operation, actor=actor, reason="Card handed back.")
    transition(
        card,
        CardState.RECOVERED,
        event="card.recovered",
        by=actor,
        document={"operation": operation},
        location=actor.location,
        member=None,
        pin_hash="",
        expires_on=None,
    )
    if fit_to_sell:
        back_in_stock(card, actor=actor)
    return claim.complete(operation)


def back_in_stock(card: Card, *, actor: Actor) -> None:
    """A recovered ``card`` (locked), fit to sell again, goes into stock at ``actor``'s place."""
    if card.state != CardState.RECOVERED or card.location_id != actor.location.pk:
        raise CardNotInStock(_("The card is not recovered at this location."))
    transition(
        card,
        CardState.IN_STOCK,
        event="card.restocked",
        by=actor,
        location=actor.location,
        sold_at=None,
    )
