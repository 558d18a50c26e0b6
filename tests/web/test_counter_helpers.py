"""Helpers for the counter page tests: htmx requests, a card sold at the signed-in
client's store, the idempotency key a rendered form carries."""

from __future__ import annotations

import re

from membercard.core.actors import Actor
from membercard.core.models import Role
from tests import factories as f

HTMX = {"HX-Request": "true"}


def seller() -> Actor:
    """A manager at S01 who sells the cards the tests pay with."""
    return f.actor(Role.STORE_MANAGER)


def key_in(html: bytes | str, form_id: str | None = None) -> str:
    """The idempotency key of the form ``form_id`` (or the first form) in ``html``."""
    text = html.decode() if isinstance(html, bytes) else html
    if form_id is not None:
        text = text[text.index(f'id="{form_id}"') :]
    match = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', text)
    assert match, "the form carries no idempotency key"
    return match.group(1)


def element(html: bytes, element_id: str) -> str:
    """The text inside the element with ``element_id`` (tags stripped)."""
    text = html.decode()
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', text, re.S)
    assert match, f"no #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()
