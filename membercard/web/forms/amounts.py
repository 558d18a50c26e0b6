"""Amounts typed at the counter in major units ("12.50", "12", "12.5", "1,000.50") ->
minor units.

Only the parsing lives here: no more decimals than the installation currency has, no
sign (a leading minus only where the field allows it: money paid out of a till), no
exponent, nothing absurdly large. The decimal mark is the dot; a comma is taken only as a
thousands separator in whole groups of three ("1,000", "12,345.50"). Any other comma
("1,00", "12,5") could mean either, so it is refused with a message saying how to type
it, never guessed at. Whether an amount is allowed for an operation is the service's
business.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from membercard.core.money import MAX_AMOUNT_MINOR, minor_digits

_AMOUNT = re.compile(r"([0-9]{1,12})(?:\.([0-9]*))?", re.ASCII)
# Thousands grouped by commas: 1 to 3 digits, then whole groups of three.
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)
_DIGITS_AND_MARKS = re.compile(r"[0-9][0-9,.]*", re.ASCII)


def _ungrouped(raw: str) -> str:
    """``raw`` without its thousands separators; a comma anywhere else is refused."""
    if "," not in raw or not _DIGITS_AND_MARKS.fullmatch(raw):
        return raw  # no comma, or not a number at all (refused as such)
    if _GROUPED.fullmatch(raw):
        return raw.replace(",", "")
    raise ValidationError(
        _(
            "“%(typed)s” is not clear: use a dot for decimals (12.50) and commas only "
            "between thousands (1,000.50)."
        )
        % {"typed": raw[:24]},
        code="ambiguous",
    )


def parse_amount(text: str, *, allow_zero: bool = False, allow_negative: bool = False) -> int:
    """``text`` in major units as an int of minor units, or a ``ValidationError``."""
    raw = (text or "").strip().replace(" ", "")
    if not raw:
        raise ValidationError(_("Type an amount."), code="required")
    if raw.startswith("-"):
        if not allow_negative:
            raise ValidationError(_("The amount cannot be negative."), code="negative")
        return -parse_amount(raw[1:], allow_zero=allow_zero)
    match = _AMOUNT.fullmatch(_ungrouped(raw))
    if match is None:
        raise ValidationError(_("Type the amount as a number, like 12.50."), code="invalid")
    digits = minor_digits()
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        if digits == 0:
            raise ValidationError(_("This currency has no decimals."), code="decimals")
        raise ValidationError(
            _("At most %(digits)d decimals.") % {"digits": digits}, code="decimals"
        )
    amount = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if amount == 0 and not allow_zero:
        raise ValidationError(_("The amount must be more than zero."), code="zero")
    if amount > MAX_AMOUNT_MINOR:
        raise ValidationError(_("The amount is too large."), code="too_large")
    return amount


def format_for_input(amount_minor: int) -> str:
    """Minor units back into what a cashier types (no currency, no separators)."""
    if amount_minor < 0:
        return f"-{format_for_input(-amount_minor)}"
    digits = minor_digits()
    if not digits:
        return str(amount_minor)
    major, minor = divmod(amount_minor, 10**digits)
    return f"{major}.{minor:0{digits}d}"


class AmountField(forms.CharField):
    """A text field for an amount in major units whose cleaned value is minor units."""

    def __init__(self, *, allow_zero: bool = False, allow_negative: bool = False, **kwargs) -> None:
        self.allow_zero, self.allow_negative = allow_zero, allow_negative
        attrs = {"inputmode": "decimal", "autocomplete": "off", "class": "amount", "maxlength": 20}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        return parse_amount(text, allow_zero=self.allow_zero, allow_negative=self.allow_negative)

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_for_input(value)
        return value
