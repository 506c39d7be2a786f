"""Background work of the run framework, run by `rapport worker` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from rapport.core import runs


@task()
def run_execute(run_id: int) -> list[int]:
    """Carry out one queued run, and the runs that follow it; the ids of the runs it made."""
    return [run.pk for run in runs.run_execute_now(run_id)]
