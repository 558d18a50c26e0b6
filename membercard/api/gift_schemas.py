"""Request and response shapes of the gift endpoints (see ``schemas.py`` for the
conventions: strict integers, examples for the docs)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from membercard.api.schemas import (
    _OPERATION_EXAMPLE,
    Pin,
    ReadAsName,
    RequestBody,
    _examples,
    read_as_field,
)


class GiftRedemptionIn(RequestBody):
    model_config = _examples({"gift": "MUG-01", "quantity": 1})
    gift: str = Field(min_length=1, max_length=32, description="The gift's code.")
    quantity: int = Field(1, strict=True, ge=1, le=99, examples=[1])
    pin: Pin | None = Field(None, description="The card's PIN (products that need one to pay).")
    read_as: ReadAsName = read_as_field()


class GiftRedemptionOut(Schema):
    """A gift redemption as it was made: ``points_after`` is the card's points right
    after it, whatever happened since."""

    model_config = _examples(
        {
            **{k: _OPERATION_EXAMPLE[k] for k in ("card_number_masked", "store", "terminal")},
            "operation_id": 1043,
            "kind": "gift_redemption",
            "receipt_number": "R0000001043",
            "created_at": "2026-11-23T14:07:41.004512+08:00",
            "business_date": "2026-11-23",
            "gift_code": "MUG-01",
            "gift_name": "Mug",
            "quantity": 1,
            "points_price": 100,
            "points_used": 100,
            "points_after": 67,
            "balance_after": 3750,
            "currency": "CNY",
        }
    )
    operation_id: int
    kind: str
    receipt_number: str
    card_number_masked: str
    store: str
    terminal: str | None
    created_at: dt.datetime
    business_date: dt.date
    gift_code: str
    gift_name: str
    quantity: int
    points_price: int
    points_used: int
    points_after: int
    balance_after: int
    currency: str


class GiftOut(Schema):
    code: str
    name: str
    description: str
    points_price: int
    quantity: int = Field(description="Pieces in stock at this store.")
    picture_url: str | None = Field(description="Absolute URL of the picture, if any.")
    active_until: dt.date | None = Field(description="Last day it is offered; null: no end.")


class GiftList(Schema):
    model_config = _examples(
        {
            "items": [
                {
                    "code": "MUG-01",
                    "name": "Mug",
                    "description": "White porcelain mug, 300 ml.",
                    "points_price": 100,
                    "quantity": 12,
                    "picture_url": "https://cards.example.com/media/gifts/mug-01.png",
                    "active_until": "2026-12-31",
                }
            ]
        }
    )
    items: list[GiftOut]
