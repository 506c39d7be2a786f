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


def measure_ingestion(user, messages: int, seed: int) -> dict:
    """Import an mbox of `messages` e-mails with the bench's contacts; report messages per second.

    Addressed like a rep's mailbox: half from us to a contact, half from a contact to us,
    one in twenty from a stranger (review queue). The import runs in a transaction that
    is rolled back afterwards, so the data set stays as generated for the next run.
    """
    import mailbox
    import random
    import tempfile
    from datetime import UTC, datetime, timedelta
    from email.message import EmailMessage
    from email.utils import format_datetime

    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max, Min
    from django.test.utils import CaptureQueriesContext

    from rapport.accounts.models import ContactIdentity
    from rapport.transfer import services

    rng = random.Random(seed)
    identities = ContactIdentity.objects.filter(kind="email")
    bounds = identities.aggregate(low=Min("pk"), high=Max("pk"))
    picks = rng.sample(range(bounds["low"], bounds["high"] + 1), min(messages, bounds["high"]))
    addresses = list(identities.filter(pk__in=picks).values_list("normalized", flat=True))
    with tempfile.TemporaryDirectory() as folder:
        settings.VAR_DIR = Path(folder)
        path = Path(folder) / "bench.mbox"
        box = mailbox.mbox(str(path))
        start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
        for n in range(messages):
            theirs = f"stranger{n}@unknown.test" if n % 20 == 19 else rng.choice(addresses)
            sender, to = (user.email, theirs) if n % 2 else (theirs, user.email)
            msg = EmailMessage()
            msg["From"], msg["To"] = sender, to
            msg["Subject"] = f"Bench message {n}"
            msg["Date"] = format_datetime(start + timedelta(minutes=7 * n))
            msg["Message-ID"] = f"<bench-{seed}-{n}@bench.test>"
            msg.set_content(f"Line one of message {n}.\n\nKind regards\n")
            box.add(msg)
        box.close()
        content = path.read_bytes()
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run = services.ingestion_start(
                actor=user, filename="bench.mbox", content=content, background=False
            )
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
    if run.status != "done":
        raise SystemExit(f"ingestion failed: {run.errors[:3]}")
    result = {
        "name": f"ingestion: {messages} e-mails (mbox)",
        "messages": messages,
        "bytes": len(content),
        "seconds": seconds,
        "messages_per_second": messages / seconds,
        "created": run.created,
        "queued_for_review": run.queued_for_review,
        "queries": len(queries),
    }
    print(
        f"  {result['name']}: {seconds:.1f} s, {result['messages_per_second']:.0f} messages/s, "
        f"{run.created} created, {run.queued_for_review} for review, {len(queries)} queries",
        flush=True,
    )
    return result


def measure_import(user, rows: int, seed: int) -> dict:
    """Import `rows` contacts and `rows` interactions from CSV through the general import
    (upload, dry run, import of the good rows); report rows per second of each step.

    Contacts go to random existing organisations with new e-mails (a few in the file twice,
    so some rows are flagged); interactions name existing contacts' e-mails. Everything runs
    in a transaction rolled back afterwards, so the data set stays as generated.
    """
    import csv
    import io
    import random
    import tempfile
    from datetime import UTC, datetime, timedelta

    from django.conf import settings
    from django.db import transaction

    from rapport.accounts.models import Account, ContactIdentity
    from rapport.transfer import services

    rng = random.Random(seed)
    from collections import Counter

    named = Counter(Account.objects.filter(depth=1).values_list("name", flat=True)[:2000])
    names = [name for name, count in named.items() if count == 1]  # a unique name finds its org
    emails = list(
        ContactIdentity.objects.filter(kind="email").values_list("normalized", flat=True)[:5000]
    )

    def table(header: list[str], body: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(body)
        return buffer.getvalue().encode()

    people = table(
        ["First name", "Last name", "Company", "E-mail", "Title"],
        [
            [f"Bench{n}", rng.choice(["Ames", "Berg", "Cole", "Diaz"]) + str(n),
             rng.choice(names), f"bench{seed}.{n % (rows - rows // 50)}@import.test", "Buyer"]
            for n in range(rows)
        ],
    )  # fmt: skip
    start = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
    calls = table(
        ["When", "Channel", "Subject", "Participants", "Notes"],
        [
            [(start + timedelta(minutes=11 * n)).isoformat(), "call", f"Bench call {n}",
             rng.choice(emails), "Imported by the bench"]
            for n in range(rows)
        ],
    )  # fmt: skip
    result: dict = {"rows": rows}
    with tempfile.TemporaryDirectory() as folder:
        settings.VAR_DIR = Path(folder)
        for kind, content in (("contacts", people), ("interactions", calls)):
            with transaction.atomic():
                started = time.perf_counter()
                run = services.import_upload(
                    actor=user, kind=kind, filename=f"{kind}.csv", content=content
                )
                uploaded = time.perf_counter()
                run = services.import_check(actor=user, run=run, background=False)
                checked = time.perf_counter()
                run = services.import_confirm(actor=user, run=run, mode="good", background=False)
                done = time.perf_counter()
                transaction.set_rollback(True)
            if run.status != "done":
                raise SystemExit(f"{kind} import failed: {run.errors[:3]}")
            result[kind] = {
                "upload_seconds": uploaded - started,
                "dry_run_seconds": checked - uploaded,
                "import_seconds": done - checked,
                "dry_run_rows_per_second": rows / (checked - uploaded),
                "import_rows_per_second": rows / (done - checked),
                "created": run.created,
                "flagged": len(run.duplicates),
                "bad_rows": run.failed,
            }
            print(
                f"  import {rows} {kind}: dry run {result[kind]['dry_run_rows_per_second']:.0f} "
                f"rows/s, import {result[kind]['import_rows_per_second']:.0f} rows/s, "
                f"{run.created} created, {len(run.duplicates)} flagged, {run.failed} bad",
                flush=True,
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--out", required=True)
    parser.add_argument("--ingest", type=int, default=5000, help="e-mails to import; 0 skips")
    parser.add_argument(
        "--import-rows", type=int, default=2000, help="contacts and interactions to import; 0 skips"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rapport.accounts.models import Account, Contact
    from rapport.core.models import User
    from rapport.core.pagination import encode_cursor
    from rapport.demo import generator
    from rapport.demo.sizes import SIZES
    from rapport.interactions.models import Interaction
    from rapport.memory.models import Fact
    from rapport.valuation.models import OrderLine

    call_command("migrate", verbosity=0)
    expected = SIZES[args.scale]
    load_seconds = None
    have = Account.objects.filter(depth=1).count()
    # A data set from before the learning memory existed is generated again.
    if have != expected["accounts"] + expected["duplicate_accounts"] or not Fact.objects.exists():
        print(f"loading {args.scale} data set ({have} organisations present)…", flush=True)
        started = time.perf_counter()
        generator.generate(
            size=args.scale,
            seed=args.seed,
            flush=True,
            progress=lambda m: print("  " + m, flush=True),
            recompute=False,  # timed below, in a process of its own
        )
        load_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    # A data set from before the order history existed gets it added (orders, contracts,
    # wallets, judgements, need answers), without generating everything again.
    from django.db import transaction

    from rapport.demo import value as demo_value

    value_load_seconds = None
    if not demo_value.has_value_data():
        print("adding orders, contracts, wallets and needs to the data set…", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            demo_value.generate(seed=args.seed, progress=lambda m: print("  " + m, flush=True))
        value_load_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    counts = {
        "organisations": Account.objects.filter(depth=1).count(),
        "units": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "interactions": Interaction.objects.count(),
        "facts": Fact.objects.count(),
        "order_lines": OrderLine.objects.count(),
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
        # The account page's "where we left off" card data (X2), on its own.
        ("where we left off (largest org)", f"/api/v1/accounts/{heaviest.pk}/where-we-left-off"),
        # The learning memory (X3): what we know about an organisation and about a person.
        ("profile, organisation (API)", f"/api/v1/accounts/{heaviest.pk}/profile"),
        ("profile, contact (API)", f"/api/v1/contacts/{contact.pk}/profile"),
        ("profile page, organisation", f"/accounts/{heaviest.pk}/profile/"),
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
    # Quiet intervals (X8): learn every organisation's rhythm once, then time the alert list.
    from rapport.interactions.cadence import cadence_recompute

    started = time.perf_counter()
    cadence_run = cadence_recompute()
    cadence = {
        "seconds": time.perf_counter() - started,
        "organisations": cadence_run.organisations,
        "quiet": cadence_run.quiet,
    }
    print(f"  cadence recompute: {cadence['seconds']:.1f} s, {cadence}", flush=True)
    plan.append(("gone quiet list", "/alerts/quiet/"))
    # Differentiate (issue 4): the full recompute alone in a process (time, peak memory),
    # then the pages that show its results.
    import subprocess

    recompute_out = Path(args.out).with_name(Path(args.out).stem + "-recompute.json")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "recompute.py"), "--out", str(recompute_out)],
        check=True,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
    )
    recompute = json.loads(recompute_out.read_text())
    from django.urls import NoReverseMatch, reverse

    for name, route, kwargs in (
        ("Differentiate page", "needs:differentiate", {}),
        ("account Value tab (largest org)", "valuation:account_value", {"pk": heaviest.pk}),
    ):
        try:
            plan.append((name, reverse(route, kwargs=kwargs)))
        except NoReverseMatch:
            print(f"  {name}: no such page yet, skipped", flush=True)
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

    ingestion = measure_ingestion(user, args.ingest, args.seed) if args.ingest else None
    table_import = measure_import(user, args.import_rows, args.seed) if args.import_rows else None

    Path(args.out).write_text(
        json.dumps(
            {
                "database": args.database,
                "scale": args.scale,
                "counts": counts,
                "heaviest_org_interactions": total,
                "load_seconds": load_seconds,
                "measurements": measurements,
                "ingestion": ingestion,
                "import": table_import,
                "cadence_recompute": cadence,
                "value_load_seconds": value_load_seconds,
                "recompute": recompute,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
