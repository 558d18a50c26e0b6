"""Stocktakes (membercard.inventory.services.stocktakes): a location scans its cards, the
system shows missing and unexpected cards, confirming records the count and moves nothing."""

from __future__ import annotations

import pytest

from membercard.cards.models import Card
from membercard.cards.numbers import generate_number
from membercard.cards.reader import barcode_value, track1, track2
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import (
    CardNotFound,
    InvalidCardNumber,
    NotFound,
    NotPermitted,
    PaymentCardRefused,
)
from membercard.core.models import Role, Terminal
from membercard.inventory.errors import StocktakeAlreadyOpen, StocktakeNotOpen
from membercard.inventory.models import (
    DifferenceKind,
    StockMovement,
    Stocktake,
    StocktakeCount,
    StocktakeDifference,
    StocktakeState,
)
from membercard.inventory.services.handovers import dispatch_handover
from membercard.inventory.services.stocktakes import (
    cancel_stocktake,
    confirm_stocktake,
    count_card,
    start_stocktake,
    stocktake_result,
)
from membercard.operations import sell_card
from membercard.operations.card_life import recover_card
from tests import factories as f
from tests.inventory.factories import draft_handover, refused
from tests.ledger.helpers import pay

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


def count(actor, stocktake, raw):
    return count_card(actor=actor, stocktake_id=stocktake.pk, raw_input=raw)


@pytest.fixture
def shop():
    """Store S01 with three value cards in stock and a one-time card recovered there, a card
    in stock at S02, a card sold to a customer, a card HQ dispatched to S01 (on the road),
    and S01's manager and cashier."""
    s1, s2 = f.store("S01"), f.store("S02")
    manager = f.actor(Role.STORE_MANAGER, s1)
    cashier = f.actor(Role.STORE_CASHIER, s1)
    product = f.product()
    stock = [f.stock_card(product, s1) for _ in range(3)]
    keychain = f.product(rechargeable=False, face_values=[5_000])
    recovered = f.sold_card(cashier, keychain, value_minor=5_000)
    pay(cashier, recovered, 5_000)
    recover_card(actor=cashier, card_number=recovered.number, idempotency_key=f.key())
    recovered.refresh_from_db()
    elsewhere = f.stock_card(product, s2)
    sold = f.sold_card(cashier, product)
    on_the_way = f.stock_card(product, f.hq())
    keeper = f.actor(Role.HQ_STOCK, f.hq())
    sending = draft_handover(keeper, s1, [on_the_way])
    dispatch_handover(actor=keeper, handover_id=sending.pk)
    on_the_way.refresh_from_db()
    return {
        "s1": s1,
        "s2": s2,
        "manager": manager,
        "cashier": cashier,
        "product": product,
        "stock": stock,
        "recovered": recovered,
        "elsewhere": elsewhere,
        "sold": sold,
        "on_the_way": on_the_way,
    }


# The flow ----------------------------------------------------------------------------------


def test_a_count_shows_missing_and_unexpected_cards_and_confirming_records_them(shop):
    manager, cashier = shop["manager"], shop["cashier"]
    a, b, c = shop["stock"]
    stocktake = start_stocktake(actor=manager, note="Monthly count")

    # Swiped, scanned, keyed with spaces: every reader works.
    assert count(cashier, stocktake, track2(a.number)).expected_here
    assert count(cashier, stocktake, barcode_value(b.number)).counted == 2
    spaced = " ".join(shop["recovered"].number[i : i + 4] for i in range(0, 16, 4))
    count(manager, stocktake, spaced)
    # A card on the road to S01 (one of its documents) that arrived before its handover
    stray = count(cashier, stocktake, shop["on_the_way"].number)
    # Another store's shelf and a customer's card are no cards for S01's stock work
    with refused(CardNotFound, "card_not_found"):
        count(cashier, stocktake, shop["elsewhere"].number)
    with refused(CardNotFound, "card_not_found"):
        count(cashier, stocktake, track1(shop["sold"].number))

    assert not stray.expected_here and "Not expected here" in stray.message
    result = stocktake_result(stocktake)
    assert (result.expected_count, result.counted_count, result.matched_count) == (4, 4, 3)
    assert result.missing == [c]
    assert [str(r) for r in result.missing_ranges] == [c.number]
    unexpected = {u.card.number: (u.state, u.location) for u in result.unexpected}
    assert unexpected == {shop["on_the_way"].number: (CardState.IN_TRANSIT, None)}
    movements = StockMovement.objects.count()

    confirmed = confirm_stocktake(actor=manager, stocktake_id=stocktake.pk)

    stocktake.refresh_from_db()
    assert stocktake.state == StocktakeState.CONFIRMED
    assert stocktake.confirmed_by == manager.staff and stocktake.confirmed_at is not None
    assert (stocktake.expected_count, stocktake.counted_count) == (4, 4)
    assert confirmed.missing == [c]
    differences = {
        (d.card_id, d.kind, d.card_state, d.card_location_id)
        for d in StocktakeDifference.objects.filter(stocktake=stocktake)
    }
    assert differences == {
        (c.pk, DifferenceKind.MISSING, CardState.IN_STOCK, shop["s1"].pk),
        (shop["on_the_way"].pk, DifferenceKind.UNEXPECTED, CardState.IN_TRANSIT, None),
    }
    # Confirming records; it moves no card.
    assert StockMovement.objects.count() == movements
    c.refresh_from_db()
    assert (c.state, c.location_id) == (CardState.IN_STOCK, shop["s1"].pk)


def test_a_confirmed_stocktake_keeps_what_was_recorded(shop):
    manager = shop["manager"]
    a, b, c = shop["stock"]
    stocktake = start_stocktake(actor=manager)
    for card in (a, b, shop["recovered"]):
        count(manager, stocktake, card.number)
    confirm_stocktake(actor=manager, stocktake_id=stocktake.pk)
    # The missing card turns up and is sold: the confirmed count does not change.
    sell_card(
        actor=shop["cashier"],
        card_number=c.number,
        initial_value_minor=1_000,
        tender="cash",
        idempotency_key=f.key(),
    )

    result = stocktake_result(Stocktake.objects.get(pk=stocktake.pk))

    assert (result.expected_count, result.counted_count) == (4, 3)
    assert result.missing == [c] and result.unexpected == []
    assert stocktake.differences.get().card_state == CardState.IN_STOCK


def test_a_clean_count(shop):
    manager = shop["manager"]
    stocktake = start_stocktake(actor=manager)
    for card in [*shop["stock"], shop["recovered"]]:
        count(manager, stocktake, card.number)

    result = confirm_stocktake(actor=manager, stocktake_id=stocktake.pk)

    assert result.is_clean and result.matched_count == 4
    assert not StocktakeDifference.objects.exists()


def test_a_card_counted_twice_is_counted_once_and_says_so(shop):
    cashier = shop["cashier"]
    card = shop["stock"][0]
    stocktake = start_stocktake(actor=shop["manager"])
    first = count(cashier, stocktake, card.number)

    again = count(shop["manager"], stocktake, track2(card.number))

    assert not first.already_counted and again.already_counted
    assert again.counted == 1 and "already counted" in again.message
    assert StocktakeCount.objects.get().counted_by == cashier.staff


def test_a_card_is_counted_by_its_rfid_tag(shop):
    card = shop["stock"][0]
    Card.objects.filter(pk=card.pk).update(uid="00BC614E")
    stocktake = start_stocktake(actor=shop["manager"])

    result = count(shop["cashier"], stocktake, "0012345678")  # the same UID in decimal

    assert result.card == card


def test_hq_counts_its_own_stock(shop):
    hq = f.hq()
    keeper = f.actor(Role.HQ_STOCK, hq)
    card = f.stock_card(shop["product"], hq)
    stocktake = start_stocktake(actor=keeper)
    count(keeper, stocktake, card.number)

    result = confirm_stocktake(actor=f.actor(Role.HQ_ADMIN, hq), stocktake_id=stocktake.pk)

    assert stocktake.location == hq
    assert (result.expected_count, result.counted_count) == (1, 1) and result.is_clean


def test_each_location_has_its_own_open_stocktake(shop):
    start_stocktake(actor=shop["manager"])
    other = start_stocktake(actor=f.actor(Role.STORE_MANAGER, shop["s2"]))
    assert other.location == shop["s2"]


def test_a_new_stocktake_starts_once_the_last_one_is_closed(shop):
    manager = shop["manager"]
    first = start_stocktake(actor=manager)
    confirm_stocktake(actor=manager, stocktake_id=first.pk)
    second = start_stocktake(actor=manager)
    cancel_stocktake(actor=manager, stocktake_id=second.pk, reason="started by mistake")

    third = start_stocktake(actor=manager)

    second.refresh_from_db()
    assert second.state == StocktakeState.CANCELLED
    assert "started by mistake" in second.note
    assert second.cancelled_by == manager.staff and second.cancelled_at is not None
    assert third.state == StocktakeState.OPEN


# Refusals ----------------------------------------------------------------------------------


def test_a_second_open_stocktake_is_refused(shop):
    first = start_stocktake(actor=shop["manager"])
    with refused(StocktakeAlreadyOpen, "stocktake_already_open") as info:
        start_stocktake(actor=f.actor(Role.STORE_MANAGER, shop["s1"]))
    assert info.value.extra == {"stocktake": first.pk}


def test_confirming_twice_is_refused(shop):
    manager = shop["manager"]
    stocktake = start_stocktake(actor=manager)
    confirm_stocktake(actor=manager, stocktake_id=stocktake.pk)

    with refused(StocktakeNotOpen, "stocktake_not_open"):
        confirm_stocktake(actor=manager, stocktake_id=stocktake.pk)
    with refused(StocktakeNotOpen, "stocktake_not_open"):
        cancel_stocktake(actor=manager, stocktake_id=stocktake.pk)
    with refused(StocktakeNotOpen, "stocktake_not_open"):
        count(manager, stocktake, shop["stock"][0].number)


def test_a_cancelled_stocktake_is_neither_counted_nor_confirmed(shop):
    manager = shop["manager"]
    stocktake = start_stocktake(actor=manager)
    cancel_stocktake(actor=manager, stocktake_id=stocktake.pk)

    with refused(StocktakeNotOpen, "stocktake_not_open"):
        count(manager, stocktake, shop["stock"][0].number)
    with refused(StocktakeNotOpen, "stocktake_not_open"):
        confirm_stocktake(actor=manager, stocktake_id=stocktake.pk)


def test_another_locations_stocktake_is_not_found(shop):
    stocktake = start_stocktake(actor=shop["manager"])
    s2_manager = f.actor(Role.STORE_MANAGER, shop["s2"])
    s2_cashier = f.actor(Role.STORE_CASHIER, shop["s2"])

    with refused(NotFound, "not_found"):
        count(s2_cashier, stocktake, shop["elsewhere"].number)
    with refused(NotFound, "not_found"):
        confirm_stocktake(actor=s2_manager, stocktake_id=stocktake.pk)
    with refused(NotFound, "not_found"):
        cancel_stocktake(actor=s2_manager, stocktake_id=stocktake.pk)
    with refused(NotFound, "not_found"):
        confirm_stocktake(actor=f.actor(Role.HQ_ADMIN), stocktake_id=stocktake.pk)


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.HQ_FINANCE])
def test_only_a_manager_or_the_stock_keeper_starts_a_stocktake(shop, role):
    with refused(NotPermitted, "not_permitted"):
        start_stocktake(actor=f.actor(role))


def test_a_cashier_counts_but_neither_confirms_nor_cancels(shop):
    cashier = shop["cashier"]
    stocktake = start_stocktake(actor=shop["manager"])
    count(cashier, stocktake, shop["stock"][0].number)

    with refused(NotPermitted, "not_permitted"):
        confirm_stocktake(actor=cashier, stocktake_id=stocktake.pk)
    with refused(NotPermitted, "not_permitted"):
        cancel_stocktake(actor=cashier, stocktake_id=stocktake.pk)


def test_hq_finance_does_not_count(shop):
    hq = f.hq()
    stocktake = start_stocktake(actor=f.actor(Role.HQ_STOCK, hq))
    card = f.stock_card(shop["product"], hq)
    with refused(NotPermitted, "not_permitted"):
        count(f.actor(Role.HQ_FINANCE, hq), stocktake, card.number)


def test_a_pos_terminal_does_not_count(shop):
    """Counts are signed by a person; a terminal key is not one."""
    stocktake = start_stocktake(actor=shop["manager"])
    till = Actor.for_terminal(
        Terminal.objects.create(location=shop["s1"], name="till", key_prefix="till", key_hash="x")
    )
    with refused(NotPermitted, "not_permitted"):
        count(till, stocktake, shop["stock"][0].number)


def test_an_unknown_card_is_refused(shop):
    stocktake = start_stocktake(actor=shop["manager"])
    unknown = generate_number(shop["product"].number_prefix, 16)

    with refused(CardNotFound, "card_not_found"):
        count(shop["cashier"], stocktake, unknown)


def test_a_misread_number_or_a_bank_card_is_refused_before_any_lookup(shop):
    stocktake = start_stocktake(actor=shop["manager"])
    number = shop["stock"][0].number
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)

    with refused(InvalidCardNumber, "invalid_card_number"):
        count(shop["cashier"], stocktake, mistyped)
    with refused(PaymentCardRefused, "payment_card_refused") as info:
        count(shop["cashier"], stocktake, ";4111111111111111=29121010000000000000?")
    assert "4111" not in str(info.value)


def test_an_unknown_stocktake_is_not_found(shop):
    with refused(NotFound, "not_found"):
        count(shop["cashier"], Stocktake(pk=999_999), shop["stock"][0].number)
