"""Domain errors: one base with a stable code, mapped once to pages and API responses.

A service raises these; nothing else in the code base decides what an error
*means*. The `code` is part of the API contract and never changes once shipped.
Messages must never carry secrets (PINs, a bank card's number or track data).
Messages are translatable: a message is a plain ``str`` in the language active when the
error is raised (the staff member's own language on a page).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: str = "domain_error"
    status: int = 422  # the HTTP status a page or API answers with
    # Lazy: translated into the language active when the error is raised.
    default_message: str | Promise = _("The operation was refused.")

    def __init__(self, message: str | Promise | None = None, **extra: Any) -> None:
        self.message = str(message or self.default_message)
        self.extra = extra
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.message, **self.extra}


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = _("The request is not valid.")


class NotPermitted(DomainError):
    code = "not_permitted"
    status = 403
    default_message = _("You are not permitted to do this here.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Throttled(DomainError):
    """Too many card look-ups in this window (card-number guessing is only possible by
    asking). ``retry_after``: whole seconds until the next window; ``bucket``: what ran out
    (``key``, ``staff`` or ``address``)."""

    code = "throttled"
    status = 429
    default_message = _("Too many card look-ups; wait a moment and try again.")

    @property
    def retry_after(self) -> int:
        return int(self.extra.get("retry_after", 1))

    @property
    def bucket(self) -> str:
        return str(self.extra.get("bucket", ""))


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409
    default_message = _("This idempotency key was already used for a different request.")


# Cards and reader input -------------------------------------------------------


class InvalidCardNumber(DomainError):
    code = "invalid_card_number"
    status = 422
    default_message = _("That is not a valid card number.")


class PaymentCardRefused(DomainError):
    """A bank card was swiped by mistake. Never echo or store what was read."""

    code = "payment_card_refused"
    status = 422
    default_message = _("This looks like a bank card, not one of our cards. Nothing was stored.")


class UnreadableInput(DomainError):
    code = "unreadable_input"
    status = 422
    default_message = _("The reader input could not be understood.")


class CardNotFound(DomainError):
    """No card the asker may see has that number. One answer, in one wording, for every
    miss (no such card, a typo, a card on another location's shelf or on its way), so it
    never tells whether a number exists outside the asker's scope; it says what the
    cashier can do instead."""

    code = "card_not_found"
    status = 404
    default_message = _(
        "No card with that number here: check the number. A card held by another store is "
        "served there or by HQ."
    )


class CardNotActive(DomainError):
    code = "card_not_active"
    status = 422
    default_message = _("The card is not active.")


class CardExpired(DomainError):
    code = "card_expired"
    status = 422
    default_message = _("The card has expired.")


class CardNotInStock(DomainError):
    code = "card_not_in_stock"
    status = 422
    default_message = _("The card is not in stock at this location.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 422
    default_message = _("The card cannot change to that state.")


class WrongPin(DomainError):
    code = "wrong_pin"
    status = 422
    default_message = _("The PIN is wrong.")


class PinLocked(DomainError):
    code = "pin_locked"
    status = 422
    default_message = _("Too many wrong PINs: the card's PIN is locked for now.")


class ProductPolicyViolation(DomainError):
    """The card product's policy does not allow this (e.g. top-up of a one-time card)."""

    code = "product_policy"
    status = 422
    default_message = _("The card product does not allow this.")


# Money ------------------------------------------------------------------------


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status = 422
    default_message = _("The amount is not valid.")


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    status = 422
    default_message = _("The card balance is too low.")


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    status = 422
    default_message = _("The card does not have enough points.")


class RefundExceedsPurchase(DomainError):
    code = "refund_exceeds_purchase"
    status = 422
    default_message = _("The refund is more than what is left to refund on that purchase.")


class RefundNeedsManager(NotPermitted):
    """A cashier or POS terminal asked for a refund outside the counter refund rule (a
    purchase of the open business day, up to ``limit_minor`` refunded in all)."""

    code = "refund_needs_manager"
    status = 403
    default_message = _("This refund needs a store manager.")


class RefundNeedsApproval(NotPermitted):
    """A refund outside the counter refund rule, asked for by a cashier or a POS terminal:
    it was filed as approval request ``request_id`` for a store manager to approve at the
    store's web counter (``threshold_minor``: the refund threshold)."""

    code = "refund_needs_approval"
    status = 403
    default_message = _("This refund needs a manager's approval: it was sent for approval.")


class NotReversible(DomainError):
    code = "not_reversible"
    status = 422
    default_message = _("This operation cannot be reversed.")


class DayClosed(DomainError):
    code = "day_closed"
    status = 409
    default_message = _("The business day is closed.")


# Four eyes ------------------------------------------------------------------------


class OwnRequest(NotPermitted):
    """The maker of an approval request may not decide it: a second person must."""

    code = "own_request"
    status = 403
    default_message = _("You made this request: someone else must decide it.")


class RequestDecided(DomainError):
    code = "request_decided"
    status = 409
    default_message = _("This request was already decided.")


class RequestExpired(DomainError):
    code = "request_expired"
    status = 409
    default_message = _("This request has expired: nothing was posted. Make a new request.")


class RequestStale(DomainError):
    """What the approver saw no longer holds (the card's balance moved since the request):
    nothing is posted; the maker files a fresh request."""

    code = "request_stale"
    status = 409
    default_message = _(
        "The card changed since this request was made, so it would not post what it shows. "
        "Nothing was posted: reject it and make a fresh request."
    )


class OrdererCannotReceive(NotPermitted):
    """Four eyes on stock: whoever ordered a batch does not receive it into stock."""

    code = "orderer_cannot_receive"
    status = 403
    default_message = _(
        "You ordered this batch: it must be received by someone other than the orderer."
    )
