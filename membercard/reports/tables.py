"""Every report as one plain table (title, columns, rows, notes) for the CLI and the
exports: the columns are the dataclass fields of the report's rows, amounts in minor units.
The notes are sentences for people: their amounts are formatted (``4,800.00 CNY``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from membercard.core.models import Location
from membercard.core.money import format_minor
from membercard.days.reconciliation import ReconciliationRow, reconciliation_rows
from membercard.reports import sales_inventory as si
from membercard.reports import selectors
from membercard.reports.limit_overrides import LimitOverrideRow, limit_overrides


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[object]]
    notes: list[str] = field(default_factory=list)


# The board's columns in files (the internal location id left out), even when no day matched.
RECONCILIATION_COLUMNS = [
    f.name for f in dataclasses.fields(ReconciliationRow) if f.name != "location_id"
]
RECONCILIATION_MONEY = frozenset(RECONCILIATION_COLUMNS) - {
    "location_code",
    "business_date",
    "status",
    "operation_count",
}


def _period(date_from: dt.date, date_to: dt.date, location: Location | None) -> str:
    where = location.code if location else _("all locations")
    return _("%(from)s to %(to)s, %(where)s") % {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "where": where,
    }


def _figure(check: si.Check, value: int) -> str:
    return format_minor(value) if check.money else str(value)


def _check_mark(check: si.Check) -> str:
    if check.ok:
        return "✓"
    return _("✗ difference %(amount)s") % {"amount": _figure(check, check.difference)}


def sales_inventory_table(date_from, date_to, location) -> Table:
    report = si.sales_inventory(date_from, date_to, location)
    rows = [*report.rows, report.totals]
    notes = [
        str(_("Ties out ✓")) if report.ties_out else str(_("Does NOT tie out ✗")),
        *(f"{c.label}: {_figure(c, c.found)} {_check_mark(c)}" for c in report.checks),
    ]
    return Table(
        _("Card sales and inventory %(period)s")
        % {"period": _period(date_from, date_to, location)},
        si.COLUMNS,
        [[getattr(r, c) for c in si.COLUMNS] for r in rows],
        notes,
    )


def liability_table(date_from, date_to, location) -> Table:
    items = selectors.liability_by_store(date_from, date_to, location)
    columns = [f.name for f in dataclasses.fields(selectors.LiabilityRow)]
    rows = [[getattr(i, c) for c in columns] for i in items]
    total = sum(i.liability_closing for i in items)
    return Table(
        _("Outstanding liability by store of sale %(period)s")
        % {"period": _period(date_from, date_to, location)},
        columns,
        rows,
        [_("Total at period end: %(total)s") % {"total": format_minor(total)}],
    )


def dormant_table(date_from, date_to, location) -> Table:
    items = selectors.dormant_cards(date_from, date_to, location)
    columns = [f.name for f in dataclasses.fields(selectors.DormantRow)]
    total = sum(i.principal + i.bonus for i in items)
    return Table(
        _("Dormant cards (no use in the period) %(period)s")
        % {"period": _period(date_from, date_to, location)},
        columns,
        [[getattr(i, c) for c in columns] for i in items],
        [
            _("Cards: %(cards)d, value on them: %(total)s")
            % {"cards": len(items), "total": format_minor(total)}
        ],
    )


def points_expiring_table(date_from, date_to, location) -> Table:
    items = selectors.points_expiring(date_from, date_to, location)
    columns = [f.name for f in dataclasses.fields(selectors.PointsExpiringRow)]
    outstanding = selectors.points_liability(location)
    return Table(
        _("Points expiring %(period)s") % {"period": _period(date_from, date_to, location)},
        columns,
        [[getattr(i, c) for c in columns] for i in items],
        [
            _("Points expiring in the period: %(points)d")
            % {"points": sum(i.points for i in items)},
            _("Points outstanding now: %(points)d") % {"points": sum(outstanding.values())},
        ],
    )


def reconciliation_table(date_from, date_to, location) -> Table:
    items = reconciliation_rows(date_from, date_to, location.code if location else None)
    columns = RECONCILIATION_COLUMNS
    rows = [[getattr(item, c) for c in columns] for item in items]
    title = _("Reconciliation %(period)s") % {"period": _period(date_from, date_to, location)}
    return Table(title, columns, rows)


def limit_overrides_table(date_from, date_to, location) -> Table:
    items = limit_overrides(date_from, date_to, location)
    columns = [f.name for f in dataclasses.fields(LimitOverrideRow)]
    return Table(
        _("Prepaid limit overrides %(period)s") % {"period": _period(date_from, date_to, location)},
        columns,
        [[getattr(i, c) for c in columns] for i in items],
        [_("Overrides: %(count)d (each approved by a second person)") % {"count": len(items)}],
    )


REPORTS: dict[str, Callable[[dt.date, dt.date, Location | None], Table]] = {
    "sales-inventory": sales_inventory_table,
    "reconciliation": reconciliation_table,
    "liability": liability_table,
    "dormant": dormant_table,
    "points-expiring": points_expiring_table,
    "limit-overrides": limit_overrides_table,
}


# Which columns hold money (minor units): pages format them, files keep integers.
MONEY_COLUMNS = frozenset(
    {
        *(c for c in si.COLUMNS[si.COLUMNS.index("liability_opening") :]),
        "change",
        "principal",
        "bonus",
        "spent",
        "value_moved",
        "allowed_up_to",
        *RECONCILIATION_MONEY,
    }
)


def top_members_table(date_from, date_to, location, *, actor, address: str = "") -> Table:
    """Web only (names members: audited)."""
    items = selectors.top_members(
        actor=actor, date_from=date_from, date_to=date_to, location=location, address=address
    )
    columns = [f.name for f in dataclasses.fields(selectors.TopMemberRow)]
    return Table(
        _("Top members by card spending %(period)s")
        % {"period": _period(date_from, date_to, location)},
        columns,
        [[getattr(i, c) for c in columns] for i in items],
    )


# Column headings on screen (files keep the column names, documented in docs/reports.md).
COLUMN_LABELS = {
    "location": _("Location"),
    "product": _("Product"),
    "stock_opening": _("Opening stock"),
    "produced_received": _("Produced / received"),
    "handed_over_in": _("Handed over in"),
    "recovered": _("Recovered"),
    "other_in": _("Other in"),
    "handed_over_out": _("Handed over out"),
    "sold": _("Sold"),
    "replaced": _("Issued as replacements"),
    "voided": _("Voided"),
    "other_out": _("Other out"),
    "stock_closing": _("Closing stock"),
    "liability_opening": _("Opening liability"),
    "face_value_sold": _("Face value sold"),
    "top_ups": _("Top-ups"),
    "bonus_granted": _("Bonus granted"),
    "refunds": _("Refunds"),
    "adjustments": _("Adjustments"),
    "replacements": _("Replacements"),
    "other_value": _("Other"),
    "consumption_principal": _("Consumption (principal)"),
    "consumption_bonus": _("Consumption (bonus)"),
    "value_paid_out": _("Value paid out (hand-backs)"),
    "breakage": _("Breakage"),
    "liability_closing": _("Closing liability"),
    "card_cost_produced": _("Card cost produced"),
    "card_cost_sold": _("Card cost sold"),
    "card_cost_replaced": _("Card cost replacements"),
    "card_cost_voided": _("Card cost voided"),
    "card_fees": _("Card fees"),
    "deposits": _("Deposits"),
    "deposits_refunded": _("Deposits refunded"),
    "store_of_sale": _("Store of sale"),
    "change": _("Change"),
    "card": _("Card"),
    "last_used": _("Last used"),
    "principal": _("Principal"),
    "bonus": _("Bonus"),
    "expires_on": _("Expires on"),
    "cards": _("Cards"),
    "points": _("Points"),
    "member": _("Member"),
    "mobile": _("Mobile"),
    "visits": _("Visits"),
    "spent": _("Spent"),
    # limit overrides
    "receipt": _("Receipt"),
    "new_card": _("New card"),
    "value_moved": _("Value moved"),
    "allowed_up_to": _("Approved up to"),
    "request": _("Request"),
    "made_by": _("Made by"),
    "approved_by": _("Approved by"),
    # reconciliation (the same words as the board's)
    "location_code": _("Store"),
    "business_date": _("Date"),
    "status": _("Status"),
    "collected_card_sales": _("Card sales"),
    "collected_top_ups": _("Top-ups"),
    "collected_fees": _("Fees"),
    "collected_total": _("Collected"),
    "redeemed_principal": _("Redeemed principal"),
    "redeemed_bonus": _("Redeemed bonus"),
    "net_settlement": _("Net settlement"),
    "declared_total": _("Declared"),
    "variance": _("Variance"),
    "deposit_received": _("Deposit received"),
    "deposit_difference": _("Deposit difference"),
    "operation_count": _("Operations"),
}
