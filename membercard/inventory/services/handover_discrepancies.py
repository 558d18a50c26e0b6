"""Handover discrepancies: HQ settles each open line of a received handover.

A *missing* card (listed, not scanned at receipt) is found at the receiver, lost (void) or
returned to the sender; an *unexpected* one (scanned, not listed) is acknowledged (it stays
booked where it was) or moved (it physically arrived: from in stock where it is booked into
the receiver's stock). When no line is left open the handover is closed. Same locking
order as ``handovers.py``: the handover row first, then the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory import handover_queries as q
from membercard.inventory.errors import (
    CardNotMovable,
    HandoverLineNotFound,
    HandoverLineNotOpen,
)
from membercard.inventory.lifecycle import transition
from membercard.inventory.models import Handover, HandoverLine, HandoverState, LineStatus
from membercard.inventory.services.handovers import lock_cards, stamp_step


class Outcome(StrEnum):
    """How HQ resolves an open line: a missing card is found, lost or returned; an
    unexpected card is acknowledged (where it really is does not change)."""

    FOUND = "found"
    LOST = "lost"
    RETURNED = "returned"
    ACKNOWLEDGED = "acknowledged"
    MOVED = "moved"


def _open_line(actor: Actor, line_id: int) -> tuple[Handover, HandoverLine]:
    handover_id = HandoverLine.objects.filter(pk=line_id).values_list("handover_id", flat=True)
    if not handover_id:
        raise HandoverLineNotFound()
    handover = q.get_handover(actor, handover_id[0], lock=True)
    line = handover.lines.select_related("card").get(pk=line_id)
    if not q.open_lines(handover).filter(pk=line.pk).exists():
        raise HandoverLineNotOpen(status=line.status)
    return handover, line


def _check_outcome(line: HandoverLine, outcome: str) -> Outcome:
    allowed = (
        (Outcome.FOUND, Outcome.LOST, Outcome.RETURNED)
        if line.status == LineStatus.MISSING
        else (Outcome.ACKNOWLEDGED, Outcome.MOVED)
    )
    if outcome not in allowed:
        choices = ", ".join(allowed)
        raise ValidationFailed(
            _("A %(status)s line is resolved as: %(choices)s.")
            % {"status": line.get_status_display().lower(), "choices": choices},
            field="outcome",
        )
    return Outcome(outcome)


@dataclass(frozen=True)
class Resolution:
    """One open line checked for ``outcome`` (the handover row locked), not yet applied."""

    handover: Handover
    line: HandoverLine
    outcome: Outcome
    note: str


def check_resolution(*, actor: Actor, line_id: int, outcome: str, note: str) -> Resolution:
    """Everything ``resolve_line`` checks (who, an open line, an outcome it allows, a note),
    inside the caller's transaction, the handover row locked; nothing is changed. (A loss is
    an approval request at the faces: ``approvals.stock_write_offs`` checks it here when
    filed, and settles it with ``settle_line`` inside the approval's transaction.)"""
    require(actor, Action.RESOLVE_DISCREPANCY, _("resolve handover discrepancies"))
    handover, line = _open_line(actor, line_id)
    result = _check_outcome(line, outcome)
    note = note.strip()
    if not note:
        raise ValidationFailed(_("Say how the discrepancy was settled."), field="note")
    return Resolution(handover=handover, line=line, outcome=result, note=note)


def settle_line(actor: Actor, resolution: Resolution) -> HandoverLine:
    """Apply ``resolution`` (from ``check_resolution``) as ``actor``, inside the caller's
    transaction; the handover closes when no line is left open."""
    handover, line, result, note = (
        resolution.handover,
        resolution.line,
        resolution.outcome,
        resolution.note,
    )
    if result == Outcome.MOVED:
        _move_to_receiver(actor, handover, line, note)
        line.status = LineStatus.MOVED
    elif result != Outcome.ACKNOWLEDGED:
        (card,) = lock_cards([line.card_id])
        target, place, changes = CardState.VOID, None, {}
        if result != Outcome.LOST:
            target, changes = CardState.IN_STOCK, {"sold_at": None}
            place = handover.to_location if result == Outcome.FOUND else handover.from_location
        transition(
            card,
            target,
            event=f"handover.{result}",
            by=actor,
            location=place,
            reason=note,
            document={"handover": handover},
            **changes,
        )
        line.status = LineStatus(result.value)
    line.resolved_by = actor.staff
    line.resolved_at = timezone.now()
    line.resolution_note = note
    line.save(update_fields=["card", "status", "resolved_by", "resolved_at", "resolution_note"])
    if not q.open_lines(handover).exists():
        stamp_step(handover, actor, "closed", HandoverState.CLOSED)
    return line


def _move_to_receiver(actor: Actor, handover: Handover, line: HandoverLine, note: str) -> None:
    """The unexpected card joins the receiver's stock, refused (``CardNotMovable``) unless
    it is in stock where it is booked, elsewhere than the receiver, on no open draft.

    Two movements naming the handover, as if it had been listed: off its booked place
    (``in_transit``) and into the receiver's stock; the state machine has no
    stock-to-stock step, and the stock report counts it out there and in here.
    No value moves and nothing is voided: no second person is needed.
    """
    (card,) = lock_cards([line.card_id or _stray_card_id(handover, line)])
    if line.card_id is None:
        _attach(handover, line, card)
    if card.state != CardState.IN_STOCK:
        raise CardNotMovable(state=card.state)
    if card.location_id == handover.to_location_id:
        raise CardNotMovable(
            _("The card is already in the receiver's stock: acknowledge it."), state=card.state
        )
    if draft := q.drafts_listing([card.pk]).get(card.pk):
        raise CardNotMovable(
            _("The card is listed on %(handover)s; take it off that draft first.")
            % {"handover": Handover(pk=draft).document_number},
            state=card.state,
        )
    document = {"handover": handover}
    transition(
        card,
        CardState.IN_TRANSIT,
        event="handover.moved_out",
        by=actor,
        reason=note,
        document=document,
    )
    transition(
        card,
        CardState.IN_STOCK,
        event="handover.moved",
        by=actor,
        reason=note,
        location=handover.to_location,
        document=document,
    )


def _stray_card_id(handover: Handover, line: HandoverLine) -> int:
    """The card an unexpected entry names, in stock at the sender (HQ looks it up: it sees
    every card); refused when there is none: the entry was a misread, to acknowledge."""
    card = q.stray_card(handover, line)
    if card is None:
        raise CardNotMovable(
            _("No card with that number is in stock at %(sender)s: a misread; acknowledge it.")
            % {"sender": handover.from_location}
        )
    return card.pk


def _attach(handover: Handover, line: HandoverLine, card) -> None:
    """The entry's card joins its line (checked again under the card's lock)."""
    at_sender = card.location_id == handover.from_location_id
    if not at_sender or card.state != CardState.IN_STOCK:
        raise CardNotMovable(state=card.state)
    if handover.lines.filter(card=card).exists():
        raise CardNotMovable(
            _("The card already has a line on this handover; settle that line."),
            state=card.state,
        )
    line.card = card


@business_operation
def resolve_line(*, actor: Actor, line_id: int, outcome: str, note: str) -> HandoverLine:
    """HQ settles one discrepancy, with a note saying how it was established.

    A missing card is ``found`` (in stock at the receiver), ``lost`` (void) or ``returned``
    (in stock back at the sender); an unexpected card is ``acknowledged`` (left booked where
    it is) or ``moved`` (into the receiver's stock). An unexpected entry (a number the
    receiving store scanned that named no card it may see) is moved only if a card with that
    number is in stock at the sender, the card then attached to the line; otherwise it is
    acknowledged as a misread. When no line is left open the handover is closed.
    """
    checked = check_resolution(actor=actor, line_id=line_id, outcome=outcome, note=note)
    return settle_line(actor, checked)
