"""Limit overrides: the operations posted over the prepaid limit under an explicitly approved
override (four eyes, ``approvals.replacements``), with who asked, who approved and the value
the card took on. Read from the operation's details (``limit_override``, written by the
posting itself), so an override can never be posted without appearing here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum

from membercard.core.models import Location
from membercard.ledger.models import AccountKind, Operation, Transfer
from membercard.reports.sales_inventory import check_period

VALUE = (AccountKind.CARD_PRINCIPAL, AccountKind.CARD_BONUS)


@dataclass(frozen=True)
class LimitOverrideRow:
    business_date: dt.date
    location: str
    receipt: str
    card: str  # masked: the old card
    new_card: str  # masked: the card that took the value over the limit
    value_moved: int
    allowed_up_to: int
    request: int | None
    made_by: str
    approved_by: str


def _masked(number: str | None) -> str:
    return "•••• " + number[-4:] if number else ""


def limit_overrides(
    date_from: dt.date, date_to: dt.date, location: Location | None = None
) -> list[LimitOverrideRow]:
    """The operations with an approved limit override in the period (at ``location``)."""
    check_period(date_from, date_to)
    operations = Operation.objects.filter(
        details__has_key="limit_override",
        business_date__gte=date_from,
        business_date__lte=date_to,
    )
    if location is not None:
        operations = operations.filter(location=location)
    operations = operations.select_related(
        "card", "related_card", "location", "staff", "approval__decided_by"
    ).order_by("business_date", "pk")
    rows = []
    for operation in operations:
        moved = Transfer.objects.filter(
            operation=operation,
            credit_account__card=operation.related_card,
            credit_account__kind__in=VALUE,
        ).aggregate(total=Sum("amount"))["total"]
        override = operation.details["limit_override"]
        approval = getattr(operation, "approval", None)
        rows.append(
            LimitOverrideRow(
                business_date=operation.business_date,
                location=operation.location.code,
                receipt=operation.receipt_number,
                card=_masked(operation.card.number),
                new_card=_masked(operation.related_card.number if operation.related_card else ""),
                value_moved=moved or 0,
                allowed_up_to=override.get("up_to_minor", 0),
                request=override.get("request"),
                made_by=str(operation.staff or ""),
                approved_by=str(approval.decided_by) if approval and approval.decided_by else "",
            )
        )
    return rows
