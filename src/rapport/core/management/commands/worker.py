"""`rapport worker`: fail the runs whose worker died, then carry out background tasks."""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from rapport.core import runs


class Command(DatabaseWorker):
    help = (
        "Carry out background tasks (recomputes, duplicate searches, imports). First marks "
        "failed every run whose heartbeat is older than the lease: its worker stopped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        lost = runs.sweep()
        if lost:
            self.stderr.write(f"Marked failed, their worker stopped: runs {lost}.")
        super().handle(*args, **options)
