"""Stocktakes: a location counts (scans) the cards physically there, the system shows
what is missing and what is unexpected, and a manager confirms the count.

Confirming *records* the count and its differences; it does not move any card. Resolving
a difference is a separate decision taken afterwards with the ordinary documents: a lost
card is voided (quality check or a handover discrepancy), a card found elsewhere is sent
back on a handover, and so on. That way every change of a card still has its own stock
movement and its own document.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.reader import parse_reader_input
from membercard.cards.states import AT_A_LOCATION
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, NotFound, NotPermitted
from membercard.core.models import Location
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory.errors import StocktakeAlreadyOpen, StocktakeNotOpen
from membercard.inventory.models import (
    DifferenceKind,
    Stocktake,
    StocktakeCount,
    StocktakeDifference,
    StocktakeState,
)
from membercard.inventory.ranges import NumberRange, to_ranges
from membercard.inventory.scope import cards_in_scope, cards_seen_from


def _expected(location: Location | int):
    """The cards that should physically be at ``location``."""
    return Card.objects.filter(location=location, state__in=sorted(AT_A_LOCATION))


def countable_cards(actor: Actor) -> QuerySet[Card]:
    """The cards ``actor`` may count (scan or type, singly or in a range): its location's
    scope (``membercard.cards.scope``), its stock and the cards on its open handovers.

    A store never counts, nor learns of, a card it does not hold: another store's shelf,
    HQ's stock or a customer's card answers like a number that does not exist.
    """
    return cards_in_scope(actor)


def _staff(actor: Actor, what: str):
    # Counts and confirmations are signed by a person (a POS terminal has no signature).
    if actor.staff is None:
        raise NotPermitted(_("Only a signed-in staff member may %(what)s.") % {"what": what})
    return actor.staff


def _locked_open(actor: Actor, stocktake_id: int) -> Stocktake:
    """The actor's location's stocktake, row-locked, refused unless still open.

    Counts, confirmation and cancellation all lock the stocktake row first, so a card
    scanned at the last moment is either in the confirmed figures or refused, never lost
    between the two.
    """
    stocktake = (
        Stocktake.objects.select_for_update()
        .filter(pk=stocktake_id, location=actor.location)
        .first()
    )
    # Another location's stocktakes answer like nonexistent ones.
    if stocktake is None:
        raise NotFound(_("No stocktake with that number here."))
    if stocktake.state != StocktakeState.OPEN:
        raise StocktakeNotOpen(
            _("This stocktake is %(state)s.") % {"state": stocktake.get_state_display().lower()},
            state=stocktake.state,
        )
    return stocktake


@business_operation
def start_stocktake(*, actor: Actor, note: str = "") -> Stocktake:
    """Open a stocktake at the actor's location; only one may be open there at a time."""
    require(actor, Action.STOCKTAKE_LEAD, _("start a stocktake"))
    staff = _staff(actor, _("start a stocktake"))
    # Lock the location row: two managers starting at once cannot both see "none open".
    Location.objects.select_for_update().get(pk=actor.location.pk)
    current = Stocktake.objects.filter(location=actor.location, state=StocktakeState.OPEN).first()
    if current is not None:
        raise StocktakeAlreadyOpen(stocktake=current.pk)
    return Stocktake.objects.create(location=actor.location, note=note.strip(), started_by=staff)


@dataclass(frozen=True)
class CountResult:
    """What the scanner shows after a card is read."""

    card: Card
    already_counted: bool  # scanned before: nothing new was recorded
    expected_here: bool  # the system has the card in stock or recovered at this location
    counted: int  # cards counted so far in this stocktake

    @property
    def message(self) -> str:
        text = f"{self.card.number}: {'already counted' if self.already_counted else 'counted'}."
        if not self.expected_here:
            text += " Not expected here: it will show as unexpected."
        return text


@business_operation
def count_card(*, actor: Actor, stocktake_id: int, raw_input: str) -> CountResult:
    """Count one card from what the reader typed (swipe, scan, tap or keyed number).

    Counting a card twice is harmless: the second scan records nothing and says so. A
    card outside :func:`countable_cards` is refused exactly like a number of no card.
    """
    require(actor, Action.STOCKTAKE_COUNT, _("count cards"))
    staff = _staff(actor, _("count cards"))
    # Parse first: a bank card or mistyped number is refused before any lookup.
    reference = parse_reader_input(raw_input)
    stocktake = _locked_open(actor, stocktake_id)
    # One query whose answer is empty for a card out of scope and for no card alike.
    lookup = {"number": reference.value} if reference.kind == "number" else {"uid": reference.value}
    card = countable_cards(actor).filter(**lookup).first()
    if card is None:
        raise CardNotFound()
    _count, created = StocktakeCount.objects.get_or_create(
        stocktake=stocktake, card=card, defaults={"counted_by": staff}
    )
    expected_here = card.location_id == stocktake.location_id and card.state in AT_A_LOCATION
    return CountResult(
        card=card,
        already_counted=not created,
        expected_here=expected_here,
        counted=stocktake.counts.count(),
    )


@dataclass(frozen=True)
class Unexpected:
    """A card counted here that the system does not have here, and where it really is: its
    state and location only while the card is in the location's scope (a card counted on
    its way here and since sent on elsewhere shows neither)."""

    card: Card
    state: str
    location: Location | None


@dataclass(frozen=True)
class StocktakeResult:
    stocktake: Stocktake
    expected_count: int
    counted_count: int
    missing: list[Card] = field(default_factory=list)
    unexpected: list[Unexpected] = field(default_factory=list)

    @property
    def matched_count(self) -> int:
        return self.counted_count - len(self.unexpected)

    @property
    def is_clean(self) -> bool:
        return not self.missing and not self.unexpected

    @property
    def missing_ranges(self) -> list[NumberRange]:
        return to_ranges(card.number for card in self.missing)


def _live_result(stocktake: Stocktake) -> StocktakeResult:
    counted_ids = StocktakeCount.objects.filter(stocktake=stocktake).values("card_id")
    expected = _expected(stocktake.location_id)
    missing = expected.exclude(pk__in=counted_ids).select_related("product").order_by("number")
    here = Q(location_id=stocktake.location_id, state__in=sorted(AT_A_LOCATION))
    unexpected = (
        Card.objects.filter(pk__in=counted_ids)
        .exclude(here)
        .select_related("product", "location")
        .order_by("number")
    )
    in_sight = set(
        cards_seen_from(stocktake.location)
        .filter(pk__in=counted_ids)
        .exclude(here)
        .values_list("pk", flat=True)
    )
    return StocktakeResult(
        stocktake=stocktake,
        expected_count=expected.count(),
        counted_count=StocktakeCount.objects.filter(stocktake=stocktake).count(),
        missing=list(missing),
        unexpected=[
            Unexpected(c, c.state, c.location) if c.pk in in_sight else Unexpected(c, "", None)
            for c in unexpected
        ],
    )


def _recorded_result(stocktake: Stocktake) -> StocktakeResult:
    differences = stocktake.differences.select_related("card__product", "card_location").order_by(
        "card__number"
    )
    missing, unexpected = [], []
    for difference in differences:
        if difference.kind == DifferenceKind.MISSING:
            missing.append(difference.card)
        else:
            unexpected.append(
                Unexpected(difference.card, difference.card_state, difference.card_location)
            )
    return StocktakeResult(
        stocktake=stocktake,
        expected_count=stocktake.expected_count or 0,
        counted_count=stocktake.counted_count or 0,
        missing=missing,
        unexpected=unexpected,
    )


def stocktake_result(stocktake: Stocktake) -> StocktakeResult:
    """Expected, counted, missing and unexpected cards of a stocktake (read only).

    Expected: the cards in stock or recovered at the location. Missing: expected but not
    counted. Unexpected: counted but not expected here, with the card's real state and
    location while the location may see the card (``membercard.cards.scope``). An open (or
    cancelled) stocktake is compared with the stock as it is now; a confirmed one answers
    with what was recorded at confirmation.
    """
    if stocktake.state == StocktakeState.CONFIRMED:
        return _recorded_result(stocktake)
    return _live_result(stocktake)


@business_operation
def confirm_stocktake(*, actor: Actor, stocktake_id: int) -> StocktakeResult:
    """Close the count: keep the expected and counted figures and every difference.

    Confirming moves no card. Deciding what a difference means (a lost card voided, a
    stray card sent back on a handover) is a separate step with its own document.
    """
    require(actor, Action.STOCKTAKE_LEAD, _("confirm a stocktake"))
    staff = _staff(actor, _("confirm a stocktake"))
    stocktake = _locked_open(actor, stocktake_id)
    result = _live_result(stocktake)
    StocktakeDifference.objects.bulk_create(
        [
            StocktakeDifference(
                stocktake=stocktake,
                card=card,
                kind=DifferenceKind.MISSING,
                card_state=card.state,
                card_location_id=card.location_id,
            )
            for card in result.missing
        ]
        + [
            StocktakeDifference(
                stocktake=stocktake,
                card=item.card,
                kind=DifferenceKind.UNEXPECTED,
                card_state=item.state,
                card_location=item.location,
            )
            for item in result.unexpected
        ],
        batch_size=2000,
    )
    stocktake.state = StocktakeState.CONFIRMED
    stocktake.confirmed_by = staff
    stocktake.confirmed_at = timezone.now()
    stocktake.expected_count = result.expected_count
    stocktake.counted_count = result.counted_count
    stocktake.save(
        update_fields=["state", "confirmed_by", "confirmed_at", "expected_count", "counted_count"]
    )
    return result


@business_operation
def cancel_stocktake(*, actor: Actor, stocktake_id: int, reason: str = "") -> Stocktake:
    """Abandon an open count (started by mistake, or to be redone). Nothing is recorded
    as a difference; the scans stay with the cancelled stocktake."""
    require(actor, Action.STOCKTAKE_LEAD, _("cancel a stocktake"))
    staff = _staff(actor, _("cancel a stocktake"))
    stocktake = _locked_open(actor, stocktake_id)
    stocktake.state = StocktakeState.CANCELLED
    stocktake.cancelled_by, stocktake.cancelled_at = staff, timezone.now()
    if reason.strip():
        stocktake.note = f"{stocktake.note}\nCancelled: {reason.strip()}".strip()
    stocktake.save(update_fields=["state", "cancelled_by", "cancelled_at", "note"])
    return stocktake
