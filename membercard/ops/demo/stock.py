"""Card stock the way it really arrives: one production batch per product ordered at HQ
(approved by a second stock keeper, who receives it), then a signed handover to each store
(at S02 three cards are missing at receipt: one is found the next morning, the other two
are written off as lost under four eyes, ``four_eyes.story_write_offs``)."""

from __future__ import annotations

import secrets

from membercard.approvals.services import approve
from membercard.approvals.stock import request_batch_order
from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.inventory.models import LineStatus
from membercard.inventory.services.batches import receive_batch
from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import (
    add_cards,
    create_handover,
    dispatch_handover,
    receive_handover,
)
from membercard.ops.demo.catalog import HQ_CODE, PRODUCT_CODES, STOCK, UID_EVERY
from membercard.ops.demo.setup import DemoRun

SUPPLIER = "Shenzhen Card Works"
STORE_MANAGERS = {"S01": "manager1", "S02": "manager2"}
MISSING_AT = "S02"
MISSING_CARDS = 3  # not scanned at S02's receipt: one found, one lost (approved), one asked


def order_and_receive(run: DemoRun, keeper: Actor, checker: Actor) -> int:
    """One batch per product, as many cards as the plan puts everywhere: ordered by
    ``keeper`` (an approval request), approved and received at HQ by ``checker`` (four eyes:
    the orderer neither approves nor receives)."""
    total = 0
    for code in PRODUCT_CODES:
        product = run.products[code]
        quantity = sum(plan.get(code, 0) for plan in STOCK.values())
        order = request_batch_order(
            actor=keeper,
            product=product,
            quantity=quantity,
            unit_cost_minor=product.unit_cost_minor,
            supplier=SUPPLIER,
            idempotency_key=run.key(),
        )
        approved = approve(actor=checker, request_id=order.pk, note="Matches the stock plan")
        receive_batch(actor=checker, batch_id=approved.preview["batch_id"])
        run.tally["approval requests"] += 1
        total += quantity
    return total


def give_uids(run: DemoRun) -> None:
    """One card in three also answers to an RFID UID (registered as an alias)."""
    cards = list(Card.objects.filter(batch__product__in=run.products.values()).order_by("pk"))
    taken: set[str] = set(Card.objects.exclude(uid=None).values_list("uid", flat=True))
    tagged = []
    for card in cards[::UID_EVERY]:
        while (uid := secrets.token_hex(4).upper()) in taken:
            pass
        taken.add(uid)
        card.uid = uid
        tagged.append(card)
    Card.objects.bulk_update(tagged, ["uid"], batch_size=200)


def hand_over(run: DemoRun, keeper: Actor, store_code: str) -> None:
    """HQ lists the store's planned cards, dispatches them; the store manager scans them in."""
    store = run.locations[store_code]
    handover = create_handover(actor=keeper, to_location=store, note="Opening stock")
    listed: list[str] = []
    for code, count in STOCK[store_code].items():
        numbers = list(
            Card.objects.filter(
                product=run.products[code], state=CardState.IN_STOCK, location=keeper.location
            )
            .order_by("number")
            .values_list("number", flat=True)[:count]
        )
        add_cards(actor=keeper, handover_id=handover.pk, numbers=numbers)
        listed += numbers
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    manager = Actor.for_staff(run.staff[STORE_MANAGERS[store_code]])
    scanned = listed[MISSING_CARDS:] if store_code == MISSING_AT else listed
    receive_handover(actor=manager, handover_id=handover.pk, scanned=scanned)
    # One is found the next morning; the others stay open until written off (four_eyes.py).
    for line in handover.lines.filter(status=LineStatus.MISSING).order_by("pk")[:1]:
        resolve_line(
            actor=keeper,
            line_id=line.pk,
            outcome="found",
            note="Found in the delivery box the next morning.",
        )


def stock_up(run: DemoRun) -> int:
    keeper = Actor.for_staff(run.staff["stock"])
    total = order_and_receive(run, keeper, Actor.for_staff(run.staff["stock2"]))
    give_uids(run)
    for store_code in STORE_MANAGERS:
        hand_over(run, keeper, store_code)
    run.say(f"  {total} cards ordered and received at {HQ_CODE}, handed over to the stores")
    return total
