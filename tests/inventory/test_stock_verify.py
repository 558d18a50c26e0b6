"""A card never exists in two places: its stock movements, replayed from the start, give
exactly its current state and location (``membercard verify``), whatever the services did;
and changes made around the services are caught, or refused by the database itself."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from membercard.cards.models import Card
from membercard.cards.numbers import generate_number
from membercard.cards.states import AT_A_LOCATION, CardState
from membercard.core.errors import DomainError
from membercard.core.models import Role
from membercard.inventory import movements
from membercard.inventory.lifecycle import transition
from membercard.inventory.models import (
    Handover,
    HandoverLine,
    HandoverState,
    LineStatus,
    StockMovement,
)
from membercard.inventory.selectors import cards_in_stock, stock_summary
from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import (
    add_cards,
    create_handover,
    dispatch_handover,
    receive_handover,
)
from membercard.inventory.verify import verify_stock
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import reverse, sell_card
from membercard.operations.card_life import (
    freeze_card,
    recover_card,
    replace_card,
    restock_card,
    unfreeze_card,
)
from membercard.ops.verification import run_all_checks
from tests import factories as f
from tests.ledger.helpers import pay
from tests.ledger.tamper import execute, triggers_lifted

# Replaying the services ------------------------------------------------------------------

pick = st.integers(0, 30)
store = st.integers(0, 1)
sells = st.tuples(st.just("sell"), store, st.integers(0, 1), pick, st.booleans())
receives = st.tuples(st.just("receive"), pick, st.booleans())
outcomes = st.sampled_from(["found", "lost", "returned"])
steps = st.lists(
    st.one_of(
        sells,
        sells,
        st.tuples(st.just("freeze"), pick),
        st.tuples(st.just("unfreeze"), pick),
        st.tuples(st.just("replace"), pick, store),
        st.tuples(st.just("recover"), pick, store),
        st.tuples(st.just("restock"), pick),
        st.tuples(st.just("reverse"), pick),
        st.tuples(st.just("send"), store, st.booleans(), pick),
        receives,
        receives,
        st.tuples(st.just("resolve"), pick, outcomes),
        st.tuples(st.just("round_trip"), store, st.booleans(), pick, st.booleans(), outcomes),
    ),
    max_size=25,
)


def nth(queryset, index: int):
    """The ``index``-th row (modulo) of ``queryset``, or None when it is empty."""
    rows = list(queryset)
    return rows[index % len(rows)] if rows else None


class StockReplay(TestCase):
    """The world is built once; each example runs in its own savepoint, rolled back after."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.stores = [f.store("S01"), f.store("S02")]
        cls.places = [*cls.stores, f.hq()]
        cls.cashiers = [f.actor(Role.STORE_CASHIER, s) for s in cls.stores]
        # Who sends, receives and restocks cards at each place.
        cls.keepers = {s.pk: f.actor(Role.STORE_MANAGER, s) for s in cls.stores}
        cls.keepers[cls.places[2].pk] = f.actor(Role.HQ_STOCK, cls.places[2])
        value = f.product()
        keychain = f.product(rechargeable=False, face_values=[5_000], deposit_minor=500)
        cls.products = [(value, 10_000), (keychain, 5_000)]
        stock = Card.objects.bulk_create(
            Card(
                number=generate_number(product.number_prefix, product.number_length),
                product=product,
                location=location,
            )
            for location in cls.places
            for product, _ in cls.products
            for _ in range(3)
        )
        movements.record_new_cards(stock, event="card.registered", by=None)
        # Something in customers' hands from the start: a value card and a keychain.
        for where, (product, value) in enumerate(cls.products):
            f.sold_card(cls.cashiers[where], product, value_minor=value)

    def cards(self, *states: CardState, **filters):
        return Card.objects.filter(state__in=states, **filters).order_by("pk")

    def step_sell(self, where: int, product_index: int, index: int, elsewhere: bool) -> None:
        product, value = self.products[product_index]
        # Now and then a store tries to sell a card the other store holds (refused).
        stock_at = self.stores[1 - where if elsewhere else where]
        if card := nth(cards_in_stock(location=stock_at, product=product), index):
            sell_card(
                actor=self.cashiers[where],
                card_number=card.number,
                initial_value_minor=value,
                tender="cash",
                idempotency_key=f.key(),
            )

    def step_freeze(self, index: int) -> None:
        if card := nth(self.cards(CardState.ACTIVE), index):
            freeze_card(actor=self.cashiers[1], card_number=card.number)

    def step_unfreeze(self, index: int) -> None:
        if card := nth(self.cards(CardState.FROZEN), index):
            unfreeze_card(actor=self.keepers[self.stores[0].pk], card_number=card.number)

    def step_replace(self, index: int, where: int) -> None:
        old = nth(self.cards(CardState.ACTIVE, CardState.FROZEN), index)
        cashier = self.cashiers[where]
        new = old and cards_in_stock(location=cashier.location, product=old.product).first()
        if old and new:
            replace_card(
                actor=cashier, old_number=old.number, new_number=new.number, idempotency_key=f.key()
            )

    def step_recover(self, index: int, where: int) -> None:
        if card := nth(self.cards(CardState.ACTIVE, product=self.products[1][0]), index):
            cashier = self.cashiers[where]
            if left := sum(f.balances(card)[:2]):
                pay(cashier, card, left)
            recover_card(actor=cashier, card_number=card.number, idempotency_key=f.key())

    def step_restock(self, index: int) -> None:
        if card := nth(self.cards(CardState.RECOVERED), index):
            restock_card(actor=self.keepers[card.location_id], card_number=card.number)

    def step_reverse(self, index: int) -> None:
        sales = Operation.objects.filter(kind=OperationKind.CARD_SALE, reversed_by__isnull=True)
        if sale := nth(sales.order_by("pk"), index):
            keeper = self.keepers[sale.location_id]
            reverse(actor=keeper, operation_id=sale.pk, idempotency_key=f.key())

    def step_send(self, where: int, from_hq: bool, index: int) -> None:
        """One card (in stock or recovered) on a handover between HQ and a store."""
        hq, shop = self.places[2], self.stores[where]
        sender, receiver = (hq, shop) if from_hq else (shop, hq)
        if card := nth(self.cards(*AT_A_LOCATION, location=sender), index):
            keeper = self.keepers[sender.pk]
            handover = create_handover(actor=keeper, to_location=receiver)
            add_cards(actor=keeper, handover_id=handover.pk, numbers=[card.number])
            dispatch_handover(actor=keeper, handover_id=handover.pk)

    def step_receive(self, index: int, everything: bool) -> None:
        """The receiver scans what arrived: everything, or all but the first card."""
        on_road = Handover.objects.filter(state=HandoverState.DISPATCHED).order_by("pk")
        if handover := nth(on_road, index):
            numbers = list(handover.lines.order_by("pk").values_list("card__number", flat=True))
            receive_handover(
                actor=self.keepers[handover.to_location_id],
                handover_id=handover.pk,
                scanned=numbers if everything else numbers[1:],
            )

    def step_resolve(self, index: int, outcome: str) -> None:
        missing = HandoverLine.objects.filter(status=LineStatus.MISSING).order_by("pk")
        if line := nth(missing, index):
            hq_keeper = self.keepers[self.places[2].pk]
            resolve_line(actor=hq_keeper, line_id=line.pk, outcome=outcome, note="checked")

    def step_round_trip(self, where, from_hq, index, everything, outcome) -> None:
        """A whole handover at once: sent, received (maybe not all), settled by HQ."""
        self.step_send(where, from_hq, index)
        self.step_receive(-1, everything)
        self.step_resolve(-1, outcome)

    def run_step(self, step: tuple) -> None:
        name, *args = step
        getattr(self, f"step_{name}")(*args)

    def assert_replay_matches(self) -> None:
        for summary in run_all_checks():
            assert summary.problems == [], summary.name
        # The same, read another way: each card's last movement ends where the card is.
        last = {}
        for card_id, state, location_id in StockMovement.objects.order_by("pk").values_list(
            "card_id", "to_state", "to_location_id"
        ):
            last[card_id] = (state, location_id)
        assert last == {c.pk: (c.state, c.location_id) for c in Card.objects.all()}
        # And the stock view counts every card at a location once, and every card on the
        # road once at each end of its handover.
        lines = stock_summary(with_ranges=False)
        assert sum(line.on_hand for line in lines) == self.cards(*AT_A_LOCATION).count()
        on_road = self.cards(CardState.IN_TRANSIT).count()
        assert sum(line.in_transit_in for line in lines) == on_road
        assert sum(line.in_transit_out for line in lines) == on_road

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps)
    def test_movements_replayed_give_every_cards_state_and_place(self, sequence):
        for step in sequence:
            # A refusal must leave nothing half-done: the replay below would show it.
            with contextlib.suppress(DomainError):
                self.run_step(step)
        self.assert_replay_matches()


# Tampering around the services -------------------------------------------------------------


@pytest.fixture
def shop():
    """S01 with a card in stock and a sold card that was frozen since; S02 exists too."""
    s1, s2 = f.store("S01"), f.store("S02")
    cashier = f.actor(Role.STORE_CASHIER, s1)
    product = f.product()
    in_stock = f.stock_card(product, s1)
    sold = f.sold_card(cashier, product)
    freeze_card(actor=cashier, card_number=sold.number)
    return {"s1": s1, "s2": s2, "in_stock": in_stock, "sold": sold}


def verify_output() -> tuple[str, bool]:
    out = io.StringIO()
    try:
        call_command("verify", stdout=out)
    except CommandError:
        return out.getvalue(), False
    return out.getvalue(), True


@pytest.mark.django_db
def test_clean_stock_verifies(shop):
    output, ok = verify_output()
    assert ok, output
    assert "stock: clean (2 cards, 4 stock movements)" in output


@pytest.mark.django_db
def test_a_card_state_changed_without_a_movement_is_caught(shop):
    card, s1 = shop["in_stock"], shop["s1"]
    execute("UPDATE cards_card SET state = 'void', location_id = NULL WHERE id = %s", [card.pk])

    assert verify_stock().problems == [
        f"card {card.number}: stock movements end at in_stock@{s1.pk}, but the card is void@None"
    ]
    output, ok = verify_output()
    assert not ok
    assert "stock: 1 PROBLEM(S)" in output and card.number in output


@pytest.mark.django_db
def test_a_card_moved_to_another_store_without_a_movement_is_caught(shop):
    card, s1, s2 = shop["in_stock"], shop["s1"], shop["s2"]
    execute("UPDATE cards_card SET location_id = %s WHERE id = %s", [s2.pk, card.pk])

    assert verify_stock().problems == [
        f"card {card.number}: stock movements end at in_stock@{s1.pk}, "
        f"but the card is in_stock@{s2.pk}"
    ]


@pytest.mark.django_db
def test_a_deleted_movement_is_caught(shop):
    card, s1 = shop["sold"], shop["s1"]
    sale = StockMovement.objects.get(card=card, event="card.sold")
    frozen = StockMovement.objects.get(card=card, event="card.frozen")
    with triggers_lifted("inventory_stockmovement"):
        execute("DELETE FROM inventory_stockmovement WHERE id = %s", [sale.pk])

    assert verify_stock().problems == [
        f"card {card.number}: movement {frozen.pk} (card.frozen) starts from active@None "
        f"but the card was in_stock@{s1.pk}"
    ]
    assert not verify_output()[1]


@pytest.mark.django_db
def test_a_movement_inserted_out_of_sequence_is_caught(shop):
    """A forged movement claims the card came from S02: it was at S01 all along."""
    card, s1, s2 = shop["in_stock"], shop["s1"], shop["s2"]
    forged = StockMovement.objects.create(
        card=card,
        event="handover.received",
        from_state=CardState.IN_STOCK,
        from_location=s2,
        to_state=CardState.IN_STOCK,
        to_location=s1,
    )

    assert verify_stock().problems == [
        f"card {card.number}: movement {forged.pk} (handover.received) starts from "
        f"in_stock@{s2.pk} but the card was in_stock@{s1.pk}"
    ]


@pytest.mark.django_db
def test_a_movement_added_to_cover_a_raw_change_still_ends_elsewhere(shop):
    """Moving the card by hand and adding a matching movement for an earlier state fails
    the replay too: the chain of movements must start where the last one ended."""
    card, s1, s2 = shop["in_stock"], shop["s1"], shop["s2"]
    execute("UPDATE cards_card SET location_id = %s WHERE id = %s", [s2.pk, card.pk])
    StockMovement.objects.create(
        card=card,
        event="handover.received",
        from_state=CardState.IN_TRANSIT,
        to_state=CardState.IN_STOCK,
        to_location=s2,
    )
    problems = verify_stock().problems
    assert len(problems) == 1
    assert f"starts from in_transit@None but the card was in_stock@{s1.pk}" in problems[0]


@pytest.mark.django_db
def test_a_voided_card_brought_back_by_a_forged_but_chained_movement_is_caught(shop):
    """Void -> in stock is no transition of the card state machine, even when the forged
    movement starts where the last one ended and the card row agrees with it."""
    card, s1 = shop["in_stock"], shop["s1"]
    keeper = f.actor(Role.HQ_STOCK)
    transition(card, CardState.VOID, event="card.voided", by=keeper, reason="damaged")
    forged = StockMovement.objects.create(
        card=card,
        event="card.restocked",
        from_state=CardState.VOID,
        to_state=CardState.IN_STOCK,
        to_location=s1,
    )
    execute(
        "UPDATE cards_card SET state = 'in_stock', location_id = %s WHERE id = %s", [s1.pk, card.pk]
    )

    assert verify_stock().problems == [
        f"card {card.number}: movement {forged.pk} (card.restocked) goes from void to "
        "in_stock, which is not a card transition"
    ]


# The database refuses to rewrite the stock ledger --------------------------------------


def refused(sql: str, params: list | None = None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE inventory_stockmovement SET to_state = 'void'",
        "UPDATE inventory_stockmovement SET to_location_id = NULL",
        "UPDATE inventory_stockmovement SET reason = 'edited'",
        "DELETE FROM inventory_stockmovement",
    ],
)
def test_stock_movements_cannot_be_changed_or_deleted(shop, sql):
    before = list(StockMovement.objects.order_by("pk").values_list())

    refused(sql)

    assert list(StockMovement.objects.order_by("pk").values_list()) == before


@pytest.mark.django_db
def test_the_orm_cannot_change_or_delete_them_either(shop):
    movement = StockMovement.objects.filter(card=shop["sold"]).latest("pk")
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(to_state=CardState.ACTIVE)
    with pytest.raises(DatabaseError), transaction.atomic():
        movement.delete()
    movement.refresh_from_db()
    assert movement.to_state == CardState.FROZEN
    assert verify_stock().problems == []
