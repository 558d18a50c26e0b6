"""Counter forms: the card field, purchase, sale, top-up, refund, reversal, gift, freeze,
replacement and hand-back. Each money form carries a fresh idempotency key
(``flows.IdempotentForm``).

Top-up, freeze and replacement serve the HQ card page too: there the card is named by the
page's address, so the hidden ``card`` field is not required (nor at the counter for a card
found by its member, named by its ``found`` handle)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from membercard.cards.reader import ReadAs
from membercard.core.money import MAX_AMOUNT_MINOR
from membercard.ledger.models import Tender
from membercard.web.forms.amounts import AmountField
from membercard.web.forms.flows import IdempotentForm


def card_widget(**attrs) -> forms.TextInput:
    return forms.TextInput(
        attrs={"autocomplete": "off", "spellcheck": "false", "class": "card-input", **attrs}
    )


class CardField(forms.CharField):
    """What the reader typed (or the number keyed); the reader parser checks it in the view."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 512)
        kwargs.setdefault("widget", card_widget())
        kwargs.setdefault("label", _("Card"))
        super().__init__(**kwargs)


class PinField(forms.CharField):
    """The card's PIN where its product needs one (the service checks it); never shown back."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 6)
        attrs = {"autocomplete": "off", "inputmode": "numeric"}
        kwargs.setdefault("widget", forms.PasswordInput(attrs=attrs))
        super().__init__(**kwargs)


def read_as_field() -> forms.ChoiceField:
    """How the card was presented at the swipe (kept with the operation): carried hidden
    from the look-up to the form that acts on the card."""
    return forms.ChoiceField(
        choices=[("", "")] + [(r.value, r.value) for r in ReadAs],
        required=False,
        widget=forms.HiddenInput,
    )


class PurchaseForm(IdempotentForm):
    """The amount typed after the swipe (the preview), and the confirm's extras."""

    card = forms.CharField(widget=forms.HiddenInput, max_length=19)
    amount = AmountField(label=_("Amount"))
    tender = forms.ChoiceField(label=_("Rest paid by"), choices=Tender.choices, required=False)
    allow_split = forms.BooleanField(required=False, widget=forms.HiddenInput)
    read_as = read_as_field()
    pin = PinField(label=_("PIN"))
    # Points paying part of the purchase (products that convert points to money).
    points = forms.IntegerField(
        label=_("Pay with points"), required=False, min_value=0, max_value=MAX_AMOUNT_MINOR
    )


class SellForm(IdempotentForm):
    card = CardField(label=_("Card to sell (scan it)"))
    initial_value = AmountField(label=_("Initial value"), allow_zero=True)
    tender = forms.ChoiceField(
        label=_("Paid by"), choices=Tender.choices, initial=Tender.CASH.value
    )
    member_name = forms.CharField(label=_("Member name"), required=False, max_length=120)
    member_mobile = forms.CharField(label=_("Member mobile"), required=False, max_length=32)
    pin = PinField(label=_("PIN (4 to 6 digits, where the card needs one)"))

    def clean(self):
        data = super().clean()
        name, mobile = data.get("member_name", ""), data.get("member_mobile", "")
        if bool(name) != bool(mobile):
            raise forms.ValidationError(
                _("To register a member give both the name and the mobile number.")
            )
        return data


class TopUpForm(IdempotentForm):
    card = forms.CharField(widget=forms.HiddenInput, max_length=19, required=False)
    amount = AmountField(label=_("Amount to add"))
    tender = forms.ChoiceField(
        label=_("Paid by"), choices=Tender.choices, initial=Tender.CASH.value
    )
    read_as = read_as_field()
    service_fields = {"amount_minor": "amount"}


class RefundForm(IdempotentForm):
    operation = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    amount = AmountField(label=_("Amount to refund"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ReverseForm(IdempotentForm):
    operation = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class GiftRedeemForm(IdempotentForm):
    card = forms.CharField(widget=forms.HiddenInput, max_length=19)
    gift = forms.ChoiceField(label=_("Gift"))
    quantity = forms.IntegerField(label=_("Pieces"), min_value=1, max_value=99, initial=1)
    pin = PinField(label=_("Customer's PIN"))
    read_as = read_as_field()

    def __init__(self, *args, gifts=(), needs_pin: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not needs_pin:  # asked only where the card's product needs a PIN to pay
            del self.fields["pin"]
        self.fields["gift"].choices = [
            (g.code, f"{g.name} · {g.points_price} ({g.quantity})") for g in gifts
        ]


# A card found by its member (a lost card) is posted back by its handle, not its number.
FOUND_HANDLE = {"widget": forms.HiddenInput, "max_length": 200, "required": False}


class FreezeForm(forms.Form):
    card = forms.CharField(widget=forms.HiddenInput, max_length=19, required=False)
    found = forms.CharField(**FOUND_HANDLE)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    read_as = read_as_field()


class ReplaceForm(IdempotentForm):
    card = forms.CharField(widget=forms.HiddenInput, max_length=19, required=False)
    found = forms.CharField(**FOUND_HANDLE)
    new_card = CardField(label=_("New card from stock (scan it)"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    ask_approval = forms.BooleanField(
        label=_("Over the prepaid limit: send it to HQ for approval (give the reason)"),
        required=False,
    )


class HandBackForm(IdempotentForm):
    """A one-time card handed back: the tender its deposit (and any value paid out) is paid
    by, and whether the card is fit to sell again (shown to those who may restock)."""

    card = forms.CharField(widget=forms.HiddenInput, max_length=19)
    tender = forms.ChoiceField(
        label=_("Paid back by"), choices=Tender.choices, initial=Tender.CASH.value
    )
    fit_to_sell = forms.BooleanField(
        label=_("The card is fit to sell again (back into stock; else it waits to be checked)"),
        required=False,
    )
    read_as = read_as_field()

    def __init__(self, *args, may_restock: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not may_restock:
            del self.fields["fit_to_sell"]


class PinUnlockForm(forms.Form):
    card = forms.CharField(widget=forms.HiddenInput, max_length=19)


class NotEchoed(forms.TextInput):
    """A text field that never renders its value back into the page: a member's whole
    mobile number, typed by the cashier, is not repeated in the answer (pages at a store
    show a mobile masked)."""

    def format_value(self, value):
        return None


class FindCardsForm(forms.Form):
    """Find a customer's cards by the member's whole mobile number or part of the name.
    Its fields are named ``find-…`` (the prefix), which the audit keeps only as a keyed
    fingerprint (``core.audit.search_fingerprint``)."""

    prefix = "find"

    mobile = forms.CharField(
        label=_("Mobile number (all of it)"),
        required=False,
        max_length=32,
        widget=NotEchoed(attrs={"autocomplete": "off", "inputmode": "tel", "autofocus": True}),
    )
    name = forms.CharField(
        label=_("or the name (at least 3 characters)"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
