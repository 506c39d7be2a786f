"""Load a CRM export (accounts and contacts CSV, as `crm_people` writes them) in bulk.

A stand-in for `rapport import accounts|contacts` at sizes the row-by-row import cannot
reach within a test's or a benchmark's time (about ten contacts a second today): the same
files, the same columns, the same mapping onto the product's fields (company -> account,
names, e-mails and phones -> identities normalised as the product normalises them, the
CRM's id -> an external id), written with bulk_create. Replace a call with
`call_command("import", ...)` once the bulk import lands; the files need not change.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.accounts import keys
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.accounts.services import identity_normalize
from rapport.analytics.names import is_role_mailbox
from rapport.core.tabular import split_list

# Contact fields the model may have (the address and birth date arrive with a migration).
_PLACE = {
    "Street": "street",
    "City": "city",
    "Postcode": "postcode",
    "Region": "region",
    "Country": "country",
    "Date of birth": "date_of_birth",
}


def _shared(kind: str, value: str) -> bool:
    """Phones and role mailboxes are shared identities (a switchboard, info@)."""
    return kind == IdentityKind.PHONE or (kind == IdentityKind.EMAIL and is_role_mailbox(value))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_accounts(path: Path) -> dict[str, Account]:
    """Accounts by name: organisations first, then their units (`Parent` names one)."""
    rows = _rows(path)
    now = timezone.now()
    tops = [row for row in rows if not row.get("Parent")]
    start = Account.objects.filter(depth=1).count()
    Account.objects.bulk_create(
        [
            Account(
                name=row["Company"],
                path=Account._get_path(None, 1, start + number),
                depth=1,
                numchild=0,
                website=row.get("Website", ""),
                city=row.get("City", ""),
                country=row.get("Country", ""),
                match_key=keys.account_match_key(row["Company"]),
                web_domain=keys.web_domain(row.get("Website", "")),
                created_at=now,
            )
            for number, row in enumerate(tops, start=1)
        ],
        batch_size=2000,
    )
    Account.objects.filter(customer__isnull=True, depth=1).update(customer_id=F("id"))
    by_name = {a.name: a for a in Account.objects.filter(depth=1)}
    children: dict[str, int] = {}
    units = []
    for row in rows:
        parent_name = row.get("Parent")
        if not parent_name:
            continue
        parent = by_name[parent_name]
        children[parent_name] = children.get(parent_name, 0) + 1
        units.append(
            Account(
                name=row["Company"],
                path=Account._get_path(parent.path, 2, children[parent_name]),
                depth=2,
                numchild=0,
                customer_id=parent.pk,
                city=row.get("City", ""),
                country=row.get("Country", ""),
                match_key=keys.account_match_key(row["Company"]),
                created_at=now,
            )
        )
    Account.objects.bulk_create(units, batch_size=2000)
    for name, count in children.items():
        Account.objects.filter(pk=by_name[name].pk).update(numchild=count)
    return {a.name: a for a in Account.objects.all()}


@transaction.atomic
def load_contacts(path: Path, accounts: dict[str, Account]) -> int:
    """Contacts of the file at the accounts their `Company` names; returns how many.

    A personal e-mail address is one contact's only (as the product keeps it): a row
    giving one already held at the same organisation is that contact (its other values
    are added to it, as `rapport import` does); one held at another organisation is left
    off the row's new contact. Phones and role mailboxes (info@) are shared: several
    contacts hold them where the product can mark an identity shared, otherwise the
    first contact to give one keeps it.
    """
    rows = _rows(path)
    now = timezone.now()
    can_share = "shared" in {field.name for field in ContactIdentity._meta.get_fields()}
    have = {field.name for field in Contact._meta.get_fields()}
    place = {column: name for column, name in _PLACE.items() if name in have}
    contacts: list[Contact] = []
    held: dict[tuple[str, str], int] = {}  # (kind, normalized) -> index in contacts
    values: list[list[tuple[str, str, str]]] = []  # per contact: (kind, value, normalized)
    for row in rows:
        unit = accounts[row["Company"]]
        given = [(IdentityKind.EXTERNAL_ID, row["Contact ID"])]
        given += [(IdentityKind.EMAIL, v) for v in split_list(row.get("Email", ""))]
        given += [(IdentityKind.PHONE, v) for v in split_list(row.get("Phone", ""))]
        normalised = [(kind, value, identity_normalize(kind, value)) for kind, value in given]
        owners = [held[(k, n)] for k, v, n in normalised if (k, n) in held and not _shared(k, v)]
        same = [i for i in owners if contacts[i].customer_id == unit.customer_id]
        if same:
            index = same[0]
        else:
            extra = {name: row[column] or None for column, name in place.items() if column in row}
            if "date_of_birth" not in extra:
                extra = {name: value or "" for name, value in extra.items()}
            contacts.append(
                Contact(
                    first_name=row["First name"],
                    last_name=row["Last name"],
                    title=row.get("Title", ""),
                    account_id=unit.pk,
                    customer_id=unit.customer_id,
                    match_key=keys.contact_match_key(row["First name"], row["Last name"]),
                    created_at=now,
                    **extra,
                )
            )
            values.append([])
            index = len(contacts) - 1
        for kind, value, normalized in normalised:
            if (kind, normalized) not in held or (can_share and _shared(kind, value)):
                held.setdefault((kind, normalized), index)
                if (kind, value, normalized) not in values[index]:
                    values[index].append((kind, value, normalized))
    created = Contact.all_objects.bulk_create(contacts, batch_size=2000)
    identities = []
    for contact, own in zip(created, values, strict=True):
        primary: set[str] = set()
        for kind, value, normalized in own:
            shared = {"shared": _shared(kind, value)} if can_share else {}
            identities.append(
                ContactIdentity(
                    contact_id=contact.pk,
                    customer_id=contact.customer_id,
                    kind=kind,
                    value=value,
                    normalized=normalized,
                    is_primary=kind not in primary,
                    created_at=now,
                    **shared,
                )
            )
            primary.add(kind)
    ContactIdentity.all_objects.bulk_create(identities, batch_size=5000)
    return len(created)
