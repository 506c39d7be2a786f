"""`rapport dedupe`: search the whole database for duplicate contacts or accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core import access
from rapport.core.errors import ApplicationError
from rapport.core.models import RunStatus, User
from rapport.resolution import runners, services
from rapport.resolution.models import RecordKind
from rapport.resolution.tasks import dedupe_run

KINDS = {"contacts": RecordKind.CONTACT, "accounts": RecordKind.ACCOUNT}


class Command(BaseCommand):
    help = (
        "Find probable duplicates (splink on DuckDB) and put them in the review queue. "
        "--auto-merge-above merges the most certain pairs, only if an admin allowed "
        "automatic merging on the Duplicates settings page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=[*KINDS, "all"], default="all")
        parser.add_argument("--threshold", type=float, default=0.5, help="Keep pairs above this")
        parser.add_argument(
            "--auto-merge-above",
            type=float,
            default=None,
            help="Merge pairs at or above this probability (e.g. 0.99); needs auto-merge allowed",
        )
        parser.add_argument(
            "--as", dest="actor", default="", help="E-mail of the user the run is recorded for"
        )
        parser.add_argument("--enqueue", action="store_true", help="Queue for `rapport worker`")
        parser.add_argument(
            "--keys",
            action="store_true",
            help="Only fill missing blocking keys (after a bulk load)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keys"]:
            filled = runners.match_keys_fill()
            self.stdout.write(self.style.SUCCESS(f"Filled blocking keys of {filled:,} rows."))
            return
        actor = self._actor(options["actor"], options["auto_merge_above"] is not None)
        kinds = list(KINDS.values()) if options["kind"] == "all" else [KINDS[options["kind"]]]
        for kind in kinds:
            try:
                run = services.dedupe_run_create(
                    actor=actor,
                    kind=kind,
                    threshold=options["threshold"],
                    auto_merge_above=options["auto_merge_above"],
                )
            except ApplicationError as exc:
                raise CommandError(exc.message) from None
            if options["enqueue"]:
                result = dedupe_run.enqueue(run.pk)
                self.stdout.write(f"{kind}: queued as task {result.id} (run {run.pk}).")
                continue
            run = runners.dedupe_run_execute(run=run)
            if run.status == RunStatus.FAILED:
                raise CommandError(f"{kind}: {run.error}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"{run.get_kind_display()}: {run.records:,} records, {run.pairs_found:,} "
                    f"probable pairs ({run.pairs_new:,} new) in {run.clusters:,} clusters, "
                    f"{run.auto_merged:,} merged automatically ({run.seconds or 0:.1f} s)."
                )
            )

    def _actor(self, email: str, needs_admin: bool) -> User:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(email=email.strip().lower()).first()
            if email
            else users.filter(role__in=access.roles_with(access.Capability.ADMINISTER))
            .order_by("pk")
            .first()
        )
        if actor is None:
            raise CommandError("No such active user; pass --as with an admin's e-mail.")
        if needs_admin and not access.can(actor, access.Capability.ADMINISTER):
            raise CommandError("Only an admin may merge automatically (--as an admin).")
        return actor
