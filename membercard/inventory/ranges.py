"""Card number ranges, as people write them on sheets: "88010000000000011 - 88010000000000999 (89)".

Our numbers end in a Luhn check digit, so two cards are *consecutive* when their
numbers without the check digit differ by one. Generated numbers are random and
rarely form runs; numbers imported from a manufacturer usually do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberRange:
    first: str
    last: str
    count: int

    def __str__(self) -> str:
        if self.count == 1:
            return self.first
        return f"{self.first} - {self.last} ({self.count})"


def _payload(number: str) -> tuple[int, int, str]:
    # Same length and prefix-free ordering: compare by length, then the digits without the check.
    return len(number), int(number[:-1]), number


def to_ranges(numbers: Iterable[str]) -> list[NumberRange]:
    """Group card numbers into runs of consecutive numbers, in order."""
    ordered = sorted(set(numbers), key=_payload)
    runs: list[NumberRange] = []
    for number in ordered:
        if runs:
            last = runs[-1]
            length, payload, _ = _payload(number)
            last_length, last_payload, _ = _payload(last.last)
            if length == last_length and payload == last_payload + 1:
                runs[-1] = NumberRange(last.first, number, last.count + 1)
                continue
        runs.append(NumberRange(number, number, 1))
    return runs


def in_range(number: str, first: str, last: str) -> bool:
    """Whether ``number`` lies between ``first`` and ``last`` (inclusive, same length)."""
    if not (len(number) == len(first) == len(last)):
        return False
    return _payload(first) <= _payload(number) <= _payload(last)
