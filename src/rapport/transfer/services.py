"""Import runs: upload, map the columns, dry run, confirm, import; and the error report.

A run keeps its file. The dry run and the import are one procedure (`import_process`):
check every line without writing, then write the lines to import in one transaction,
each in a savepoint so a refused line is reported and the others go on. A dry run always
rolls the transaction back, so its counts are exactly what the import would do; an
all-or-nothing import with any bad line rolls back too, so a failed import changes
nothing. Every line ends as created, updated, unchanged, skipped (a flagged duplicate,
by the user's choice) or reported in the errors.

E-mail and calendar files (`ingestion_start`) are carried in by the `IngestionRunner`;
the items of their review queue are attached to an account or dismissed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.accounts.models import Account, Contact
from rapport.core import access, runs, tabular, uploads
from rapport.core.errors import Conflict, InvalidInput
from rapport.core.models import User
from rapport.core.services import validated_save
from rapport.interactions.models import Direction
from rapport.memory import outreach
from rapport.transfer import ingestion
from rapport.transfer.importers import importer_for
from rapport.transfer.models import (
    ImportKind,
    ImportMode,
    ImportRun,
    ImportStatus,
    IngestionFormat,
    IngestionItem,
    IngestionRun,
    ReviewStatus,
)
from rapport.transfer.runners import (
    ImportRunner,
    IngestionRunner,
    import_process,
    ingestion_process,
)

# Files with more rows than this are checked and imported by the worker, with progress.
BACKGROUND_ROWS = 500
PROGRESS_EVERY = 500


def _ensure_may_import(actor: User, kind: str | None = None) -> None:
    access.ensure_can_write(actor)
    access.ensure(actor, access.Capability.RUN_IMPORTS)
    # A kind may ask more: the catalog is for those who may change it, prices for those
    # who may agree them.
    needed = getattr(importer_for(kind), "capability", None) if kind else None
    if needed is not None:
        access.ensure(actor, needed)


def import_upload(*, actor: User, kind: str, filename: str, content: uploads.Source) -> ImportRun:
    """Keep an uploaded CSV or XLSX file and suggest which column feeds which field.

    The file is copied to disk in chunks and read as a stream (`tabular.preview`): its
    size, rows, columns and cells are checked against the limits on the way, and the run
    keeps only its headers and a few rows cut short.
    """
    _ensure_may_import(actor)
    if kind not in ImportKind.values:
        raise InvalidInput(
            f"Unknown kind {kind!r}; use one of {', '.join(ImportKind.values)}.", field="kind"
        )
    _ensure_may_import(actor, kind)
    filename = Path(filename or "upload").name[:300] or "upload"
    kept = uploads.keep(content, Path(settings.VAR_DIR) / "imports")
    try:
        table = tabular.preview(filename, kept.path)
        importer = importer_for(kind)
        with transaction.atomic():
            run = ImportRun(
                kind=kind,
                filename=filename,
                sha256=kept.sha256,
                stored_path="-",
                file_format=table.format,
                headers=table.headers,
                samples=table.samples,
                mapping=tabular.suggest_mapping(table.headers, importer.fields),
                total=table.total,
                created_by=actor,
            )
            validated_save(run, actor=actor)
            stored = kept.path.with_name(f"{run.pk:06d}-{kept.sha256[:12]}.{table.format}")
            run.stored_path = str(uploads.move(kept, stored))
            run.save(update_fields=["stored_path", "updated_at"])
    except tabular.UnreadableTable as exc:
        raise InvalidInput(exc.message, field="file") from None
    finally:
        kept.path.unlink(missing_ok=True)  # gone already once moved
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
    progress: runs.Progress | None = None,
) -> ImportRun:
    """Save the column mapping (and the choice about duplicates) and start the dry run."""
    _ensure_may_import(actor, run.kind)
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
    return _queue(
        run, status=ImportStatus.CHECKING, dry_run=True, background=background, progress=progress
    )


def import_confirm(
    *,
    actor: User,
    run: ImportRun,
    mode: str,
    skip_duplicates: bool | None = None,
    background: bool | None = None,
    progress: runs.Progress | None = None,
) -> ImportRun:
    """Import a dry-run file for real: every line, or only the good ones."""
    _ensure_may_import(actor, run.kind)
    _editable(run)
    if mode not in ImportMode.values:
        raise InvalidInput(f"Unknown mode {mode!r}; use all or good.", field="mode")
    if run.status not in {ImportStatus.CHECKED, ImportStatus.FAILED}:
        raise Conflict("Map the columns and look at the dry run first.", field="status")
    run.mode = mode
    if skip_duplicates is not None:
        run.skip_duplicates = skip_duplicates
    return _queue(
        run, status=ImportStatus.QUEUED, dry_run=False, background=background, progress=progress
    )


def _queue(
    run: ImportRun,
    *,
    status: str,
    dry_run: bool,
    background: bool | None,
    progress: runs.Progress | None = None,
) -> ImportRun:
    run.status = status
    run.dry_run = dry_run
    run.save()
    # Each dry run and each import is a run of its own (progress, heartbeat, rerun).
    ImportRunner.queue(started_by=run.created_by, import_run=run.pk)
    run.refresh_from_db(fields=["run"])  # the rest is as just saved
    if background is None:
        background = run.total > BACKGROUND_ROWS
    if background:
        core_run = run.run
        assert core_run is not None
        transaction.on_commit(lambda: runs.run_enqueue(core_run))
        return run
    return import_process(run=run, progress=progress)


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
        table = tabular.read_table(run.filename, Path(run.stored_path))
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


# --- e-mail and calendar ingestion (X10): interactions from CSV, .eml, mbox and .ics -----


def ingestion_start(
    *,
    actor: User,
    filename: str,
    content: uploads.Source,
    format: str | None = None,
    dry_run: bool = False,
    background: bool = True,
    progress: runs.Progress | None = None,
) -> IngestionRun:
    """Keep an uploaded file and import it: queued for the worker, or now (the CLI).

    The file is copied to disk in chunks, within the upload limit, before it is read.
    """
    access.ensure_can_write(actor)
    filename = Path(filename or "upload").name[:300] or "upload"
    if format and format not in IngestionFormat.values:
        raise InvalidInput(
            f"Unknown format {format!r}; use one of {', '.join(IngestionFormat.values)}.",
            field="format",
        )
    kept = uploads.keep(content, Path(settings.VAR_DIR) / "ingestion")
    try:
        with kept.path.open("rb") as file:
            head = file.read(4096)
        format = format or ingestion.detect_format(filename, head)
        if format is None:
            raise InvalidInput(
                "Cannot tell the file's format: name it .csv, .eml, .mbox or .ics, or choose one.",
                field="format",
            )
        with transaction.atomic():
            run = IngestionRun(
                format=format,
                filename=filename,
                sha256=kept.sha256,
                dry_run=dry_run,
                created_by=actor,
            )
            validated_save(run, actor=actor)
            suffix = Path(filename).suffix.lower()[:8]
            stored = kept.path.with_name(f"{run.pk:06d}-{kept.sha256[:12]}{suffix}")
            run.stored_path = str(uploads.move(kept, stored))
            run.save(update_fields=["stored_path", "updated_at"])
            # The file is carried in by a run of the run framework (progress, heartbeat, rerun).
            run.run = IngestionRunner.queue(started_by=actor, ingestion_run=run.pk)
    finally:
        kept.path.unlink(missing_ok=True)  # gone already once moved
    if background:
        runs.run_enqueue(run.run)
        run.refresh_from_db()
        run.run.refresh_from_db()
        return run
    return ingestion_process(run=run, progress=progress)


def _staff_named(addresses: Sequence[dict[str, Any]]) -> list[User]:
    emails = [str(a.get("email", "")).lower() for a in addresses if a.get("email")]
    users = User.objects.filter(
        email__in=emails, is_active=True, role__in=access.roles_with(access.Capability.ACT_FOR_US)
    )
    return list(users)


@transaction.atomic
def ingestion_item_attach(
    *, actor: User, item: IngestionItem, account: Account, contacts: Sequence[Contact] = ()
) -> IngestionItem:
    """Log a message or event from the review queue on an account, with the contacts chosen."""
    access.ensure_can_write(actor)
    item = IngestionItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"This item is {item.get_status_display().lower()} already.", field="status")
    payload = item.payload or {}
    occurred_at = parse_datetime(str(payload.get("occurred_at", ""))) or item.occurred_at
    # Through memory's use case, so an outbound message to someone whose consent blocks
    # it is refused or recorded as a breach, as when it is logged by hand.
    interaction = outreach.interaction_log_learned(
        actor=actor,
        account=account,
        channel=item.channel,
        direction=str(payload.get("direction") or Direction.INBOUND),
        subject=item.subject or ingestion.NO_SUBJECT,
        occurred_at=occurred_at,
        summary=str(payload.get("summary", "")),
        outcome=str(payload.get("outcome", "")),
        next_step=str(payload.get("next_step", "")),
        contacts=contacts,
        users=_staff_named(item.addresses),
        external_id=item.external_id,
    )
    item.status = ReviewStatus.ATTACHED
    item.interaction = interaction
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    validated_save(item, actor=actor)
    return item


@transaction.atomic
def ingestion_item_dismiss(*, actor: User, item: IngestionItem) -> IngestionItem:
    """Take an item off the review queue without logging it (it stays, marked dismissed)."""
    access.ensure_can_write(actor)
    item = IngestionItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"This item is {item.get_status_display().lower()} already.", field="status")
    item.status = ReviewStatus.DISMISSED
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    validated_save(item, actor=actor)
    return item
