"""The counter's "Customer without the card" (membercard.web.views.counter_find): find a
member's cards by mobile or name, then freeze and replace one by its found-card handle,
without the card's number ever reaching the page."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from membercard.cards import lookups
from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.models import AuditEvent, Role
from membercard.ledger.models import Operation, OperationKind
from membercard.web.views.counter import card_ref
from tests import factories as f
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"


@pytest.fixture
def lost():
    """A member's card sold at S01 (the member registered there too)."""
    f.hq()
    seller = f.actor(Role.STORE_MANAGER, f.store("S01"))
    return f.sold_card(seller, value_minor=6_000, member_name="Li Lei", member_mobile=MOBILE)


@pytest.fixture
def cashier(lost):
    return signed_in(Role.STORE_CASHIER, f.store("S01"))


def search(client, **terms):
    return client.post("/counter/find/", {f"find-{k}": v for k, v in terms.items()})


def found_links(page: str) -> dict[str, str]:
    """The found cards' freeze and replace links, by class."""
    links = re.findall(r'class="button[^"]*(found-\w+)" href="([^"]+)"', page)
    return {name: html.unescape(href) for name, href in links}


def test_the_counter_links_to_the_search(cashier):
    page = cashier.get("/counter/").content.decode()
    assert 'id="find-link" href="/counter/find/"' in page


def test_the_answer_shows_the_card_masked_with_the_member_product_and_state(cashier, lost):
    response = search(cashier, mobile=MOBILE)
    page = response.content.decode()

    assert response.status_code == 200
    assert lost.number[-4:] in page and "Li Lei" in page and lost.product.name in page
    assert lost.number not in page and lost.number[:-4] not in page
    links = found_links(page)
    assert set(links) == {"found-freeze", "found-replace"}
    assert lost.number not in links["found-freeze"]


def test_freeze_then_replace_by_the_found_handle_never_shows_the_number(cashier, lost):
    links = found_links(search(cashier, mobile=MOBILE).content.decode())
    freeze_page = cashier.get(links["found-freeze"])
    assert freeze_page.status_code == 200 and lost.number not in freeze_page.content.decode()
    handle = parse_qs(urlsplit(links["found-freeze"]).query)["found"][0]

    frozen = cashier.post("/counter/freeze/", {"found": handle, "reason": "lost"})

    lost.refresh_from_db()
    assert lost.state == CardState.FROZEN
    assert frozen.status_code == 302 and frozen["Location"].startswith("/counter/replace/?found=")
    replace_page = cashier.get(frozen["Location"]).content.decode()
    assert "Card frozen" in replace_page and lost.number not in replace_page
    assert 'href="/counter/find/" id="back-to-counter"' in replace_page
    new = f.stock_card(lost.product, f.store("S01"))
    key = re.search(r'name="idempotency_key" value="(\w+)"', replace_page).group(1)
    replaced = cashier.post(
        "/counter/replace/", {"found": handle, "new_card": new.number, "idempotency_key": key}
    )
    assert replaced.status_code == 302
    operation = Operation.objects.get(kind=OperationKind.CARD_REPLACEMENT)
    assert replaced["Location"] == f"/counter/receipts/{operation.pk}/"
    assert f.balances(new)[0] == 6_000
    assert Card.objects.get(pk=lost.pk).state == CardState.REPLACED


def test_a_found_handle_is_good_only_at_the_store_that_found_the_card(cashier, lost):
    links = found_links(search(cashier, mobile=MOBILE).content.decode())
    handle = parse_qs(urlsplit(links["found-freeze"]).query)["found"][0]
    elsewhere = signed_in(Role.STORE_CASHIER, f.store("S02"))

    assert elsewhere.get("/counter/freeze/", {"found": handle}).status_code == 404
    assert elsewhere.post("/counter/freeze/", {"found": handle}).status_code == 404
    lost.refresh_from_db()
    assert lost.state == CardState.ACTIVE


def test_a_found_handle_does_not_open_the_card_panel_nor_the_other_way_round(cashier, lost):
    links = found_links(search(cashier, mobile=MOBILE).content.decode())
    handle = parse_qs(urlsplit(links["found-freeze"]).query)["found"][0]

    assert cashier.get("/counter/", {"ref": handle}).status_code == 404
    assert cashier.get("/counter/freeze/", {"found": card_ref(lost)}).status_code == 404


def test_another_stores_customer_is_not_found(lost):
    elsewhere = signed_in(Role.STORE_CASHIER, f.store("S02"))
    page = search(elsewhere, mobile=MOBILE).content.decode()
    assert 'id="nothing-found"' in page and lost.number[-4:] not in page


def test_a_partial_mobile_or_a_short_name_is_refused_on_the_form(cashier):
    short = search(cashier, mobile="5678")
    assert short.status_code == 422 and b"not valid" in short.content
    assert search(cashier, name="Li").status_code == 422
    assert b"found-card" not in search(cashier, name="Li").content


def test_the_audit_row_of_the_request_keeps_no_mobile_or_name(cashier):
    search(cashier, mobile=MOBILE)
    search(cashier, name="Li Lei")
    rows = AuditEvent.objects.filter(what="web:counter-find").order_by("pk")
    assert [row.status for row in rows] == [200, 200]
    text = " ".join(str(row.details) for row in rows)
    assert MOBILE not in text and "Li Lei" not in text
    assert rows[0].details["find-mobile"].startswith("fp:")


def test_searching_is_throttled_like_card_look_ups(cashier, lost, settings, monkeypatch):
    monkeypatch.setattr(lookups, "_now", lambda: 1_800_000_030.25)
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 2
    assert cashier.post("/counter/card/", {"card": lost.number}).status_code == 302
    assert search(cashier, mobile=MOBILE).status_code == 200
    refused = search(cashier, mobile=MOBILE)
    assert refused.status_code == 429 and b"Too many card look-ups" in refused.content
    assert b"found-card" not in refused.content


def test_hq_and_the_stock_keeper_have_no_counter_search():
    assert signed_in(Role.HQ_FINANCE).get("/counter/find/").status_code == 403
    assert signed_in(Role.HQ_STOCK).get("/counter/find/").status_code == 403
