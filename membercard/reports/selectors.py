"""The other reports: liability by store of sale, dormant cards, points expiring (and the
points liability), top members, and the daily consumption chart's series. Read-only."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from membercard.cards.models import Card, CardProduct
from membercard.cards.states import ISSUED
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.models import Location
from membercard.ledger.models import Account, AccountKind, Operation, OperationKind
from membercard.loyalty.models import PointsLot
from membercard.reports import rollups
from membercard.reports.errors import BadReportRequest
from membercard.reports.rollups import SOLD_AT_LIABILITY
from membercard.reports.sales_inventory import check_period

# Days a report, a date filter or a day page accepts --------------------------------------

# Far wider than any real history or plan, and far from the ends of the calendar: a day
# before 0001-01-01 or after 9999-12-31 does not exist (``date - 1 day`` raised
# OverflowError, a 500), and time-zone conversions near them overflow too.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)


def day_out_of_range(day: dt.date) -> str:
    """Why ``day`` is refused, or "" when it is in range (forms show the reason)."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return ""
    return _("Choose a day between %(first)s and %(last)s.") % {
        "first": EARLIEST_DAY.isoformat(),
        "last": LATEST_DAY.isoformat(),
    }


def check_days(*days: dt.date) -> None:
    """Refuse (``BadReportRequest``, 400) a day outside ``EARLIEST_DAY``..``LATEST_DAY``."""
    for day in days:
        problem = day_out_of_range(day)
        if problem:
            raise BadReportRequest(problem)


# Outstanding liability by store of sale ------------------------------------------------


@dataclass
class LiabilityRow:
    store_of_sale: str
    product: str
    liability_opening: int
    change: int
    liability_closing: int


def _as_of_end(day: dt.date) -> rollups.Figures:
    """Cumulative figures up to and including ``day`` (with today's live part if needed)."""
    figures = rollups.cumulative_before(min(day, today()) + dt.timedelta(days=1))
    if day >= today():
        for key, value in rollups.live_today().items():
            figures[key] = figures.get(key, 0) + value
    return figures


def liability_by_store(
    date_from: dt.date, date_to: dt.date, location: Location | None = None
) -> list[LiabilityRow]:
    """The card value (principal + bonus) outstanding per store of sale and product, at the
    period's start and end, from rollups."""
    check_period(date_from, date_to)
    rollups.ensure_rollups()
    opening = rollups.cumulative_before(date_from)
    closing = _as_of_end(date_to)
    names = dict(Location.objects.values_list("pk", "code"))
    products = dict(CardProduct.objects.values_list("pk", "code"))
    keys = {
        (loc, product)
        for loc, product, measure in (*opening, *closing)
        if measure == SOLD_AT_LIABILITY
    }
    rows = []
    for loc, product in keys:
        if location is not None and loc != location.pk:
            continue
        start = opening.get((loc, product, SOLD_AT_LIABILITY), 0)
        end = closing.get((loc, product, SOLD_AT_LIABILITY), 0)
        if start or end:
            rows.append(LiabilityRow(names[loc], products[product], start, end - start, end))
    return sorted(rows, key=lambda r: (r.store_of_sale, r.product))


# Dormant cards ---------------------------------------------------------------------------


@dataclass
class DormantRow:
    card: str
    product: str
    store_of_sale: str
    last_used: dt.date | None
    principal: int
    bonus: int


def _balance(kind: AccountKind):
    accounts = Account.objects.filter(card=OuterRef("pk"), kind=kind).values("balance")[:1]
    return Coalesce(Subquery(accounts, output_field=IntegerField()), 0)


def dormant_cards(
    date_from: dt.date, date_to: dt.date, location: Location | None = None, limit: int = 10_000
) -> list[DormantRow]:
    """Cards in customers' hands with no operation from ``date_from`` to ``date_to``
    (their last use, if any, was before), with their current balances, largest first."""
    check_period(date_from, date_to)
    cards = Card.objects.filter(state__in=sorted(ISSUED))
    if location is not None:
        cards = cards.filter(sold_at=location)
    cards = (
        cards.annotate(
            last_used=Max(
                "operations__business_date",
                filter=Q(operations__business_date__lte=date_to),
            )
        )
        .filter(last_used__lt=date_from)
        .annotate(principal=_balance(AccountKind.CARD_PRINCIPAL))
        .annotate(bonus=_balance(AccountKind.CARD_BONUS))
        .values_list("number", "product__code", "sold_at__code", "last_used", "principal", "bonus")
        .order_by("-principal", "number")[:limit]
    )
    return [
        DormantRow("•••• " + number[-4:], product, store or "", last, principal, bonus)
        for number, product, store, last, principal, bonus in cards
    ]


# Points liability and points expiring -----------------------------------------------------


@dataclass
class PointsExpiringRow:
    expires_on: dt.date
    product: str
    store_of_sale: str
    cards: int
    points: int


def points_expiring(
    date_from: dt.date, date_to: dt.date, location: Location | None = None
) -> list[PointsExpiringRow]:
    """Points still on cards whose last day falls in the period, per day, product and store
    of sale (no member data)."""
    if date_from > date_to:
        check_period(date_from, date_to)
    lots = PointsLot.objects.filter(remaining__gt=0, expires_on__range=(date_from, date_to))
    if location is not None:
        lots = lots.filter(card__sold_at=location)
    rows = (
        lots.values("expires_on", "card__product__code", "card__sold_at__code")
        .annotate(points=Sum("remaining"), cards=Count("card", distinct=True))
        .order_by("expires_on", "card__product__code", "card__sold_at__code")
    )
    return [
        PointsExpiringRow(
            r["expires_on"],
            r["card__product__code"],
            r["card__sold_at__code"] or "",
            r["cards"],
            r["points"],
        )
        for r in rows
    ]


def points_liability(location: Location | None = None) -> dict[str, int]:
    """Points outstanding on cards now, per product (lots and ledger agree: verify checks)."""
    lots = PointsLot.objects.filter(remaining__gt=0)
    if location is not None:
        lots = lots.filter(card__sold_at=location)
    rows = lots.values("card__product__code").annotate(points=Sum("remaining"))
    return {r["card__product__code"]: r["points"] for r in rows}


# Top members -----------------------------------------------------------------------------


@dataclass
class TopMemberRow:
    member: str
    mobile: str
    visits: int
    spent: int


def top_members(
    *,
    actor: Actor,
    date_from: dt.date,
    date_to: dt.date,
    location: Location | None = None,
    limit: int = 20,
    address: str = "",
) -> list[TopMemberRow]:
    """Members by card spending (purchases' net amount) in the period. Names members in
    bulk, so the read is audited."""
    from membercard.loyalty.audit import log_access
    from membercard.loyalty.models import Member

    check_period(date_from, date_to)
    ops = Operation.objects.filter(
        kind=OperationKind.PURCHASE,
        business_date__range=(date_from, date_to),
        card__member__isnull=False,
        reversed_by__isnull=True,
    )
    if location is not None:
        ops = ops.filter(location=location)
    ranked = list(
        ops.values("card__member")
        .annotate(spent=Sum("net_minor"), visits=Count("pk"))
        .order_by("-spent")[:limit]
    )
    members = Member.objects.in_bulk([r["card__member"] for r in ranked])
    rows = [
        TopMemberRow(
            members[r["card__member"]].name,
            members[r["card__member"]].masked_mobile,
            r["visits"],
            r["spent"],
        )
        for r in ranked
    ]
    if rows:
        log_access(
            actor,
            "report.top_members",
            count=len(rows),
            data={"from": date_from.isoformat(), "to": date_to.isoformat()},
            address=address,
        )
    return rows


# Daily consumption per store (the chart) -----------------------------------------------


def daily_consumption(
    date_from: dt.date, date_to: dt.date, location: Location | None = None
) -> dict[str, dict[dt.date, int]]:
    """Card value spent per store and business day, from rollups (today live)."""
    from membercard.reports.models import DayFigure

    check_period(date_from, date_to)
    rollups.ensure_rollups()
    measures = ("liab.consumption_principal", "liab.consumption_bonus")
    rows = DayFigure.objects.filter(business_date__range=(date_from, date_to), measure__in=measures)
    if location is not None:
        rows = rows.filter(location=location)
    series: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for code, day, value in (
        rows.values("location__code", "business_date")
        .annotate(v=Sum("value"))
        .values_list("location__code", "business_date", "v")
    ):
        series[code][day] -= value
    if date_from <= today() <= date_to:
        codes = dict(Location.objects.values_list("pk", "code"))
        for (loc, _product, measure), value in rollups.live_today().items():
            if measure in measures and (location is None or loc == location.pk):
                series[codes[loc]][today()] -= value
    return {code: dict(days) for code, days in sorted(series.items())}
