"""Addresses of the backoffice pages (names are in the ``web`` namespace), under ``/hq/``:
set-up (card products, stores, staff, terminal keys), batches and HQ stock."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import lookups, security, setup, stock

urlpatterns: list = [
    path("products/", setup.products, name="products"),
    path("products/new/", setup.product_create, name="product-create"),
    path("products/<int:pk>/", setup.product_detail, name="product"),
    path("products/<int:pk>/edit/", setup.product_edit, name="product-edit"),
    path("stores/", setup.stores, name="stores"),
    path("stores/new/", setup.store_create, name="store-create"),
    path("stores/<int:pk>/edit/", setup.store_edit, name="store-edit"),
    path("staff/", setup.staff_list, name="staff"),
    path("staff/new/", setup.staff_create, name="staff-create"),
    path("staff/<int:pk>/edit/", setup.staff_edit, name="staff-edit"),
    path("staff/<int:pk>/deactivate/", setup.staff_deactivate, name="staff-deactivate"),
    path("sign-in/", security.signin_security, name="signin-security"),
    path("sign-in/unlock/", security.signin_unlock, name="signin-unlock"),
    path(
        "staff/<int:pk>/second-factor/reset/",
        security.second_factor_reset,
        name="staff-second-factor-reset",
    ),
    path("terminals/", setup.terminals, name="terminals"),
    path("lookup-misses/", lookups.lookup_misses, name="lookup-misses"),
    path("terminals/<int:pk>/revoke/", setup.terminal_revoke, name="terminal-revoke"),
    path("batches/", stock.batches, name="batches"),
    path("batches/new/", stock.batch_create, name="batch-create"),
    path("batches/import/", stock.batch_import, name="batch-import"),
    path("batches/void/", stock.batch_void, name="batch-void"),
    path("batches/<int:pk>/", stock.batch_detail, name="batch"),
    path("batches/<int:pk>/cards.csv", stock.batch_csv, name="batch-csv"),
    path("batches/<int:pk>/proof.pdf", stock.batch_proof, name="batch-proof"),
    path("batches/<int:pk>/receive/", stock.batch_receive, name="batch-receive"),
    path("batches/<int:pk>/cancel/", stock.batch_cancel, name="batch-cancel"),
    path("batches/<int:pk>/sign/<slug:step>/", stock.batch_sign, name="batch-sign"),
    path("stock/", stock.stock, name="stock"),
    path("stock/ranges/", stock.stock_ranges_view, name="stock-ranges"),
]
