"""Reads for handovers: who sees which handover, which lines are still open, and turning
what the staff scanned or typed (numbers, reader input, ranges) into cards.

Nothing here writes. The services in ``membercard.inventory.services.handovers`` lock
what they change after these reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.reader import CardReference, parse_reader_input
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import DomainError
from membercard.inventory.errors import HandoverNotFound
from membercard.inventory.models import (
    EntryKind,
    Handover,
    HandoverLine,
    HandoverState,
    LineStatus,
)
from membercard.inventory.ranges import in_range


def visible_handovers(actor: Actor) -> QuerySet[Handover]:
    """Handovers the actor's location sends or receives (HQ is a party to every handover)."""
    here = actor.location.pk
    return Handover.objects.filter(Q(from_location_id=here) | Q(to_location_id=here))


def get_handover(actor: Actor, handover_id: int, *, lock: bool = False) -> Handover:
    """The handover, if the actor's location is a party to it; otherwise it does not exist.

    ``lock`` takes the handover row's lock for the rest of the transaction: every service
    locks the handover first, then its cards (in pk order), so they never wait in a cycle.
    """
    handovers = visible_handovers(actor).select_related("from_location", "to_location")
    if lock:
        handovers = handovers.select_for_update(of=("self",))
    handover = handovers.filter(pk=handover_id).first()
    if handover is None:
        raise HandoverNotFound()
    return handover


def list_hidden(actor: Actor, handover: Handover) -> bool:
    """Blind count: whether ``actor`` must not see which cards are on ``handover``.

    A receiving *store* counts what physically arrived without the expected list: until it
    has confirmed its scan (``received_at``), its page and sheet show how many cards of each
    product are coming, never their numbers or ranges; the differences appear once it has
    confirmed. The sender always sees its list, and headquarters sees everything (it is a
    party to every handover and settles the discrepancies).
    """
    return (
        handover.to_location_id == actor.location.pk
        and not actor.at_hq
        and handover.received_at is None
    )


def open_lines(handover: Handover) -> QuerySet[HandoverLine]:
    """Discrepancies still waiting for HQ: missing cards, unexpected cards not acknowledged."""
    return handover.lines.filter(
        Q(status=LineStatus.MISSING) | Q(status=LineStatus.UNEXPECTED, resolved_at__isnull=True)
    )


def stray_card(handover: Handover, line: HandoverLine) -> Card | None:
    """The card an unexpected entry names, if it is in stock at the handover's sender (what
    HQ may move into the receiver's stock); None for a misread. For HQ's eyes only: the
    receiving store never learns the answer."""
    if not line.is_entry:
        return None
    field_ = "uid" if line.entry_kind == EntryKind.UID else "number"
    return Card.objects.filter(
        **{field_: line.entry_number},
        location_id=handover.from_location_id,
        state=CardState.IN_STOCK,
    ).first()


def drafts_listing(card_ids: Iterable[int]) -> dict[int, int]:
    """card id -> id of the open draft handover listing it, for the given cards."""
    return dict(
        HandoverLine.objects.filter(
            card_id__in=list(card_ids), handover__state=HandoverState.DRAFT
        ).values_list("card_id", "handover_id")
    )


# Input: what was scanned or typed ----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why one entry cannot be used. ``entry`` never repeats unparsed input (it might be a
    bank card): input that could not be read is named by its position only."""

    entry: str
    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"entry": self.entry, "code": self.code, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.entry}: {self.detail}"


def _label(reference: CardReference) -> str:
    return (
        reference.value
        if reference.kind == "number"
        else _("UID %(uid)s") % {"uid": reference.value}
    )


def _read(raw: str, entry: str) -> CardReference | Problem:
    try:
        return parse_reader_input(raw)
    except DomainError as error:
        return Problem(entry, error.code, error.message)


def cards_from_input(
    entries: Sequence[str],
    problems: list[Problem],
    *,
    within: QuerySet[Card],
    unknown: list[CardReference] | None = None,
) -> list[tuple[str, Card]]:
    """(label, card) for every entry that reads as one of the cards ``within`` (the caller's
    scope, ``membercard.cards.scope``), in input order.

    An entry that cannot be read, or names no card ``within``, adds a problem instead (in
    input order); given ``unknown``, an entry that reads but names no card ``within`` goes
    there instead. A card outside ``within`` is never fetched: one query answers for all the
    entries, and a number out of scope reads exactly like one that does not exist.
    """
    read = [_read(raw, _("entry %(n)d") % {"n": i}) for i, raw in enumerate(entries, start=1)]
    references = [r for r in read if isinstance(r, CardReference)]
    by_number = {r.value for r in references if r.kind == "number"}
    by_uid = {r.value for r in references if r.kind == "uid"}
    numbers, uids = {}, {}
    for card in within.select_related("product").filter(
        Q(number__in=by_number) | Q(uid__in=by_uid)
    ):
        numbers[card.number] = card
        if card.uid:
            uids[card.uid] = card
    found: list[tuple[str, Card]] = []
    for reference in read:
        if isinstance(reference, Problem):
            problems.append(reference)
        elif card := (numbers if reference.kind == "number" else uids).get(reference.value):
            found.append((card.number, card))
        elif unknown is not None:
            unknown.append(reference)
        else:
            problems.append(
                Problem(_label(reference), "card_not_found", _("no card with that number"))
            )
    return found


def unreadable(entries: Sequence[str], ranges: Sequence[tuple[str, str]]) -> list[Problem]:
    """The problems of input that cannot be read at all (not a card reference, a malformed
    range), found without looking at any card: a refusal listing only these says nothing
    about what the data holds (a blind count's receiver cannot probe the list with them)."""
    problems: list[Problem] = []
    for i, raw in enumerate(entries, start=1):
        if isinstance(read := _read(raw, _("entry %(n)d") % {"n": i}), Problem):
            problems.append(read)
    for position, (first, last) in enumerate(ranges, start=1):
        range_ends(first, last, position, problems)
    return problems


def range_ends(
    first: str, last: str, position: int, problems: list[Problem]
) -> tuple[str, str] | None:
    """Both ends of a range as card numbers (read like any input), or None and a problem."""
    ends = []
    for raw in (first, last):
        reference = _read(raw, _("range %(n)d") % {"n": position})
        if isinstance(reference, Problem):
            problems.append(reference)
            return None
        if reference.kind != "number":
            problems.append(
                Problem(
                    _("range %(n)d") % {"n": position},
                    "invalid_range",
                    _("a range runs between card numbers"),
                )
            )
            return None
        ends.append(reference.value)
    low, high = ends
    label = _("range %(first)s - %(last)s") % {"first": low, "last": high}
    if len(low) != len(high):
        problems.append(Problem(label, "invalid_range", _("both ends must have the same length")))
        return None
    if not in_range(low, low, high):
        problems.append(Problem(label, "invalid_range", _("the first number is after the last")))
        return None
    return low, high


def cards_in_range(cards: QuerySet[Card], first: str, last: str) -> list[Card]:
    """The cards of ``cards`` whose numbers lie in ``first``..``last`` (same length).

    Filtered by the ends' common prefix and the length in the database, then exactly by
    :func:`membercard.inventory.ranges.in_range`, so no string collation is relied on.
    """
    common = 0
    while common < len(first) and first[common] == last[common]:
        common += 1
    candidates = (
        cards.annotate(number_length=Length("number"))
        .filter(number__startswith=first[:common], number_length=len(first))
        .order_by("pk")
    )
    return [card for card in candidates if in_range(card.number, first, last)]


def cards_in_ranges(
    cards: QuerySet[Card],
    ranges: Sequence[tuple[str, str]],
    problems: list[Problem],
    *,
    none_there: str,
) -> list[Card]:
    """The cards of ``cards`` in each of ``ranges`` (first, last), range by range.

    A range that cannot be read adds a problem instead, and so does one that holds none of
    ``cards`` (``none_there`` says why: "no card of your stock"...).
    """
    found: list[Card] = []
    for position, (first, last) in enumerate(ranges, start=1):
        ends = range_ends(first, last, position, problems)
        if ends is None:
            continue
        in_it = cards_in_range(cards, *ends)
        if not in_it:
            label = _("range %(first)s - %(last)s") % {"first": ends[0], "last": ends[1]}
            problems.append(Problem(label, "empty_range", none_there))
        found += in_it
    return found


def lines_of(handover: Handover, *statuses: LineStatus) -> QuerySet[HandoverLine]:
    """The handover's lines (of ``statuses`` if given) with their cards and products."""
    lines = handover.lines.select_related("card", "card__product", "resolved_by")
    return lines.filter(status__in=statuses) if statuses else lines
