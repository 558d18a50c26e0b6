"""Report pages: one page per report (period and location form, the table, tie-out badges,
a chart where a picture helps) and its exports (CSV, XLSX, PDF) from the same address.

A store manager sees only their own store; HQ roles choose any location or all."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from membercard.core.calendar import today
from membercard.core.errors import NotPermitted
from membercard.core.http import client_address
from membercard.core.models import Location
from membercard.core.permissions import Action, allowed
from membercard.reports import charts, exports, rollups, selectors, tables
from membercard.web.access import actor_of, staff_page
from membercard.web.lists import DayField
from membercard.web.views.reconciliation import LABELS as STATUS_LABELS

TITLES = {
    "sales-inventory": _("Card sales and inventory"),
    "reconciliation": _("Store-day reconciliation"),
    "liability": _("Outstanding liability by store of sale"),
    "dormant": _("Dormant cards"),
    "points-expiring": _("Points liability and points expiring"),
    "top-members": _("Top members"),
    "limit-overrides": _("Prepaid limit overrides"),
}
HELP = {
    "sales-inventory": _("Cards and money per product and location, tied out."),
    "reconciliation": _("What each store collected and redeemed, per business day."),
    "liability": _("Card value outstanding, by the store that sold the card."),
    "dormant": _("Cards not used at all in the period, with their balances."),
    "points-expiring": _("Points whose last day falls in the period; points outstanding."),
    "top-members": _("Members by card spending in the period."),
    "limit-overrides": _("Replacements posted over the prepaid limit with an approved override."),
}


# Reports read from day rollups, whose cost follows the number of days: any period, the
# whole history included. The others list rows of the raw ledger: at most three years.
SINCE_OPENING = frozenset({"sales-inventory", "liability"})


class PeriodForm(forms.Form):
    date_from = DayField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All locations"),
    )

    def __init__(
        self,
        *args,
        fixed_location: Location | None = None,
        future: bool = False,
        capped: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.future, self.capped = future, capped
        if fixed_location is not None:
            del self.fields["location"]
        self.fixed_location = fixed_location

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The period ends before it starts."))
        if start and start > today() and not self.future:
            self.add_error("date_from", _("The period starts in the future."))
        if start and end and self.capped and (end - start).days > 3 * 366:
            self.add_error("date_to", _("Choose a period of at most three years."))
        return data

    @property
    def chosen_location(self) -> Location | None:
        return self.fixed_location or self.cleaned_data.get("location")


def _own_store(request: HttpRequest) -> Location | None:
    actor = actor_of(request)
    return None if actor.at_hq else actor.location


@staff_page(Action.VIEW_REPORTS)
def reports_index(request: HttpRequest) -> HttpResponse:
    names = [
        n
        for n in TITLES
        if n != "top-members" or allowed(actor_of(request), Action.VIEW_MEMBER_REPORTS)
    ]
    items = [{"name": n, "title": TITLES[n], "help": HELP[n]} for n in names]
    return render(request, "web/reports/index.html", {"reports": items})


def _shown(column: str, value: object) -> object:
    """A cell as people read it: the reconciliation's status codes in words (files keep
    the codes)."""
    if column == "status":
        return STATUS_LABELS.get(value, value)
    return value


def _shown_row(columns: list[str], row: list[object]) -> list[tuple[str, object]]:
    return [(column, _shown(column, value)) for column, value in zip(columns, row, strict=True)]


def _defaults(name: str) -> dict[str, str]:
    """This month so far; for points expiring, the coming 30 days."""
    end = today()
    if name == "points-expiring":
        return {"date_from": end.isoformat(), "date_to": (end + dt.timedelta(days=30)).isoformat()}
    return {"date_from": end.replace(day=1).isoformat(), "date_to": end.isoformat()}


@staff_page(Action.VIEW_REPORTS)
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    if name not in TITLES:
        raise Http404
    actor = actor_of(request)
    if name == "top-members" and not allowed(actor, Action.VIEW_MEMBER_REPORTS):
        raise NotPermitted(str(_("This report names members.")))
    data = request.GET if "date_from" in request.GET else _defaults(name)
    own_store = _own_store(request)
    form = PeriodForm(
        data,
        fixed_location=own_store,
        future=name == "points-expiring",
        capped=name not in SINCE_OPENING,
    )
    context = {"form": form, "name": name, "title": TITLES[name], "help": HELP[name]}
    if not form.is_valid():
        return render(request, "web/reports/report.html", context, status=400)
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    location = form.chosen_location
    if name == "top-members":
        table = tables.top_members_table(
            start, end, location, actor=actor, address=client_address(request)
        )
    else:
        table = tables.REPORTS[name](start, end, location)
    if own_store is not None:
        # The chain-wide balance checks are HQ's: a store sees its own rows' verdict only.
        table.notes = table.notes[:1]
    fmt = request.GET.get("format", "")
    if fmt in exports.FORMATS:
        return _download(table, fmt, name, start, end)
    context.update(
        table=table,
        money_columns=tables.MONEY_COLUMNS,
        headings=[tables.COLUMN_LABELS.get(c, c.replace("_", " ")) for c in table.columns],
        rows=[_shown_row(table.columns, row) for row in table.rows],
        query=request.GET.urlencode() if "date_from" in request.GET else "",
        chart=_chart(name, start, end, location),
        ties_out=(not table.notes or "✗" not in " ".join(table.notes)),
        since_opening=_since_opening(name),
    )
    return render(request, "web/reports/report.html", context)


def _since_opening(name: str) -> str:
    """The query of the whole history, from the first business day anything happened to
    today (no cap: the cost follows the period's days, read from day rollups)."""
    if name not in SINCE_OPENING:
        return ""
    opening = rollups.history_start() or today()
    return f"date_from={opening.isoformat()}&date_to={today().isoformat()}"


def _chart(name: str, start: dt.date, end: dt.date, location: Location | None) -> str:
    if name not in SINCE_OPENING:
        return ""
    series = selectors.daily_consumption(start, end, location)
    return mark_safe(charts.line_chart(series, start, end, str(_("Daily consumption per store"))))


def _download(table, fmt: str, name: str, start: dt.date, end: dt.date) -> HttpResponse:
    response = HttpResponse(exports.render(table, fmt), content_type=exports.CONTENT_TYPES[fmt])
    filename = f"{name}_{start.isoformat()}_{end.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
