"""Prepaid limits hold on every path that puts value on a card, not only sale and top-up:
an adjustment, a replacement (the new card receives the old one's value), a recovery
(which moves no value onto any card). Refusals are the sale's and top-up's
``PrepaidLimitExceeded``, with the same code and fields, and leave nothing posted.

Defaults: anonymous 1 000.00, registered 5 000.00. A card over a limit is made by lowering
the limits with ``set_prepaid_limits`` after the sale."""

from __future__ import annotations

import pytest

from membercard.cards.states import CardState
from membercard.ledger.models import AccountKind, OperationKind, Transfer
from membercard.loyalty.errors import PrepaidLimitExceeded
from membercard.loyalty.models import Member
from membercard.loyalty.services import set_prepaid_limits
from membercard.operations import adjust
from membercard.operations.card_life import freeze_card, recover_card, replace_card
from tests import factories as f
from tests.ledger.helpers import pay, refused

pytestmark = pytest.mark.django_db

CARD_VALUE = (AccountKind.CARD_PRINCIPAL, AccountKind.CARD_BONUS)


def correct(actor, card, bucket, delta):
    return adjust(
        actor=actor, card_number=card.number, bucket=bucket, delta=delta,
        reason="customer complaint", idempotency_key=f.key(),
    )  # fmt: skip


def swap(actor, old, new):
    return replace_card(
        actor=actor, old_number=old.number, new_number=new.number, idempotency_key=f.key()
    )


def lower_limits(actor, anonymous: int, registered: int) -> None:
    set_prepaid_limits(
        actor=actor, anonymous_limit_minor=anonymous, registered_limit_minor=registered,
        reason="regulator guidance",
    )  # fmt: skip


@pytest.fixture
def member():
    return Member.objects.create(name="Zhou Min", mobile="13500000001")


# Adjustments -------------------------------------------------------------------------------


def test_an_adjustment_does_not_take_a_registered_card_past_5000(cashier, finance, member):
    # Given the card of the incident: registered, 798.50 on it
    card = f.sold_card(cashier, f.product(), 79_850, member=member)
    # When HQ finance adds 5 000.00, it is refused like a top-up, and nothing is posted
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card) as info:
        correct(finance, card, "principal", 500_000)
    assert info.value.extra == {
        "limit_minor": 500_000,
        "headroom_minor": 420_150,
        "registered": True,
    }
    assert "5,000.00" in info.value.message and "4,201.50" in info.value.message
    # And the headroom itself is accepted
    correct(finance, card, "principal", 420_150)
    assert f.balances(card)[:2] == (500_000, 0)


def test_an_adjustment_of_the_bonus_counts_towards_an_anonymous_cards_limit(cashier, finance):
    card = f.sold_card(cashier, f.product(), 80_000)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card) as info:
        correct(finance, card, "bonus", 20_001)
    assert info.value.extra == {"limit_minor": 100_000, "headroom_minor": 20_000,
                                "registered": False}  # fmt: skip
    correct(finance, card, "bonus", 20_000)
    assert f.balances(card)[:2] == (80_000, 20_000)


def test_an_adjustment_of_a_frozen_card_is_held_to_its_limit_too(cashier, finance):
    card = f.sold_card(cashier, f.product(), 100_000)
    freeze_card(actor=cashier, card_number=card.number)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card):
        correct(finance, card, "principal", 1)


def test_a_card_over_a_lowered_limit_is_still_adjusted_down_but_not_up(cashier, finance):
    card = f.sold_card(cashier, f.product(), 80_000)
    lower_limits(finance, 50_000, 200_000)
    # Taking value away works though the card stays over its new limit
    op = correct(finance, card, "principal", -10_000)
    assert (op.kind, f.balances(card)[0]) == (OperationKind.ADJUSTMENT, 70_000)
    # Adding the least amount does not
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card) as info:
        correct(finance, card, "principal", 1)
    assert (info.value.extra["limit_minor"], info.value.extra["headroom_minor"]) == (50_000, 0)


def test_points_are_not_value_and_are_adjusted_at_the_limit(cashier, finance):
    card = f.sold_card(cashier, f.product(has_points=True, points_per_unit=1), 100_000)
    correct(finance, card, "points", 500)
    assert f.balances(card) == (100_000, 0, 500)


# Replacements ------------------------------------------------------------------------------


@pytest.mark.parametrize("registered", [False, True])
def test_a_replacement_the_new_cards_limit_cannot_take_is_refused(
    cashier, finance, member, registered
):
    product = f.product(bonus_rules=[[90_000, 9_000]])
    old = f.sold_card(cashier, product, 90_000, member=member if registered else None)
    assert f.balances(old)[:2] == (90_000, 9_000)
    lower_limits(finance, 60_000, 90_000)  # principal + bonus is 990.00: over either
    freeze_card(actor=cashier, card_number=old.number)
    new = f.stock_card(product, cashier.location)
    # Nothing moves, neither card changes state or member, no operation is written
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", old, new) as info:
        swap(cashier, old, new)
    limit = 90_000 if registered else 60_000
    assert info.value.extra == {"limit_minor": limit, "headroom_minor": limit,
                                "registered": registered}  # fmt: skip
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, new.state) == (CardState.FROZEN, CardState.IN_STOCK)


def test_a_replacement_within_the_limit_still_moves_everything(cashier, finance):
    product = f.product()
    old = f.sold_card(cashier, product, 50_000)
    lower_limits(finance, 50_000, 100_000)  # exactly at the new anonymous limit
    new = f.stock_card(product, cashier.location)
    swap(cashier, old, new)
    assert (f.balances(old)[0], f.balances(new)[0]) == (0, 50_000)


def test_the_registered_limit_follows_the_member_carried_over(cashier, member):
    # 3 000.00 is over the anonymous limit, within the registered one: the new card is
    # registered, since the member moves to it
    product = f.product()
    old = f.sold_card(cashier, product, 300_000, member=member)
    new = f.stock_card(product, cashier.location)
    swap(cashier, old, new)
    new.refresh_from_db()
    assert (new.member, f.balances(new)[0]) == (member, 300_000)


# Recovery ----------------------------------------------------------------------------------


def test_a_recovery_moves_no_value_onto_a_card_so_no_limit_stops_it(cashier, finance):
    keychain = f.product(rechargeable=False, face_values=[5_000], deposit_minor=1_000)
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    lower_limits(finance, 0, 0)
    op = recover_card(actor=cashier, card_number=card.number, idempotency_key=f.key())
    assert op.kind == OperationKind.CARD_RECOVERY
    credited = Transfer.objects.filter(operation=op, credit_account__kind__in=CARD_VALUE)
    assert not credited.exists()
    assert op.transfers.get().amount == 1_000  # the deposit, paid back from the house
