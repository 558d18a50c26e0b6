"""Helpers for the loyalty tests: a pinned clock, products with a loyalty program, and
short reads of a card's lots."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from unittest import mock

from django.utils import timezone

from membercard.cards.models import Card, CardProduct
from membercard.loyalty.models import LoyaltyPolicy, PointsLot, Tier
from tests import factories as f


@contextlib.contextmanager
def on_day(day: dt.date) -> Iterator[None]:
    """Run the block at noon of ``day`` in the installation's time zone (business date = day)."""
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    with mock.patch("django.utils.timezone.now", return_value=noon):
        yield


def points_product(policy: dict | None = None, **product) -> CardProduct:
    """A stored-value card earning 1 point per major unit, with a loyalty policy."""
    product.setdefault("has_points", True)
    product.setdefault("points_per_unit", 1)
    item = f.product(**product)
    LoyaltyPolicy.objects.create(product=item, **(policy or {}))
    return item


def tiered_product(**product) -> CardProduct:
    """5 % off without a tier; silver from 100.00 spent (10 %, 1.5x points), gold from
    300.00 spent or 500 points (15 %, 2x points), counted over 12 months, reviewed yearly."""
    product.setdefault("has_discount", True)
    product.setdefault("discount_rate_bp", 500)
    item = points_product({"tier_review": "yearly"}, has_tiers=True, **product)
    Tier.objects.create(
        product=item, code="silver", name="Silver", rank=1, discount_rate_bp=1_000,
        points_multiplier_pct=150, min_spend_minor=10_000,
    )  # fmt: skip
    Tier.objects.create(
        product=item, code="gold", name="Gold", rank=2, discount_rate_bp=1_500,
        points_multiplier_pct=200, min_spend_minor=30_000, min_points=500,
    )  # fmt: skip
    return item


def lots(card: Card) -> list[tuple[int, int, dt.date | None]]:
    """(points, remaining, expires_on) of the card's lots, oldest first."""
    return list(
        PointsLot.objects.filter(card=card)
        .order_by("pk")
        .values_list("points", "remaining", "expires_on")
    )


def live_points(card: Card) -> int:
    return sum(remaining for _, remaining, _ in lots(card))


def lapsing_silver_card(cashier) -> Card:
    """A silver card (120.00 spent in March 2027) whose points expire at the end of 2027;
    nothing bought in 2028, so the yearly review of 1 Jan 2029 moves it down."""
    from tests.ledger.helpers import pay

    product = tiered_product()
    product.loyalty_policy.points_expiry = "year_end"
    product.loyalty_policy.save()
    with on_day(dt.date(2027, 3, 10)):
        card = f.sold_card(cashier, product, 100_000)
        pay(cashier, card, 12_000)
    return card
