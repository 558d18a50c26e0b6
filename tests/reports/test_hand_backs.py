"""Hand-backs of one-time cards in the sales-and-inventory report: the cards recovered, the
deposits refunded, value paid out and bonus kept, rolled up and tied out, in every file."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from membercard.cards.models import ValueOnHandBack
from membercard.core.models import Role
from membercard.operations import purchase, sell_card
from membercard.operations.hand_back import hand_back_card
from membercard.reports import exports, tables
from membercard.reports.sales_inventory import sales_inventory
from membercard.reports.verify import verify_rollups
from tests import factories as f
from tests.printouts import page_texts
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def _keychain(shop, **policy):
    """keychain100 sold at S01 for 110.00 (100.00 value + 10.00 deposit)."""
    product = f.product(rechargeable=False, face_values=[10_000], deposit_minor=1_000, **policy)
    card = f.stock_card(product, shop["store"])
    sell_card(
        actor=shop["cashier"], card_number=card.number, initial_value_minor=10_000,
        tender="cash", idempotency_key=f.key(),
    )  # fmt: skip
    return card


def _spend(shop, card, amount):
    purchase(
        actor=shop["cashier"], card_number=card.number, amount_minor=amount,
        idempotency_key=f.key(),
    )  # fmt: skip


def _two_hand_backs(shop):
    """One card spent and handed back (to check); one with 30.00 left on a pay-out product,
    handed back by the manager and put back into stock."""
    spent = _keychain(shop)
    _spend(shop, spent, 10_000)
    hand_back_card(actor=shop["cashier"], card_number=spent.number, idempotency_key=f.key())
    rest = _keychain(shop, value_on_hand_back=ValueOnHandBack.PAY_OUT)
    _spend(shop, rest, 7_000)
    hand_back_card(
        actor=shop["manager"], card_number=rest.number, idempotency_key=f.key(),
        fit_to_sell=True,
    )  # fmt: skip


def test_recovered_cards_and_refunded_deposits_are_counted_and_rolled_up(clock, shop):
    _two_hand_backs(shop)
    day = clock.day
    clock.next_day()  # the day is rolled up, not only computed live
    report = sales_inventory(day, day)
    row = report.totals
    assert (row.sold, row.recovered, row.stock_closing) == (2, 2, 2)
    assert (row.deposits, row.deposits_refunded) == (2_000, 2_000)
    assert (row.value_paid_out, row.consumption_principal) == (3_000, 17_000)
    assert row.liability_closing == 0
    assert report.ties_out, report.checks
    assert verify_rollups().problems == []


def test_the_columns_are_in_every_file_and_on_the_page(clock, shop):
    _two_hand_backs(shop)
    table = tables.sales_inventory_table(clock.day, clock.day, None)
    total = dict(zip(table.columns, table.rows[-1], strict=True))
    assert (total["recovered"], total["deposits_refunded"], total["value_paid_out"]) == (
        2,
        2_000,
        3_000,
    )
    header = exports.to_csv(table).splitlines()[0].split(",")
    assert header.index("deposits_refunded") == header.index("deposits") + 1
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    assert {"deposits_refunded", "value_paid_out"} <= {cell.value for cell in sheet[2]}
    text = " ".join(page_texts(exports.to_pdf(table)))
    assert "Deposits refunded" in text and "Value paid out" in text
    url = reverse("web:report", args=["sales-inventory"])
    page = signed_in(Role.HQ_FINANCE).get(f"{url}?date_from={clock.day}&date_to={clock.day}")
    assert "Deposits refunded" in page.content.decode()
