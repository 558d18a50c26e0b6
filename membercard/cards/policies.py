"""Card product policies: which combinations are valid, bonus, face values, validity."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from membercard.cards import numbers
from membercard.core.errors import ProductPolicyViolation

if TYPE_CHECKING:
    from membercard.cards.models import CardProduct


def _int_list(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    )


def _bonus_rules_ok(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(rule, list | tuple) and len(rule) == 2 and _int_list(list(rule))
        for rule in value
    )


def product_problems(product: CardProduct) -> dict[str, list[str]]:
    """Every reason this product's switches and policies do not fit together."""
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if not _int_list(product.face_values):
        refuse("face_values", _("Face values must be a list of positive amounts in minor units."))
    if not _bonus_rules_ok(product.bonus_rules):
        refuse("bonus_rules", _("Bonus rules must be [[threshold, bonus], ...] positive amounts."))
    if not product.has_stored_value:
        if product.rechargeable:
            refuse("rechargeable", _("A card without stored value cannot be recharged."))
        if product.face_values or product.bonus_rules:
            refuse("face_values", _("A card without stored value has no face values or bonus."))
        if product.pin_required:
            refuse("pin_required", _("A PIN to pay needs stored value."))
        if product.deposit_minor:
            refuse("deposit_minor", _("A deposit needs stored value on the card."))
    if product.has_stored_value and product.one_time and not product.face_values:
        refuse("face_values", _("A one-time card is worth a fixed amount: list its face value(s)."))
    if product.stores_may_top_up and (not product.rechargeable or not product.has_stored_value):
        refuse("stores_may_top_up", _("Only a rechargeable stored-value card can be topped up."))
    if product.has_discount != (product.discount_rate_bp > 0):
        refuse("discount_rate_bp", _("Turn the discount on with a rate above 0, or off with 0."))
    if product.discount_rate_bp >= 10_000:
        refuse("discount_rate_bp", _("A discount must be below 100 %."))
    if product.has_points != (product.points_per_unit > 0):
        refuse("points_per_unit", _("Turn points on with a rate above 0, or off with 0."))
    if product.has_tiers and not product.has_points and not product.has_discount:
        refuse("has_tiers", _("Tiers change the discount or the points: turn one of them on."))
    number_format = (product.number_prefix, product.number_length, product.number_check_digit)
    try:
        numbers.validate_number_format(*number_format)
    except ValueError as exc:
        refuse("number_prefix", str(exc))
    else:
        if product.has_stored_value and not product.pin_required and guessable(product):
            refuse("pin_required", str(GUESSABLE_NEEDS_PIN))
    if product.validity_months is not None and not 1 <= product.validity_months <= 600:
        refuse("validity_months", _("Validity must be between 1 and 600 months."))
    return problems


GUESSABLE_NEEDS_PIN = gettext_lazy(
    "These numbers can be guessed (no check digit, or too few digits of their own): anyone "
    "trying neighbours of one card would find others. Spending needs a PIN: turn it on."
)


def guessable(product: CardProduct) -> bool:
    """Whether the product's numbers can be found by trying neighbours (its format; a file
    of numbers in sequence is refused at import unless the product needs a PIN)."""
    return numbers.guessable_format(
        product.number_prefix, product.number_length, product.number_check_digit
    )


def require_value_card(product: CardProduct, what: str) -> None:
    if not product.has_stored_value:
        raise ProductPolicyViolation(
            _("%(product)s carries no stored value: cannot %(what)s.")
            % {"product": product.name, "what": what}
        )


def check_initial_value(product: CardProduct, amount_minor: int) -> None:
    if product.face_values and amount_minor not in product.face_values:
        raise ProductPolicyViolation(
            _("%(product)s is sold only at its face values.") % {"product": product.name},
            allowed=list(product.face_values),
        )
    if not product.has_stored_value and amount_minor:
        raise ProductPolicyViolation(
            _("%(product)s carries no stored value.") % {"product": product.name}
        )


def bonus_for(product: CardProduct, amount_minor: int) -> int:
    """The bonus of the highest threshold reached (top up 1000, get 100)."""
    # The rule with the highest threshold reached wins (not the largest bonus among them).
    reached = [
        (threshold, bonus) for threshold, bonus in product.bonus_rules if amount_minor >= threshold
    ]
    return max(reached, default=(0, 0))[1]


def expiry_for(product: CardProduct, activated_on: dt.date) -> dt.date | None:
    """Expiry: the same day ``validity_months`` later (end of month where it is shorter)."""
    if product.validity_months is None:
        return None
    months = activated_on.month - 1 + product.validity_months
    year, month = activated_on.year + months // 12, months % 12 + 1
    day = min(activated_on.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)
