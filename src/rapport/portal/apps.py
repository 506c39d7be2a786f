from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rapport.portal"
    label = "portal"
    verbose_name = "Portal: the customer's own pages"

    def ready(self) -> None:
        # accounts is below portal: the contact page gets the portal card from here
        from rapport.accounts import cards
        from rapport.portal import views

        cards.contact_card_add("portal", views.contact_card)
