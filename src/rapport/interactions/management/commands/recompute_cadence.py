"""`rapport recompute-cadence`: relearn every organisation's rhythm and who has gone quiet."""

from time import perf_counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rapport.interactions import cadence


class Command(BaseCommand):
    help = "Learn each organisation's usual rhythm of contact and flag those gone quiet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue it for `rapport worker` instead of running it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            queued = cadence.cadence_queue()
            self.stdout.write(f"Queued as run {queued.pk}.")
            return
        started = perf_counter()
        run = cadence.cadence_recompute()
        self.stdout.write(
            self.style.SUCCESS(
                f"Learned the rhythm of {run.organisations} organisations; {run.quiet} have "
                f"gone quiet ({perf_counter() - started:.1f} s)."
            )
        )
