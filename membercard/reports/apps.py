from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "membercard.reports"
    label = "reports"
    verbose_name = "Reports (day rollups, sales and inventory, liability)"
