"""Check stored day rollups (and month checkpoints) against the raw ledger and stock
movements: every stored day is recomputed with the same GROUP BY reads and compared."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Sum

from membercard.ledger.verify import Summary
from membercard.reports import rollups


def verify_rollups(*, since: dt.date | None = None) -> Summary:
    """Recompute every rolled-up day (or those from ``since``) and every checkpoint."""
    from membercard.reports.models import CheckedMonth, DayFigure, RolledDay

    summary = Summary("rollups")
    rolled = RolledDay.objects.order_by("business_date")
    if since is not None:
        rolled = rolled.filter(business_date__gte=since)
    wanted = list(rolled.values_list("business_date", flat=True))
    stored: dict[dt.date, rollups.Figures] = defaultdict(dict)
    rows = DayFigure.objects.filter(business_date__in=wanted) if since else DayFigure.objects
    for day, loc, product, measure, value in rows.values_list(
        "business_date", "location_id", "product_id", "measure", "value"
    ).iterator(chunk_size=5000):
        stored[day][(loc, product, measure)] = value
    for run in rollups._runs(wanted):
        computed = rollups.compute_days(run[0], run[-1])
        for day in run:
            _compare(summary, day, stored.get(day, {}), computed.get(day, {}))
    summary.checked["days"] = len(wanted)
    for month in CheckedMonth.objects.values_list("month", flat=True):
        expected: dict = defaultdict(int)
        for row in (
            DayFigure.objects.filter(business_date__lt=month)
            .values("location_id", "product_id", "measure")
            .annotate(v=Sum("value"))
        ):
            expected[(row["location_id"], row["product_id"], row["measure"])] = row["v"]
        found = rollups._checkpoint_values(month)
        for key in set(expected) | set(found):
            if expected.get(key, 0) != found.get(key, 0):
                summary.problems.append(
                    f"checkpoint {month}: {key[2]} at location {key[0]}, product {key[1]}: "
                    f"stored {found.get(key, 0)}, day rows give {expected.get(key, 0)}"
                )
        summary.checked["checkpoints"] = summary.checked.get("checkpoints", 0) + 1
    return summary


def _compare(summary: Summary, day: dt.date, stored: dict, computed: dict) -> None:
    for key in sorted(set(stored) | set(computed), key=str):
        if stored.get(key, 0) != computed.get(key, 0):
            loc, product, measure = key
            summary.problems.append(
                f"rollup {day}: {measure} at location {loc}, product {product}: stored "
                f"{stored.get(key, 0)}, the ledger gives {computed.get(key, 0)}"
            )
