from django.apps import AppConfig


class ResolutionConfig(AppConfig):
    name = "rapport.resolution"
    label = "resolution"
    verbose_name = "Identify: duplicates and merges"
