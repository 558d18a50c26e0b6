"""Ledger history, through the real services: cards sold (with the members who join),
top-ups, purchases at both stores and partial refunds.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.ledger.models import Operation, Tender
from membercard.loyalty.models import Member
from membercard.operations import purchase, refund, sell_card, top_up
from membercard.ops.demo.catalog import (
    GOLD,
    HQ_CODE,
    HQ_GOLD_TOP_UPS,
    INITIAL_VALUES,
    MEMBER_SHARE,
    PRODUCT_CODES,
    PURCHASES_PER_STORE,
    REFUNDS_PER_STORE,
    SALES,
    STORE_VALUE_TOP_UPS,
    VALUE,
)
from membercard.ops.demo.days import on_day
from membercard.ops.demo.setup import DemoRun, in_stock, next_member, sold_cards, value_of


def sell(run: DemoRun, actor: Actor, card: Card, value: int, member: Member | None) -> None:
    product = card.product
    paid = value + product.card_fee_minor + product.deposit_minor
    sell_card(
        actor=actor,
        card_number=card.number,
        initial_value_minor=value,
        tender=run.tender() if paid else "",
        idempotency_key=run.key(),
        member=member,
    )
    run.tally["card sales"] += 1


def sell_cards(run: DemoRun) -> None:
    """About half of each store's stock sold by its cashier, a few cards at HQ by finance."""
    sellers = {HQ_CODE: "finance", "S01": "cashier1", "S02": "cashier2"}
    sold: list[int] = []
    for code, plan in SALES.items():
        actor = run.actor(sellers[code])
        orders = [
            (card, run.rng.choice(INITIAL_VALUES[product_code]), MEMBER_SHARE[product_code])
            for product_code, count in plan.items()
            for card in in_stock(run, code, product_code, count)
        ]
        with transaction.atomic():  # the buyers who join, registered in one go
            members = [
                next_member(run, actor) if run.rng.random() < share else None
                for _, _, share in orders
            ]
        for (card, value, _), member in zip(orders, members, strict=True):
            sell(run, actor, card, value, member)
            sold.append(card.pk)
        run.say(f"  {code}: {sum(plan.values())} cards sold by {sellers[code]}")
    run.sold = list(Card.objects.filter(pk__in=sold).select_related("product").order_by("pk"))


def top_ups(run: DemoRun) -> None:
    """HQ finance recharges gold cards (HQ only); store cashiers recharge value cards."""
    finance = run.actor("finance")
    golds = sold_cards(run, [GOLD])
    for card in run.rng.sample(golds, HQ_GOLD_TOP_UPS):
        amount = run.rng.choice((20_000, 30_000, 50_000, 100_000))
        top_up(
            actor=finance,
            card_number=card.number,
            amount_minor=amount,
            tender=run.rng.choice((Tender.BANK_CARD, Tender.MOBILE_PAY)),
            idempotency_key=run.key(),
        )
        run.tally["top-ups"] += 1
    for code, cashier in (("S01", "cashier1"), ("S02", "cashier2")):
        actor = run.actor(cashier)
        values = sold_cards(run, [VALUE], sold_at=code)
        for card in run.rng.sample(values, STORE_VALUE_TOP_UPS):
            top_up(
                actor=actor,
                card_number=card.number,
                amount_minor=run.rng.choice((5_000, 10_000, 20_000, 30_000)),
                tender=run.tender(),
                idempotency_key=run.key(),
            )
            run.tally["top-ups"] += 1
    run.say(f"  {run.tally['top-ups']} top-ups")


def buy(
    run: DemoRun, actor: Actor, card: Card, gross: int, *, split_tender: str = ""
) -> Operation | None:
    """A purchase of ``gross`` (shrunk to what the card holds unless paid split); None when
    the card has too little left to bother."""
    product = card.product
    if product.has_stored_value and not split_tender:
        gross = min(gross, value_of(card))
        if gross < 500:
            return None
    operation = purchase(
        actor=actor,
        card_number=card.number,
        amount_minor=gross,
        idempotency_key=run.key(),
        pay_with_balance=product.has_stored_value,
        allow_split=bool(split_tender),
        other_tender=split_tender or ("" if product.has_stored_value else run.tender()),
        reference=f"T{run.rng.randrange(10**6):06d}",
    )
    run.tally["purchases"] += 1
    return operation


def purchases(
    run: DemoRun, reserved: set[int], days_ago: Sequence[int] = (0,)
) -> dict[str, list[Operation]]:
    """Shoppers at both stores: mostly their own store's cards, some from elsewhere, spread
    evenly over the business days ``days_ago``."""
    done: dict[str, list[Operation]] = {}
    for code, cashier, manager in (
        ("S01", "cashier1", "manager1"),
        ("S02", "cashier2", "manager2"),
    ):
        tills = [run.actor(cashier)] * 4 + [run.actor(manager)]
        local = [c for c in sold_cards(run, PRODUCT_CODES, sold_at=code) if c.pk not in reserved]
        elsewhere = [c for c in run.sold if c.sold_at_id != run.locations[code].pk]
        elsewhere = [c for c in elsewhere if c.pk not in reserved]
        done[code] = []
        splits = 0
        for number in range(PURCHASES_PER_STORE):
            card = run.rng.choice(local if run.rng.random() < 0.8 else elsewhere)
            gross = run.rng.randrange(800, 26_000, 10)
            split = ""
            if card.product.code == VALUE and splits < 2 and gross > value_of(card) >= 500:
                split, splits = run.tender(), splits + 1  # the rest paid by another tender
            with on_day(days_ago[number * len(days_ago) // PURCHASES_PER_STORE], hour=14):
                operation = buy(run, run.rng.choice(tills), card, gross, split_tender=split)
            if operation is not None:
                done[code].append(operation)
        run.say(f"  {code}: {len(done[code])} purchases ({splits} paid partly otherwise)")
    return done


def partial_refunds(run: DemoRun, done: dict[str, list[Operation]]) -> None:
    """A few goods returned days later: part of a purchase refunded where it was bought, by
    the store's manager (the counter refund rule leaves older purchases to a manager)."""
    for code, manager in (("S01", "manager1"), ("S02", "manager2")):
        actor = run.actor(manager)
        candidates = [op for op in done[code] if op.net_minor >= 3_000]
        for original in run.rng.sample(candidates, REFUNDS_PER_STORE):
            amount = original.net_minor * run.rng.randrange(20, 60) // 100
            refund(
                actor=actor,
                operation_id=original.pk,
                amount_minor=amount,
                idempotency_key=run.key(),
                reason="Customer returned an item",
            )
            run.tally["refunds"] += 1
    run.say(f"  {run.tally['refunds']} partial refunds")
