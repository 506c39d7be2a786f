"""One importer per kind of record: the fields a column may feed, a check that writes
nothing, and a write.

`check` reads every line (cells by field), notes what is wrong with it by field, finds the
record it updates (same external id, personal e-mail or system id, or name under the same
parent) and flags a repeat of an earlier line or, on weak evidence (a shared phone or team
mailbox, a similar name), a probable duplicate, which is created and put up for review.
`write` then creates or updates. Accounts and contacts are checked and written in batches
(bulk_create with their history, the actor as its user); every rule a row meets is the
owning service's pure check (`accounts.services`: place, identities) or the model's own
field validation, so a bulk row and a row typed in a form are held to the same rules.
The engine (`transfer.services`) decides what is written and whether it is kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Max, Q
from django.db.models.functions import Lower, Substr
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from rapport.accounts import keys as blocking
from rapport.accounts import services as account_services
from rapport.accounts.models import (
    Account,
    AccountKind,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    Employment,
    IdentityKind,
    LifecycleChange,
    LifecycleStage,
)
from rapport.analytics import contact_points
from rapport.core import access, bulk
from rapport.core.bulk import AnyOf
from rapport.core.errors import ApplicationError, InvalidInput
from rapport.core.models import User
from rapport.core.tabular import Field, parse_date, parse_decimal, split_list
from rapport.core.validators import web_href
from rapport.resolution import services as resolution_services
from rapport.transfer import ingestion
from rapport.transfer.lines import (
    BATCH,
    AccountFinder,
    Counts,
    Line,
    Progress,
    _changes,
    _choice,
)
from rapport.transfer.models import AccountKey, ImportKind, IngestionStatus
from rapport.transfer.sales_importers import OrderLineImporter, SubscriptionImporter

__all__ = ["Counts", "Line", "field_labels", "importer_add", "importer_for", "may_import"]


PLACE = ("street", "city", "postcode", "region", "country")


class AccountImporter:
    """Customer organisations and their units; a parent by name or external id.

    A row is the account it names by external id, or by name under the same parent; an
    account whose name sounds like one we have (or shares its web domain) is created and
    put up for review. Checked and written in batches: new accounts get their tree paths
    in order, parents first, and are inserted in bulk with their history.
    """

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
        Field(
            "street",
            "Street",
            synonyms=("billing street", "street address", "address", "address line 1", "strasse"),
        ),
        Field("city", "City", synonyms=("billing city", "town", "ort", "location")),
        Field(
            "postcode",
            "Postcode",
            synonyms=(
                "billing zip postal code",
                "billing postal code",
                "zip",
                "zip code",
                "postal code",
                "post code",
                "zip postal code",
                "plz",
            ),
        ),
        Field(
            "region",
            "Region",
            synonyms=(
                "billing state province",
                "state province",
                "state",
                "province",
                "county",
                "billing state",
            ),
        ),
        Field("country", "Country", synonyms=("billing country", "land", "country code")),
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
    TEXT = ("industry", "website", *PLACE, "description")
    # The fields a row sets on a new account, or changes on one we have where it gives a value.
    OWN = (*TEXT, "employees", "manager", "kind")
    MATCHES = 3

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
        keyed_rows: dict[str, Line] = {}  # a parent may be named by a later row's external id
        for line in lines:
            name = line.text("name")
            if name:
                by_name.setdefault(name.lower(), []).append(line)
            if line.text("external_id"):
                keyed_rows.setdefault(line.text("external_id"), line)
        for start in range(0, len(lines), BATCH):
            batch = lines[start : start + BATCH]
            keyed = self._keyed(actor, batch)
            finder.prefetch(
                line.text("parent")
                for line in batch
                if line.text("parent")
                and line.text("parent").lower() not in by_name
                and line.text("parent") not in keyed_rows
            )
            for line in batch:
                self._parse(line, managers)
                self._identify(line, finder, keyed, by_external, keyed_rows, by_name)
            progress(start + len(batch))
        self._order(lines)
        ready = [line for line in lines if not line.errors and line.existing is None]
        for start in range(0, len(ready), BATCH):
            self._match(actor, ready[start : start + BATCH], by_name)
        return []

    def _keyed(self, actor: User, batch: list[Line]) -> dict[str, Account]:
        """The accounts the batch's external ids name, as the actor may see them."""
        ids = {line.text("external_id") for line in batch if line.text("external_id")}
        if not ids:
            return {}
        keys = dict(
            AccountKey.objects.filter(AnyOf(F("external_id"), ids)).values_list(
                "external_id", "account_id"
            )
        )
        if not keys:
            return {}
        visible = {
            a.pk: a
            for a in access.visible_accounts(actor).filter(AnyOf(F("pk"), set(keys.values())))
        }
        return {key: visible[pk] for key, pk in keys.items() if pk in visible}

    def _parse(self, line: Line, managers: dict[str, User]) -> None:
        name = line.text("name")
        if not name:
            line.error("name", "Give the account's name.")
        parsed: dict[str, Any] = {name_: line.text(name_) for name_ in self.TEXT}
        place = {n: parsed[n] for n in PLACE if parsed[n]}
        try:
            account_services.place_normalize(place)
        except ApplicationError as exc:
            line.refused(exc)
        parsed.update(place)
        if parsed["website"] and web_href(parsed["website"]) is None:
            line.error("website", "Give a web address such as acme.com (http or https only).")
        parsed["kind"] = None
        if line.text("kind"):
            kind = _choice(line.text("kind"), AccountKind)
            if kind is None:
                line.error(
                    "kind",
                    f"Unknown kind {line.text('kind')!r}; use one of "
                    f"{', '.join(AccountKind.labels)}.",
                )
            parsed["kind"] = kind
        parsed["lifecycle_stage"] = None
        if line.text("lifecycle_stage"):
            stage = _choice(line.text("lifecycle_stage"), LifecycleStage)
            if stage is None:
                line.error("lifecycle_stage", f"Unknown stage {line.text('lifecycle_stage')!r}.")
            parsed["lifecycle_stage"] = stage
        parsed["employees"] = None
        if line.text("employees"):
            number = parse_decimal(line.text("employees"))
            if number is None or number < 0 or number != number.to_integral_value():
                line.error("employees", f"{line.text('employees')!r} is not a whole number.")
            else:
                parsed["employees"] = int(number)
        parsed["manager"] = None
        if line.text("manager"):
            manager = managers.get(line.text("manager").lower())
            if manager is None:
                line.error("manager", f"No colleague with the e-mail {line.text('manager')!r}.")
            parsed["manager"] = manager
        # The model's own field rules (lengths, choices, the web address), no query per row.
        draft = Account(name=name, **{n: v for n, v in parsed.items() if n in self.TEXT and v})
        try:
            draft.clean_fields(exclude=["path", "depth", "numchild", "customer", "manager"])
        except DjangoValidationError as exc:
            for name_, messages in exc.message_dict.items():
                if not any(field == name_ for field, _ in line.errors):
                    line.error(name_, messages[0])
        line.parsed = parsed

    def _identify(
        self,
        line: Line,
        finder: AccountFinder,
        keyed: dict[str, Account],
        by_external: dict[str, Line],
        keyed_rows: dict[str, Line],
        by_name: dict[str, list[Line]],
    ) -> None:
        """The account a row is (by its external id) and its parent (a row or an account)."""
        parsed = line.parsed
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
                line.existing = keyed.get(external_id)
        parsed["external_id"] = external_id
        parsed["parent"] = None
        parent_ref = line.text("parent")
        if parent_ref:
            parsed["parent"] = self._parent(line, parent_ref, finder, keyed_rows, by_name)

    def _parent(
        self,
        line: Line,
        ref: str,
        finder: AccountFinder,
        keyed_rows: dict[str, Line],
        by_name: dict[str, list[Line]],
    ) -> Account | Line | None:
        """The parent a line names: a row of the file (by external id or name) or an account."""
        if ref in keyed_rows and keyed_rows[ref] is not line:
            return keyed_rows[ref]
        in_file = [o for o in by_name.get(ref.lower(), []) if o is not line]
        if len(in_file) == 1:
            return in_file[0]
        if in_file:
            # Several rows bear the name: one of them may be keyed by it later in the file.
            keyed = [o for o in in_file if o.text("external_id") == ref]
            if keyed:
                return keyed[0]
            line.error("parent", f"Several rows are named {ref!r}: give the parent's external id.")
            return None
        found = finder.find(ref)
        if isinstance(found, Account):
            return found
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
        for line in lines:  # parents first: a row under a refused row is refused too
            parent = line.parsed.get("parent")
            if isinstance(parent, Line) and parent.errors and not line.errors:
                line.error("parent", f"Its parent (row {parent.number}) cannot be imported.")

    def _match(self, actor: User, batch: list[Line], by_name: dict[str, list[Line]]) -> None:
        """Same name under the same parent: the account we have, or an earlier row's; a
        similar name or the same web domain at the top level: created, put up for review."""
        names = {line.text("name").lower() for line in batch}
        visible = access.visible_accounts(actor).annotate(lowered=Lower("name"))
        under: dict[tuple[str, str], Account] = {}
        for account in visible.filter(AnyOf(F("lowered"), names)).order_by("path"):
            key = (account.path[: -Account.steplen], account.name.lower())
            under.setdefault(key, account)
        keys = {blocking.account_match_key(line.text("name")) for line in batch} - {""}
        domains = {blocking.web_domain(line.parsed["website"]) for line in batch} - {""}
        alike: dict[str, list[Account]] = {}
        if keys or domains:
            query = Q(AnyOf(F("match_key"), keys)) | Q(AnyOf(F("web_domain"), domains))
            for account in visible.filter(query, depth=1).order_by("pk")[: len(batch) * 10]:
                for key in (account.match_key, account.web_domain):
                    if key:
                        alike.setdefault(key, []).append(account)
        for line in batch:
            name, parent = line.text("name"), line.parsed["parent"]
            parent_ref = line.text("parent")
            if not isinstance(parent, Line):
                line.existing = under.get(("" if parent is None else parent.path, name.lower()))
                if line.existing is not None:
                    continue
            earlier = [
                o
                for o in by_name.get(name.lower(), [])
                if o.number < line.number and o.text("parent") == parent_ref and not o.errors
            ]
            if earlier:
                line.duplicate = {
                    "message": f"Same name and parent as row {earlier[0].number}.",
                    "matches": [],
                }
                line.existing = earlier[0].existing if earlier[0].existing else earlier[0]
                continue
            if parent is not None:
                continue
            found: dict[int, list[str]] = {}
            for account in alike.get(blocking.account_match_key(name), []):
                found.setdefault(account.pk, []).append("similar name")
            website = blocking.web_domain(line.parsed["website"])
            for account in alike.get(website, []) if website else []:
                found.setdefault(account.pk, []).append(f"same web domain {website}")
            if not found:
                continue
            by_pk = {a.pk: a for accounts in alike.values() for a in accounts}
            matches = []
            for pk, why in list(found.items())[: self.MATCHES]:
                score = round(0.6 + 0.15 * min(len(why), 2), 2)
                matches.append({"id": pk, "label": by_pk[pk].name, "score": score, "reasons": why})
                line.review.append((by_pk[pk], score, why))
            line.duplicate = {
                "message": "Looks like an account we have.",
                "matches": matches,
                "review": True,
            }

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        access.ensure_can_write(actor)
        counts = Counts()
        now = timezone.now()
        creating = [line for line in lines if line.existing is None]
        # New accounts are born knowing how many new units they get (numchild).
        children: dict[int, int] = {}
        for line in creating:
            parent = _resolved(line.parsed["parent"])
            if isinstance(parent, Line):
                children[id(parent)] = children.get(id(parent), 0) + 1
        levels: dict[int, list[Line]] = {}
        for line in creating:
            levels.setdefault(self._level(line), []).append(line)
        done = 0
        made: set[int] = set()
        for level in sorted(levels):
            self._create_level(actor, levels[level], children, made, now, counts)
            done += len(levels[level])
            progress(done)
        updates = [line for line in lines if line.existing is not None]
        changed: dict[int, Account] = {}
        changed_fields: set[str] = set()
        for line in updates:
            target = line.existing
            account = target.record if isinstance(target, Line) else target
            line.record = account
            values = {n: line.parsed.get(n) for n in self.OWN}
            changes = _changes(account, values)
            if changes:
                for name, value in changes.items():
                    setattr(account, name, value)
                account.match_key = blocking.account_match_key(account.name)
                account.web_domain = blocking.web_domain(account.website)
                account.updated_at = now
                changed[account.pk] = account
                changed_fields.update(changes)
                counts.updated += 1
            else:
                counts.unchanged += 1
        if changed:
            bulk_update_with_history(
                list(changed.values()),
                Account,
                [*sorted(changed_fields), "match_key", "web_domain", "updated_at"],
                batch_size=BATCH,
                default_user=actor,
            )
        progress(len(lines))
        keys = {
            line.parsed["external_id"]: line.record
            for line in lines
            if line.parsed.get("external_id") and line.record is not None
        }
        taken: set[str] = set()
        for start in range(0, len(keys), BATCH):
            batch = list(keys)[start : start + BATCH]
            taken.update(
                AccountKey.objects.filter(AnyOf(F("external_id"), batch)).values_list(
                    "external_id", flat=True
                )
            )
        AccountKey.objects.bulk_create(
            [
                AccountKey(account=account, external_id=key, created_at=now, updated_at=now)
                for key, account in keys.items()
                if key not in taken
            ],
            batch_size=BATCH,
        )
        pairs = [
            (line.record, other, score, {"import": "; ".join(why)})
            for line in lines
            if line.flagged and line.record is not None
            for other, score, why in line.review
        ]
        if pairs:
            resolution_services.pairs_open(actor=actor, kind="account", pairs=pairs)
        return counts

    def _level(self, line: Line) -> int:
        parent = line.parsed["parent"]
        return self._level(parent) + 1 if isinstance(parent, Line) else 0

    def _create_level(
        self,
        actor: User,
        lines: list[Line],
        children: dict[int, int],
        made: set[int],
        now: Any,
        counts: Counts,
    ) -> None:
        """Insert one level of new accounts, each after its parent's last child."""
        parents: dict[str, Account | None] = {}  # path of the parent ("" for the top) -> parent
        for line in lines:
            parent = _resolved(line.parsed["parent"])
            if isinstance(parent, Line):
                parent = parent.record
            line.parsed["parent_account"] = parent
            parents["" if parent is None else parent.path] = parent
        last = self._last_children(parents)
        grown: dict[int, int] = {}
        accounts: list[Account] = []
        for line in lines:
            parent = line.parsed["parent_account"]
            base = "" if parent is None else parent.path
            step = last.get(base, 0) + 1
            last[base] = step
            depth = 1 if parent is None else parent.depth + 1
            parsed = line.parsed
            kind = parsed["kind"] or (
                AccountKind.LEGAL_ENTITY if parent is None else AccountKind.DIVISION
            )
            stage = (
                parent.lifecycle_stage
                if parent is not None
                else parsed["lifecycle_stage"] or LifecycleStage.PROSPECT
            )
            account = Account(
                name=line.text("name"),
                kind=kind,
                lifecycle_stage=stage,
                path=Account._get_path(base, depth, step),
                depth=depth,
                numchild=children.get(id(line), 0),
                customer_id=None if parent is None else parent.customer_pk,
                match_key=blocking.account_match_key(line.text("name")),
                web_domain=blocking.web_domain(parsed["website"]),
                created_at=now,
                updated_at=now,
                **{
                    n: parsed[n]
                    for n in (*self.TEXT, "employees", "manager")
                    if parsed.get(n) not in ("", None)
                },
            )
            accounts.append(account)
            line.record = account
            if parent is not None and parent.pk not in made:
                grown[parent.pk] = grown.get(parent.pk, 0) + 1
        bulk.objects_insert(accounts)
        roots = [a for a in accounts if a.depth == 1]
        if roots:
            Account.objects.filter(AnyOf(F("pk"), [a.pk for a in roots])).update(
                customer_id=F("pk")
            )
            for account in roots:
                account.customer_id = account.pk
            bulk.objects_insert(
                [
                    LifecycleChange(
                        account=account,
                        customer=account,
                        stage=account.lifecycle_stage,
                        changed_by=actor,
                        changed_at=now,
                        reason="Account created",
                    )
                    for account in roots
                ]
            )
        bulk.history_insert(accounts, user=actor, at=now)
        made.update(account.pk for account in accounts)
        # Parents we had before this import count their new units.
        by_growth: dict[int, list[int]] = {}
        for pk, extra in grown.items():
            by_growth.setdefault(extra, []).append(pk)
        for extra, pks in by_growth.items():
            Account.objects.filter(AnyOf(F("pk"), pks)).update(numchild=F("numchild") + extra)
        counts.created += len(accounts)
        counts.flagged += sum(1 for line in lines if line.flagged)

    def _last_children(self, parents: dict[str, Account | None]) -> dict[str, int]:
        """The step of the last child under each parent path ("" for the top level)."""
        last: dict[str, int] = {}
        steplen = Account.steplen
        if "" in parents:
            top = Account.objects.filter(depth=1).order_by("-path").values_list("path", flat=True)
            path = top.first()
            last[""] = Account._str2int(path) if path else 0
        by_depth: dict[int, list[str]] = {}
        for base, parent in parents.items():
            if parent is not None:
                by_depth.setdefault(parent.depth, []).append(base)
        for depth, bases in by_depth.items():
            for start in range(0, len(bases), BATCH):
                rows = (
                    Account.objects.filter(depth=depth + 1)
                    .annotate(base=Substr("path", 1, depth * steplen))
                    .filter(AnyOf(F("base"), bases[start : start + BATCH]))
                    .values("base")
                    .annotate(last=Max("path"))
                    .values_list("base", "last")
                )
                for base, path in rows:
                    last[base] = Account._str2int(path[-steplen:])
        return last


def _resolved(parent: Any) -> Any:
    """A row's parent once repeats are followed: an account we have, or the row making it."""
    while isinstance(parent, Line) and parent.existing is not None:
        parent = parent.existing
    return parent


# --- contacts ------------------------------------------------------------------------


class ContactImporter:
    """People at an account, with their address, e-mails, phones, system ids and buying roles.

    Only an identity that names one person (a personal e-mail, an external or ERP id)
    matches a row to someone we have; a shared phone or team mailbox, or a same-sounding
    name at the same organisation, is weak evidence: the row is created and put up for
    review with the people it may duplicate, never written over them. Checked and written
    in batches: a few queries per batch, bulk inserts, history in bulk with the actor.
    """

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
            synonyms=("given name", "forename", "first", "vorname", "firstname"),
        ),
        Field(
            "last_name",
            "Last name",
            synonyms=("surname", "family name", "last", "nachname", "lastname"),
        ),
        Field("title", "Job title", synonyms=("job title", "position", "role title", "function")),
        Field(
            "email",
            "E-mail",
            many=True,
            synonyms=(
                "e-mail",
                "email address",
                "e-mail address",
                "mail",
                "work email",
                "business email",
            ),
        ),
        Field(
            "phone",
            "Phone",
            many=True,
            synonyms=(
                "telephone",
                "tel",
                "mobile",
                "phone number",
                "cell",
                "direct line",
                "mobile phone",
                "business phone",
                "work phone",
                "direct phone",
                "office phone",
            ),
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
        Field(
            "street",
            "Street",
            synonyms=("mailing street", "street address", "address", "address line 1", "strasse"),
        ),
        Field("city", "City", synonyms=("mailing city", "town", "ort")),
        Field(
            "postcode",
            "Postcode",
            synonyms=(
                "mailing zip postal code",
                "mailing postal code",
                "zip",
                "zip code",
                "postal code",
                "post code",
                "zip postal code",
                "plz",
            ),
        ),
        Field(
            "region",
            "Region",
            synonyms=(
                "mailing state province",
                "state province",
                "state",
                "province",
                "county",
                "mailing state",
            ),
        ),
        Field("country", "Country", synonyms=("mailing country", "country code", "land")),
        Field("date_of_birth", "Date of birth", synonyms=("birthdate", "birthday", "dob")),
    )
    IDENTITIES = (
        ("email", IdentityKind.EMAIL),
        ("phone", IdentityKind.PHONE),
        ("external_id", IdentityKind.EXTERNAL_ID),
        ("erp_id", IdentityKind.ERP_ID),
    )
    # A contact's own fields a row may set (or change, where the row gives a value).
    OWN = ("first_name", "last_name", "title", *PLACE, "date_of_birth")
    # At most this many people a row is put up for review with.
    MATCHES = 3

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        finder = AccountFinder(actor)
        seen: dict[tuple[str, str], Line] = {}
        memo = _Memo()
        for start in range(0, len(lines), BATCH):
            batch = lines[start : start + BATCH]
            finder.prefetch(line.text("account") for line in batch)
            for line in batch:
                self._parse(line, finder, memo)
            people = self._people(actor, batch)
            for line in batch:
                self._match(line, people, seen)
            progress(start + len(batch))
        return []

    def _parse(self, line: Line, finder: AccountFinder, memo: _Memo) -> None:
        account: Account | None = None
        if not line.text("account"):
            line.error("account", "Name the account (its name or external id).")
        else:
            found = finder.find(line.text("account"))
            if isinstance(found, str):
                line.error("account", found)
            else:
                account = found
        own: dict[str, Any] = {name: line.text(name) for name in self.OWN}
        place = {name: own[name] for name in (*PLACE, "date_of_birth") if own[name]}
        if place.get("date_of_birth"):
            born = parse_date(place["date_of_birth"])
            if born is None and settings.RAPPORT_CONTACT_BIRTH_DATE:
                line.error(
                    "date_of_birth",
                    f"{place['date_of_birth']!r} is not a date (use 1980-03-31 or 31.03.1980).",
                )
                place.pop("date_of_birth")
            elif born is not None:
                place["date_of_birth"] = born
        placed = memo.place(place)
        if isinstance(placed, ApplicationError):
            line.refused(placed)
        else:
            place = placed
        own.update(place)
        own["date_of_birth"] = place.get("date_of_birth") if not line.errors else None
        # The model's own field rules (lengths, blanks), without a query per row.
        for name, value in own.items():
            if value not in ("", None) and name != "date_of_birth":
                message = memo.field_error(name, value)
                if message is not None:
                    line.error(name, message)
        region = None
        if account is not None:
            key = (own.get("country") or "", account.pk)
            if key not in memo.regions:
                memo.regions[key] = (
                    contact_points.country_code(own["country"]) if own.get("country") else None
                ) or account_services.phone_region(None, account)
            region = memo.regions[key]
        identities: list[tuple[str, str, str, str, bool]] = []  # field, kind, value, normal, shared
        held: set[tuple[str, str]] = set()
        for name_, kind in self.IDENTITIES:
            for raw in split_list(line.values.get(name_, [])):
                known = memo.identities.get((kind, raw, region))
                if known is None:
                    try:
                        value, normalized = account_services.identity_check(
                            kind, raw, region=region
                        )
                    except ApplicationError as exc:
                        known = memo.identities[(kind, raw, region)] = exc
                    else:
                        shared = account_services.identity_is_shared(kind, value)
                        known = (value, normalized, shared)
                        memo.identities[(kind, raw, region)] = known
                if isinstance(known, ApplicationError):
                    line.error(name_, known.message)
                    continue
                value, normalized, shared = known
                if (kind, normalized) in held:
                    continue
                held.add((kind, normalized))
                identities.append((name_, kind, value, normalized, shared))
        if (
            not own["first_name"]
            and not own["last_name"]
            and not any(i[1] == IdentityKind.EMAIL for i in identities)
            and not line.errors
        ):
            line.error("last_name", "Give a first name, a last name or an e-mail address.")
        roles = []
        for value in split_list(line.text("buying_roles")):
            role = _choice(value, BuyingRoleKind)
            if role is None:
                line.error(
                    "buying_roles",
                    f"Unknown buying role {value!r}; use one of "
                    f"{', '.join(BuyingRoleKind.values)}.",
                )
            elif role not in roles:
                roles.append(role)
        line.parsed = {
            "account": account,
            "own": own,
            "identities": identities,
            "roles": roles,
            "match_key": blocking.contact_match_key(own["first_name"], own["last_name"]),
        }

    def _people(self, actor: User, batch: list[Line]) -> _People:
        """Everyone on file a batch's rows may be: by identity and by name, in a few queries."""
        strong: dict[str, set[str]] = {}
        weak: dict[str, set[str]] = {}
        named: set[tuple[int, str]] = set()
        for line in batch:
            for _, kind, _, normalized, shared in line.parsed.get("identities", ()):
                (weak if shared else strong).setdefault(kind, set()).add(normalized)
            account = line.parsed.get("account")
            if account is not None and line.parsed["match_key"]:
                named.add((account.customer_pk, line.parsed["match_key"]))
        people = _People()
        live = ContactIdentity.objects.filter(
            deleted_at__isnull=True, contact__deleted_at__isnull=True
        )
        for wanted, shared in ((strong, False), (weak, True)):
            if not wanted:
                continue
            query = Q()
            for kind, values in wanted.items():
                query |= Q(AnyOf(F("normalized"), values), kind=kind)
            for kind, normalized, contact_id in live.filter(query, shared=shared).values_list(
                "kind", "normalized", "contact_id"
            ):
                if shared:
                    people.holders.setdefault((kind, normalized), []).append(contact_id)
                else:
                    people.owners[(kind, normalized)] = contact_id
        if named:
            for pk, customer_id, key in Contact.objects.filter(
                AnyOf(F("customer_id"), {c for c, _ in named}),
                AnyOf(F("match_key"), {k for _, k in named}),
            ).values_list("pk", "customer_id", "match_key"):
                if (customer_id, key) in named:
                    people.named.setdefault((customer_id, key), []).append(pk)
        ids = set(people.owners.values())
        for holders in (*people.holders.values(), *people.named.values()):
            ids.update(holders[: self.MATCHES])
        if ids:
            people.contacts = {c.pk: c for c in Contact.objects.filter(AnyOf(F("pk"), ids))}
            owners = set(people.owners.values())
            if owners:
                people.writable = set(
                    access.scope(actor, Contact.objects.filter(AnyOf(F("pk"), owners))).values_list(
                        "pk", flat=True
                    )
                )
        return people

    def _match(self, line: Line, people: _People, seen: dict[tuple[str, str], Line]) -> None:
        account: Account | None = line.parsed.get("account")
        if account is None or line.errors:
            return
        holders: dict[int, Contact] = {}
        earlier: Line | None = None
        for name_, kind, value, normalized, shared in line.parsed["identities"]:
            if shared:
                continue
            key = (kind, normalized)
            first = seen.setdefault(key, line)
            if first is not line and earlier is None:
                earlier = first
                line.duplicate = {
                    "message": f"Same {name_.replace('_', ' ')} as row {first.number} ({value}).",
                    "matches": [],
                }
            owner_pk = people.owners.get(key)
            if owner_pk is None:
                continue
            owner = people.contacts[owner_pk]
            if owner.customer_id != account.customer_pk:
                line.error(
                    name_,
                    f"{value} belongs to {owner.full_name} at another organisation.",
                )
            holders[owner.pk] = owner
        if len(holders) > 1:
            names = ", ".join(c.full_name for c in holders.values())
            line.error("row", f"Its identities belong to different people: {names}.")
        if earlier is not None and holders and earlier.existing not in holders.values():
            line.error(
                "row",
                f"It names row {earlier.number}'s person and {next(iter(holders.values()))}.",
            )
        if line.errors:
            return
        if holders:
            line.existing = next(iter(holders.values()))
            if line.existing.pk not in people.writable:
                line.error("account", "That person is not one you may change.")
            return
        if earlier is not None:
            # The person the earlier row makes or updates (through the row it repeats).
            line.existing = earlier.existing if earlier.existing is not None else earlier
            return
        self._weak(line, account, people, seen)

    def _weak(
        self, line: Line, account: Account, people: _People, seen: dict[tuple[str, str], Line]
    ) -> None:
        """Flag a new person who may be someone we have, or an earlier row, on weak evidence."""
        reasons: dict[tuple[str, int], list[str]] = {}  # ("contact", pk) or ("row", number)
        rows: dict[int, Line] = {}

        def found(other: int | Line, why: str) -> None:
            if isinstance(other, Line):
                rows[other.number] = other
                reasons.setdefault(("row", other.number), []).append(why)
            else:
                reasons.setdefault(("contact", other), []).append(why)

        for _, kind, value, normalized, shared in line.parsed["identities"]:
            if not shared:
                continue
            what = "phone" if kind == IdentityKind.PHONE else "team mailbox"
            for pk in people.holders.get((kind, normalized), [])[: self.MATCHES]:
                found(pk, f"same {what} {value}")
            first = seen.setdefault((kind, normalized), line)
            if first is not line:
                found(first, f"same {what} {value}")
        key = line.parsed["match_key"]
        if key:
            for pk in people.named.get((account.customer_pk, key), [])[: self.MATCHES]:
                found(pk, "similar name at the same organisation")
            first = seen.setdefault(("name", f"{account.customer_pk}:{key}"), line)
            if first is not line:
                found(first, "similar name at the same organisation")
        if not reasons:
            return
        matches: list[dict[str, Any]] = []
        for (what, number), why in list(reasons.items())[: self.MATCHES]:
            score = round(0.6 + 0.1 * min(len(why), 3), 2)
            if what == "row":
                other: Contact | Line = rows[number]
                matches.append(
                    {"row": number, "label": _line_name(rows[number]), "score": score,
                     "reasons": why}
                )  # fmt: skip
            else:
                other = people.contacts[number]
                matches.append(
                    {"id": number, "label": other.full_name, "score": score, "reasons": why}
                )
            line.review.append((other, score, why))
        in_file = [m["row"] for m in matches if "row" in m]
        message = (
            f"Looks like the person of row {in_file[0]}."
            if len(in_file) == len(matches)
            else "Looks like a person we have."
        )
        line.duplicate = {"message": message, "matches": matches, "review": True}

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        access.ensure_can_write(actor)
        counts = Counts()
        lines = sorted(lines, key=lambda line: line.number)
        for start in range(0, len(lines), BATCH):
            self._write_batch(actor, lines[start : start + BATCH], counts)
            progress(start + min(BATCH, len(lines) - start))
        self._open_pairs(actor, lines)
        return counts

    def _write_batch(self, actor: User, batch: list[Line], counts: Counts) -> None:
        now = timezone.now()
        today = timezone.localdate()
        new = [line for line in batch if line.existing is None]
        for line in new:
            account = line.parsed["account"]
            own = line.parsed["own"]
            line.record = Contact(
                customer_id=account.customer_pk,
                account=account,
                notes=line.text("notes"),
                match_key=line.parsed["match_key"],
                created_at=now,
                updated_at=now,
                **{n: v for n, v in own.items() if v not in ("", None)},
            )
        _inserted([line.record for line in new], actor, now)
        bulk.rows_insert(
            Employment,
            [
                {
                    "contact_id": line.record.pk,
                    "account_id": line.record.account_id,
                    "customer_id": line.record.customer_id,
                    "title": line.record.title,
                    "started_on": today,
                }
                for line in new
            ],
            history_user=actor,
            at=now,
        )
        counts.created += len(new)
        counts.flagged += sum(1 for line in new if line.flagged)
        # Rows naming someone we have (or an earlier row's person): add what is new.
        updates = [line for line in batch if line.existing is not None]
        for line in list(updates):
            target = line.existing
            line.record = target.record if isinstance(target, Line) else target
            if line.record is None:  # the row it repeats was not imported
                line.error("row", f"Row {target.number}, the same person, was not imported.")
                updates.remove(line)
        people = {line.record.pk: line.record for line in updates}
        held: set[tuple[int, str, str]] = set()
        roles_held: set[tuple[int, str]] = set()
        if people:
            held = set(
                ContactIdentity.objects.filter(AnyOf(F("contact_id"), people)).values_list(
                    "contact_id", "kind", "normalized"
                )
            )
            roles_held = {
                (contact_id, role)
                for contact_id, role, account_id in BuyingRole.objects.filter(
                    AnyOf(F("contact_id"), people)
                ).values_list("contact_id", "role", "account_id")
                if account_id == people[contact_id].account_id
            }
        kinds_held = {(pk, kind) for pk, kind, _ in held}
        identities: list[dict[str, Any]] = []
        roles: list[dict[str, Any]] = []
        changed_fields: set[str] = set()
        changed: dict[int, Contact] = {}
        for line in new + updates:
            contact = line.record
            touched = False
            if line.existing is not None:
                changes = _changes(contact, line.parsed["own"])
                if changes:
                    for name, value in changes.items():
                        setattr(contact, name, value)
                    contact.match_key = blocking.contact_match_key(
                        contact.first_name, contact.last_name
                    )
                    contact.updated_at = now
                    changed_fields.update(changes)
                    changed[contact.pk] = contact
                    touched = True
            for _, kind, value, normalized, shared in line.parsed["identities"]:
                if (contact.pk, kind, normalized) in held:
                    continue
                held.add((contact.pk, kind, normalized))
                identities.append(
                    {
                        "contact_id": contact.pk,
                        "customer_id": contact.customer_id,
                        "kind": kind,
                        "value": value,
                        "normalized": normalized,
                        "shared": shared,
                        "is_primary": (contact.pk, kind) not in kinds_held,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                kinds_held.add((contact.pk, kind))
                touched = True
            for role in line.parsed["roles"]:
                if (contact.pk, role) in roles_held:
                    continue
                roles_held.add((contact.pk, role))
                roles.append(
                    {
                        "contact_id": contact.pk,
                        "account_id": contact.account_id,
                        "customer_id": contact.customer_id,
                        "role": role,
                        "last_engaged_at": contact.last_engaged_at,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                touched = True
            if line.existing is not None:
                if touched:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
        if changed:
            bulk_update_with_history(
                list(changed.values()),
                Contact,
                [*sorted(changed_fields), "match_key", "updated_at"],
                batch_size=BATCH,
                default_user=actor,
            )
        bulk.rows_insert(ContactIdentity, identities, history_user=actor, at=now)
        bulk.rows_insert(BuyingRole, roles, history_user=actor, at=now)

    def _open_pairs(self, actor: User, lines: list[Line]) -> None:
        """Put each created row flagged on weak evidence up for review with whom it may be."""
        pairs = []
        for line in lines:
            if not line.flagged or line.existing is not None:
                continue
            for other, score, why in line.review:
                record = other.record if isinstance(other, Line) else other
                if record is not None:
                    pairs.append((line.record, record, score, {"import": "; ".join(why)}))
        if pairs:
            resolution_services.pairs_open(actor=actor, kind="contact", pairs=pairs)


def _inserted(objects: list[Any], actor: User, at: Any) -> None:
    """Insert new rows of one model and their history, the actor as its user."""
    bulk.objects_insert(objects)
    bulk.history_insert(objects, user=actor, at=at)


_CONTACT_FIELDS = {f.name: f for f in Contact._meta.concrete_fields}


@dataclass
class _Memo:
    """What a check of contact rows works out once per value, not once per row: a file
    repeats its switchboards, team mailboxes, addresses and names."""

    regions: dict[tuple[str, int], str | None] = field(default_factory=dict)
    identities: dict[tuple[str, str, str | None], Any] = field(default_factory=dict)
    places: dict[tuple[tuple[str, Any], ...], dict[str, Any] | ApplicationError] = field(
        default_factory=dict
    )
    field_errors: dict[tuple[str, Any], str | None] = field(default_factory=dict)

    def place(self, place: dict[str, Any]) -> dict[str, Any] | ApplicationError:
        """The address (and date of birth) in its stored form, or the service's refusal."""
        key = tuple(place.items())
        if key not in self.places:
            try:
                account_services.contact_place_check(place)
            except ApplicationError as exc:
                self.places[key] = exc
            else:
                self.places[key] = place
        known = self.places[key]
        return known if isinstance(known, ApplicationError) else dict(known)

    def field_error(self, name: str, value: Any) -> str | None:
        """What the contact field's own rules say of a value (None: it may be stored)."""
        key = (name, value)
        if key not in self.field_errors:
            try:
                _CONTACT_FIELDS[name].clean(value, None)
            except DjangoValidationError as exc:
                self.field_errors[key] = exc.messages[0]
            else:
                self.field_errors[key] = None
        return self.field_errors[key]


@dataclass
class _People:
    """Who a batch of contact rows may be: owners of identities naming one person,
    holders of shared ones, namesakes at the same organisation (ids), and the contacts."""

    owners: dict[tuple[str, str], int] = field(default_factory=dict)
    holders: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    named: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    writable: set[int] = field(default_factory=set)


def _line_name(line: Line) -> str:
    own = line.parsed.get("own", {})
    name = f"{own.get('first_name', '')} {own.get('last_name', '')}".strip()
    return name or next((i[2] for i in line.parsed.get("identities", ())), f"row {line.number}")


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
            raise InvalidInput(f"The interactions could not be logged: {problems}", field="file")
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


def importer_add(importer: Any) -> None:
    """Take the importer of a kind a higher app holds (catalog, prices: offers).

    Called once, from that app's AppConfig.ready: transfer never imports the apps above it.
    An importer may name the `capability` its kind needs beyond running imports.
    """
    IMPORTERS[importer.kind] = importer


def importer_for(kind: str) -> Any:
    """The importer of a kind of record."""
    return IMPORTERS[kind]


def may_import(actor: User, kind: str) -> bool:
    """Whether the user may import this kind: run imports, and whatever else the kind asks."""
    needed = getattr(IMPORTERS.get(kind), "capability", None)
    return access.can(actor, access.Capability.RUN_IMPORTS) and (
        needed is None or access.can(actor, needed)
    )


def field_labels(kind: str) -> Iterator[tuple[str, str]]:
    """(field, label) of a kind, for the mapping step's choices."""
    for spec in IMPORTERS[kind].fields:
        yield spec.name, spec.label
