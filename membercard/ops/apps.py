from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "membercard.ops"
    label = "ops"
    verbose_name = "Operations (serve, verify, demo, backups, audit)"

    def ready(self) -> None:
        from membercard.ops import audit

        audit.connect()
