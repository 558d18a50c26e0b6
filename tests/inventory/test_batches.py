"""Production batches (membercard.inventory.services.batches): generate or import the numbers,
receive the batch into HQ stock or cancel it, void misprints. After every flow the stock
movements replay to exactly the cards' states and places (``membercard verify``)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from membercard.cards import numbers
from membercard.cards.models import Batch, BatchSource, BatchStatus, Card
from membercard.cards.reader import barcode_value
from membercard.cards.states import CardState
from membercard.core.errors import OrdererCannotReceive
from membercard.core.models import Role
from membercard.inventory import movements
from membercard.inventory.errors import (
    BatchImportRefused,
    BatchNotFound,
    BatchNotOrdered,
    CardsNotVoidable,
)
from membercard.inventory.lifecycle import transition
from membercard.inventory.manufacturer_files import BANK_CARD
from membercard.inventory.models import StockMovement
from membercard.inventory.services import batches
from membercard.inventory.services.batches import ordering
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import refused, stock_is_consistent

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


@pytest.fixture
def product():
    return f.product(name="储值卡 gold")


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 40 cards, so a small batch crosses several chunk boundaries."""
    inv.small_chunks(monkeypatch, 40)


@pytest.fixture
def receiver():
    """A second stock keeper: whoever ordered a batch may not receive it (four eyes)."""
    return inv.keeper()


def import_(actor, product, text, **kwargs):
    kwargs.setdefault("unit_cost_minor", 150)
    return batches.import_batch(actor=actor, product=product, rows_text=text, **kwargs)


# Generated numbers ---------------------------------------------------------------------


def test_a_generated_batch_has_unique_prefixed_luhn_numbers_on_order(keeper, product, small_chunks):
    seen = []

    batch = inv.order_batch(
        keeper, product, 100, supplier=" Acme Cards ", progress=lambda *p: seen.append(p)
    )

    assert seen == [(40, 100), (80, 100), (100, 100)]
    assert (batch.source, batch.status, batch.quantity) == (BatchSource.GENERATED, "ordered", 100)
    assert (batch.supplier, batch.unit_cost_minor, batch.created_by) == (
        "Acme Cards",
        120,
        keeper.staff,
    )
    cards = list(batch.cards.all())
    assert len({card.number for card in cards}) == 100
    for card in cards:
        assert card.number.startswith(product.number_prefix) and len(card.number) == 16
        assert numbers.is_luhn_valid(card.number)
        assert (card.state, card.location_id, card.product_id) == ("produced", None, product.pk)
    moves = StockMovement.objects.filter(batch=batch)
    assert moves.count() == 100
    assert set(moves.values_list("event", "from_state", "to_state", "to_location", "staff")) == {
        ("batch.produced", "", "produced", None, keeper.staff.pk)
    }
    stock_is_consistent()


def test_a_number_already_taken_or_drawn_twice_is_drawn_again(keeper, product, monkeypatch):
    existing = f.stock_card(product, f.hq())
    real = numbers.generate_number
    twice = real(product.number_prefix, product.number_length)
    calls = []

    def draw(prefix, length):
        calls.append(prefix)
        if len(calls) == 1:
            return existing.number  # an existing card's number comes up first
        if len(calls) in (2, 3):
            return twice  # then the same new number twice in one draw
        return real(prefix, length)

    monkeypatch.setattr(numbers, "generate_number", draw)

    batch = inv.order_batch(keeper, product, 10)

    # 10 drawn, 8 usable (one taken, one repeated): 2 more drawn.
    assert len(calls) == 12
    assert Card.objects.filter(number=existing.number).get() == existing
    assert existing.batch_id is None and batch.cards.count() == 10
    assert batch.cards.filter(number=twice).count() == 1
    stock_is_consistent()


def test_the_unique_index_is_the_last_guard_and_the_chunk_is_drawn_again(
    keeper, product, monkeypatch
):
    # Given another order stored one of "our" numbers between our check and our insert.
    existing = f.stock_card(product, f.hq())
    real = ordering._unused_numbers
    rounds = []

    def raced(product_, count):
        rounds.append(count)
        fresh = real(product_, count)
        return [existing.number, *fresh[1:]] if len(rounds) == 1 else fresh

    monkeypatch.setattr(ordering, "_unused_numbers", raced)

    batch = inv.order_batch(keeper, product, 7)

    assert rounds == [7, 7]
    assert batch.cards.count() == 7 and not batch.cards.filter(number=existing.number).exists()
    stock_is_consistent()


@pytest.mark.parametrize(
    ("role", "change", "code"),
    [
        (Role.HQ_FINANCE, {}, "not_permitted"),
        (Role.STORE_MANAGER, {}, "not_permitted"),
        (Role.HQ_STOCK, {"quantity": 0}, "validation_error"),
        (Role.HQ_STOCK, {"quantity": 200_001}, "validation_error"),
        (Role.HQ_STOCK, {"quantity": True}, "validation_error"),
        (Role.HQ_STOCK, {"unit_cost_minor": -1}, "validation_error"),
        (Role.HQ_STOCK, {"supplier": "x" * 121}, "validation_error"),
        (Role.HQ_STOCK, {"inactive": True}, "product_policy"),
    ],
)
def test_an_order_is_refused(product, role, change, code):
    actor = f.actor(role)
    if change.pop("inactive", False):
        product.is_active = False
        product.save()
    with refused(Exception, code):
        inv.order_batch(actor, product, **{"quantity": 3, **change})


def test_hq_admin_may_order(product):
    assert inv.order_batch(f.actor(Role.HQ_ADMIN), product, 2).cards.count() == 2


# Imported numbers ----------------------------------------------------------------------


def test_a_good_file_without_header_or_uids_is_imported_in_file_order(
    keeper, product, small_chunks
):
    wanted = [inv.number(product, serial) for serial in range(500, 700, 2)]  # no sequence

    batch = import_(keeper, product, "\n".join(wanted) + "\n", supplier="Acme")

    assert (batch.source, batch.quantity, batch.unit_cost_minor) == (BatchSource.IMPORTED, 100, 150)
    assert list(batch.cards.order_by("pk").values_list("number", flat=True)) == wanted
    assert set(batch.cards.values_list("state", "uid")) == {("produced", None)}
    assert StockMovement.objects.filter(batch=batch, event="batch.produced").count() == 100
    stock_is_consistent()


def test_a_file_with_bom_header_semicolons_and_uids_is_imported(keeper, product):
    one, two, three = (inv.number(product, serial) for serial in (1, 3, 5))
    text = (
        "\ufeffCard Number ; RFID_UID\r\n"
        f" {one} ; 0012345678\r\n"
        "\r\n"
        f'"{two}";"a1b2c3d4"\r\n'
        f"{three};\r\n"
    )

    batch = import_(keeper, product, text)

    cards = batch.cards.order_by("pk").values_list("number", "uid")
    assert list(cards) == [(one, "00BC614E"), (two, "A1B2C3D4"), (three, None)]
    stock_is_consistent()


def test_a_header_may_put_the_columns_in_another_order(keeper, product):
    text = f"seq,rfid_uid,number\n1,DEADBEEF,{inv.number(product, 9)}\n"

    batch = import_(keeper, product, text)

    assert batch.cards.get().uid == "DEADBEEF"


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(keeper, product):
    good = [inv.number(product, serial) for serial in range(1, 5)]
    bad = good[2][:-1] + str((int(good[2][-1]) + 1) % 10)  # wrong check digit
    lines = [good[0], good[1], bad, good[3]]

    with refused(BatchImportRefused, "batch_import_refused") as info:
        import_(keeper, product, "\n".join(lines))

    assert info.value.extra["problems"] == [{"line": 3, "problem": "the check digit is wrong"}]
    assert info.value.message.startswith("Line 3: the check digit is wrong. Nothing was imported")


def test_every_bad_line_is_listed(keeper, product):
    taken = f.stock_card(product, f.hq())
    Card.objects.filter(pk=taken.pk).update(uid="CAFEF00D")
    ok = [inv.number(product, serial) for serial in range(1, 6)]
    other_prefix = inv.number(f.product(), 7)
    lines = [
        "number,rfid_uid",  # 1: header
        f"{ok[0]},11111111",  # 2: fine
        ok[1][:-2],  # 3: too short
        other_prefix,  # 4: another product's prefix
        "88AB1234567890123",  # 5: letters
        ok[0],  # 6: duplicate of line 2
        taken.number,  # 7: a card has it
        f"{ok[2]},xyz",  # 8: bad UID
        f"{ok[3]},11111111",  # 9: UID of line 2
        f"{ok[4]},cafef00d",  # 10: a card has the UID
        "8.80012345678901E+15",  # 11: spreadsheet damage
    ]

    with refused(BatchImportRefused, "batch_import_refused") as info:
        import_(keeper, product, "\n".join(lines))

    problems = info.value.extra["problems"]
    assert [problem["line"] for problem in problems] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    by_line = {problem["line"]: problem["problem"] for problem in problems}
    assert by_line[3] == f"14 digits, but {product.code} numbers have 16"
    assert by_line[4] == f"does not start with the product prefix {product.number_prefix}"
    assert by_line[5] == "a card number has digits only"
    assert by_line[6] == "the same number as line 2"
    assert by_line[7] == "a card with this number exists"
    assert "RFID UID" in by_line[8]
    assert by_line[9] == "the same RFID UID as line 2"
    assert by_line[10] == "a card with this RFID UID exists"
    assert "spreadsheet" in by_line[11]
    assert "(9 bad lines)" in info.value.message


def test_a_bank_card_number_is_refused_and_never_echoed(keeper, product):
    lines = [inv.number(product, 1), "4111 1111 1111 1111", "4111111111111111;00bc614e"]

    with refused(BatchImportRefused, "batch_import_refused") as info:
        import_(keeper, product, "\n".join(lines))

    assert info.value.extra["problems"] == [
        {"line": 2, "problem": BANK_CARD},
        {"line": 3, "problem": BANK_CARD},
    ]
    assert "looks like a bank card" in BANK_CARD
    assert "4111" not in str(info.value.as_dict()) and "1111" not in str(info.value)


@pytest.mark.parametrize("text", ["", "\ufeff\n\n", "number;rfid_uid\n"])
def test_an_empty_file_is_refused(keeper, product, text):
    with refused(BatchImportRefused, "batch_import_refused") as info:
        import_(keeper, product, text)
    assert "no card numbers" in info.value.message


def test_a_cashier_may_not_import(product):
    with refused(Exception, "not_permitted"):
        import_(f.actor(Role.STORE_CASHIER), product, inv.number(product, 1))


# Receiving and cancelling --------------------------------------------------------------


def test_receiving_puts_every_card_in_stock_at_hq(keeper, product, small_chunks):
    batch = inv.order_batch(keeper, product, 90)
    receiver = f.actor(Role.HQ_ADMIN)
    seen = []

    received = batches.receive_batch(
        actor=receiver, batch_id=batch.pk, progress=lambda *p: seen.append(p)
    )

    assert seen == [(40, 90), (80, 90), (90, 90)]
    assert (received.status, received.received_by) == (BatchStatus.RECEIVED, receiver.staff)
    assert received.received_at is not None
    assert set(batch.cards.values_list("state", "location")) == {("in_stock", f.hq().pk)}
    moves = StockMovement.objects.filter(event="batch.received")
    assert set(
        moves.values_list(
            "from_state", "from_location", "to_state", "to_location", "staff", "batch"
        )
    ) == {("produced", None, "in_stock", f.hq().pk, receiver.staff.pk, batch.pk)}
    assert moves.count() == 90
    stock_is_consistent()


MOVEMENT_FIELDS = ("event", "from_state", "to_state", "from_location", "to_location", "staff")
MOVEMENT_FIELDS += ("terminal", "operation", "handover", "reason")


def test_bulk_movements_are_exactly_what_transition_writes(keeper, receiver, product):
    # Given two ordered batches: one received by the service (movements.record_bulk), one
    # card by card by hand (transition).
    bulk, by_hand = inv.order_batch(keeper, product, 3), inv.order_batch(keeper, product, 3)

    batches.receive_batch(actor=receiver, batch_id=bulk.pk)
    for card in by_hand.cards.all():
        transition(
            card,
            CardState.IN_STOCK,
            event="batch.received",
            by=receiver,
            location=receiver.location,
            document={"batch": by_hand},
        )

    def moves(batch):
        rows = StockMovement.objects.filter(batch=batch).order_by("card_id", "pk")
        assert all(row.created_at for row in rows)
        return [row[1:] for row in rows.values_list("card__batch", *MOVEMENT_FIELDS)]

    assert moves(bulk) == moves(by_hand)
    assert len(moves(bulk)) == 6
    stock_is_consistent()


def test_first_movements_are_exactly_what_record_new_cards_writes(keeper, product):
    # The service writes them with movements.record_bulk.
    imported = import_(keeper, product, f"{inv.number(product, 1)}\n{inv.number(product, 2)}")
    by_hand = Batch.objects.create(product=product, quantity=2, source=BatchSource.IMPORTED)
    cards = Card.objects.bulk_create(
        Card(number=inv.number(product, n), product=product, batch=by_hand, state="produced")
        for n in (3, 4)
    )

    movements.record_new_cards(cards, event="batch.produced", by=keeper, batch=by_hand)

    def moves(batch):
        return list(
            StockMovement.objects.filter(batch=batch).order_by("pk").values_list(*MOVEMENT_FIELDS)
        )

    assert moves(imported) == moves(by_hand)
    stock_is_consistent()


def test_receiving_twice_is_refused(keeper, receiver, product):
    batch = inv.order_batch(keeper, product, 3)
    batches.receive_batch(actor=receiver, batch_id=batch.pk)

    with refused(BatchNotOrdered, "batch_not_ordered") as info:
        batches.receive_batch(actor=receiver, batch_id=batch.pk)

    assert f"{batch.document_number} was already received" in info.value.message
    stock_is_consistent()


@pytest.mark.parametrize("role", [Role.HQ_FINANCE, Role.STORE_MANAGER, Role.STORE_CASHIER])
def test_receiving_needs_the_stock_keeper_or_admin(keeper, product, role):
    batch = inv.order_batch(keeper, product, 3)
    with refused(Exception, "not_permitted"):
        batches.receive_batch(actor=f.actor(role), batch_id=batch.pk)


def test_the_orderer_may_not_receive_their_own_batch(keeper, receiver, product):
    batch = inv.order_batch(keeper, product, 3)
    with refused(OrdererCannotReceive, "orderer_cannot_receive"):
        batches.receive_batch(actor=keeper, batch_id=batch.pk)
    assert set(batch.cards.values_list("state", flat=True)) == {"produced"}
    # An HQ admin who did not order it receives it.
    batches.receive_batch(actor=f.actor(Role.HQ_ADMIN), batch_id=batch.pk)
    assert set(batch.cards.values_list("state", flat=True)) == {"in_stock"}


def test_an_unknown_batch_is_not_found(receiver):
    with refused(BatchNotFound, "batch_not_found"):
        batches.receive_batch(actor=receiver, batch_id=999_999)


def test_a_card_voided_on_order_is_not_received(keeper, receiver, product):
    batch = inv.order_batch(keeper, product, 4)
    misprint = batch.cards.first()
    batches.void_cards(actor=keeper, numbers=[misprint.number], reason="wrong colour")

    batches.receive_batch(actor=receiver, batch_id=batch.pk)

    assert batch.cards.filter(state="in_stock").count() == 3
    misprint.refresh_from_db()
    assert misprint.state == CardState.VOID
    stock_is_consistent()


def test_cancelling_voids_the_cards_and_blocks_receipt(keeper, receiver, product):
    batch = inv.order_batch(keeper, product, 5, notes="rush order")
    other = inv.order_batch(keeper, product, 1)

    cancelled = batches.cancel_batch(actor=keeper, batch_id=batch.pk, reason="supplier closed")

    assert cancelled.status == BatchStatus.CANCELLED
    assert (
        cancelled.notes.startswith("rush order\nCancelled ")
        and "supplier closed" in cancelled.notes
    )
    assert set(batch.cards.values_list("state", flat=True)) == {"void"}
    assert set(
        StockMovement.objects.filter(event="batch.cancelled").values_list("to_state", "reason")
    ) == {("void", "supplier closed")}
    with refused(BatchNotOrdered, "batch_not_ordered"):
        batches.receive_batch(actor=receiver, batch_id=batch.pk)
    with refused(Exception, "validation_error"):
        batches.cancel_batch(actor=keeper, batch_id=other.pk, reason=" ")
    stock_is_consistent()


# Quality check -------------------------------------------------------------------------


@pytest.fixture
def received(keeper, receiver, product):
    batch = inv.order_batch(keeper, product, 6)
    return batches.receive_batch(actor=receiver, batch_id=batch.pk)


def test_misprints_in_stock_at_hq_are_voided_with_the_reason(keeper, received):
    first, second, third = received.cards.order_by("pk")[:3]

    count = batches.void_cards(
        actor=keeper,
        numbers=[first.number, barcode_value(second.number), first.number],
        reason=" smudged print ",
    )

    assert count == 2
    assert set(received.cards.filter(state="void").values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    moves = StockMovement.objects.filter(event="card.voided")
    assert set(moves.values_list("from_state", "to_state", "to_location", "reason", "batch")) == {
        ("in_stock", "void", None, "smudged print", received.pk)
    }
    third.refresh_from_db()
    assert third.state == CardState.IN_STOCK
    stock_is_consistent()


def test_voiding_needs_a_reason(keeper, received):
    card = received.cards.first()
    with refused(Exception, "validation_error"):
        batches.void_cards(actor=keeper, numbers=[card.number], reason="  ")


def test_cards_not_in_stock_at_hq_are_refused_and_listed(keeper, received, product):
    good, gone = received.cards.order_by("pk")[:2]
    batches.void_cards(actor=keeper, numbers=[gone.number], reason="dropped in the sink")
    at_store = f.stock_card(product, f.store())
    ghost = inv.number(product, 424242)

    with refused(CardsNotVoidable, "cards_not_voidable") as info:
        batches.void_cards(
            actor=keeper, numbers=[good.number, at_store.number, gone.number, ghost], reason="x"
        )

    assert info.value.extra == {"numbers": [at_store.number, gone.number], "unknown": [ghost]}
    assert at_store.number in info.value.message and ghost in info.value.message


def test_a_bank_card_in_the_list_is_refused_unechoed(keeper, received):
    with refused(Exception, "payment_card_refused") as info:
        batches.void_cards(
            actor=keeper, numbers=[received.cards.first().number, "4111111111111111"], reason="x"
        )
    assert "4111" not in str(info.value) and info.value.message.startswith("Card 2 of 2")


def test_a_store_manager_may_not_void_hq_stock(received):
    with refused(Exception, "not_permitted"):
        batches.void_cards(
            actor=f.actor(Role.STORE_MANAGER), numbers=[received.cards.first().number], reason="x"
        )


# Two orders at once (PostgreSQL: real transactions, real unique index) ------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_drawing_the_same_numbers_at_once_both_succeed(monkeypatch):
    # Given two keepers whose first draws are the same 30 numbers, both checked against the
    # database before either inserts: the second insert waits on the first order's unique
    # index entries, fails when it commits, and that chunk is drawn again.
    product, keepers = f.product(), [f.actor(Role.HQ_STOCK) for _ in range(2)]
    shared = sorted({inv.number(product, 10_000 + n) for n in range(30)})
    real, rounds = ordering._unused_numbers, {}
    checked = threading.Barrier(2, timeout=20)

    def same_first_draw(product_, count):
        name = threading.current_thread().name
        rounds[name] = rounds.get(name, 0) + 1
        if rounds[name] > 1:
            return real(product_, count)
        checked.wait()
        return shared

    monkeypatch.setattr(ordering, "_unused_numbers", same_first_draw)
    made, failures = [], []

    def place(keeper):
        try:
            made.append(inv.order_batch(keeper, product, 30))
        except Exception as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=place, args=(k,), name=f"k{i}") for i, k in enumerate(keepers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(rounds.values()) == [1, 2]
    assert [batch.cards.count() for batch in made] == [30, 30]
    assert Card.objects.filter(number__in=shared).count() == 30
    stock_is_consistent()
