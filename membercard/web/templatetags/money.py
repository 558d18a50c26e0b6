"""``{{ amount|money }}``: minor units shown with the installation's currency."""

from __future__ import annotations

from django import template

from membercard.core.money import format_minor

register = template.Library()


@register.filter
def money(amount_minor: int | None) -> str:
    if amount_minor is None or amount_minor == "":
        return ""
    return format_minor(int(amount_minor))
