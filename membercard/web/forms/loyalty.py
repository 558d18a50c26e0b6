"""Forms of the HQ loyalty pages (members use ``forms/members.py``): loyalty policy, tiers,
prepaid limits, campaigns, gifts and gift stock. They check shape; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from membercard.core.percent import DiscountPercentField
from membercard.loyalty.models import PointsExpiry, TierReviewPeriod
from membercard.loyalty.models.gifts import MAX_POINTS_PRICE, PICTURE_EXTENSIONS
from membercard.web.forms.amounts import AmountField
from membercard.web.forms.flows import IdempotentForm

DATE = {"type": "date"}


class PolicyForm(forms.Form):
    requires_member = forms.BooleanField(label=_("Sold only to registered members"), required=False)
    points_exclude_bonus = forms.BooleanField(
        label=_("No points on the part paid with bonus"), required=False
    )
    points_exclude_other = forms.BooleanField(
        label=_("No points on the part paid outside the card"), required=False
    )
    points_expiry = forms.ChoiceField(label=_("Points expire"), choices=PointsExpiry.choices)
    points_validity_months = forms.IntegerField(
        label=_("Months points stay valid"), min_value=1, max_value=240,
        help_text=_("Used when points expire after N months."),
    )  # fmt: skip
    points_may_go_negative = forms.BooleanField(
        label=_("A refund may leave the card owing points"), required=False
    )
    conversion_points = forms.IntegerField(
        label=_("Conversion: points"), min_value=0, max_value=10_000_000,
        help_text=_("This many points pay the value below off a purchase; 0: no conversion."),
    )  # fmt: skip
    conversion_value = AmountField(
        label=_("Conversion: value"), required=False, help_text=_("e.g. 1.00; empty: none.")
    )
    tier_window_months = forms.IntegerField(
        label=_("Tier window (months)"), min_value=1, max_value=240, required=False,
        help_text=_("Thresholds count this far back; empty: ever."),
    )  # fmt: skip
    tier_review = forms.ChoiceField(label=_("Tier review"), choices=TierReviewPeriod.choices)
    service_fields = {"conversion_value_minor": "conversion_value"}

    def clean(self):
        data = super().clean()
        points, value = data.get("conversion_points"), data.get("conversion_value")
        if points is not None and bool(points) != bool(value):
            self.add_error(
                "conversion_value", _("A conversion names both its points and their value.")
            )
        return data


class TierForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=80)
    rank = forms.IntegerField(label=_("Rank"), min_value=0, max_value=1000,
                              help_text=_("Higher is better."))  # fmt: skip
    discount_pct = DiscountPercentField(  # cleaned: basis points
        label=_("Discount %"), initial=0, help_text=_("Replaces the product's own rate."),
    )  # fmt: skip
    points_multiplier_pct = forms.IntegerField(
        label=_("Points multiplier %"), min_value=0, max_value=10_000, initial=100,
        help_text=_("100 = the product's rate."),
    )  # fmt: skip
    min_spend = AmountField(label=_("Spend threshold"), required=False)
    min_points = forms.IntegerField(label=_("Points threshold"), min_value=0, required=False)
    needs_both = forms.BooleanField(label=_("Needs both thresholds"), required=False)
    service_fields = {
        "discount_rate_bp": "discount_pct",
        "min_spend_minor": "min_spend",
    }


class LimitsForm(IdempotentForm):  # a change is an approval request (four eyes)
    anonymous_limit = AmountField(label=_("Anonymous card limit"), allow_zero=True)
    registered_limit = AmountField(label=_("Registered card limit"), allow_zero=True)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    service_fields = {
        "anonymous_limit_minor": "anonymous_limit",
        "registered_limit_minor": "registered_limit",
        "anonymous limit": "anonymous_limit",
        "registered limit": "registered_limit",
    }


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    multiplier_pct = forms.IntegerField(
        label=_("Points multiplier %"), min_value=100, max_value=10_000, initial=200,
        help_text=_("200 = double points."),
    )  # fmt: skip
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs=DATE))
    stores = forms.ModelMultipleChoiceField(
        label=_("Stores"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every store."),
    )  # fmt: skip
    products = forms.ModelMultipleChoiceField(
        label=_("Products"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every product."),
    )  # fmt: skip

    def __init__(self, *args, stores, products, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = stores
        self.fields["products"].queryset = products

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("A campaign ends on or after its first day."))
        return data


class GiftForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, help_text=_("Short code the till types, e.g. MUG-01.")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    points_price = forms.IntegerField(
        label=_("Points price"), min_value=1, max_value=MAX_POINTS_PRICE
    )
    active_from = forms.DateField(
        label=_("First day"), required=False, widget=forms.DateInput(attrs=DATE)
    )
    active_until = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs=DATE)
    )
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)
    picture = forms.FileField(
        label=_("Picture"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, at most 2 MiB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in PICTURE_EXTENSIONS)}
        ),
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True

    def clean(self):
        data = super().clean()
        first, last = data.get("active_from"), data.get("active_until")
        if first and last and last < first:
            self.add_error("active_until", _("The last day is on or after the first."))
        return data


class GiftReceiveForm(forms.Form):
    gift = forms.ChoiceField(label=_("Gift"))
    quantity = forms.IntegerField(label=_("Pieces"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("Delivery note"), required=False, max_length=500)
    service_fields = {"gift_code": "gift"}


class GiftSendForm(forms.Form):
    gift = forms.ChoiceField(label=_("Gift"))
    to_location = forms.ModelChoiceField(label=_("To store"), queryset=None)
    quantity = forms.IntegerField(label=_("Pieces"), min_value=1, max_value=1_000_000)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    service_fields = {"gift_code": "gift"}

    def __init__(self, *args, stores, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_location"].queryset = stores


class GiftAdjustForm(forms.Form):
    gift = forms.ChoiceField(label=_("Gift"))
    location = forms.ModelChoiceField(label=_("Location"), queryset=None)
    delta = forms.IntegerField(
        label=_("Change in pieces"), min_value=-1_000_000, max_value=1_000_000,
        help_text=_("Signed: 5 adds, -2 takes away."),
    )  # fmt: skip
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    service_fields = {"gift_code": "gift"}

    def __init__(self, *args, locations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("The change must not be zero."), code="zero")
        return delta


def with_gift_choices(form: forms.Form, gifts) -> forms.Form:
    form.fields["gift"].choices = [("", "—")] + [(g.code, f"{g.code} {g.name}") for g in gifts]
    return form
