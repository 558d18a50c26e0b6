"""``{{ amount|money }}``: minor units shown with the installation's currency;
``{{ rate_bp|percent }}``: a discount rate as a percent."""

from __future__ import annotations

from django import template

from membercard.core.money import format_minor
from membercard.core.percent import percent_text

register = template.Library()


@register.filter
def money(amount_minor: int | None) -> str:
    if amount_minor is None or amount_minor == "":
        return ""
    return format_minor(int(amount_minor))


@register.filter
def percent(rate_bp: int | None) -> str:
    """``{{ rate_bp|percent }}``: a discount stored in basis points, shown as entered
    (``950`` -> ``9.5 %``)."""
    return f"{percent_text(int(rate_bp or 0))} %"
