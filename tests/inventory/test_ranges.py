import itertools

from hypothesis import given
from hypothesis import strategies as st

from membercard.cards.numbers import luhn_check_digit
from membercard.inventory.ranges import in_range, to_ranges


def card(payload: int) -> str:
    body = f"880100{payload:09d}"
    return body + luhn_check_digit(body)


def test_consecutive_numbers_form_one_range_and_gaps_split_them():
    numbers = [card(n) for n in (1, 2, 3, 7, 9, 10)]
    ranges = to_ranges(reversed(numbers))
    assert [(r.first, r.last, r.count) for r in ranges] == [
        (card(1), card(3), 3),
        (card(7), card(7), 1),
        (card(9), card(10), 2),
    ]
    assert str(ranges[0]) == f"{card(1)} - {card(3)} (3)"
    assert str(ranges[1]) == card(7)


@given(st.sets(st.integers(0, 300), max_size=120))
def test_ranges_cover_exactly_the_numbers(payloads):
    numbers = {card(n) for n in payloads}
    ranges = to_ranges(numbers)
    assert sum(r.count for r in ranges) == len(numbers)
    everything = [card(p) for p in range(301)]
    covered = {n for n in everything for r in ranges if in_range(n, r.first, r.last)}
    assert covered == numbers
    # Runs are maximal: the next range never starts right after the previous one ends.
    for previous, following in itertools.pairwise(ranges):
        assert int(following.first[:-1]) > int(previous.last[:-1]) + 1


def test_in_range_needs_the_same_length():
    assert in_range(card(5), card(1), card(9))
    assert not in_range(card(10), card(1), card(9))
    assert not in_range("1234", card(1), card(9))
