"""What the handover sheet shows: per product the number ranges, counts and totals, and
what differed at receipt. The layout is ``sheets.py``; the web page shows the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from membercard.cards.models import CardProduct
from membercard.core.money import format_minor
from membercard.inventory.handover_queries import lines_of
from membercard.inventory.models import NOT_LISTED, Handover, HandoverLine, LineStatus
from membercard.inventory.ranges import NumberRange, to_ranges

NO_TOTAL = "—"
# Printed (and shown on the page) for a blind count's receiver instead of the numbers.
BLIND_NOTE = _(
    "Blind count: the numbers are not shown to the receiver until it has confirmed "
    "what arrived; the differences appear then."
)


@dataclass
class ProductBlock:
    product: CardProduct
    ranges: list[NumberRange]
    count: int

    @property
    def face_total_minor(self) -> int | None:
        values = self.product.face_values or []
        return values[0] * self.count if len(values) == 1 else None

    @property
    def cost_total_minor(self) -> int:
        return self.product.unit_cost_minor * self.count


@dataclass
class SheetData:
    handover: Handover
    blocks: list[ProductBlock]
    missing: list[HandoverLine] = field(default_factory=list)
    unexpected: list[HandoverLine] = field(default_factory=list)
    # A blind count's receiver: counts per product only, no numbers (``list_hidden``).
    blind: bool = False
    # HQ: unexpected entries in full; the receiving store sees them masked.
    full_entries: bool = False

    @property
    def blind_note(self) -> str:
        return str(BLIND_NOTE)

    @property
    def count(self) -> int:
        return sum(block.count for block in self.blocks)

    @property
    def without_face_value(self) -> list[CardProduct]:
        """Products with no single face value: left out of the face value grand total."""
        return [b.product for b in self.blocks if b.face_total_minor is None]

    @property
    def face_total(self) -> str:
        known = [b.face_total_minor for b in self.blocks if b.face_total_minor is not None]
        if not known:
            return NO_TOTAL
        return format_minor(sum(known)) + (" *" if self.without_face_value else "")

    @property
    def cost_total_minor(self) -> int:
        return sum(block.cost_total_minor for block in self.blocks)


def _blocks(lines: list[HandoverLine]) -> list[ProductBlock]:
    numbers: dict[int, list[str]] = {}
    products: dict[int, CardProduct] = {}
    for line in lines:
        products[line.card.product_id] = line.card.product
        numbers.setdefault(line.card.product_id, []).append(line.card.number)
    ordered = sorted(products.values(), key=lambda product: (product.name, product.pk))
    return [
        ProductBlock(product, to_ranges(numbers[product.pk]), len(numbers[product.pk]))
        for product in ordered
    ]


def sheet_data(handover: Handover, *, blind: bool = False, full_entries: bool = False) -> SheetData:
    """The figures on the sheet: the cards sent, and what differed at receipt. ``blind``
    (for a receiver that has not confirmed its count) leaves every number range out;
    ``full_entries`` (for HQ) shows unexpected entries unmasked."""
    lines = list(lines_of(handover).order_by("card__number"))
    sent = [line for line in lines if line.status not in NOT_LISTED]
    blocks = _blocks(sent)
    if blind:
        blocks = [ProductBlock(block.product, [], block.count) for block in blocks]
    data = SheetData(handover, blocks, blind=blind, full_entries=full_entries)
    if handover.received_at is not None:
        data.missing = [line for line in sent if line.status not in _ARRIVED]
        data.unexpected = [line for line in lines if line.status in NOT_LISTED]
    return data


_ARRIVED = (LineStatus.LISTED, LineStatus.RECEIVED)
