"""The store manager's business day: today's totals and the close form (counted takings
per tender, comment), the store's past days with their Z reports."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from membercard.approvals.days import MAX_REASON, pending_reopening, request_day_reopening
from membercard.approvals.models import ApprovalRequest
from membercard.core.calendar import today
from membercard.core.errors import NotFound
from membercard.core.models import Location, LocationKind
from membercard.core.permissions import Action
from membercard.days.closing import MAX_COMMENT, close_day
from membercard.days.gate import current_day
from membercard.days.models import BusinessDay, DayState
from membercard.days.reconciliation import DayFigures, day_figures
from membercard.days.zreport import z_report_pdf
from membercard.ledger.models import OperationKind, Tender
from membercard.reports.selectors import day_out_of_range
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.amounts import AmountField
from membercard.web.forms.flows import IdempotentForm, form_page, submit
from membercard.web.lists import list_page


class CloseDayForm(forms.Form):
    """Takings counted per tender, and a comment (needed when they differ)."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the counted takings differ from the system's."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        counts = {}
        for tender in Tender:
            counts[f"counted_{tender.value}"] = AmountField(
                label=_("Counted: %(tender)s") % {"tender": _(tender.label)},
                allow_zero=True,
                allow_negative=True,  # a deposit paid back out of the till
                initial="0.00",
            )
        self.fields = {**counts, **self.fields}

    def counted(self) -> dict[str, int]:
        return {t.value: self.cleaned_data[f"counted_{t.value}"] or 0 for t in Tender}


class ReopenDayForm(IdempotentForm):
    """Why a closed day should be reopened (HQ admin or finance approve it)."""

    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


def parse_day(text: str) -> dt.date:
    """A business day from the address; a day out of the accepted range has no business
    day either (and its time-zone arithmetic would overflow)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise NotFound(_("There is no such day.")) from exc
    if day_out_of_range(day):
        raise NotFound(_("There is no such day."))
    return day


def _tender_rows(figures: DayFigures) -> list[dict]:
    return [
        {"label": _(t.label), "tender": t.value, "figures": figures.tenders.get(t.value)}
        for t in Tender
    ]


def _kind_rows(figures: DayFigures) -> list[dict]:
    rows = []
    for kind in OperationKind:
        found = figures.kinds.get(kind.value)
        if found is not None:
            rows.append({"label": _(kind.label), "count": found.count, "net": found.net_minor})
    return rows


def _close_context(request: HttpRequest, on: dt.date, form: CloseDayForm) -> dict:
    actor = actor_of(request)
    day = BusinessDay.objects.filter(location=actor.location, business_date=on).first()
    figures = day_figures(actor.location, on)
    return {
        "on": on,
        "is_today": on == current_day(actor.location),
        "day": day,
        "figures": figures,
        "tenders": _tender_rows(figures),
        "kinds": _kind_rows(figures),
        "form": form,
    }


@access.staff_page(Action.CLOSE_DAY)
def days(request: HttpRequest) -> HttpResponse:
    """The store's current day (totals and the close form: the day operations go to now,
    which is tomorrow's once today is closed), then the past days."""
    actor = actor_of(request)
    current = current_day(actor.location)
    context = _close_context(request, current, CloseDayForm())
    # Once today's day is closed the page shows the next one; the closed day stays in view.
    context["closed_before"] = (
        BusinessDay.objects.filter(
            location=actor.location, business_date=current - dt.timedelta(days=1)
        )
        .select_related("closed_by")
        .first()
        if current > today()
        else None
    )
    past = BusinessDay.objects.filter(location=actor.location).select_related("closed_by")
    context["listing"] = list_page(
        request,
        past,
        sortable=("business_date", "state", "variance_minor"),
        default_sort="-business_date",
    )
    context["open_days"] = past.filter(state=DayState.OPEN, business_date__lt=current).order_by(
        "business_date"
    )
    return render(request, "web/days/index.html", context)


@access.staff_page(Action.CLOSE_DAY)
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, day: str) -> HttpResponse:
    """Close one day of this store (today, or an earlier day left open)."""
    actor = actor_of(request)
    on = parse_day(day)
    if request.method == "GET":
        return render(request, "web/days/close.html", _close_context(request, on, CloseDayForm()))
    form = CloseDayForm(request.POST)
    outcome = submit(
        form,
        lambda data: close_day(
            actor=actor, counted=form.counted(), comment=data["comment"], business_date=on
        ),
    )
    if outcome.done:
        messages.success(
            request, _("The business day %(date)s is closed.") % {"date": on.isoformat()}
        )
        return redirect("web:days")
    context = _close_context(request, on, form)
    return render(request, "web/days/close.html", context, status=outcome.status)


@access.staff_page(Action.VIEW_Z_REPORT)
def z_report(request: HttpRequest, code: str, day: str) -> HttpResponse:
    """The Z report of a closed day: a store's manager their own store's, HQ finance any."""
    actor = actor_of(request)
    on = parse_day(day)
    location = Location.objects.filter(code=code, kind=LocationKind.STORE).first()
    if location is None or (not actor.at_hq and location.pk != actor.location.pk):
        raise NotFound(_("There is no such day."))
    found = (
        BusinessDay.objects.filter(location=location, business_date=on, state=DayState.CLOSED)
        .select_related("location", "closed_by")
        .first()
    )
    if found is None:
        raise NotFound(_("That day is not closed: it has no Z report yet."))
    response = HttpResponse(z_report_pdf(found), content_type="application/pdf")
    filename = f"z-report-{location.code}-{on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@access.staff_page(Action.REQUEST_DAY_REOPENING)
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, code: str, day: str) -> HttpResponse:
    """Ask for a closed day to be reopened (a store manager their store's, HQ any store's):
    a request, approved on its page by HQ admin or finance other than the maker."""
    actor = actor_of(request)
    on = parse_day(day)
    location = Location.objects.filter(code=code, kind=LocationKind.STORE).first()
    if location is None or (not actor.at_hq and location.pk != actor.location.pk):
        raise NotFound(_("There is no such day."))
    found = (
        BusinessDay.objects.filter(location=location, business_date=on)
        .select_related("location", "closed_by")
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such day."))

    def sent(approval: ApprovalRequest) -> HttpResponse:
        messages.success(
            request,
            _("Sent for approval: request #%(number)d") % {"number": approval.pk},
        )
        return redirect(reverse("web:approval", args=[approval.pk]))

    return form_page(
        request,
        ReopenDayForm(request.POST or None),
        lambda data: request_day_reopening(
            actor=actor,
            location_code=location.code,
            business_date=on,
            reason=data["reason"],
            idempotency_key=data["idempotency_key"],
        ),
        done=sent,
        template="web/days/reopen.html",
        context={
            "day": found,
            "on": on,
            "location": location,
            "waiting": pending_reopening(location, on),
        },
    )
