"""How a request's preview shows a card product's money policy: the field as the product
form names it (``policy_label``) and its value (``policy_value``: amounts as money, lists
joined, switches as yes/no)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from membercard.core.money import format_minor
from membercard.core.percent import percent_text
from membercard.web.forms.setup import ProductForm

register = template.Library()


@register.filter
def policy_label(field: str) -> str:
    form_field = ProductForm.base_fields.get(field)
    return str(form_field.label) if form_field is not None and form_field.label else field


@register.filter
def policy_value(value: Any, field: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.endswith("_minor") and isinstance(value, int):
        return format_minor(value)
    if field == "discount_rate_bp" and isinstance(value, int):
        return f"{percent_text(value)} %"  # entered and shown as a percent
    if field == "face_values" and isinstance(value, list):
        return ", ".join(format_minor(int(v)) for v in value)
    if field == "bonus_rules" and isinstance(value, list):
        return "; ".join(_rule(rule) for rule in value)
    return str(value)


def _rule(rule: Any) -> str:
    if isinstance(rule, dict) and {"threshold_minor", "bonus_minor"} <= rule.keys():
        return f"{format_minor(rule['threshold_minor'])}: {format_minor(rule['bonus_minor'])}"
    if isinstance(rule, list | tuple) and len(rule) == 2:
        return f"{format_minor(int(rule[0]))}: {format_minor(int(rule[1]))}"
    return str(rule)
