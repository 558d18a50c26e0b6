"""`membercard verify` recomputes the ledger and catches tampering, naming what is wrong."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from membercard.core.models import Role
from membercard.ledger.models import Account, ChainLink, Transfer
from membercard.ledger.verify import verify_ledger
from membercard.operations import purchase, top_up
from tests import factories as f
from tests.ledger.tamper import execute, triggers_lifted

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    cashier, finance = f.actor(Role.STORE_CASHIER), f.actor(Role.HQ_FINANCE)
    card = f.sold_card(cashier, value_minor=5_000)
    top_up(
        actor=finance,
        card_number=card.number,
        amount_minor=2_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    purchase(actor=cashier, card_number=card.number, amount_minor=1_500, idempotency_key=f.key())
    return card


def verify_output() -> tuple[str, bool]:
    out = io.StringIO()
    try:
        call_command("verify", stdout=out)
    except CommandError:
        return out.getvalue(), False
    return out.getvalue(), True


def test_a_clean_ledger_verifies(card):
    output, ok = verify_output()
    assert ok, output
    assert "ledger: clean" in output
    assert "3 operations" in output


def test_changing_a_stored_transfer_is_caught(card):
    transfer = Transfer.objects.filter(debit_account__card=card).latest("pk")
    with triggers_lifted("ledger_transfer"):
        execute("UPDATE ledger_transfer SET amount = amount - 100 WHERE id = %s", [transfer.pk])

    problems = verify_ledger().problems
    output, ok = verify_output()

    assert not ok
    assert any(card.number in p and "changed after they were written" in p for p in problems)
    # The card's stored balance no longer follows from its transfers either.
    assert any(f"card_principal:{card.pk}" in p and "stored balance" in p for p in problems)
    assert card.number in output


def test_changing_an_operation_is_caught(card):
    with triggers_lifted("ledger_operation"):
        execute(
            "UPDATE ledger_operation SET discount_minor = 999 WHERE card_id = %s AND kind = %s",
            [card.pk, "purchase"],
        )
    problems = verify_ledger().problems
    assert any(card.number in p and "changed" in p for p in problems)


def test_a_balance_edited_in_place_is_caught(card):
    Account.objects.filter(card=card, kind="card_principal").update(balance=1_000_000)
    problems = verify_ledger().problems
    assert problems == [
        f"account card_principal:{card.pk}: stored balance 1000000, but its transfers give 5500"
    ]


def test_a_deleted_chain_link_is_caught(card):
    link = ChainLink.objects.filter(card=card).order_by("seq")[1]
    with triggers_lifted("ledger_chainlink"):
        execute("DELETE FROM ledger_chainlink WHERE id = %s", [link.pk])
    problems = verify_ledger().problems
    assert any(card.number in p and "gap" in p for p in problems)
    assert any("not in its card's hash chain" in p for p in problems)


def test_a_forged_transfer_out_of_a_card_is_caught(card):
    """Someone inserts a transfer that drains the card and fixes up the stored balance."""
    principal = Account.objects.get(card=card, kind="card_principal")
    redeemed = Account.objects.get(kind="value_redeemed")
    operation = card.operations.latest("pk")
    execute(
        "INSERT INTO ledger_transfer (operation_id, debit_account_id, credit_account_id, unit,"
        " amount, debit_balance_after) VALUES (%s, %s, %s, 'money', 500, %s)",
        [operation.pk, principal.pk, redeemed.pk, principal.balance - 500],
    )
    Account.objects.filter(pk=principal.pk).update(balance=principal.balance - 500)
    problems = verify_ledger().problems
    assert any(card.number in p and "changed after they were written" in p for p in problems)
