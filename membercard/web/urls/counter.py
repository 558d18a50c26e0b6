"""Addresses of the counter pages (names are in the ``web`` namespace, mounted at
``/counter/``). Pages that act on a card are opened with the panel's signed handle
``?ref=`` (never a card number in a URL) and post the number back in the form's body; on
an operation, ``?operation=<id>``."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import (
    approvals,
    counter,
    counter_card_life,
    counter_find,
    counter_ops,
    counter_receipt,
)

urlpatterns: list = [
    path("", counter.counter, name="counter"),
    path("card/", counter.card, name="counter-card"),
    path("quote/", counter.quote, name="counter-quote"),
    path("purchase/", counter.confirm_purchase, name="counter-purchase"),
    path("find/", counter_find.find_cards, name="counter-find"),
    path("sell/", counter_ops.sell, name="counter-sell"),
    path("top-up/", counter_ops.topup, name="counter-topup"),
    path("refund/", counter_ops.refund_view, name="counter-refund"),
    path("reverse/", counter_ops.reverse_view, name="counter-reverse"),
    path("gift/", counter_ops.gift, name="counter-gift"),
    path("member/", counter_ops.member, name="counter-member"),
    path("freeze/", counter_card_life.freeze, name="counter-freeze"),
    path("unfreeze/", counter_card_life.unfreeze, name="counter-unfreeze"),
    path("replace/", counter_card_life.replace, name="counter-replace"),
    path("hand-back/", counter_card_life.hand_back, name="counter-hand-back"),
    path("pin-unlock/", counter_card_life.pin_unlock, name="counter-pin-unlock"),
    path("receipts/<int:operation_id>/", counter_receipt.receipt, name="receipt"),
    path("approvals/", approvals.counter_approvals, name="counter-approvals"),
]
