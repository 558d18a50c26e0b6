"""Request and response shapes of the POS API, with the examples the docs show.

Money is an integer count of minor units everywhere (``12345`` is 123.45 CNY) and every
response that carries money carries ``currency``. Request numbers are strict integers:
``"100"``, ``100.0`` and ``true`` are refused, not guessed at.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

from membercard.core.money import MAX_AMOUNT_MINOR

TenderName = Literal["cash", "bank_card", "mobile_pay"]
ReadAsName = Literal["keyed", "swiped", "scanned", "tapped"]
CURRENCY_EXAMPLE = "CNY"


def _clean_text(value: str) -> str:
    """Printable text only: control characters and lone surrogates would be refused by the
    database (or corrupt a receipt); refuse them here as a validation error."""
    if not value.isprintable() or value != value.encode("utf-8", "replace").decode("utf-8"):
        raise ValueError("must be printable text")
    return value


def _text(max_length: int, **field: Any) -> Any:
    return Annotated[str, Field(max_length=max_length, **field), AfterValidator(_clean_text)]


MemberName = _text(120, min_length=1, examples=["Li Lei"])
Mobile = _text(20, min_length=6, examples=["13800138000"])
Reference = _text(64, examples=["T1-0042"])
Reason = _text(200, examples=["Damaged item"])


Amount = Annotated[int, Field(strict=True, ge=1, le=MAX_AMOUNT_MINOR, examples=[5000])]
AmountOrZero = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT_MINOR, examples=[10000])]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,6}$", description="Card PIN, 4-6 digits.")]


def read_as_field() -> Any:
    """How the till read the card: kept with the operation. A card named by its number in
    the path was keyed unless the till says otherwise (pass the look-up's ``read_as``)."""
    return Field(
        "keyed",
        description="How the card was read (the look-up's `read_as`), kept with the "
        "operation; `keyed` when not given (the number is in the path).",
    )


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


# Problems -----------------------------------------------------------------------------


class Problem(Schema):
    """RFC 9457 problem details; ``code`` is stable. More members may follow (``errors``,
    ``field``, ``available``, ``currency``, ``retry_after``; ``tries_left`` and
    ``locked_until`` on ``wrong_pin`` and ``pin_locked``; ``business_date`` on a past day's
    ``not_reversible``…)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:membercard:problem:insufficient_balance",
                    "title": "The card balance is too low.",
                    "status": 422,
                    "detail": "The card balance is too low.",
                    "code": "insufficient_balance",
                    "available": 1200,
                    "needed": 4750,
                    "currency": "CNY",
                }
            ]
        },
    )
    type: str
    title: str
    status: int
    detail: str
    code: str


# Requests -----------------------------------------------------------------------------


class RequestBody(Schema):
    """The base of every request body: a field we do not know is refused (422 naming it),
    never ignored. A till that sends ``"currency": "USD"`` must learn that the API takes
    no currency and converts nothing, not be charged in CNY."""

    model_config = ConfigDict(extra="forbid")


class LookupIn(RequestBody):
    model_config = _examples({"input": ";8810000000000011=9912?"}, {"input": "MC8810000000000011"})
    input: str = Field(
        max_length=512,
        description="Exactly what the reader typed: digits, magstripe track, barcode, QR, RFID.",
    )


class MemberIn(RequestBody):
    name: MemberName
    mobile: Mobile


class SaleIn(RequestBody):
    model_config = _examples(
        {"initial_value": 10000, "tender": "cash"},
        {
            "initial_value": 20000,
            "tender": "mobile_pay",
            "member": {"name": "Li Lei", "mobile": "13800138000"},
        },
    )
    initial_value: AmountOrZero
    tender: TenderName
    member: MemberIn | None = Field(
        None, description="Register the card to this member (found by mobile, or new)."
    )
    pin: Pin | None = Field(None, description="Set the card's PIN (products that need one).")
    read_as: ReadAsName = read_as_field()


class TopUpIn(RequestBody):
    model_config = _examples({"amount": 50000, "tender": "bank_card"})
    amount: Amount
    tender: TenderName
    read_as: ReadAsName = read_as_field()


class PurchaseIn(RequestBody):
    model_config = _examples(
        {"amount": 4750, "pay_with_balance": True, "allow_split": False, "reference": "T1-0042"},
        {"amount": 30000, "allow_split": True, "other_tender": "cash"},
    )
    amount: Amount = Field(description="Gross amount, before the card's discount.")
    pay_with_balance: bool = Field(True, strict=True)
    allow_split: bool = Field(
        False, strict=True, description="Take what the balance has; the rest is paid_other."
    )
    other_tender: TenderName | None = Field(None, description="How the rest was paid, if any.")
    redeem_points: int = Field(
        0,
        strict=True,
        ge=0,
        le=MAX_AMOUNT_MINOR,
        description="Points to pay part of the amount with (products that convert points).",
    )
    reference: Reference = Field("", description="The till's reference.")
    pin: Pin | None = None
    read_as: ReadAsName = read_as_field()


class RefundIn(RequestBody):
    model_config = _examples({"amount": 1500}, {"amount": 1500, "reason": "Damaged item"})
    amount: Amount
    reason: Reason = ""


# Responses ----------------------------------------------------------------------------


class BalanceOut(Schema):
    principal: int = Field(description="Value the customer paid for.")
    bonus: int = Field(description="Promotional value.")
    total: int
    currency: str


class ProductOut(Schema):
    code: str
    name: str
    stored_value: bool
    rechargeable: bool
    stores_may_top_up: bool
    pin_required: bool
    points: bool


class ProductRef(Schema):
    code: str
    name: str


class MemberOut(Schema):
    name: str
    mobile: str = Field(description="Masked: only the last four digits show.")


class TierOut(Schema):
    code: str
    name: str


_CARD_EXAMPLE = {
    "number": "8810000000000011",
    "number_masked": "•••• 0011",
    "state": "active",
    "product": {
        "code": "gold",
        "name": "Gold value card",
        "stored_value": True,
        "rechargeable": True,
        "stores_may_top_up": False,
        "pin_required": False,
        "points": True,
    },
    "member": {"name": "Li Lei", "mobile": "*******8000"},
    "tier": None,
    "discount_rate_bp": 500,
    "balance": {"principal": 8000, "bonus": 500, "total": 8500, "currency": "CNY"},
    "points": 120,
    "expires_on": "2028-11-23",
    "read_as": "swiped",
    "currency": "CNY",
}


class CardOut(Schema):
    """One card as the counter shows it. The full number is given (the till needs it for
    the next call, and a UID or track read may be all it had); lists mask numbers."""

    model_config = _examples(_CARD_EXAMPLE)
    number: str
    number_masked: str
    state: str
    product: ProductOut
    member: MemberOut | None
    tier: TierOut | None = Field(description="Membership tier, where the product has tiers.")
    discount_rate_bp: int = Field(description="Discount in basis points (500 = 5 %).")
    balance: BalanceOut
    points: int
    expires_on: dt.date | None
    read_as: str | None = Field(description="How the reader input was read; null on GET.")
    currency: str


_OPERATION_EXAMPLE = {
    "operation_id": 1042,
    "kind": "purchase",
    "receipt_number": "R0000001042",
    "card_number_masked": "•••• 0011",
    "store": "S01",
    "terminal": "till-1",
    "created_at": "2026-11-23T14:05:09.123456+08:00",
    "business_date": "2026-11-23",
    "gross": 5000,
    "discount": 250,
    "net": 4750,
    "paid_from_balance": 4750,
    "paid_other": 0,
    "tender": None,
    "bonus_granted": 0,
    "points_earned": 47,
    "points_redeemed": 0,
    "points_taken_back": 0,
    "balance_after": 3750,
    "points_after": 167,
    "reverses": None,
    "refund_of": None,
    "reference": "T1-0042",
    "currency": "CNY",
}


class OperationOut(Schema):
    """One operation as it was when it was made: ``balance_after`` and ``points_after``
    are the card's value and points right after it, whatever happened since."""

    model_config = _examples(_OPERATION_EXAMPLE)
    operation_id: int
    kind: str
    receipt_number: str
    card_number_masked: str
    store: str
    terminal: str | None
    created_at: dt.datetime
    business_date: dt.date
    gross: int
    discount: int
    net: int
    paid_from_balance: int
    paid_other: int
    tender: str | None
    bonus_granted: int
    card_fee: int = Field(
        0, description="A card sale: the card fee within `net` (kept by the merchant)."
    )
    deposit: int = Field(
        0,
        description="A card sale: the deposit within `net` (paid back when a one-time card "
        "is handed back, `deposit_refunded`). Its own receipt line.",
    )
    points_earned: int
    points_redeemed: int = Field(description="Points that paid part of a purchase.")
    points_taken_back: int
    balance_after: int
    points_after: int
    reverses: int | None
    refund_of: int | None
    reference: str
    currency: str


class TransferOut(Schema):
    debit: str
    credit: str
    unit: Literal["money", "points"]
    amount: int
    debit_balance_after: int | None
    credit_balance_after: int | None


class ReceiptOut(Schema):
    number: str
    lines: list[str]


class OperationDetailOut(OperationOut):
    model_config = _examples(
        {
            **_OPERATION_EXAMPLE,
            "transfers": [
                {
                    "debit": "card_principal",
                    "credit": "value_redeemed:S01",
                    "unit": "money",
                    "amount": 4750,
                    "debit_balance_after": 3250,
                    "credit_balance_after": None,
                }
            ],
            "receipt": {"number": "R0000001042", "lines": ["Store S01", "Purchase 50.00 CNY"]},
        }
    )
    transfers: list[TransferOut]
    receipt: ReceiptOut


class OperationPage(Schema):
    model_config = _examples({"items": [_OPERATION_EXAMPLE], "next_cursor": "b3A6MTA0Mg"})
    items: list[OperationOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class StockCardOut(Schema):
    number: str
    product: ProductRef


class StockPage(Schema):
    model_config = _examples(
        {
            "items": [{"number": "8810000000000029", "product": {"code": "gold", "name": "Gold"}}],
            "next_cursor": None,
        }
    )
    items: list[StockCardOut]
    next_cursor: str | None
