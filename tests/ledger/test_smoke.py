import pytest

from membercard.core.models import Role
from membercard.ledger.verify import verify_ledger
from membercard.operations import purchase, refund, reverse, top_up
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_life_of_a_card():
    cashier = f.actor(Role.STORE_CASHIER)
    finance = f.actor(Role.HQ_FINANCE)
    prod = f.product(
        has_discount=True,
        discount_rate_bp=1000,
        has_points=True,
        points_per_unit=1,
        bonus_rules=[[10_000, 1_000]],
    )
    card = f.sold_card(cashier, prod, 10_000)
    assert f.balances(card) == (10_000, 1_000, 0)
    top_up(
        actor=finance,
        card_number=card.number,
        amount_minor=5_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    op = purchase(
        actor=cashier, card_number=card.number, amount_minor=2_000, idempotency_key=f.key()
    )
    assert (op.gross_minor, op.discount_minor, op.net_minor) == (2_000, 200, 1_800)
    assert f.balances(card) == (13_200, 1_000, 18)
    r = refund(actor=cashier, operation_id=op.pk, amount_minor=900, idempotency_key=f.key())
    assert f.balances(card) == (14_100, 1_000, 9)
    reverse(actor=cashier, operation_id=r.pk, idempotency_key=f.key())
    assert f.balances(card) == (13_200, 1_000, 18)
    summary = verify_ledger()
    assert summary.problems == []
