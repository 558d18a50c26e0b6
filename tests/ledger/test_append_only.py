"""The database itself refuses to change or delete ledger rows (raw SQL, around the ORM)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from membercard.core.models import Role
from membercard.ledger.models import Account, ChainLink, Operation, Transfer
from membercard.operations import purchase
from tests import factories as f
from tests.ledger.tamper import execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def written():
    """A sold card with one purchase: operations, transfers and chain links on disk."""
    cashier = f.actor(Role.STORE_CASHIER)
    card = f.sold_card(cashier, value_minor=5_000)
    purchase(actor=cashier, card_number=card.number, amount_minor=1_000, idempotency_key=f.key())
    return card


def refused(sql: str, params: list | None = None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_operation SET gross_minor = gross_minor + 1",
        "UPDATE ledger_operation SET reason = 'edited'",
        "DELETE FROM ledger_operation",
        "UPDATE ledger_transfer SET amount = amount + 1",
        "DELETE FROM ledger_transfer",
        "UPDATE ledger_chainlink SET hash = prev_hash",
        "DELETE FROM ledger_chainlink",
    ],
)
def test_ledger_rows_cannot_be_changed_or_deleted(written, sql):
    before = (Operation.objects.count(), Transfer.objects.count(), ChainLink.objects.count())
    amounts = sorted(Transfer.objects.values_list("amount", flat=True))

    refused(sql)

    after = (Operation.objects.count(), Transfer.objects.count(), ChainLink.objects.count())
    assert after == before
    assert sorted(Transfer.objects.values_list("amount", flat=True)) == amounts


def test_orm_delete_is_refused_too(written):
    operation = Operation.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(operation=operation).delete()
    assert Transfer.objects.filter(operation=operation).exists()


def test_a_transfer_between_money_and_points_is_refused(written):
    principal = Account.objects.get(card=written, kind="card_principal")
    points = Account.objects.get(card=written, kind="card_points")
    operation = Operation.objects.first()
    for unit in ("money", "points"):
        refused(
            "INSERT INTO ledger_transfer (operation_id, debit_account_id, credit_account_id,"
            " unit, amount) VALUES (%s, %s, %s, %s, 1)",
            [operation.pk, principal.pk, points.pk, unit],
        )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_account SET balance = -1 WHERE card_id IS NOT NULL",
        "UPDATE ledger_account SET kind = 'card_bonus' WHERE kind = 'card_principal'",
        "UPDATE ledger_account SET unit = 'points' WHERE unit = 'money'",
    ],
)
def test_accounts_keep_their_identity_and_never_go_negative(written, sql):
    refused(sql)


def test_a_transfer_must_move_a_positive_amount(written):
    principal = Account.objects.get(card=written, kind="card_principal")
    bonus = Account.objects.get(card=written, kind="card_bonus")
    operation = Operation.objects.first()
    for amount in (0, -5):
        refused(
            "INSERT INTO ledger_transfer (operation_id, debit_account_id, credit_account_id,"
            " unit, amount) VALUES (%s, %s, %s, 'money', %s)",
            [operation.pk, principal.pk, bonus.pk, amount],
        )
