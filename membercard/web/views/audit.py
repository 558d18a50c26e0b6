"""The audit log for HQ admin: search, sort, page through, export as CSV (audited too).
Nothing here changes or deletes an event; the database would refuse it anyway."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercard.core.exports import csv_writer
from membercard.core.permissions import Action
from membercard.ops import audit
from membercard.ops.models import AuditKind
from membercard.web import access
from membercard.web.lists import DayField, has_day_out_of_range, list_page

FILTERS = ("username", "kind", "location", "date_from", "date_to", "text")
SORTABLE = ("created_at", "username", "role", "location_code", "kind", "what", "status")
CSV_COLUMNS = (
    "created_at",
    "username",
    "role",
    "location_code",
    "address",
    "kind",
    "what",
    "method",
    "path",
    "status",
    "reference",
    "details",
)


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("Staff username"), max_length=150, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *AuditKind.choices], required=False
    )
    location = forms.CharField(label=_("Location code"), max_length=16, required=False)
    date_from = DayField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DayField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(label=_("Text in what or path"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _filtered(request: HttpRequest):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, audit.search_events(**{k: v for k, v in filters.items() if v})


@access.staff_page(Action.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    if has_day_out_of_range(form):  # other filter mistakes show the whole log, as before
        return render(request, "web/audit/list.html", {"form": form, "listing": None}, status=400)
    listing = list_page(
        request,
        events,
        sortable=SORTABLE,
        default_sort="-created_at",
        keep=FILTERS,
    )
    export_query = request.GET.copy()
    for name in ("page", "sort", "q"):
        export_query.pop(name, None)
    return render(
        request,
        "web/audit/list.html",
        {"form": form, "listing": listing, "export_query": export_query.urlencode()},
    )


@access.staff_page(Action.VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponse:
    """Every event matching the filters as CSV. The export itself becomes an event."""
    form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        return render(request, "web/audit/list.html", {"form": form, "listing": None}, status=422)
    filters = {k: str(v) for k, v in (form.cleaned_data if form.is_bound else {}).items() if v}
    audit.record(
        audit.AuditKind.AUDIT_EXPORT,
        staff=request.user,
        request=request,
        status=200,
        reference=f"count={events.count()}",
        details=filters,
    )
    return StreamingHttpResponse(
        _csv_rows(events.order_by("pk")),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
            )
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events):
    writer = csv_writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        row = []
        for column in CSV_COLUMNS:
            value = getattr(event, column)
            if column == "created_at":
                value = timezone.localtime(value).isoformat(timespec="seconds")
            row.append(value)
        yield writer.writerow(row)
