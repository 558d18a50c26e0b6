"""Registering a member at the counter, or changing one."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MemberForm(forms.Form):
    """A new member (the mobile is required), or an existing one at a store: the stored
    mobile is shown masked (``mobile_on_file``) and ``mobile`` becomes an optional new
    number, so a store never needs (or sees) the whole number to change other fields."""

    card = forms.CharField(widget=forms.HiddenInput, max_length=19)
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
        """``None`` (keep the number on file) when a store leaves the new mobile empty."""
        mobile = self.cleaned_data.get("mobile", "").strip()
        return None if self.keeps_mobile and not mobile else mobile
