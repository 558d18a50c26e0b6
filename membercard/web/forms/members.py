"""A member's details: registered or changed at the counter, changed on the HQ member page.
The mobile is checked and normalized here already, so every error of a wrong form shows
at once (the service checks it again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError
from membercard.loyalty.services.members import normalize_mobile

FIELDS = ("name", "mobile", "birthday", "notes", "marketing_sms", "marketing_email")


class MemberForm(forms.Form):
    """A new member (the mobile is required), or an existing one at a store: the stored
    mobile is shown masked (``mobile_on_file``) and ``mobile`` becomes an optional new
    number, so a store never needs (or sees) the whole number to change other fields.
    ``card`` is the counter's (the HQ page names the member in its address)."""

    card = forms.CharField(widget=forms.HiddenInput, max_length=19, required=False)
    name = forms.CharField(label=_("Name"), max_length=120)
    mobile = forms.CharField(label=_("Mobile"), max_length=32)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    marketing_sms = forms.BooleanField(label=_("May receive SMS offers"), required=False)
    marketing_email = forms.BooleanField(label=_("May receive e-mail offers"), required=False)
    service_codes = {"member_exists": "mobile"}

    def __init__(self, *args, mobile_on_file: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keeps_mobile = bool(mobile_on_file)
        if not mobile_on_file:
            return
        on_file = forms.CharField(label=_("Mobile"), disabled=True, required=False)
        on_file.initial = mobile_on_file
        self.fields = {
            **{k: v for k, v in self.fields.items() if k in ("card", "name")},
            "mobile_on_file": on_file,
            **{k: v for k, v in self.fields.items() if k not in ("card", "name")},
        }
        mobile = self.fields["mobile"]
        mobile.required = False
        mobile.label = _("New mobile")
        mobile.help_text = _("Leave empty to keep the number on file.")
        self.initial.pop("mobile", None)

    def clean_mobile(self) -> str | None:
        """The mobile as the services keep it; ``None`` (keep the number on file) when a
        store leaves the new mobile empty."""
        mobile = self.cleaned_data.get("mobile", "").strip()
        if self.keeps_mobile and not mobile:
            return None
        try:
            return normalize_mobile(mobile)
        except DomainError as error:
            raise forms.ValidationError(error.message, code="invalid") from None
