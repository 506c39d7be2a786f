"""Import runs: upload, map the columns, dry run, confirm, import; and the error report.

A run keeps its file. The dry run and the import are one procedure (`import_process`):
check every line without writing, then write the lines to import in one transaction,
each in a savepoint so a refused line is reported and the others go on. A dry run always
rolls the transaction back, so its counts are exactly what the import would do; an
all-or-nothing import with any bad line rolls back too, so a failed import changes
nothing. Every line ends as created, updated, unchanged, skipped (a flagged duplicate,
by the user's choice) or reported in the errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.core import access, tabular
from rapport.core.errors import Conflict, InvalidInput
from rapport.core.models import User
from rapport.core.services import validated_save
from rapport.transfer.importers import Line, importer_for
from rapport.transfer.models import ImportKind, ImportMode, ImportRun, ImportStatus

IMPORT_MAX_BYTES = 200 * 1024 * 1024
# Files with more rows than this are checked and imported by the worker, with progress.
BACKGROUND_ROWS = 500
PROGRESS_EVERY = 500

ProgressCallback = Callable[[int, int], None]


def _ensure_may_import(actor: User) -> None:
    access.ensure_can_write(actor)
    access.ensure(actor, access.Capability.RUN_IMPORTS)


def import_upload(*, actor: User, kind: str, filename: str, content: bytes) -> ImportRun:
    """Keep an uploaded CSV or XLSX file and suggest which column feeds which field."""
    _ensure_may_import(actor)
    if kind not in ImportKind.values:
        raise InvalidInput(
            f"Unknown kind {kind!r}; use one of {', '.join(ImportKind.values)}.", field="kind"
        )
    filename = Path(filename or "upload").name[:300] or "upload"
    if len(content) > IMPORT_MAX_BYTES:
        raise InvalidInput(
            f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB.", field="file"
        )
    try:
        table = tabular.read_table(filename, content)
    except tabular.UnreadableTable as exc:
        raise InvalidInput(exc.message, field="file") from None
    importer = importer_for(kind)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        run = ImportRun(
            kind=kind,
            filename=filename,
            sha256=sha256,
            stored_path="-",
            file_format=table.format,
            headers=table.headers,
            samples=[list(row.cells[: len(table.headers)]) for row in table.rows[:3]],
            mapping=tabular.suggest_mapping(table.headers, importer.fields),
            total=len(table.rows),
            created_by=actor,
        )
        validated_save(run, actor=actor)
        folder = Path(settings.VAR_DIR) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"{run.pk:06d}-{sha256[:12]}.{table.format}"
        stored.write_bytes(content)
        run.stored_path = str(stored)
        run.save(update_fields=["stored_path", "updated_at"])
    return run


def _editable(run: ImportRun) -> None:
    if run.is_working:
        raise Conflict("The file is being read right now; wait until it is done.", field="status")
    if run.status == ImportStatus.DONE:
        raise Conflict("This file has been imported; upload it again to re-import.", field="status")


def import_check(
    *,
    actor: User,
    run: ImportRun,
    mapping: list[str] | None = None,
    skip_duplicates: bool | None = None,
    background: bool | None = None,
) -> ImportRun:
    """Save the column mapping (and the choice about duplicates) and start the dry run."""
    _ensure_may_import(actor)
    _editable(run)
    importer = importer_for(run.kind)
    if mapping is not None:
        mapping = [str(name or "") for name in mapping]
        problems = tabular.mapping_problems(mapping, run.headers, importer.fields)
        if problems:
            message = next(iter(problems.values()))
            raise InvalidInput(message, errors={k: [v] for k, v in problems.items()})
        run.mapping = mapping
    else:
        problems = tabular.mapping_problems(run.mapping, run.headers, importer.fields)
        if problems:
            raise InvalidInput(
                next(iter(problems.values())), errors={k: [v] for k, v in problems.items()}
            )
    if skip_duplicates is not None:
        run.skip_duplicates = skip_duplicates
    return _queue(run, status=ImportStatus.CHECKING, dry_run=True, background=background)


def import_confirm(
    *,
    actor: User,
    run: ImportRun,
    mode: str,
    skip_duplicates: bool | None = None,
    background: bool | None = None,
) -> ImportRun:
    """Import a dry-run file for real: every line, or only the good ones."""
    _ensure_may_import(actor)
    _editable(run)
    if mode not in ImportMode.values:
        raise InvalidInput(f"Unknown mode {mode!r}; use all or good.", field="mode")
    if run.status not in {ImportStatus.CHECKED, ImportStatus.FAILED}:
        raise Conflict("Map the columns and look at the dry run first.", field="status")
    run.mode = mode
    if skip_duplicates is not None:
        run.skip_duplicates = skip_duplicates
    return _queue(run, status=ImportStatus.QUEUED, dry_run=False, background=background)


def _queue(run: ImportRun, *, status: str, dry_run: bool, background: bool | None) -> ImportRun:
    run.status = status
    run.dry_run = dry_run
    run.processed = 0
    run.save()
    if background is None:
        background = run.total > BACKGROUND_ROWS
    if background:
        from rapport.transfer.tasks import import_run

        transaction.on_commit(lambda: import_run.enqueue(run.pk))
        return run
    return import_process(run=run)


def _errors(run: ImportRun, lines: list[Line]) -> list[dict[str, Any]]:
    errors = []
    for line in sorted(lines, key=lambda line: line.number):
        for name, message in line.errors:
            column = tabular.column_of(name, run.mapping, run.headers) if name != "row" else ""
            errors.append({"row": line.number, "column": column, "field": name, "message": message})
    return errors


def _finish(run: ImportRun, *, status: str, **values: Any) -> ImportRun:
    for name, value in values.items():
        setattr(run, name, value)
    run.status = status
    run.processed = run.total
    now = timezone.now()
    if status == ImportStatus.CHECKED:
        run.checked_at = now
    else:
        run.finished_at = now
    run.save()
    return run


def _file_failed(run: ImportRun, message: str) -> ImportRun:
    failed_status = ImportStatus.CHECKED if run.dry_run else ImportStatus.FAILED
    return _finish(
        run,
        status=failed_status,
        errors=[{"row": None, "column": "", "field": "file", "message": message}],
        created=0,
        updated=0,
        unchanged=0,
        skipped=0,
        failed=run.total,
    )


def read_lines(run: ImportRun) -> tuple[tabular.Table, list[Line]]:
    """The stored file's rows as lines of values by field, as the run maps them."""
    table = tabular.read_table(run.filename, Path(run.stored_path).read_bytes())
    fields = importer_for(run.kind).fields
    lines = [
        Line(number=row.number, values=tabular.mapped_values(row.cells, run.mapping, fields))
        for row in table.rows
    ]
    return table, lines


def import_process(*, run: ImportRun, progress: ProgressCallback | None = None) -> ImportRun:
    """Check and (unless a dry run) import a run's file; see the module's docstring."""
    if run.status not in {ImportStatus.CHECKING, ImportStatus.QUEUED}:
        return run  # a task delivered twice does the work once
    actor = run.created_by
    run.started_at = run.started_at or timezone.now()
    if not run.dry_run:
        run.status = ImportStatus.RUNNING
    run.save(update_fields=["status", "started_at", "updated_at"])
    importer = importer_for(run.kind)

    def report(done: int, phase_offset: int = 0) -> None:
        processed = min(run.total, phase_offset + done)
        ImportRun.objects.filter(pk=run.pk).update(processed=processed)
        if progress is not None:
            progress(processed, run.total)

    try:
        if actor is None or not access.can(actor, access.Capability.RUN_IMPORTS):
            return _file_failed(run, "Whoever started the import may not change records any more.")
        try:
            table, lines = read_lines(run)
        except (tabular.UnreadableTable, OSError) as exc:
            return _file_failed(run, getattr(exc, "message", str(exc)))
        run.total = len(table.rows)
        notes = list(importer.check(actor=actor, lines=lines, progress=report))
        ready = [line for line in lines if not line.errors and not line.done]
        skipped = [line for line in ready if line.duplicate is not None and run.skip_duplicates]
        to_write = [
            line for line in ready if not (line.duplicate is not None and run.skip_duplicates)
        ]
        unchanged_before = sum(1 for line in lines if line.done and not line.errors)
        with transaction.atomic():
            # Progress written inside this transaction would not be seen (and a dry run
            # rolls it back): the page shows "writing" once every row has been checked.
            counts = importer.write(actor=actor, lines=to_write, progress=lambda done: None)
            bad = [line for line in lines if line.errors]
            keep = not run.dry_run and not (run.mode == ImportMode.ALL and bad)
            if not keep:
                transaction.set_rollback(True)
        notes += counts.notes
        duplicates = [
            {"row": line.number, **(line.duplicate or {})}
            for line in sorted(lines, key=lambda line: line.number)
            if line.duplicate is not None and not line.errors
        ]
        values = {
            "errors": _errors(run, bad),
            "duplicates": duplicates,
            "notes": notes,
            "failed": len(bad),
            "skipped": len(skipped),
        }
        if run.dry_run:
            return _finish(
                run,
                status=ImportStatus.CHECKED,
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged + unchanged_before,
                **values,
            )
        if not keep:
            return _finish(
                run, status=ImportStatus.FAILED, created=0, updated=0, unchanged=0, **values
            )
        return _finish(
            run,
            status=ImportStatus.DONE,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged + unchanged_before,
            **values,
        )
    except Exception as exc:
        # The run must not stay "running" for ever; the write transaction rolled back.
        _file_failed(run, f"The import stopped: {exc}")
        raise


ERROR_COLUMN = "error"


def error_report(*, run: ImportRun) -> bytes:
    """The rows not imported, as they were in the file, with what was wrong (or why skipped)."""
    reasons: dict[int, list[str]] = {}
    for error in run.errors:
        row = error.get("row")
        column = f"{error['column']}: " if error.get("column") else ""
        if row is None:
            reasons.setdefault(0, []).append(error["message"])
        else:
            reasons.setdefault(int(row), []).append(f"{column}{error['message']}")
    if run.skip_duplicates:
        for duplicate in run.duplicates:
            matches = ", ".join(f"{m['label']} (#{m['id']})" for m in duplicate.get("matches", []))
            reason = f"Skipped as a probable duplicate: {duplicate.get('message', '')}"
            reasons.setdefault(int(duplicate["row"]), []).append(f"{reason} {matches}".strip())
    header = ["row", *run.headers, ERROR_COLUMN]
    try:
        table = tabular.read_table(run.filename, Path(run.stored_path).read_bytes())
        width = len(run.headers)
        rows = [
            [row.number, *_padded(row.cells, width), "; ".join(reasons[row.number])]
            for row in table.rows
            if row.number in reasons
        ]
    except (tabular.UnreadableTable, OSError):
        rows = []
    if 0 in reasons:
        rows.insert(0, ["", *[""] * len(run.headers), "; ".join(reasons[0])])
    return tabular.csv_bytes(header, rows)


def _padded(cells: tuple[str, ...], width: int) -> list[str]:
    """A row's cells cut or padded to the header's width."""
    return [*cells[:width], *[""] * (width - len(cells))]
