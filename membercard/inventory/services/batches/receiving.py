"""What becomes of an ordered batch's cards: the delivery is received into stock at HQ, or
the order is cancelled (its cards void); misprints found at the quality check are voided
one by one, whether still on order or already in stock at HQ."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from membercard.cards.models import Batch, BatchStatus, Card
from membercard.cards.reader import parse_reader_input
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import DomainError, OrdererCannotReceive, ValidationFailed
from membercard.core.models import Location
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory import movements
from membercard.inventory.errors import (
    BatchNotFound,
    BatchNotOrdered,
    CardsNotVoidable,
    first_entries,
)
from membercard.inventory.lifecycle import transition
from membercard.inventory.services.batches.ordering import CHUNK, Progress
from membercard.ledger.posting import lock_cards

RECEIVED_EVENT = "batch.received"
CANCELLED_EVENT = "batch.cancelled"
VOIDED_EVENT = "card.voided"


def _required_reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(message, field="reason")
    return reason


def _void_reason(reason: str) -> str:
    return _required_reason(reason, _("Say why the cards are void (misprinted, damaged...)."))


# Receiving and cancelling --------------------------------------------------------------


@business_operation
def receive_batch(*, actor: Actor, batch_id: int, progress: Progress | None = None) -> Batch:
    """The manufacturer delivered: the batch's cards (those not voided meanwhile) go into
    stock at headquarters."""
    require(actor, Action.RECEIVE_BATCH, _("receive card batches"))
    batch = _locked_ordered(batch_id, "received")
    if actor.staff is not None and batch.created_by_id == actor.staff.pk:
        raise OrdererCannotReceive(batch=batch.document_number)
    where = {"location": actor.location, "progress": progress}
    _move_produced(batch, CardState.IN_STOCK, event=RECEIVED_EVENT, by=actor, **where)
    batch.status = BatchStatus.RECEIVED
    batch.received_by = actor.staff
    batch.received_at = timezone.now()
    batch.save(update_fields=["status", "received_by", "received_at"])
    return batch


@business_operation
def cancel_batch(*, actor: Actor, batch_id: int, reason: str) -> Batch:
    """The order will never be delivered: its cards become void (their numbers are never
    used again). The reason is kept on every card's movement and in the batch notes. (At
    the faces a cancellation is an approval request: ``approvals.stock_write_offs``.)"""
    batch, reason = batch_to_cancel(actor=actor, batch_id=batch_id, reason=reason)
    return cancel_locked(actor=actor, batch=batch, reason=reason)


def batch_to_cancel(*, actor: Actor, batch_id: int, reason: str) -> tuple[Batch, str]:
    """The batch, row-locked, and the reason, if ``actor`` may cancel it (still ordered, a
    reason given): what ``cancel_batch`` checks, inside the caller's transaction."""
    require(actor, Action.RECEIVE_BATCH, _("cancel card batches"))
    reason = _required_reason(reason, _("Say why the batch is cancelled."))
    return _locked_ordered(batch_id, "cancelled"), reason


def cancel_locked(*, actor: Actor, batch: Batch, reason: str) -> Batch:
    """Cancel ``batch`` (locked and checked by ``batch_to_cancel``) as ``actor``, inside the
    caller's transaction: its produced cards become void."""
    _move_produced(batch, CardState.VOID, event=CANCELLED_EVENT, by=actor, reason=reason)
    stamp = f"Cancelled {timezone.localdate():%Y-%m-%d} by {actor.label}: {reason}"
    batch.notes = f"{batch.notes}\n{stamp}" if batch.notes else stamp
    batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["status", "notes"])
    return batch


def _locked_ordered(batch_id: int, verb: str) -> Batch:
    # The batch row is locked first: a receipt and a cancellation of one batch run one at a time.
    batch = (
        Batch.objects.select_for_update(of=("self",))
        .select_related("product", "received_by")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise BatchNotFound(_("No batch %(batch)s.") % {"batch": batch_id}, batch=batch_id)
    done = {
        "received": pgettext("batch", "received"),
        "cancelled": pgettext("batch", "cancelled"),
    }.get(verb, verb)
    if batch.status == BatchStatus.RECEIVED:
        when = timezone.localtime(batch.received_at).strftime("%Y-%m-%d %H:%M")
        raise BatchNotOrdered(
            _(
                "Batch %(batch)s was already received (%(when)s, by %(by)s); "
                "it cannot be %(verb)s again."
            )
            % {
                "batch": batch.document_number,
                "when": when,
                "by": batch.received_by,
                "verb": done,
            },
            status=batch.status,
        )
    if batch.status == BatchStatus.CANCELLED:
        raise BatchNotOrdered(
            _("Batch %(batch)s was cancelled; it cannot be %(verb)s.")
            % {"batch": batch.document_number, "verb": done},
            status=batch.status,
        )
    return batch


def _move_produced(
    batch: Batch,
    target: CardState,
    *,
    event: str,
    by: Actor,
    location: Location | None = None,
    reason: str = "",
    progress: Progress | None = None,
) -> int:
    """Move the batch's ``produced`` cards to ``target`` in chunks, each card with the
    movement ``transition`` would write for it."""
    ids = list(
        batch.cards.filter(state=CardState.PRODUCED).order_by("pk").values_list("pk", flat=True)
    )
    moved = 0
    for start in range(0, len(ids), CHUNK):
        # Lock in id order (as lock_cards does): writers of the same cards never deadlock.
        locked = list(
            Card.objects.select_for_update()
            .filter(pk__in=ids[start : start + CHUNK], state=CardState.PRODUCED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # The movements first: they read where each card comes from off its row.
        movements.record_bulk(
            locked,
            event=event,
            by=by,
            reason=reason,
            batch=batch,
            from_state=movements.OfCard("state"),
            from_location=movements.OfCard("location"),
            to_state=target,
            to_location=location,
        )
        Card.objects.filter(pk__in=locked).update(state=target, location=location)
        moved += len(locked)
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return moved


# Quality check -------------------------------------------------------------------------


@business_operation
def void_cards(*, actor: Actor, numbers: list[str], reason: str) -> int:
    """Void misprinted or damaged cards in stock at headquarters (or still on order).
    All or nothing: any card that is elsewhere, or unknown, refuses the whole list. (At the
    faces a void is an approval request: ``approvals.stock``, which voids through
    ``void_listed`` inside the approval's transaction.)"""
    require(actor, Action.VOID_CARDS, _("void cards"))
    reason = _void_reason(reason)
    return void_listed(
        actor=actor, cards=cards_to_void(actor=actor, numbers=numbers), reason=reason
    )


def cards_to_void(*, actor: Actor, numbers: list[str]) -> list[Card]:
    """The cards ``numbers`` name (typed, scanned, RFID UIDs), row-locked, if every one may be
    voided by ``actor`` (in stock or recovered at their location, HQ, or still on order);
    else the refusal naming the others. Runs inside the caller's transaction."""
    require(actor, Action.VOID_CARDS, _("void cards"))
    references = _references(numbers)
    cards, unknown = _locked_cards(references)
    # In stock here, or handed back here and waiting to be checked (recovered).
    here = {(CardState.IN_STOCK, actor.location.pk), (CardState.RECOVERED, actor.location.pk)}
    elsewhere = [
        card.number
        for card in cards
        if card.state != CardState.PRODUCED and (card.state, card.location_id) not in here
    ]
    if elsewhere or unknown:
        listed = first_entries([*elsewhere, *unknown], sep=", ", more=_(" and {} more"))
        raise CardsNotVoidable(
            _("Not in stock at headquarters: %(cards)s. Nothing was voided.") % {"cards": listed},
            numbers=elsewhere,
            unknown=unknown,
        )
    return cards


def void_listed(*, actor: Actor, cards: list[Card], reason: str) -> int:
    """Void ``cards`` (locked and checked by ``cards_to_void``) with ``reason``, as
    ``actor``, inside the caller's transaction; answers how many."""
    require(actor, Action.VOID_CARDS, _("void cards"))
    reason = _void_reason(reason)
    for card in cards:
        document = {"batch_id": card.batch_id} if card.batch_id else None
        transition(
            card, CardState.VOID, event=VOIDED_EVENT, by=actor, reason=reason, document=document
        )
    return len(cards)


def _references(entries: list[str]) -> list[tuple[str, str]]:
    """Each entry as the counter reads it (keyed digits, a scanned barcode, an RFID UID),
    as (kind, value) without repeats."""
    references: dict[tuple[str, str], None] = {}
    for position, raw in enumerate(entries, start=1):
        problem: DomainError | None = None
        try:
            reference = parse_reader_input(raw)
        except DomainError as exc:
            problem = exc
        if problem is not None:  # raised outside the handler: the input is never chained
            raise type(problem)(
                _("Card %(position)d of %(count)d: %(problem)s")
                % {"position": position, "count": len(entries), "problem": problem.message}
            )
        references[(reference.kind, reference.value)] = None
    if not references:
        raise ValidationFailed(_("List at least one card to void."), field="numbers")
    return list(references)


def _locked_cards(references: list[tuple[str, str]]) -> tuple[list[Card], list[str]]:
    """The referenced cards in the order given (each once), row-locked in id order by
    ``lock_cards`` a chunk at a time, and the references of no card."""
    numbers: dict[str, None] = {}  # the cards' numbers, in the order given
    unknown: list[str] = []
    for start in range(0, len(references), CHUNK):
        chunk = references[start : start + CHUNK]
        wanted = Q(number__in=[value for kind, value in chunk if kind == "number"]) | Q(
            uid__in=[value for kind, value in chunk if kind == "uid"]
        )
        number_of: dict[str, str] = {}  # number or UID -> the card's number
        for number, uid in Card.objects.filter(wanted).values_list("number", "uid"):
            number_of[number] = number
            if uid:
                number_of[uid] = number
        for _kind, value in chunk:
            if value in number_of:
                numbers[number_of[value]] = None
            else:
                unknown.append(value)
    ordered = list(numbers)
    cards: list[Card] = []
    for start in range(0, len(ordered), CHUNK):
        cards += lock_cards(*ordered[start : start + CHUNK])
    return cards, unknown
