"""Store scope, endpoint by endpoint: a key of store S02 asking about S01's stock and
operations gets exactly the answer it gets for things that do not exist, and changes
nothing. (Cards in customers' hands are chain-wide: see test_lookup and test_purchases.)"""

from __future__ import annotations

import pytest

from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import ENDPOINTS, body, call, unused_number
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db

NOWHERE = 987_654_321


@pytest.fixture
def s01(till, shop, product, card):
    """S01's shelf card and S01's own purchase on an active card."""
    shelf = f.stock_card(product, shop)
    bought = body(till.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="s01"))
    return {"shelf": shelf, "operation": bought["operation_id"], "card": card}


@pytest.mark.parametrize(
    ("method", "template", "payload", "keyed"),
    [endpoint for endpoint in ENDPOINTS if endpoint[1] not in ("/stock", "/gifts")],
    ids=lambda value: value if isinstance(value, str) and value.startswith("/") else "",
)
def test_another_stores_things_answer_like_nothing(
    s01, other_till, product, method, template, payload, keyed
):
    def ask(number: str, operation: int):
        path = template.format(number=number, operation=operation)
        data = payload
        if payload and "input" in payload:
            data = {"input": number}
        headers = {"Idempotency-Key": f.key()} if keyed else {}
        return call(other_till.client, method, path, data, headers=headers)

    with unchanged(s01["shelf"], s01["card"]):
        hidden = ask(s01["shelf"].number, s01["operation"])
    missing = ask(unused_number(product), NOWHERE)
    assert hidden.status_code == missing.status_code == 404, hidden.content
    assert hidden.content == missing.content


def test_history_leaves_out_another_stores_operations(s01, other_till):
    items = body(other_till.get(f"/cards/{s01['card'].number}/operations"))["items"]
    assert s01["operation"] not in [item["operation_id"] for item in items]
    assert Operation.objects.filter(pk=s01["operation"]).exists()


def test_stock_leaves_out_another_stores_shelf(s01, other_till):
    assert body(other_till.get("/stock")) == {"items": [], "next_cursor": None}
