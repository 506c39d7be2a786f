"""`rapport setup-demo`: what `make run` does before serving — migrate, and demo data if empty."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Migrate the database; when it holds no accounts, load the small demo data set and "
        "search it once for duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", default="small")

    def handle(self, *args: Any, **options: Any) -> None:
        from rapport.accounts.models import Account
        from rapport.demo import duplicates

        call_command("migrate", interactive=False, verbosity=0)
        if not Account.objects.exists():
            self.stdout.write("Empty database: loading demo data…")
            call_command("demo", size=options["size"])
            # The planted near-duplicates, found once, so the review queue is not empty.
            duplicates.search(progress=lambda message: self.stdout.write(f"  {message}"))
        self.stdout.write(
            self.style.SUCCESS(
                "\n  Rapport is starting on http://127.0.0.1:8000/\n"
                "  Demo login:  demo@rapport.example  /  rapport-demo\n"
            )
        )
