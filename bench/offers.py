"""Customize at scale: validating a 60-option product, pricing a 100-line order, the
replenishment list, and the account page with its "In use" card.

Runs on the database in DATABASE_URL (a bench data set: `bench/pages.py --prepare` loads
one). It adds, once, a bench catalog (a product of 60 options with rules, 100 products),
price agreements down the largest organisation's tree and standard configurations, runs
the replenishment model over every order line (timed), then times each operation after
warm-up: median and p95, and the SQL queries of one more.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pages_large python bench/offers.py \\
        --out var/bench-offers.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("BENCH_SRC", str(ROOT / "src")))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")

GOALS_MS = {
    "validate a 60-option product": 10,
    "price a 100-line order": 30,
    "replenishment list": 100,
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _groups() -> list[dict]:
    """Six groups of ten options: a required single choice, extras with requires and excludes."""
    groups = []
    for g in range(6):
        options = []
        for o in range(10):
            code = f"g{g}o{o}"
            option: dict = {"code": code, "name": f"Module {g}.{o}", "price": str(10 * o)}
            if g >= 2 and o % 3 == 0:
                option["requires"] = [f"g{g}o{(o + 1) % 10}"]
            if g >= 2 and o % 4 == 1:
                option["excludes"] = [f"g{g}o{(o + 2) % 10}"]
            options.append(option)
        groups.append(
            {
                "code": f"g{g}",
                "name": f"Group {g}",
                "min_choices": 1 if g < 2 else 0,
                "max_choices": 1 if g < 2 else 5,
                "options": options,
            }
        )
    return groups


def prepare() -> dict:
    """The bench catalog, agreements and configurations (made once), and what to measure."""
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        return _made()


def _made() -> dict:
    from django.db.models import Max

    from rapport.accounts.models import Account
    from rapport.core.models import Role, User
    from rapport.offers import services
    from rapport.offers.models import Product, ProductCategory

    manager = User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True).first()
    deepest = Account.objects.filter(deleted_at__isnull=True).aggregate(Max("depth"))["depth__max"]
    unit = Account.objects.filter(depth=deepest, deleted_at__isnull=True).order_by("id").first()
    organisation = unit.customer or unit
    category = ProductCategory.objects.order_by("id").first()
    big = Product.objects.filter(sku="BENCH-60").first()
    if big is None:
        big = services.product_create(
            actor=manager, sku="BENCH-60", name="Bench modular system", category=category,
            list_price=Decimal(5000), cost=Decimal(3000),
        )  # fmt: skip
        services.product_options_set(actor=manager, product=big, groups=_groups())
        for n in range(100):
            product = services.product_create(
                actor=manager, sku=f"BENCH-{n:03d}", name=f"Bench consumable {n:03d}",
                category=category, list_price=Decimal(10 + n), cost=Decimal(5 + n // 2),
            )  # fmt: skip
            chain = [organisation, *Account.objects.filter(
                path__in=[unit.path[:end] for end in range(8, len(unit.path) + 1, 4)]
            ).order_by("depth")]  # fmt: skip
            services.price_agreement_create(
                actor=manager, account=chain[n % len(chain)], product=product,
                kind="discount" if n % 2 else "fixed",
                value=Decimal(10) if n % 2 else Decimal(8 + n),
                breaks=[["50", "12" if n % 2 else str(7 + n)]],
                valid_from=big.created_at.date(),
            )  # fmt: skip
        services.configuration_create(
            actor=manager, account=organisation, name="Bench standard system", product=big,
            options=["g0o1", "g1o2", "g2o1", "g3o4"], quantity=3,
        )  # fmt: skip
    return {"manager": manager, "unit": unit, "organisation": organisation, "big": big}


def timed(function, repeat: int, warmup: int = 5) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        function()
    timings = []
    cpu = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / repeat
    with CaptureQueriesContext(connection) as queries:
        function()
    return {
        "median_ms": round(sorted(timings)[len(timings) // 2], 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "cpu_ms": round(cpu_ms, 2),
        "queries": len(queries.captured_queries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from rapport.offers import configurator, selectors
    from rapport.offers.models import Product
    from rapport.offers.runners import ReplenishmentRunner
    from rapport.valuation.models import OrderLine

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    world = prepare()
    manager, unit, big = world["manager"], world["unit"], world["big"]
    started = time.perf_counter()
    run = ReplenishmentRunner.carry_out(ReplenishmentRunner.queue())
    replenish_s = time.perf_counter() - started

    product = selectors.product_get(user=manager, pk=big.pk)
    rules = product.rules()
    chosen = ["g0o1", "g1o2", "g2o0", "g2o3", "g3o1", "g3o3", "g4o5", "g5o9"]
    products = list(Product.objects.filter(sku__startswith="BENCH-0").values_list("pk", flat=True))
    lines = [
        selectors.LineRequest(products[n % len(products)], (), Decimal(1 + (n * 7) % 80))
        for n in range(99)
    ] + [selectors.LineRequest(big.pk, tuple(chosen[:4]), Decimal(2))]
    client = Client()
    client.force_login(manager)
    results = {
        "validate a 60-option product": timed(
            lambda: configurator.breaches(rules, chosen, customer_categories=()), args.repeat
        ),
        "price a 100-line order": timed(
            lambda: selectors.price_lines(user=manager, account=unit, lines=lines), args.repeat
        ),
        "price a 1-line order": timed(
            lambda: selectors.price_lines(user=manager, account=unit, lines=lines[:1]),
            args.repeat,
        ),
        "replenishment list": timed(lambda: selectors.due_to_reorder(user=manager), args.repeat),
        "account page": timed(
            lambda: client.get(f"/accounts/{unit.pk}/"), max(10, args.repeat // 5)
        ),
        "account In use card": timed(
            lambda: client.get(f"/accounts/{unit.pk}/offers/in-use/"), max(10, args.repeat // 5)
        ),
    }
    report = {
        "database": connection.vendor,
        "order_lines": OrderLine.objects.count(),
        "replenishment_run_s": round(replenish_s, 1),
        "replenishment_forecasts": run.result.get("forecasts"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "results": results,
        "goals_ms": GOALS_MS,
    }
    print(f"{'operation':32} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8} goal")
    for name, row in results.items():
        goal = GOALS_MS.get(name)
        print(
            f"{name:32} {row['median_ms']:>10} {row['p95_ms']:>8} {row['cpu_ms']:>8} "
            f"{row['queries']:>8} {'≤ ' + str(goal) + ' ms p95' if goal else ''}"
        )
    print(
        f"replenishment run: {report['replenishment_run_s']} s over {report['order_lines']:,} "
        f"order lines ({report['replenishment_forecasts']} forecasts); load {report['load_average']}"
    )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
