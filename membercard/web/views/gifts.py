"""HQ gift pages: the catalog (HQ admin creates and edits, with a picture), one gift with
its stock per location and its movements, and gift stock: received at HQ, sent to a
store, adjusted with a reason (HQ stock keeper or admin)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.core.models import Location, LocationKind
from membercard.loyalty.gift_selectors import gift_movements, gift_stock, picture_url
from membercard.loyalty.models import Gift
from membercard.loyalty.services.gifts import (
    adjust_gift_stock,
    create_gift,
    find_gift,
    receive_gift_stock,
    send_gift_stock,
    update_gift,
)
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.cards import service_succeeded
from membercard.web.forms.loyalty import (
    GiftAdjustForm,
    GiftForm,
    GiftReceiveForm,
    GiftSendForm,
    with_gift_choices,
)
from membercard.web.lists import list_page

STOCK_MOVERS = access.STOCK_KEEPING | access.ADMIN


# Catalog --------------------------------------------------------------------------------


@access.staff_page(access.HQ)
def gift_list(request: HttpRequest) -> HttpResponse:
    gifts = Gift.objects.annotate(in_stock=Sum("stock__quantity"))
    listing = list_page(
        request,
        gifts,
        search=("code__icontains", "name__icontains"),
        sortable=("code", "name", "points_price", "active_from", "active_until", "in_stock"),
        default_sort="code",
    )
    actor = actor_of(request)
    context = {
        "listing": listing,
        "can_edit": actor.role in access.ADMIN,
    }
    return render(request, "web/gifts/list.html", context)


def _gift_values(data: dict) -> dict:
    fields = ("name", "description", "points_price", "active_from", "active_until", "is_active")
    return {name: data[name] for name in fields}


@access.staff_page(access.ADMIN)
def gift_new(request: HttpRequest) -> HttpResponse:
    form = GiftForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            picture = data["picture"] or None
            if service_succeeded(
                form,
                create_gift,
                actor=actor_of(request),
                code=data["code"],
                picture=picture,
                **_gift_values(data),
            ):
                messages.success(request, _("The gift was added to the catalog."))
                return redirect(reverse("web:gift-detail", args=[data["code"].strip().upper()]))
        status = 422
    context = {"form": form, "gift": None}
    return render(request, "web/gifts/form.html", context, status=status)


@access.staff_page(access.ADMIN)
def gift_edit(request: HttpRequest, code: str) -> HttpResponse:
    gift = find_gift(code)
    status = 200
    if request.method == "POST":
        form = GiftForm(request.POST, request.FILES, editing=True, initial={"code": gift.code})
        if form.is_valid():
            data = form.cleaned_data
            changes = _gift_values(data)
            if data["picture"] is False:  # "clear" ticked
                changes["picture"] = None
            elif data["picture"]:
                changes["picture"] = data["picture"]
            if service_succeeded(
                form, update_gift, actor=actor_of(request), code=gift.code, **changes
            ):
                messages.success(request, _("The gift was saved."))
                return redirect(reverse("web:gift-detail", args=[gift.code]))
        status = 422
    else:
        fields = ("code", "name", "description", "points_price", "active_from", "active_until")
        initial = {name: getattr(gift, name) for name in (*fields, "is_active", "picture")}
        form = GiftForm(initial=initial, editing=True)
    context = {"form": form, "gift": gift}
    return render(request, "web/gifts/form.html", context, status=status)


@access.staff_page(access.HQ)
def gift_detail(request: HttpRequest, code: str) -> HttpResponse:
    gift = find_gift(code)
    actor = actor_of(request)
    context = {
        "gift": gift,
        "picture": picture_url(gift),
        "stock": gift_stock(gift_code=gift.code),
        "movements": gift_movements(gift_code=gift.code),
        "can_edit": actor.role in access.ADMIN,
        "can_move": actor.role in STOCK_MOVERS,
    }
    return render(request, "web/gifts/detail.html", context)


# Stock ----------------------------------------------------------------------------------


def _stores():
    return Location.objects.filter(kind=LocationKind.STORE, is_active=True).order_by("code")


def _stock_forms(data=None, which: str = "") -> dict:
    gifts = Gift.objects.order_by("code")
    return {
        "receive_form": with_gift_choices(
            GiftReceiveForm(data if which == "receive" else None, prefix="receive"), gifts
        ),
        "send_form": with_gift_choices(
            GiftSendForm(data if which == "send" else None, prefix="send", stores=_stores()),
            gifts,
        ),
        "adjust_form": with_gift_choices(
            GiftAdjustForm(
                data if which == "adjust" else None,
                prefix="adjust",
                locations=Location.objects.filter(is_active=True).order_by("code"),
            ),
            gifts,
        ),
    }


def _stock_page(request: HttpRequest, forms: dict | None = None, status: int = 200):
    actor = actor_of(request)
    context = {"stock": gift_stock(), "can_move": actor.role in STOCK_MOVERS}
    if context["can_move"]:
        context.update(forms or _stock_forms())
    return render(request, "web/gifts/stock.html", context, status=status)


@access.staff_page(access.HQ)
def stock_page(request: HttpRequest) -> HttpResponse:
    return _stock_page(request)


@require_POST
@access.staff_page(STOCK_MOVERS)
def stock_move(request: HttpRequest, action: str) -> HttpResponse:
    forms = _stock_forms(request.POST, action)
    form = forms.get(f"{action}_form")
    if form is None:
        return redirect(reverse("web:gift-stock"))
    actor = actor_of(request)
    if form.is_valid():
        data = form.cleaned_data
        if action == "receive":
            done = service_succeeded(
                form, receive_gift_stock, actor=actor, gift_code=data["gift"],
                quantity=data["quantity"], reason=data["reason"],
            )  # fmt: skip
        elif action == "send":
            done = service_succeeded(
                form, send_gift_stock, actor=actor, gift_code=data["gift"],
                to_location=data["to_location"], quantity=data["quantity"], note=data["note"],
            )  # fmt: skip
        else:
            done = service_succeeded(
                form, adjust_gift_stock, actor=actor, gift_code=data["gift"],
                location=data["location"], delta=data["delta"], reason=data["reason"],
            )  # fmt: skip
        if done:
            messages.success(request, _("The gift stock was updated."))
            return redirect(reverse("web:gift-stock"))
    return _stock_page(request, forms, 422)
