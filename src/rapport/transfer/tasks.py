"""Background work of import: check or import one large file (run by `rapport worker`)."""

from __future__ import annotations

from django_tasks import task

from rapport.transfer.models import ImportRun
from rapport.transfer.runners import import_process


@task()
def import_run(run_id: int) -> None:
    """Dry-run or import the file of one queued run (see runners.import_process)."""
    run = ImportRun.objects.select_related("created_by", "run").filter(pk=run_id).first()
    if run is not None:
        import_process(run=run)
