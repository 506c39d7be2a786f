from django.apps import AppConfig


class MemoryConfig(AppConfig):
    name = "rapport.memory"
    label = "memory"
    verbose_name = "Interact: the learning memory"

    def ready(self) -> None:
        # accounts is below memory: its pages get memory's cards from here (accounts.cards)
        from rapport.accounts import cards
        from rapport.memory import views

        cards.account_card_add("memory", views.account_card)
        cards.contact_card_add("memory", views.contact_card)
