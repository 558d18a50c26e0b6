"""Forms of the approvals pages: a decision's note, new approval thresholds."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from membercard.web.forms.amounts import AmountField
from membercard.web.forms.flows import IdempotentForm


class DecisionForm(forms.Form):
    """Approve or reject; a rejection says why (the service refuses one without a note)."""

    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ThresholdsForm(IdempotentForm):
    adjustment_minor = AmountField(
        label=_("Value adjustments needing approval, from"),
        allow_zero=True,
        help_text=_("0: every adjustment of principal or bonus needs a second person."),
    )
    points_adjustment = forms.IntegerField(
        label=_("Points adjustments needing approval, from (points)"),
        min_value=0,
        help_text=_("0: every points adjustment needs a second person."),
    )
    hq_top_up_minor = AmountField(label=_("Top-ups at HQ needing approval, from"), allow_zero=True)
    refund_minor = AmountField(
        label=_("Counter refunds needing a manager's approval, from"),
        allow_zero=True,
        required=False,  # left empty: unchanged
        help_text=_(
            "A cashier's or a till's refunds on one purchase, in all; any refund of an "
            "earlier business day needs approval too. Store managers and HQ refund any amount."
        ),
    )
    lifetime_hours = forms.IntegerField(
        label=_("A request expires after (hours)"), min_value=1, max_value=24 * 30
    )
