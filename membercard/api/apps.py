from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "membercard.api"
    label = "api"
    verbose_name = "POS terminal API"
