"""`rapport token`: issue, list or revoke API tokens."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core import selectors, services
from rapport.core.errors import ApplicationError
from rapport.core.models import User


class Command(BaseCommand):
    help = "Create (default), list or revoke a user's API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The token owner's e-mail")
        parser.add_argument("--name", default="CLI token", help="A name for the new token")
        parser.add_argument("--list", action="store_true", help="List the user's tokens")
        parser.add_argument(
            "--revoke", type=int, metavar="ID", help="Revoke the token with this id"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["email"].lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['email']}.")
        try:
            if options["list"]:
                for token in selectors.api_token_list(user=user):
                    state = "revoked" if token.revoked_at else "active"
                    self.stdout.write(f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}")
            elif options["revoke"]:
                token = services.api_token_revoke(user=user, token_id=options["revoke"])
                self.stdout.write(self.style.SUCCESS(f"Revoked {token}."))
            else:
                token, key = services.api_token_create(user=user, name=options["name"])
                self.stdout.write(key)
                self.stderr.write(f"Token {token.pk} for {user.email}; it is shown only once.")
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
