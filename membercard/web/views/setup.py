"""HQ set-up pages: card products, stores, staff and POS terminal keys.

Lists are for the HQ roles that need them; every change is an HQ admin's (``access.ADMIN``)
and goes through a service (``membercard.cards.products``, ``membercard.core.services``,
``membercard.core.terminals``), which checks the actor again.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.cards.models import CardProduct
from membercard.cards.products import save_product
from membercard.core import services as setup
from membercard.core.errors import DomainError
from membercard.core.models import Location, Staff, Terminal
from membercard.core.terminals import create_terminal_key, revoke_terminal_key
from membercard.web import access
from membercard.web.access import actor_of, staff_page
from membercard.web.forms.setup import ROLE_LABELS, ProductForm, StaffForm, StoreForm, TerminalForm
from membercard.web.lists import list_page
from membercard.web.views.stock_common import (
    CARD_STATES,
    UNPROCESSABLE,
    labelled,
    refuse_in_form,
)

# Card products -----------------------------------------------------------------------------


@staff_page(access.HQ)
def products(request: HttpRequest) -> HttpResponse:
    listing = list_page(
        request,
        CardProduct.objects.annotate(card_count=Count("cards")),
        search=("code__icontains", "name__icontains", "number_prefix__startswith"),
        sortable=("code", "name", "number_prefix", "is_active", "card_count"),
        default_sort="code",
    )
    can_edit = actor_of(request).role in access.ADMIN
    return render(request, "web/setup/products.html", {"listing": listing, "can_edit": can_edit})


@staff_page(access.HQ)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(CardProduct, pk=pk)
    by_state = dict(
        product.cards.values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("state", "n")
    )
    states = [(label, by_state.get(value, 0)) for value, label in CARD_STATES.items()]
    context = {
        "product": product,
        "states": states,
        "batches": product.batches.order_by("-pk")[:10],
        "can_edit": actor_of(request).role in access.ADMIN,
    }
    return render(request, "web/setup/product_detail.html", context)


def _product_form(request: HttpRequest, product: CardProduct | None) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save_product(actor=actor_of(request), product=form.save(commit=False))
            except DomainError as error:
                refuse_in_form(form, error)
            else:
                messages.success(request, _("Card product %(name)s saved.") % {"name": saved})
                return redirect("web:product", pk=saved.pk)
        status = UNPROCESSABLE
    context = {"form": form, "product": product}
    return render(request, "web/setup/product_form.html", context, status=status)


@staff_page(access.ADMIN)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form(request, None)


@staff_page(access.ADMIN)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form(request, get_object_or_404(CardProduct, pk=pk))


# Stores ------------------------------------------------------------------------------------


@staff_page(access.ADMIN)
def stores(request: HttpRequest) -> HttpResponse:
    listing = list_page(
        request,
        Location.objects.annotate(
            staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True)
        ),
        search=("code__icontains", "name__icontains", "address__icontains"),
        sortable=("code", "name", "kind", "is_active"),
        default_sort="code",
    )
    return render(request, "web/setup/stores.html", {"listing": listing})


@staff_page(access.ADMIN)
def store_create(request: HttpRequest) -> HttpResponse:
    form = StoreForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                store = setup.create_store(actor=actor_of(request), **form.cleaned_data)
            except DomainError as error:
                refuse_in_form(form, error)
            else:
                messages.success(request, _("Store %(store)s opened.") % {"store": store})
                return redirect("web:stores")
        status = UNPROCESSABLE
    return render(request, "web/setup/store_form.html", {"form": form}, status=status)


@staff_page(access.ADMIN)
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(Location, pk=pk)
    initial = {"code": store.code, "name": store.name, "address": store.address}
    initial["is_active"] = store.is_active
    form = StoreForm(request.POST or None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                setup.update_store(
                    actor=actor_of(request),
                    location_id=store.pk,
                    name=data["name"],
                    address=data["address"],
                    is_active=data["is_active"],
                )
            except DomainError as error:
                refuse_in_form(form, error)
            else:
                messages.success(request, _("%(store)s saved.") % {"store": store.code})
                return redirect("web:stores")
        status = UNPROCESSABLE
    context = {"form": form, "store": store}
    return render(request, "web/setup/store_form.html", context, status=status)


# Staff -------------------------------------------------------------------------------------


@staff_page(access.ADMIN)
def staff_list(request: HttpRequest) -> HttpResponse:
    people = Staff.objects.select_related("location")
    location = request.GET.get("location", "")
    if location.isdigit():
        people = people.filter(location_id=int(location))
    listing = list_page(
        request,
        people,
        search=(
            "username__icontains",
            "first_name__icontains",
            "last_name__icontains",
            "location__code__iexact",
        ),
        sortable=("username", "last_name", "role", "location__code", "is_active", "last_login"),
        default_sort="username",
        keep=("location",),
    )
    listing.page.object_list = labelled(listing.rows, "role", ROLE_LABELS)
    context = {"listing": listing, "locations": Location.objects.order_by("code")}
    return render(request, "web/setup/staff.html", context)


@staff_page(access.ADMIN)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                person = setup.create_staff(actor=actor_of(request), **form.cleaned_data)
            except DomainError as error:
                refuse_in_form(form, error)
            else:
                messages.success(request, _("%(name)s can now sign in.") % {"name": person})
                return redirect("web:staff")
        status = UNPROCESSABLE
    return render(request, "web/setup/staff_form.html", {"form": form}, status=status)


@staff_page(access.ADMIN)
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Staff, pk=pk)
    initial = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "role": person.role,
        "location": person.location_id,
        "language": person.language,
        "is_active": person.is_active,
    }
    form = StaffForm(request.POST or None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("username", None)
            try:
                setup.update_staff(actor=actor_of(request), staff_id=person.pk, **data)
            except DomainError as error:
                refuse_in_form(form, error)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": person.username})
                return redirect("web:staff")
        status = UNPROCESSABLE
    context = {"form": form, "person": person}
    return render(request, "web/setup/staff_form.html", context, status=status)


@require_POST
@staff_page(access.ADMIN)
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = setup.deactivate_staff(actor=actor_of(request), staff_id=pk)
    messages.success(request, _("%(name)s can no longer sign in.") % {"name": person.username})
    return redirect("web:staff")


# Terminal keys -----------------------------------------------------------------------------


def _terminal_page(request: HttpRequest, form: TerminalForm, **extra) -> HttpResponse:
    listing = list_page(
        request,
        Terminal.objects.select_related("location", "created_by"),
        search=("name__icontains", "location__code__iexact", "key_prefix__startswith"),
        sortable=("location__code", "name", "created_at", "revoked_at", "last_used_at"),
        default_sort="location__code",
    )
    status = extra.pop("status", 200)
    context = {"listing": listing, "form": form, **extra}
    response = render(request, "web/setup/terminals.html", context, status=status)
    if "new_key" in extra:
        response["Cache-Control"] = "no-store"  # the key is shown once, never cached
    return response


@staff_page(access.ADMIN)
def terminals(request: HttpRequest) -> HttpResponse:
    form = TerminalForm(request.POST or None)
    if request.method != "POST":
        return _terminal_page(request, form)
    if form.is_valid():
        try:
            terminal, key = create_terminal_key(
                store_code=form.cleaned_data["store"].code,
                name=form.cleaned_data["name"],
                by=actor_of(request).staff,
            )
        except DomainError as error:
            refuse_in_form(form, error)
        else:
            return _terminal_page(request, TerminalForm(), new_terminal=terminal, new_key=key)
    return _terminal_page(request, form, status=UNPROCESSABLE)


@require_POST
@staff_page(access.ADMIN)
def terminal_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    terminal = get_object_or_404(Terminal.objects.select_related("location"), pk=pk)
    revoke_terminal_key(terminal=terminal, by=actor_of(request).staff)
    messages.success(
        request, _("The key of %(terminal)s no longer works.") % {"terminal": terminal}
    )
    return redirect("web:terminals")
