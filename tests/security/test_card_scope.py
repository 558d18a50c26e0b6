"""Card numbers are secrets in stock work (issue #13, reproductions 1 and 2).

A store resolves numbers and ranges only over the cards it may see (``membercard.cards.scope``):
its stock, its documents, and, at the counter, a card in a customer's hands. A number outside
that scope answers exactly like a number of no card: same status, same text, same writes.
"""

from __future__ import annotations

import contextlib
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from membercard.cards.models import Card
from membercard.cards.scope import counter_cards, seen_at_counter
from membercard.cards.states import CardState
from membercard.core.errors import CardNotFound, DomainError
from membercard.core.models import Role
from membercard.inventory.errors import HandoverCardsRefused
from membercard.inventory.models import HandoverLine, StockMovement, StocktakeCount
from membercard.inventory.scope import card_in_scope as in_stock_work
from membercard.inventory.scope import cards_in_scope as stock_work_cards
from membercard.inventory.services.handovers import add_cards, dispatch_handover, receive_handover
from membercard.inventory.services.stocktakes import (
    count_card,
    start_stocktake,
    stocktake_result,
)
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, refused, where
from tests.security.matrix import rolled_back
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

# The range of reproduction 1: every 16-digit number starting 88 (all our test products).
WHOLE_CHAIN = "8800000000000005 - 8899999999999998"
_SAVEPOINT = re.compile(r'"s\d+_x\d+"')  # a savepoint's name counts up
_CSRF = re.compile(rb"\b[A-Za-z0-9]{64}\b")  # a masked CSRF token, new on every page


@pytest.fixture
def chain():
    """S01 with three cards on its shelf; S02's shelf stock; HQ's stock; a card on the road
    from HQ to S02; a customer's card sold at S02 with a balance."""
    hq, s01, s02 = f.hq(), f.store("S01"), f.store("S02")
    product = f.product()
    keeper = f.actor(Role.HQ_STOCK, hq)
    own = inv.run_of_cards(product, s01, 3)
    to_s02 = f.stock_card(product, hq)
    dispatch_handover(actor=keeper, handover_id=draft_handover(keeper, s02, [to_s02]).pk)
    return {
        "hq": hq,
        "s01": s01,
        "s02": s02,
        "product": product,
        "keeper": keeper,
        "own": own,
        "s02_shelf": f.stock_card(product, s02),
        "hq_shelf": f.stock_card(product, hq),
        "in_transit": Card.objects.get(pk=to_s02.pk),
        "customer": f.sold_card(f.actor(Role.STORE_CASHIER, s02), product, 50_000),
    }


def foreign(chain) -> list[Card]:
    return [chain[k] for k in ("s02_shelf", "hq_shelf", "in_transit", "customer")]


def made_up(chain, serial: int = 4_321) -> str:
    """A valid number of the chain's product that no card has (yet)."""
    number = inv.number(chain["product"], serial)
    assert not Card.objects.filter(number=number).exists()
    return number


def page_bytes(response) -> bytes:
    """A page as the browser gets it, without the per-request CSRF mask."""
    return _CSRF.sub(b"<csrf>", response.content)


# The rule, once ------------------------------------------------------------------------------


def test_a_store_sees_its_stock_and_documents_hq_everything_the_counter_customers_cards(chain):
    manager = f.actor(Role.STORE_MANAGER, chain["s01"])
    s02_manager = f.actor(Role.STORE_MANAGER, chain["s02"])
    assert set(stock_work_cards(manager)) == set(chain["own"])
    # S02: its shelf and the card on the road to it (its document); not its customer's card
    assert set(stock_work_cards(s02_manager)) == {chain["s02_shelf"], chain["in_transit"]}
    assert set(counter_cards(manager)) == {*chain["own"], chain["customer"]}
    assert set(stock_work_cards(chain["keeper"])) == set(Card.objects.all())


SCOPE_IN_STOCK_WORK = (stock_work_cards, in_stock_work)


@pytest.mark.parametrize("at_counter", [False, True])
def test_the_single_card_check_agrees_with_the_queryset(chain, at_counter):
    actors = [
        f.actor(Role.STORE_MANAGER, chain["s01"]),
        f.actor(Role.STORE_CASHIER, chain["s02"]),
        chain["keeper"],
    ]
    for actor in actors:
        queryset, check = (counter_cards, seen_at_counter) if at_counter else SCOPE_IN_STOCK_WORK
        seen = set(queryset(actor).values_list("pk", flat=True))
        for card in Card.objects.all():
            assert check(actor, card) == (card.pk in seen)


def _sql(call, number: str) -> list[str]:
    """The statements ``call(number)`` runs, with the number itself blanked out."""
    with CaptureQueriesContext(connection) as run, contextlib.suppress(DomainError):
        call(number)
    return [_SAVEPOINT.sub("<sp>", q["sql"].replace(number, "<n>")) for q in run.captured_queries]


def test_a_foreign_number_takes_the_very_path_of_a_made_up_one(chain):
    """Same statements in the same order (the timing class): nothing fetches the card first
    and compares afterwards."""
    manager = f.actor(Role.STORE_MANAGER, chain["s01"])
    stocktake = start_stocktake(actor=manager)
    handover = draft_handover(manager, chain["hq"])
    calls = [
        lambda n: count_card(actor=manager, stocktake_id=stocktake.pk, raw_input=n),
        lambda n: add_cards(actor=manager, handover_id=handover.pk, numbers=[n]),
    ]
    for call in calls:
        unknown = _sql(call, made_up(chain))
        assert unknown, "the call ran no statement"
        for card in foreign(chain):
            assert _sql(call, card.number) == unknown


# Reproduction 1: a stocktake counting the whole chain ----------------------------------------


def test_counting_the_whole_chain_counts_and_shows_only_the_stores_own_cards(chain):
    manager = signed_in(Role.STORE_MANAGER, chain["s01"])
    assert manager.post("/stock/stocktakes/start/", {"note": ""}).status_code == 302
    stocktake = chain["s01"].stocktakes.get()

    response = manager.post(f"/stock/stocktakes/{stocktake.pk}/count/", {"ranges": WHOLE_CHAIN})

    assert response.status_code == 302
    counted = set(StocktakeCount.objects.filter(stocktake=stocktake).values_list("card", flat=True))
    assert counted == {card.pk for card in chain["own"]}
    page = manager.get(f"/stock/stocktakes/{stocktake.pk}/")
    assert page.context["result"].unexpected == []
    for card in foreign(chain):
        assert card.number.encode() not in page.content


def test_a_foreign_number_counted_answers_like_no_card(chain):
    manager = f.actor(Role.STORE_MANAGER, chain["s01"])
    stocktake = start_stocktake(actor=manager)
    answers = set()
    for number in [made_up(chain), *(card.number for card in foreign(chain))]:
        with refused(CardNotFound, "card_not_found") as info:
            count_card(actor=manager, stocktake_id=stocktake.pk, raw_input=number)
        answers.add((info.value.status, repr(info.value.as_dict())))
    assert len(answers) == 1  # one answer for a made-up number and for every foreign card


def test_a_counted_card_that_has_left_the_stores_sight_shows_neither_state_nor_place(chain):
    # Given S01 returning a card to HQ, counted at S01 while still on its way
    manager = f.actor(Role.STORE_MANAGER, chain["s01"])
    card = chain["own"][0]
    handover = draft_handover(manager, chain["hq"], [card])
    dispatch_handover(actor=manager, handover_id=handover.pk)
    stocktake = start_stocktake(actor=manager)
    count_card(actor=manager, stocktake_id=stocktake.pk, raw_input=card.number)
    (seen,) = stocktake_result(stocktake).unexpected
    assert (seen.state, seen.location) == (CardState.IN_TRANSIT, None)
    # When HQ receives it (HQ's shelf is no longer S01's business)
    receive_handover(actor=chain["keeper"], handover_id=handover.pk, scanned=[card.number])
    # Then S01's count still lists the number it scanned, without its state or place
    (gone,) = stocktake_result(stocktake).unexpected
    assert (gone.card, gone.state, gone.location) == (card, "", None)


# Reproduction 2: handover forms are no oracle ------------------------------------------------


def test_a_receipt_range_answers_the_same_whether_or_not_it_holds_a_foreign_card(chain):
    # Given a handover from HQ to S01 on its way, and an S01 manager on the receive form
    keeper = chain["keeper"]
    sent = inv.run_of_cards(chain["product"], chain["hq"], 2)
    handover = draft_handover(keeper, chain["s01"], sent)
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    manager = signed_in(Role.STORE_MANAGER, chain["s01"])
    probe = {
        "receive-ranges": f"{inv.number(chain['product'], 1)} - "
        f"{inv.number(chain['product'], 9_999)}"
    }
    url = f"/stock/handovers/{handover.pk}/receive/"
    before = manager.post(url, probe)
    # When a foreign card turns up in the probed range (another store's shelf)
    Card.objects.create(
        number=inv.number(chain["product"], 5_000), product=chain["product"], location=chain["s02"]
    )
    after = manager.post(url, probe)
    # Then the answer is the same page, and nothing was written
    assert before.status_code == after.status_code == 422
    assert page_bytes(before) == page_bytes(after)
    assert HandoverLine.objects.filter(handover=handover).count() == 2


def test_a_receipt_range_covers_the_handovers_cards_only(chain):
    keeper = chain["keeper"]
    sent = inv.run_of_cards(chain["product"], chain["hq"], 3)
    handover = draft_handover(keeper, chain["s01"], sent[:2])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    manager = f.actor(Role.STORE_MANAGER, chain["s01"])

    receive_handover(
        actor=manager, handover_id=handover.pk, ranges=[(sent[0].number, sent[2].number)]
    )

    lines = dict(handover.lines.values_list("card_id", "status"))
    assert lines == {sent[0].pk: "received", sent[1].pk: "received"}  # not HQ's third card
    assert Card.objects.get(pk=sent[2].pk).state == CardState.IN_STOCK
    assert Card.objects.get(pk=sent[2].pk).location == chain["hq"]


def _receipt_seen_by_the_store(manager, handover, listed: Card, number: str) -> tuple:
    """S01's ``manager`` confirms ``listed`` and ``number`` (undone afterwards): the status,
    the page it lands on and the sheet's text, the typed entry's masked form replaced."""
    typed, printed = "•••• " + number[-4:], "**** " + number[-4:]  # the PDF font: no bullets
    moves = StockMovement.objects.filter(card__number=number)
    moved_before = moves.count()
    with rolled_back(), time_machine.travel("2026-12-01 10:00:00+00:00", tick=False):
        response = manager.post(
            f"/stock/handovers/{handover.pk}/receive/",
            {"receive-numbers": f"{listed.number}\n{number}"},
            follow=True,
        )
        sheet = manager.get(f"/stock/handovers/{handover.pk}/sheet.pdf")
        text = "\n".join(inv.pdf_pages(sheet.content))
        page = page_bytes(response)
        # The store sees its own typing masked, never the number in full
        assert number.encode() not in page and number not in text
        assert typed.encode() in page and printed in text
        entry = handover.lines.get(card=None)
        assert (entry.entry_number, entry.status) == (number, "unexpected")
        # And nothing is looked up or changed about a card with that number
        assert moves.count() == moved_before
    return (
        response.status_code,
        page.replace(typed.encode(), b"<entry>"),
        text.replace(printed, "<entry>"),
    )


def test_a_receipt_scanning_a_foreign_number_answers_like_a_made_up_one(chain):
    # Given a handover from HQ to S01 on its way
    keeper = chain["keeper"]
    (sent,) = inv.run_of_cards(chain["product"], chain["hq"], 1)
    handover = draft_handover(keeper, chain["s01"], [sent])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    before = {card.pk: where(card) for card in foreign(chain)}
    # When S01 scans, besides the listed card, a made-up number or any foreign card's
    manager = signed_in(Role.STORE_MANAGER, chain["s01"])
    numbers = [made_up(chain), *(card.number for card in foreign(chain))]
    answers = [_receipt_seen_by_the_store(manager, handover, sent, n) for n in numbers]
    # Then every answer is the same page and sheet: an entry not on this handover, for HQ
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0] == 200
    assert b"1 entry is not on this handover" in answers[0][1]
    # And no foreign card moved (HQ decides, and only HQ learns what the number was)
    assert {card.pk: where(card) for card in foreign(chain)} == before


def test_adding_another_stores_number_answers_byte_for_byte_like_a_made_up_one(chain):
    # Given an S01 manager's draft return to HQ
    manager = signed_in(Role.STORE_MANAGER, chain["s01"])
    handover = draft_handover(f.actor(Role.STORE_MANAGER, chain["s01"]), chain["hq"])
    number = made_up(chain, 6_000)
    url = f"/stock/handovers/{handover.pk}/add/"
    # When the manager adds a number of no card, then the same number once S02 holds it
    unknown = manager.post(url, {"add-numbers": number})
    Card.objects.create(number=number, product=chain["product"], location=chain["s02"])
    elsewhere = manager.post(url, {"add-numbers": number})
    # Then both answers are the same page: same status, same message, nothing listed
    assert unknown.status_code == elsewhere.status_code == 422
    assert b"another location" not in elsewhere.content
    assert page_bytes(unknown) == page_bytes(elsewhere)
    assert not handover.lines.exists()


def test_adding_foreign_numbers_is_refused_as_no_card_by_the_service(chain):
    manager = f.actor(Role.STORE_MANAGER, chain["s01"])
    handover = draft_handover(manager, chain["hq"])
    for card in foreign(chain):
        with refused(HandoverCardsRefused, "handover_cards_refused") as info:
            add_cards(actor=manager, handover_id=handover.pk, numbers=[card.number])
        assert info.value.extra["problems"] == [
            {"entry": card.number, "code": "card_not_found", "detail": "no card with that number"}
        ]
