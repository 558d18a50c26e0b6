from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "membercard.web"
    label = "web"
    verbose_name = "Staff web app"
