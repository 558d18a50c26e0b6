"""Read-only figures of store business days: a day's totals (for closing it and for its
Z report) and HQ finance's reconciliation board (store x day).

Every figure is computed from the transfers of the operations *made at the store on that
business day* (``Operation.location`` and ``business_date``, read through the
``operation_store_day`` index), so one store-day reads only its own rows:

* **Collected for HQ**, per tender: money into a tender (till) account, net of money paid
  out of it, split by what it paid for: card sales (value loaded on a newly sold card),
  top-ups, and fees (card fees and card deposits; a deposit handed back on a recovered
  card counts against them). A reversal counts against the kind it reverses.
* **Redeemed on HQ's behalf**: card value spent at the store (purchases) net of what went
  back onto cards (refunds, reversals), principal and bonus apart. Bonus is HQ's
  promotion cost: settlement uses principal only.

A refund made at HQ of a store's purchase is an HQ operation: it shows in no store's row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Count, QuerySet, Sum

from membercard.core.models import Location, LocationKind
from membercard.days.models import BusinessDay, DayState, DepositReceipt
from membercard.ledger.models import AccountKind, Operation, OperationKind, Tender, Transfer

FEE_KINDS = frozenset({AccountKind.CARD_FEES, AccountKind.DEPOSITS})


@dataclass
class TenderFigures:
    card_sales: int = 0
    top_ups: int = 0
    fees: int = 0

    @property
    def total(self) -> int:
        return self.card_sales + self.top_ups + self.fees


@dataclass
class KindFigures:
    count: int = 0
    net_minor: int = 0


@dataclass
class DayFigures:
    """The system's totals of one store-day, per tender and per kind of operation."""

    tenders: dict[str, TenderFigures] = field(
        default_factory=lambda: {t: TenderFigures() for t in Tender.values}
    )
    redeemed_principal: int = 0
    redeemed_bonus: int = 0
    kinds: dict[str, KindFigures] = field(default_factory=dict)

    @property
    def card_sales(self) -> int:
        return sum(t.card_sales for t in self.tenders.values())

    @property
    def top_ups(self) -> int:
        return sum(t.top_ups for t in self.tenders.values())

    @property
    def fees(self) -> int:
        return sum(t.fees for t in self.tenders.values())

    @property
    def collected_total(self) -> int:
        return sum(t.total for t in self.tenders.values())

    @property
    def operation_count(self) -> int:
        return sum(k.count for k in self.kinds.values())

    def as_json(self) -> dict:
        return {
            "tenders": {name: asdict(t) for name, t in self.tenders.items()},
            "redeemed_principal": self.redeemed_principal,
            "redeemed_bonus": self.redeemed_bonus,
            "kinds": {name: asdict(k) for name, k in self.kinds.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> DayFigures:
        figures = cls(
            redeemed_principal=data.get("redeemed_principal", 0),
            redeemed_bonus=data.get("redeemed_bonus", 0),
            kinds={name: KindFigures(**k) for name, k in data.get("kinds", {}).items()},
        )
        for name, t in data.get("tenders", {}).items():
            figures.tenders[name] = TenderFigures(**t)
        return figures


_FLOW_FIELDS = (
    "operation__location_id",
    "operation__business_date",
    "operation__kind",
    "operation__reverses__kind",
    "debit_account__kind",
    "debit_account__tender",
    "credit_account__kind",
    "credit_account__tender",
)


def _add_flow(figures: DayFigures, row: dict) -> None:
    """Book one grouped transfer row (see ``_FLOW_FIELDS``) into ``figures``."""
    kind = row["operation__reverses__kind"] or row["operation__kind"]
    amount = row["total"]
    debit, credit = row["debit_account__kind"], row["credit_account__kind"]
    if AccountKind.TENDER in (debit, credit):
        # Money in: the till is debited (the customer paid); out: the till is credited.
        if debit == AccountKind.TENDER:
            tender, other, sign = row["debit_account__tender"], credit, 1
        else:
            tender, other, sign = row["credit_account__tender"], debit, -1
        bucket = figures.tenders.setdefault(tender, TenderFigures())
        if other in FEE_KINDS:
            bucket.fees += sign * amount
        elif kind == OperationKind.TOP_UP:
            bucket.top_ups += sign * amount
        else:
            bucket.card_sales += sign * amount
    elif AccountKind.VALUE_REDEEMED in (debit, credit):
        sign = 1 if credit == AccountKind.VALUE_REDEEMED else -1
        card_side = debit if sign == 1 else credit
        if card_side == AccountKind.CARD_PRINCIPAL:
            figures.redeemed_principal += sign * amount
        elif card_side == AccountKind.CARD_BONUS:
            figures.redeemed_bonus += sign * amount


def _store_days_filter(
    date_from: dt.date, date_to: dt.date, location_id: int | None, prefix: str = ""
) -> dict:
    lookups = {f"{prefix}business_date__range": (date_from, date_to)}
    if location_id is not None:
        lookups[f"{prefix}location_id"] = location_id
    else:
        lookups[f"{prefix}location__kind"] = LocationKind.STORE
    return lookups


def _figures_by_store_day(
    date_from: dt.date, date_to: dt.date, location_id: int | None
) -> dict[tuple[int, dt.date], DayFigures]:
    figures: dict[tuple[int, dt.date], DayFigures] = defaultdict(DayFigures)
    flows = (
        Transfer.objects.filter(
            **_store_days_filter(date_from, date_to, location_id, prefix="operation__")
        )
        .values(*_FLOW_FIELDS)
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in flows:
        key = (row["operation__location_id"], row["operation__business_date"])
        _add_flow(figures[key], row)
    kinds = (
        Operation.objects.filter(**_store_days_filter(date_from, date_to, location_id))
        .values("location_id", "business_date", "kind")
        .annotate(count=Count("pk"), net=Sum("net_minor"))
        .order_by()
    )
    for row in kinds:
        key = (row["location_id"], row["business_date"])
        figures[key].kinds[row["kind"]] = KindFigures(row["count"], row["net"] or 0)
    return figures


def day_figures(location: Location, business_date: dt.date) -> DayFigures:
    """The system's totals of one store-day, as the ledger stands now."""
    found = _figures_by_store_day(business_date, business_date, location.pk)
    return found.get((location.pk, business_date), DayFigures())


def day_operations(location: Location, business_date: dt.date) -> QuerySet[Operation]:
    """The operations of one store-day (the board's drill-down)."""
    return Operation.objects.filter(location=location, business_date=business_date).select_related(
        "card", "staff", "terminal"
    )


# The board -------------------------------------------------------------------------------


class CellStatus:
    OPEN = "open"
    CLOSED = "closed"
    MATCHED = "matched"
    DIFFERENCE = "difference"


@dataclass
class ReconciliationRow:
    """One store-day of HQ finance's reconciliation board. Amounts are integers in minor
    units of the installation currency.

    * ``location_code``, ``business_date``: the store and its business day.
    * ``status``: ``open`` (the day is not closed yet), ``closed`` (closed, no variance,
      deposit still awaited), ``matched`` (closed, counted takings equal the system's, and
      HQ received exactly the net settlement, or nothing when none was due),
      ``difference`` (closed with a takings variance, or a deposit that differs from the
      net settlement).
    * ``collected_card_sales``, ``collected_top_ups``, ``collected_fees``: money the store
      took for HQ over all tenders: value loaded on cards it sold, top-ups, card fees and
      deposits (net of reversals and deposits handed back); ``collected_total`` their sum.
    * ``redeemed_principal``, ``redeemed_bonus``: card value spent at the store (purchases
      net of refunds and reversals), the customer's paid-in principal and HQ's bonus apart.
    * ``net_settlement``: ``collected_total - redeemed_principal``; positive means the store
      owes HQ, negative that HQ owes the store. Bonus is HQ's promotion cost: never settled.
    * ``declared_total``: takings the manager counted at close (0 while open);
      ``variance``: counted minus the system's expected takings (negative: short).
    * ``deposit_received``: what HQ recorded as received from the store for the day;
      ``deposit_difference``: ``deposit_received - max(net_settlement, 0)``.
    * ``operation_count``: the store-day's operations (for the drill-down).
    """

    location_code: str
    business_date: dt.date
    status: str
    collected_card_sales: int = 0
    collected_top_ups: int = 0
    collected_fees: int = 0
    collected_total: int = 0
    redeemed_principal: int = 0
    redeemed_bonus: int = 0
    net_settlement: int = 0
    declared_total: int = 0
    variance: int = 0
    deposit_received: int = 0
    deposit_difference: int = 0
    operation_count: int = 0
    location_id: int | None = None


def _status(day: BusinessDay | None, row: ReconciliationRow) -> str:
    if day is None or day.state != DayState.CLOSED:
        return CellStatus.OPEN
    if row.variance or (row.deposit_received and row.deposit_difference):
        return CellStatus.DIFFERENCE
    if row.deposit_difference:
        return CellStatus.CLOSED  # the deposit is still awaited
    return CellStatus.MATCHED


def reconciliation_rows(
    date_from: dt.date, date_to: dt.date, location_code: str | None = None
) -> list[ReconciliationRow]:
    """The board's rows, by date then store, for every store-day with operations, a
    business day row or a deposit between ``date_from`` and ``date_to`` (inclusive)."""
    location_id = None
    if location_code is not None:
        location = Location.objects.filter(code=location_code, kind=LocationKind.STORE).first()
        if location is None:
            return []
        location_id = location.pk
    figures = _figures_by_store_day(date_from, date_to, location_id)
    days = {
        (d.location_id, d.business_date): d
        for d in BusinessDay.objects.filter(**_store_days_filter(date_from, date_to, location_id))
    }
    deposits = {
        (r["location_id"], r["business_date"]): r["total"]
        for r in DepositReceipt.objects.filter(
            **_store_days_filter(date_from, date_to, location_id)
        )
        .values("location_id", "business_date")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    }
    keys = set(figures) | set(days) | set(deposits)
    if location_code is not None:
        codes = {location_id: location_code}
    else:
        codes = dict(Location.objects.filter(pk__in={k[0] for k in keys}).values_list("pk", "code"))
    rows = []
    for key in keys:
        fig, day = figures.get(key, DayFigures()), days.get(key)
        row = ReconciliationRow(
            location_code=codes[key[0]],
            business_date=key[1],
            status=CellStatus.OPEN,
            collected_card_sales=fig.card_sales,
            collected_top_ups=fig.top_ups,
            collected_fees=fig.fees,
            collected_total=fig.collected_total,
            redeemed_principal=fig.redeemed_principal,
            redeemed_bonus=fig.redeemed_bonus,
            net_settlement=fig.collected_total - fig.redeemed_principal,
            deposit_received=deposits.get(key, 0),
            operation_count=fig.operation_count,
            location_id=key[0],
        )
        if day is not None and day.state == DayState.CLOSED:
            row.declared_total = day.declared_total_minor or 0
            row.variance = day.variance_minor or 0
        row.deposit_difference = row.deposit_received - max(row.net_settlement, 0)
        row.status = _status(day, row)
        rows.append(row)
    rows.sort(key=lambda r: (r.business_date, r.location_code))
    return rows
