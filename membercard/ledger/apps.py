from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "membercard.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from membercard.ledger import guards

        guards.connect()
