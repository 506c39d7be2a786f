"""The duplicate check on entry at large size (20,000 accounts, 300,000 contacts).

Builds CRM-shaped people (tests/datasets/crm_people.py: organisations, departments,
shared switchboards and mailboxes, namesakes, ten kinds of planted duplicate) in the
database DATABASE_URL names (a scratch one: it adds rows) if it holds no contacts yet,
holding back a sample of planted duplicates. Then types each held-back duplicate in as a
user would (names, e-mail, phone, the account picked) and asks `contact_duplicates`:
prints top-1 (the first match is the original person) overall and per kind, and p50/p95
in milliseconds, as JSON. It also times `account_duplicates` on typo'd account names.

    DATABASE_URL=sqlite:////tmp/online.sqlite3 python bench/online_check.py
    BENCH_CONTACTS=100000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_online \
        python bench/online_check.py
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.datasets: the CRM-shaped generator
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from tests.datasets import crm_online  # noqa: E402
from tests.datasets.crm_people import generate  # noqa: E402

from rapport.accounts.models import Account, Contact  # noqa: E402
from rapport.core.models import Role, User  # noqa: E402
from rapport.resolution import selectors  # noqa: E402

CONTACTS = int(os.environ.get("BENCH_CONTACTS", 300_000))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", 1_000))
SEED = 3


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def main() -> None:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    people = generate(CONTACTS, seed=SEED)
    planted = crm_online.held_back(people, SAMPLE, seed=SEED)
    expected = len(people.contacts) - len(planted)
    held = Contact.all_objects.count()
    if held == 0:
        crm_online.load(people, skip={p.duplicate for p in planted})
    elif held != expected or not {p.original for p in planted} <= crm_online.contact_ids().keys():
        sys.exit(
            f"{django.db.connection.settings_dict['NAME']} holds {held} contacts, not the"
            f" {expected} of this data set (seed {SEED}): give an empty scratch database."
        )
    built = time.perf_counter() - started
    user = User.objects.filter(role=Role.ADMIN).first() or User.objects.create_user(
        "bench@example.com", "x", full_name="Bench", role=Role.ADMIN
    )
    cases = crm_online.typed(people, planted)

    def check(**typed: str) -> list[selectors.DuplicateMatch]:
        return selectors.contact_duplicates(user=user, **typed)  # type: ignore[arg-type]

    crm_online.evaluate(check, cases[:20])  # warm-up: connections, caches
    report = crm_online.evaluate(check, cases)
    report.pop("misses")
    rng = random.Random(SEED)
    accounts = list(Account.objects.order_by("pk").values_list("name", "website")[::20])[:200]
    timings = []
    for name, website in accounts:
        t0 = time.perf_counter()
        selectors.account_duplicates(user=user, name=typo(name, rng), website=website)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    result = {
        "database": django.db.connection.vendor,
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "build_seconds": round(built, 1),
        "contact_check": report,
        "account_check": {
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
