"""Addresses of the stock pages (names are in the ``web`` namespace), under ``/stock/``:
a store's own stock, stocktakes and handovers (HQ's stock keepers and store managers)."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import handovers, stock, stock_recovered, stock_stocktakes

urlpatterns: list = [
    path("", stock.store_stock, name="store-stock"),
    path("ranges/", stock.store_stock_ranges, name="store-stock-ranges"),
    path("recovered/", stock_recovered.recovered_cards, name="recovered-cards"),
    path("recovered/restock/", stock_recovered.recovered_restock, name="recovered-restock"),
    path("recovered/void/", stock_recovered.recovered_void, name="recovered-void"),
    path("stocktakes/", stock_stocktakes.stocktakes, name="stocktakes"),
    path("stocktakes/start/", stock_stocktakes.stocktake_start, name="stocktake-start"),
    path("stocktakes/<int:pk>/", stock_stocktakes.stocktake_detail, name="stocktake"),
    path("stocktakes/<int:pk>/count/", stock_stocktakes.stocktake_count, name="stocktake-count"),
    path(
        "stocktakes/<int:pk>/confirm/",
        stock_stocktakes.stocktake_confirm,
        name="stocktake-confirm",
    ),
    path("stocktakes/<int:pk>/cancel/", stock_stocktakes.stocktake_cancel, name="stocktake-cancel"),
    path("handovers/", handovers.handovers, name="handovers"),
    path("handovers/new/", handovers.handover_create, name="handover-create"),
    path("handovers/<int:pk>/", handovers.handover_detail, name="handover"),
    path("handovers/<int:pk>/sheet.pdf", handovers.handover_sheet, name="handover-sheet"),
    path("handovers/<int:pk>/add/", handovers.handover_add, name="handover-add"),
    path("handovers/<int:pk>/remove/", handovers.handover_remove, name="handover-remove"),
    path("handovers/<int:pk>/dispatch/", handovers.handover_dispatch, name="handover-dispatch"),
    path("handovers/<int:pk>/cancel/", handovers.handover_cancel, name="handover-cancel"),
    path("handovers/<int:pk>/receive/", handovers.handover_receive, name="handover-receive"),
    path(
        "handovers/lines/<int:line_pk>/resolve/",
        handovers.handover_resolve,
        name="handover-resolve",
    ),
]
