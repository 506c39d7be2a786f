"""The import runners: one dry run or import of a file of records, or one file of e-mail or
calendar interactions, each a run of the core run framework.

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

from rapport.core import access, bulk, runs, tabular
from rapport.core.models import Run, RunStatus
from rapport.transfer import ingestion
from rapport.transfer.importers import Counts, Line, importer_for, may_import
from rapport.transfer.ingestion_plan import ingestion_plan, ingestion_write
from rapport.transfer.models import ImportMode, ImportRun, ImportStatus, IngestionRun

WORKING = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)


@dataclass
class Checked:
    """A file's lines once checked, or why the file could not be read."""

    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str = ""


def read_lines(run: ImportRun) -> tuple[tabular.Table, list[Line]]:
    """The stored file's rows as lines of values by field, as the run maps them."""
    table = tabular.read_table(run.filename, Path(run.stored_path))
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
        # What the last dry run found is replaced, never read: for a large file it is
        # megabytes of JSON (one entry per flagged row).
        return (
            ImportRun.objects.select_related("created_by")
            .defer("errors", "duplicates")
            .get(run=self.run)
        )

    def execute(self) -> Run:
        with bulk.full_collections_deferred():  # every line is held until the write ends
            return super().execute()

    def _load(self) -> Checked:
        detail = self.detail
        self.report(0, detail.total)
        if not detail.dry_run:
            ImportRun.objects.filter(pk=detail.pk).update(status=ImportStatus.RUNNING)
        actor = detail.created_by
        if actor is None or not may_import(actor, detail.kind):
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
        # Only a repeat of an earlier row may be left out; a probable duplicate on weak
        # evidence is created and put up for review.
        skipped = [line for line in ready if line.repeat and skip]
        to_write = [line for line in ready if not (line.repeat and skip)]
        unchanged_before = sum(1 for line in lines if line.done and not line.errors)
        with transaction.atomic():
            counts: Counts = importer_for(detail.kind).write(
                actor=detail.created_by, lines=to_write, progress=lambda done: self.beat()
            )
            # A row the write refused counts as bad too: all-or-nothing keeps nothing then.
            bad = [line for line in lines if line.errors]
            keep = not detail.dry_run and not (detail.mode == ImportMode.ALL and bad)
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
            flagged=counts.flagged if written else 0,
            **values,
        )
        return {"status": status, "created": detail.created, "failed": len(bad)}


def import_process(*, run: ImportRun, progress: runs.Progress | None = None) -> ImportRun:
    """Carry out the queued dry run or import of a file here and now; the file's run."""
    if run.status not in {ImportStatus.CHECKING, ImportStatus.QUEUED} or run.run is None:
        return run  # a task delivered twice does the work once
    # The findings read back are one entry per flagged row: no full collection meanwhile.
    with bulk.full_collections_deferred():
        try:
            ImportRunner.carry_out(run.run, progress=progress)
        finally:
            run.refresh_from_db()
    return run


# --- e-mail and calendar ingestion (X10) ---------------------------------------------------

# Keep a run's stored error list readable (and its JSON small) for a wholly broken file.
INGESTION_MAX_ERRORS = 1000


class Refused(Exception):
    """The file cannot be imported (its row errors are stored): the run fails, nothing written."""


def _kept_errors(errors: list[ingestion.RowError]) -> list[dict[str, Any]]:
    kept = [e.as_dict() for e in errors[:INGESTION_MAX_ERRORS]]
    if len(errors) > INGESTION_MAX_ERRORS:
        more = len(errors) - INGESTION_MAX_ERRORS
        kept.append({"row": None, "field": "file", "message": f"… and {more} more errors."})
    return kept


class IngestionRunner(runs.Runner):
    """Read a file of interactions, match its people, and write it all or (on any bad row) nothing.

    Reading reports progress as it goes (outside any transaction, so pages polling the run
    see it); the writing is the run's transaction, so a run is done and its rows are there,
    or it failed and nothing is.
    """

    job = "ingestion"

    @classmethod
    def _prepare(cls, run: Run, **options: Any) -> None:
        IngestionRun.objects.filter(pk=options["ingestion_run"]).update(run=run)

    @classmethod
    def _lost(cls, run: Run) -> None:
        detail = IngestionRun.objects.filter(run=run).first()
        if detail is not None and not detail.errors:
            message = {"row": None, "field": "file", "message": f"The import stopped: {run.error}"}
            IngestionRun.objects.filter(pk=detail.pk).update(
                errors=[message], created=0, queued_for_review=0
            )

    @property
    def detail(self) -> IngestionRun:
        return IngestionRun.objects.select_related("created_by").get(run=self.run)

    def report(self, done: int, total: int | None = None) -> None:
        super().report(done, total)
        if total is not None:  # the file's pages show the rows read of the file's total
            IngestionRun.objects.filter(run=self.run).update(total=total)

    def execute(self) -> Run:
        try:
            return super().execute()
        except Refused:
            return self.run  # failed with its row errors stored: an outcome, not a crash

    def _refuse(self, detail: IngestionRun, errors: list[ingestion.RowError]) -> Refused:
        IngestionRun.objects.filter(pk=detail.pk).update(
            errors=_kept_errors(errors), created=0, queued_for_review=0
        )
        count = len(errors)
        return Refused(f"{count} error{'s' if count != 1 else ''} in the file; nothing written.")

    def _load(self) -> ingestion.Parsed:
        detail = self.detail
        # A rerun starts from a clean slate: the last attempt's counts and errors go.
        IngestionRun.objects.filter(pk=detail.pk).update(
            errors=[], created=0, duplicates=0, queued_for_review=0
        )
        detail.errors = []
        actor = detail.created_by
        if actor is None or not access.can(actor, access.Capability.RUN_IMPORTS):
            refused = "Whoever started the import may not change customer data any more."
            raise self._refuse(detail, [ingestion.RowError(None, "file", refused)])
        try:
            parsed = ingestion.parse_file(
                Path(detail.stored_path), detail.format, progress=self.report
            )
        except ingestion.MalformedFile as exc:
            raise self._refuse(detail, [ingestion.RowError(None, "file", exc.message)]) from None
        except OSError as exc:
            message = f"Cannot read it: {exc}"
            raise self._refuse(detail, [ingestion.RowError(None, "file", message)]) from None
        self.report(parsed.total, parsed.total)
        IngestionRun.objects.filter(pk=detail.pk).update(total=parsed.total)
        if parsed.errors:
            raise self._refuse(detail, list(parsed.errors))
        return parsed

    def _calculate(self, parsed: ingestion.Parsed) -> ingestion.Parsed:
        return parsed  # matching people reads the database: it is planned in _store

    def _store(self, parsed: ingestion.Parsed) -> dict[str, Any]:
        detail = self.detail
        plan = ingestion_plan(candidates=parsed.candidates)
        if not detail.dry_run:
            assert detail.created_by is not None  # checked in _load
            ingestion_write(run=detail, actor=detail.created_by, plan=plan)
        detail.created = plan.created
        detail.duplicates = plan.duplicates
        detail.queued_for_review = len(plan.review)
        detail.save(update_fields=["created", "duplicates", "queued_for_review", "updated_at"])
        return {
            "created": detail.created,
            "duplicates": detail.duplicates,
            "queued_for_review": detail.queued_for_review,
        }


def ingestion_process(*, run: IngestionRun, progress: runs.Progress | None = None) -> IngestionRun:
    """Carry out a queued ingestion here and now; the file's run as it ended."""
    if run.run is None or run.run.status != RunStatus.QUEUED:
        return run  # a task delivered twice does the work once
    try:
        IngestionRunner.carry_out(run.run, progress=progress)
    finally:
        run.refresh_from_db()
        if run.run is not None:
            run.run.refresh_from_db()
    return run
