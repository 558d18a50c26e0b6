"""``{% sort_header listing "number" _("Number") %}``: a column header that sorts the list."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from membercard.web.lists import ListPage

register = template.Library()


@register.simple_tag
def sort_header(listing: ListPage, column: str, label: str) -> str:
    arrow = ""
    if listing.sort == column:
        arrow = " ▲"
    elif listing.sort == f"-{column}":
        arrow = " ▼"
    return format_html('<a href="{}">{}{}</a>', listing.sort_link(column), label, arrow)


@register.simple_tag
def page_url(listing: ListPage, number: int) -> str:
    return listing.page_link(number)
