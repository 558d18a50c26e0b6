"""The second factor (verify a code after the password, enrol an authenticator app) and HQ's
sign-in security page (lift sign-in locks, reset a staff member's second factor).

``SecondFactorMiddleware`` keeps a staff member who has not passed the second factor on the
first two pages; the services are in ``membercard.ops.signin``.
"""

from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercard.core.errors import DomainError
from membercard.core.models import Staff
from membercard.core.permissions import Action
from membercard.ops import signin
from membercard.web.access import actor_of, staff_page

ENROLMENT_KEY = "membercard_enrolment_device"


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows, or one of your recovery codes."
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/"
    return target


def _verified_device(user, token: str):
    """The user's TOTP device, else their recovery-code device, that accepts ``token``
    (each checked on its own, so django-otp's per-device throttling applies)."""
    token = token.replace(" ", "").strip()
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.devices_for_user(user, confirmed=True):
            verified = verify_token(user, device.persistent_id, token)
            if verified is not None:
                return verified
    return None


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator app (or a recovery code)."""
    if request.user.is_verified():
        return redirect(_next(request))
    if not user_has_device(request.user):
        return redirect("second-factor-enrol")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            device = _verified_device(request.user, form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        _(
                            "Recovery code used: %(left)d left. Ask an HQ admin to reset your "
                            "second factor if you lost your phone."
                        )
                        % {"left": left},
                    )
                return redirect(_next(request))
            form.add_error("token", _("That code is not right."))
        status = 422
    context = {"form": form, "next": _next(request)}
    return render(request, "web/account/verify.html", context, status=status)


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: shows its secret (QR code, otpauth address and the secret in
    text), then confirms it with one code and shows the 10 recovery codes once."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect("second-factor-verify")  # replacing a factor needs the old one first
    form = CodeForm(request.POST or None)
    device = None
    if request.method == "POST":
        device_id = request.session.get(ENROLMENT_KEY)
        if form.is_valid() and isinstance(device_id, int):
            try:
                device, codes = signin.confirm_enrolment(
                    staff=user,
                    device_id=device_id,
                    token=form.cleaned_data["token"],
                    request=request,
                )
            except DomainError as error:
                # Not ``flows.submit``: this page is before sign-in is complete (no
                # ``staff_page``), and every refusal here is about the one code typed.
                form.add_error("token", error.message)
            else:
                request.session.pop(ENROLMENT_KEY, None)
                otp_login(request, device)
                context = {"codes": codes, "next": _next(request)}
                response = render(request, "web/account/recovery_codes.html", context)
                response["Cache-Control"] = "no-store"
                return response
        device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        device = signin.start_enrolment(staff=user)
        request.session[ENROLMENT_KEY] = device.pk
    uri = device.config_url
    context = {
        "form": form,
        "uri": uri,
        "qr": _qr_svg(uri),
        "secret": _grouped_secret(uri),
        "required": user.needs_second_factor,
        "next": _next(request),
    }
    status = 422 if request.method == "POST" else 200
    response = render(request, "web/account/enrol.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _grouped_secret(uri: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# HQ: sign-in locks and second factors ------------------------------------------------------


@staff_page(Action.MANAGE_SIGNIN)
def signin_security(request: HttpRequest) -> HttpResponse:
    """Locked usernames and addresses (with "Unlock"), and each active staff member's second
    factor (with "Reset")."""
    people = list(Staff.objects.filter(is_active=True).select_related("location"))
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=people).values_list("user_id", flat=True)
    )
    rows = [{"person": p, "enrolled": p.pk in enrolled} for p in people]
    context = {"locks": signin.current_locks(), "rows": rows}
    return render(request, "web/account/signin_security.html", context)


@require_POST
@staff_page(Action.MANAGE_SIGNIN)
def signin_unlock(request: HttpRequest) -> HttpResponse:
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    signin.unlock(actor=actor_of(request), kind=kind, value=value, request=request)
    messages.success(request, _("%(value)s may sign in again.") % {"value": value})
    return redirect("web:signin-security")


@require_POST
@staff_page(Action.MANAGE_SIGNIN)
def second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = signin.reset_second_factor(actor=actor_of(request), staff_id=pk, request=request)
    messages.success(
        request,
        _("%(name)s's second factor was removed; they enrol again at their next sign-in.")
        % {"name": person.username},
    )
    return redirect("web:signin-security")
