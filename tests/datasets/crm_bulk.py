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

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.accounts import keys
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.accounts.services import identity_is_shared, identity_normalize
from rapport.analytics import contact_points
from rapport.core.tabular import split_list


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
                street=row.get("Street", ""),
                city=row.get("City", ""),
                postcode=row.get("Postcode", ""),
                region=row.get("Region", ""),
                country=contact_points.country_name(row.get("Country")) or "",
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
                street=row.get("Street", ""),
                city=row.get("City", ""),
                postcode=row.get("Postcode", ""),
                region=row.get("Region", ""),
                country=contact_points.country_name(row.get("Country")) or "",
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

    As the product keeps identities: a personal e-mail or an external id is one contact's
    only, so a row giving one already held at the same organisation is that contact (its
    other values are added to it, as `rapport import` does) and one held at another
    organisation is left off the row's new contact; phones and team mailboxes are shared,
    held by every contact that gives them. Phones are read in the row's country.
    """
    rows = _rows(path)
    now = timezone.now()
    contacts: list[Contact] = []
    held: dict[tuple[str, str], int] = {}  # unshared (kind, normalized) -> contact index
    values: list[list[tuple[str, str, str, bool]]] = []  # per contact
    for row in rows:
        unit = accounts[row["Company"]]
        country = contact_points.country_name(row.get("Country")) or ""
        region = contact_points.country_code(country) if country else unit_region(unit)
        given = [(IdentityKind.EXTERNAL_ID, row["Contact ID"])]
        given += [(IdentityKind.EMAIL, v) for v in split_list(row.get("Email", ""))]
        given += [(IdentityKind.PHONE, v) for v in split_list(row.get("Phone", ""))]
        normalised = [
            (
                kind,
                value,
                identity_normalize(kind, value, region=region),
                identity_is_shared(kind, value),
            )
            for kind, value in given
        ]
        owners = [held[(k, n)] for k, _, n, shared in normalised if not shared and (k, n) in held]
        same = [i for i in owners if contacts[i].customer_id == unit.customer_id]
        if same:
            index = same[0]
        else:
            birth = row.get("Date of birth") or None
            contacts.append(
                Contact(
                    first_name=row["First name"],
                    last_name=row["Last name"],
                    title=row.get("Title", ""),
                    street=row.get("Street", ""),
                    city=row.get("City", ""),
                    postcode=row.get("Postcode", ""),
                    region=row.get("Region", ""),
                    country=country,
                    date_of_birth=birth if settings.RAPPORT_CONTACT_BIRTH_DATE else None,
                    account_id=unit.pk,
                    customer_id=unit.customer_id,
                    match_key=keys.contact_match_key(row["First name"], row["Last name"]),
                    created_at=now,
                )
            )
            values.append([])
            index = len(contacts) - 1
        for kind, value, normalized, shared in normalised:
            if shared or (kind, normalized) not in held:
                if not shared:
                    held[(kind, normalized)] = index
                if all((k, n) != (kind, normalized) for k, _, n, _ in values[index]):
                    values[index].append((kind, value, normalized, shared))
    created = Contact.all_objects.bulk_create(contacts, batch_size=2000)
    identities = []
    for contact, own in zip(created, values, strict=True):
        primary: set[str] = set()
        for kind, value, normalized, shared in own:
            identities.append(
                ContactIdentity(
                    contact_id=contact.pk,
                    customer_id=contact.customer_id,
                    kind=kind,
                    value=value,
                    normalized=normalized,
                    shared=shared,
                    is_primary=kind not in primary,
                    created_at=now,
                )
            )
            primary.add(kind)
    ContactIdentity.all_objects.bulk_create(identities, batch_size=5000)
    return len(created)


def unit_region(unit: Account) -> str | None:
    """The country code an account's numbers are read in."""
    return contact_points.country_code(unit.country) if unit.country else None
