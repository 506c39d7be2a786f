from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "rapport.needs"
    label = "needs"
    verbose_name = "Differentiate: needs profiles and segments"

    def ready(self) -> None:
        # valuation's recompute runs value → tiers → segments; needs is above valuation,
        # so it hands its segment runner down rather than being imported
        from rapport.needs.runners import segments_recompute
        from rapport.valuation import runners

        runners.segments_runner_set(segments_recompute)
