"""Four eyes on money settings: the prepaid limits and a card product's money policy
(``cards.products.MONEY_POLICY``) change only once someone other than the maker approves
(``APPROVE_SETTINGS``: an HQ admin or HQ finance).

Each request keeps the settings before and after; the approval applies the change inside
its own transaction, as the maker (the limits row and the product name who asked for it;
the request names the approver), and refuses (``request_stale``) if the settings moved
since the request was made. A product's other fields (name, functions, number format,
active) save at once, and a new product is created at once: it has no cards yet, and its
first batch is itself a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.approvals.stock import file_request
from membercard.cards.models import CardProduct
from membercard.cards.products import MONEY_POLICY, save_product, store_product
from membercard.core.actors import Actor
from membercard.core.errors import RequestStale, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.loyalty.services.limits import (
    check_prepaid_limits,
    current_limits,
    record_prepaid_limits,
)

# Prepaid limits ---------------------------------------------------------------------------


def _limits_now() -> dict[str, int]:
    limits = current_limits()
    return {
        "anonymous_limit_minor": limits.anonymous_limit_minor,
        "registered_limit_minor": limits.registered_limit_minor,
    }


def request_prepaid_limits(
    *,
    actor: Actor,
    anonymous_limit_minor: int,
    registered_limit_minor: int,
    reason: str,
    idempotency_key: str,
) -> ApprovalRequest:
    """New prepaid limits: a pending request showing the limits before and after."""
    check_prepaid_limits(
        actor=actor,
        anonymous_limit_minor=anonymous_limit_minor,
        registered_limit_minor=registered_limit_minor,
        reason=reason,
    )
    after = {
        "anonymous_limit_minor": anonymous_limit_minor,
        "registered_limit_minor": registered_limit_minor,
    }
    payload = {**after, "reason": reason.strip()}
    before = _limits_now()
    if before == after:
        raise ValidationFailed(_("These are the limits already in force."))
    preview = {"before": before, "after": after, "reason": reason.strip()}
    return file_request(actor, RequestKind.PREPAID_LIMITS, payload, preview, idempotency_key)


def apply_prepaid_limits(request: ApprovalRequest) -> None:
    """Inside the approval's transaction: the limits become current (as the maker's row)."""
    if _limits_now() != request.preview["before"]:
        raise RequestStale(_("The prepaid limits changed since this request was made."))
    record_prepaid_limits(actor=Actor.for_staff(request.maker), **request.payload)


# Card product money policy ----------------------------------------------------------------


@dataclass(frozen=True)
class ProductSaved:
    """What became of a product form: the product as saved now, and the request holding its
    money-policy changes (``None``: nothing waits for approval)."""

    product: CardProduct
    request: ApprovalRequest | None = None


def request_product_change(
    *, actor: Actor, product: CardProduct, idempotency_key: str
) -> ProductSaved:
    """Save ``product`` (a new one, or an existing one with the form's changes, unsaved):
    its money-policy changes become a pending request with the values before and after;
    the other fields save at once. Every rule is checked on the product as it will be."""
    require(actor, Action.MANAGE_PRODUCTS, _("set up card products"))
    if product.pk is None:
        return ProductSaved(save_product(actor=actor, product=product))
    stored = CardProduct.objects.filter(pk=product.pk).first()
    if stored is None:
        raise ValidationFailed(_("No such card product."), field="product")
    changed = [name for name in MONEY_POLICY if getattr(product, name) != getattr(stored, name)]
    if not changed:
        return ProductSaved(save_product(actor=actor, product=product))
    _check_whole(actor, product)
    before = {name: getattr(stored, name) for name in changed}
    after = {name: getattr(product, name) for name in changed}
    for name, value in before.items():  # the rest saves now; the policy stays as it is
        setattr(product, name, value)
    saved = save_product(actor=actor, product=product)
    payload = {"product_id": stored.pk, "changes": after}
    preview = {"product": saved.code, "product_name": saved.name, "before": before, "after": after}
    request = file_request(actor, RequestKind.PRODUCT_POLICY, payload, preview, idempotency_key)
    return ProductSaved(saved, request)


class _Checked(Exception):
    pass


def _check_whole(actor: Actor, product: CardProduct) -> None:
    """Every rule on the product as it will be once approved; nothing is kept."""
    try:
        with transaction.atomic():
            store_product(actor=actor, product=product)
            raise _Checked
    except _Checked:
        pass


def apply_product_policy(request: ApprovalRequest) -> None:
    """Inside the approval's transaction: the product takes the new money policy (every
    rule checked again), if it still has the policy the request showed."""
    product = CardProduct.objects.select_for_update().get(pk=request.payload["product_id"])
    now = {name: getattr(product, name) for name in request.preview["before"]}
    if now != request.preview["before"]:
        raise RequestStale(_("The card product changed since this request was made."))
    changes: dict[str, Any] = request.payload["changes"]
    for name, value in changes.items():
        setattr(product, name, value)
    store_product(actor=Actor.for_staff(request.maker), product=product)
