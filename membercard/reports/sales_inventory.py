"""The card sales-and-inventory report: per product and location over any period, cards and
money, with totals, tied out.

Read from day rollups: opening = a month checkpoint + at most a month of day rows; the
period = its day rows; today's part (if the period reaches today) from the raw rows of
today only. So the cost follows the period, never the ledger's age.

Ties out: for every row, opening + in - out = closing (stock and money); and the closing
liability of all locations equals the sum of the card balances (principal + bonus) at the
period's end, product by product; the closing stock equals the cards at each location.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, fields

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from membercard.cards.models import Card, CardProduct
from membercard.cards.states import AT_A_LOCATION
from membercard.core.models import Location
from membercard.ledger.models import Account
from membercard.reports import rollups
from membercard.reports.errors import BadReportRequest
from membercard.reports.rollups import Figures, today

ALL = "ALL"


@dataclass
class SalesInventoryRow:
    location: str
    product: str
    # Cards.
    stock_opening: int = 0
    produced_received: int = 0
    handed_over_in: int = 0
    recovered: int = 0
    other_in: int = 0
    handed_over_out: int = 0
    sold: int = 0
    replaced: int = 0
    voided: int = 0
    other_out: int = 0
    stock_closing: int = 0
    # Money (minor units): the card liability.
    liability_opening: int = 0
    face_value_sold: int = 0
    top_ups: int = 0
    bonus_granted: int = 0
    refunds: int = 0
    adjustments: int = 0
    replacements: int = 0
    other_value: int = 0
    consumption_principal: int = 0
    consumption_bonus: int = 0
    value_paid_out: int = 0
    breakage: int = 0
    liability_closing: int = 0
    # Money outside the liability.
    card_cost_produced: int = 0
    card_cost_sold: int = 0
    card_cost_replaced: int = 0
    card_cost_voided: int = 0
    card_fees: int = 0
    deposits: int = 0
    deposits_refunded: int = 0

    @property
    def stock_in(self) -> int:
        return self.produced_received + self.handed_over_in + self.recovered + self.other_in

    @property
    def stock_out(self) -> int:
        return self.handed_over_out + self.sold + self.replaced + self.voided + self.other_out

    @property
    def value_in(self) -> int:
        return (
            self.face_value_sold
            + self.top_ups
            + self.bonus_granted
            + self.refunds
            + self.adjustments
            + self.replacements
            + self.other_value
        )

    @property
    def value_out(self) -> int:
        return (
            self.consumption_principal
            + self.consumption_bonus
            + self.value_paid_out
            + self.breakage
        )

    @property
    def stock_ties(self) -> bool:
        return self.stock_opening + self.stock_in - self.stock_out == self.stock_closing

    @property
    def money_ties(self) -> bool:
        return self.liability_opening + self.value_in - self.value_out == self.liability_closing

    def add(self, other: SalesInventoryRow) -> None:
        for f in fields(self):
            if f.type == "int":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


COLUMNS = [f.name for f in fields(SalesInventoryRow)]

_PERIOD_MEASURES = {
    "produced_received": ("stock.produced", 1),
    "handed_over_in": ("stock.handed_in", 1),
    "recovered": ("stock.recovered", 1),
    "other_in": ("stock.other_in", 1),
    "handed_over_out": ("stock.handed_out", 1),
    "sold": ("stock.sold", 1),
    "replaced": ("stock.replaced", 1),
    "voided": ("stock.voided", 1),
    "other_out": ("stock.other_out", 1),
    "face_value_sold": ("liab.face_value_sold", 1),
    "top_ups": ("liab.top_ups", 1),
    "bonus_granted": ("liab.bonus_granted", 1),
    "refunds": ("liab.refunds", 1),
    "adjustments": ("liab.adjustments", 1),
    "replacements": ("liab.replacements", 1),
    "other_value": ("liab.other", 1),
    # Out of the liability: stored negative (value left the cards), shown positive.
    "consumption_principal": ("liab.consumption_principal", -1),
    "consumption_bonus": ("liab.consumption_bonus", -1),
    "value_paid_out": ("liab.paid_out", -1),
    "breakage": ("liab.breakage", -1),
    "card_cost_produced": ("cost.produced", 1),
    "card_cost_sold": ("cost.sold", 1),
    "card_cost_replaced": ("cost.replaced", 1),
    "card_cost_voided": ("cost.voided", 1),
    "card_fees": ("fees.card_fees", 1),
    "deposits": ("fees.deposits", 1),
    "deposits_refunded": ("fees.deposits_refunded", 1),
}


def stock_of(figures: Figures, loc: int, product: int) -> int:
    ins = sum(figures.get((loc, product, m), 0) for m in rollups.STOCK_IN)
    outs = sum(figures.get((loc, product, m), 0) for m in rollups.STOCK_OUT)
    return ins - outs


def liability_of(figures: Figures, loc: int, product: int) -> int:
    return sum(figures.get((loc, product, m), 0) for m in rollups.LIABILITY)


@dataclass
class Check:
    label: str
    expected: int
    found: int
    money: bool = True  # minor units (a liability), else a count of cards

    @property
    def ok(self) -> bool:
        return self.expected == self.found

    @property
    def difference(self) -> int:
        return self.found - self.expected


@dataclass
class SalesInventoryReport:
    date_from: dt.date
    date_to: dt.date
    location: Location | None
    rows: list[SalesInventoryRow]
    totals: SalesInventoryRow
    checks: list[Check] = field(default_factory=list)

    @property
    def ties_out(self) -> bool:
        rows_tie = all(r.stock_ties and r.money_ties for r in [*self.rows, self.totals])
        return rows_tie and all(c.ok for c in self.checks)


def check_period(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise BadReportRequest(str(_("The period starts after it ends.")))
    if date_from > today():
        raise BadReportRequest(str(_("The period starts in the future.")))


def location_by_code(code: str | None) -> Location | None:
    if not code:
        return None
    found = Location.objects.filter(code=code).first()
    if found is None:
        raise BadReportRequest(str(_("No location with code %(code)s.")) % {"code": code})
    return found


def period_figures(date_from: dt.date, date_to: dt.date) -> tuple[Figures, Figures, Figures]:
    """(opening, period, after): cumulative before the period, the period's own figures, and
    everything after it up to now (to take current balances back to the period's end)."""
    rollups.ensure_rollups()
    last = rollups.last_complete_day()
    opening = rollups.cumulative_before(date_from)
    period = rollups.summed(date_from, min(date_to, last))
    after = rollups.summed(date_to + dt.timedelta(days=1), last)
    live = rollups.live_today()
    target = period if date_to >= today() else after
    for key, value in live.items():
        target[key] = target.get(key, 0) + value
    return opening, period, after


def sales_inventory(
    date_from: dt.date, date_to: dt.date, location: Location | None = None
) -> SalesInventoryReport:
    check_period(date_from, date_to)
    opening, period, after = period_figures(date_from, date_to)
    keys = {(loc, product) for loc, product, _m in (*opening, *period)}
    locations = {loc.pk: loc for loc in Location.objects.all()}
    products = {p.pk: p for p in CardProduct.objects.all()}
    rows: dict[tuple[int, int], SalesInventoryRow] = {}
    for loc, product in keys:
        row = SalesInventoryRow(location=locations[loc].code, product=products[product].code)
        row.stock_opening = stock_of(opening, loc, product)
        row.liability_opening = liability_of(opening, loc, product)
        for name, (measure, sign) in _PERIOD_MEASURES.items():
            setattr(row, name, sign * period.get((loc, product, measure), 0))
        row.stock_closing = row.stock_opening + stock_of(period, loc, product)
        row.liability_closing = row.liability_opening + liability_of(period, loc, product)
        rows[(loc, product)] = row
    checks = _balance_checks(rows, after, products, locations)
    shown = [
        row
        for (loc, _p), row in sorted(rows.items(), key=lambda kv: (kv[1].location, kv[1].product))
        if location is None or loc == location.pk
    ]
    shown = [r for r in shown if any(getattr(r, c) for c in COLUMNS[2:])]
    totals = SalesInventoryRow(location=location.code if location else ALL, product=ALL)
    for row in shown:
        totals.add(row)
    return SalesInventoryReport(date_from, date_to, location, shown, totals, checks)


def _balance_checks(rows, after: Figures, products, locations) -> list[Check]:
    """Closing figures of all locations against what the cards say now, taken back to the
    period's end with the rolled-up movements after it."""
    balances = dict(
        Account.objects.filter(kind__in=rollups.CARD_VALUE, card__isnull=False)
        .values("card__product")
        .annotate(total=Sum("balance"))
        .values_list("card__product", "total")
    )
    stock_now = {
        (r["location"], r["product"]): r["n"]
        for r in Card.objects.filter(state__in=sorted(AT_A_LOCATION))
        .values("location", "product")
        .annotate(n=Count("pk"))
    }
    closing_by_product: dict[int, int] = defaultdict(int)
    for (_loc, product), row in rows.items():
        closing_by_product[product] += row.liability_closing
    checks = []
    for product in sorted(set(balances) | set(closing_by_product), key=lambda p: products[p].code):
        later = sum(liability_of(after, loc, product) for loc in locations)
        checks.append(
            Check(
                label=str(_("Liability %(product)s = card balances at period end"))
                % {"product": products[product].code},
                expected=(balances.get(product) or 0) - later,
                found=closing_by_product.get(product, 0),
            )
        )
    stock_expected = sum(stock_now.values()) - sum(
        stock_of(after, loc, product) for loc in locations for product in products
    )
    stock_found = sum(row.stock_closing for row in rows.values())
    stock = str(_("Stock = cards at the locations"))
    checks.append(Check(stock, stock_expected, stock_found, money=False))
    return checks
