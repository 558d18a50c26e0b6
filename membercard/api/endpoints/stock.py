"""This store's card stock, for selling."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from membercard.api import pagination, render, schemas
from membercard.api.auth import actor_of
from membercard.api.endpoints import responses
from membercard.cards.models import CardProduct
from membercard.inventory.selectors import cards_in_stock

router = Router(tags=["stock"])


@router.get(
    "",
    response=responses(200, schemas.StockPage),
    summary="Cards in stock at this store",
    description="Ordered by number, cursor-paginated (`next_cursor` → `cursor`). Full "
    "numbers: these cards are on this store's shelf, waiting to be sold.",
)
def stock(
    request: HttpRequest,
    product: str | None = Query(
        None, max_length=32, pattern=r"^[-a-zA-Z0-9_]+$", description="A product code."
    ),
    cursor: str | None = Query(None, max_length=64),
    limit: int = Query(pagination.PAGE_SIZE, ge=1, le=pagination.MAX_PAGE_SIZE),
) -> HttpResponse:
    actor = actor_of(request)
    chosen = None
    if product:
        chosen = CardProduct.objects.filter(code=product).first()
        if chosen is None:
            return render.json_response(schemas.StockPage(items=[], next_cursor=None))
    cards = cards_in_stock(location=actor.location, product=chosen).select_related("product")
    if cursor:
        cards = cards.filter(number__gt=pagination.decode_number("stock", cursor))
    page = list(cards[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    body = schemas.StockPage(
        items=[
            schemas.StockCardOut(
                number=card.number,
                product=schemas.ProductRef(code=card.product.code, name=card.product.name),
            )
            for card in page
        ],
        next_cursor=pagination.encode("stock", page[-1].number) if more else None,
    )
    return render.json_response(body)
