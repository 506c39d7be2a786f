from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "rapport.needs"
    label = "needs"
    verbose_name = "Differentiate: needs profiles and segments"
