"""Measure one database (chosen by DATABASE_URL): load data if needed, then time pages.

Server time is the full Django request cycle (middleware, view, template) through the
test client, after warm-up; each measurement also records its SQL query count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rapport import demo
    from rapport.accounts.models import Account, Contact
    from rapport.core.models import User
    from rapport.core.pagination import encode_cursor
    from rapport.interactions.models import Interaction

    call_command("migrate", verbosity=0)
    expected = demo.SIZES[args.scale]
    load_seconds = None
    have = Account.objects.filter(depth=1).count()
    if have != expected["accounts"]:
        print(f"loading {args.scale} data set ({have} organisations present)…", flush=True)
        started = time.perf_counter()
        demo.generate(
            size=args.scale,
            seed=args.seed,
            flush=True,
            progress=lambda m: print("  " + m, flush=True),
        )
        load_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    counts = {
        "organisations": Account.objects.filter(depth=1).count(),
        "units": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "interactions": Interaction.objects.count(),
    }
    user = User.objects.get(email="demo@rapport.example")
    client = Client()
    client.force_login(user)

    heaviest_id = (
        Interaction.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["customer_id"]
    )
    heaviest = Account.objects.get(pk=heaviest_id)
    total = Interaction.objects.filter(customer_id=heaviest_id).count()
    deep_row = (
        Interaction.objects.filter(customer_id=heaviest_id)
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", "id")[int(total * 0.9)]
    )
    deep_cursor = encode_cursor(list(deep_row))
    contact = Contact.objects.filter(customer_id=heaviest_id).order_by("-last_engaged_at").first()
    surname = contact.last_name[:5]

    timeline = f"/interactions/timeline/?account={heaviest.pk}"
    api_timeline = f"/api/v1/accounts/{heaviest.pk}/timeline"
    plan = [
        ("account page (largest org)", f"/accounts/{heaviest.pk}/"),
        ("timeline, first 10 (as on the page)", f"{timeline}&limit=10"),
        ("timeline, 10 at 90% depth", f"{timeline}&limit=10&cursor={deep_cursor}"),
        ("timeline, first 25", f"{timeline}&limit=25"),
        ("timeline, 25 at 90% depth", f"{timeline}&limit=25&cursor={deep_cursor}"),
        ("API timeline, first 25", api_timeline),
        ("API timeline, 25 at 90% depth", f"{api_timeline}?cursor={deep_cursor}"),
        ("contact page", f"/contacts/{contact.pk}/"),
        ("contact timeline, first 10", f"/interactions/timeline/?contact={contact.pk}&limit=10"),
        ("search", f"/search/?q={surname}"),
        ("API search (contacts)", f"/api/v1/contacts?q={surname}"),
        ("account list", "/accounts/"),
    ]
    measurements = []
    for name, url in plan:
        for _ in range(args.warmup):
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        measurements.append(
            {
                "name": name,
                "url": url,
                "median_ms": statistics.median(timings),
                "p95_ms": percentile(timings, 0.95),
                "queries": len(queries),
                "repeat": args.repeat,
            }
        )
        print(
            f"  {name}: median {measurements[-1]['median_ms']:.1f} ms, p95 {measurements[-1]['p95_ms']:.1f} ms, "
            f"{len(queries)} queries",
            flush=True,
        )

    Path(args.out).write_text(
        json.dumps(
            {
                "database": args.database,
                "scale": args.scale,
                "counts": counts,
                "heaviest_org_interactions": total,
                "load_seconds": load_seconds,
                "measurements": measurements,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
