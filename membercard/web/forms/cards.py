"""Forms of the HQ card pages: card search, adjustment, tier override (top-up and freeze
are the counter's forms, ``forms/counter.py``).

Amounts are typed in major units ("12.50") and become integer minor units through the
shared parser (``forms/amounts.py``); the services check everything else.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from membercard.cards.states import CardState
from membercard.core.money import MAX_AMOUNT_MINOR
from membercard.web.forms.amounts import parse_amount
from membercard.web.forms.flows import IdempotentForm


class CardSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Card number, reader text or member mobile"), required=False, max_length=200
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *CardState.choices]
    )
    product = forms.ChoiceField(label=_("Product"), required=False)
    location = forms.ChoiceField(label=_("Location"), required=False)

    def __init__(self, *args, products=(), locations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("Any product"))] + [
            (p.code, p.name) for p in products
        ]
        self.fields["location"].choices = [("", _("Any location"))] + [
            (loc.code, f"{loc.code} {loc.name}") for loc in locations
        ]


BUCKETS = [("principal", _("Principal")), ("bonus", _("Bonus")), ("points", _("Points"))]


class AdjustmentForm(IdempotentForm):
    bucket = forms.ChoiceField(label=_("What to correct"), choices=BUCKETS)
    amount = forms.CharField(
        label=_("Change"),
        max_length=20,
        help_text=_("Signed: 12.50 adds, -12.50 takes away; points as a whole number."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    service_fields = {"delta": "amount", "adjustment": "amount"}

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("An adjustment needs a reason."), code="required")
        return reason

    def clean(self):
        data = super().clean()
        bucket, text = data.get("bucket"), (data.get("amount") or "").strip()
        if not bucket or not text:
            return data
        sign, body = (-1, text[1:]) if text[0] == "-" else (1, text.lstrip("+"))
        if bucket == "points":
            if not re.fullmatch(r"\d{1,12}", body.strip()):
                self.add_error("amount", _("Type a whole number of points such as -100."))
                return data
            delta = sign * int(body)
        else:
            try:
                delta = sign * parse_amount(body)
            except ValidationError as error:
                self.add_error("amount", error)
                return data
        if delta == 0:
            self.add_error("amount", _("The change must not be zero."))
        elif abs(delta) > MAX_AMOUNT_MINOR:
            self.add_error("amount", _("That change is too large."))
        else:
            data["delta"] = delta
        return data


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(label=_("New tier"), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    hold_until = forms.DateField(
        label=_("Hold until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional: period reviews leave the tier alone until this day."),
    )
    service_fields = {"tier_code": "tier"}

    def __init__(self, *args, tiers=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("No tier"))] + [(t.code, t.name) for t in tiers]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A tier override needs a reason."), code="required")
        return reason
