"""Where each page's time goes: SQL queries (count, time), and the rest (Python, templates).

Runs on the database in DATABASE_URL; with --prepare it first loads the demo data set at
--scale (as measure.py does) and the value, tiers and segments recompute, so the
Differentiate page has a run to show. Each page is requested through Django's test
client after warm-up; the table gives median and p95 of the whole request, the queries
it issued and their summed time, and with --profile the top functions of one request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pages_bench \\
        python bench/pages.py --prepare --scale medium --out var/pages.json
    BENCH_SRC=var/before/src DATABASE_URL=... python bench/pages.py   # the code before
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
# BENCH_SRC: measure another checkout's code (e.g. `git archive` of the commit before a
# change) with this virtualenv and data, so before and after run in the same minute.
sys.path.insert(0, os.environ.get("BENCH_SRC", str(ROOT / "src")))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, reported beside every timing."""
    return [round(x, 2) for x in os.getloadavg()]


def prepare(scale: str, seed: int) -> None:
    """Load the demo data set at `scale` and recompute values, unless already there."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from rapport.accounts.models import Account
    from rapport.demo import generator
    from rapport.demo import value as demo_value
    from rapport.demo.sizes import SIZES
    from rapport.memory.models import Fact

    call_command("migrate", verbosity=0)
    expected = SIZES[scale]
    have = Account.objects.filter(depth=1).count()
    if have != expected["accounts"] + expected["duplicate_accounts"] or not Fact.objects.exists():
        print(f"loading {scale} data set ({have} organisations present)…", flush=True)
        generator.generate(
            size=scale,
            seed=seed,
            flush=True,
            progress=lambda m: print("  " + m, flush=True),
            recompute=False,
        )
    if not demo_value.has_value_data():
        print("adding orders, contracts, wallets and needs…", flush=True)
        with transaction.atomic():
            demo_value.generate(seed=seed, progress=lambda m: print("  " + m, flush=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from rapport.valuation import runners
    from rapport.valuation.models import ModelRun

    if not ModelRun.objects.exists():
        print("recomputing value, tiers and segments…", flush=True)
        for only in runners.ANALYSES:
            runners.recompute(only=only)


def targets() -> dict[str, str]:
    """The pages of the load mix and the Differentiate page, on the largest organisation."""
    from django.db.models import Count
    from django.urls import reverse

    from rapport.accounts.models import Account, Contact
    from rapport.interactions.models import Interaction

    heaviest_id = (
        Interaction.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["customer_id"]
    )
    heaviest = Account.objects.get(pk=heaviest_id)
    contact = Contact.objects.filter(customer_id=heaviest_id).order_by("-last_engaged_at").first()
    return {
        "account page": f"/accounts/{heaviest.pk}/",
        "contact page": f"/contacts/{contact.pk}/",
        "API timeline": f"/api/v1/accounts/{heaviest.pk}/timeline",
        "API contact": f"/api/v1/contacts/{contact.pk}",
        "Differentiate page": reverse("needs:differentiate"),
    }


def measure(client, name: str, url: str, repeat: int, warmup: int, profile: bool) -> dict:
    """Median and p95 of `repeat` requests, and the queries and SQL time of one more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{name}: {url} answered {response.status_code}")
    timings = []
    cpu_started = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / repeat
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        client.get(url)
        total_ms = (time.perf_counter() - started) * 1000
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    result = {
        "name": name,
        "url": url,
        "median_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "queries": len(queries),
        "sql_ms": sql_ms,
        "cpu_ms": cpu_ms,  # this process's CPU per request: the app's share, not the database's
        "captured_ms": total_ms,
        "repeat": repeat,
    }
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        print(text.getvalue())
        for q in queries.captured_queries:
            print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:220]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--prepare", action="store_true", help="load the data set if missing")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--profile", action="store_true", help="cProfile one request per page")
    parser.add_argument("--out")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    from rapport.core.models import User

    if args.prepare:
        prepare(args.scale, args.seed)
    client = Client()
    client.force_login(User.objects.get(email="demo@rapport.example"))
    pages = targets()
    wanted = {n.strip() for n in args.only.split(",")} if args.only else set(pages)
    results = []
    print(f"load average before: {load_average()}", flush=True)
    header = (
        f"{'page':<20} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'SQL ms':>7} {'CPU ms':>7}"
    )
    print(header + "\n" + "-" * len(header), flush=True)
    for name, url in pages.items():
        if name not in wanted:
            continue
        row = measure(client, name, url, args.repeat, args.warmup, args.profile)
        results.append(row)
        print(
            f"{name:<20} {row['median_ms']:>9.1f} {row['p95_ms']:>7.1f} {row['queries']:>7}"
            f" {row['sql_ms']:>7.1f} {row['cpu_ms']:>7.1f}",
            flush=True,
        )
    report = {"load_average": load_average(), "pages": results}
    print(f"load average after: {report['load_average']}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
