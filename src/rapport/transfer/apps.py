from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "rapport.transfer"
    label = "transfer"
    verbose_name = "Platform: import and export"
