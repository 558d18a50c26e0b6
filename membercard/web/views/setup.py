"""HQ set-up pages: card products, stores, staff and POS terminal keys.

Lists are for the HQ roles that need them; every change is an HQ admin's (the permission table)
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

from membercard.approvals.settings_changes import ProductSaved, request_product_change
from membercard.cards.models import CardProduct
from membercard.cards.policies import guessable
from membercard.core import services as setup
from membercard.core.models import Location, Staff, Terminal
from membercard.core.permissions import Action, allowed
from membercard.core.terminals import create_terminal_key, revoke_terminal_key
from membercard.web.access import actor_of, staff_page
from membercard.web.forms.flows import form_page, submit
from membercard.web.forms.setup import ROLE_LABELS, ProductForm, StaffForm, StoreForm, TerminalForm
from membercard.web.lists import list_page
from membercard.web.views.stock_common import CARD_STATES, labelled

# Card products -----------------------------------------------------------------------------


@staff_page(Action.VIEW_SETUP)
def products(request: HttpRequest) -> HttpResponse:
    listing = list_page(
        request,
        CardProduct.objects.annotate(card_count=Count("cards")),
        search=("code__icontains", "name__icontains", "number_prefix__startswith"),
        sortable=("code", "name", "number_prefix", "is_active", "card_count"),
        default_sort="code",
    )
    can_edit = allowed(actor_of(request), Action.MANAGE_PRODUCTS)
    return render(request, "web/setup/products.html", {"listing": listing, "can_edit": can_edit})


@staff_page(Action.VIEW_SETUP)
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
        "can_edit": allowed(actor_of(request), Action.MANAGE_PRODUCTS),
        "guessable": guessable(product),
    }
    return render(request, "web/setup/product_detail.html", context)


def _product_form(request: HttpRequest, product: CardProduct | None) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product)

    def saved(result: ProductSaved) -> HttpResponse:
        if result.request is None:
            messages.success(request, _("Card product %(name)s saved.") % {"name": result.product})
            return redirect("web:product", pk=result.product.pk)
        messages.success(
            request,
            _(
                "Card product %(name)s saved. Its money policy changes wait for someone "
                "else's approval: request #%(number)d."
            )
            % {"name": result.product, "number": result.request.pk},
        )
        return redirect("web:approval", request_id=result.request.pk)

    return form_page(
        request,
        form,
        lambda data: request_product_change(
            actor=actor_of(request),
            product=form.save(commit=False),
            idempotency_key=data["idempotency_key"],
        ),
        done=saved,
        template="web/setup/product_form.html",
        context={"product": product},
    )


def _saved(request: HttpRequest, message: str, to: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(to)


@staff_page(Action.MANAGE_PRODUCTS)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form(request, None)


@staff_page(Action.MANAGE_PRODUCTS)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form(request, get_object_or_404(CardProduct, pk=pk))


# Stores ------------------------------------------------------------------------------------


@staff_page(Action.MANAGE_STORES)
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


@staff_page(Action.MANAGE_STORES)
def store_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        StoreForm(request.POST or None),
        lambda data: setup.create_store(actor=actor_of(request), **data),
        done=lambda store: _saved(
            request, _("Store %(store)s opened.") % {"store": store}, "web:stores"
        ),
        template="web/setup/store_form.html",
    )


@staff_page(Action.MANAGE_STORES)
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(Location, pk=pk)
    initial = {"code": store.code, "name": store.name, "address": store.address}
    initial["is_active"] = store.is_active
    return form_page(
        request,
        StoreForm(request.POST or None, initial=initial, editing=True),
        lambda data: setup.update_store(
            actor=actor_of(request),
            location_id=store.pk,
            name=data["name"],
            address=data["address"],
            is_active=data["is_active"],
        ),
        done=lambda _store: _saved(
            request, _("%(store)s saved.") % {"store": store.code}, "web:stores"
        ),
        template="web/setup/store_form.html",
        context={"store": store},
    )


# Staff -------------------------------------------------------------------------------------


@staff_page(Action.MANAGE_STAFF)
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


@staff_page(Action.MANAGE_STAFF)
def staff_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        StaffForm(request.POST or None),
        lambda data: setup.create_staff(actor=actor_of(request), **data),
        done=lambda person: _saved(
            request, _("%(name)s can now sign in.") % {"name": person}, "web:staff"
        ),
        template="web/setup/staff_form.html",
    )


@staff_page(Action.MANAGE_STAFF)
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
    return form_page(
        request,
        StaffForm(request.POST or None, initial=initial, editing=True),
        lambda data: setup.update_staff(
            actor=actor_of(request),
            staff_id=person.pk,
            **{name: value for name, value in data.items() if name != "username"},
        ),
        done=lambda _person: _saved(
            request, _("%(name)s saved.") % {"name": person.username}, "web:staff"
        ),
        template="web/setup/staff_form.html",
        context={"person": person},
    )


@require_POST
@staff_page(Action.MANAGE_STAFF)
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


@staff_page(Action.MANAGE_TERMINALS)
def terminals(request: HttpRequest) -> HttpResponse:
    form = TerminalForm(request.POST or None)
    if request.method != "POST":
        return _terminal_page(request, form)
    outcome = submit(
        form,
        lambda data: create_terminal_key(
            store_code=data["store"].code, name=data["name"], by=actor_of(request).staff
        ),
    )
    if outcome.done:
        terminal, key = outcome.result
        return _terminal_page(request, TerminalForm(), new_terminal=terminal, new_key=key)
    return _terminal_page(request, form, status=outcome.status)


@require_POST
@staff_page(Action.MANAGE_TERMINALS)
def terminal_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    terminal = get_object_or_404(Terminal.objects.select_related("location"), pk=pk)
    revoke_terminal_key(terminal=terminal, by=actor_of(request).staff)
    messages.success(
        request, _("The key of %(terminal)s no longer works.") % {"terminal": terminal}
    )
    return redirect("web:terminals")
