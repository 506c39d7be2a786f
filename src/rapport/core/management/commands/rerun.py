"""`rapport rerun RUN_ID [--now]`: run a finished or failed run's job again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core import runs
from rapport.core.errors import ApplicationError
from rapport.core.models import Run, RunStatus


class Command(BaseCommand):
    help = (
        "Queue a finished or failed run again (same job, same options); --now carries it out here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int, help="The run's id (core run)")
        parser.add_argument(
            "--now", action="store_true", help="Carry it out here, not by the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        old = Run.objects.filter(pk=options["run_id"]).first()
        if old is None:
            raise CommandError(f"No run {options['run_id']}.")
        try:
            again = runs.run_rerun(run=old)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if not options["now"]:
            runs.run_enqueue(again)
            self.stdout.write(f"Run {again.pk} queued ({again.job}, rerun of {old.pk}).")
            return
        try:
            done = runs.run_execute_now(again.pk)
        except Exception as exc:  # stored on the run; say it and fail the command
            raise CommandError(f"Run {again.pk} failed: {exc}") from None
        for run in done:
            mark = self.style.SUCCESS if run.status == RunStatus.DONE else self.style.ERROR
            self.stdout.write(mark(f"Run {run.pk} ({run.job}): {run.get_status_display()}."))
