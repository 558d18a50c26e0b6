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
from membercard.core.permissions import Action, allowed
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
from membercard.web.forms.flows import form_page, submit
from membercard.web.forms.loyalty import (
    GiftAdjustForm,
    GiftForm,
    GiftReceiveForm,
    GiftSendForm,
    with_gift_choices,
)
from membercard.web.lists import list_page

# Catalog --------------------------------------------------------------------------------


@access.staff_page(Action.VIEW_SETUP)
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
        "can_edit": allowed(actor, Action.MANAGE_GIFTS),
    }
    return render(request, "web/gifts/list.html", context)


def _gift_values(data: dict) -> dict:
    fields = ("name", "description", "points_price", "active_from", "active_until", "is_active")
    return {name: data[name] for name in fields}


@access.staff_page(Action.MANAGE_GIFTS)
def gift_new(request: HttpRequest) -> HttpResponse:
    def added(gift: Gift) -> HttpResponse:
        messages.success(request, _("The gift was added to the catalog."))
        return redirect(reverse("web:gift-detail", args=[gift.code]))

    return form_page(
        request,
        GiftForm(request.POST or None, request.FILES or None),
        lambda data: create_gift(
            actor=actor_of(request),
            code=data["code"],
            picture=data["picture"] or None,
            **_gift_values(data),
        ),
        done=added,
        template="web/gifts/form.html",
        context={"gift": None},
    )


def _gift_changes(data: dict) -> dict:
    changes = _gift_values(data)
    if data["picture"] is False:  # "clear" ticked
        changes["picture"] = None
    elif data["picture"]:
        changes["picture"] = data["picture"]
    return changes


@access.staff_page(Action.MANAGE_GIFTS)
def gift_edit(request: HttpRequest, code: str) -> HttpResponse:
    gift = find_gift(code)
    if request.method == "POST":
        form = GiftForm(request.POST, request.FILES, editing=True, initial={"code": gift.code})
    else:
        fields = ("code", "name", "description", "points_price", "active_from", "active_until")
        initial = {name: getattr(gift, name) for name in (*fields, "is_active", "picture")}
        form = GiftForm(initial=initial, editing=True)

    def saved(_gift) -> HttpResponse:
        messages.success(request, _("The gift was saved."))
        return redirect(reverse("web:gift-detail", args=[gift.code]))

    return form_page(
        request,
        form,
        lambda data: update_gift(actor=actor_of(request), code=gift.code, **_gift_changes(data)),
        done=saved,
        template="web/gifts/form.html",
        context={"gift": gift},
    )


@access.staff_page(Action.VIEW_SETUP)
def gift_detail(request: HttpRequest, code: str) -> HttpResponse:
    gift = find_gift(code)
    actor = actor_of(request)
    context = {
        "gift": gift,
        "picture": picture_url(gift),
        "stock": gift_stock(gift_code=gift.code),
        "movements": gift_movements(gift_code=gift.code),
        "can_edit": allowed(actor, Action.MANAGE_GIFTS),
        "can_move": allowed(actor, Action.MOVE_GIFT_STOCK),
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
    context = {"stock": gift_stock(), "can_move": allowed(actor, Action.MOVE_GIFT_STOCK)}
    if context["can_move"]:
        context.update(forms or _stock_forms())
    return render(request, "web/gifts/stock.html", context, status=status)


@access.staff_page(Action.VIEW_SETUP)
def stock_page(request: HttpRequest) -> HttpResponse:
    return _stock_page(request)


@require_POST
@access.staff_page(Action.MOVE_GIFT_STOCK)
def stock_move(request: HttpRequest, action: str) -> HttpResponse:
    forms = _stock_forms(request.POST, action)
    form = forms.get(f"{action}_form")
    if form is None:
        return redirect(reverse("web:gift-stock"))
    actor = actor_of(request)
    movers = {
        "receive": lambda data: receive_gift_stock(
            actor=actor, gift_code=data["gift"], quantity=data["quantity"], reason=data["reason"]
        ),
        "send": lambda data: send_gift_stock(
            actor=actor,
            gift_code=data["gift"],
            to_location=data["to_location"],
            quantity=data["quantity"],
            note=data["note"],
        ),
        "adjust": lambda data: adjust_gift_stock(
            actor=actor,
            gift_code=data["gift"],
            location=data["location"],
            delta=data["delta"],
            reason=data["reason"],
        ),
    }
    outcome = submit(form, movers[action])
    if outcome.done:
        messages.success(request, _("The gift stock was updated."))
        return redirect(reverse("web:gift-stock"))
    return _stock_page(request, forms, outcome.status)
