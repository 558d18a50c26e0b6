"""The special-case stories, one of each, on sold cards kept aside for them: a wrong
amount reversed, a top-up reversed, HQ adjustments, a card frozen and unfrozen, one left
frozen, a lost card replaced (then a refund), a keychain card spent and handed back.
"""

from __future__ import annotations

from collections.abc import Callable

from membercard.cards.models import Card
from membercard.ledger.models import Tender
from membercard.operations import adjust, purchase, refund, reverse, top_up
from membercard.operations.card_life import freeze_card, replace_card, unfreeze_card
from membercard.operations.hand_back import hand_back_card
from membercard.ops.demo.catalog import GOLD, HQ_CODE, KEYCHAIN, VALUE
from membercard.ops.demo.four_eyes import story_four_eyes, story_refunds_approved
from membercard.ops.demo.setup import DemoRun, in_stock, sold_cards, value_of


def story_wrong_amount(run: DemoRun, card: Card) -> None:
    """S01: the cashier keys 128.00 instead of 12.80; the manager reverses it."""
    cashier, manager = run.actor("cashier1"), run.actor("manager1")
    wrong = purchase(
        actor=cashier, card_number=card.number, amount_minor=12_800, idempotency_key=run.key()
    )
    reverse(
        actor=manager,
        operation_id=wrong.pk,
        idempotency_key=run.key(),
        reason="Wrong amount keyed (128.00 for 12.80)",
    )
    purchase(actor=cashier, card_number=card.number, amount_minor=1_280, idempotency_key=run.key())
    run.tally["purchases"] += 2
    run.tally["reversals"] += 1


def story_top_up_undone(run: DemoRun, card: Card) -> None:
    """S02: a top-up the customer changed their mind about, reversed by the manager."""
    top = top_up(
        actor=run.actor("cashier2"),
        card_number=card.number,
        amount_minor=50_000,
        tender=Tender.CASH,
        idempotency_key=run.key(),
    )
    reverse(
        actor=run.actor("manager2"),
        operation_id=top.pk,
        idempotency_key=run.key(),
        reason="Customer changed their mind; cash handed back",
    )
    run.tally["top-ups"] += 1
    run.tally["reversals"] += 1


def story_adjustments(run: DemoRun, gold: Card) -> None:
    """HQ finance credits a goodwill amount and missed points, each with its reason."""
    finance = run.actor("finance")
    adjust(
        actor=finance,
        card_number=gold.number,
        bucket="principal",
        delta=1_500,
        reason="Goodwill credit: till fault at the Jing'an store charged the card twice",
        idempotency_key=run.key(),
    )
    adjust(
        actor=finance,
        card_number=gold.number,
        bucket="points",
        delta=120,
        reason="Points for a purchase made without the card (customer showed the receipt)",
        idempotency_key=run.key(),
    )
    run.tally["adjustments"] += 2


def story_found_again(run: DemoRun, card: Card) -> None:
    """S01: a card reported lost and found the same afternoon: frozen, then unfrozen."""
    freeze_card(actor=run.actor("cashier1"), card_number=card.number, reason="Reported lost")
    unfreeze_card(
        actor=run.actor("manager1"), card_number=card.number, reason="Customer found the card"
    )
    run.tally["freezes"] += 1
    run.tally["unfreezes"] += 1


def story_still_frozen(run: DemoRun, card: Card) -> None:
    """S02: a card reported stolen stays frozen."""
    freeze_card(
        actor=run.actor("cashier2"),
        card_number=card.number,
        reason="Customer reported the card stolen",
    )
    run.tally["freezes"] += 1


def story_lost_and_replaced(run: DemoRun, card: Card) -> Card:
    """S01: a member loses a gold card: frozen, replaced from S01's stock (balance, points,
    member and expiry move over), then part of an earlier purchase is refunded, which
    lands on the new card."""
    cashier = run.actor("cashier1")
    earlier = purchase(
        actor=cashier, card_number=card.number, amount_minor=8_800, idempotency_key=run.key()
    )
    freeze_card(actor=cashier, card_number=card.number, reason="Member reported the card lost")
    (new,) = in_stock(run, "S01", GOLD, 1)
    replace_card(
        actor=cashier,
        old_number=card.number,
        new_number=new.number,
        idempotency_key=run.key(),
        reason="Lost card replaced",
    )
    refund(
        actor=cashier,
        operation_id=earlier.pk,
        amount_minor=2_200,
        idempotency_key=run.key(),
        reason="One item returned after the card was replaced",
    )
    run.tally["purchases"] += 1
    run.tally["freezes"] += 1
    run.tally["replacements"] += 1
    run.tally["refunds"] += 1
    new.refresh_from_db()
    return new


def story_keychain_recovered(run: DemoRun, card: Card) -> None:
    """S02: a keychain card spent to zero in two visits, handed back at the counter, its
    deposit paid back in cash; the cashier may not restock, so it waits as recovered (to
    check) on the store's Recovered cards page."""
    cashier = run.actor("cashier2")
    for amount in (6_380, 10_000 - 6_380):
        purchase(
            actor=cashier, card_number=card.number, amount_minor=amount, idempotency_key=run.key()
        )
    hand_back_card(
        actor=cashier, card_number=card.number, idempotency_key=run.key(), tender=Tender.CASH
    )
    run.tally["purchases"] += 2
    run.tally["recoveries"] += 1


def pick_story_cards(run: DemoRun) -> dict[str, Card]:
    """One sold card per story, each different, kept out of the random purchases."""
    picked: set[int] = set()

    def pick(product_code: str, code: str, fits: Callable[[Card], bool] = bool) -> Card:
        card = next(
            c
            for c in sold_cards(run, [product_code], sold_at=code)
            if c.pk not in picked and fits(c)
        )
        picked.add(card.pk)
        return card

    return {
        "wrong_amount": pick(VALUE, "S01", lambda c: value_of(c) >= 15_000),
        "top_up_undone": pick(VALUE, "S02"),
        "adjusted": pick(GOLD, HQ_CODE, lambda c: c.member_id is not None),
        "found_again": pick(GOLD, "S01"),
        "lost": pick(GOLD, "S01", lambda c: c.member_id is not None),
        "still_frozen": pick(VALUE, "S02", lambda c: c.member_id is not None),
        "keychain": pick(KEYCHAIN, "S02"),
        "four_eyes_adjusted": pick(GOLD, HQ_CODE, lambda c: c.member_id is not None),
        "four_eyes_topped_up": pick(GOLD, HQ_CODE, lambda c: c.member_id is not None),
        "four_eyes_refunded": pick(VALUE, "S01", lambda c: value_of(c) >= 28_000),
    }


def tell_stories(run: DemoRun, cards: dict[str, Card]) -> None:
    story_wrong_amount(run, cards["wrong_amount"])
    story_top_up_undone(run, cards["top_up_undone"])
    story_adjustments(run, cards["adjusted"])
    story_found_again(run, cards["found_again"])
    story_still_frozen(run, cards["still_frozen"])
    new = story_lost_and_replaced(run, cards["lost"])
    story_keychain_recovered(run, cards["keychain"])
    story_four_eyes(run, cards["four_eyes_adjusted"], cards["four_eyes_topped_up"])
    story_refunds_approved(run, cards["four_eyes_refunded"])
    notable = (
        ("purchase keyed wrong and reversed", cards["wrong_amount"].number),
        ("top-up reversed", cards["top_up_undone"].number),
        ("adjusted by HQ finance", cards["adjusted"].number),
        ("frozen and unfrozen", cards["found_again"].number),
        ("frozen (reported stolen)", cards["still_frozen"].number),
        ("lost, replaced by " + new.number, cards["lost"].number),
        ("keychain spent to zero, recovered", cards["keychain"].number),
        ("adjustment requests: one approved, one pending", cards["four_eyes_adjusted"].number),
        ("HQ top-up requests: one approved, one pending", cards["four_eyes_topped_up"].number),
        ("refund requests: one approved, one pending", cards["four_eyes_refunded"].number),
    )
    for what, number in notable:
        run.say(f"  {number}  {what}")
