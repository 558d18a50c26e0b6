from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "membercard.cards"
    label = "cards"
    verbose_name = "Card products and cards"
