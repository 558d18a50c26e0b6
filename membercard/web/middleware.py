"""Each staff member's own language: the Staff.language field wins over the browser's."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

_LANGUAGES = {code for code, _ in settings.LANGUAGES}


class StaffLanguageMiddleware:
    """Runs after authentication; LocaleMiddleware has already picked a language from the
    session, cookie or browser for anonymous pages (the login page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language not in _LANGUAGES:
            return self.get_response(request)
        request.LANGUAGE_CODE = language
        # Only for this request: the thread serves other staff members next.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
