"""`rapport import accounts|contacts|orders|subscriptions|catalog|prices FILE`: the general
import from a terminal.

Each kind with an importer is an entry of the `import` command
(transfer/management/commands/import.py), those handed down by higher apps included;
`rapport export LIST` is transfer/management/commands/export.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.core import tabular
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.transfer import services
from rapport.transfer.importers import IMPORTERS, importer_for
from rapport.transfer.models import ImportKind, ImportMode, ImportRun, ImportStatus


class Progress:
    """The progress line of one step: "dry run: 12,000 of 40,000 rows, 2,950 rows/s".

    Redrawn in place on a terminal; once the step ends, one line with its rows per second
    (every row checked and written), on a terminal or not.
    """

    def __init__(self, command: BaseCommand, step: str) -> None:
        self.command, self.step = command, step
        self.interactive = command.stdout.isatty()
        self.started = time.perf_counter()
        self.total = 0

    def __enter__(self) -> Progress:
        return self

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        if self.interactive:
            seconds = time.perf_counter() - self.started
            rate = f", {done / seconds:,.0f} rows/s" if seconds > 0 and done else ""
            self.command.stdout.write(f"\r{self.step}: {done:,} of {total:,} rows{rate}", ending="")
            self.command.stdout.flush()

    def __exit__(self, *exc: object) -> None:
        if self.interactive:
            self.command.stdout.write("\r", ending="")
        if exc[0] is None:
            seconds = time.perf_counter() - self.started
            rate = f", {self.total / seconds:,.0f} rows/s" if seconds > 0 else ""
            self.command.stdout.write(f"{self.step}: {self.total:,} rows in {seconds:.1f} s{rate}")


def _summary(run: ImportRun) -> str:
    label = "dry run, nothing written: " if run.dry_run else ""
    return (
        f"{run.filename} ({run.get_kind_display().lower()}), run {run.pk}: {run.status}; "
        f"{label}{run.total} rows, created {run.created}, updated {run.updated}, "
        f"unchanged {run.unchanged}, flagged for review {run.flagged}, "
        f"repeats {'skipped' if run.skip_duplicates else 'merged'} {run.skipped}, "
        f"bad rows {run.failed}"
    )


def import_table(command: BaseCommand, actor: User, path: Path, options: dict, kind: str) -> None:
    """Upload, map (suggested, changed by --mapping), dry-run, and unless --dry-run import."""
    try:
        run = services.import_upload(actor=actor, kind=kind, filename=path.name, content=path)
        mapping = tabular.mapping_from_pairs(
            options.get("mapping") or [], run.headers, importer_for(kind).fields
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except ApplicationError as exc:
        raise CommandError(exc.message) from None
    shown = ", ".join(f"{h}→{f}" for h, f in zip(run.headers, mapping, strict=True) if f)
    command.stdout.write(f"columns: {shown}")
    skip = not options.get("keep_duplicates", False)
    mode = options.get("mode") or ImportMode.ALL
    try:
        with Progress(command, "dry run") as progress:
            run = services.import_check(
                actor=actor,
                run=run,
                mapping=mapping,
                skip_duplicates=skip,
                background=False,
                progress=progress,
            )
        if not options.get("dry_run"):
            with Progress(command, "import") as progress:
                run = services.import_confirm(
                    actor=actor,
                    run=run,
                    mode=mode,
                    skip_duplicates=skip,
                    background=False,
                    progress=progress,
                )
    except ApplicationError as exc:
        for name, messages in exc.errors.items():
            for message in messages:
                command.stderr.write(f"{name}: {message}")
        raise CommandError(exc.message) from None
    command.stdout.write(_summary(run))
    for note in run.notes:
        command.stdout.write(f"note: {note}")
    for error in run.errors:
        where = f"row {error['row']}, " if error.get("row") is not None else ""
        column = f"{error['column']}: " if error.get("column") else ""
        command.stderr.write(f"{where}{column}{error['message']}")
    if options.get("errors") and (run.errors or run.duplicates):
        Path(options["errors"]).write_bytes(services.error_report(run=run))
        command.stdout.write(f"error report: {options['errors']}")
    if run.status == ImportStatus.FAILED:
        raise CommandError(f"The import failed ({run.failed} bad rows); nothing was written.")
    if run.dry_run and run.failed and mode == ImportMode.ALL:
        raise CommandError(
            f"{run.failed} bad rows: an all-or-nothing import would write nothing "
            "(fix them, or pass --mode good)."
        )


def importer_of(kind: str) -> Callable[[BaseCommand, User, Path, dict], None]:
    """The `import` command's entry for one kind of record."""

    def run(command: BaseCommand, actor: User, path: Path, options: dict) -> None:
        import_table(command, actor, path, options, kind)

    run.__doc__ = f"{kind} from a CSV or XLSX file."
    return run


# The command's word for a kind where it is not the kind's own ("orders": order lines).
COMMAND_NAMES: dict[str, str] = {ImportKind.ORDER_LINES: "orders"}


def table_importers() -> dict[str, Callable[[BaseCommand, User, Path, dict], None]]:
    """The `import` command's entry for every kind read from CSV or XLSX, those handed down
    by higher apps (catalog, prices) included; interactions go through the ingestion."""
    return {
        COMMAND_NAMES.get(kind, kind): importer_of(kind)
        for kind in IMPORTERS
        if kind != ImportKind.INTERACTIONS
    }
