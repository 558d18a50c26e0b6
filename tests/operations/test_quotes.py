"""The counter's purchase preview (membercard.operations.quotes): read-only, and exactly what
``purchase`` then posts."""

from __future__ import annotations

import pytest

from membercard.core.errors import CardNotActive, InvalidAmount, NotPermitted
from membercard.core.models import Role
from membercard.ledger.models import Operation
from membercard.operations import purchase
from membercard.operations.card_life import freeze_card
from membercard.operations.quotes import quote_purchase
from tests import factories as f
from tests.ledger.helpers import unchanged
from tests.loyalty.helpers import points_product, tiered_product

pytestmark = pytest.mark.django_db


def quote_then_buy(actor, card, amount, **buy):
    with unchanged(card):
        quote = quote_purchase(actor=actor, card_number=card.number, amount_minor=amount)
    operation = purchase(
        actor=actor,
        card_number=card.number,
        amount_minor=amount,
        idempotency_key=f.key(),
        allow_split=quote.needs_split,
        other_tender="cash" if quote.rest_minor else "",
        **buy,
    )
    return quote, operation


def assert_matches(quote, operation: Operation, card) -> None:
    principal, bonus, points = f.balances(card)
    assert quote.gross_minor == operation.gross_minor
    assert quote.discount_minor == operation.discount_minor
    assert quote.net_minor == operation.net_minor
    assert quote.rest_minor == operation.paid_other_minor
    assert quote.points_to_earn == operation.details["points_earned"]
    assert quote.balance_after_minor == principal + bonus
    assert quote.points_after == points


def test_discount_card_quote_is_what_the_purchase_posts(cashier):
    product = f.product(has_discount=True, discount_rate_bp=950)
    card = f.sold_card(cashier, product, value_minor=10_000)
    quote, operation = quote_then_buy(cashier, card, 1_99)
    assert quote.discount_minor == 18  # 9.5 % of 1.99, rounded down
    assert quote.from_balance_minor == 1_81
    assert quote.rest_minor == 0 and not quote.needs_split
    assert_matches(quote, operation, card)


def test_tiered_loyalty_card_quote_is_what_the_purchase_posts(cashier):
    card = f.sold_card(cashier, tiered_product(), value_minor=50_000)
    first, operation = quote_then_buy(cashier, card, 12_000)  # 5 %: no tier yet
    assert (first.discount_minor, first.tier_code) == (600, "")
    assert_matches(first, operation, card)
    second, operation = quote_then_buy(cashier, card, 10_99)  # silver now: 10 %, 1.5x
    assert second.tier_code == "silver"
    assert second.discount_minor == 109
    assert second.points_to_earn == 14  # 9.90 * 1.5 = 14.85, rounded down once
    assert_matches(second, operation, card)


def test_short_balance_quotes_the_rest_and_the_split_posts_it(cashier):
    card = f.sold_card(cashier, points_product(), value_minor=1_000)
    quote, operation = quote_then_buy(cashier, card, 2_500)
    assert (quote.from_balance_minor, quote.rest_minor, quote.needs_split) == (1_000, 1_500, True)
    assert quote.balance_after_minor == 0
    assert_matches(quote, operation, card)


def test_quote_refuses_like_the_purchase(cashier):
    card = f.sold_card(cashier)
    with pytest.raises(InvalidAmount):
        quote_purchase(actor=cashier, card_number=card.number, amount_minor=0)
    freeze_card(actor=cashier, card_number=card.number)
    with pytest.raises(CardNotActive):
        quote_purchase(actor=cashier, card_number=card.number, amount_minor=100)
    with pytest.raises(NotPermitted):
        quote_purchase(actor=f.actor(Role.HQ_STOCK), card_number=card.number, amount_minor=100)
