"""Four eyes in the demo: a pending and an approved request of each main kind (an
adjustment, a top-up at HQ, a refund, reopening a day, a card void, a batch order, the
prepaid limits, a replacement over the limit, a product's money policy, the approval
thresholds, a handover card written off as lost, a batch cancelled), through the real
approvals services. A second person in each role (``finance2``, ``stock2``, ``admin2``, a
store manager) approved the others'; the pending ones also wait for ``admin`` (created
last, as the mark of a complete load)."""

from __future__ import annotations

from membercard.approvals import thresholds
from membercard.approvals.days import request_day_reopening
from membercard.approvals.refunds import request_refund
from membercard.approvals.replacements import request_replacement
from membercard.approvals.services import (
    approve,
    request_adjustment,
    request_hq_top_up,
    request_thresholds_change,
)
from membercard.approvals.settings_changes import request_prepaid_limits, request_product_change
from membercard.approvals.stock import request_batch_order, request_card_void
from membercard.approvals.stock_write_offs import request_batch_cancel, request_handover_loss
from membercard.cards.models import Card, CardProduct
from membercard.cards.states import CardState
from membercard.days.closing import close_day
from membercard.days.models import BusinessDay, DayReopening, DayState
from membercard.inventory.models import HandoverLine, LineStatus
from membercard.ledger.models import Tender
from membercard.loyalty.services.limits import current_limits
from membercard.operations import purchase
from membercard.ops.demo.catalog import GOLD, KEYCHAIN, MEMBER
from membercard.ops.demo.setup import DemoRun, in_stock, value_of

# The anonymous-card limit after the approved change (1,000.00 before).
ANONYMOUS_LIMIT_NOW = 50_000


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


def story_refunds_approved(run: DemoRun, card: Card) -> None:
    """S01, today: cashier1 refunds 120.00 of a 150.00 purchase, above the refund threshold
    (100.00): sent to manager1, who approves it at the counter. A second large refund, of
    another purchase, waits for manager1."""
    cashier, manager = run.actor("cashier1"), run.actor("manager1")
    first, second = (
        purchase(actor=cashier, card_number=card.number, amount_minor=amount,
                 idempotency_key=run.key())
        for amount in (15_000, 13_000)
    )  # fmt: skip
    asked = request_refund(
        actor=cashier,
        operation_id=first.pk,
        amount_minor=12_000,
        idempotency_key=run.key(),
        reason="Coat returned unworn",
    )
    approve(actor=manager, request_id=asked.pk, note="Saw the coat and the receipt")
    request_refund(
        actor=cashier,
        operation_id=second.pk,
        amount_minor=13_000,
        idempotency_key=run.key(),
        reason="Double charged at the till",
    )
    run.tally["purchases"] += 2
    run.tally["approval requests"] += 2


def story_day_reopened(run: DemoRun) -> None:
    """After the days are closed: S02's manager asks to reopen its oldest closed day (a
    bank-card slip was found); HQ admin approves and the manager closes it again with the
    same count. S01's manager asks to reopen yesterday: waiting for HQ."""
    days = BusinessDay.objects.filter(state=DayState.CLOSED).order_by("business_date")
    oldest = days.filter(location__code="S02").first()
    yesterday = days.filter(location__code="S01").last()
    if oldest is None or yesterday is None:
        return
    manager2 = run.actor("manager2")
    asked = request_day_reopening(
        actor=manager2,
        location_code="S02",
        business_date=oldest.business_date,
        reason="A bank-card slip was found in the drawer after the close",
        idempotency_key=run.key(),
    )
    approve(actor=run.actor("finance"), request_id=asked.pk, note="Recount with the slip")
    kept = DayReopening.objects.get(approval_request_id=asked.pk)
    close_day(
        actor=manager2,
        counted={t: v["counted_minor"] for t, v in kept.takings.items()},
        comment=kept.comment or "Recounted with the slip: the same takings.",
        business_date=oldest.business_date,
    )
    request_day_reopening(
        actor=run.actor("manager1"),
        location_code="S01",
        business_date=yesterday.business_date,
        reason="The cash count was entered in the wrong tender",
        idempotency_key=run.key(),
    )
    run.tally["approval requests"] += 2


def story_stock_and_limits(run: DemoRun) -> None:
    """Four eyes on stock and settings (the batches themselves were ordered by ``stock`` and
    approved by ``stock2``, ``stock.py``). Approved: stock2 approves stock's void of a
    misprinted card at HQ; finance2 approves finance's new limits (anonymous 500.00, registered
    1,000.00 more).
    Pending: stock2's void of a cracked card, stock's order of 200 more gold cards (each
    waiting for the other keeper or admin), and finance2's lower anonymous-card limit."""
    stock, stock2 = run.actor("stock"), run.actor("stock2")
    at_hq = Card.objects.filter(
        state=CardState.IN_STOCK, location=stock.location, product__in=run.products.values()
    ).order_by("number")
    misprint, cracked = at_hq[0], at_hq[1]
    voided = request_card_void(
        actor=stock,
        numbers=[misprint.number],
        reason="Misprint: the logo is cut off",
        idempotency_key=run.key(),
    )
    approve(actor=stock2, request_id=voided.pk, note="Seen: the logo is cut off")
    request_card_void(
        actor=stock2,
        numbers=[cracked.number],
        reason="Cracked in the drawer",
        idempotency_key=run.key(),
    )
    gold = run.products[GOLD]
    request_batch_order(
        actor=stock,
        product=gold,
        quantity=200,
        unit_cost_minor=gold.unit_cost_minor,
        supplier="Shenzhen Card Works",
        notes="For the spring promotion",
        idempotency_key=run.key(),
    )
    finance, finance2 = run.actor("finance"), run.actor("finance2")
    limits = current_limits()
    raised = request_prepaid_limits(
        actor=finance,
        anonymous_limit_minor=ANONYMOUS_LIMIT_NOW,
        registered_limit_minor=limits.registered_limit_minor + 100_000,
        reason="The new regulation: 500.00 on anonymous cards, 1,000.00 more on registered ones",
        idempotency_key=run.key(),
    )
    approve(actor=finance2, request_id=raised.pk, note="Checked the regulation")
    request_prepaid_limits(
        actor=finance2,
        anonymous_limit_minor=ANONYMOUS_LIMIT_NOW - 10_000,
        registered_limit_minor=limits.registered_limit_minor + 100_000,
        reason="400.00 on anonymous cards, as the auditors advise",
        idempotency_key=run.key(),
    )
    run.tally["approval requests"] += 5


def story_replacements_over_limit(run: DemoRun) -> None:
    """Since the anonymous limit went down to 500.00, an anonymous card holding more cannot
    simply be replaced: S01's manager asks for two such replacements (lost cards). HQ
    finance approved the first (the override is in the limit-overrides report); the
    second waits for finance or an admin."""
    manager = run.actor("manager1")
    over = [
        card
        for card in Card.objects.filter(
            state=CardState.ACTIVE, member__isnull=True, sold_at=manager.location
        ).order_by("number")
        if value_of(card) > ANONYMOUS_LIMIT_NOW
    ][:2]
    for position, old in enumerate(over):
        new = in_stock(run, manager.location.code, old.product.code, 1)[0]
        asked = request_replacement(
            actor=manager,
            old_number=old.number,
            new_number=new.number,
            reason="Lost on the metro; the customer has the sale receipt",
            idempotency_key=run.key(),
        )
        if not position:
            approve(actor=run.actor("finance"), request_id=asked.pk, note="Receipt checked")
        run.tally["approval requests"] += 1


def story_settings(run: DemoRun) -> None:
    """HQ admin's second pair of eyes (``admin2``): finance approved admin2's higher gold
    discount (5% to 6%) and longer request lifetime; admin2's double points on member
    cards and halved HQ top-up threshold wait for finance or ``admin``."""
    admin2, finance = run.actor("admin2"), run.actor("finance")
    gold = CardProduct.objects.get(code=GOLD)
    gold.discount_rate_bp = 600
    raised = request_product_change(actor=admin2, product=gold, idempotency_key=run.key())
    approve(actor=finance, request_id=raised.request.pk, note="Agreed at the pricing meeting")
    member = CardProduct.objects.get(code=MEMBER)
    member.points_per_unit *= 2
    request_product_change(actor=admin2, product=member, idempotency_key=run.key())
    now = thresholds.current()
    longer = request_thresholds_change(
        actor=admin2,
        adjustment_minor=now.adjustment_minor,
        points_adjustment=now.points_adjustment,
        hq_top_up_minor=now.hq_top_up_minor,
        lifetime_hours=now.lifetime_hours * 2,
        idempotency_key=run.key(),
    )
    approve(actor=finance, request_id=longer.pk, note="Requests were expiring over weekends")
    request_thresholds_change(
        actor=admin2,
        adjustment_minor=now.adjustment_minor,
        points_adjustment=now.points_adjustment,
        hq_top_up_minor=now.hq_top_up_minor // 2,
        lifetime_hours=now.lifetime_hours * 2,
        idempotency_key=run.key(),
    )
    run.tally["approval requests"] += 4


def story_write_offs(run: DemoRun) -> None:
    """Stock written off under four eyes. S02's two cards still missing from its handover:
    stock2 approved stock's loss of the first; stock2's loss of the second waits for stock
    or admin. Two keychain batches ordered (approved) for an event that was called off:
    stock2 approved stock's cancellation of the first; stock2's of the second waits."""
    stock, stock2 = run.actor("stock"), run.actor("stock2")
    missing = HandoverLine.objects.filter(status=LineStatus.MISSING).order_by("pk")[:2]
    for line, (maker, checker) in zip(missing, ((stock, stock2), (stock2, None)), strict=False):
        lost = request_handover_loss(
            actor=maker,
            line_id=line.pk,
            note="Not in the box, not at HQ: the courier's seal was broken",
            idempotency_key=run.key(),
        )
        if checker is not None:
            approve(actor=checker, request_id=lost.pk, note="Courier's report seen")
    keychain = run.products[KEYCHAIN]
    for maker, checker in ((stock, stock2), (stock2, None)):
        order = request_batch_order(
            actor=stock,
            product=keychain,
            quantity=50,
            unit_cost_minor=keychain.unit_cost_minor,
            supplier="Shenzhen Card Works",
            notes="For the summer fair",
            idempotency_key=run.key(),
        )
        batch_id = approve(actor=stock2, request_id=order.pk, note="Planned").preview["batch_id"]
        cancel = request_batch_cancel(
            actor=maker,
            batch_id=batch_id,
            reason="The summer fair was called off before delivery",
            idempotency_key=run.key(),
        )
        if checker is not None:
            approve(actor=checker, request_id=cancel.pk, note="The fair's organiser confirmed")
    run.tally["approval requests"] += 6
