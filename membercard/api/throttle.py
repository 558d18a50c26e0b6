"""The POS API's side of the one card look-up throttle (``membercard/cards/lookups.py``).

Look-ups and card reads are counted per terminal key and per client address; the counts,
the limits and the misses HQ watches are shared with the counter pages, so a guesser gains
nothing by switching from the API to a browser at the same till. The client address is
``REMOTE_ADDR`` (the server faces the tills directly), or behind a trusted reverse proxy
the address it forwards (``core/http.client_address``).
"""

from __future__ import annotations

from django.http import HttpRequest

from membercard.cards import lookups
from membercard.cards.lookups import KEEP_SECONDS, current_window
from membercard.core.actors import Actor
from membercard.core.errors import Throttled
from membercard.core.http import client_address

__all__ = ["KEEP_SECONDS", "Throttled", "current_window", "hit", "record_miss"]


def _address(request: HttpRequest) -> str:
    return client_address(request) or "unknown"


def hit(actor: Actor, request: HttpRequest) -> None:
    """Count this card read; raise :class:`Throttled` once a bucket is past its limit."""
    lookups.hit(actor, _address(request))


def record_miss(actor: Actor, request: HttpRequest) -> None:
    """One more miss for this key today."""
    lookups.record_miss(actor, _address(request))
