"""Four eyes on card stock: voiding cards and ordering a batch are requests another person
approves (``APPROVE_STOCK``: an HQ admin or stock keeper other than the maker).

Filing checks everything the action will check (the same inventory functions, nothing kept)
and keeps a preview: the cards to void (count, ranges, product, state), or the order
(product, quantity, cost, and for a manufacturer's file its numbers' ranges). Nothing is
produced, exported or put into stock before the approval: a batch and its numbers exist
only once approved.

The approval runs the inventory work inside its own transaction, *as the maker* (the
card movements and the batch name the person who asked; the request names the approver),
so the batch's orderer is the maker, and ``receive_batch`` refuses them. A void whose cards
changed state since it was filed is refused (``request_stale``) and voids nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.cards.models import Card, CardProduct
from membercard.core.actors import Actor
from membercard.core.errors import RequestStale, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.inventory.errors import CardsNotVoidable
from membercard.inventory.manufacturer_files import read_manufacturer_csv
from membercard.inventory.ranges import to_ranges
from membercard.inventory.services.batches.ordering import (
    CHUNK,
    MAX_QUANTITY,
    check_generated,
    check_order,
    generate_batch,
    import_numbers,
)
from membercard.inventory.services.batches.receiving import cards_to_void, void_listed

# The preview lists this many ranges; the count and the payload always hold every card.
SHOWN_RANGES = 200


def _filing() -> Any:
    """``approvals.services`` (imported here: it imports the kinds, which import this)."""
    from membercard.approvals import services

    return services


def file_request(
    actor: Actor, kind: str, payload: dict, preview: dict, key: str
) -> ApprovalRequest:
    services = _filing()
    existing = services._existing(actor, kind, payload, key)
    if existing is not None:
        return existing
    return services._file(
        actor=actor, kind=kind, payload=payload, preview=preview, idempotency_key=key
    )


def _ranges(numbers: list[str]) -> list[dict[str, Any]]:
    runs = to_ranges(numbers)
    return [{"first": r.first, "last": r.last, "count": r.count} for r in runs[:SHOWN_RANGES]]


# Voids ----------------------------------------------------------------------------------


def request_card_void(
    *, actor: Actor, numbers: list[str], reason: str, idempotency_key: str
) -> ApprovalRequest:
    """Void cards in stock at HQ (or still on order): a pending request listing the cards,
    their product and state; nothing is voided until someone else approves."""
    require(actor, Action.VOID_CARDS, _("void cards"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the cards are void (misprinted, damaged...)."), field="reason"
        )
    with transaction.atomic():  # the same checks as the void itself, the cards locked
        cards = cards_to_void(actor=actor, numbers=numbers)
        preview = _void_preview(cards)
    payload = {"numbers": [card.number for card in cards], "reason": reason}
    return file_request(actor, RequestKind.CARD_VOID, payload, preview, idempotency_key)


def _void_preview(cards: list[Card]) -> dict[str, Any]:
    products = dict(
        CardProduct.objects.filter(pk__in={card.product_id for card in cards}).values_list(
            "pk", "code"
        )
    )
    by_product = Counter(products[card.product_id] for card in cards)
    by_state = Counter(str(card.state) for card in cards)
    return {
        "count": len(cards),
        "products": dict(sorted(by_product.items())),
        "states": dict(sorted(by_state.items())),
        "ranges": _ranges([card.number for card in cards]),
        # What the approval checks again: each card's state and place as filed.
        "cards": {card.number: [str(card.state), card.location_id] for card in cards},
    }


def apply_card_void(request: ApprovalRequest) -> None:
    """Inside the approval's transaction: void the cards as the maker, if every card is
    still as the request showed it; else ``request_stale`` and nothing is voided."""
    maker = Actor.for_staff(request.maker)
    payload = request.payload
    try:
        cards = cards_to_void(actor=maker, numbers=payload["numbers"])
    except CardsNotVoidable as refused:
        raise _stale_void() from refused
    now = {card.number: [str(card.state), card.location_id] for card in cards}
    if now != request.preview["cards"]:
        raise _stale_void()
    void_listed(actor=maker, cards=cards, reason=payload["reason"])


def _stale_void() -> RequestStale:
    return RequestStale(
        _(
            "Some of these cards changed state since the request was made. Nothing was voided: "
            "reject it and make a fresh request."
        )
    )


# Batch orders -----------------------------------------------------------------------------


def request_batch_order(
    *,
    actor: Actor,
    product: CardProduct,
    unit_cost_minor: int,
    idempotency_key: str,
    quantity: int | None = None,
    rows_text: str | None = None,
    supplier: str = "",
    notes: str = "",
) -> ApprovalRequest:
    """Order a batch, with ``quantity`` generated numbers or the manufacturer's file
    (``rows_text``): a pending request; the batch, its numbers and its cards exist only once
    someone other than the orderer approves (and someone other than the orderer receives it)."""
    require(actor, Action.ORDER_BATCH, _("order card batches"))
    check_order(product, unit_cost_minor, supplier)
    preview: dict[str, Any] = {
        "product": product.code,
        "product_name": product.name,
        "unit_cost_minor": unit_cost_minor,
        "supplier": supplier.strip(),
        "notes": notes.strip(),
    }
    payload: dict[str, Any] = {
        "product_id": product.pk,
        "unit_cost_minor": unit_cost_minor,
        "supplier": supplier,
        "notes": notes,
    }
    if rows_text is None:
        check_generated(product)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            quantity = 0
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                _("A batch holds 1 to %(most)s cards.") % {"most": f"{MAX_QUANTITY:,}"},
                field="quantity",
            )
        payload |= {"source": "generated", "quantity": quantity}
    else:
        rows = read_manufacturer_csv(rows_text, product, max_rows=MAX_QUANTITY, chunk=CHUNK)
        quantity = len(rows)
        payload |= {"source": "imported", "rows_text": rows_text}
        preview["ranges"] = _ranges([row.number for row in rows])
    preview |= {
        "source": payload["source"],
        "quantity": quantity,
        "total_cost_minor": quantity * unit_cost_minor,
    }
    return file_request(actor, RequestKind.BATCH_ORDER, payload, preview, idempotency_key)


def apply_batch_order(request: ApprovalRequest) -> None:
    """Inside the approval's transaction: the batch is made, as the maker (its orderer)."""
    payload = request.payload
    product = CardProduct.objects.get(pk=payload["product_id"])
    order = {
        "actor": Actor.for_staff(request.maker),
        "product": product,
        "unit_cost_minor": payload["unit_cost_minor"],
        "supplier": payload["supplier"],
        "notes": payload["notes"],
    }
    if payload["source"] == "imported":
        batch = import_numbers(rows_text=payload["rows_text"], **order)
    else:
        batch = generate_batch(quantity=payload["quantity"], **order)
    request.preview = {**request.preview, "batch_id": batch.pk, "batch": batch.document_number}


def batch_of(request: ApprovalRequest) -> int | None:
    """The batch an approved order made (its id), for the pages."""
    return request.preview.get("batch_id") if request.kind == RequestKind.BATCH_ORDER else None
