"""Card products: created and changed by an HQ admin, one transaction each.

The policy rules live on the model (``CardProduct.clean`` -> ``policies.product_problems``);
this service runs them and adds the rules about change: a product whose cards exist keeps
its number format, so no card ever stops matching its product.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from membercard.cards.models import Card, CardProduct
from membercard.cards.reader import NumberFormat
from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation

# Fields fixed once cards of the product exist.
NUMBER_FORMAT = ("number_prefix", "number_length", "number_check_digit")

# The product's money policy: which money functions it has and what a card costs, carries,
# earns and allows (the functions go with the policy: a discount switched on needs its rate).
# Changing any of these on an existing product takes a second person (four eyes); the code,
# the name, the number format and whether it is active are saved directly. A new product is
# created directly: it has no cards yet, and its first batch is itself approved.
MONEY_POLICY = (
    "has_stored_value",
    "has_discount",
    "has_tiers",
    "has_points",
    "rechargeable",
    "face_values",
    "bonus_rules",
    "discount_rate_bp",
    "points_per_unit",
    "spend_order",
    "card_fee_minor",
    "deposit_minor",
    "value_on_hand_back",
    "unit_cost_minor",
    "validity_months",
    "stores_may_top_up",
    "pin_required",
)


def _problems(product: CardProduct) -> dict[str, list[str]]:
    try:
        product.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


def _refuse(problems: dict[str, list[str]]) -> None:
    field, messages = next(iter(problems.items()))
    raise ValidationFailed(
        " ".join(messages),
        field=None if field == "__all__" else field,
        problems=problems,
    )


def store_product(*, actor: Actor, product: CardProduct) -> CardProduct:
    """Create ``product`` (unsaved) or store the changes made to it. Every policy is checked;
    the number prefix and length of a product that already has cards cannot change. Runs in
    the caller's transaction (``save_product``: in its own). At the faces a change of a
    money policy (``MONEY_POLICY``) is an approval request (``approvals.settings_changes``)."""
    require(actor, Action.MANAGE_PRODUCTS, _("set up card products"))
    if product.pk is not None:
        stored = CardProduct.objects.select_for_update().filter(pk=product.pk).first()
        if stored is None:
            raise ValidationFailed(_("No such card product."), field="product")
        changed = [f for f in NUMBER_FORMAT if getattr(stored, f) != getattr(product, f)]
        if changed and Card.objects.filter(product_id=product.pk).exists():
            raise ValidationFailed(
                _("Cards of this product exist: its number prefix and length cannot change."),
                field=changed[0],
            )
    problems = _problems(product)
    if problems:
        _refuse(problems)
    product.save()
    return product


save_product = business_operation(store_product)  # in its own transaction


def number_formats() -> list[NumberFormat]:
    """Every product's number format, for the counter reader (``cards.reader``): read only
    for a number that is not one of our usual ones (short, or no check digit)."""
    rows = CardProduct.objects.values_list("number_prefix", "number_length", "number_check_digit")
    return [NumberFormat(*row) for row in rows]
