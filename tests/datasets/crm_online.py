"""The online duplicate check measured on CRM-shaped people (tests/datasets/crm_people.py).

A sample of planted duplicates is held back; every other row is loaded into the database
in bulk, as an import would leave it (accounts in their trees, contacts with their match
keys, e-mails and phones as identities with their E.164 form and `shared` flag, the other
CRM's id as an external id). Then each held-back duplicate is typed in as a user would
(its names, e-mail, phone and the account it belongs to) and `contact_duplicates` is asked:
top-1 means the first match is the original person.

    people = generate(2_000, seed=3)
    cases = held_back(people, 240, seed=3)
    load(people, skip={case.duplicate for case in cases})
    report = evaluate(user, cases, people)   # {"top1": 0.93, "kinds": {...}, "p95_ms": ...}

Used by tests/resolution/test_online_check_crm.py (small) and bench/online_check.py (large).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.accounts import keys
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.accounts.services import identity_is_shared, identity_normalize
from rapport.analytics import contact_points
from tests.datasets.crm_people import CrmPeople, PlantedDuplicate

BATCH = 5_000


@dataclass(frozen=True)
class TypedCase:
    """A planted duplicate as a user types it into the contact form."""

    kind: str
    original: str  # the other CRM's Contact ID of the person already on file
    duplicate: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str  # the account the user picks


def held_back(people: CrmPeople, size: int, *, seed: int) -> list[PlantedDuplicate]:
    """A seeded sample of planted duplicates to type in (every one if `size` is larger)."""
    planted = sorted(people.duplicates, key=lambda p: p.duplicate)
    if size >= len(planted):
        return planted
    return sorted(random.Random(seed).sample(planted, size), key=lambda p: p.duplicate)


@cache  # pycountry's lookup is slow and a data set has a handful of countries
def _region(country: str) -> str | None:
    return contact_points.country_code(country) if country else None


def load(people: CrmPeople, *, skip: set[str]) -> dict[str, int]:
    """Write accounts, contacts (but the `skip`ped Contact IDs) and identities in bulk."""
    now = timezone.now()
    by_name: dict[str, Account] = {}
    roots = [row for row in people.accounts if not row["Parent"]]
    children: dict[str, list[dict[str, str]]] = {}
    for row in people.accounts:
        if row["Parent"]:
            children.setdefault(row["Parent"], []).append(row)

    def account(row: dict[str, str], path: str, depth: int, numchild: int) -> Account:
        return Account(
            name=row["Company"],
            path=path,
            depth=depth,
            numchild=numchild,
            website=row["Website"],
            street=row["Street"],
            city=row["City"],
            postcode=row["Postcode"],
            region=row["Region"],
            country=row["Country"],
            match_key=keys.account_match_key(row["Company"]),
            web_domain=keys.web_domain(row["Website"]),
            created_at=now,
        )

    with transaction.atomic():
        start = Account.objects.filter(depth=1).count()
        tops = [
            account(
                row, Account._get_path(None, 1, start + i), 1, len(children.get(row["Company"], []))
            )
            for i, row in enumerate(roots, start=1)
        ]
        for top in Account.objects.bulk_create(tops, batch_size=BATCH):
            by_name[top.name] = top
        Account.objects.filter(pk__in=[a.pk for a in tops]).update(customer_id=F("id"))
        units = []
        for parent_name, rows in children.items():
            parent = by_name[parent_name]
            for i, row in enumerate(rows, start=1):
                unit = account(row, Account._get_path(parent.path, 2, i), 2, 0)
                unit.customer_id = parent.pk
                units.append(unit)
        for unit in Account.objects.bulk_create(units, batch_size=BATCH):
            by_name[unit.name] = unit
        for top in tops:
            top.customer_id = top.pk

        taken: set[tuple[str, str]] = set()
        rows = [row for row in people.contacts if row["Contact ID"] not in skip]
        ids: dict[str, int] = {}
        for start_at in range(0, len(rows), BATCH):
            chunk = rows[start_at : start_at + BATCH]
            contacts = []
            for row in chunk:
                unit = by_name[row["Company"]]
                contacts.append(
                    Contact(
                        customer_id=unit.customer_id,
                        account_id=unit.pk,
                        first_name=row["First name"],
                        last_name=row["Last name"],
                        title=row["Title"],
                        street=row["Street"],
                        city=row["City"],
                        postcode=row["Postcode"],
                        region=row["Region"],
                        country=row["Country"],
                        match_key=keys.contact_match_key(row["First name"], row["Last name"]),
                        created_at=now,
                    )
                )
            created = Contact.all_objects.bulk_create(contacts)
            identities = []
            for row, contact in zip(chunk, created, strict=True):
                ids[row["Contact ID"]] = contact.pk
                region = _region(row["Country"]) or _region(by_name[row["Company"]].country)
                for kind, value in (
                    (IdentityKind.EMAIL, row["Email"]),
                    (IdentityKind.PHONE, row["Phone"]),
                    (IdentityKind.EXTERNAL_ID, row["Contact ID"]),
                ):
                    if not value:
                        continue
                    normalized = identity_normalize(kind, value, region=region)
                    shared = identity_is_shared(kind, value)
                    # A personal address already on file is refused, as on import.
                    if not shared and (kind, normalized) in taken:
                        continue
                    if not shared:
                        taken.add((kind, normalized))
                    identities.append(
                        ContactIdentity(
                            contact_id=contact.pk,
                            customer_id=contact.customer_id,
                            kind=kind,
                            value=value,
                            normalized=normalized,
                            is_primary=True,
                            shared=shared,
                            created_at=now,
                        )
                    )
            ContactIdentity.all_objects.bulk_create(identities, batch_size=BATCH)
    return ids


def contact_ids() -> dict[str, int]:
    """The other CRM's Contact ID → our contact id, from the external ids loaded."""
    return dict(
        ContactIdentity.objects.filter(kind=IdentityKind.EXTERNAL_ID).values_list(
            "value", "contact_id"
        )
    )


def account_ids() -> dict[str, int]:
    """Account name → our account id (names are unique in the generated set)."""
    return dict(Account.objects.values_list("name", "pk"))


def typed(people: CrmPeople, planted: list[PlantedDuplicate]) -> list[TypedCase]:
    """The held-back duplicates as typed into the form: names, e-mail, phone, account."""
    row = {r["Contact ID"]: r for r in people.contacts}
    return [
        TypedCase(
            kind=p.kind,
            original=p.original,
            duplicate=p.duplicate,
            first_name=row[p.duplicate]["First name"],
            last_name=row[p.duplicate]["Last name"],
            email=row[p.duplicate]["Email"],
            phone=row[p.duplicate]["Phone"],
            company=row[p.duplicate]["Company"],
        )
        for p in planted
    ]


def evaluate(check: Callable[..., list[Any]], cases: list[TypedCase]) -> dict[str, Any]:
    """Top-1 rate overall and per kind, and the latency of `check` per typed case.

    `check(first_name=, last_name=, email=, phone=, account_id=)` is the duplicate check
    with its user bound; it returns matches best first.
    """
    accounts = account_ids()
    ours = contact_ids()
    hits: dict[str, list[bool]] = {}
    misses: list[tuple[TypedCase, list[Any]]] = []
    timings = []
    for case in cases:
        t0 = time.perf_counter()
        matches = check(
            first_name=case.first_name,
            last_name=case.last_name,
            email=case.email,
            phone=case.phone,
            account_id=accounts[case.company],
        )
        timings.append((time.perf_counter() - t0) * 1000)
        hit = bool(matches) and matches[0].record.pk == ours[case.original]
        hits.setdefault(case.kind, []).append(hit)
        if not hit:
            misses.append((case, matches))
    timings.sort()
    every = [hit for kind_hits in hits.values() for hit in kind_hits]
    return {
        "cases": len(every),
        "top1": round(sum(every) / len(every), 3) if every else 0.0,
        "kinds": {
            kind: {"cases": len(kind_hits), "top1": round(sum(kind_hits) / len(kind_hits), 3)}
            for kind, kind_hits in sorted(hits.items())
        },
        "p50_ms": round(statistics.median(timings), 2) if timings else 0.0,
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2) if timings else 0.0,
        "misses": misses,
    }
