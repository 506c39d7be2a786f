from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "rapport.interactions"
    label = "interactions"
    verbose_name = "Interact: the one timeline"

    def ready(self) -> None:
        # accounts is below interactions: its pages get interactions's cards from here (accounts.cards)
        from rapport.accounts import cards
        from rapport.interactions import views

        cards.account_card_add("interactions", views.account_card)
        cards.contact_card_add("interactions", views.contact_card)
