from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "membercard.core"
    label = "core"
    verbose_name = "Locations and staff"
