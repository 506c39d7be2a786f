# ruff: noqa: N999  (the command is `import`, a keyword, as `rapport import ...` reads best)
"""`rapport import KIND FILE`: bring records in from a file, now, with a progress line.

    rapport import interactions inbox.mbox [--format csv|eml|mbox|ics] [--dry-run] [--as EMAIL]
    rapport import accounts|contacts|orders|subscriptions|catalog|prices FILE.csv|.xlsx
        [--mapping COL=FIELD] [--dry-run] [--mode all|good] [--errors REPORT.csv]
        [--keep-duplicates] [--as EMAIL]

Each kind is one entry of `importers()` (interactions here; the tables in transfer/cli.py,
read when the command runs, so the kinds higher apps hand down are there); an importer
gets the command (to print), the acting user, the file and the parsed options, and
raises CommandError when the import failed, so the exit status is non-zero.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core import access
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.transfer import services
from rapport.transfer.cli import table_importers
from rapport.transfer.models import IngestionFormat, IngestionStatus


def import_interactions(command: BaseCommand, actor: User, path: Path, options: dict) -> None:
    """Interactions from CSV, .eml, mbox or .ics, run at once (no worker needed)."""
    interactive = command.stdout.isatty()

    def progress(done: int, total: int) -> None:
        if interactive:
            command.stdout.write(f"\rread {done} of {total}", ending="")
            command.stdout.flush()

    try:
        run = services.ingestion_start(
            actor=actor,
            filename=path.name,
            content=path,
            format=options["format"],
            dry_run=options["dry_run"],
            background=False,
            progress=progress,
        )
    except ApplicationError as exc:
        raise CommandError(exc.message) from None
    if interactive:
        command.stdout.write("\r", ending="")
    label = "dry run, nothing written: " if run.dry_run else ""
    command.stdout.write(
        f"{run.filename} ({run.get_format_display()}), run {run.pk}: {run.status}; "
        f"{label}{run.total} read, created {run.created}, duplicates {run.duplicates}, "
        f"for review {run.queued_for_review}"
    )
    if run.status == IngestionStatus.FAILED:
        for error in run.errors:
            where = f"row {error['row']}, " if error.get("row") is not None else ""
            command.stderr.write(f"{where}{error['field']}: {error['message']}")
        count = len(run.errors)
        raise CommandError(
            f"The import failed ({count} error{'s' if count != 1 else ''}); nothing was written."
        )


Importer = Callable[[BaseCommand, User, Path, dict], None]


def importers() -> dict[str, Importer]:
    """Every kind the command imports: interactions here, the tables from transfer/cli.py
    (accounts, contacts, orders, subscriptions, and those higher apps hand down)."""
    return {"interactions": import_interactions, **table_importers()}


class Command(BaseCommand):
    help = "Import records from a file: rapport import KIND FILE [--dry-run]."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(importers()), help="What the file holds")
        parser.add_argument("file", help="Path of the file to import")
        parser.add_argument(
            "--format", choices=IngestionFormat.values, help="Default: told by the file"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; write nothing"
        )
        parser.add_argument(
            "--mapping",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="every kind but interactions: which field a column feeds "
            "(repeatable; FIELD empty to ignore it); the rest is guessed from the header",
        )
        parser.add_argument(
            "--mode",
            choices=["all", "good"],
            default="all",
            help="all: any bad row and nothing is written (default); good: import the rest",
        )
        parser.add_argument(
            "--errors", metavar="REPORT.csv", help="Write the rows not imported, with why, here"
        )
        parser.add_argument(
            "--keep-duplicates",
            action="store_true",
            help="Import rows flagged as probable duplicates too (default: leave them out)",
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="EMAIL",
            help="The user the import is made as (default: the first admin)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        importers()[options["kind"]](self, self._actor(options["as_user"]), path, options)

    def _actor(self, email: str | None) -> User:
        """The user named by --as, or the first active admin."""
        users = User.objects.filter(is_active=True)
        user = (
            users.filter(email__iexact=email).first()
            if email
            else users.filter(role__in=access.roles_with(access.Capability.ADMINISTER))
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(
                f"No active user {email}." if email else "No active admin: pass --as EMAIL."
            )
        return user
