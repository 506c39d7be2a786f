"""Background work of the timeline, run by `rapport worker` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from rapport.interactions import cadence, services
from rapport.interactions.models import IngestionRun


@task()
def ingestion_run(run_id: int) -> None:
    """Import the file of one queued ingestion run (see services.ingestion_process)."""
    run = IngestionRun.objects.select_related("created_by").filter(pk=run_id).first()
    if run is not None:
        services.ingestion_process(run=run)


@task()
def cadence_recompute() -> dict[str, int]:
    """Relearn every organisation's rhythm of contact and refresh the quiet-account alerts."""
    run = cadence.cadence_recompute()
    return {"organisations": run.organisations, "quiet": run.quiet}
