"""Forms of the card stock pages: batches, handovers, stocktakes.

Card numbers are typed or scanned one a line (any reader input: the services read them);
ranges are written "first - last" one a line, as on a handover sheet.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from membercard.cards.models import CardProduct
from membercard.core.models import Location
from membercard.inventory.services.batches import MAX_QUANTITY
from membercard.web.forms.flows import KEY_LENGTH, IdempotentForm
from membercard.web.forms.setup import OptionalAmountField

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 200 000 numbers with UIDs fit easily
MAX_ENTRIES = 5_000  # lines in one text box
_DASHES = "\u2013\u2014~-"  # en dash, em dash, tilde, hyphen
_RANGE = re.compile(
    rf"\s*([^\s{_DASHES}]+)\s*(?:[{_DASHES}]|\.\.|to)\s*([^\s{_DASHES}]+)\s*(?:\(\d+\))?\s*"
)


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_ENTRIES:
        raise ValidationError(
            _("At most %(max)d lines at a time.") % {"max": MAX_ENTRIES}, code="too_many"
        )
    return lines


def parse_ranges(text: str) -> list[tuple[str, str]]:
    """ "first - last" a line -> [(first, last), ...]; the ends are read by the services."""
    ranges = []
    for number, line in enumerate(_lines(text), start=1):
        match = _RANGE.fullmatch(line)
        if match is None:
            raise ValidationError(
                _("Line %(line)d: write a range as first number - last number.") % {"line": number},
                code="invalid_range",
            )
        ranges.append((match.group(1), match.group(2)))
    return ranges


def _products():
    return CardProduct.objects.filter(is_active=True).order_by("code")


class BatchForm(IdempotentForm):
    product = forms.ModelChoiceField(label=_("Card product"), queryset=CardProduct.objects.none())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    unit_cost = OptionalAmountField(
        label=_("Unit cost"),
        required=False,
        help_text=_("Empty: the product's production cost."),
    )
    supplier = forms.CharField(label=_("Supplier"), max_length=120, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()

    def unit_cost_minor(self) -> int:
        typed = (self.data.get("unit_cost") or "").strip()
        return (
            self.cleaned_data["unit_cost"]
            if typed
            else self.cleaned_data["product"].unit_cost_minor
        )


class BatchImportForm(BatchForm):
    file = forms.FileField(
        label=_("Manufacturer's file"),
        help_text=_("CSV: card number and optional RFID UID a line; a header row is fine."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["quantity"]
        self.order_fields(["product", "file", "unit_cost", "supplier", "notes"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is too large (at most 20 MB)."), code="too_large")
        data = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(_("The file is neither UTF-8 nor GB 18030 text."), code="encoding")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class _OptionalKey(IdempotentForm):
    """The key of a form that files an approval request only for some of its choices (a
    loss, a batch cancellation). Rendered with the form; a post without one (a script) gets
    a fresh key, and a second pending request for the same thing is refused anyway."""

    idempotency_key = forms.CharField(
        widget=forms.HiddenInput, max_length=KEY_LENGTH, required=False
    )


class CancelBatchForm(_OptionalKey, ReasonForm):
    """Cancelling a batch on order: an approval request (its cards are written off)."""


class VoidCardsForm(IdempotentForm, ReasonForm):
    numbers = forms.CharField(
        label=_("Card numbers"),
        widget=forms.Textarea({"rows": 4}),
        help_text=_("One a line: typed or scanned."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["numbers", "reason"])

    def clean_numbers(self) -> list[str]:
        return _lines(self.cleaned_data["numbers"])


class CardsForm(forms.Form):
    """Cards by scanned/typed numbers and/or ranges (at least one of the two)."""

    numbers = forms.CharField(
        label=_("Card numbers"),
        required=False,
        widget=forms.Textarea({"rows": 4, "autofocus": True, "autocomplete": "off"}),
        help_text=_("Scan or type one card a line."),
    )
    ranges = forms.CharField(
        label=_("Number ranges"),
        required=False,
        widget=forms.Textarea({"rows": 2, "autocomplete": "off"}),
        help_text=_("One a line: first number - last number."),
    )

    def clean_numbers(self) -> list[str]:
        return _lines(self.cleaned_data["numbers"])

    def clean_ranges(self) -> list[tuple[str, str]]:
        return parse_ranges(self.cleaned_data["ranges"])

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("numbers") and not data.get("ranges"):
            raise ValidationError(_("Scan or type card numbers, or give a range."), code="empty")
        return data


class HandoverForm(forms.Form):
    to_location = forms.ModelChoiceField(label=_("To"), queryset=Location.objects.none())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, destinations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if destinations is not None:
            self.fields["to_location"].queryset = destinations


class ResolveForm(_OptionalKey):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("found", _("Found: in stock at the receiver")),
            ("returned", _("Returned: back in stock at the sender")),
            ("lost", _("Lost: void")),
            ("acknowledged", _("Acknowledged (unexpected card)")),
            ("moved", _("Moved: the unexpected card into the receiver's stock")),
        ],
    )
    note = forms.CharField(label=_("How it was settled"), max_length=500, widget=forms.TextInput())

    def __init__(self, *args, outcomes: Collection[str] | None = None, **kwargs) -> None:
        """``outcomes`` narrows the choices to what fits the line (the service checks)."""
        super().__init__(*args, **kwargs)
        if outcomes is not None:
            field_ = self.fields["outcome"]
            field_.choices = [(v, label) for v, label in field_.choices if v in outcomes]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))


class RecoveredCardForm(forms.Form):
    """A card on the recovered-cards page, named by its id among this location's own."""

    card = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RecoveredVoidForm(IdempotentForm, RecoveredCardForm, ReasonForm):
    """Void a recovered card at HQ (unfit to sell again): an approval request."""
