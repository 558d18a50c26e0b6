"""A one-time card handed back (membercard.operations.hand_back): the deposit paid back by a
tender, value left refused or paid out by the product's policy, the card back in stock or
left recovered (to check). Issue #16: keychain100 sold at S01 for 110.00 (100.00 value +
10.00 deposit)."""

from __future__ import annotations

import pytest

from membercard.approvals.settings_changes import request_product_change
from membercard.cards.models import ValueOnHandBack
from membercard.cards.states import CardState
from membercard.core.errors import (
    InvalidTransition,
    NotPermitted,
    ProductPolicyViolation,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.ledger.verify import verify_ledger
from membercard.operations.card_life import freeze_card
from membercard.operations.hand_back import hand_back_card
from membercard.operations.sales import sell_card
from tests import factories as f
from tests.ledger.helpers import house, pay, refused

pytestmark = pytest.mark.django_db


def keychain(**policy):
    """keychain100: a one-time card worth 100.00 with a 10.00 deposit, earning points."""
    return f.product(
        rechargeable=False,
        face_values=[10_000],
        deposit_minor=1_000,
        has_points=True,
        points_per_unit=1,
        **policy,
    )


def hand_back(actor, card, **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    kwargs.setdefault("tender", "cash")
    return hand_back_card(actor=actor, card_number=card.number, **kwargs)


def test_a_spent_keychain_card_is_handed_back_and_its_deposit_paid_back(cashier):
    # Given keychain100 sold at S01 for 110.00 and spent to zero
    card = f.sold_card(cashier, keychain(), 10_000)
    assert house("tender:S01:cash") == -11_000  # the till is debited with what comes in
    pay(cashier, card, 10_000)
    # When the customer hands it back
    op = hand_back(cashier, card)
    # Then 10.00 goes back in cash, as the deposit, and nothing else
    assert (op.kind, op.gross_minor, op.net_minor, op.tender) == (
        OperationKind.CARD_RECOVERY,
        1_000,
        1_000,
        "cash",
    )
    assert op.details == {
        "deposit_refunded_minor": 1_000,
        "value_paid_out_minor": 0,
        "bonus_forfeited_minor": 0,
        "card_state": "recovered",
    }
    assert (house("deposits:S01"), house("tender:S01:cash")) == (0, -10_000)  # 110 in, 10 out
    # And the card waits at S01 to be checked, owned by nobody
    card.refresh_from_db()
    assert (card.state, card.location, card.member) == (
        CardState.RECOVERED,
        cashier.location,
        None,
    )
    assert verify_ledger().problems == []


def test_value_left_is_refused_by_default(cashier):
    product = keychain()
    assert product.value_on_hand_back == ValueOnHandBack.REFUSE
    card = f.sold_card(cashier, product, 10_000)
    pay(cashier, card, 6_000)
    with refused(ProductPolicyViolation, "product_policy", card) as info:
        hand_back(cashier, card)
    assert info.value.extra == {"value_minor": 4_000}
    assert "spend it" in info.value.message


def test_value_left_is_paid_out_where_the_product_says_so(cashier):
    # Given a pay-out keychain card with 40.00 principal and 5.00 bonus left
    product = keychain(value_on_hand_back=ValueOnHandBack.PAY_OUT, bonus_rules=[[10_000, 500]])
    card = f.sold_card(cashier, product, 10_000)
    pay(cashier, card, 6_000)  # principal first
    assert f.balances(card)[:2] == (4_000, 500)
    till_before = house("tender:S01:bank_card")
    # When it is handed back, paid back by bank card
    op = hand_back(cashier, card, tender="bank_card")
    # Then the deposit and the principal are paid out, the bonus goes to breakage
    assert (op.gross_minor, op.net_minor, op.tender) == (5_000, 5_000, "bank_card")
    assert op.details["value_paid_out_minor"] == 4_000
    assert op.details["bonus_forfeited_minor"] == 500
    assert op.details["deposit_refunded_minor"] == 1_000
    assert house("tender:S01:bank_card") - till_before == 5_000  # out of the till
    assert house("breakage:HQ") == 500
    assert house("deposits:S01") == 0
    assert f.balances(card) == (0, 0, 0)
    assert verify_ledger().problems == []


def test_a_replay_answers_with_the_first_hand_back(cashier):
    card = f.sold_card(cashier, keychain(), 10_000)
    pay(cashier, card, 10_000)
    key = f.key()
    first = hand_back(cashier, card, idempotency_key=key)
    again = hand_back(cashier, card, idempotency_key=key)
    assert again.pk == first.pk and again.replayed
    assert Operation.objects.filter(kind=OperationKind.CARD_RECOVERY).count() == 1
    assert house("deposits:S01") == 0


def test_a_manager_puts_a_card_fit_to_sell_straight_back_into_stock(cashier, manager):
    card = f.sold_card(cashier, keychain(), 10_000)
    pay(cashier, card, 10_000)
    op = hand_back(manager, card, fit_to_sell=True)
    card.refresh_from_db()
    assert (card.state, card.location, card.sold_at) == (CardState.IN_STOCK, manager.location, None)
    assert op.details["card_state"] == "in_stock"
    # And it sells again, its new deposit held again
    sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=10_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    assert house("deposits:S01") == 1_000


def test_a_cashier_may_not_say_fit_to_sell(cashier):
    card = f.sold_card(cashier, keychain(), 10_000)
    pay(cashier, card, 10_000)
    with refused(NotPermitted, "not_permitted", card):
        hand_back(cashier, card, fit_to_sell=True)


def test_only_an_active_one_time_card_is_handed_back(cashier):
    frozen = f.sold_card(cashier, keychain(), 10_000)
    pay(cashier, frozen, 10_000)
    freeze_card(actor=cashier, card_number=frozen.number)
    with refused(InvalidTransition, "invalid_transition", frozen):
        hand_back(cashier, frozen)
    rechargeable = f.sold_card(cashier, f.product(), 0, tender="")
    with refused(ProductPolicyViolation, "product_policy", rechargeable):
        hand_back(cashier, rechargeable)


def test_money_paid_back_needs_a_tender(cashier):
    card = f.sold_card(cashier, keychain(), 10_000)
    pay(cashier, card, 10_000)
    with refused(ValidationFailed, "validation_error", card):
        hand_back(cashier, card, tender="")


def test_the_stock_keeper_does_not_take_cards_back(cashier):
    card = f.sold_card(cashier, keychain(), 10_000)
    pay(cashier, card, 10_000)
    with refused(NotPermitted, "not_permitted", card):
        hand_back(f.actor(Role.HQ_STOCK), card)


def test_the_value_policy_changes_only_under_four_eyes():
    # Given a keychain product that refuses value left
    product = keychain()
    admin = f.actor(Role.HQ_ADMIN, f.hq())
    # When the admin switches it to pay out
    product.value_on_hand_back = ValueOnHandBack.PAY_OUT
    saved = request_product_change(actor=admin, product=product, idempotency_key=f.key())
    # Then a request waits for someone else, and the product still refuses
    assert saved.request is not None
    assert saved.request.payload["changes"] == {"value_on_hand_back": "pay_out"}
    product.refresh_from_db()
    assert product.value_on_hand_back == ValueOnHandBack.REFUSE
