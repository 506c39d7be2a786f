from django.apps import AppConfig


class ValuationConfig(AppConfig):
    name = "rapport.valuation"
    label = "valuation"
    verbose_name = "Differentiate: value, share of customer, tiers"
