"""What a purchase would cost and earn, before the customer says yes (the counter's preview).

Read-only: nothing is locked or written. The figures come from the very code the
``purchase`` service posts with (``pricing.price_purchase``), so a quote shown at the
counter is what the confirm then posts, as long as nothing happened on the card in between
(the service checks again under the card's lock and refuses what no longer fits).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, InsufficientPoints
from membercard.core.money import check_amount
from membercard.core.permissions import Action, require
from membercard.ledger.accounts import CardAccounts
from membercard.ledger.models import CARD_ACCOUNT_KINDS, Account, AccountKind, unit_of
from membercard.loyalty.selectors import card_points
from membercard.loyalty.services.standing import points_owed
from membercard.operations.checks import ensure_usable
from membercard.operations.pricing import price_purchase


@dataclass(frozen=True)
class PurchaseQuote:
    card_number: str
    gross_minor: int
    discount_minor: int  # rate discount + value of points redeemed
    net_minor: int
    from_balance_minor: int
    from_principal_minor: int
    from_bonus_minor: int
    rest_minor: int  # to pay otherwise (a split), 0 when the balance pays it all
    points_to_earn: int
    points_redeemed: int
    points_off_minor: int  # what the points redeemed pay (part of ``discount_minor``)
    balance_before_minor: int
    balance_after_minor: int
    points_before: int
    points_after: int
    tier_code: str
    discount_rate_bp: int
    has_stored_value: bool
    pin_required: bool

    @property
    def needs_split(self) -> bool:
        """The balance does not cover the net amount of a value card: the rest is paid by a
        tender (``purchase(allow_split=True, other_tender=...)``)."""
        return self.has_stored_value and self.rest_minor > 0

    @property
    def needs_pin(self) -> bool:
        return self.pin_required and (self.from_balance_minor > 0 or self.points_redeemed > 0)


def _read_accounts(card: Card) -> CardAccounts:
    """The card's accounts as they are (unsaved zero accounts where none is open yet)."""
    found = {a.kind: a for a in Account.objects.filter(card=card)}
    for kind in CARD_ACCOUNT_KINDS:
        found.setdefault(kind, Account(kind=kind, unit=unit_of(kind), card=card, balance=0))
    return CardAccounts(
        principal=found[AccountKind.CARD_PRINCIPAL],
        bonus=found[AccountKind.CARD_BONUS],
        points=found[AccountKind.CARD_POINTS],
    )


def quote_purchase(
    *,
    actor: Actor,
    card_number: str,
    amount_minor: int,
    pay_with_balance: bool = True,
    redeem_points: int = 0,
) -> PurchaseQuote:
    """The purchase of ``amount_minor`` gross on the card, priced as ``purchase`` would
    (with the rest paid otherwise when the balance is short). Refuses what ``purchase``
    refuses before pricing: the role, the amount, a card not usable."""
    require(actor, Action.TAKE_PAYMENT, _("take payments"))
    check_amount(amount_minor)
    card = Card.objects.select_related("product").filter(number=card_number).first()
    if card is None:
        raise CardNotFound()
    ensure_usable(card)
    product = card.product
    accounts = _read_accounts(card)
    pricing = price_purchase(
        card=card,
        accounts=accounts,
        location=actor.location,
        amount_minor=amount_minor,
        pay_with_balance=pay_with_balance,
        redeem_points=redeem_points,
    )
    terms, earned = pricing.terms, pricing.earned
    if terms.points_redeemed:
        # The purchase refuses this under the card's lock; the preview says so at once.
        usable = card_points(card, on=pricing.on).usable
        if terms.points_redeemed > usable:
            raise InsufficientPoints(available=usable, needed=terms.points_redeemed)
    net, from_balance = pricing.net_minor, pricing.from_balance_minor
    from_principal, from_bonus = pricing.from_principal_minor, pricing.from_bonus_minor
    repaid = min(points_owed(card), earned.points)
    points_before = accounts.points.balance
    return PurchaseQuote(
        card_number=card.number,
        gross_minor=amount_minor,
        discount_minor=terms.total_discount_minor,
        net_minor=net,
        from_balance_minor=from_balance,
        from_principal_minor=from_principal,
        from_bonus_minor=from_bonus,
        rest_minor=net - from_balance,
        points_to_earn=earned.points,
        points_redeemed=terms.points_redeemed,
        points_off_minor=terms.points_off_minor,
        balance_before_minor=accounts.value,
        balance_after_minor=accounts.value - from_balance,
        points_before=points_before,
        points_after=points_before - terms.points_redeemed + earned.points - repaid,
        tier_code=terms.tier.code if terms.tier is not None else "",
        discount_rate_bp=terms.rate_bp,
        has_stored_value=product.has_stored_value,
        pin_required=product.pin_required,
    )
