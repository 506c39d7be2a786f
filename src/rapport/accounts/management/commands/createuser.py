"""`rapport createuser`: add a user of any role from the command line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core import services
from rapport.core.errors import ApplicationError
from rapport.core.models import Role


class Command(BaseCommand):
    help = "Create a user (admin, manager, rep, analyst, partner or portal)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="Full name")
        parser.add_argument("--role", choices=Role.values, default=Role.REP)
        parser.add_argument("--password", help="Omit to create a user who cannot sign in yet")
        parser.add_argument("--partner", help="Partner name (partner users)")
        parser.add_argument("--account", type=int, help="Account id (portal users)")

    def handle(self, *args: Any, **options: Any) -> None:
        from rapport.accounts.models import Account, Partner

        partner = account = None
        if options["partner"]:
            partner = Partner.objects.filter(name__iexact=options["partner"]).first()
            if partner is None:
                raise CommandError(f"No partner named {options['partner']!r}.")
        if options["account"]:
            account = Account.objects.filter(pk=options["account"], deleted_at__isnull=True).first()
            if account is None:
                raise CommandError(f"No account with id {options['account']}.")
        try:
            user = services.user_create(
                email=options["email"],
                full_name=options["name"],
                role=options["role"],
                password=options["password"],
                partner=partner,
                account=account,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.email} (id {user.pk})."))
