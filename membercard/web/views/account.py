"""The signed-in staff member's own settings: the UI language, the password, the second
factor."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.core.permissions import Action, role_may

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


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The staff member's own sign-in: change the password, the second factor's state."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    enrolled = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists()
    context = {"enrolled": enrolled, "is_admin": role_may(request.user.role, Action.MANAGE_SIGNIN)}
    return render(request, "web/account/account.html", context)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Django's password change (the old password, the new one twice, checked by the
    installation's validators). The session hash changes with the password, so every other
    session of this staff member ends; this one is kept."""
    form = PasswordChangeForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            update_session_auth_hash(request, form.user)
            messages.success(request, _("Your password was changed. Other sessions were ended."))
            return redirect("account")
        status = 422
    return render(request, "web/account/password_change.html", {"form": form}, status=status)
