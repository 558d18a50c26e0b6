"""Ordering a production batch: cards with fresh generated numbers, or the numbers of the
manufacturer's file. The cards exist as numbers (``produced``) until the batch is received
(``receiving``)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from membercard.cards import numbers as card_numbers
from membercard.cards.models import Batch, BatchSource, Card, CardProduct
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import ProductPolicyViolation, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory import movements
from membercard.inventory.errors import BatchImportRefused
from membercard.inventory.manufacturer_files import ImportRow, read_manufacturer_csv

MAX_QUANTITY = 200_000
CHUNK = 5_000  # cards per bulk write: memory stays flat whatever the batch size
INSERT_ATTEMPTS = 5
MAX_DRAW_ROUNDS = 50

PRODUCED_EVENT = "batch.produced"

Progress = Callable[[int, int], None]


def _whole(value: object, low: int, high: int | None = None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value >= low and (high is None or value <= high)


def check_order(product: CardProduct, unit_cost_minor: int, supplier: str) -> None:
    if not product.is_active:
        raise ProductPolicyViolation(
            _("%(product)s is not active: no new cards can be made.") % {"product": product.name}
        )
    if not _whole(unit_cost_minor, 0):
        raise ValidationFailed(
            _("The unit cost is a whole amount in minor units, 0 or more."), field="unit_cost_minor"
        )
    if len(supplier.strip()) > Batch._meta.get_field("supplier").max_length:
        raise ValidationFailed(_("The supplier name is too long."), field="supplier")


def check_generated(product: CardProduct) -> None:
    """We draw numbers only in our own format (prefix, 8 random digits or more, a check
    digit); a pre-printed product's numbers come from the manufacturer's file."""
    number_format = (product.number_prefix, product.number_length, product.number_check_digit)
    if not card_numbers.can_generate(*number_format):
        raise ProductPolicyViolation(
            _(
                "%(product)s numbers are pre-printed (no check digit, or too short to draw at "
                "random): import the manufacturer's file instead."
            )
            % {"product": product.name}
        )


def _new_batch(actor: Actor, product: CardProduct, source: str, **order) -> Batch:
    order["supplier"], order["notes"] = order["supplier"].strip(), order["notes"].strip()
    return Batch.objects.create(product=product, source=source, created_by=actor.staff, **order)


def _produced(batch: Batch, number: str, uid: str | None = None) -> Card:
    return Card(
        number=number, uid=uid, product=batch.product, batch=batch, state=CardState.PRODUCED
    )


def _record_produced(cards: list[Card], actor: Actor, batch: Batch) -> None:
    """The first movement of new cards, as ``movements.record_new_cards`` writes it: from
    nowhere to their state and place."""
    movements.record_bulk(
        [card.pk for card in cards],
        event=PRODUCED_EVENT,
        by=actor,
        batch=batch,
        from_state="",
        from_location=None,
        to_state=movements.OfCard("state"),
        to_location=movements.OfCard("location"),
    )


# Generated numbers ---------------------------------------------------------------------


def generate_batch(
    *,
    actor: Actor,
    product: CardProduct,
    quantity: int,
    unit_cost_minor: int,
    supplier: str = "",
    notes: str = "",
    progress: Progress | None = None,
) -> Batch:
    """Order ``quantity`` cards with fresh random numbers (product prefix, Luhn digit),
    unique among all cards ever made. The cards exist as numbers (``produced``) until the
    batch is received."""
    require(actor, Action.ORDER_BATCH, _("order card batches"))
    check_order(product, unit_cost_minor, supplier)
    check_generated(product)
    if not _whole(quantity, 1, MAX_QUANTITY):
        raise ValidationFailed(
            _("A batch holds 1 to %(most)s cards.") % {"most": f"{MAX_QUANTITY:,}"},
            field="quantity",
        )
    order = {"unit_cost_minor": unit_cost_minor, "supplier": supplier, "notes": notes}
    batch = _new_batch(actor, product, BatchSource.GENERATED, quantity=quantity, **order)
    done = 0
    while done < quantity:
        cards = _store_generated(batch, min(CHUNK, quantity - done))
        _record_produced(cards, actor, batch)
        done += len(cards)
        if progress is not None:
            progress(done, quantity)
    return batch


def _store_generated(batch: Batch, count: int) -> list[Card]:
    """Insert ``count`` cards with unused numbers. The unique index is the last guard: if
    another order took one of our numbers since we checked, draw the chunk again."""
    attempt = 1
    while True:
        cards = [_produced(batch, number) for number in _unused_numbers(batch.product, count)]
        try:
            with transaction.atomic():
                return Card.objects.bulk_create(cards)
        except IntegrityError:
            if attempt >= INSERT_ATTEMPTS:
                raise
        attempt += 1


def _unused_numbers(product: CardProduct, count: int) -> list[str]:
    """``count`` distinct new numbers that no card has, checked against the database in one
    query per round; collisions (in the draw or with existing cards) are drawn again."""
    fresh: set[str] = set()
    for _round in range(MAX_DRAW_ROUNDS):
        wanted = count - len(fresh)
        if wanted == 0:
            return sorted(fresh)
        drawn = {
            card_numbers.generate_number(product.number_prefix, product.number_length)
            for _ in range(wanted)
        }
        drawn -= fresh
        taken = Card.objects.filter(number__in=drawn).values_list("number", flat=True)
        fresh |= drawn.difference(taken)
    if len(fresh) == count:
        return sorted(fresh)
    raise ProductPolicyViolation(
        _(
            "Not enough unused numbers could be drawn for %(product)s: "
            "its number range is nearly full."
        )
        % {"product": product.name}
    )


# Imported numbers ----------------------------------------------------------------------


def import_numbers(
    *,
    actor: Actor,
    product: CardProduct,
    rows_text: str,
    unit_cost_minor: int,
    supplier: str = "",
    notes: str = "",
    progress: Progress | None = None,
) -> Batch:
    """A batch from the manufacturer's file (number, optional RFID UID). Every row is
    checked; if any is bad nothing is imported and every bad line is listed."""
    require(actor, Action.ORDER_BATCH, _("import card batches"))
    check_order(product, unit_cost_minor, supplier)
    rows = read_manufacturer_csv(rows_text, product, max_rows=MAX_QUANTITY, chunk=CHUNK)
    order = {"unit_cost_minor": unit_cost_minor, "supplier": supplier, "notes": notes}
    batch = _new_batch(actor, product, BatchSource.IMPORTED, quantity=len(rows), **order)
    for start in range(0, len(rows), CHUNK):
        cards = _store_imported(batch, rows[start : start + CHUNK])
        _record_produced(cards, actor, batch)
        if progress is not None:
            progress(start + len(cards), len(rows))
    return batch


# One transaction each. At the faces an order is an approval request (``approvals.stock``),
# which runs these bodies inside the approval's transaction, as the orderer.
create_batch = business_operation(generate_batch)
import_batch = business_operation(import_numbers)


def _store_imported(batch: Batch, rows: list[ImportRow]) -> list[Card]:
    try:
        with transaction.atomic():
            return Card.objects.bulk_create([_produced(batch, r.number, r.uid) for r in rows])
    except IntegrityError:
        pass  # refused below, outside the handler: nothing is chained onto the error
    raise BatchImportRefused(
        _(
            "Some numbers or RFID UIDs in the file were registered by someone else during the "
            "import; nothing was imported. Import the file again to see which."
        )
    )
