"""Stock reads (membercard.inventory.selectors): counts by state per location and product,
cards on the road, number ranges, the sellable stock in number order, a card's history."""

from __future__ import annotations

import pytest

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.inventory import movements
from membercard.inventory.lifecycle import transition
from membercard.inventory.models import Handover, HandoverLine, HandoverState, LineStatus
from membercard.inventory.selectors import (
    card_history,
    cards_in_stock,
    stock_ranges,
    stock_summary,
)
from membercard.inventory.services.handovers import (
    add_cards,
    create_handover,
    dispatch_handover,
    receive_handover,
)
from membercard.operations import sell_card
from membercard.operations.card_life import freeze_card, recover_card
from tests import factories as f
from tests.inventory import factories as inv
from tests.ledger.helpers import pay

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


def numbered(product, location, payload: int) -> Card:
    """A card in stock at ``location`` whose number is the product prefix + ``payload``."""
    card = Card.objects.create(
        number=inv.number(product, payload), product=product, location=location
    )
    movements.record_new_cards([card], event="card.registered", by=None)
    return card


def dispatched(sender, receiver, cards, *, by) -> Handover:
    """A handover on the road with ``cards`` (written directly, as the handover service would)."""
    handover = Handover.objects.create(
        from_location=sender, to_location=receiver, created_by=by.staff
    )
    for card in cards:
        HandoverLine.objects.create(handover=handover, card=card)
        transition(
            card,
            CardState.IN_TRANSIT,
            event="handover.dispatched",
            by=by,
            document={"handover": handover},
        )
    handover.state = HandoverState.DISPATCHED
    handover.save(update_fields=["state"])
    return handover


def figures(line) -> tuple:
    return (
        line.location.code,
        line.product.code,
        line.in_stock,
        line.recovered,
        line.in_transit_in,
        line.in_transit_out,
    )


@pytest.fixture
def world():
    """HQ and two stores, a value card product and a one-time keychain, cards everywhere."""
    hq, s1, s2 = f.hq(), f.store("S01"), f.store("S02")
    value = f.product(code="a-value")
    keychain = f.product(code="b-keychain", rechargeable=False, face_values=[5_000])
    keeper = f.actor(Role.HQ_STOCK, hq)
    cashier = f.actor(Role.STORE_CASHIER, s1)
    for _ in range(4):
        f.stock_card(value, hq)
    on_road = [f.stock_card(value, hq) for _ in range(2)]
    dispatched(hq, s1, on_road, by=keeper)
    for _ in range(3):
        f.stock_card(value, s1)
    f.sold_card(cashier, value)  # in a customer's hands: nowhere in stock
    spent = f.sold_card(cashier, keychain, value_minor=5_000)
    pay(cashier, spent, 5_000)
    recover_card(actor=cashier, card_number=spent.number, idempotency_key=f.key())
    f.stock_card(keychain, s1)
    f.stock_card(keychain, s2)
    void = f.stock_card(keychain, s2)
    transition(void, CardState.VOID, event="card.voided", by=keeper, reason="damaged")
    return {"hq": hq, "s1": s1, "s2": s2, "value": value, "keychain": keychain}


# Stock summary -----------------------------------------------------------------------------


def test_counts_by_state_per_location_and_product(world):
    lines = stock_summary()

    assert [figures(line) for line in lines] == [
        # location, product, in stock, recovered, on the road in, on the road out
        ("HQ", "a-value", 4, 0, 0, 2),
        ("S01", "a-value", 3, 0, 2, 0),
        ("S01", "b-keychain", 1, 1, 0, 0),
        ("S02", "b-keychain", 1, 0, 0, 0),
    ]
    keychains = lines[2]
    assert keychains.on_hand == 2
    assert keychains.counts == {
        "in_stock": 1,
        "recovered": 1,
        "in_transit_in": 0,
        "in_transit_out": 0,
    }
    assert [r.count for r in keychains.ranges] == [1]
    assert [r.count for r in keychains.recovered_ranges] == [1]


def test_summary_for_one_location_or_one_product(world):
    assert [figures(line) for line in stock_summary(location=world["s1"])] == [
        ("S01", "a-value", 3, 0, 2, 0),
        ("S01", "b-keychain", 1, 1, 0, 0),
    ]
    assert [figures(line) for line in stock_summary(product=world["value"])] == [
        ("HQ", "a-value", 4, 0, 0, 2),
        ("S01", "a-value", 3, 0, 2, 0),
    ]
    assert stock_summary(location=world["s2"], product=world["value"]) == []


def test_cards_received_are_no_longer_on_the_road(world):
    handover = Handover.objects.get()
    receiver = f.actor(Role.STORE_MANAGER, world["s1"])
    for line in handover.lines.select_related("card"):
        transition(
            line.card,
            CardState.IN_STOCK,
            event="handover.received",
            by=receiver,
            location=world["s1"],
            document={"handover": handover},
        )
    HandoverLine.objects.filter(handover=handover).update(status=LineStatus.RECEIVED)
    Handover.objects.filter(pk=handover.pk).update(state=HandoverState.RECEIVED)

    assert [figures(line) for line in stock_summary(product=world["value"])] == [
        ("HQ", "a-value", 4, 0, 0, 0),
        ("S01", "a-value", 5, 0, 0, 0),
    ]


def test_the_query_count_does_not_grow_with_the_stock(world, django_assert_num_queries):
    # Counts by state, on the road in, on the road out, the locations, the products.
    with django_assert_num_queries(5):
        stock_summary(with_ranges=False)
    for _ in range(20):
        f.stock_card(world["value"], world["s2"])
    with django_assert_num_queries(5):
        lines = stock_summary(with_ranges=False)
    assert lines[-2].in_stock == 20 and lines[-2].ranges == []
    # Ranges read the numbers once per line (and once more for recovered cards).
    with django_assert_num_queries(5 + 5 + 1):
        stock_summary()


def test_ranges_group_consecutive_numbers_in_stock():
    s1 = f.store("S01")
    product = f.product()
    cards = {n: numbered(product, s1, n) for n in (1, 2, 3, 4, 8, 9, 20)}
    cashier = f.actor(Role.STORE_CASHIER, s1)
    sell_card(
        actor=cashier,
        card_number=cards[3].number,
        initial_value_minor=1_000,
        tender="cash",
        idempotency_key=f.key(),
    )

    (line,) = stock_summary(location=s1)

    assert line.in_stock == 6
    assert [(r.first, r.last, r.count) for r in line.ranges] == [
        (cards[1].number, cards[2].number, 2),
        (cards[4].number, cards[4].number, 1),
        (cards[8].number, cards[9].number, 2),
        (cards[20].number, cards[20].number, 1),
    ]
    assert stock_ranges(location=s1, product=product) == line.ranges
    assert str(line.ranges[0]) == f"{cards[1].number} - {cards[2].number} (2)"


# Cards in stock ----------------------------------------------------------------------------


def test_cards_in_stock_are_the_sellable_ones_in_number_order(world):
    s1 = world["s1"]
    cards = list(cards_in_stock(location=s1))

    assert len(cards) == 4
    assert [c.number for c in cards] == sorted(c.number for c in cards)
    assert {c.state for c in cards} == {CardState.IN_STOCK}
    assert {c.location_id for c in cards} == {s1.pk}
    assert cards_in_stock(location=s1, product=world["keychain"]).count() == 1
    assert cards_in_stock(location=world["hq"]).count() == 4  # not the two on the road


def test_cards_in_stock_page_by_cursor(world):
    s1 = world["s1"]
    everything = [c.number for c in cards_in_stock(location=s1)]
    first_page = list(cards_in_stock(location=s1)[:3])
    next_page = list(cards_in_stock(location=s1).filter(number__gt=first_page[-1].number)[:3])

    assert [c.number for c in first_page + next_page] == everything


# Card history ------------------------------------------------------------------------------


def test_card_history_is_newest_first_with_who_and_which_document(world):
    cashier = f.actor(Role.STORE_CASHIER, world["s1"])
    card = f.sold_card(cashier, world["value"])
    freeze_card(actor=cashier, card_number=card.number, reason="lost")

    history = card_history(card)

    assert [(h.event, h.from_state, h.to_state) for h in history] == [
        ("card.frozen", "active", "frozen"),
        ("card.sold", "in_stock", "active"),
        ("card.registered", "", "in_stock"),
    ]
    frozen, sold, registered = history
    assert frozen.who == str(cashier.staff)
    assert frozen.document.startswith(f"operation {frozen.movement.operation_id} (")
    assert sold.from_location == world["s1"] and sold.to_location is None
    assert registered.who == "system" and registered.document == ""
    assert registered.to_location == world["s1"]


def test_card_history_names_the_handover(world):
    card = Card.objects.filter(state=CardState.IN_TRANSIT).first()
    handover = Handover.objects.get()

    latest = card_history(card)[0]

    assert latest.event == "handover.dispatched"
    assert latest.document == f"handover {handover.document_number}"
    assert latest.from_location == world["hq"] and latest.to_location is None


def test_the_real_handover_flow_moves_cards_from_the_road_into_stock():
    """With the handover services: dispatched cards are on the road at both ends; a partial
    receipt puts the scanned ones in stock and leaves the missing one on the road."""
    hq, s1 = f.hq(), f.store("S01")
    product = f.product(code="c-handed")
    keeper, receiver = f.actor(Role.HQ_STOCK, hq), f.actor(Role.STORE_MANAGER, s1)
    cards = [numbered(product, hq, n) for n in (1, 2, 3)]
    handover = create_handover(actor=keeper, to_location=s1)
    add_cards(actor=keeper, handover_id=handover.pk, ranges=[(cards[0].number, cards[2].number)])
    dispatch_handover(actor=keeper, handover_id=handover.pk)

    assert [figures(line) for line in stock_summary(product=product)] == [
        ("HQ", "c-handed", 0, 0, 0, 3),
        ("S01", "c-handed", 0, 0, 3, 0),
    ]

    receive_handover(actor=receiver, handover_id=handover.pk, scanned=[cards[0].number])

    assert [figures(line) for line in stock_summary(product=product)] == [
        ("HQ", "c-handed", 0, 0, 0, 2),
        ("S01", "c-handed", 1, 0, 2, 0),
    ]
    assert [c.number for c in cards_in_stock(location=s1, product=product)] == [cards[0].number]
