"""Registering a member at the counter, or changing one."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MemberForm(forms.Form):
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
