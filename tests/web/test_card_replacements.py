"""HQ's card page: HQ replaces a card with one from HQ's stock, and every card of a chain of
replacements shows the whole chain and links its neighbours (membercard.web.views.cards)."""

from __future__ import annotations

import re

import pytest

from membercard.cards.models import Card
from membercard.cards.selectors import replacement_chain
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations.card_life import replace_card
from tests import factories as f

pytestmark = pytest.mark.django_db


def url(card: Card, action: str = "") -> str:
    return f"/hq/cards/{card.number}/" + (f"{action}/" if action else "")


def form_key(page: bytes, form_id: str) -> str:
    text = page.decode()
    section = text[text.index(f'id="{form_id}"') :]
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', section).group(1)


@pytest.fixture
def store_manager():
    f.hq()
    return f.actor(Role.STORE_MANAGER, f.store("S01"))


@pytest.fixture
def chain(store_manager) -> list[Card]:
    """Three cards of one customer: the first replaced by the second, then by the third."""
    first = f.sold_card(store_manager, value_minor=4_000)
    cards = [first]
    for _ in range(2):
        new = f.stock_card(first.product, store_manager.location)
        replace_card(
            actor=store_manager,
            old_number=cards[-1].number,
            new_number=new.number,
            idempotency_key=f.key(),
        )
        cards.append(new)
    return cards


def test_hq_finance_replaces_a_card_with_one_from_hq_stock(client_for, store_manager):
    card = f.sold_card(store_manager, value_minor=5_000)
    new = f.stock_card(card.product, f.hq())
    client = client_for(Role.HQ_FINANCE)
    page = client.get(url(card))
    assert b'id="replace"' in page.content

    response = client.post(
        url(card, "replace"),
        {
            "new_card": new.number,
            "reason": "lost",
            "idempotency_key": form_key(page.content, "replace"),
        },
    )

    assert response.status_code == 302 and response["Location"] == url(card)
    assert Card.objects.get(pk=card.pk).state == CardState.REPLACED
    assert Card.objects.get(pk=new.pk).state == CardState.ACTIVE
    assert f.balances(new)[0] == 5_000
    operation = Operation.objects.get(kind=OperationKind.CARD_REPLACEMENT)
    assert operation.location == f.hq() and operation.related_card == new


def test_hq_replacement_needs_a_card_in_hq_stock(client_for, store_manager):
    card = f.sold_card(store_manager)
    at_store = f.stock_card(card.product, store_manager.location)
    client = client_for(Role.HQ_ADMIN)
    page = client.get(url(card))

    refused = client.post(
        url(card, "replace"),
        {"new_card": at_store.number, "idempotency_key": form_key(page.content, "replace")},
    )

    assert refused.status_code == 422
    assert b"not in stock at this location" in refused.content
    assert Card.objects.get(pk=card.pk).state == CardState.ACTIVE
    assert not Operation.objects.filter(kind=OperationKind.CARD_REPLACEMENT).exists()


def test_the_stock_keeper_and_store_staff_may_not_replace_from_the_card_page(
    client_for, store_manager
):
    card = f.sold_card(store_manager)
    new = f.stock_card(card.product, f.hq())
    keeper = client_for(Role.HQ_STOCK)
    assert b'id="replace"' not in keeper.get(url(card)).content
    data = {"new_card": new.number, "idempotency_key": f.key()}
    assert keeper.post(url(card, "replace"), data).status_code == 403
    assert client_for(Role.STORE_MANAGER).post(url(card, "replace"), data).status_code == 403
    assert Card.objects.get(pk=card.pk).state == CardState.ACTIVE


def test_the_chain_of_replacements_is_found_from_any_card_of_it(chain):
    first, middle, last = chain
    assert replacement_chain(middle).older == [first]
    assert replacement_chain(middle).newer == [last]
    assert replacement_chain(last).older == [middle, first]
    assert replacement_chain(first).newer == [middle, last]
    alone = replacement_chain(f.stock_card(first.product, f.hq()))
    assert alone.older == [] and alone.newer == []


def test_the_card_page_shows_the_whole_chain_oldest_first_with_links(client_for, chain):
    first, middle, last = chain
    page = client_for(Role.HQ_FINANCE).get(url(middle)).content.decode()

    section = page[page.index('id="replacement-chain"') :]
    section = section[: section.index("</section>")]
    # Each neighbour is named in its link and its text; this card only in bold.
    numbers = re.findall(r"\d{16}", section)
    assert numbers == [first.number] * 2 + [middle.number] + [last.number] * 2
    assert f'href="{url(first)}"' in section and f'href="{url(last)}"' in section
    assert 'aria-current="page"' in section


def test_the_replacement_is_in_both_cards_history_linking_each_other(client_for, chain):
    first, middle, _last = chain
    client = client_for(Role.HQ_FINANCE)
    moved_in = Operation.objects.get(kind=OperationKind.CARD_REPLACEMENT, related_card=middle)

    new_page = client.get(url(middle)).content.decode()
    row = new_page[new_page.index(f'id="op-{moved_in.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "replaces" in row and f'href="{url(first)}"' in row

    old_page = client.get(url(first)).content.decode()
    row = old_page[old_page.index(f'id="op-{moved_in.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "replaced by" in row and f'href="{url(middle)}"' in row
