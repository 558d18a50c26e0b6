"""HQ finance's reconciliation board: stores x business days with coloured statuses, and
one store-day's drill-down (figures, counted takings, deposits received, operations) with
the form that records a deposit received from the store."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from membercard.core.calendar import today
from membercard.core.errors import NotFound
from membercard.core.models import Location, LocationKind
from membercard.core.permissions import Action
from membercard.days.closing import record_deposit
from membercard.days.models import BusinessDay, DepositReceipt
from membercard.days.reconciliation import (
    CellStatus,
    ReconciliationRow,
    day_operations,
    reconciliation_rows,
)
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.amounts import AmountField
from membercard.web.forms.flows import IdempotentForm, submit
from membercard.web.lists import DayField, has_day_out_of_range, list_page
from membercard.web.views.days import parse_day

MAX_DAYS = 31
STORES_PER_PAGE = 20
BADGES = {
    CellStatus.OPEN: "",
    CellStatus.CLOSED: "warn",
    CellStatus.MATCHED: "ok",
    CellStatus.DIFFERENCE: "bad",
}
LABELS = {
    CellStatus.OPEN: _("open"),
    CellStatus.CLOSED: _("closed"),
    CellStatus.MATCHED: _("matched"),
    CellStatus.DIFFERENCE: _("difference"),
}


class BoardFilter(forms.Form):
    date_from = DayField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    store = forms.CharField(label=_("Store code"), required=False, max_length=16)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end comes before the start."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("date_to", _("Show at most %(n)d days.") % {"n": MAX_DAYS})
        return data


class DepositForm(IdempotentForm):
    amount = AmountField(label=_("Amount received"))
    reference = forms.CharField(label=_("Bank reference"), required=False, max_length=64)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


def _decorate(row: ReconciliationRow) -> dict:
    return {
        "row": row,
        "badge": BADGES[row.status],
        "label": LABELS[row.status],
        "url": reverse(
            "web:reconciliation-day", args=[row.location_code, row.business_date.isoformat()]
        ),
    }


@access.staff_page(Action.RECONCILE)
def board(request: HttpRequest) -> HttpResponse:
    """The board: one line per store, one column per day, a coloured cell per store-day."""
    end = today()
    defaults = {"date_from": end - dt.timedelta(days=6), "date_to": end, "store": ""}
    form = BoardFilter(request.GET or None, initial=defaults)
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else defaults
    store = (criteria.get("store") or "").strip() or None
    rows = reconciliation_rows(criteria["date_from"], criteria["date_to"], location_code=store)
    dates = [
        criteria["date_from"] + dt.timedelta(days=n)
        for n in range((criteria["date_to"] - criteria["date_from"]).days + 1)
    ]
    by_store: dict[str, dict[dt.date, dict]] = defaultdict(dict)
    for row in rows:
        by_store[row.location_code][row.business_date] = _decorate(row)
    page = Paginator(sorted(by_store), STORES_PER_PAGE).get_page(request.GET.get("page"))
    grid = [
        {"code": code, "cells": [by_store[code].get(d) for d in dates]} for code in page.object_list
    ]
    shown = set(page.object_list)
    details = [_decorate(r) for r in rows if r.location_code in shown]
    totals = {
        "net": sum(r.net_settlement for r in rows),
        "deposits": sum(r.deposit_received for r in rows),
        "differences": sum(1 for r in rows if r.status == CellStatus.DIFFERENCE),
    }
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "dates": dates,
        "grid": grid,
        "details": details,
        "page": page,
        "query": query.urlencode(),
        "totals": totals,
        "labels": LABELS,
        "badges": BADGES,
    }
    # A day out of range is a bad request; other filter mistakes show the default board.
    status = 400 if has_day_out_of_range(form) else 200
    return render(request, "web/days/reconciliation.html", context, status=status)


def _store_day(code: str, day: str) -> tuple[Location, dt.date]:
    on = parse_day(day)
    location = Location.objects.filter(code=code, kind=LocationKind.STORE).first()
    if location is None:
        raise NotFound(_("No store with that code."))
    return location, on


def _day_page(
    request: HttpRequest, location: Location, on: dt.date, form: DepositForm, status: int = 200
) -> HttpResponse:
    rows = reconciliation_rows(on, on, location_code=location.code)
    row = rows[0] if rows else ReconciliationRow(location.code, on, CellStatus.OPEN)
    day = (
        BusinessDay.objects.filter(location=location, business_date=on)
        .select_related("closed_by")
        .first()
    )
    listing = list_page(
        request,
        day_operations(location, on),
        search=("card__number__endswith", "reference", "kind"),
        sortable=("pk", "kind", "net_minor"),
        default_sort="pk",
    )
    context = {
        "location": location,
        "on": on,
        "cell": _decorate(row),
        "day": day,
        "takings": list(day.takings.order_by("tender")) if day else [],
        "deposits": DepositReceipt.objects.filter(location=location, business_date=on)
        .select_related("recorded_by")
        .order_by("pk"),
        "listing": listing,
        "form": form,
    }
    return render(request, "web/days/reconciliation_day.html", context, status=status)


@access.staff_page(Action.RECONCILE)
def store_day(request: HttpRequest, code: str, day: str) -> HttpResponse:
    """One store-day: its figures, its counted takings, deposits and operations."""
    location, on = _store_day(code, day)
    return _day_page(request, location, on, DepositForm())


@access.staff_page(Action.RECORD_DEPOSIT)
@require_POST
def deposit(request: HttpRequest, code: str, day: str) -> HttpResponse:
    """Record a deposit received from the store for the day (replays record nothing more)."""
    location, on = _store_day(code, day)
    form = DepositForm(request.POST)
    outcome = submit(
        form,
        lambda data: record_deposit(
            actor=actor_of(request),
            location_code=location.code,
            business_date=on,
            amount_minor=data["amount"],
            reference=data["reference"],
            note=data["note"],
            idempotency_key=data["idempotency_key"],
        ),
    )
    if outcome.done:
        messages.success(request, _("The deposit was recorded."))
        return redirect("web:reconciliation-day", location.code, on.isoformat())
    return _day_page(request, location, on, form, status=outcome.status)
