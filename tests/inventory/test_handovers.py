"""Handovers between HQ and the stores (membercard.inventory.services.handovers): list,
dispatch, receive, resolve discrepancies; every refusal leaves stock and documents alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from membercard.cards.models import Card
from membercard.cards.reader import barcode_value, track2
from membercard.cards.states import CardState
from membercard.core.errors import DomainError, NotPermitted, ValidationFailed
from membercard.core.models import Role
from membercard.inventory.errors import (
    HandoverAlreadyReceived,
    HandoverCardsRefused,
    HandoverEmpty,
    HandoverLineNotFound,
    HandoverLineNotOpen,
    HandoverNotFound,
    HandoverRouteRefused,
    HandoverWrongState,
)
from membercard.inventory.models import HandoverLine, HandoverState, LineStatus, StockMovement
from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import (
    add_cards,
    cancel_handover,
    create_handover,
    dispatch_handover,
    receive_handover,
    remove_cards,
)
from membercard.operations import sell_card
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, refused, stock_is_consistent, where

pytestmark = pytest.mark.django_db

IN_STOCK, IN_TRANSIT, VOID = CardState.IN_STOCK, CardState.IN_TRANSIT, CardState.VOID


@pytest.fixture
def s01():
    return f.store("S01")


@pytest.fixture
def cards(keeper):
    """Eight consecutive cards in stock at HQ."""
    return inv.run_of_cards(f.product(face_values=[10_000]), f.hq(), 8)


def sent(actor, to, cards_):
    handover = draft_handover(actor, to, cards_)
    return dispatch_handover(actor=actor, handover_id=handover.pk)


def receive(actor, handover, cards_, **kwargs):
    scanned = [c.number for c in cards_]
    return receive_handover(actor=actor, handover_id=handover.pk, scanned=scanned, **kwargs)


def events(card: Card) -> list[str]:
    return list(card.movements.order_by("pk").values_list("event", flat=True))


def line(handover, card) -> HandoverLine:
    return handover.lines.get(card=card)


def problems(info) -> list[tuple[str, str]]:
    return [(p["entry"], p["code"]) for p in info.value.extra["problems"]]


# The whole way, HQ -> store ----------------------------------------------------------------


def test_hq_hands_cards_to_a_store_which_counts_them_in(keeper, manager, s01, cards):
    Card.objects.filter(pk=cards[7].pk).update(uid="00BC614E")
    # Given a draft from HQ to S01
    handover = create_handover(actor=keeper, to_location=s01, note=" first delivery ")
    assert (handover.state, handover.from_location, handover.note) == (
        "draft",
        f.hq(),
        "first delivery",
    )
    assert handover.document_number == f"HO{handover.pk:06d}"
    # When the keeper lists a range and scans three cards (swiped, barcode, RFID UID)
    added = add_cards(
        actor=keeper,
        handover_id=handover.pk,
        ranges=[(cards[0].number, cards[4].number)],
        numbers=[track2(cards[5].number), barcode_value(cards[6].number), "0012345678"],
    )
    # Then all eight are listed and still in stock at HQ: nothing moved yet
    assert added == 8 and handover.lines.count() == 8
    assert all(where(c) == (IN_STOCK, f.hq().pk) for c in cards)
    # When the keeper dispatches
    moves = StockMovement.objects.count()
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    handover.refresh_from_db()
    # Then the cards are in transit on it, one movement each, and it says who and when
    assert handover.state == HandoverState.DISPATCHED
    assert (handover.dispatched_by, handover.dispatched_at is not None) == (keeper.staff, True)
    assert all(where(c) == (IN_TRANSIT, None) for c in cards)
    dispatched = StockMovement.objects.filter(handover=handover, event="handover.dispatched")
    assert StockMovement.objects.count() == moves + 8 == moves + dispatched.count()
    stock_is_consistent()
    # When the store manager scans every card in
    receive_handover(
        actor=manager,
        handover_id=handover.pk,
        scanned=[c.number for c in cards[:7]] + ["00bc614e"],
    )
    handover.refresh_from_db()
    # Then they are in stock at S01 and the handover is received without discrepancy
    assert handover.state == HandoverState.RECEIVED
    assert (handover.received_by, handover.received_at is not None) == (manager.staff, True)
    assert all(where(c) == (IN_STOCK, s01.pk) for c in cards)
    assert set(handover.lines.values_list("status", flat=True)) == {LineStatus.RECEIVED}
    assert events(cards[0]) == ["card.registered", "handover.dispatched", "handover.received"]
    stock_is_consistent()
    # And the store can sell them now
    cashier = inv.store_staff("S01", Role.STORE_CASHIER)
    sell_card(
        actor=cashier,
        card_number=cards[0].number,
        initial_value_minor=10_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    assert where(cards[0]) == (CardState.ACTIVE, None)


def test_a_range_lists_only_the_senders_stock_within_it(keeper, s01, cards):
    # Given card 3 of the run already on its way to S02, and a card of another product
    sent(keeper, f.store("S02"), [cards[3]])
    other = inv.run_of_cards(f.product(), f.hq(), 1)[0]
    handover = draft_handover(keeper, s01)
    # When the keeper lists the range from the first to the last card of the run
    added = add_cards(
        actor=keeper, handover_id=handover.pk, ranges=[(cards[0].number, cards[7].number)]
    )
    # Then the seven cards still at HQ are listed, not the one in transit
    assert added == 7
    listed = set(handover.lines.values_list("card_id", flat=True))
    assert listed == {c.pk for c in cards} - {cards[3].pk}
    assert other.pk not in listed
    # And listing a wider range again adds nothing twice
    assert (
        add_cards(
            actor=keeper, handover_id=handover.pk, ranges=[(cards[0].number, cards[7].number)]
        )
        == 0
    )


# Listing refusals --------------------------------------------------------------------------


def test_listing_is_refused_whole_naming_every_bad_entry(keeper, s01, cards):
    # Given a card at a store, a number nobody has, a mistyped number and a bank card swipe
    at_store = f.stock_card(f.product(), s01)
    unknown = inv.number(cards[0].product, 99_999_999)
    mistyped = cards[1].number[:-1] + str((int(cards[1].number[-1]) + 1) % 10)
    bank = ";4111111111111111=2912101?"
    handover = draft_handover(keeper, s01)
    # When the keeper lists them with one good card
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        add_cards(
            actor=keeper,
            handover_id=handover.pk,
            numbers=[cards[0].number, at_store.number, unknown, mistyped, bank],
        )
    # Then nothing is listed and each bad entry is named with why
    assert sorted(problems(info)) == sorted(
        [
            (at_store.number, "not_in_stock"),
            (unknown, "card_not_found"),
            ("entry 4", "invalid_card_number"),
            ("entry 5", "payment_card_refused"),
        ]
    )
    assert f"{at_store.number}: not in your stock (it is at another location)" in str(info.value)
    # And the bank card number is never repeated
    assert "4111111111111111" not in str(info.value.as_dict())


def test_a_card_already_listed_here_or_on_another_open_draft_is_refused(keeper, s01, cards):
    # Given card 0 listed on a draft to S01
    first = draft_handover(keeper, s01, [cards[0]])
    # When it is listed again on the same draft
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        add_cards(actor=keeper, handover_id=first.pk, numbers=[cards[0].number])
    assert problems(info) == [(cards[0].number, "already_listed")]
    # When it is listed on another open draft, by number or within a range
    second = draft_handover(keeper, f.store("S02"))
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        add_cards(actor=keeper, handover_id=second.pk, ranges=[(cards[0].number, cards[2].number)])
    assert problems(info) == [(cards[0].number, "on_open_handover")]
    assert first.document_number in info.value.message
    # Then once the first draft is cancelled, the card is free again
    cancel_handover(actor=keeper, handover_id=first.pk)
    assert add_cards(actor=keeper, handover_id=second.pk, numbers=[cards[0].number]) == 1


def test_range_ends_must_be_card_numbers_in_order_over_some_stock(keeper, s01, cards):
    handover = draft_handover(keeper, s01)
    mistyped = cards[7].number[:-1] + str((int(cards[7].number[-1]) + 1) % 10)
    nowhere = (inv.number(cards[0].product, 5), inv.number(cards[0].product, 9))
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        add_cards(
            actor=keeper,
            handover_id=handover.pk,
            ranges=[
                (cards[0].number, mistyped),
                (cards[7].number, cards[0].number),
                nowhere,
                (cards[0].number, "00BC614E"),
            ],
        )
    assert [code for _, code in problems(info)] == [
        "invalid_card_number",
        "invalid_range",
        "empty_range",
        "invalid_range",
    ]


def test_only_the_senders_stock_staff_edit_a_draft(keeper, manager, s01, cards):
    handover = draft_handover(keeper, s01)
    call = {"handover_id": handover.pk, "numbers": [cards[0].number]}
    # The receiving store may see it, but not list cards on it
    with refused(NotPermitted, "not_permitted"):
        add_cards(actor=manager, **call)
    # Another store does not even see it
    with refused(HandoverNotFound, "handover_not_found"):
        add_cards(actor=inv.store_staff("S02"), **call)
    # HQ finance is at HQ but does not hand cards over
    with refused(NotPermitted, "not_permitted"):
        add_cards(actor=inv.keeper(Role.HQ_FINANCE), **call)
    # An HQ admin may
    assert add_cards(actor=inv.keeper(Role.HQ_ADMIN), **call) == 1


def test_remove_cards_takes_them_off_a_draft(keeper, s01, cards):
    handover = draft_handover(keeper, s01, cards)
    assert (
        remove_cards(
            actor=keeper,
            handover_id=handover.pk,
            numbers=[cards[0].number],
            ranges=[(cards[5].number, cards[7].number)],
        )
        == 4
    )
    assert handover.lines.count() == 4
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        remove_cards(actor=keeper, handover_id=handover.pk, numbers=[cards[0].number])
    assert problems(info) == [(cards[0].number, "not_listed")]


# Creating and dispatching ------------------------------------------------------------------


def test_handovers_run_between_hq_and_a_store_only(keeper, manager, s01):
    with refused(HandoverRouteRefused, "handover_route_refused"):
        create_handover(actor=manager, to_location=f.store("S02"))
    with refused(HandoverRouteRefused, "handover_route_refused"):
        create_handover(actor=keeper, to_location=f.hq())
    closed = f.store("S09")
    closed.is_active = False
    closed.save()
    with refused(HandoverRouteRefused, "handover_route_refused"):
        create_handover(actor=keeper, to_location=closed)
    with refused(NotPermitted, "not_permitted"):
        create_handover(actor=inv.store_staff("S01", Role.STORE_CASHIER), to_location=f.hq())


def test_dispatching_an_empty_draft_is_refused(keeper, s01):
    handover = draft_handover(keeper, s01)
    with refused(HandoverEmpty, "handover_empty"):
        dispatch_handover(actor=keeper, handover_id=handover.pk)


def test_a_dispatched_handover_is_no_longer_a_draft(keeper, s01, cards):
    handover = sent(keeper, s01, cards[:2])
    for step in (dispatch_handover, cancel_handover):
        with refused(HandoverWrongState, "handover_wrong_state"):
            step(actor=keeper, handover_id=handover.pk)
    with refused(HandoverWrongState, "handover_wrong_state"):
        add_cards(actor=keeper, handover_id=handover.pk, numbers=[cards[5].number])


def test_dispatch_refuses_a_card_sold_since_it_was_listed(manager, s01):
    # Given a store return listing two cards, one of them sold at the counter since
    a, b = inv.run_of_cards(f.product(), s01, 2)
    handover = draft_handover(manager, f.hq(), [a, b])
    cashier = inv.store_staff("S01", Role.STORE_CASHIER)
    sell_card(
        actor=cashier,
        card_number=b.number,
        initial_value_minor=1_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    # When the manager dispatches, it is refused naming the sold card
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        dispatch_handover(actor=manager, handover_id=handover.pk)
    assert problems(info) == [(b.number, "not_in_stock")]
    # Then, taken off the draft, the rest goes
    remove_cards(actor=manager, handover_id=handover.pk, numbers=[b.number])
    dispatch_handover(actor=manager, handover_id=handover.pk)
    assert where(a) == (IN_TRANSIT, None)
    stock_is_consistent()


# Receiving ---------------------------------------------------------------------------------


def test_confirming_twice_is_refused(keeper, manager, s01, cards):
    handover = sent(keeper, s01, cards[:3])
    receive(manager, handover, cards[:3])
    with refused(HandoverAlreadyReceived, "handover_already_received"):
        receive(manager, handover, cards[:3])


def test_confirming_at_the_wrong_store_finds_no_such_handover(keeper, s01, cards):
    handover = sent(keeper, s01, cards[:3])
    with refused(HandoverNotFound, "handover_not_found"):
        receive(inv.store_staff("S02"), handover, cards[:3])
    # The sender sees it, but cannot confirm its own delivery
    with refused(NotPermitted, "not_permitted"):
        receive(keeper, handover, cards[:3])
    # A cashier at the right store may not either
    with refused(NotPermitted, "not_permitted"):
        receive(inv.store_staff("S01", Role.STORE_CASHIER), handover, cards[:3])


def test_a_draft_cannot_be_received(keeper, manager, s01, cards):
    handover = draft_handover(keeper, s01, cards[:2])
    with refused(HandoverWrongState, "handover_wrong_state"):
        receive(manager, handover, cards[:2])


def test_unreadable_input_refuses_the_receipt_a_number_of_no_card_is_an_entry(
    keeper, manager, s01, cards
):
    handover = sent(keeper, s01, cards[:2])
    unknown = inv.number(cards[0].product, 77_777_777)
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        receive_handover(
            actor=manager, handover_id=handover.pk, scanned=[cards[0].number, unknown, "hello"]
        )
    # Input that cannot be read is refused first, before any card is looked at (blind count)
    assert problems(info) == [("entry 3", "unreadable_input")]
    # A readable number of no card is no refusal at a store: an unexpected entry for HQ
    receive_handover(actor=manager, handover_id=handover.pk, scanned=[cards[0].number, unknown])
    handover.refresh_from_db()
    assert handover.state == HandoverState.DISCREPANCY
    entry = handover.lines.get(card=None)
    assert (entry.entry_kind, entry.entry_number, entry.status) == ("number", unknown, "unexpected")


def test_hq_receiving_a_number_of_no_card_is_refused(keeper, s01):
    # HQ sees every card: a number of no card is a misread it is told about at once
    manager = inv.store_staff("S01")
    shelf = inv.run_of_cards(f.product(), s01, 1)
    handover = sent(manager, f.hq(), shelf)
    unknown = inv.number(shelf[0].product, 77_777_776)
    with refused(HandoverCardsRefused, "handover_cards_refused") as info:
        receive_handover(actor=keeper, handover_id=handover.pk, scanned=[shelf[0].number, unknown])
    assert problems(info) == [(unknown, "card_not_found")]
    assert not handover.lines.filter(card=None).exists()


# Discrepancies -----------------------------------------------------------------------------


def test_partial_receipt_is_a_discrepancy_that_hq_resolves_line_by_line(
    keeper, manager, s01, cards
):
    a, b, c, d, e = cards[:5]
    # Given five cards sent to S01; the store scans two of them and a card never listed
    # (one of its own, mixed into the box: an unlisted card of HQ's is no card to a store)
    (stray,) = inv.run_of_cards(a.product, s01, 1)
    handover = sent(keeper, s01, [a, b, c, d, e])
    receive(manager, handover, [a, b, stray])
    handover.refresh_from_db()
    # Then the handover is received with discrepancies: nothing silently dropped
    assert handover.state == HandoverState.DISCREPANCY
    assert {ln.card_id: ln.status for ln in handover.lines.all()} == {
        a.pk: "received",
        b.pk: "received",
        c.pk: "missing",
        d.pk: "missing",
        e.pk: "missing",
        stray.pk: "unexpected",
    }
    assert [where(x) for x in (a, c, stray)] == [
        (IN_STOCK, s01.pk),
        (IN_TRANSIT, None),
        (IN_STOCK, s01.pk),
    ]
    stock_is_consistent()
    # When HQ resolves: c found at the store, d lost, e back at HQ
    resolve_line(actor=keeper, line_id=line(handover, c).pk, outcome="found", note="in the box lid")
    resolve_line(actor=keeper, line_id=line(handover, d).pk, outcome="lost", note="never found")
    resolve_line(actor=keeper, line_id=line(handover, e).pk, outcome="returned", note="left at HQ")
    # Then each card is where the resolution says, with a movement saying why
    assert [where(x) for x in (c, d, e)] == [
        (IN_STOCK, s01.pk),
        (VOID, None),
        (IN_STOCK, f.hq().pk),
    ]
    assert [events(x)[-1] for x in (c, d, e)] == [
        "handover.found",
        "handover.lost",
        "handover.returned",
    ]
    assert d.movements.order_by("pk").last().reason == "never found"
    stock_is_consistent()
    # And the handover stays open until the unexpected card is acknowledged too
    handover.refresh_from_db()
    assert handover.state == HandoverState.DISCREPANCY
    stray_line = resolve_line(
        actor=keeper,
        line_id=line(handover, stray).pk,
        outcome="acknowledged",
        note="the store's own card, scanned by mistake",
    )
    assert (stray_line.status, stray_line.resolved_by) == (LineStatus.UNEXPECTED, keeper.staff)
    assert where(stray) == (IN_STOCK, s01.pk)
    handover.refresh_from_db()
    assert (handover.state, handover.closed_by) == (HandoverState.CLOSED, keeper.staff)
    assert [line(handover, x).status for x in (c, d, e)] == ["found", "lost", "returned"]
    stock_is_consistent()


def test_resolving_is_for_hq_stock_staff_with_a_note_on_an_open_line(keeper, manager, s01, cards):
    handover = sent(keeper, s01, cards[:2])
    receive(manager, handover, cards[:1])
    got, missing = line(handover, cards[0]), line(handover, cards[1])
    with refused(NotPermitted, "not_permitted"):
        resolve_line(actor=manager, line_id=missing.pk, outcome="found", note="here")
    with refused(NotPermitted, "not_permitted"):
        resolve_line(
            actor=inv.keeper(Role.HQ_FINANCE), line_id=missing.pk, outcome="lost", note="gone"
        )
    with refused(ValidationFailed, "validation_error"):
        resolve_line(actor=keeper, line_id=missing.pk, outcome="found", note="   ")
    with refused(ValidationFailed, "validation_error"):
        resolve_line(actor=keeper, line_id=missing.pk, outcome="acknowledged", note="seen")
    with refused(HandoverLineNotOpen, "handover_line_not_open"):
        resolve_line(actor=keeper, line_id=got.pk, outcome="found", note="here")
    with refused(HandoverLineNotFound, "handover_line_not_found"):
        resolve_line(actor=keeper, line_id=missing.pk + 1000, outcome="found", note="here")
    resolve_line(actor=keeper, line_id=missing.pk, outcome="found", note="under the counter")
    with refused(HandoverLineNotOpen, "handover_line_not_open"):
        resolve_line(actor=keeper, line_id=missing.pk, outcome="lost", note="again")


# Returns to HQ -----------------------------------------------------------------------------


def test_a_store_returns_damaged_and_recovered_cards_to_hq(keeper, manager, s01):
    # Given a damaged card in the store's stock and a one-time card handed back there
    damaged = inv.run_of_cards(f.product(), s01, 1)[0]
    recovered = inv.recovered_card(s01)
    assert where(recovered) == (CardState.RECOVERED, s01.pk)
    # When the manager returns both to HQ and the keeper scans them in
    handover = draft_handover(manager, f.hq(), [damaged, recovered], note="1 damaged, 1 recovered")
    dispatch_handover(actor=manager, handover_id=handover.pk)
    assert where(recovered) == (IN_TRANSIT, None)
    receive(keeper, handover, [damaged, recovered])
    handover.refresh_from_db()
    # Then both are in HQ stock, the recovered one no longer tied to its old sale
    assert handover.state == HandoverState.RECEIVED
    assert [where(x) for x in (damaged, recovered)] == [(IN_STOCK, f.hq().pk)] * 2
    assert Card.objects.get(pk=recovered.pk).sold_at is None
    assert events(recovered)[-3:] == ["card.recovered", "handover.dispatched", "handover.received"]
    stock_is_consistent()


# A card is never in two places -------------------------------------------------------------


def test_a_card_in_transit_or_missing_can_be_listed_by_nobody(keeper, manager, s01, cards):
    # Given a card dispatched to S01 and reported missing there
    handover = sent(keeper, s01, cards[:2])
    receive(manager, handover, cards[:1])
    # Then neither HQ nor the store can hand it over again until HQ resolves the line
    for actor, to in ((keeper, f.store("S02")), (manager, f.hq())):
        other = draft_handover(actor, to)
        with refused(HandoverCardsRefused, "handover_cards_refused") as info:
            add_cards(actor=actor, handover_id=other.pk, numbers=[cards[1].number])
        assert problems(info) == [(cards[1].number, "not_in_stock")]
    # And every movement of every card starts where the one before ended
    assert events(cards[1]) == ["card.registered", "handover.dispatched"]
    stock_is_consistent()


# Under real concurrency (PostgreSQL) -------------------------------------------------------


def at_once(*calls):
    """Run the calls on their own threads and connections, released together; each result is
    what the call returned or the error code it raised."""
    barrier = threading.Barrier(len(calls), timeout=60)

    def body(call):
        try:
            barrier.wait()
            return call()
        except DomainError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result(timeout=120) for future in [pool.submit(body, c) for c in calls]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_drafts_listing_the_same_cards_at_once_list_them_once():
    keeper = inv.keeper()
    cards = inv.run_of_cards(f.product(), f.hq(), 20)
    drafts = [draft_handover(keeper, f.store(code)) for code in ("S01", "S02")]
    span = [(cards[0].number, cards[-1].number)]
    results = at_once(
        *[lambda h=h: add_cards(actor=keeper, handover_id=h.pk, ranges=span) for h in drafts]
    )
    assert sorted(results, key=str) == [20, "handover_cards_refused"]
    assert HandoverLine.objects.count() == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_receipts_at_once_count_the_cards_in_once():
    keeper, manager = inv.keeper(), inv.store_staff("S01")
    cards = inv.run_of_cards(f.product(), f.hq(), 10)
    handover = sent(keeper, f.store("S01"), cards)
    results = at_once(*[lambda: receive(manager, handover, cards)] * 2)
    assert sorted(map(str, results)) == [str(handover), "handover_already_received"]
    assert StockMovement.objects.filter(event="handover.received").count() == 10
    stock_is_consistent()
