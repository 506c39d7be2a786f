from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "rapport.offers"
    label = "offers"
    verbose_name = "Customize: the catalog"
