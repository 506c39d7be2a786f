"""`rapport replenish`: predict each organisation's next order per category, and list what is due."""

from time import perf_counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rapport.core import runs
from rapport.core.models import Run
from rapport.offers.runners import ReplenishmentRunner


class Command(BaseCommand):
    help = (
        "Predict when each organisation will next buy from each category, from its own "
        "buying rhythm (shrunk towards the category's buyers when it has few orders)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue it for `rapport worker` instead of running it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run: Run = ReplenishmentRunner.queue()
        if options["enqueue"]:
            runs.run_enqueue(run)
            self.stdout.write(f"Queued as run {run.pk}.")
            return
        started = perf_counter()
        run = ReplenishmentRunner.carry_out(run)
        result = run.result
        self.stdout.write(
            f"Replenishment run {run.pk}: {result.get('forecasts', 0)} forecasts, "
            f"{result.get('due', 0)} due within 14 days ({perf_counter() - started:.1f} s)."
        )
