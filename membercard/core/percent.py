"""One way to enter a discount everywhere (staff pages, the admin): a percent with up to
two decimals ("9.5" = 9.5 %). It is stored as basis points (``core.money.BASIS_POINTS``:
950), the unit ``money.discount_of`` computes with; only entry and display are percent."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from membercard.core.money import BASIS_POINTS

PER_PERCENT = BASIS_POINTS // 100


def percent_text(rate_bp: int) -> str:
    """Basis points as a percent for people: ``950`` -> ``'9.5'``, ``500`` -> ``'5'``."""
    return format((Decimal(rate_bp) / PER_PERCENT).normalize(), "f")


class DiscountPercentField(forms.DecimalField):
    """A discount typed as a percent (0 to 99.99, two decimals at most) -> basis points."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Discount %"))
        super().__init__(
            min_value=Decimal(0),
            max_value=Decimal("99.99"),
            max_digits=4,
            decimal_places=2,
            **kwargs,
        )

    def clean(self, value):
        percent = super().clean(value)
        return 0 if percent is None else int(percent * PER_PERCENT)

    def prepare_value(self, value):
        return percent_text(value) if isinstance(value, int) else value
