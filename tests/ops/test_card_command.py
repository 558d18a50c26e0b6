"""``membercard card hand-back``: a one-time card taken back from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from membercard.cards.states import CardState
from membercard.core.models import AuditEvent, Role
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.ledger.helpers import house, pay

pytestmark = pytest.mark.django_db


def spent_keychain(seller):
    product = f.product(rechargeable=False, face_values=[10_000], deposit_minor=1_000)
    card = f.sold_card(seller, product, 10_000)
    pay(seller, card, 10_000)
    return card


def run(*args: str) -> str:
    out = StringIO()
    call_command("card", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_hand_back_pays_the_deposit_and_prints_the_receipt(cashier):
    card = spent_keychain(cashier)
    username = cashier.staff.username
    printed = run("hand-back", card.number, "--store", "S01", "--tender", "cash", "--by", username)
    operation = Operation.objects.get(kind=OperationKind.CARD_RECOVERY)
    assert operation.receipt_number in printed
    assert "Deposit refunded: 10.00 CNY" in printed
    assert "recovered (to check)" in printed
    assert card.number not in printed and card.number[-4:] in printed
    assert house("deposits:S01") == 0
    card.refresh_from_db()
    assert card.state == CardState.RECOVERED
    # The audit row names the command, with the card masked
    row = AuditEvent.objects.get(kind="cli")
    assert row.what.startswith("card hand-back")
    assert card.number not in f"{row.what} {row.details}"
    assert card.number[-4:] in str(row.details)


def test_a_manager_puts_a_fit_card_back_into_stock(cashier, manager):
    card = spent_keychain(cashier)
    by = manager.staff.username
    printed = run("hand-back", card.number, "--store", "S01", "--fit-to-sell", "--by", by)
    assert "in stock" in printed
    card.refresh_from_db()
    assert card.state == CardState.IN_STOCK


def test_staff_of_another_store_are_refused(cashier):
    card = spent_keychain(cashier)
    other = f.staff(Role.STORE_CASHIER, f.store("S02"))
    with pytest.raises(CommandError, match="does not work at S01"):
        run("hand-back", card.number, "--store", "S01", "--by", other.username)
    assert not Operation.objects.filter(kind=OperationKind.CARD_RECOVERY).exists()
