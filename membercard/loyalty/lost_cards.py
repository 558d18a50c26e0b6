"""Finding a customer's cards without the card: the member gives their mobile or name at the
counter (the card is lost, stolen or at home), so the card can be frozen and replaced.

A search reads member data and lists cards, so it is guarded like both:

- **scope**: only the cards the asker may list (``cards.scope.customers_cards``: a store
  its own customers' issued cards, HQ every member's);
- **no browsing**: a whole mobile number (matched exactly) or at least ``MIN_NAME``
  characters of a name, never a wildcard, and at most ``MAX_FOUND`` cards;
- **throttled**: each search counts against the one card look-up throttle
  (``cards.lookups.hit``), and a search that finds nothing counts as a miss for HQ;
- **audited**: each search leaves a member-access row and an audit row with who, how
  (mobile or name), what was searched (mobile masked to its last four digits, and a keyed
  fingerprint of the term) and how many cards were found;
- **masked**: a result carries the card's last four digits only; the face names a card by
  an opaque handle, never by its number.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from membercard.cards.lookups import hit, record_miss
from membercard.cards.models import Card
from membercard.cards.scope import customers_cards
from membercard.core.actors import Actor
from membercard.core.audit import search_fingerprint
from membercard.core.errors import ValidationFailed
from membercard.core.permissions import Action, require
from membercard.loyalty.audit import log_access
from membercard.loyalty.services.members import normalize_mobile

MIN_NAME = 3
MAX_FOUND = 20
AUDIT_ACTION = "member.card_search"


@dataclass(frozen=True)
class FoundCard:
    """One card found for a member: what the counter may show of it. ``card`` is for the
    face to make its handle; pages show ``masked_number``, never the card's number."""

    card: Card
    masked_number: str
    member_name: str
    product: str
    state: str
    state_label: str


def _criteria(mobile: str, name: str) -> tuple[Q, dict[str, object]]:
    """Which members the search names, and what its audit row says about it."""
    mobile, name = (mobile or "").strip(), " ".join((name or "").split())
    if bool(mobile) == bool(name):
        raise ValidationFailed(_("Give the member's mobile number or name."))
    if mobile:
        digits = normalize_mobile(mobile)  # refuses anything but a whole number
        masked = "*" * max(len(digits) - 4, 0) + digits[-4:]
        return Q(member__mobile=digits), {
            "by": "mobile",
            "mobile": masked,
            "fingerprint": search_fingerprint(digits),
        }
    if len(name) < MIN_NAME:
        raise ValidationFailed(
            _("Give at least %(count)d characters of the name.") % {"count": MIN_NAME},
            field="name",
        )
    return Q(member__name__icontains=name), {
        "by": "name",
        "length": len(name),
        "fingerprint": search_fingerprint(name),
    }


def find_members_cards(
    *, actor: Actor, mobile: str = "", name: str = "", address: str = ""
) -> list[FoundCard]:
    """The issued cards (active or frozen) of the members a whole mobile number or part of
    a name names, among those ``actor`` may list; throttled and audited (module docstring)."""
    require(actor, Action.LOOK_UP_MEMBERS, _("look members up"))
    hit(actor, address)  # every attempt counts, a refused one too
    match, criteria = _criteria(mobile, name)
    cards = list(
        customers_cards(actor)
        .filter(match)
        .select_related("product", "member")
        .order_by("member__name", "member_id", "pk")[:MAX_FOUND]
    )
    with transaction.atomic():
        log_access(actor, AUDIT_ACTION, count=len(cards), data=criteria, address=address)
    if not cards:
        record_miss(actor, address)
    return [
        FoundCard(
            card=card,
            masked_number=card.masked_number,
            member_name=card.member.name if card.member else "",
            product=card.product.name,
            state=card.state,
            state_label=card.get_state_display(),
        )
        for card in cards
    ]
