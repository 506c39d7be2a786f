from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "rapport.offers"
    label = "offers"
    verbose_name = "Customize: the catalog"

    def ready(self) -> None:
        # transfer is below offers: its import pipeline and export lists get the catalog's
        # and the price agreements' from here, rather than importing this app
        from rapport.offers import exports, importers
        from rapport.transfer import exports as transfer_exports
        from rapport.transfer import importers as transfer_importers

        transfer_importers.importer_add(importers.CatalogImporter())
        transfer_importers.importer_add(importers.PriceImporter())
        for found in exports.EXPORTS:
            transfer_exports.list_add(found)
