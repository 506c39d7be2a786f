"""Background work of valuation, run by `rapport worker` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from rapport.valuation import runners
from rapport.valuation.models import ModelRun


@task()
def recompute_run(run_id: int) -> list[int]:
    """Carry out one queued run (see runners.run_carry_out); the ids of the runs it made."""
    run = ModelRun.objects.filter(pk=run_id).first()
    if run is None:
        return []
    return [done.pk for done in runners.run_carry_out(run=run)]


@task()
def recompute(only: str | None = None) -> list[int]:
    """The nightly recompute: value, tiers, needs segments (or only one); the runs' ids."""
    return [run.pk for run in runners.recompute(only=only)]
