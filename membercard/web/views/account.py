"""The signed-in staff member's own settings: the UI language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

_LANGUAGES = {code for code, _ in settings.LANGUAGES}


@require_POST
@login_required
def set_language(request: HttpRequest) -> HttpResponse:
    """Saves the choice on the staff record, so it follows them to any till."""
    language = request.POST.get("language", "")
    if language in _LANGUAGES:
        request.user.language = language
        request.user.save(update_fields=["language"])
    back = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/"
    return redirect(back)
