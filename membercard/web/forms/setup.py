"""Forms of the HQ set-up pages: card products, stores, staff, terminal keys.

They parse what was typed; the rules are the model's (``CardProduct.clean``) and the
services' (``membercard.core.services``), whose refusals the views put beside the field.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from membercard.cards.models import CardProduct, SpendOrder
from membercard.cards.products import MONEY_POLICY, NUMBER_FORMAT
from membercard.core.models import Location, LocationKind, Role
from membercard.core.percent import DiscountPercentField
from membercard.web.forms.amounts import format_for_input, parse_amount
from membercard.web.forms.flows import IdempotentForm

ROLE_LABELS = {
    Role.HQ_ADMIN: _("HQ admin"),
    Role.HQ_FINANCE: _("HQ finance"),
    Role.HQ_STOCK: _("HQ stock keeper"),
    Role.STORE_MANAGER: _("Store manager"),
    Role.STORE_CASHIER: _("Store cashier"),
}
ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]
LANGUAGE_CHOICES = [("", _("Installation default")), *settings.LANGUAGES]


class AmountListField(forms.CharField):
    """Amounts in major units separated by commas or spaces -> a list of minor units."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        parts = [part for part in text.replace(",", " ").replace("\uff0c", " ").split() if part]
        return [parse_amount(part) for part in parts]

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(format_for_input(v) for v in value)
        return value


class BonusRulesField(forms.CharField):
    """One rule a line, "threshold: bonus" in major units -> [[threshold, bonus], ...]."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        text = super().to_python(value) or ""
        rules = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace("\uff1a", ":").split(":")
            if len(parts) != 2:
                raise ValidationError(
                    _("Line %(line)d: write it as threshold: bonus, like 1000: 100.")
                    % {"line": number}
                )
            try:
                rules.append([parse_amount(parts[0]), parse_amount(parts[1])])
            except ValidationError as error:
                raise ValidationError(
                    _("Line %(line)d: %(problem)s") % {"line": number, "problem": error.messages[0]}
                ) from None
        return rules

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{format_for_input(t)}: {format_for_input(b)}" for t, b in value)
        return value


class OptionalAmountField(forms.CharField):
    """An amount in major units that may be 0 (a fee, a cost) -> minor units."""

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        return parse_amount(text, allow_zero=True) if text else 0

    def prepare_value(self, value):
        return format_for_input(value) if isinstance(value, int) else value


class ProductForm(IdempotentForm, forms.ModelForm):
    """Every switch and policy of a card product. Policy rules are checked by the model's
    ``clean`` (run by the form), so each problem shows beside its field. A change of an
    existing product's money policy is sent for approval under the form's key."""

    face_values = AmountListField(
        label=_("Face values"),
        required=False,
        help_text=_("Allowed initial values, e.g. 100, 200, 500. Empty: any amount."),
    )
    bonus_rules = BonusRulesField(
        label=_("Bonus rules"),
        required=False,
        help_text=_("One a line: top up at least the threshold, get the bonus (1000: 100)."),
    )
    card_fee_minor = OptionalAmountField(label=_("Card fee"), required=False)
    deposit_minor = OptionalAmountField(label=_("Deposit"), required=False)
    unit_cost_minor = OptionalAmountField(label=_("Production cost per card"), required=False)
    discount_rate_bp = DiscountPercentField(
        label=_("Discount %"),
        help_text=_("0 with the discount off; up to two decimals, e.g. 9.5."),
    )
    spend_order = forms.ChoiceField(
        label=_("Spend order"),
        choices=[
            (SpendOrder.PRINCIPAL_FIRST, _("Principal first")),
            (SpendOrder.BONUS_FIRST, _("Bonus first")),
        ],
    )

    class Meta:
        model = CardProduct
        fields = ["code", "name", "is_active", *MONEY_POLICY, *NUMBER_FORMAT]
        labels = {
            "code": _("Code"),
            "name": _("Name"),
            "is_active": _("Active (new cards may be made and sold)"),
            "has_stored_value": _("Stored value"),
            "has_discount": _("Discount"),
            "has_tiers": _("Membership tiers"),
            "has_points": _("Points"),
            "rechargeable": _("Rechargeable (off: a one-time card)"),
            "points_per_unit": _("Points per currency unit spent"),
            "validity_months": _("Validity (months after activation)"),
            "stores_may_top_up": _("Stores may top up"),
            "pin_required": _("PIN needed to pay"),
            "value_on_hand_back": _("A one-time card handed back with value left"),
            "number_prefix": _("Card number prefix"),
            "number_length": _("Card number length"),
            "number_check_digit": _("The last digit is a check digit (Luhn)"),
        }
        help_texts = {
            "code": _("Short code: letters, digits, dashes."),
            "rechargeable": "",
            "value_on_hand_back": _(
                "Pay out: the principal left is paid out with the deposit; the bonus left "
                "goes to breakage. Refuse: the customer spends it first."
            ),
            "points_per_unit": _("Of the net amount paid; 0 with points off."),
            "validity_months": _("Empty: cards never expire."),
            "number_prefix": _(
                "Digits every card number starts with; must not overlap bank card ranges "
                "(1, 7, 88 and 9100 are fine). Optional for numbers under 12 digits."
            ),
            "number_length": _("6 to 19 digits: pre-printed cards you already have may be short."),
            "number_check_digit": _(
                "Off for cards printed with plain numbers (10000001, 10000002...). Such "
                "numbers can be guessed, so stored-value cards then need a PIN to pay; the "
                "numbers come from the manufacturer's file (import), never drawn by us."
            ),
        }

    SECTIONS = (
        (_("Name"), ("code", "name", "is_active")),
        (_("Functions"), ("has_stored_value", "has_discount", "has_tiers", "has_points")),
        (
            _("Stored value"),
            ("rechargeable", "face_values", "bonus_rules", "spend_order", "stores_may_top_up"),
        ),
        (_("Discount and points"), ("discount_rate_bp", "points_per_unit")),
        (
            _("Fees, deposit and cost"),
            ("card_fee_minor", "deposit_minor", "value_on_hand_back", "unit_cost_minor"),
        ),
        (_("Use"), ("validity_months", "pin_required")),
        (_("Card numbers"), ("number_prefix", "number_length", "number_check_digit")),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["code"].disabled = True
        # Forms and scripts written before the policy existed leave it out: it keeps its value.
        self.fields["value_on_hand_back"].required = False

    def clean_value_on_hand_back(self) -> str:
        return self.cleaned_data.get("value_on_hand_back") or self.instance.value_on_hand_back

    def sections(self) -> list[tuple[str, list]]:
        """The fields in groups, for a page that shows them side by side."""
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


class StoreForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=16, help_text=_("Short code printed on sheets, e.g. S07.")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    is_active = forms.BooleanField(label=_("Open"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
        else:
            del self.fields["is_active"]


def _locations():
    return Location.objects.filter(is_active=True).order_by("kind", "code")


# What the password validators (settings.AUTH_PASSWORD_VALIDATORS) ask, in one sentence.
PASSWORD_RULES = _(
    "At least 10 characters, not only digits, not a common password and not like the "
    "staff member's name or username. Their other sessions end when it changes."
)


class StaffForm(forms.Form):
    """Create (with username and initial password) or edit a staff member."""

    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        help_text=_("HQ roles work at headquarters, store roles at a store."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=PASSWORD_RULES,
    )
    is_active = forms.BooleanField(label=_("May sign in"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations()
        if editing:
            self.fields["username"].disabled = True
            self.fields["password"].required = False
            self.fields["password"].label = _("New password")
            self.fields["password"].help_text = format_lazy(
                "{} {}", _("Empty: the password stays as it is."), PASSWORD_RULES
            )
        else:
            del self.fields["is_active"]


class TerminalForm(forms.Form):
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Location.objects.filter(kind=LocationKind.STORE, is_active=True),
    )
    name = forms.CharField(
        label=_("Terminal name"), max_length=80, help_text=_("e.g. till-1 (unique in the store)")
    )
