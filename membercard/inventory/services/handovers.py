"""Handovers: the signed document that moves cards between HQ and a store.

The sender lists cards (scanned numbers and/or ranges) on a draft, prints the sheet and
dispatches (cards ``in_transit``); the receiver scans what arrived and confirms (cards
``in_stock`` there). Cards listed but not scanned are *missing*, cards scanned but not
listed *unexpected*: both stay open discrepancies until HQ resolves each line
(``handover_discrepancies.py``).

Routes: HQ -> store and store -> HQ only. A store passes cards to another store through
HQ (two handovers), so HQ's stock keeper signs every movement between locations and is
always a party who can resolve a discrepancy.

Locking: a service locks the handover row first, then the cards it changes in primary-key
order, so two services never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.reader import CardReference
from membercard.cards.states import AT_A_LOCATION, CardState
from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Location
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory import handover_queries as q
from membercard.inventory.errors import (
    HandoverAlreadyReceived,
    HandoverCardsRefused,
    HandoverEmpty,
    HandoverRouteRefused,
    HandoverWrongState,
    first_entries,
)
from membercard.inventory.lifecycle import transition
from membercard.inventory.models import Handover, HandoverLine, HandoverState, LineStatus
from membercard.inventory.scope import cards_in_scope

RECEIVED_STATES = (HandoverState.RECEIVED, HandoverState.DISCREPANCY, HandoverState.CLOSED)


# Helpers -----------------------------------------------------------------------------------


def _refuse(problems: list[q.Problem], what: str) -> None:
    """Refuse the whole call if there is any problem: the message names the first ones,
    ``extra["problems"]`` has them all. ``what`` follows their count ("entries cannot be
    listed"), translated."""
    if problems:
        raise HandoverCardsRefused(
            _("%(count)d %(what)s, nothing was changed: %(entries)s.")
            % {
                "count": len(problems),
                "what": what,
                "entries": first_entries(problems, more=_("; and {} more")),
            },
            problems=[p.as_dict() for p in problems],
        )


def _as_sender(actor: Actor, handover_id: int, what: str) -> Handover:
    """The locked draft handover, if the actor may edit it as its sender."""
    require(actor, Action.HANDOVER_SEND, what)  # the role first: it says nothing of the handover
    handover = q.get_handover(actor, handover_id, lock=True)
    if handover.from_location_id != actor.location.pk:
        raise NotPermitted(_("Only the sending location may %(what)s.") % {"what": what})
    if handover.state != HandoverState.DRAFT:
        raise HandoverWrongState(
            _("%(handover)s is %(state)s, no longer a draft.")
            % {
                "handover": handover.document_number,
                "state": handover.get_state_display().lower(),
            },
            state=handover.state,
        )
    return handover


def _listable_states(handover: Handover) -> frozenset[CardState]:
    # Recovered one-time cards go back to HQ only.
    if handover.to_location.is_hq:
        return frozenset({CardState.IN_STOCK, CardState.RECOVERED})
    return frozenset({CardState.IN_STOCK})


def _why_not_sendable(card: Card, handover: Handover) -> str | None:
    if card.location_id == handover.from_location_id:
        if card.state in _listable_states(handover):
            return None
        if card.state == CardState.RECOVERED:
            return _("recovered cards go back to headquarters only")
    if card.state in AT_A_LOCATION:
        return _("not in your stock (it is at another location)")
    return _("not in your stock (it is %(state)s)") % {"state": CardState(card.state).label.lower()}


def lock_cards(card_ids: Sequence[int]) -> list[Card]:
    # Locked in primary-key order so two handovers listing the same cards cannot deadlock.
    return list(
        Card.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in=sorted(set(card_ids)))
        .order_by("pk")
    )


def stamp_step(handover: Handover, actor: Actor, step: str, state: HandoverState) -> None:
    setattr(handover, f"{step}_by", actor.staff)
    setattr(handover, f"{step}_at", timezone.now())
    handover.state = state
    handover.save(update_fields=[f"{step}_by", f"{step}_at", "state"])


# Drafts ------------------------------------------------------------------------------------


@business_operation
def create_handover(*, actor: Actor, to_location: Location, note: str = "") -> Handover:
    """A draft handover from the actor's location (the sender) to ``to_location``."""
    require(actor, Action.HANDOVER_SEND, _("hand cards over"))
    if actor.staff is None:
        raise NotPermitted(_("A handover is signed by a person, not a terminal."))
    if to_location.pk == actor.location.pk:
        raise HandoverRouteRefused(_("A handover goes to another location."))
    if not actor.at_hq and not to_location.is_hq:
        raise HandoverRouteRefused(
            _(
                "A store hands cards over to headquarters only; "
                "HQ passes them on to the other store."
            )
        )
    if not to_location.is_active:
        raise HandoverRouteRefused(_("%(location)s is closed.") % {"location": to_location})
    return Handover.objects.create(
        from_location=actor.location,
        to_location=to_location,
        note=note.strip(),
        created_by=actor.staff,
    )


@business_operation
def add_cards(
    *,
    actor: Actor,
    handover_id: int,
    numbers: Sequence[str] = (),
    ranges: Sequence[tuple[str, str]] = (),
) -> int:
    """List cards on a draft: scanned or typed ``numbers`` (any reader input) and/or
    ``ranges`` (first, last): every card of the sender's stock whose number lies in one.

    The whole call is refused, listing every bad entry with why, if any entry is unreadable,
    unknown, not in the sender's stock, already listed here or on another open draft.
    Cards of a range already on this draft are skipped (widening a range is normal).
    A store resolves numbers within its scope only: another location's card answers "no
    card with that number", exactly like a made-up one. Returns how many cards were added.
    """
    handover = _as_sender(actor, handover_id, _("list cards"))
    if not numbers and not ranges:
        raise ValidationFailed(_("Scan or type card numbers, or give a range."))
    problems: list[q.Problem] = []
    here = set(handover.lines.values_list("card_id", flat=True))
    wanted: dict[int, str] = {}  # card id -> how it was named
    for label, card in q.cards_from_input(numbers, problems, within=cards_in_scope(actor)):
        if card.pk in here:
            problems.append(
                q.Problem(label, "already_listed", _("already listed on this handover"))
            )
        else:
            wanted.setdefault(card.pk, label)
    stock = Card.objects.filter(
        location=handover.from_location, state__in=_listable_states(handover)
    )
    for card in q.cards_in_ranges(stock, ranges, problems, none_there=_("no card of your stock")):
        if card.pk not in here:
            wanted.setdefault(card.pk, card.number)
    cards = lock_cards(list(wanted))
    elsewhere = q.drafts_listing(wanted)
    for card in cards:
        label = wanted[card.pk]
        if card.pk in elsewhere:
            number = Handover(pk=elsewhere[card.pk]).document_number
            problems.append(
                q.Problem(
                    label,
                    "on_open_handover",
                    _("already listed on %(handover)s") % {"handover": number},
                )
            )
        elif why := _why_not_sendable(card, handover):
            problems.append(q.Problem(label, "not_in_stock", why))
    _refuse(problems, _("entries cannot be listed"))
    HandoverLine.objects.bulk_create(HandoverLine(handover=handover, card=c) for c in cards)
    return len(cards)


@business_operation
def remove_cards(
    *,
    actor: Actor,
    handover_id: int,
    numbers: Sequence[str] = (),
    ranges: Sequence[tuple[str, str]] = (),
) -> int:
    """Take cards off a draft, by number or by range; refused (naming each) if a number is
    not on it or a range holds none of its cards. Returns how many were removed."""
    handover = _as_sender(actor, handover_id, _("change handovers"))
    if not numbers and not ranges:
        raise ValidationFailed(_("Scan or type card numbers, or give a range."))
    problems: list[q.Problem] = []
    listed = {line.card_id: line for line in handover.lines.select_related("card")}
    on_it = Card.objects.filter(pk__in=listed)
    drop: set[int] = set()
    for label, card in q.cards_from_input(numbers, problems, within=cards_in_scope(actor) | on_it):
        if card.pk in listed:
            drop.add(card.pk)
        else:
            problems.append(q.Problem(label, "not_listed", _("not on this handover")))
    found = q.cards_in_ranges(on_it, ranges, problems, none_there=_("no card on this handover"))
    drop.update(card.pk for card in found)
    _refuse(problems, _("entries cannot be removed"))
    HandoverLine.objects.filter(pk__in=[listed[card_id].pk for card_id in drop]).delete()
    return len(drop)


@business_operation
def cancel_handover(*, actor: Actor, handover_id: int) -> Handover:
    """Drop a draft: its cards may be listed elsewhere again. closed_by/at record who."""
    handover = _as_sender(actor, handover_id, _("cancel handovers"))
    stamp_step(handover, actor, "closed", HandoverState.CANCELLED)
    return handover


# Dispatch and receipt ----------------------------------------------------------------------


@business_operation
def dispatch_handover(*, actor: Actor, handover_id: int) -> Handover:
    """The listed cards leave the sender: ``in_transit`` on this handover."""
    handover = _as_sender(actor, handover_id, _("dispatch handovers"))
    card_ids = list(handover.lines.values_list("card_id", flat=True))
    if not card_ids:
        raise HandoverEmpty()
    cards = lock_cards(card_ids)
    # A card listed on the draft may have been sold or voided since: name each.
    problems = [
        q.Problem(card.number, "not_in_stock", why)
        for card in cards
        if (why := _why_not_sendable(card, handover))
    ]
    _refuse(problems, _("listed cards can no longer be sent (take them off the draft)"))
    for card in cards:
        transition(
            card,
            CardState.IN_TRANSIT,
            event="handover.dispatched",
            by=actor,
            document={"handover": handover},
        )
    stamp_step(handover, actor, "dispatched", HandoverState.DISPATCHED)
    return handover


@business_operation
def receive_handover(
    *,
    actor: Actor,
    handover_id: int,
    scanned: Sequence[str] = (),
    ranges: Sequence[tuple[str, str]] = (),
) -> Handover:
    """The receiver confirms what arrived, by scanning every card (or typing ranges).

    Listed and scanned: ``in_stock`` here (line received). Listed, not scanned: line
    missing, the card stays ``in_transit``. Scanned, not listed: a new unexpected line,
    the card unchanged. The handover is then received, or received with discrepancies for
    HQ to resolve.

    A range covers the cards on this handover only, so what else lies in it changes
    nothing (no oracle); a scanned number resolves within the receiver's scope and this
    handover. At a store, a scanned number that names no such card (made up, HQ's stock,
    another store's shelf, a customer's card: all alike) becomes an unexpected *entry*
    for HQ to check (``handover_discrepancies``), looked up nowhere else; at HQ, which
    sees every card, it refuses the call as a number of no card.

    Blind count (``handover_queries.list_hidden``): a receiving store has not seen the list.
    Input that cannot be read is refused first, before any card is looked at, so a refusal
    naming only unreadable entries never tells whether the other entries are on the list
    (no probing the list by pairing a range with a bad entry).
    """
    require(actor, Action.HANDOVER_RECEIVE, _("receive handovers"))
    handover = q.get_handover(actor, handover_id, lock=True)
    if handover.to_location_id != actor.location.pk:
        raise NotPermitted(_("Only the receiving location confirms a handover."))
    if handover.state in RECEIVED_STATES:
        raise HandoverAlreadyReceived(state=handover.state)
    if handover.state != HandoverState.DISPATCHED:
        raise HandoverWrongState(_("The handover has not been dispatched."), state=handover.state)
    _refuse(q.unreadable(scanned, ranges), _("scanned entries cannot be read"))
    problems: list[q.Problem] = []
    on_it = Card.objects.filter(pk__in=handover.lines.values("card_id"))
    within = cards_in_scope(actor) | on_it
    entries: list[CardReference] | None = None if actor.at_hq else []
    found = q.cards_from_input(scanned, problems, within=within, unknown=entries)
    arrived = {card.pk for _label, card in found}
    in_ranges = q.cards_in_ranges(on_it, ranges, problems, none_there=_("no card on this handover"))
    arrived.update(card.pk for card in in_ranges)
    _refuse(problems, _("scanned entries are not our cards"))

    lines = list(handover.lines.all())
    listed = {line.card_id for line in lines}
    for card in lock_cards(listed & arrived):
        transition(
            card,
            CardState.IN_STOCK,
            event="handover.received",
            by=actor,
            location=handover.to_location,
            document={"handover": handover},
            sold_at=None,  # a recovered card returned to HQ is stock again, like a restock
        )
    handover.lines.filter(card_id__in=listed & arrived).update(status=LineStatus.RECEIVED)
    handover.lines.filter(card_id__in=listed - arrived).update(status=LineStatus.MISSING)
    HandoverLine.objects.bulk_create(
        HandoverLine(handover=handover, card_id=card_id, status=LineStatus.UNEXPECTED)
        for card_id in sorted(arrived - listed)
    )
    strays = sorted({(ref.kind, ref.value) for ref in entries or ()})
    HandoverLine.objects.bulk_create(
        HandoverLine(
            handover=handover, entry_kind=kind, entry_number=value, status=LineStatus.UNEXPECTED
        )
        for kind, value in strays
    )
    clean = listed == arrived and not strays
    stamp_step(
        handover, actor, "received", HandoverState.RECEIVED if clean else HandoverState.DISCREPANCY
    )
    return handover
