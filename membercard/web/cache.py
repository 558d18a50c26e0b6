"""No page of ours is kept by a browser or a proxy: ``Cache-Control: no-store`` on every
response but static files and uploaded pictures.

Why every page and not a list: the counter, receipts, member and card pages must never be
cached (a shared till's Back button after sign-out, a proxy's disk), and so must pages not
yet written; a list of paths would miss the next page that shows a member or a balance.
Our pages are dynamic, so nothing of value is lost; static files keep whitenoise's long
cache headers.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


def _prefix(url: str | None) -> str | None:
    """The path prefix of a local STATIC_URL or MEDIA_URL (None if served elsewhere)."""
    if not url or urlsplit(url).netloc:
        return None
    return "/" + urlsplit(url).path.strip("/") + "/"


def cacheable_prefixes() -> tuple[str, ...]:
    """Paths that may be cached: files that are the same for everyone."""
    return tuple(p for p in (_prefix(settings.STATIC_URL), _prefix(settings.MEDIA_URL)) if p)


def may_be_stored(path: str) -> bool:
    """The one rule: only static files and uploaded pictures may be stored."""
    return path.startswith(cacheable_prefixes())


class NoStoreMiddleware:
    """Adds ``Cache-Control: no-cache, no-store, must-revalidate, private`` (and an expired
    ``Expires``) to every response whose path :func:`may_be_stored` refuses, whatever the
    view said: a page's own caching header cannot widen the rule (one that already says
    ``no-store`` is kept as it is)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if may_be_stored(request.path_info):
            return response
        if "no-store" not in response.get("Cache-Control", ""):
            # Replaced, not merged: "public, max-age=3600, no-store" would contradict itself.
            response.headers.pop("Cache-Control", None)
            response.headers.pop("Expires", None)
            add_never_cache_headers(response)
        return response
