from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "membercard.ledger"
    label = "ledger"
    verbose_name = "Ledger"
