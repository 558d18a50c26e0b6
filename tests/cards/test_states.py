"""The card state machine: exactly the transitions in TRANSITIONS exist, on paper and on a
real card (lifecycle.transition is the one place a card changes state)."""

from __future__ import annotations

import itertools

import pytest
from django.db import IntegrityError, transaction

from membercard.cards.models import Card
from membercard.cards.states import AT_A_LOCATION, TRANSITIONS, CardState, can_transition
from membercard.core.errors import InvalidTransition
from membercard.inventory.lifecycle import transition
from tests import factories as f

ALL_PAIRS = list(itertools.product(CardState, CardState))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def _id(pair) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def card_in(state: CardState) -> Card:
    """A card of a fresh product in ``state`` (at a store where the state needs a place)."""
    where = f.store() if state in AT_A_LOCATION else None
    card = f.stock_card(f.product(), f.store())
    Card.objects.filter(pk=card.pk).update(state=state, location=where)
    card.refresh_from_db()
    return card


def test_every_state_has_its_transitions_listed():
    assert set(TRANSITIONS) == set(CardState)
    assert all(target in CardState for targets in TRANSITIONS.values() for target in targets)
    assert not any(state in TRANSITIONS[state] for state in CardState), "no self-transitions"


@pytest.mark.parametrize("final", [CardState.EXPIRED, CardState.REPLACED, CardState.VOID])
def test_final_states_have_no_way_out(final):
    assert not any(can_transition(final, target) for target in CardState)


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=map(_id, ALL_PAIRS))
def test_can_transition_is_exactly_the_table(current, target):
    assert can_transition(current, target) == (target in TRANSITIONS[current])
    assert can_transition(current.value, target.value) == (target in TRANSITIONS[current])


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=map(_id, ALLOWED))
def test_an_allowed_transition_happens_on_a_real_card(current, target):
    # Given a card in the current state
    card = card_in(current)
    elsewhere = f.store("S09")
    # When it moves to the target (to another store where the target is a place)
    before = (card.state, card.location_id)
    transition(card, target, event="test.moved", by=None, location=elsewhere)
    # Then the row says so; the location is kept only where the card sits somewhere
    card.refresh_from_db()
    assert card.state == target
    assert card.location == (elsewhere if target in AT_A_LOCATION else None)
    # And a stock movement records exactly that change
    movement = card.movements.latest("pk")
    assert (movement.event, movement.from_state, movement.from_location_id) == (
        "test.moved",
        *before,
    )
    assert (movement.to_state, movement.to_location_id) == (card.state, card.location_id)


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), REFUSED, ids=map(_id, REFUSED))
def test_a_transition_not_in_the_table_is_refused(current, target):
    # Given a card in the current state
    card = card_in(current)
    before = Card.objects.values().get(pk=card.pk)
    # When it is asked to move where the table does not go
    with pytest.raises(InvalidTransition) as info:
        transition(card, target, event="test.moved", by=None, location=f.store("S09"))
    # Then it is refused with the states named, and nothing is written
    assert info.value.code == "invalid_transition"
    assert info.value.extra == {"state": current.value, "target": target.value}
    assert Card.objects.values().get(pk=card.pk) == before


@pytest.mark.django_db
def test_other_fields_are_written_with_the_state():
    card = card_in(CardState.IN_STOCK)
    transition(card, CardState.ACTIVE, event="test.sold", by=None, sold_at=f.store(), pin_hash="x")
    card.refresh_from_db()
    assert (card.state, card.location, card.sold_at, card.pin_hash) == (
        CardState.ACTIVE,
        None,
        f.store(),
        "x",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("target", sorted(AT_A_LOCATION))
def test_a_card_that_sits_somewhere_must_name_the_place(target):
    source = CardState.IN_TRANSIT if target == CardState.IN_STOCK else CardState.ACTIVE
    card = card_in(source)
    with pytest.raises(ValueError, match="must be at a location"):
        transition(card, CardState(target), event="test.moved", by=None)
    card.refresh_from_db()
    assert card.state == source


@pytest.mark.django_db
def test_the_database_refuses_a_card_in_stock_nowhere():
    card = card_in(CardState.IN_STOCK)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.filter(pk=card.pk).update(location=None)
