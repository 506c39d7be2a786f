"""One importer per kind of record: the fields a column may feed, a check that writes
nothing, and a write that goes through the owning app's services only.

`check` reads every line (cells by field), notes what is wrong with it by field, finds the
record it updates (same external id, e-mail, or name under the same parent) and flags a
probable duplicate of an existing record or of an earlier line. `write` then creates or
updates, line by line in a savepoint so a line the services refuse is reported, not lost.
The engine (`transfer.services`) decides what is written and whether it is kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from rapport.accounts import services as account_services
from rapport.accounts.models import (
    Account,
    AccountKind,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    IdentityKind,
    LifecycleStage,
)
from rapport.analytics import contact_points
from rapport.core import access
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.core.tabular import Field, parse_decimal, split_list
from rapport.core.validators import web_href
from rapport.transfer import ingestion
from rapport.transfer.lines import (
    CHUNK,
    AccountFinder,
    Counts,
    Line,
    Progress,
    _changes,
    _choice,
    _duplicates_of_account,
    _duplicates_of_contact,
    _guarded,
)
from rapport.transfer.models import AccountKey, ImportKind, IngestionStatus
from rapport.transfer.sales_importers import OrderLineImporter, SubscriptionImporter

__all__ = ["Counts", "Line", "field_labels", "importer_for"]


class AccountImporter:
    """Customer organisations and their units; a parent by name or external id."""

    kind = ImportKind.ACCOUNTS
    fields = (
        Field(
            "name",
            "Name",
            required=True,
            synonyms=(
                "account",
                "account name",
                "company",
                "company name",
                "organisation",
                "organization",
                "customer",
                "firma",
            ),
        ),
        Field(
            "external_id",
            "External id",
            synonyms=(
                "id",
                "account id",
                "erp id",
                "customer number",
                "customer no",
                "account number",
                "external key",
            ),
        ),
        Field(
            "parent",
            "Parent",
            synonyms=(
                "parent account",
                "parent name",
                "parent id",
                "belongs to",
                "part of",
                "parent external id",
            ),
        ),
        Field("kind", "Kind", synonyms=("type", "account type", "level")),
        Field("industry", "Industry", synonyms=("sector", "branche", "vertical")),
        Field("website", "Website", synonyms=("web", "url", "homepage", "domain", "web site")),
        Field("country", "Country", synonyms=("land", "country code")),
        Field("city", "City", synonyms=("town", "ort", "location")),
        Field(
            "employees", "Employees", synonyms=("headcount", "staff", "size", "number of employees")
        ),
        Field("lifecycle_stage", "Lifecycle stage", synonyms=("stage", "status", "lifecycle")),
        Field(
            "manager",
            "Account manager (e-mail)",
            synonyms=("owner", "account manager", "manager email", "owner email", "account owner"),
        ),
        Field("description", "Description", synonyms=("notes", "about")),
    )
    service_fields = {"name": "name", "kind": "kind", "parent": "parent"}
    TEXT = ("industry", "website", "country", "city", "description")

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        finder = AccountFinder(actor)
        managers = {
            u.email.lower(): u
            for u in User.objects.filter(
                is_active=True, role__in=access.roles_with(access.Capability.ACT_FOR_US)
            )
        }
        by_external: dict[str, Line] = {}
        by_name: dict[str, list[Line]] = {}
        for line in lines:
            name = line.text("name")
            if name:
                by_name.setdefault(name.lower(), []).append(line)
        for done, line in enumerate(lines, start=1):
            self._check_line(line, finder, managers, by_external, by_name)
            if done % CHUNK == 0:
                progress(done)
        self._order(lines)
        return []

    def _check_line(
        self,
        line: Line,
        finder: AccountFinder,
        managers: dict[str, User],
        by_external: dict[str, Line],
        by_name: dict[str, list[Line]],
    ) -> None:
        name = line.text("name")
        if not name:
            line.error("name", "Give the account's name.")
        elif len(name) > 200:
            line.error("name", "Keep it under 200 characters.")
        parsed: dict[str, Any] = {name_: line.text(name_) for name_ in self.TEXT}
        for name_, size in (("industry", 100), ("website", 200), ("country", 100), ("city", 100)):
            if len(parsed[name_]) > size:
                line.error(name_, f"Keep it under {size} characters.")
        if parsed["country"]:
            country = contact_points.country_name(parsed["country"])
            if country is None:
                line.error("country", f"Unknown country {parsed['country']!r}.")
            parsed["country"] = country or ""
        if parsed["website"] and web_href(parsed["website"]) is None:
            line.error("website", "Give a web address such as acme.com (http or https only).")
        if line.text("kind"):
            kind = _choice(line.text("kind"), AccountKind)
            if kind is None:
                line.error(
                    "kind",
                    f"Unknown kind {line.text('kind')!r}; use one of "
                    f"{', '.join(AccountKind.labels)}.",
                )
            parsed["kind"] = kind
        if line.text("lifecycle_stage"):
            stage = _choice(line.text("lifecycle_stage"), LifecycleStage)
            if stage is None:
                line.error("lifecycle_stage", f"Unknown stage {line.text('lifecycle_stage')!r}.")
            parsed["lifecycle_stage"] = stage
        if line.text("employees"):
            number = parse_decimal(line.text("employees"))
            if number is None or number < 0 or number != number.to_integral_value():
                line.error("employees", f"{line.text('employees')!r} is not a whole number.")
            else:
                parsed["employees"] = int(number)
        if line.text("manager"):
            manager = managers.get(line.text("manager").lower())
            if manager is None:
                line.error("manager", f"No colleague with the e-mail {line.text('manager')!r}.")
            parsed["manager"] = manager
        external_id = line.text("external_id")
        if external_id:
            if len(external_id) > 128:
                line.error("external_id", "Keep it under 128 characters.")
            elif external_id in by_external:
                line.error(
                    "external_id",
                    f"Row {by_external[external_id].number} has the same external id.",
                )
            else:
                by_external[external_id] = line
                found = finder.find(external_id)
                if (
                    isinstance(found, Account)
                    and AccountKey.objects.filter(external_id=external_id, account=found).exists()
                ):
                    line.existing = found
        parsed["external_id"] = external_id
        parsed["parent"] = None
        parent_ref = line.text("parent")
        if parent_ref:
            parsed["parent"] = self._parent(line, parent_ref, finder, by_external, by_name)
        line.parsed = parsed
        if line.errors or line.existing is not None or not name:
            return
        parent = parsed["parent"]
        if isinstance(parent, Line):
            same = [
                other
                for other in by_name.get(name.lower(), [])
                if other.number < line.number and other.text("parent") == parent_ref
            ]
            if same:
                line.duplicate = {
                    "message": f"Same name and parent as row {same[0].number}.",
                    "matches": [],
                }
            return
        siblings = Account.objects.filter(deleted_at__isnull=True, name__iexact=name)
        siblings = (
            siblings.filter(
                customer_id=parent.customer_pk, depth=parent.depth + 1, path__startswith=parent.path
            )
            if parent is not None
            else siblings.filter(depth=1)
        )
        line.existing = access.scope(finder.actor, siblings, via="").first()
        if line.existing is not None:
            return
        earlier = [
            o
            for o in by_name.get(name.lower(), [])
            if o.number < line.number and o.text("parent") == parent_ref
        ]
        if earlier:
            line.duplicate = {
                "message": f"Same name and parent as row {earlier[0].number}.",
                "matches": [],
            }
            return
        matches = _duplicates_of_account(
            finder.actor, name=name, website=parsed["website"], city=parsed["city"]
        )
        if matches:
            line.duplicate = {"message": "Looks like an account we have.", "matches": matches}

    def _parent(
        self,
        line: Line,
        ref: str,
        finder: AccountFinder,
        by_external: dict[str, Line],
        by_name: dict[str, list[Line]],
    ) -> Account | Line | None:
        """The parent a line names: a row of the file (by external id or name) or an account."""
        if ref in by_external and by_external[ref] is not line:
            return by_external[ref]
        in_file = [o for o in by_name.get(ref.lower(), []) if o is not line]
        if len(in_file) == 1:
            return in_file[0]
        found = finder.find(ref)
        if isinstance(found, Account):
            return found
        later = [o for o in by_name.get(ref.lower(), []) if o is not line]
        if later:
            line.error("parent", f"Several rows are named {ref!r}: give the parent's external id.")
        else:
            line.error("parent", found)
        return None

    def _order(self, lines: list[Line]) -> None:
        """Parents before their children; a loop of parents is an error on each line in it."""
        depth: dict[int, int] = {}

        def depth_of(line: Line, seen: tuple[int, ...]) -> int:
            if id(line) in depth:
                return depth[id(line)]
            parent = line.parsed.get("parent")
            if isinstance(parent, Line):
                if id(parent) in seen:
                    line.error("parent", "The parents of these rows form a loop.")
                    depth[id(line)] = 0
                    return 0
                value = depth_of(parent, (*seen, id(line))) + 1
            else:
                value = 0
            depth[id(line)] = value
            return value

        for line in lines:
            depth_of(line, ())
        lines.sort(key=lambda line: (depth[id(line)], line.number))

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        counts = Counts()
        for done, line in enumerate(lines, start=1):
            _guarded(line, self.service_fields, partial(self._write, actor, line, counts))
            if done % CHUNK == 0:
                progress(done)
        return counts

    def _write(self, actor: User, line: Line, counts: Counts) -> None:
        parsed = line.parsed
        parent = parsed["parent"]
        if isinstance(parent, Line):
            if parent.record is None:
                raise _refused("parent", f"Its parent (row {parent.number}) was not imported.")
            parent = parent.record
        fields = {
            name: parsed.get(name)
            for name in (
                "industry",
                "website",
                "country",
                "city",
                "description",
                "employees",
                "manager",
            )
            if parsed.get(name) not in ("", None)
        }
        if line.existing is not None:
            account = line.existing
            changes = _changes(account, {**fields, "kind": parsed.get("kind")})
            if changes:
                account = account_services.account_update(actor=actor, account=account, **changes)
                counts.updated += 1
            else:
                counts.unchanged += 1
        else:
            extra = {}
            if parsed.get("lifecycle_stage"):
                extra["lifecycle_stage"] = parsed["lifecycle_stage"]
            account = account_services.account_create(
                actor=actor,
                name=line.text("name"),
                parent=parent,
                kind=parsed.get("kind"),
                **{**extra, **fields},
            )
            counts.created += 1
        line.record = account
        external_id = parsed.get("external_id")
        if external_id and not AccountKey.objects.filter(external_id=external_id).exists():
            AccountKey.objects.create(account=account, external_id=external_id)


def _refused(name: str, message: str) -> ApplicationError:
    from rapport.core.errors import InvalidInput

    return InvalidInput(message, field=name)


# --- contacts ------------------------------------------------------------------------


class ContactImporter:
    """People at an account, with their e-mails, phones, system ids and buying roles."""

    kind = ImportKind.CONTACTS
    fields = (
        Field(
            "account",
            "Account (name or external id)",
            required=True,
            synonyms=(
                "company",
                "organisation",
                "organization",
                "account name",
                "customer",
                "unit",
                "account id",
                "company name",
                "firma",
            ),
        ),
        Field(
            "first_name",
            "First name",
            required=True,
            synonyms=("given name", "forename", "first", "vorname", "firstname"),
        ),
        Field(
            "last_name",
            "Last name",
            required=True,
            synonyms=("surname", "family name", "last", "nachname", "lastname"),
        ),
        Field("title", "Job title", synonyms=("job title", "position", "role title", "function")),
        Field(
            "email",
            "E-mail",
            many=True,
            synonyms=("e-mail", "email address", "e-mail address", "mail", "work email"),
        ),
        Field(
            "phone",
            "Phone",
            many=True,
            synonyms=("telephone", "tel", "mobile", "phone number", "cell", "direct line"),
        ),
        Field(
            "external_id",
            "External id",
            many=True,
            synonyms=("id", "contact id", "crm id", "external key"),
        ),
        Field("erp_id", "ERP id", many=True, synonyms=("erp", "erp number", "sap id")),
        Field("buying_roles", "Buying roles", synonyms=("buying role", "roles", "role")),
        Field("notes", "Notes", synonyms=("comment", "comments", "remarks")),
    )
    service_fields = {
        "email": "email",
        "phone": "phone",
        "value": "row",
        "first_name": "first_name",
        "last_name": "last_name",
        "title": "title",
        "role": "buying_roles",
        "account": "account",
    }
    IDENTITIES = (
        ("email", IdentityKind.EMAIL),
        ("phone", IdentityKind.PHONE),
        ("external_id", IdentityKind.EXTERNAL_ID),
        ("erp_id", IdentityKind.ERP_ID),
    )

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        finder = AccountFinder(actor)
        seen: dict[tuple[str, str], Line] = {}
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start : start + CHUNK]
            for line in chunk:
                self._parse(line, finder)
            owners = self._owners(actor, chunk)
            for line in chunk:
                self._match(actor, line, owners, seen)
            progress(start + len(chunk))
        return []

    def _parse(self, line: Line, finder: AccountFinder) -> None:
        account = None
        if not line.text("account"):
            line.error("account", "Name the account (its name or external id).")
        else:
            found = finder.find(line.text("account"))
            if isinstance(found, str):
                line.error("account", found)
            else:
                account = found
        for name_ in ("first_name", "last_name"):
            if not line.text(name_):
                line.error(name_, "Give the first and last name.")
            elif len(line.text(name_)) > 100:
                line.error(name_, "Keep it under 100 characters.")
        if len(line.text("title")) > 200:
            line.error("title", "Keep it under 200 characters.")
        identities: list[tuple[str, str, str, str]] = []  # (field, kind, value, normalized)
        for name_, kind in self.IDENTITIES:
            for value in split_list(line.values.get(name_, [])):
                if kind == IdentityKind.EMAIL:
                    try:
                        validate_email(value)
                    except DjangoValidationError:
                        line.error(name_, f"{value!r} is not an e-mail address.")
                        continue
                if kind == IdentityKind.PHONE and sum(c.isdigit() for c in value) < 6:
                    line.error(name_, f"{value!r} is not a phone number.")
                    continue
                if len(value) > 254:
                    line.error(name_, "Keep it under 254 characters.")
                    continue
                normalized = account_services.identity_normalize(kind, value)
                identities.append((name_, kind, value, normalized))
        roles = []
        for value in split_list(line.text("buying_roles")):
            role = _choice(value, BuyingRoleKind)
            if role is None:
                line.error(
                    "buying_roles",
                    f"Unknown buying role {value!r}; use one of "
                    f"{', '.join(BuyingRoleKind.values)}.",
                )
            else:
                roles.append(role)
        line.parsed = {"account": account, "identities": identities, "roles": roles}

    def _owners(self, actor: User, lines: list[Line]) -> dict[tuple[str, str], Contact]:
        """The contacts who already hold the identities these lines give."""
        wanted: dict[str, set[str]] = {}
        for line in lines:
            for _, kind, _, normalized in line.parsed["identities"]:
                wanted.setdefault(kind, set()).add(normalized)
        owners: dict[tuple[str, str], Contact] = {}
        for kind, values in wanted.items():
            # Only identities that name one person may match a row to someone we have.
            identities = ContactIdentity.objects.filter(
                kind=kind,
                normalized__in=values,
                shared=False,
                deleted_at__isnull=True,
                contact__deleted_at__isnull=True,
            ).select_related("contact")
            for identity in identities:
                owners[(kind, identity.normalized)] = identity.contact
        return owners

    def _match(
        self,
        actor: User,
        line: Line,
        owners: dict[tuple[str, str], Contact],
        seen: dict[tuple[str, str], Line],
    ) -> None:
        account: Account | None = line.parsed["account"]
        holders: dict[int, Contact] = {}
        for name_, kind, value, normalized in line.parsed["identities"]:
            key = (kind, normalized)
            earlier = seen.get(key)
            if earlier is not None and earlier is not line and line.duplicate is None:
                line.duplicate = {
                    "message": f"Same {name_.replace('_', ' ')} as row {earlier.number} ({value}).",
                    "matches": [],
                }
            seen.setdefault(key, line)
            owner = owners.get(key)
            if owner is None:
                continue
            if account is not None and owner.customer_id != account.customer_pk:
                line.error(
                    name_,
                    f"{value} belongs to {owner.first_name} {owner.last_name} at "
                    "another organisation.",
                )
            holders[owner.pk] = owner
        if len(holders) > 1:
            names = ", ".join(f"{c.first_name} {c.last_name}" for c in holders.values())
            line.error("row", f"Its identities belong to different people: {names}.")
        if line.errors or account is None:
            return
        if holders:
            line.existing = next(iter(holders.values()))
            if not access.scope(actor, Contact.objects.filter(pk=line.existing.pk)).exists():
                line.error("account", "That person is not one you may change.")
            return
        if line.duplicate is not None:
            return
        # The same name at the same account earlier in the file (no shared identity).
        named = (
            "name",
            f"{account.pk}:{line.text('first_name').lower()}:{line.text('last_name').lower()}",
        )
        if named in seen:
            line.duplicate = {
                "message": f"Same name and account as row {seen[named].number}.",
                "matches": [],
            }
            return
        seen[named] = line
        emails = [v for n, _, v, _ in line.parsed["identities"] if n == "email"]
        phones = [v for n, _, v, _ in line.parsed["identities"] if n == "phone"]
        matches = _duplicates_of_contact(
            actor,
            first_name=line.text("first_name"),
            last_name=line.text("last_name"),
            email=emails[0] if emails else "",
            phone=phones[0] if phones else "",
            account_id=account.pk,
        )
        if matches:
            line.duplicate = {"message": "Looks like a person we have.", "matches": matches}

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        counts = Counts()
        for done, line in enumerate(lines, start=1):
            _guarded(line, self.service_fields, partial(self._write, actor, line, counts))
            if done % CHUNK == 0:
                progress(done)
        return counts

    def _write(self, actor: User, line: Line, counts: Counts) -> None:
        parsed = line.parsed
        identities = list(parsed["identities"])
        contact: Contact | None = line.existing
        changed = False
        if contact is None and line.duplicate is not None:
            # An earlier line of this file may have made the person (the same e-mail twice).
            held = [
                i.contact
                for (_, kind, _, normalized) in identities
                for i in ContactIdentity.objects.filter(
                    kind=kind, normalized=normalized, shared=False
                ).select_related("contact")[:1]
            ]
            contact = held[0] if held else None
        if contact is None:
            first: dict[str, str] = {}
            for name_, kind, value, _ in identities:
                if kind in (IdentityKind.EMAIL, IdentityKind.PHONE) and name_ not in first:
                    first[name_] = value
            contact = account_services.contact_create(
                actor=actor,
                account=parsed["account"],
                first_name=line.text("first_name"),
                last_name=line.text("last_name"),
                title=line.text("title"),
                notes=line.text("notes"),
                email=first.get("email", ""),
                phone=first.get("phone", ""),
            )
            holding = {(i[1], i[3]) for i in identities if first.get(i[0]) == i[2]}
            identities = [i for i in identities if first.get(i[0]) != i[2]]
            roles: set[str] = set()
            counts.created += 1
            created = True
        else:
            created = False
            changes = _changes(
                contact,
                {
                    "first_name": line.text("first_name"),
                    "last_name": line.text("last_name"),
                    "title": line.text("title"),
                },
            )
            if changes:
                contact = account_services.contact_update(actor=actor, contact=contact, **changes)
                changed = True
            holding = set(
                ContactIdentity.objects.filter(contact=contact).values_list("kind", "normalized")
            )
            roles = set(
                BuyingRole.objects.filter(
                    contact=contact, account_id=contact.account_id
                ).values_list("role", flat=True)
            )
        for name_, kind, value, normalized in identities:
            if (kind, normalized) in holding:
                continue
            try:
                account_services.identity_add(actor=actor, contact=contact, kind=kind, value=value)
            except ApplicationError as exc:
                raise _refused(name_, exc.message) from None
            holding.add((kind, normalized))
            changed = True
        for role in parsed["roles"]:
            if role not in roles:
                account_services.buying_role_set(actor=actor, contact=contact, role=role)
                changed = True
        if not created:
            if changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        line.record = contact


# --- interactions (through the ingestion of interactions) -----------------------------------


class InteractionImporter:
    """Calls, meetings and messages, through the e-mail and calendar ingestion (matching people by
    e-mail, the review queue for strangers, external ids against re-imports)."""

    kind = ImportKind.INTERACTIONS
    fields = (
        Field(
            "occurred_at",
            "When",
            required=True,
            synonyms=(
                "date",
                "time",
                "datetime",
                "occurred",
                "occurred on",
                "timestamp",
                "sent",
                "start",
            ),
        ),
        Field("channel", "Channel", required=True, synonyms=("type", "medium", "kind")),
        Field("subject", "Subject", required=True, synonyms=("title", "topic", "about")),
        Field("direction", "Direction", synonyms=("in out", "inbound outbound")),
        Field("summary", "Summary", synonyms=("notes", "body", "description", "text")),
        Field("outcome", "Outcome", synonyms=("result",)),
        Field("next_step", "Next step", synonyms=("next", "follow up", "next action")),
        Field("from", "From", synonyms=("sender", "organizer", "organiser", "from email")),
        Field("to", "To", synonyms=("recipient", "recipients", "to email")),
        Field("cc", "Cc", synonyms=("copy",)),
        Field(
            "participants", "Participants", synonyms=("attendees", "people", "contacts", "emails")
        ),
        Field("external_id", "External id", synonyms=("id", "message id", "event id")),
    )

    def _canonical(self, lines: list[Line]) -> tuple[bytes, dict[int, Line]]:
        """The lines as the ingestion's CSV, and which line each CSV record ends on."""
        import csv

        names = [spec.name for spec in self.fields]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(names)
        ending: dict[int, Line] = {}
        line_number = 1
        for line in lines:
            before = buffer.tell()
            writer.writerow([line.text(name) for name in names])
            written = buffer.getvalue()[before:]
            line_number += written.count("\n")
            ending[line_number] = line
        return buffer.getvalue().encode("utf-8"), ending

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        content, ending = self._canonical(lines)
        try:
            parsed = ingestion.parse_csv(content)
        except ingestion.MalformedFile as exc:
            for line in lines:
                line.error("row", exc.message)
            return []
        for error in parsed.errors:
            at = ending.get(error.row or 0)
            if at is not None:
                at.error(error.field, error.message)
        progress(len(lines))
        return []

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        from rapport.transfer import services  # it imports this module: read when called

        counts = Counts()
        if not lines:
            return counts
        content, _ = self._canonical(lines)
        run = services.ingestion_start(
            actor=actor, filename="import.csv", content=content, format="csv", background=False
        )
        if run.status != IngestionStatus.DONE:
            problems = "; ".join(e["message"] for e in run.errors[:3])
            raise _refused("file", f"The interactions could not be logged: {problems}")
        counts.created = run.created
        counts.unchanged = run.duplicates
        if run.queued_for_review:
            counts.notes.append(
                f"{run.queued_for_review} named nobody we know and wait in the review queue."
            )
        progress(len(lines))
        return counts


# --- order lines and subscriptions (through the records' bulk writers) ------------------------


IMPORTERS: dict[str, Any] = {
    importer.kind: importer
    for importer in (
        AccountImporter(),
        ContactImporter(),
        InteractionImporter(),
        OrderLineImporter(),
        SubscriptionImporter(),
    )
}


def importer_for(kind: str) -> Any:
    """The importer of a kind of record."""
    return IMPORTERS[kind]


def field_labels(kind: str) -> Iterator[tuple[str, str]]:
    """(field, label) of a kind, for the mapping step's choices."""
    for spec in IMPORTERS[kind].fields:
        yield spec.name, spec.label
