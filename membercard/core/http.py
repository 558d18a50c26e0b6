"""Who is asking, as far as the network says: the one rule for a client's address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str:
    """``REMOTE_ADDR``; behind a reverse proxy the settings trust
    (``MEMBERCARD_TRUSTED_PROXY``), the last ``X-Forwarded-For`` hop: the address the proxy
    itself saw (earlier hops are whatever the client claimed)."""
    if request is None:
        return ""
    if settings.MEMBERCARD_TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]
