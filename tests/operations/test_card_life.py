"""A card's life after sale (membercard.operations.card_life): freeze, unfreeze, replace, recover,
restock."""

from __future__ import annotations

import pytest

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.errors import (
    CardNotActive,
    CardNotFound,
    CardNotInStock,
    InvalidTransition,
    NotPermitted,
    ProductPolicyViolation,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.ledger.models import (
    ChainLink,
    OperationKind,
)
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.models import Member
from membercard.operations import sell_card
from membercard.operations.card_life import (
    freeze_card,
    recover_card,
    replace_card,
    restock_card,
    unfreeze_card,
)
from tests import factories as f
from tests.ledger.helpers import house, pay, refused

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


def swap(actor, old, new, **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    return replace_card(actor=actor, old_number=old.number, new_number=new.number, **kwargs)


def take_back(actor, card, **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    return recover_card(actor=actor, card_number=card.number, **kwargs)


@pytest.fixture
def keychain():
    """A one-time card worth 50.00 with a 10.00 deposit, earning points."""
    return f.product(
        rechargeable=False,
        face_values=[5_000],
        deposit_minor=1_000,
        has_points=True,
        points_per_unit=1,
    )


def state_of(card: Card) -> str:
    card.refresh_from_db()
    return card.state


# Freeze and unfreeze -----------------------------------------------------------------------


def test_a_frozen_card_cannot_pay_until_a_manager_unfreezes_it(cashier, manager):
    # Given an active card
    card = f.sold_card(cashier, f.product(), 5_000)
    # When the cashier freezes it (reported lost)
    op = freeze_card(actor=cashier, card_number=card.number, reason="  reported lost ")
    # Then it is frozen, on its chain, and cannot pay
    assert state_of(card) == CardState.FROZEN
    assert (op.kind, op.reason, op.transfers.count()) == (
        OperationKind.CARD_FROZEN,
        "reported lost",
        0,
    )
    with refused(CardNotActive, "card_not_active", card):
        pay(cashier, card, 100)
    # And the cashier may not unfreeze it
    with refused(NotPermitted, "not_permitted", card):
        unfreeze_card(actor=cashier, card_number=card.number)
    # But the manager may, and then it pays again with its balance intact
    back = unfreeze_card(actor=manager, card_number=card.number, reason="found")
    assert back.kind == OperationKind.CARD_UNFROZEN
    assert state_of(card) == CardState.ACTIVE
    pay(cashier, card, 100)
    assert f.balances(card) == (4_900, 0, 0)
    card.refresh_from_db()
    assert card.chain_length == 4
    assert verify_ledger().problems == []


def test_any_store_freezes_a_lost_card(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    elsewhere = f.actor(Role.STORE_CASHIER, f.store("S02"))
    freeze_card(actor=elsewhere, card_number=card.number)
    assert state_of(card) == CardState.FROZEN


@pytest.mark.parametrize("role", [Role.HQ_FINANCE, Role.HQ_ADMIN])
def test_hq_money_roles_may_unfreeze(cashier, role):
    card = f.sold_card(cashier, f.product(), 5_000)
    freeze_card(actor=cashier, card_number=card.number)
    unfreeze_card(actor=f.actor(role), card_number=card.number)
    assert state_of(card) == CardState.ACTIVE


def test_the_stock_keeper_neither_freezes_nor_unfreezes(cashier):
    keeper = f.actor(Role.HQ_STOCK)
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(NotPermitted, "not_permitted", card):
        freeze_card(actor=keeper, card_number=card.number)
    freeze_card(actor=cashier, card_number=card.number)
    with refused(NotPermitted, "not_permitted", card):
        unfreeze_card(actor=keeper, card_number=card.number)


def test_a_frozen_card_is_not_frozen_again(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    freeze_card(actor=cashier, card_number=card.number)
    with refused(InvalidTransition, "invalid_transition", card):
        freeze_card(actor=cashier, card_number=card.number)


def test_a_card_in_stock_is_not_frozen(cashier):
    card = f.stock_card(f.product(), cashier.location)
    with refused(InvalidTransition, "invalid_transition", card):
        freeze_card(actor=cashier, card_number=card.number)


def test_an_active_card_is_not_unfrozen(cashier, manager):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(InvalidTransition, "invalid_transition", card):
        unfreeze_card(actor=manager, card_number=card.number)


def test_an_unknown_card_is_not_frozen(cashier):
    with refused(CardNotFound, "card_not_found"):
        freeze_card(actor=cashier, card_number="8800000000000000")


# Replacement -------------------------------------------------------------------------------


def test_a_replacement_card_takes_over_everything(cashier):
    # Given a card with principal, bonus, points, a member, an expiry and a PIN
    product = f.product(
        bonus_rules=[[10_000, 1_000]],
        has_points=True,
        points_per_unit=1,
        validity_months=24,
        pin_required=True,
    )
    member = Member.objects.create(name="Wang Fang", mobile="13700000003")
    old = f.sold_card(cashier, product, 10_000, member=member, pin="8642")
    pay(cashier, old, 2_000, pin="8642")
    assert f.balances(old) == (8_000, 1_000, 20)
    # And it was reported lost
    freeze_card(actor=cashier, card_number=old.number)
    new = f.stock_card(product, cashier.location)
    # When it is replaced by a card from the store's stock
    op = swap(cashier, old, new, reason="lost")
    # Then everything moved to the new card, which is active
    old.refresh_from_db()
    new.refresh_from_db()
    assert f.balances(new) == (8_000, 1_000, 20)
    assert f.balances(old) == (0, 0, 0)
    assert (new.state, new.location, new.member, new.expires_on, new.sold_at) == (
        CardState.ACTIVE,
        None,
        member,
        old.expires_on,
        old.sold_at,
    )
    assert new.pin_hash == old.pin_hash
    # And the old card is replaced, pointing at the new one
    assert (old.state, old.replaced_by) == (CardState.REPLACED, new)
    # And the operation is on both cards' chains
    assert (op.kind, op.card, op.related_card, op.reason) == (
        OperationKind.CARD_REPLACEMENT,
        old,
        new,
        "lost",
    )
    assert set(ChainLink.objects.filter(operation=op).values_list("card_id", flat=True)) == {
        old.pk,
        new.pk,
    }
    # And the new card pays with the old PIN; the old one no longer pays
    pay(cashier, new, 1_000, pin="8642")
    with refused(CardNotActive, "card_not_active", old):
        pay(cashier, old, 100, pin="8642")
    assert verify_ledger().problems == []


def test_an_empty_card_is_replaced_too(cashier):
    product = f.product()
    old = f.sold_card(cashier, product, 0, tender="")
    new = f.stock_card(product, cashier.location)
    op = swap(cashier, old, new)
    assert op.transfers.count() == 0
    assert state_of(new) == CardState.ACTIVE


def test_a_replacement_is_of_the_same_product(cashier):
    old = f.sold_card(cashier, f.product(), 5_000)
    new = f.stock_card(f.product(), cashier.location)
    with refused(ProductPolicyViolation, "product_policy", old, new):
        swap(cashier, old, new)


def test_the_replacement_comes_from_this_stores_stock(cashier):
    product = f.product()
    old = f.sold_card(cashier, product, 5_000)
    active = f.sold_card(cashier, product, 1_000)
    elsewhere = f.stock_card(product, f.store("S02"))
    for new in (active, elsewhere):
        with refused(CardNotInStock, "card_not_in_stock", old, new):
            swap(cashier, old, new)


def test_only_a_card_in_a_customers_hands_is_replaced(cashier):
    product = f.product()
    in_stock, new = f.stock_card(product, cashier.location), f.stock_card(product, cashier.location)
    with refused(InvalidTransition, "invalid_transition", in_stock, new):
        swap(cashier, in_stock, new)


def test_a_card_does_not_replace_itself(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(InvalidTransition, "invalid_transition", card):
        swap(cashier, card, card)


def test_a_replaced_card_is_not_replaced_again(cashier):
    product = f.product()
    old = f.sold_card(cashier, product, 5_000)
    first, second = f.stock_card(product, cashier.location), f.stock_card(product, cashier.location)
    swap(cashier, old, first)
    with refused(InvalidTransition, "invalid_transition", old, second):
        swap(cashier, old, second)


def test_the_stock_keeper_does_not_replace_cards(cashier):
    keeper = f.actor(Role.HQ_STOCK)
    product = f.product()
    old = f.sold_card(cashier, product, 5_000)
    new = f.stock_card(product, keeper.location)
    with refused(NotPermitted, "not_permitted", old, new):
        swap(keeper, old, new)


# Recovery of one-time cards ----------------------------------------------------------------


def test_a_spent_one_time_card_is_recovered_and_its_deposit_paid_back(cashier, keychain):
    # Given a keychain card sold to a member for 50.00 + 10.00 deposit, spent to zero
    member = Member.objects.create(name="Zhao Lei", mobile="13600000004")
    card = f.sold_card(cashier, keychain, 5_000, member=member)
    pay(cashier, card, 5_000)
    assert f.balances(card) == (0, 0, 50)
    assert house("deposits:S01") == 1_000
    # When the customer hands it back and takes the deposit in cash
    op = take_back(cashier, card, tender="cash")
    # Then the deposit is paid back by the tender, left-over points lapse
    assert (op.kind, op.gross_minor, op.net_minor, op.tender) == (
        OperationKind.CARD_RECOVERY,
        1_000,
        1_000,
        "cash",
    )
    assert house("deposits:S01") == 0
    assert house("tender:S01:cash") == -5_000  # took 60.00, gave back 10.00
    assert house("points_expired:HQ") == 50
    assert f.balances(card) == (0, 0, 0)
    # And the card sits here as recovered, owned by nobody
    card.refresh_from_db()
    assert (card.state, card.location, card.member, card.pin_hash, card.expires_on) == (
        CardState.RECOVERED,
        cashier.location,
        None,
        "",
        None,
    )
    assert verify_ledger().problems == []


def test_a_card_is_recovered_at_another_store(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    other = f.actor(Role.STORE_CASHIER, f.store("S02"))
    take_back(other, card, tender="mobile_pay")
    # The deposit held by the selling store is paid out at the receiving store's till
    assert house("deposits:S01") == 0
    assert house("tender:S02:mobile_pay") == 1_000
    card.refresh_from_db()
    assert card.location == other.location


def test_a_one_time_card_without_deposit_needs_no_tender(cashier):
    card = f.sold_card(cashier, f.product(rechargeable=False, face_values=[2_000]), 2_000)
    pay(cashier, card, 2_000)
    op = take_back(cashier, card, tender="")
    assert (op.gross_minor, op.tender, op.transfers.count()) == (0, "", 0)
    assert state_of(card) == CardState.RECOVERED


def test_a_rechargeable_card_is_not_recovered(cashier):
    card = f.sold_card(cashier, f.product(), 0, tender="")
    with refused(ProductPolicyViolation, "product_policy", card):
        take_back(cashier, card)


def test_a_card_with_value_left_is_not_recovered(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 4_999)
    with refused(ProductPolicyViolation, "product_policy", card) as info:
        take_back(cashier, card)
    assert info.value.extra == {"value_minor": 1}


def test_paying_back_a_deposit_names_the_tender(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    with refused(ValidationFailed, "validation_error", card):
        take_back(cashier, card, tender="")


def test_a_frozen_card_is_not_recovered(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    freeze_card(actor=cashier, card_number=card.number)
    with refused(InvalidTransition, "invalid_transition", card):
        take_back(cashier, card)


def test_the_stock_keeper_does_not_take_cards_back(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    with refused(NotPermitted, "not_permitted", card):
        take_back(f.actor(Role.HQ_STOCK), card)


def test_the_deposit_follows_a_replacement(cashier, keychain):
    # Given a keychain card (10.00 deposit) lost and replaced before it was spent
    old = f.sold_card(cashier, keychain, 5_000)
    new = f.stock_card(keychain, cashier.location)
    swap(cashier, old, new)
    # When the replacement is spent to zero and handed back
    pay(cashier, new, 5_000)
    op = take_back(cashier, new, tender="cash")
    # Then the deposit the customer paid for the first card is paid back
    assert op.gross_minor == 1_000
    assert house("deposits:S01") == 0
    assert verify_ledger().problems == []


# Restocking --------------------------------------------------------------------------------


def test_a_recovered_card_is_restocked_and_sold_again(cashier, manager, keychain):
    # Given a keychain card sold, spent and recovered at the store
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    take_back(cashier, card, tender="cash")
    # When the manager puts it back into stock
    assert restock_card(actor=manager, card_number=card.number) is None
    # Then it is in stock here, sold by nobody
    card.refresh_from_db()
    assert (card.state, card.location, card.sold_at) == (CardState.IN_STOCK, manager.location, None)
    # And it sells, spends and comes back again, the second deposit paid back too
    sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=5_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    assert f.balances(card) == (5_000, 0, 0)
    pay(cashier, card, 5_000)
    again = take_back(cashier, card, tender="cash")
    assert again.gross_minor == 1_000
    assert house("deposits:S01") == 0
    assert verify_ledger().problems == []


def test_a_cashier_does_not_restock(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    take_back(cashier, card, tender="cash")
    with refused(NotPermitted, "not_permitted", card):
        restock_card(actor=cashier, card_number=card.number)


def test_a_card_is_restocked_where_it_was_recovered(cashier, keychain):
    card = f.sold_card(cashier, keychain, 5_000)
    pay(cashier, card, 5_000)
    take_back(cashier, card, tender="cash")
    other = f.actor(Role.STORE_MANAGER, f.store("S02"))
    with refused(CardNotInStock, "card_not_in_stock", card):
        restock_card(actor=other, card_number=card.number)


def test_only_a_recovered_card_is_restocked(cashier, manager):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(CardNotInStock, "card_not_in_stock", card):
        restock_card(actor=manager, card_number=card.number)
