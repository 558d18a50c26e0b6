"""The counter's other operations: sell, top up, refund, reverse, gift, member, freeze,
replace, PIN unlock (membercard.web.views.counter_ops)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.loyalty.models import Member
from membercard.operations import purchase
from tests import factories as f
from tests.loyalty.gift_helpers import new_gift, quantity, stocked
from tests.loyalty.helpers import points_product
from tests.web.test_counter_helpers import HTMX, key_in, seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def cashier(client_for):
    f.hq()
    return client_for(Role.STORE_CASHIER)


@pytest.fixture
def manager(client_for):
    f.hq()
    return client_for(Role.STORE_MANAGER)


def link(client, card, link_id: str) -> str:
    """The address of the card panel's link ``link_id`` (it names the card by a handle)."""
    panel = client.post("/counter/card/", {"card": card.number}, headers=HTMX).content.decode()
    match = re.search(rf'id="{link_id}" href="([^"]+)"', panel)
    assert match, f"no #{link_id} on the panel"
    return html.unescape(match.group(1))


def receipt_id(response) -> int:
    assert response.status_code == 302, response.content[:2000]
    location = response["Location"]
    assert location.startswith("/counter/receipts/")
    return int(location.rstrip("/").rsplit("/", 1)[1])


# Sell ----------------------------------------------------------------------------------------


def test_sell_page_has_the_contract_fields(cashier):
    response = cashier.get("/counter/sell/")
    html = response.content.decode()
    assert response.status_code == 200
    for name in (
        "card",
        "initial_value",
        "tender",
        "member_name",
        "member_mobile",
        "idempotency_key",
    ):
        assert f'name="{name}"' in html
    assert 'id="sell-submit"' in html
    assert '<option value="cash" selected>' in html


def test_sell_a_card_from_stock_with_a_new_member(cashier):
    card = f.stock_card(f.product(), f.store())
    response = cashier.post(
        "/counter/sell/",
        {
            "card": card.number,
            "initial_value": "200",
            "tender": "bank_card",
            "member_name": "Li Na",
            "member_mobile": "13800138000",
            "idempotency_key": f.key(),
        },
    )
    operation = Operation.objects.get(pk=receipt_id(response))
    assert (operation.kind, operation.tender, operation.gross_minor) == (
        "card_sale",
        "bank_card",
        20_000,
    )
    card.refresh_from_db()
    assert card.state == CardState.ACTIVE
    assert card.member.name == "Li Na"
    assert f.balances(card)[0] == 20_000


def test_sell_replay_sells_once(cashier):
    card = f.stock_card(f.product(), f.store())
    data = {
        "card": card.number,
        "initial_value": "50",
        "tender": "cash",
        "idempotency_key": f.key(),
    }
    first = receipt_id(cashier.post("/counter/sell/", data))
    second = receipt_id(cashier.post("/counter/sell/", data))
    assert first == second
    assert Operation.objects.filter(kind=OperationKind.CARD_SALE).count() == 1


def test_sell_refuses_another_stores_card_and_keeps_the_form(cashier):
    other = f.stock_card(f.product(), f.store("S02"))
    data = {
        "card": other.number,
        "initial_value": "50",
        "tender": "cash",
        "idempotency_key": f.key(),
    }
    response = cashier.post("/counter/sell/", data)
    assert response.status_code == 404
    assert b"No card with that number" in response.content
    assert b'value="50"' in response.content
    other.refresh_from_db()
    assert other.state == CardState.IN_STOCK


def test_sell_refuses_a_bad_value_and_half_a_member(cashier):
    card = f.stock_card(f.product(), f.store())
    bad = cashier.post(
        "/counter/sell/",
        {"card": card.number, "initial_value": "-1", "tender": "cash", "idempotency_key": f.key()},
    )
    assert bad.status_code == 422 and b"cannot be negative" in bad.content
    half = cashier.post(
        "/counter/sell/",
        {
            "card": card.number,
            "initial_value": "1",
            "tender": "cash",
            "member_name": "X",
            "idempotency_key": f.key(),
        },
    )
    assert half.status_code == 422
    assert not Operation.objects.exists()


# Top up --------------------------------------------------------------------------------------


def test_top_up_where_allowed(cashier):
    card = f.sold_card(seller(), f.product(stores_may_top_up=True), value_minor=1_000)
    page = cashier.get(link(cashier, card, "topup-link"))
    key = key_in(page.content)
    response = cashier.post(
        "/counter/top-up/",
        {"card": card.number, "amount": "20", "tender": "cash", "idempotency_key": key},
    )
    receipt_id(response)
    assert f.balances(card)[0] == 3_000


def test_top_up_refused_where_only_hq_may(cashier):
    card = f.sold_card(seller(), value_minor=1_000)
    response = cashier.post(
        "/counter/top-up/",
        {"card": card.number, "amount": "20", "tender": "cash", "idempotency_key": f.key()},
    )
    assert response.status_code == 403
    assert b"Only headquarters may top up" in response.content
    assert f.balances(card)[0] == 1_000


# Refund and reverse (managers) -------------------------------------------------------------


def bought(client, card, amount=1_000):
    """A purchase taken by the signed-in staff member of ``client``."""
    return purchase(
        actor=Actor.for_staff(client.staff),
        card_number=card.number,
        amount_minor=amount,
        idempotency_key=f.key(),
    )


def test_manager_refunds_part_of_a_purchase(manager):
    card = f.sold_card(seller(), value_minor=10_000)
    original = bought(manager, card, 4_000)
    page = manager.get("/counter/refund/", {"operation": original.pk})
    assert page.status_code == 200 and b'value="40.00"' in page.content
    response = manager.post(
        "/counter/refund/",
        {
            "operation": original.pk,
            "amount": "15",
            "reason": "broken",
            "idempotency_key": key_in(page.content),
        },
    )
    refund = Operation.objects.get(pk=receipt_id(response))
    assert (refund.kind, refund.refund_of_id, refund.net_minor) == ("refund", original.pk, 1_500)
    assert f.balances(card)[0] == 7_500


def test_refund_more_than_bought_is_refused(manager):
    card = f.sold_card(seller(), value_minor=10_000)
    original = bought(manager, card, 1_000)
    response = manager.post(
        "/counter/refund/", {"operation": original.pk, "amount": "11", "idempotency_key": f.key()}
    )
    assert response.status_code == 422
    assert not Operation.objects.filter(kind=OperationKind.REFUND).exists()


def test_cashier_may_not_reverse_and_refunds_only_under_the_counter_rule(
    cashier, manager, settings
):
    settings.MEMBERCARD_COUNTER_REFUND_LIMIT = 500
    card = f.sold_card(seller(), value_minor=10_000)
    original = bought(manager, card, 1_000)
    assert cashier.get("/counter/reverse/", {"operation": original.pk}).status_code == 403
    response = cashier.post(
        "/counter/reverse/", {"operation": original.pk, "idempotency_key": f.key()}
    )
    assert response.status_code == 403
    # The refund form opens; above the refund threshold the refund is sent for approval.
    assert cashier.get("/counter/refund/", {"operation": original.pk}).status_code == 200
    response = cashier.post(
        "/counter/refund/",
        {"operation": original.pk, "amount": "6", "idempotency_key": f.key()},
        follow=True,
    )
    assert response.status_code == 200
    assert "Sent to a manager for approval: request #" in response.content.decode()
    assert Operation.objects.count() == 2  # the sale and the purchase


def test_manager_reverses_a_purchase_once(manager):
    card = f.sold_card(seller(), value_minor=10_000)
    original = bought(manager, card, 2_500)
    data = {"operation": original.pk, "reason": "wrong amount", "idempotency_key": f.key()}
    first = receipt_id(manager.post("/counter/reverse/", data))
    assert receipt_id(manager.post("/counter/reverse/", data)) == first
    assert Operation.objects.get(pk=first).reverses_id == original.pk
    assert f.balances(card)[0] == 10_000


def test_another_stores_operation_is_not_found(manager):
    other_manager = f.actor(Role.STORE_MANAGER, f.store("S02"))
    card = f.sold_card(other_manager, value_minor=5_000)
    original = purchase(
        actor=other_manager, card_number=card.number, amount_minor=100, idempotency_key=f.key()
    )
    assert manager.get("/counter/refund/", {"operation": original.pk}).status_code == 404
    assert manager.get("/counter/reverse/", {"operation": "nope"}).status_code == 404


# Gift ----------------------------------------------------------------------------------------


def test_redeem_a_gift_for_points(cashier):
    card = f.sold_card(seller(), points_product(), value_minor=50_000)
    purchase(actor=seller(), card_number=card.number, amount_minor=30_000, idempotency_key=f.key())
    gift = stocked(new_gift("MUG", 100, "Mug"), {f.store(): 3})
    page = cashier.get(link(cashier, card, "gift-link"))
    assert b"Mug" in page.content
    response = cashier.post(
        "/counter/gift/",
        {
            "card": card.number,
            "gift": "MUG",
            "quantity": "2",
            "idempotency_key": key_in(page.content),
        },
    )
    operation = Operation.objects.get(pk=receipt_id(response))
    assert operation.kind == OperationKind.GIFT_REDEMPTION
    assert f.balances(card)[2] == 100
    assert quantity(gift, f.store()) == 1


def test_gift_with_too_few_points_is_refused(cashier):
    card = f.sold_card(seller(), points_product(), value_minor=1_000)
    stocked(new_gift("MUG", 100, "Mug"), {f.store(): 3})
    response = cashier.post(
        "/counter/gift/",
        {"card": card.number, "gift": "MUG", "quantity": "1", "idempotency_key": f.key()},
    )
    assert response.status_code == 422
    assert not Operation.objects.filter(kind=OperationKind.GIFT_REDEMPTION).exists()


# Member --------------------------------------------------------------------------------------


def test_register_then_edit_the_member_of_a_card(cashier):
    card = f.sold_card(seller())
    response = cashier.post(
        "/counter/member/", {"card": card.number, "name": "Wang Fang", "mobile": "13900139000"}
    )
    assert response.status_code == 302 and card.number not in response["Location"]
    assert "Wang Fang" in cashier.get(response["Location"]).content.decode()  # panel open
    card.refresh_from_db()
    assert card.member.name == "Wang Fang"
    page = cashier.get(link(cashier, card, "member-link"))
    assert b'value="Wang Fang"' in page.content
    cashier.post(
        "/counter/member/", {"card": card.number, "name": "Wang Fang Li", "mobile": "13900139000"}
    )
    assert Member.objects.get().name == "Wang Fang Li"


def test_member_with_a_taken_mobile_is_refused(cashier):
    Member.objects.create(name="Someone", mobile="13900139000", registered_at=f.store())
    card = f.sold_card(seller())
    response = cashier.post(
        "/counter/member/", {"card": card.number, "name": "Other", "mobile": "13900139000"}
    )
    assert response.status_code in (409, 422)
    card.refresh_from_db()
    assert card.member is None


# Freeze, replace, PIN ------------------------------------------------------------------------


def test_freeze_then_replace_moves_the_balance(cashier):
    card = f.sold_card(seller(), value_minor=7_000)
    frozen = cashier.post("/counter/freeze/", {"card": card.number, "reason": "lost"})
    assert Operation.objects.get(pk=receipt_id(frozen)).kind == OperationKind.CARD_FROZEN
    card.refresh_from_db()
    assert card.state == CardState.FROZEN
    new = f.stock_card(card.product, f.store())
    response = cashier.post(
        "/counter/replace/",
        {"card": card.number, "new_card": new.number, "idempotency_key": f.key()},
    )
    assert Operation.objects.get(pk=receipt_id(response)).kind == OperationKind.CARD_REPLACEMENT
    assert f.balances(new)[0] == 7_000
    assert Card.objects.get(pk=card.pk).state == CardState.REPLACED


def test_freezing_twice_is_refused(cashier):
    card = f.sold_card(seller())
    cashier.post("/counter/freeze/", {"card": card.number})
    again = cashier.post("/counter/freeze/", {"card": card.number})
    assert again.status_code == 422
    assert Operation.objects.filter(kind=OperationKind.CARD_FROZEN).count() == 1


def test_only_a_manager_unlocks_a_pin(cashier, manager):
    card = f.sold_card(seller(), f.product(pin_required=True), pin="1234")
    Card.objects.filter(pk=card.pk).update(
        pin_failures=0, pin_locked_until=timezone.now() + dt.timedelta(hours=5)
    )
    assert cashier.post("/counter/pin-unlock/", {"card": card.number}).status_code == 403
    assert Card.objects.get(pk=card.pk).pin_locked_until is not None
    assert manager.post("/counter/pin-unlock/", {"card": card.number}).status_code == 302
    assert Card.objects.get(pk=card.pk).pin_locked_until is None
