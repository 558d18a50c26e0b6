from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "membercard.inventory"
    label = "inventory"
    verbose_name = "Card stock and handovers"
