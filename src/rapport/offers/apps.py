from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "rapport.offers"
    label = "offers"
    verbose_name = "Customize: catalog, configurations, prices and orders"

    def ready(self) -> None:
        # accounts is below offers: its page gets the "In use" card from here (accounts.cards)
        from rapport.accounts import cards
        from rapport.offers import account_views

        cards.account_card_add("offers", account_views.account_card)
