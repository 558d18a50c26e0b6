"""Rewards in the demo: a small gift catalog with stock at HQ and both stores, one gift
redeemed at S01, and a double-points weekend at S01 (catalog rows are written directly
like the products; stock and the redemption go through the services)."""

from __future__ import annotations

import datetime as dt

from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.transactions import business_operation
from membercard.ledger.models import AccountKind
from membercard.loyalty.models import Campaign, Gift
from membercard.loyalty.services.gifts import receive_gift_stock, send_gift_stock
from membercard.operations.gifts import redeem_gift
from membercard.ops.demo.catalog import GOLD, HQ_CODE
from membercard.ops.demo.setup import DemoRun

# code, name, points price, pieces received at HQ, pieces sent to each store
GIFTS = (
    ("COFFEE", "Coffee voucher 咖啡券", 200, 60, 20),
    ("MUG", "Branded mug 品牌马克杯", 500, 30, 10),
    ("TOTE", "Canvas tote bag 帆布袋", 1_200, 20, 5),
)


@business_operation
def create_catalog(run: DemoRun) -> None:
    for code, name, price, _, _ in GIFTS:
        gift = Gift(code=code, name=name, points_price=price)
        gift.full_clean()
        gift.save()
    campaign = Campaign.objects.create(
        name="Double points weekend at Jing'an",
        multiplier_pct=200,
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )
    campaign.stores.set([run.locations["S01"]])


def stock_gifts(run: DemoRun) -> None:
    keeper = Actor.for_staff(run.staff["stock"])
    for code, _, _, received, per_store in GIFTS:
        receive_gift_stock(actor=keeper, gift_code=code, quantity=received, reason="Delivery")
        for store in ("S01", "S02"):
            send_gift_stock(
                actor=keeper,
                gift_code=code,
                to_location=run.locations[store],
                quantity=per_store,
                note="Opening gift stock",
            )


def redeem_one(run: DemoRun) -> None:
    """A member at S01 trades points for a coffee voucher, if any card has enough."""
    cashier = Actor.for_staff(run.staff["cashier1"])
    price = GIFTS[0][2]
    card = next(
        (
            card
            for card in run.sold
            if card.product.code == GOLD
            and card.sold_at_id == run.locations["S01"].pk
            and card.accounts.filter(kind=AccountKind.CARD_POINTS, balance__gte=price).exists()
        ),
        None,
    )
    if card is not None:
        redeem_gift(
            actor=cashier,
            card_number=card.number,
            gift_code="COFFEE",
            quantity=1,
            idempotency_key=run.key(),
        )


def set_up_rewards(run: DemoRun) -> None:
    create_catalog(run)
    stock_gifts(run)
    redeem_one(run)
    run.say(f"  {len(GIFTS)} gifts in stock at {HQ_CODE}, S01 and S02; a campaign at S01")
