"""`rapport export LIST [--format csv|xlsx] [-o FILE] [--as EMAIL] [--filter name=value]`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict

from rapport.core import access, tabular
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.transfer import exports


class Command(BaseCommand):
    help = "Export a list (accounts, contacts, ...) as CSV or XLSX, as a user sees it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list", choices=sorted(exports.LISTS), help="Which list")
        parser.add_argument("--format", choices=exports.FORMATS, default=None)
        parser.add_argument("-o", "--output", help="File to write (default: standard output)")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A filter of the list page, e.g. stage=customer (repeatable)",
        )
        parser.add_argument(
            "--as", dest="as_user", metavar="EMAIL", help="Whose view (default: the first admin)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"]
        format = options["format"] or (
            "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
        )
        if format == "xlsx" and not output:
            raise CommandError("An XLSX export needs a file: pass -o FILE.xlsx.")
        query = QueryDict(mutable=True)
        for pair in options["filter"]:
            name, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(f"{pair!r}: write NAME=VALUE.")
            query.appendlist(name.strip(), value.strip())
        user = self._actor(options["as_user"])
        try:
            found, rows = exports.export_rows(user=user, name=options["list"], query=query)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        count = 0

        def counted() -> Any:
            nonlocal count
            for row in rows:
                count += 1
                yield row

        if format == "xlsx":
            handle = tabular.xlsx_file(found.header, counted(), title=found.title)
            with Path(output).open("wb") as binary:
                shutil.copyfileobj(handle, binary)
        elif output:
            with Path(output).open("w", encoding="utf-8", newline="") as text:
                text.writelines(tabular.csv_lines(found.header, counted()))
        else:
            sys.stdout.writelines(
                line.lstrip("\ufeff") for line in tabular.csv_lines(found.header, counted())
            )
        if output:
            self.stderr.write(f"{count} {found.title.lower()} written to {output}")

    def _actor(self, email: str | None) -> User:
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
