"""Pricing a purchase: the one computation the ``purchase`` service posts and the counter's
quote shows (discounts, points redeemed, what the balance pays and from which bucket, the
rest paid otherwise, the points earned). Reads only; the caller decides what to lock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from membercard.cards.models import Card, SpendOrder
from membercard.core.calendar import today
from membercard.core.models import Location
from membercard.ledger.accounts import CardAccounts
from membercard.loyalty.models import LoyaltyPolicy
from membercard.loyalty.policies import policy_for
from membercard.loyalty.services import earning


@dataclass(frozen=True)
class PurchasePricing:
    policy: LoyaltyPolicy
    on: dt.date  # the business day it is priced for
    terms: earning.PurchaseTerms
    net_minor: int
    available_minor: int  # what the balance could pay (0 when it does not pay)
    from_balance_minor: int
    from_principal_minor: int
    from_bonus_minor: int
    earned: earning.Earning

    @property
    def paid_other_minor(self) -> int:
        return self.net_minor - self.from_balance_minor


def split_spend(accounts: CardAccounts, amount: int, order: str) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and from bonus, by the product's order."""
    if order == SpendOrder.BONUS_FIRST:
        from_bonus = min(accounts.bonus.balance, amount)
        return amount - from_bonus, from_bonus
    from_principal = min(accounts.principal.balance, amount)
    return from_principal, amount - from_principal


def price_purchase(
    *,
    card: Card,
    accounts: CardAccounts,
    location: Location,
    amount_minor: int,
    pay_with_balance: bool,
    redeem_points: int,
) -> PurchasePricing:
    product = card.product
    policy, on = policy_for(product), today()
    terms = earning.purchase_terms(
        card=card, policy=policy, gross_minor=amount_minor, redeem_points=redeem_points
    )
    net = amount_minor - terms.total_discount_minor
    available = accounts.value if (pay_with_balance and product.has_stored_value) else 0
    from_balance = min(available, net)
    from_principal, from_bonus = split_spend(accounts, from_balance, product.spend_order)
    earned = earning.points_to_earn(
        card=card,
        policy=policy,
        tier=terms.tier,
        net_minor=net,
        from_bonus_minor=from_bonus,
        paid_other_minor=net - from_balance,
        location=location,
        on=on,
    )
    return PurchasePricing(
        policy=policy,
        on=on,
        terms=terms,
        net_minor=net,
        available_minor=available,
        from_balance_minor=from_balance,
        from_principal_minor=from_principal,
        from_bonus_minor=from_bonus,
        earned=earned,
    )
