"""Four eyes in the demo: a pending and an approved request of each kind made here (an
adjustment, a top-up at HQ), through the real approvals services. HQ finance's second person
(``finance2``) approved finance's; the pending ones also wait for ``admin`` (created
last, as the mark of a complete load)."""

from __future__ import annotations

from membercard.approvals.services import approve, request_adjustment, request_hq_top_up
from membercard.cards.models import Card
from membercard.ledger.models import Tender
from membercard.ops.demo.setup import DemoRun


def story_four_eyes(run: DemoRun, adjusted: Card, topped_up: Card) -> None:
    """Approved (by finance2): finance's goodwill credit and top-up of 1,000.00 at HQ.
    Pending: finance's points adjustment, finance2's top-up, each waiting for the others."""
    finance, finance2 = run.actor("finance"), run.actor("finance2")
    credit = request_adjustment(
        actor=finance,
        card_number=adjusted.number,
        bucket="principal",
        delta=2_000,
        reason="Goodwill credit: the card was refused at S02 while the network was down",
        idempotency_key=run.key(),
    )
    approve(actor=finance2, request_id=credit.pk, note="Checked against S02's incident log")
    top = request_hq_top_up(
        actor=finance,
        card_number=topped_up.number,
        amount_minor=100_000,
        tender=Tender.BANK_CARD,
        idempotency_key=run.key(),
    )
    approve(actor=finance2, request_id=top.pk, note="Bank transfer received")
    # Pending: filed after the approved ones, so what they show still holds.
    request_adjustment(
        actor=finance,
        card_number=adjusted.number,
        bucket="points",
        delta=300,
        reason="Points for a corporate order booked by hand",
        idempotency_key=run.key(),
    )
    request_hq_top_up(
        actor=finance2,
        card_number=topped_up.number,
        amount_minor=150_000,
        tender=Tender.BANK_CARD,
        idempotency_key=run.key(),
    )
    run.tally["approval requests"] += 4
