"""Request and response shapes of the hand-back of a one-time card (see ``schemas.py`` for
the conventions: strict integers, examples for the docs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from membercard.api.schemas import (
    _OPERATION_EXAMPLE,
    OperationOut,
    ReadAsName,
    RequestBody,
    TenderName,
    _examples,
    read_as_field,
)


class HandBackIn(RequestBody):
    model_config = _examples({"tender": "cash"}, {"tender": "cash", "fit_to_sell": True})
    tender: TenderName | None = Field(
        None,
        description="How the deposit (and any value paid out) is paid back; needed whenever "
        "money is paid back.",
    )
    fit_to_sell: bool = Field(
        False,
        strict=True,
        description="The card goes back into this store's stock at once. Only for those who "
        "may restock (a store manager, not a terminal key: 403 `not_permitted`); otherwise "
        "the card waits at the store as `recovered` for the manager or HQ to check.",
    )
    read_as: ReadAsName = read_as_field()


class HandBackOut(OperationOut):
    """A hand-back as it was made: the money paid back, line by line, and where the card
    went."""

    model_config = _examples(
        {
            **_OPERATION_EXAMPLE,
            "kind": "card_recovery",
            "gross": 1000,
            "discount": 0,
            "net": 1000,
            "paid_from_balance": 0,
            "tender": "cash",
            "points_earned": 0,
            "balance_after": 0,
            "points_after": 0,
            "deposit_refunded": 1000,
            "value_paid_out": 0,
            "bonus_forfeited": 0,
            "card_state": "recovered",
        }
    )
    deposit_refunded: int = Field(description="The deposit paid back (its own receipt line).")
    value_paid_out: int = Field(
        description="Principal left on the card, paid out (products that pay value out)."
    )
    bonus_forfeited: int = Field(description="Bonus left on the card, kept by the house.")
    card_state: Literal["recovered", "in_stock"] = Field(
        description="Where the card went: back into this store's stock, or waiting to be "
        "checked (`recovered`)."
    )
