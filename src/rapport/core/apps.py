from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rapport.core"
    label = "core"
    verbose_name = "Core: users, roles, access, audit"

    def ready(self) -> None:
        # Every app's `runners` module registers its jobs, so a worker or a rerun finds the
        # runner of any run by its job without core importing the apps above it.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("runners")
