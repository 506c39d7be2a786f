"""`rapport demo`: load deterministic, believable B2B demo or benchmark data."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Generate demo data: customers with account trees, contacts, buying roles, partners "
        "and three years of interactions. Same --seed, same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        from rapport.demo.sizes import SIZES

        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="small ≈ 40 customers, medium ≈ 2,000, large = 20,000 (default: small)",
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
        parser.add_argument(
            "--flush",
            action="store_true",
            help="delete all customer data (and partner/portal users) first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from rapport.demo.generator import generate
        from rapport.demo.sizes import DEMO_PASSWORD, SIZES, DemoError

        size, seed = options["size"], options["seed"]
        target = SIZES[size]
        verbosity = options.get("verbosity", 1)
        self.stdout.write(
            f"Generating {size} demo data (seed {seed}): {target['accounts']:,} customers, "
            f"{target['contacts']:,} contacts, {target['interactions']:,} interactions"
        )
        t0 = time.perf_counter()

        def progress(message: str) -> None:
            if verbosity >= 1:
                self.stdout.write(f"  [{time.perf_counter() - t0:7.1f} s] {message}")

        try:
            counts = generate(size=size, seed=seed, flush=options["flush"], progress=progress)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - t0
        width = max(len(k) for k in counts)
        self.stdout.write("")
        for key, value in counts.items():
            self.stdout.write(f"  {key.replace('_', ' '):<{width}}  {value:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDone in {elapsed:.1f} s. Sign in as demo@rapport.example / {DEMO_PASSWORD}"
            )
        )
