"""The migration that adds the seal chain writes the chains of days closed and reopened
before it, from what they kept: afterwards ``verify`` finds every chain whole."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from membercard.approvals.days import request_day_reopening
from membercard.approvals.services import approve
from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.days.closing import close_day
from membercard.days.models import SealEvent, SealEventKind
from membercard.days.seals import verify_seals
from tests import factories as f
from tests.ledger.helpers import pay
from tests.ledger.tamper import execute, triggers_lifted

pytestmark = pytest.mark.django_db

migration = importlib.import_module("membercard.days.migrations.0004_seal_chain_guards")


def test_days_closed_and_reopened_before_the_chain_get_theirs(cashier, manager):
    card = f.sold_card(cashier, value_minor=10_000)
    close_day(actor=manager, counted={"cash": 9_000}, comment="short")
    request = request_day_reopening(
        actor=manager,
        location_code="S01",
        business_date=today(),
        reason="Recount",
        idempotency_key=f.key(),
    )
    approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk)
    pay(cashier, card, 500)
    close_day(actor=manager, counted={"cash": 10_000})
    made = list(SealEvent.objects.order_by("pk").values_list("kind", "seal_digest", "reason"))

    with triggers_lifted("days_sealevent"):
        execute("DELETE FROM days_sealevent")  # as before the migration
        where = f"business day S01 {today().isoformat()}"
        assert verify_seals().problems == [
            f"{where}: the seal chain does not end on the day's seal",
            f"{where}: the seal chain records 0 reopening(s), 1 are kept",
        ]
        migration.backfill(apps, None)
    rebuilt = list(SealEvent.objects.order_by("pk").values_list("kind", "seal_digest", "reason"))
    assert rebuilt == made
    assert [kind for kind, _, _ in rebuilt] == [
        SealEventKind.SEALED,
        SealEventKind.REOPENED,
        SealEventKind.SEALED,
    ]
    assert verify_seals().problems == []
