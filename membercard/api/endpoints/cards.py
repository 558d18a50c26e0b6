"""Card reads: look-up from reader input, one card, its history at this store."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from membercard.api import pagination, render, schemas, scope
from membercard.api.auth import actor_of
from membercard.api.endpoints import responses
from membercard.ledger.models import Operation
from membercard.ledger.selectors import card_summary

router = Router(tags=["cards"])

CardNumber = Path(
    ..., max_length=64, description="The card number (digits).", examples=["8810000000000011"]
)

THROTTLE_NOTE = (
    " Throttled per key and per client address (429 with Retry-After); a number that is "
    "mistyped or names no card counts as a miss that HQ sees."
)


@router.post(
    "/lookup",
    response=responses(200, schemas.CardOut, 400, 404, 429),
    summary="Look up a card from reader input",
    description="Parses what the reader typed (digits, magstripe track 1/2, barcode, QR, "
    "RFID UID) and returns the card's summary with `read_as`. A bank card is refused "
    "(`payment_card_refused`) and nothing of it is kept." + THROTTLE_NOTE,
)
def lookup(request: HttpRequest, body: schemas.LookupIn) -> HttpResponse:
    actor = actor_of(request)
    card, read_as = scope.read_card(request, actor, body.input, from_reader=True)
    return render.json_response(render.card_out(card_summary(card, read_as)))


@router.get(
    "/{number}",
    response=responses(200, schemas.CardOut, 404, 429),
    summary="One card's summary",
    description="The same summary as a look-up, by card number (`read_as` is null)."
    + THROTTLE_NOTE,
)
def get_card(request: HttpRequest, number: str = CardNumber) -> HttpResponse:
    actor = actor_of(request)
    card, _ = scope.read_card(request, actor, number, from_reader=False)
    return render.json_response(render.card_out(card_summary(card)))


@router.get(
    "/{number}/operations",
    response=responses(200, schemas.OperationPage, 404, 429),
    summary="The card's operations at this store, newest first",
    description="Cursor-paginated: pass `next_cursor` back as `cursor`. Operations made at "
    "other stores are not listed (a key sees its own store's operations only)." + THROTTLE_NOTE,
)
def card_operations(
    request: HttpRequest,
    number: str = CardNumber,
    cursor: str | None = Query(None, max_length=64, description="From `next_cursor`."),
    limit: int = Query(pagination.PAGE_SIZE, ge=1, le=pagination.MAX_PAGE_SIZE),
) -> HttpResponse:
    actor = actor_of(request)
    card, _ = scope.read_card(request, actor, number, from_reader=False)
    operations = Operation.objects.filter(card=card, location=actor.location)
    if cursor:
        operations = operations.filter(pk__lt=pagination.decode_id("op", cursor))
    page = list(
        operations.select_related("card", "location", "terminal").order_by("-pk")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    body = schemas.OperationPage(
        items=[render.operation_out(op) for op in page],
        next_cursor=pagination.encode("op", page[-1].pk) if more else None,
    )
    return render.json_response(body)
