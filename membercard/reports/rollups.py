"""Building day rollups from the raw ledger and stock movements.

One business day's figures come from three GROUP BY reads (transfers into cards, out of
cards, stock movements): per (location, card product, measure) one integer. Money
measures of the card liability are signed (into cards positive); stock measures count
cards (in-measures and out-measures both positive, except a sale undone, which counts as
-1 sold). A card issued from stock as a replacement is ``stock.replaced`` (its cost
``cost.replaced``), not sold: no sale happened. ``ensure_rollups`` stores missing
complete days; today's part is computed live and never stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, Sum
from django.utils import timezone

from membercard.cards.states import AT_A_LOCATION
from membercard.core.calendar import today
from membercard.ledger.models import Operation

Key = tuple[int, int, str]  # (location_id, product_id, measure)
Figures = dict[Key, int]

# Card liability (money, signed: into the cards positive).
LIABILITY_IN = (
    "liab.face_value_sold",
    "liab.top_ups",
    "liab.bonus_granted",
    "liab.refunds",
    "liab.adjustments",
    "liab.replacements",
    "liab.other",
)
LIABILITY_OUT = (
    "liab.consumption_principal",
    "liab.consumption_bonus",
    "liab.paid_out",
    "liab.breakage",
)
LIABILITY = LIABILITY_IN + LIABILITY_OUT
SOLD_AT_LIABILITY = "soldat.liability"  # the same flows, keyed by the card's store of sale
# Deposits taken (net of sales reversed), and deposits paid back on hand-backs (positive).
HOUSE = ("fees.card_fees", "fees.deposits", "fees.deposits_refunded")
COSTS = ("cost.produced", "cost.sold", "cost.replaced", "cost.voided")
STOCK_IN = ("stock.produced", "stock.handed_in", "stock.recovered", "stock.other_in")
STOCK_OUT = (
    "stock.handed_out",
    "stock.sold",
    "stock.replaced",
    "stock.voided",
    "stock.other_out",
)
REPLACEMENT_ISSUED = "card.issued_as_replacement"  # the stock movement's event
POINTS = "pts.net"
MEASURES = (*LIABILITY, SOLD_AT_LIABILITY, *HOUSE, *COSTS, *STOCK_IN, *STOCK_OUT, POINTS)

CARD_VALUE = ("card_principal", "card_bonus")


# Business-day bounds ---------------------------------------------------------------------


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of business day ``day`` (its cut-off hour, local time)."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(
        hours=settings.MEMBERCARD_DAY_CUTOFF_HOUR
    )
    return timezone.make_aware(naive, timezone.get_current_timezone())


def days(date_from: dt.date, date_to: dt.date) -> Iterable[dt.date]:
    day = date_from
    while day <= date_to:
        yield day
        day += dt.timedelta(days=1)


def last_complete_day() -> dt.date:
    return today() - dt.timedelta(days=1)


# Computing figures from raw rows -----------------------------------------------------------

_LEDGER_SQL = """
SELECT o.business_date, o.location_id, COALESCE(ac.product_id, oc.product_id),
       COALESCE(ac.sold_at_id, o.location_id), a.kind, other.kind, o.kind, orig.kind,
       SUM(t.amount)
FROM ledger_transfer t
JOIN ledger_operation o ON o.id = t.operation_id
LEFT JOIN ledger_operation orig ON orig.id = o.reverses_id
JOIN ledger_account a ON a.id = t.{side}_account_id
JOIN ledger_account other ON other.id = t.{other}_account_id
LEFT JOIN cards_card ac ON ac.id = a.card_id
JOIN cards_card oc ON oc.id = o.card_id
WHERE o.business_date >= %s AND o.business_date <= %s
  AND a.kind IN ('card_principal', 'card_bonus', 'card_points', 'card_fees', 'deposits')
GROUP BY o.business_date, o.location_id, COALESCE(ac.product_id, oc.product_id),
         COALESCE(ac.sold_at_id, o.location_id), a.kind, other.kind, o.kind, orig.kind
"""

_STOCK_SQL = f"""
SELECT m.from_state, m.to_state, m.from_location_id, m.to_location_id, c.product_id,
       m.event = '{REPLACEMENT_ISSUED}', COUNT(*), SUM(CASE WHEN c.batch_id IS NULL
                                                  THEN p.unit_cost_minor
                                                  ELSE b.unit_cost_minor END)
FROM inventory_stockmovement m
JOIN cards_card c ON c.id = m.card_id
JOIN cards_cardproduct p ON p.id = c.product_id
LEFT JOIN cards_batch b ON b.id = c.batch_id
WHERE m.created_at >= %s AND m.created_at < %s
GROUP BY m.from_state, m.to_state, m.from_location_id, m.to_location_id, c.product_id,
         m.event = '{REPLACEMENT_ISSUED}'
"""  # a constant of ours, not input


def liability_measure(card_kind: str, other_kind: str, op_kind: str, orig_kind: str | None):
    """Which liability measure a transfer into or out of a card's value belongs to.

    A reversal counts under the kind of operation it undoes (a reversed top-up lowers the
    top-ups), so every measure is net of reversals."""
    kind = orig_kind if op_kind == "reversal" and orig_kind else op_kind
    if other_kind == "tender":
        return {
            "card_sale": "liab.face_value_sold",
            "top_up": "liab.top_ups",
            "card_recovery": "liab.paid_out",  # value left paid out at a hand-back
        }.get(kind, "liab.other")
    if other_kind == "promotions":
        return "liab.bonus_granted"
    if other_kind == "value_redeemed":
        if kind == "refund":
            return "liab.refunds"
        if card_kind == "card_bonus":
            return "liab.consumption_bonus"
        return "liab.consumption_principal"
    if other_kind == "breakage":
        return "liab.breakage"
    if other_kind == "adjustments":
        return "liab.adjustments"
    if other_kind in CARD_VALUE:
        return "liab.replacements"
    return "liab.other"


def ledger_figures(date_from: dt.date, date_to: dt.date) -> dict[dt.date, Figures]:
    """Money and points figures of every business day in the range, from the transfers."""
    out: dict[dt.date, Figures] = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        for side, other, sign in (("credit", "debit", 1), ("debit", "credit", -1)):
            cursor.execute(_LEDGER_SQL.format(side=side, other=other), [date_from, date_to])
            for row in cursor.fetchall():
                day, loc, product, sold_at, kind, other_kind, op_kind, orig_kind, amount = row
                if isinstance(day, str):
                    day = dt.date.fromisoformat(day)
                figures = out[day]
                amount = sign * int(amount)
                if kind in CARD_VALUE:
                    measure = liability_measure(kind, other_kind, op_kind, orig_kind)
                    figures[(loc, product, measure)] += amount
                    figures[(sold_at, product, SOLD_AT_LIABILITY)] += amount
                elif kind == "card_points":
                    figures[(loc, product, POINTS)] += amount
                elif kind == "card_fees":
                    figures[(loc, product, "fees.card_fees")] += amount
                elif op_kind == "card_recovery":  # a hand-back pays the deposit back
                    figures[(loc, product, "fees.deposits_refunded")] -= amount
                else:
                    figures[(loc, product, "fees.deposits")] += amount
    return out


_COST_OF = {
    "stock.sold": "cost.sold",
    "stock.replaced": "cost.replaced",
    "stock.voided": "cost.voided",
}


def stock_figures(day: dt.date) -> Figures:
    """Stock and card-cost figures of one business day, from the stock movements."""
    figures: Figures = defaultdict(int)
    start, end = day_start(day), day_start(day + dt.timedelta(days=1))
    bounds = [connection.ops.adapt_datetimefield_value(moment) for moment in (start, end)]
    with connection.cursor() as cursor:
        cursor.execute(_STOCK_SQL, bounds)
        rows = cursor.fetchall()
    for from_state, to_state, from_loc, to_loc, product, replacing, count, cost in rows:
        at_from = from_state in AT_A_LOCATION and from_loc is not None
        at_to = to_state in AT_A_LOCATION and to_loc is not None
        cost = int(cost or 0)
        if at_from and at_to and from_loc == to_loc:
            continue  # e.g. a recovered card put back on the shelf: still here
        if at_from:
            measure = {
                "in_transit": "stock.handed_out",
                "active": "stock.sold",
                "void": "stock.voided",
            }.get(to_state, "stock.handed_out" if at_to else "stock.other_out")
            if measure == "stock.sold" and replacing:
                measure = "stock.replaced"  # issued in place of a card: no sale
            figures[(from_loc, product, measure)] += count
            if measure in _COST_OF:
                figures[(from_loc, product, _COST_OF[measure])] += cost
        if at_to:
            if from_state in ("", "produced"):
                figures[(to_loc, product, "stock.produced")] += count
                figures[(to_loc, product, "cost.produced")] += cost
            elif from_state == "in_transit" or at_from:
                figures[(to_loc, product, "stock.handed_in")] += count
            elif from_state in ("active", "frozen") and to_state == "in_stock":
                # A sale undone the same day: the card is back, the sale is not.
                figures[(to_loc, product, "stock.sold")] -= count
                figures[(to_loc, product, "cost.sold")] -= cost
            elif from_state in ("active", "frozen"):
                figures[(to_loc, product, "stock.recovered")] += count
            else:
                figures[(to_loc, product, "stock.other_in")] += count
    return figures


def compute_days(date_from: dt.date, date_to: dt.date) -> dict[dt.date, Figures]:
    """Every figure of every day in the range, straight from the raw rows."""
    result = ledger_figures(date_from, date_to)
    for day in days(date_from, date_to):
        merged = result[day]
        for key, value in stock_figures(day).items():
            merged[key] += value
    return {day: {k: v for k, v in figs.items() if v} for day, figs in result.items()}


# Storing them ------------------------------------------------------------------------------


def history_start() -> dt.date | None:
    """The first business day anything happened (ledger or stock)."""
    from membercard.core.calendar import business_date_for
    from membercard.inventory.models import StockMovement

    first_op = Operation.objects.aggregate(d=Min("business_date"))["d"]
    first_move = StockMovement.objects.aggregate(t=Min("created_at"))["t"]
    candidates = [d for d in (first_op, first_move and business_date_for(first_move)) if d]
    return min(candidates) if candidates else None


def store_days(computed: dict[dt.date, Figures], wanted: Iterable[dt.date]) -> int:
    """Store (or replace) the figures of the ``wanted`` days; the rows written."""
    from membercard.reports.models import DayFigure

    rows = [
        DayFigure(business_date=day, location_id=loc, product_id=product, measure=m, value=v)
        for day, figures in computed.items()
        for (loc, product, m), v in figures.items()
    ]
    wanted = list(wanted)
    try:
        with transaction.atomic():
            _replace_days(rows, wanted)
    except IntegrityError:
        pass  # another process rolled these days up meanwhile: same figures
    return len(rows)


def _replace_days(rows, wanted: list[dt.date]) -> None:
    from membercard.reports.models import DayFigure, RolledDay

    DayFigure.objects.filter(business_date__in=wanted).delete()
    RolledDay.objects.filter(business_date__in=wanted).delete()
    RolledDay.objects.bulk_create([RolledDay(business_date=d) for d in wanted])
    DayFigure.objects.bulk_create(rows, batch_size=5000)


def ensure_rollups(date_from: dt.date | None = None, date_to: dt.date | None = None) -> int:
    """Roll up every complete day in the range not yet rolled up; the days computed.

    Idempotent. Without bounds: from the first day of history to yesterday. Consecutive
    missing days are computed together (one ledger read per run of days)."""
    from membercard.reports.models import RolledDay

    last = last_complete_day()
    date_to = min(date_to or last, last)
    if date_from is None:
        date_from = history_start()
        if date_from is None:
            return 0
    if date_from > date_to:
        return 0
    expected = (date_to - date_from).days + 1
    stored = RolledDay.objects.filter(business_date__range=(date_from, date_to))
    if stored.count() == expected:
        return 0
    done = set(stored.values_list("business_date", flat=True))
    missing = [d for d in days(date_from, date_to) if d not in done]
    for run in _runs(missing):
        store_days(compute_days(run[0], run[-1]), run)
    return len(missing)


def _runs(missing: list[dt.date], longest: int = 31) -> list[list[dt.date]]:
    runs: list[list[dt.date]] = []
    for day in missing:
        if runs and (day - runs[-1][-1]).days == 1 and len(runs[-1]) < longest:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


# Month checkpoints -------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def checkpoint(month: dt.date) -> Figures:
    """Cumulative figures of every day before ``month`` (a first of the month).

    Computed once from the nearest earlier checkpoint and the day rows in between, and
    stored; the day rows before ``month`` must all exist (``ensure_rollups``)."""
    from membercard.reports.models import CheckedMonth, DayFigure, MonthCheckpoint

    if CheckedMonth.objects.filter(month=month).exists():
        return _checkpoint_values(month)
    earlier = CheckedMonth.objects.filter(month__lt=month).order_by("-month").first()
    base: Figures = defaultdict(int)
    rows = DayFigure.objects.filter(business_date__lt=month)
    if earlier is not None:
        base.update(_checkpoint_values(earlier.month))
        rows = rows.filter(business_date__gte=earlier.month)
    for row in rows.values("location_id", "product_id", "measure").annotate(v=Sum("value")):
        base[(row["location_id"], row["product_id"], row["measure"])] += row["v"]
    try:
        with transaction.atomic():
            CheckedMonth.objects.create(month=month)
            MonthCheckpoint.objects.bulk_create(
                MonthCheckpoint(month=month, location_id=loc, product_id=p, measure=m, value=v)
                for (loc, p, m), v in base.items()
                if v
            )
    except IntegrityError:
        pass  # another report stored the same checkpoint meanwhile: same figures
    return base


def _checkpoint_values(month: dt.date) -> Figures:
    from membercard.reports.models import MonthCheckpoint

    out: Figures = defaultdict(int)
    rows = MonthCheckpoint.objects.filter(month=month).values_list(
        "location_id", "product_id", "measure", "value"
    )
    for loc, product, measure, value in rows:
        out[(loc, product, measure)] = value
    return out


def summed(date_from: dt.date, date_to: dt.date) -> Figures:
    """Stored day figures summed over the range (one GROUP BY on the rollup table)."""
    from membercard.reports.models import DayFigure

    out: Figures = defaultdict(int)
    rows = (  # an empty range still asks (so a report's query count never depends on dates)
        DayFigure.objects.filter(business_date__range=(date_from, date_to))
        .values("location_id", "product_id", "measure")
        .annotate(v=Sum("value"))
        .values_list("location_id", "product_id", "measure", "v")
    )
    for loc, product, measure, value in rows:
        out[(loc, product, measure)] += value
    return out


def cumulative_before(day: dt.date) -> Figures:
    """Every figure summed over all days before ``day`` (opening balances)."""
    month = month_start(day)
    out: Figures = defaultdict(int)
    for key, value in checkpoint(month).items():
        out[key] += value
    for key, value in summed(month, day - dt.timedelta(days=1)).items():
        out[key] += value
    return out


def live_today() -> Figures:
    """Today's figures from the raw rows (today is never stored: it is not over)."""
    return compute_days(today(), today()).get(today(), {})
