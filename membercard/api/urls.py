"""URLs under /api/v1/: django-ninja's, plus problem+json for unknown paths (404, also the
bare root, where django-ninja raises Http404) and for methods a path does not take (405)."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path

from membercard.api.api import api
from membercard.api.errors import PROBLEM_JSON, problem


def _problems_only(view):
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if response.status_code == 405 and response.get("Content-Type") != PROBLEM_JSON:
            allowed = response.get("Allow", "")
            return problem(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here; allowed: {allowed}.",
                headers={"Allow": allowed},
            )
        return response

    return wrapped


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return problem(404, "not_found", "There is no such endpoint in this API.")


_patterns, _app_name, _namespace = api.urls
for pattern in _patterns:
    if isinstance(pattern, URLPattern):
        pattern.callback = _problems_only(pattern.callback)

urlpatterns = [
    path("", (_patterns, _app_name, _namespace)),
    re_path(r"^(?P<path>.*)$", not_found),
]
