"""`rapport serve`: the development server, or gunicorn with --production."""

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Rapport: Django's server for development, gunicorn with --production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--production", action="store_true", help="Run gunicorn")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        address = f"{options['host']}:{options['port']}"
        if options["production"]:
            call_command("collectstatic", interactive=False, verbosity=0)
            os.execvp(
                sys.executable,
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "rapport.wsgi",
                    "--bind",
                    address,
                    "--workers",
                    str(options["workers"]),
                    "--access-logfile",
                    "-",
                ],
            )
        call_command("runserver", address, use_reloader=False)
