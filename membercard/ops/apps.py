from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "membercard.ops"
    label = "ops"
    verbose_name = "Operations (serve, verify, demo, backups)"
