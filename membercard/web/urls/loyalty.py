"""Addresses of the HQ card, member, loyalty and gift pages (names are in the ``web``
namespace; mounted under ``/hq/``)."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import cards, gifts, loyalty, members

urlpatterns: list = [
    # Cards.
    path("cards/", cards.card_list, name="cards"),
    path("cards/<str:number>/", cards.card_detail, name="card-detail"),
    path("cards/<str:number>/adjust/", cards.card_adjust, name="card-adjust"),
    path("cards/<str:number>/top-up/", cards.card_top_up, name="card-top-up"),
    path("cards/<str:number>/freeze/", cards.card_freeze, name="card-freeze"),
    path("cards/<str:number>/replace/", cards.card_replace, name="card-replace"),
    path("cards/<str:number>/tier/", cards.card_tier, name="card-tier"),
    # Members.
    path("members/", members.member_list, name="members"),
    path("members/export.csv", members.member_export, name="member-export"),
    path("members/<int:member_id>/", members.member_page, name="member-detail"),
    path("members/<int:member_id>/edit/", members.member_edit, name="member-edit"),
    # Loyalty programs and prepaid limits.
    path("loyalty/", loyalty.loyalty_overview, name="loyalty"),
    path("loyalty/limits/", loyalty.limits_save, name="loyalty-limits"),
    path("loyalty/<slug:code>/", loyalty.loyalty_product, name="loyalty-product"),
    path("loyalty/<slug:code>/tiers/", loyalty.tier_edit, name="loyalty-tier-new"),
    path("loyalty/<slug:code>/tiers/<slug:tier_code>/", loyalty.tier_edit, name="loyalty-tier"),
    # Campaigns.
    path("campaigns/", loyalty.campaign_list, name="campaigns"),
    path("campaigns/new/", loyalty.campaign_new, name="campaign-new"),
    path("campaigns/<int:campaign_id>/", loyalty.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:campaign_id>/end/", loyalty.campaign_end, name="campaign-end"),
    # Gifts and gift stock.
    path("gifts/", gifts.gift_list, name="gifts"),
    path("gifts/new/", gifts.gift_new, name="gift-new"),
    path("gift-stock/", gifts.stock_page, name="gift-stock"),
    path("gift-stock/<str:action>/", gifts.stock_move, name="gift-stock-move"),
    path("gifts/<str:code>/", gifts.gift_detail, name="gift-detail"),
    path("gifts/<str:code>/edit/", gifts.gift_edit, name="gift-edit"),
]
