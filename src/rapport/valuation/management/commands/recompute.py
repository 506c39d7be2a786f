"""`rapport recompute [--only value|tiers|segments]`: value, tiers and needs segments again."""

from time import perf_counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rapport.valuation import runners
from rapport.valuation.models import ModelRun
from rapport.valuation.tasks import recompute


class Command(BaseCommand):
    help = (
        "Recompute what every organisation is worth and its share of customer (value), "
        "its tier and keep/grow/shed (tiers), and the needs segments (segments)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", choices=runners.ANALYSES, help="Run one analysis instead of all three"
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue it for `rapport worker` instead of running it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        only = options["only"]
        if options["enqueue"]:
            result = recompute.enqueue(only)
            self.stdout.write(f"Queued as task {result.id}.")
            return
        started = perf_counter()

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done}/{total}")

        if only in (None, "segments") and runners.segments_runner() is None:
            self.stderr.write("Needs segments are not built yet: skipped.")
        for run in runners.recompute(only=only):
            self.stdout.write(self._describe(run))
        self.stdout.write(self.style.SUCCESS(f"Done in {perf_counter() - started:.1f} s."))

    @staticmethod
    def _describe(run: ModelRun) -> str:
        seconds = (
            (run.finished_at - run.started_at).total_seconds()
            if run.finished_at and run.started_at
            else 0.0
        )
        counts = run.parameters.get("tiers")
        detail = (
            ", ".join(f"{n} {tier.replace('_', ' ')}" for tier, n in sorted(counts.items()))
            if isinstance(counts, dict)
            else f"{run.total} organisations"
        )
        return (
            f"{run.get_kind_display()}: run {run.pk}, {run.model_name} v{run.model_version}, "
            f"{detail} ({seconds:.1f} s)."
        )
