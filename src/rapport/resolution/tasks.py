"""Background work of identity resolution, run by `rapport worker` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from rapport.core.models import RunStatus
from rapport.resolution import runners
from rapport.resolution.models import DedupeRun


@task()
def dedupe_run(run_id: int) -> dict[str, int]:
    """Search one kind of record for duplicates (see runners.dedupe_run_execute)."""
    run = DedupeRun.objects.select_related("run__started_by").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.QUEUED:
        return {}
    run = runners.dedupe_run_execute(run=run)
    return {"pairs": run.pairs_found, "new": run.pairs_new, "merged": run.auto_merged}
