"""Reads about members, tiers and points for pages, the API and reports.

Outside HQ a mobile number shows only its last four digits (and a card number only
its last four). Reading several members at once (a search listing more than one, an
export, a report naming members) writes a ``MemberAccessLog`` row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, F, Min, Sum
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import NotFound, ValidationFailed
from membercard.core.models import Location
from membercard.core.permissions import Action, require
from membercard.ledger.models import Account, AccountKind
from membercard.ledger.selectors import look_up
from membercard.loyalty.audit import log_access
from membercard.loyalty.models import CardStanding, Member, PointsLot, Tier
from membercard.loyalty.policies import policy_for
from membercard.loyalty.services.members import normalize_mobile
from membercard.loyalty.services.tiers import Progress, progress


def mobile_for(actor: Actor, member: Member) -> str:
    """The mobile number as this actor may see it: whole at HQ, last four digits elsewhere."""
    return member.mobile if actor.at_hq else member.masked_mobile


def member_to_edit(*, actor: Actor, member: Member, address: str = "") -> dict[str, object]:
    """The member's details for the counter's edit form, the mobile as this actor may see
    it (masked at a store), and the read logged: a store looking at one member's details
    leaves a row, as bulk reads do."""
    log_access(actor, "member.viewed", count=1, member=member, address=address)
    return {
        "name": member.name,
        "mobile": mobile_for(actor, member),
        "birthday": member.birthday,
        "notes": member.notes,
        "marketing_sms": member.marketing_sms,
        "marketing_email": member.marketing_email,
    }


@dataclass(frozen=True)
class CardLine:
    number: str
    product: str
    state: str
    tier: str | None


@dataclass(frozen=True)
class MemberView:
    id: int
    name: str
    mobile: str
    birthday: dt.date | None
    marketing_sms: bool
    marketing_email: bool
    registered_at: str | None
    cards: tuple[CardLine, ...]


def _view(actor: Actor, member: Member) -> MemberView:
    tiers = dict(
        CardStanding.objects.filter(card__member=member, tier__isnull=False).values_list(
            "card_id", "tier__name"
        )
    )
    cards = tuple(
        CardLine(
            number=card.number if actor.at_hq else card.masked_number,
            product=card.product.name,
            state=card.state,
            tier=tiers.get(card.pk),
        )
        for card in member.cards.select_related("product").order_by("pk")
    )
    return MemberView(
        id=member.pk,
        name=member.name,
        mobile=mobile_for(actor, member),
        birthday=member.birthday,
        marketing_sms=member.marketing_sms,
        marketing_email=member.marketing_email,
        registered_at=member.registered_at.code if member.registered_at else None,
        cards=cards,
    )


def search_members(
    *,
    actor: Actor,
    card_input: str | None = None,
    mobile: str | None = None,
    name: str | None = None,
    limit: int = 50,
    address: str = "",
) -> list[MemberView]:
    """Members found by one of: what a card reader typed, a mobile number (whole, or its
    last four or more digits), part of a name. A result of several members is audited."""
    require(actor, Action.LOOK_UP_MEMBERS, _("look members up"))
    given = [c for c in (card_input, mobile, name) if c]
    if len(given) != 1:
        raise ValidationFailed(_("Search by one of card, mobile or name."))
    members = Member.objects.select_related("registered_at")
    if card_input:
        card = look_up(card_input).card
        found = [card.member] if card.member_id is not None else []
        criteria = {"by": "card"}
    elif mobile:
        digits = re.sub(r"\D", "", mobile)
        if len(digits) >= 6:
            found = list(members.filter(mobile=normalize_mobile(mobile)))
        elif len(digits) >= 4:
            found = list(members.filter(mobile__endswith=digits).order_by("name", "pk")[:limit])
        else:
            raise ValidationFailed(_("Give at least the last four digits."), field="mobile")
        criteria = {"by": "mobile", "digits": len(digits)}
    else:
        term = (name or "").strip()
        found = list(members.filter(name__icontains=term).order_by("name", "pk")[:limit])
        criteria = {"by": "name"}
    if len(found) > 1:
        log_access(actor, "member.search", count=len(found), data=criteria, address=address)
    return [_view(actor, m) for m in found]


def member_detail(*, actor: Actor, member_id: int) -> MemberView:
    require(actor, Action.LOOK_UP_MEMBERS, _("look members up"))
    member = Member.objects.select_related("registered_at").filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("No such member."))
    return _view(actor, member)


def export_members(*, actor: Actor, address: str = "") -> list[dict[str, object]]:
    """Every member with contact data and consents, for HQ admin or finance; audited."""
    require(actor, Action.EXPORT_MEMBERS, _("export members"))
    rows = list(
        Member.objects.order_by("pk").values(
            "id",
            "name",
            "mobile",
            "birthday",
            "marketing_sms",
            "marketing_email",
            "registered_at__code",
            "created_at",
        )
    )
    log_access(actor, "member.export", count=len(rows), address=address)
    return rows


# Points ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardPoints:
    balance: int  # in the ledger
    usable: int  # in lots not past their last day
    owed: int  # taken back by refunds beyond what the card held (where allowed)
    next_expiry: dt.date | None
    expiring_next: int  # points of the lots with that last day

    @property
    def net(self) -> int:
        """What the card shows: usable points less points owed (may be negative)."""
        return self.usable - self.owed


def card_points(card: Card, on: dt.date | None = None) -> CardPoints:
    on = on or today()
    balance = (
        Account.objects.filter(card=card, kind=AccountKind.CARD_POINTS)
        .values_list("balance", flat=True)
        .first()
    ) or 0
    live = PointsLot.objects.filter(card=card, remaining__gt=0)
    usable = live.exclude(expires_on__lt=on)
    next_expiry = usable.aggregate(d=Min("expires_on"))["d"]
    owed = CardStanding.objects.filter(card=card).values_list("points_owed", flat=True).first()
    return CardPoints(
        balance=balance,
        usable=usable.aggregate(t=Sum("remaining"))["t"] or 0,
        owed=owed or 0,
        next_expiry=next_expiry,
        expiring_next=(
            usable.filter(expires_on=next_expiry).aggregate(t=Sum("remaining"))["t"] or 0
        )
        if next_expiry
        else 0,
    )


@dataclass(frozen=True)
class ExpiringDay:
    expires_on: dt.date
    points: int
    cards: int


def _expiring(on: dt.date, days: int):
    last = on + dt.timedelta(days=days - 1)
    return PointsLot.objects.filter(remaining__gt=0, expires_on__gte=on, expires_on__lte=last)


def points_expiring(*, on: dt.date | None = None, days: int = 30) -> list[ExpiringDay]:
    """Points whose last day falls in the ``days`` days from ``on`` (default today), by
    day: no member data, so not audited."""
    rows = (
        _expiring(on or today(), days)
        .values("expires_on")
        .annotate(points=Sum("remaining"), cards=Count("card", distinct=True))
        .order_by("expires_on")
    )
    return [ExpiringDay(r["expires_on"], r["points"], r["cards"]) for r in rows]


@dataclass(frozen=True)
class ExpiringCard:
    card_number: str
    member_name: str | None
    mobile: str | None
    marketing_sms: bool
    points: int
    first_expiry: dt.date


def points_expiring_cards(
    *,
    actor: Actor,
    on: dt.date | None = None,
    days: int = 30,
    location: Location | None = None,
    address: str = "",
) -> list[ExpiringCard]:
    """Cards with points expiring in the ``days`` days from ``on``, with their members (for
    reminders); a store sees the cards it sold. Names members in bulk: audited."""
    require(actor, Action.LOOK_UP_MEMBERS, _("list members' expiring points"))
    lots = _expiring(on or today(), days)
    if not actor.at_hq:
        location = actor.location
    if location is not None:
        lots = lots.filter(card__sold_at=location)
    rows = (
        lots.values("card_id")
        .annotate(points=Sum("remaining"), first=Min("expires_on"))
        .order_by("first", "card_id")
    )
    cards = Card.objects.select_related("member").in_bulk([r["card_id"] for r in rows])
    out = []
    for row in rows:
        card = cards[row["card_id"]]
        member = card.member
        out.append(
            ExpiringCard(
                card_number=card.number if actor.at_hq else card.masked_number,
                member_name=member.name if member else None,
                mobile=mobile_for(actor, member) if member else None,
                marketing_sms=bool(member and member.marketing_sms),
                points=row["points"],
                first_expiry=row["first"],
            )
        )
    named = sum(1 for row in out if row.member_name)
    if named:
        log_access(
            actor,
            "points.expiring_report",
            count=named,
            data={"days": days, "location": location.code if location else None},
            address=address,
        )
    return out


# Tiers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierStatus:
    tier: Tier | None
    since: dt.date | None
    held_until: dt.date | None
    progress: Progress
    next_tier: Tier | None


def tier_status(card: Card, on: dt.date | None = None) -> TierStatus:
    """The card's tier, its figures in the window ending ``on``, and the next tier up."""
    standing = CardStanding.objects.select_related("tier").filter(card=card).first()
    tier = standing.tier if standing else None
    figures = progress(card, policy=policy_for(card.product), until=on or today())
    higher = Tier.objects.filter(product=card.product)
    if tier is not None:
        higher = higher.filter(rank__gt=tier.rank)
    return TierStatus(
        tier=tier,
        since=standing.tier_since if standing else None,
        held_until=standing.held_until if standing else None,
        progress=figures,
        next_tier=higher.order_by(F("rank").asc()).first(),
    )
