"""One deterministic generator of believable B2B demo and benchmark data.

``generate(size=..., seed=...)`` fills the database with customer organisations (account
trees with divisions, departments and sites), their people (org chart, identities,
employments, buying roles), lifecycle histories, channel partners, three years of
interactions on every channel, what they taught us and bought, and (for the larger ones)
their own catalogs, prices, standard configurations, quotes and orders over our catalog.
The same seed gives the same data: every random choice comes from one
``random.Random(seed)`` and from Faker instances seeded from it, and the only outside
input is the anchor day (today, 00:00 UTC).

It is built for size (``large`` = 20,000 customers, 300,000 contacts, 5,000,000
interactions): primary keys are precomputed so nothing is read back, rows are written
in bulk (``executemany`` on SQLite, ``COPY`` on PostgreSQL) without model instances,
signals or history rows, and interactions are generated and written per chunk of
customers so memory stays flat. From medium size on, the big tables are loaded in one
transaction with their secondary indexes (and, on PostgreSQL, foreign keys) dropped and
rebuilt at the end, and interactions are written on a second thread while the next
chunk is generated. Roll-up counters are set afterwards with set-based SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from rapport.accounts.models import Account
from rapport.core.models import User
from rapport.demo import duplicates, memory, offers, value
from rapport.demo.accounts import AccountsMixin
from rapport.demo.contacts import ContactsMixin
from rapport.demo.interactions import InteractionsMixin
from rapport.demo.sizes import DEMO_DOMAIN, DemoError
from rapport.demo.users import UsersMixin
from rapport.demo.writer import flush_customer_data


class Generator(UsersMixin, AccountsMixin, ContactsMixin, InteractionsMixin):
    """The demo's subjects over one shared state, run in order by :func:`generate`."""


def _match_keys_fill() -> None:
    """The bulk writer skips Contact/Account.save(): give the rows their blocking keys."""
    from rapport.resolution.runners import match_keys_fill

    match_keys_fill()


def _add_offers(
    counts: dict[str, int], *, seed: int, size: dict[str, int], progress: Callable[[str], None]
) -> None:
    """The Customize data; the facts it records (what customers told us since) join the memory's."""
    made = offers.generate(seed=seed, organisations=size["offer_organisations"], progress=progress)
    counts["facts"] = counts.get("facts", 0) + made.pop("facts", 0)
    counts.update(made)


def generate(
    *,
    size: str = "small",
    seed: int = 42,
    flush: bool = False,
    progress: Callable[[str], None] | None = None,
    recompute: bool = True,
) -> dict[str, int]:
    """Generate demo data of the given size; returns the number of rows made per kind.

    ``flush`` first deletes all customer data (accounts, contacts, partners,
    interactions and everything that hangs off them, with their history rows) and the
    partner and portal users; staff users are kept and reused. ``recompute`` runs the
    value, tier and segment models at the end (with two past runs, for tier history).
    """
    say = progress or (lambda _msg: None)
    gen = Generator(size, seed, say)
    t_start = time.perf_counter()
    saved_pragmas: dict[str, Any] = {}
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # For the load only: no fsync, a large page cache (random inserts into the
        # timeline indexes), temporary b-trees in memory.
        with connection.cursor() as cur:
            for pragma, setting in (
                ("synchronous", 0),
                ("cache_size", -1_000_000),
                ("temp_store", 2),
            ):
                saved_pragmas[pragma] = cur.execute(f"PRAGMA {pragma}").fetchone()[0]
                cur.execute(f"PRAGMA {pragma} = {setting}")
    try:
        if flush:
            flush_customer_data(say)
        elif (
            User.objects.filter(
                email__in=[f"partner@{DEMO_DOMAIN}", f"portal@{DEMO_DOMAIN}"]
            ).exists()
            and Account.objects.exists()
        ):
            raise DemoError("demo data is already present; run with flush=True (--flush)")

        def phase(name: str, fn: Callable[[], None]) -> None:
            t0 = time.perf_counter()
            with transaction.atomic():
                fn()
            say(f"{name} done in {time.perf_counter() - t0:.1f} s")

        with transaction.atomic():
            gen._load_state()
            gen.users()
        phase("partners", gen.partners)
        phase("accounts", gen.accounts)
        phase("partner links", gen.partner_links)
        phase("contacts", gen.contacts)
        phase("duplicate-check keys", _match_keys_fill)
        phase("portal and partner users", gen.access_users)
        gen.interactions()  # commits per chunk
        phase("roll-ups", gen.rollups)
        phase(
            "learning memory",
            lambda: gen.counts.update(memory.generate(seed=seed, progress=say)),
        )
        phase("threads and commitments", gen.threads_and_commitments)
        phase(
            "orders, contracts, wallets and needs",
            lambda: gen.counts.update(value.generate(seed=seed, progress=say)),
        )
        phase(
            "catalog, agreements, configurations and orders",
            lambda: _add_offers(gen.counts, seed=seed, size=gen.p, progress=say),
        )
        phase(
            "planted duplicates",
            lambda: gen.counts.update(
                duplicates.plant(
                    seed=seed,
                    contacts=gen.p["duplicate_contacts"],
                    accounts=gen.p["duplicate_accounts"],
                    progress=say,
                )
            ),
        )
        if recompute:
            gen.counts["model_runs"] = value.recompute_with_history(say)
            gen.counts.update(offers.treatments(seed=seed, progress=say))
    finally:
        if saved_pragmas:
            with connection.cursor() as cur:
                for pragma, setting in saved_pragmas.items():
                    cur.execute(f"PRAGMA {pragma} = {int(setting)}")
    say(f"generated in {time.perf_counter() - t_start:.1f} s")
    order = (
        "users",
        "partners",
        "partner_links",
        "accounts",
        "units",
        "lifecycle_changes",
        "contacts",
        "identities",
        "employments",
        "buying_roles",
        "interactions",
        "participants",
        "threads",
        "commitments",
        "facts",
        "contradictions",
        "askings",
        "communication_preferences",
        "consents",
        "frequency_caps",
        "product_categories",
        "order_lines",
        "subscriptions",
        "wallet_estimates",
        "judgement_scores",
        "need_facts",
        "products",
        "product_options",
        "catalog_entries",
        "price_agreements",
        "standard_configurations",
        "configurations_to_review",
        "quotes",
        "placed_orders",
        "duplicate_contacts",
        "duplicate_accounts",
        "model_runs",
        "segment_treatments",
        "own_treatments",
    )
    return {k: gen.counts.get(k, 0) for k in order}
