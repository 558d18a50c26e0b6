from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "membercard.loyalty"
    label = "loyalty"
    verbose_name = "Members and loyalty"
