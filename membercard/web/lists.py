"""Back-office lists: search, sort and pagination from the query string, the same way everywhere.

A view builds a ``ListPage`` from its queryset and renders ``web/_list_controls.html``
(search box) and ``web/_pagination.html``; column headers use ``sort_link``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from membercard.reports.selectors import day_out_of_range

PER_PAGE = 25
OUT_OF_RANGE = "out_of_range"  # the error code of a day DayField refuses


class DayField(forms.DateField):
    """A date filter or report day: a day outside the range every report and filter
    accepts (``membercard.reports.selectors.EARLIEST_DAY``..``LATEST_DAY``) is a field error
    with code ``out_of_range`` (the page answers 400), not a 500 deeper down."""

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        problem = day_out_of_range(value) if value else ""
        if problem:
            raise ValidationError(problem, code=OUT_OF_RANGE)


def has_day_out_of_range(form: forms.Form) -> bool:
    """Whether ``form`` refused a day as out of range (such pages answer 400)."""
    return form.is_bound and any(
        error.code == OUT_OF_RANGE for errors in form.errors.as_data().values() for error in errors
    )


@dataclass
class ListPage:
    page: Page
    query: str
    sort: str
    sortable: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self):
        return self.page.object_list

    def sort_link(self, column: str) -> str:
        """The query string that sorts by ``column`` (toggling direction if already sorted)."""
        direction = "-" if self.sort == column else ""
        return self._query(sort=f"{direction}{column}", page="1")

    def page_link(self, number: int) -> str:
        return self._query(page=str(number))

    def _query(self, **changes: str) -> str:
        from urllib.parse import urlencode

        params = {**self.params, "q": self.query, "sort": self.sort, **changes}
        return "?" + urlencode({k: v for k, v in params.items() if v})


def list_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    search: tuple[str, ...] = (),
    sortable: tuple[str, ...] = (),
    default_sort: str = "-pk",
    per_page: int = PER_PAGE,
    keep: tuple[str, ...] = (),
) -> ListPage:
    """Filter ``queryset`` by ``?q=`` over ``search`` lookups, order by ``?sort=`` if it is
    one of ``sortable`` (a leading ``-`` for descending), and cut out ``?page=``.
    ``keep`` names other query parameters (filters) that links must carry along."""
    query = request.GET.get("q", "").strip()[:100]
    if query and search:
        queryset = queryset.filter(reduce(or_, (Q(**{lookup: query}) for lookup in search)))
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") not in sortable:
        sort = default_sort
    queryset = queryset.order_by(sort, "-pk" if sort.lstrip("-") != "pk" else "pk")
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    params = {name: request.GET.get(name, "") for name in keep}
    return ListPage(page=page, query=query, sort=sort, sortable=sortable, params=params)
