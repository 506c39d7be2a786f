from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "rapport.offers"
    label = "offers"
    verbose_name = "Customize: catalog, configurations, prices and orders"

    def ready(self) -> None:
        # accounts, interactions and transfer are below offers: the account page gets the "In use" card,
        # and transfer's import pipeline and export lists get the catalog's and the price
        # agreements', from here, rather than importing this app
        from rapport.accounts import cards
        from rapport.interactions import cadence
        from rapport.offers import account_views, exports, importers, selectors
        from rapport.transfer import exports as transfer_exports
        from rapport.transfer import importers as transfer_importers

        cards.account_card_add("offers", account_views.account_card)
        # a treatment's cadence holds the quiet-interval alerts to the rhythm it agrees
        cadence.agreed_gaps_add("treatments", selectors.treatment_cadences)
        transfer_importers.importer_add(importers.CatalogImporter())
        transfer_importers.importer_add(importers.PriceImporter())
        for found in exports.EXPORTS:
            transfer_exports.list_add(found)
