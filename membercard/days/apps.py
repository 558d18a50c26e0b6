from django.apps import AppConfig


class DaysConfig(AppConfig):
    name = "membercard.days"
    label = "days"
    verbose_name = "Business days"
