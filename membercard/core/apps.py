from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "membercard.core"
    label = "core"
    verbose_name = "Locations and staff"

    def ready(self) -> None:
        from membercard.core import guards

        guards.connect()
