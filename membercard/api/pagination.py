"""Opaque cursors: the client passes back what it got as ``next_cursor``, nothing more.

A cursor is the base64url of ``<kind>:<last value seen>``: a page is the next rows after
that value in a fixed order, so pages neither repeat nor skip rows when new ones arrive.
"""

from __future__ import annotations

import base64
import binascii

from django.utils.translation import gettext as _

from membercard.core.errors import ValidationFailed

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_BIGINT = 2**63 - 1


def encode(kind: str, value: int | str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def _bad() -> ValidationFailed:
    return ValidationFailed(_("The cursor is not valid: pass back a next_cursor."), field="cursor")


def decode(kind: str, cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    found, _, value = text.partition(":")
    if found != kind or not value:
        raise _bad()
    return value


def decode_id(kind: str, cursor: str) -> int:
    value = decode(kind, cursor)
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_BIGINT:
        raise _bad()
    return int(value)


def decode_number(kind: str, cursor: str) -> str:
    """A cursor over card numbers (digits, at most 19)."""
    value = decode(kind, cursor)
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        raise _bad()
    return value
