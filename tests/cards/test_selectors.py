import pytest

from membercard.cards import reader
from membercard.core.errors import CardNotFound, InvalidCardNumber, PaymentCardRefused
from membercard.core.models import Role
from membercard.ledger.selectors import look_up
from membercard.operations import purchase
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    cashier = f.actor(Role.STORE_CASHIER)
    card = f.sold_card(cashier, f.product(bonus_rules=[[5_000, 700]]), value_minor=5_000)
    purchase(actor=cashier, card_number=card.number, amount_minor=1_200, idempotency_key=f.key())
    card.uid = "00BC614E"
    card.save(update_fields=["uid"])
    return card


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        (lambda n: n, reader.ReadAs.KEYED),
        (lambda n: f"{n[:4]} {n[4:8]}-{n[8:]}\r\n", reader.ReadAs.KEYED),
        (lambda n: reader.track2(n), reader.ReadAs.SWIPED),
        (lambda n: reader.track1(n) + reader.track2(n), reader.ReadAs.SWIPED),
        (lambda n: reader.barcode_value(n), reader.ReadAs.SCANNED),
        (lambda n: reader.qr_payload(n), reader.ReadAs.SCANNED),
        (lambda n: "0012345678", reader.ReadAs.TAPPED),  # decimal UID of 0x00BC614E
        (lambda n: "00bc614e", reader.ReadAs.TAPPED),
    ],
)
def test_every_reader_format_finds_the_card_with_its_balances(card, typed, read_as):
    summary = look_up(typed(card.number))
    assert summary.card == card
    assert summary.read_as == read_as
    assert (summary.principal_minor, summary.bonus_minor) == (3_800, 700)
    assert summary.balance_minor == 4_500
    assert summary.currency == "CNY"


def test_a_mistyped_number_is_refused_before_any_lookup(card, django_assert_max_num_queries):
    """Refused on its check digit: at most the products' number formats are read (does a
    product take numbers without one?), never the cards."""
    wrong_digit = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    with django_assert_max_num_queries(1) as ran, pytest.raises(InvalidCardNumber):
        look_up(wrong_digit)
    assert all('"cards_card"' not in query["sql"] for query in ran.captured_queries)


def test_a_bank_card_is_refused_and_not_echoed(card, django_assert_num_queries):
    unionpay = "6222020200112233445"
    with django_assert_num_queries(0), pytest.raises(PaymentCardRefused) as refused:
        look_up(f";{unionpay}=30121010000000000000?")
    assert "6222" not in str(refused.value)


def test_an_unknown_valid_number_is_not_found(card):
    from membercard.cards.numbers import generate_number

    with pytest.raises(CardNotFound):
        look_up(generate_number(card.product.number_prefix, 16))
