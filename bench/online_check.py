"""Latency of the duplicate check on entry at large size (20,000 accounts, 300,000 contacts).

Builds its own data in the database DATABASE_URL names (a scratch one: it adds rows) if
it holds fewer contacts than asked, then times `contact_duplicates` and
`account_duplicates` for typed variants of existing records (typos, nicknames, initials,
phone formats) and prints p50/p95 in milliseconds as JSON.

    DATABASE_URL=sqlite:////tmp/online.sqlite3 python bench/online_check.py
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from rapport.accounts import keys  # noqa: E402
from rapport.accounts.models import Account, Contact, ContactIdentity  # noqa: E402
from rapport.core.models import Role, User  # noqa: E402
from rapport.resolution import selectors  # noqa: E402

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", 20_000))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", 300_000))
FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Susan",
    "Richard",
    "Jessica",
    "Joseph",
    "Sarah",
    "Thomas",
    "Karen",
    "Charles",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Paul",
    "Kimberly",
    "Steven",
    "Donna",
    "Andrew",
    "Emily",
    "Kenneth",
    "Michelle",
    "Joshua",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kowalski",
    "Novak",
    "Schmidt",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Leroy",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
]
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Soylent",
    "Tyrell",
    "Hooli",
    "Vandelay",
    "Gringotts",
    "Oscorp",
    "Massive",
    "Dynamic",
    "Aperture",
    "Black",
    "Mesa",
    "Blue",
    "Sun",
    "Monarch",
    "Nakatomi",
    "Prestige",
    "Sterling",
    "Cooper",
    "Dunder",
    "Mifflin",
    "Pied",
    "Piper",
    "Bluth",
    "Krusty",
    "Duff",
    "Virtucon",
    "Gekko",
    "Zorg",
    "Weyland",
    "Yutani",
    "Omni",
    "Rekall",
    "Spacely",
    "Cogswell",
]
KINDS = [
    "Industries",
    "Systems",
    "Holdings",
    "Group",
    "Labs",
    "Partners",
    "Logistics",
    "Energy",
    "Foods",
    "Software",
]


def build(rng: random.Random) -> None:
    call_command("migrate", verbosity=0)
    if Contact.all_objects.count() >= CONTACTS:
        return
    now = timezone.now()
    accounts = []
    for i in range(ACCOUNTS):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)} {i}"
        website = f"https://www.{name.lower().replace(' ', '')}.example"
        accounts.append(
            Account(
                name=name,
                path=Account._get_path(None, 1, i + 1),
                depth=1,
                numchild=0,
                website=website,
                city=rng.choice(["Berlin", "Paris", "Leeds"]),
                match_key=keys.account_match_key(name),
                web_domain=keys.web_domain(website),
                created_at=now,
            )
        )
    Account.objects.bulk_create(accounts, batch_size=2000)
    Account.objects.update(customer_id=django.db.models.F("id"))
    ids = list(Account.objects.values_list("id", flat=True))
    batch, identities, n = [], [], Contact.all_objects.count()
    for i in range(n, CONTACTS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        account_id = rng.choice(ids)
        batch.append(
            Contact(
                first_name=first,
                last_name=last,
                account_id=account_id,
                customer_id=account_id,
                match_key=keys.contact_match_key(first, last),
                created_at=now,
            )
        )
        if len(batch) == 5000 or i == CONTACTS - 1:
            created = Contact.all_objects.bulk_create(batch)
            for contact in created:
                email = f"{contact.first_name}.{contact.last_name}.{contact.pk}@example.org".lower()
                phone = f"+4420{contact.pk:08d}"
                identities += [
                    ContactIdentity(
                        contact_id=contact.pk,
                        customer_id=contact.customer_id,
                        kind="email",
                        value=email,
                        normalized=email,
                        is_primary=True,
                        created_at=now,
                    ),
                    ContactIdentity(
                        contact_id=contact.pk,
                        customer_id=contact.customer_id,
                        kind="phone",
                        value=phone,
                        normalized=phone,
                        is_primary=True,
                        created_at=now,
                    ),
                ]
            ContactIdentity.all_objects.bulk_create(identities, batch_size=5000)
            batch, identities = [], []


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def main() -> None:
    rng = random.Random(7)
    started = time.perf_counter()
    build(rng)
    built = time.perf_counter() - started
    user = User.objects.filter(role=Role.ADMIN).first() or User.objects.create_user(
        "bench@example.com", "x", full_name="Bench", role=Role.ADMIN
    )
    sample = list(
        Contact.objects.order_by("?").select_related("account")[:200]
        if Contact.objects.count() < 400_000
        else Contact.objects.filter(pk__lte=200)
    )
    timings: dict[str, list[float]] = {
        "contact_name_typo": [],
        "contact_nickname_phone": [],
        "account": [],
    }
    sizes = []
    for contact in sample:
        t0 = time.perf_counter()
        found = selectors.contact_duplicates(
            user=user,
            first_name=contact.first_name,
            last_name=typo(contact.last_name, rng),
            account_id=contact.account_id,
        )
        timings["contact_name_typo"].append((time.perf_counter() - t0) * 1000)
        sizes.append(len(found))
        t0 = time.perf_counter()
        selectors.contact_duplicates(
            user=user,
            first_name=contact.first_name[:1] + ".",
            last_name=contact.last_name,
            phone=f"020 {contact.pk:08d}",
        )
        timings["contact_nickname_phone"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        selectors.account_duplicates(
            user=user, name=typo(contact.account.name, rng), website=contact.account.website
        )
        timings["account"].append((time.perf_counter() - t0) * 1000)
    result = {
        "database": django.db.connection.vendor,
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "build_seconds": round(built, 1),
    }
    for name, values in timings.items():
        values.sort()
        result[name] = {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(values[int(len(values) * 0.95) - 1], 2),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
