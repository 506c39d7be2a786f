"""The import runner: one dry run or import of a file, a run of the core run framework.

`_load` reads the stored file and checks every line (that is the progress the page
shows), `_calculate` sorts the lines into those to write, skip and report, `_store`
writes them. The writes sit in a savepoint inside the run's transaction: a dry run, or an
all-or-nothing import with a bad line, rolls the savepoint back, so its counts are exactly
what the import would do and a failed import changes nothing — and a worker killed while
writing leaves nothing behind either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.core import access, runs, tabular
from rapport.core.models import Run
from rapport.transfer.importers import Counts, Line, importer_for
from rapport.transfer.models import ImportMode, ImportRun, ImportStatus

WORKING = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)


@dataclass
class Checked:
    """A file's lines once checked, or why the file could not be read."""

    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str = ""


def read_lines(run: ImportRun) -> tuple[tabular.Table, list[Line]]:
    """The stored file's rows as lines of values by field, as the run maps them."""
    table = tabular.read_table(run.filename, Path(run.stored_path).read_bytes())
    fields = importer_for(run.kind).fields
    lines = [
        Line(number=row.number, values=tabular.mapped_values(row.cells, run.mapping, fields))
        for row in table.rows
    ]
    return table, lines


def errors_of(run: ImportRun, lines: list[Line]) -> list[dict[str, Any]]:
    """Every error of every line, with the file's column it came from."""
    errors = []
    for line in sorted(lines, key=lambda line: line.number):
        for name, message in line.errors:
            column = tabular.column_of(name, run.mapping, run.headers) if name != "row" else ""
            errors.append({"row": line.number, "column": column, "field": name, "message": message})
    return errors


def finish(run: ImportRun, *, status: str, **values: Any) -> ImportRun:
    """Store what a dry run or an import found, and where the file now stands."""
    for name, value in values.items():
        setattr(run, name, value)
    run.status = status
    if status == ImportStatus.CHECKED:
        run.checked_at = timezone.now()
    run.save()
    return run


def file_failed(run: ImportRun, message: str) -> ImportRun:
    """The whole file refused: one error, nothing written."""
    return finish(
        run,
        status=ImportStatus.CHECKED if run.dry_run else ImportStatus.FAILED,
        errors=[{"row": None, "column": "", "field": "file", "message": message}],
        created=0,
        updated=0,
        unchanged=0,
        skipped=0,
        failed=run.total,
    )


class ImportRunner(runs.Runner):
    """Check, and unless a dry run write, the lines of one uploaded file."""

    job = "import"

    @classmethod
    def _prepare(cls, run: Run, **options: Any) -> None:
        ImportRun.objects.filter(pk=options["import_run"]).update(run=run)

    @classmethod
    def _lost(cls, run: Run) -> None:
        detail = ImportRun.objects.filter(run=run, status__in=WORKING).first()
        if detail is not None:
            file_failed(detail, f"The import stopped: {run.error}")

    @property
    def detail(self) -> ImportRun:
        return ImportRun.objects.select_related("created_by").get(run=self.run)

    def _load(self) -> Checked:
        detail = self.detail
        self.report(0, detail.total)
        if not detail.dry_run:
            ImportRun.objects.filter(pk=detail.pk).update(status=ImportStatus.RUNNING)
        actor = detail.created_by
        if actor is None or not access.can(actor, access.Capability.RUN_IMPORTS):
            return Checked(problem="Whoever started the import may not change records any more.")
        try:
            table, lines = read_lines(detail)
        except (tabular.UnreadableTable, OSError) as exc:
            return Checked(problem=getattr(exc, "message", str(exc)))
        self.report(0, len(table.rows))
        importer = importer_for(detail.kind)
        notes = list(
            importer.check(
                actor=actor,
                lines=lines,
                progress=lambda done, offset=0: self.report(min(self.run.total, offset + done)),
            )
        )
        return Checked(lines=lines, notes=notes)

    def _calculate(self, checked: Checked) -> Checked:
        return checked  # the checks are the calculation; what to write is decided in _store

    def _store(self, checked: Checked) -> dict[str, Any]:
        detail = self.detail
        detail.total = self.run.total or detail.total
        if checked.problem:
            file_failed(detail, checked.problem)
            return {"problem": checked.problem}
        lines, skip = checked.lines, detail.skip_duplicates
        ready = [line for line in lines if not line.errors and not line.done]
        skipped = [line for line in ready if line.duplicate is not None and skip]
        to_write = [line for line in ready if not (line.duplicate is not None and skip)]
        unchanged_before = sum(1 for line in lines if line.done and not line.errors)
        bad = [line for line in lines if line.errors]
        keep = not detail.dry_run and not (detail.mode == ImportMode.ALL and bad)
        with transaction.atomic():
            counts: Counts = importer_for(detail.kind).write(
                actor=detail.created_by, lines=to_write, progress=lambda done: None
            )
            if not keep:
                transaction.set_rollback(True)
        values = {
            "errors": errors_of(detail, bad),
            "duplicates": [
                {"row": line.number, **(line.duplicate or {})}
                for line in sorted(lines, key=lambda line: line.number)
                if line.duplicate is not None and not line.errors
            ],
            "notes": checked.notes + counts.notes,
            "failed": len(bad),
            "skipped": len(skipped),
        }
        if detail.dry_run:
            status = ImportStatus.CHECKED
        else:
            status = ImportStatus.DONE if keep else ImportStatus.FAILED
        written = keep or detail.dry_run
        finish(
            detail,
            status=status,
            created=counts.created if written else 0,
            updated=counts.updated if written else 0,
            unchanged=counts.unchanged + unchanged_before if written else 0,
            **values,
        )
        return {"status": status, "created": detail.created, "failed": len(bad)}


def import_process(*, run: ImportRun, progress: runs.Progress | None = None) -> ImportRun:
    """Carry out the queued dry run or import of a file here and now; the file's run."""
    if run.status not in {ImportStatus.CHECKING, ImportStatus.QUEUED} or run.run is None:
        return run  # a task delivered twice does the work once
    try:
        ImportRunner.carry_out(run.run, progress=progress)
    finally:
        run.refresh_from_db()
    return run
