"""Domain errors: one base with a stable code, mapped once to pages and API responses.

A service raises these; nothing else in the code base decides what an error
*means*. The `code` is part of the API contract and never changes once shipped.
Messages must never carry secrets (PINs, a bank card's number or track data).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "domain_error"
    status: int = 422  # the HTTP status a page or API answers with
    default_message: str = "The operation was refused."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.message, **self.extra}


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = "The request is not valid."


class NotPermitted(DomainError):
    code = "not_permitted"
    status = 403
    default_message = "You are not permitted to do this here."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409
    default_message = "This idempotency key was already used for a different request."


# Cards and reader input -------------------------------------------------------


class InvalidCardNumber(DomainError):
    code = "invalid_card_number"
    status = 422
    default_message = "That is not a valid card number."


class PaymentCardRefused(DomainError):
    """A bank card was swiped by mistake. Never echo or store what was read."""

    code = "payment_card_refused"
    status = 422
    default_message = "This looks like a bank card, not one of our cards. Nothing was stored."


class UnreadableInput(DomainError):
    code = "unreadable_input"
    status = 422
    default_message = "The reader input could not be understood."


class CardNotFound(DomainError):
    code = "card_not_found"
    status = 404
    default_message = "No card with that number."


class CardNotActive(DomainError):
    code = "card_not_active"
    status = 422
    default_message = "The card is not active."


class CardExpired(DomainError):
    code = "card_expired"
    status = 422
    default_message = "The card has expired."


class CardNotInStock(DomainError):
    code = "card_not_in_stock"
    status = 422
    default_message = "The card is not in stock at this location."


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 422
    default_message = "The card cannot change to that state."


class WrongPin(DomainError):
    code = "wrong_pin"
    status = 422
    default_message = "The PIN is wrong."


class PinLocked(DomainError):
    code = "pin_locked"
    status = 422
    default_message = "Too many wrong PINs: the card's PIN is locked for now."


class ProductPolicyViolation(DomainError):
    """The card product's policy does not allow this (e.g. top-up of a one-time card)."""

    code = "product_policy"
    status = 422
    default_message = "The card product does not allow this."


# Money ------------------------------------------------------------------------


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status = 422
    default_message = "The amount is not valid."


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    status = 422
    default_message = "The card balance is too low."


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    status = 422
    default_message = "The card does not have enough points."


class RefundExceedsPurchase(DomainError):
    code = "refund_exceeds_purchase"
    status = 422
    default_message = "The refund is more than what is left to refund on that purchase."


class NotReversible(DomainError):
    code = "not_reversible"
    status = 422
    default_message = "This operation cannot be reversed."


class DayClosed(DomainError):
    code = "day_closed"
    status = 409
    default_message = "The business day is closed."
