"""Demo data of the Customize step, over the catalog and the customers already loaded.

For the larger organisations that buy from us (how many: ``offer_organisations`` in
``sizes``): a framework catalog for some (what their units may buy), price agreements
(fixed prices and discounts, some with volume breaks, some renewed, agreed for the whole
organisation and so inherited by every unit, a few agreed by a division for itself),
standard configurations at organisation and division level (a division's own of the same
name overrides the organisation's; some revised since, with why; a few built from what
the learning memory knows: seats, hosting, standards, budget, and some of those facts
since superseded, so the configuration asks for review), and their quotes and orders
(from the catalog, from a configuration, reorders; open, lapsed, declined and placed)
over the time they have been buying. The largest organisations still in talks get a
quote or two.

Through the services, each row would cost tens of queries (every reference validated,
the account chain and the catalog read again), which made this phase twice as slow as
the whole rest of the small demo. So rows are written in bulk, with their history, and
checked on the way with what the services check them with: each configuration and
order line against its product's rules (``configurator.breaches``), on the unit's own
catalog and sold that day; agreements never overlap by construction; each line priced
by ``pricing.price`` under the agreement that governs it as ``offers.selectors`` picks
it (tests/demo holds every demo price to ``selectors.price_lines``). Placed orders
write their order lines through valuation's bulk service, as accepting a quote does,
and what customers told us since goes through the memory's ``fact_record``.
Deterministic for a seed.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Min
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from rapport.accounts.models import Account, LifecycleChange
from rapport.core.models import Role, User
from rapport.core.money import currency, money_text
from rapport.demo import catalog
from rapport.demo.buying import BUYING_STAGES, CATEGORY_NAMES
from rapport.demo.sizes import DemoError
from rapport.memory import services as memory_services
from rapport.memory.models import Attribute, Fact, FactSource
from rapport.offers import configurator, pricing
from rapport.offers.models import (
    AgreementKind,
    CatalogEntry,
    ConfigurationSource,
    Option,
    Order,
    OrderItem,
    OrderOrigin,
    OrderStatus,
    PriceAgreement,
    Product,
    StandardConfiguration,
)
from rapport.offers.services import QUOTE_VALID_FOR
from rapport.valuation import selectors as valuation_selectors
from rapport.valuation import services as valuation_services
from rapport.valuation.models import TransactionSource

BATCH = 2_000
CENT = Decimal("0.01")
# The memory's attributes a configuration is built from: specifications and constraints.
CITED_KEYS = ("spec-seats", "spec-hosting", "spec-standards", "con-annual-budget")
HOSTING_OPTION = {"our data centre": "on-prem", "EU cloud": "eu-cloud", "any cloud": "global-cloud"}
# Framework customers buy these categories, and a few products besides.
FRAMEWORK_CATEGORIES = ("Hardware", "Sensors", "Spare parts", "Consumables")
FRAMEWORK_EXTRAS = (
    "SW-MA-PROFESSIONAL",
    "TR-OPR-1DAY",
    "CL-MCH-M",
    "IN-SIT-TECHNICIAN",
    "CS-ROL-SENIORCONSULTANT",
)
# How many one line orders, by the product's unit (pieces by category): (fewest, most),
# drawn log-uniformly.
QUANTITIES = {
    "Hardware": (1, 8),
    "Sensors": (4, 40),
    "Spare parts": (1, 20),
    "licence": (1, 3),
    "site": (1, 3),
    "user": (5, 60),
    "seat": (5, 60),
    "month": (3, 12),
    "SIM/month": (5, 40),
    "year": (1, 2),
    "visit": (1, 4),
    "sensor": (5, 40),
    "device": (2, 20),
    "day": (2, 15),
    "project": (1, 1),
    "participant": (2, 12),
    "exam": (1, 6),
    "run": (4, 30),
    "cabinet": (1, 3),
    "pack": (5, 60),
}
# Volume breaks start at these quantities, by category (high-volume goods start higher).
BREAKS = {"Consumables": (50, 200), "Sensors": (25, 100), "Spare parts": (25, 100)}
AGREEMENT_NOTES = (
    "Framework agreement, signed by group procurement.",
    "Agreed in the annual price review.",
    "Volume deal for the multi-site rollout.",
    "Price held for a two-year commitment.",
)
DIVISION_NOTES = (
    "The division's own deal for its plants.",
    "Agreed with the division's purchasing for its rollout.",
)
REVISION_REASONS = (
    "More users after the pilot",
    "Agreed at the quarterly review",
    "Second shift added",
    "Two more lines in production",
)
DECLINE_REASONS = (
    "Budget frozen until next year",
    "Went with a competitor on price",
    "Project postponed",
    "Ordered a smaller scope instead",
)
# Configurations of these names a division redefines with choices of its own.
OVERRIDES = (
    "Standard edge gateway",
    "Field engineer tablet",
    "Machine monitoring point",
    "Service contract",
    "Line panel PC",
)


@dataclass(frozen=True)
class Unit:
    """An account of an organisation's tree, as the plan needs it."""

    id: int
    depth: int
    kind: str
    name: str
    city: str
    path: str


@dataclass
class Organisation:
    """One organisation that gets Customize data: who it is, its tree, its time with us."""

    id: int
    stage: str
    industry: str
    country: str
    manager_id: int | None
    interactions: int
    units: list[Unit] = field(default_factory=list)
    start: date = date.min  # the first day we sold to it, in the demo's window
    end: date = date.min  # the last (today, unless it stopped buying)

    @property
    def root(self) -> Unit:
        return self.units[0]

    @property
    def divisions(self) -> list[Unit]:
        """Its divisions, or without any its units one level down (departments, sites)."""
        below = [u for u in self.units if u.depth == 2]
        return [u for u in below if u.kind == "division"] or below

    def below(self, unit: Unit) -> list[Unit]:
        """The unit and every unit under it."""
        return [u for u in self.units if u.path.startswith(unit.path)]

    def chain(self, unit: Unit) -> list[Unit]:
        """The unit and every unit above it, top first."""
        return [u for u in self.units if unit.path.startswith(u.path)]

    def unit(self, pk: int) -> Unit:
        return next(u for u in self.units if u.id == pk)


@dataclass
class Customer:
    """An organisation in hand: who writes for it, what it may buy, its terms so far."""

    org: Organisation
    writer: User
    decider: User  # agrees prices (a manager)
    allowed_categories: frozenset[str] | None = None  # None: the whole catalog
    allowed_skus: frozenset[str] = frozenset()
    agreements: list[PriceAgreement] = field(default_factory=list)
    configurations: list[StandardConfiguration] = field(default_factory=list)
    cited: dict[int, tuple[Fact, ...]] = field(default_factory=dict)  # by configuration index

    @property
    def categories(self) -> set[str]:
        """What options' "only for" is matched against (the tier is not known yet)."""
        return {self.org.industry} if self.org.industry else set()

    def allows(self, product: Product) -> bool:
        if self.allowed_categories is None:
            return True
        return product.category.name in self.allowed_categories or product.sku in self.allowed_skus


@dataclass(frozen=True)
class Draft:
    """A standard configuration as a template makes it, before it is checked and written."""

    name: str
    sku: str
    options: tuple[str, ...]
    quantity: Decimal
    cites: tuple[Fact, ...] = ()
    buying_role: str = ""
    location: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Revision:
    """A configuration changed after it was first agreed: its new quantity, when and why."""

    configuration: StandardConfiguration
    quantity: Decimal
    at: datetime
    reason: str


@dataclass
class Quote:
    """A quote or order before it is written: its items priced, what became of it."""

    customer: Customer
    order: Order
    items: list[OrderItem]


def generate(*, seed: int, organisations: int, progress: Callable[[str], None]) -> dict[str, int]:
    """Write the catalog (when missing) and the Customize data; returns counts."""
    t0 = time.perf_counter()
    rng = random.Random(seed * 6_151 + 29)
    today = timezone.localdate()
    products, written = catalog.ensure(today)
    counts = {
        "products": len(products),
        "product_options": Option.objects.filter(
            product_id__in=[p.pk for p in products.values()]
        ).count(),
    }
    progress(f"offers: catalog of {len(products):,} products ({written:,} written now)")
    orgs = _organisations(organisations, today)
    staff = list(
        User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER, Role.REP], is_active=True).order_by(
            "id"
        )
    )
    deciders = [u for u in staff if u.role in (Role.MANAGER, Role.ADMIN)]
    writers = [u for u in staff if u.role == Role.REP] or deciders
    if not orgs or not deciders:
        return counts
    by_id = {u.pk: u for u in staff}
    customers = []
    for index, org in enumerate(orgs):
        writer = by_id.get(org.manager_id or 0) or writers[index % len(writers)]
        decider = writer if writer.role != Role.REP else deciders[index % len(deciders)]
        customers.append(Customer(org, writer, decider))
    buying = [c for c in customers if c.org.stage in BUYING_STAGES]
    talking = [c for c in customers if c.org.stage not in BUYING_STAGES]
    plan = Plan(
        rng,
        today,
        products,
        Account.objects.in_bulk([u.id for o in orgs for u in o.units]),
        _facts([c.org.id for c in buying]),
    )
    for index, customer in enumerate(buying):
        plan.terms(customer, first=index == 0, framework=index == 1)
    plan.write_terms(buying)
    for customer in buying:
        plan.orders(customer)
    for customer in talking:
        plan.prospect(customer)
    plan.write_orders()
    for index, customer in enumerate(buying):
        plan.review(customer, first=index == 0)
    counts |= plan.counts
    counts["configurations_to_review"] = (
        StandardConfiguration.objects.filter(
            deleted_at__isnull=True, citations__fact__superseded_at__isnull=False
        )
        .values("pk")
        .distinct()
        .count()
    )
    progress(
        f"offers: {len(buying)} organisations with {counts['standard_configurations']} "
        f"configurations ({counts['configurations_to_review']} to review), "
        f"{counts['price_agreements']} agreements, {counts['placed_orders']} orders, "
        f"{counts['quotes']} quotes ({time.perf_counter() - t0:.1f} s)"
    )
    return counts


def _organisations(limit: int, today: date) -> list[Organisation]:
    """The largest organisations (most units, then most interactions) that buy, ``limit``
    of them, and a quarter as many still in talks (opportunities)."""
    orgs = {
        pk: Organisation(pk, stage, (industry or "").strip(), country, manager_id, n or 0)
        for pk, stage, industry, country, manager_id, n in Account.objects.filter(
            depth=1, deleted_at__isnull=True
        )
        .order_by("id")
        .values_list(
            "id", "lifecycle_stage", "industry", "country", "manager_id", "interaction_count"
        )
    }
    for pk, customer_id, depth, kind, name, city, path in (
        Account.objects.filter(deleted_at__isnull=True)
        .order_by("path")
        .values_list("id", "customer_id", "depth", "kind", "name", "city", "path")
    ):
        org = orgs.get(customer_id or pk)
        if org is not None:
            org.units.append(Unit(pk, depth, kind, name, city, path))
    ranked = sorted(orgs.values(), key=lambda o: (-len(o.units), -o.interactions, o.id))
    buying = [o for o in ranked if o.stage in BUYING_STAGES][:limit]
    talking = [o for o in ranked if o.stage == "opportunity"][: max(1, limit // 4)]
    ids = [o.id for o in buying]
    became = dict(
        LifecycleChange.objects.filter(customer_id__in=ids, stage="customer")
        .order_by()
        .values("customer_id")
        .annotate(first=Min("changed_at"))
        .values_list("customer_id", "first")
    )
    left = dict(
        LifecycleChange.objects.filter(customer_id__in=ids, stage__in=["lost", "dormant"])
        .order_by()
        .values("customer_id")
        .annotate(first=Min("changed_at"))
        .values_list("customer_id", "first")
    )
    for org in buying:
        # Two years of offers at most; at least two months, even for a brand-new customer.
        start = became[org.id].date() if org.id in became else today - timedelta(days=720)
        end = left[org.id].date() if org.id in left and org.stage != "at_risk" else today
        end = min(end, today)
        org.start = min(max(start, today - timedelta(days=720)), end - timedelta(days=60))
        org.end = end
    return buying + talking


def _facts(customer_ids: Sequence[int]) -> dict[tuple[int, str], Fact]:
    """The current specification and constraint facts of units (not of people), by unit."""
    rows = Fact.objects.filter(
        customer_id__in=customer_ids,
        superseded_at__isnull=True,
        contact__isnull=True,
        attribute__key__in=CITED_KEYS,
    ).select_related("attribute", "account", "said_by", "recorded_by")
    return {(f.account_id, f.attribute.key): f for f in rows.order_by("id")}


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _validity(agreement: PriceAgreement) -> str:
    """An agreement's dates in words, as offers.selectors writes them for the explanation."""
    if agreement.valid_until:
        return f"{_day_text(agreement.valid_from)} to {_day_text(agreement.valid_until)}"
    return f"from {_day_text(agreement.valid_from)}"


def _money(amount: Decimal) -> str:
    return money_text(float(amount), 2)


class Plan:
    """Plans each organisation's Customize data, checks it, and writes it in bulk."""

    customer: Customer

    def __init__(
        self,
        rng: random.Random,
        today: date,
        products: dict[str, Product],
        accounts: dict[int, Account],
        facts: dict[tuple[int, str], Fact],
    ) -> None:
        self.rng = rng
        self.today = today
        self.now = timezone.now()
        self.products = products
        self.by_pk = {p.pk: p for p in products.values()}
        self.accounts = accounts
        self.facts = facts
        self.entries: list[CatalogEntry] = []
        self.revisions: list[Revision] = []
        self.quotes: list[Quote] = []
        self.superseded: set[int] = set()
        self.renewed = False
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "catalog_entries",
                "price_agreements",
                "standard_configurations",
                "quotes",
                "placed_orders",
                "facts",
            ),
            0,
        )

    @property
    def org(self) -> Organisation:
        return self.customer.org

    def at(self, day: date) -> datetime:
        """A moment of that working day (never later than now), for created and history times."""
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=self.rng.randint(7, 17), minutes=self.rng.randint(0, 59)
        )
        return min(moment, self.now)

    def check(self, product: Product, chosen: Sequence[str], on: date | None = None) -> None:
        """Refuse what a service would refuse: a product off the unit's catalog, not sold
        that day, or options that break one of its rules."""
        found = configurator.breaches(
            product.rules(), chosen, customer_categories=self.customer.categories
        )
        if found or not self.customer.allows(product) or (on and not product.is_active(on)):
            why = " ".join(b.message for b in found) or "not on its catalog or not sold"
            raise DemoError(f"demo offers: {product.sku} {list(chosen)} for {self.org.id}: {why}")

    # -- terms: own catalog, price agreements, standard configurations ------------------

    def terms(self, customer: Customer, *, first: bool, framework: bool) -> None:
        """Plan one buying organisation's catalog, agreements and configurations."""
        self.customer = customer
        # The second largest always buys on a framework catalog, then about one in four.
        if framework or (not first and self.rng.random() < 0.25):
            self._framework()
        self._agreements()
        self._configurations(force_citation=first)

    def _framework(self) -> None:
        """An organisation that buys only what its framework contract lists."""
        rng, customer = self.rng, self.customer
        others = [c for c in CATEGORY_NAMES if c not in FRAMEWORK_CATEGORIES]
        chosen = [*FRAMEWORK_CATEGORIES, *rng.sample(others, 1)]
        extras = [s for s in rng.sample(FRAMEWORK_EXTRAS, 3) if s in self.products]
        root = self.org.root.id
        by_name = {p.category.name: p.category for p in self.products.values()}
        made = self.at(self.org.start)
        self.entries += [
            CatalogEntry(
                customer_id=self.org.id,
                account_id=root,
                category=by_name[name],
                added_by=customer.decider,
                created_at=made,
            )
            for name in chosen
        ]
        self.entries += [
            CatalogEntry(
                customer_id=self.org.id,
                account_id=root,
                product=self.products[sku],
                added_by=customer.decider,
                created_at=made,
            )
            for sku in extras
        ]
        customer.allowed_categories = frozenset(chosen)
        customer.allowed_skus = frozenset(extras)

    def _agreements(self) -> None:
        """The organisation's agreements (inherited by all its units), one division's own."""
        rng, org, today, customer = self.rng, self.org, self.today, self.customer
        current = org.end >= today
        pool = sorted(
            (
                p
                for p in self.products.values()
                if customer.allows(p) and p.is_active(org.start) and p.is_active(today)
            ),
            key=lambda p: p.sku,
        )
        wanted = ["HW-AG-400", "SW-MA-PROFESSIONAL", "SN-VS-100", "CO-BAT-AALITHIUM10-PACK"]
        picked = [
            self.products[s]
            for s in wanted
            if s in self.products and customer.allows(self.products[s])
        ]
        picked = rng.sample(picked, min(len(picked), rng.randint(1, 3)))
        for product in rng.sample(pool, min(len(pool), rng.randint(2, 4))):
            if product not in picked:
                picked.append(product)
        root = org.root
        span = (org.end - org.start).days
        for product in picked:
            # The first organisation that can have one always shows a renewal.
            if current and span > 240 and (not self.renewed or rng.random() < 0.3):
                self.renewed = True
                # Renewed: the old terms ended the day before the new ones began.
                renewed = org.start + timedelta(days=rng.randint(120, span - 60))
                self._agree(root, product, org.start, renewed - timedelta(days=1))
                self._agree(root, product, renewed, self._until(current))
            else:
                start = org.start + timedelta(days=rng.randint(0, min(30, span)))
                self._agree(root, product, start, self._until(current))
        divisions = org.divisions
        if divisions and picked and rng.random() < 0.7:
            start = org.start + timedelta(days=rng.randint(0, min(90, span)))
            self._agree(
                divisions[0],
                picked[0],
                start,
                self._until(current),
                kind=AgreementKind.FIXED,
                note=rng.choice(DIVISION_NOTES),
            )

    def _until(self, current: bool) -> date | None:
        if not current:
            return self.org.end  # it stopped buying: its terms ended with it
        if self.rng.random() < 0.5:
            return None
        return self.today + timedelta(days=self.rng.randint(60, 540))

    def _agree(
        self,
        unit: Unit,
        product: Product,
        valid_from: date,
        valid_until: date | None,
        *,
        kind: str | None = None,
        note: str = "",
    ) -> None:
        """One agreement, its values written as price_agreement_create stores them."""
        rng = self.rng
        kind = kind or (AgreementKind.DISCOUNT if rng.random() < 0.6 else AgreementKind.FIXED)
        low, high = BREAKS.get(product.category.name, (10, 50))
        if kind == AgreementKind.DISCOUNT:
            value = Decimal(rng.choice(["5", "7.5", "8", "10", "12", "15"])).quantize(CENT)
            steps = [value + Decimal("2.5"), value + 5]
        else:
            share = Decimal(str(round(rng.uniform(0.82, 0.93), 3)))
            value = (product.list_price * share).quantize(CENT)
            steps = [
                (value * Decimal("0.97")).quantize(CENT),
                (value * Decimal("0.94")).quantize(CENT),
            ]
        breaks = [
            [str(Decimal(q).quantize(CENT)), str(v)]
            for q, v in zip((low, high), steps, strict=True)
        ]
        agreement = PriceAgreement(
            customer_id=self.org.id,
            account_id=unit.id,
            product=product,
            kind=kind,
            value=value,
            breaks=breaks if rng.random() < 0.4 else [],
            currency=currency(),
            valid_from=valid_from,
            valid_until=valid_until,
            note=note or rng.choice(AGREEMENT_NOTES),
            agreed_by=self.customer.decider,
            created_at=self.at(valid_from),
        )
        agreement._history_user = self.customer.decider  # type: ignore[attr-defined]
        agreement._history_date = agreement.created_at  # type: ignore[attr-defined]
        self.customer.agreements.append(agreement)

    def fact_for(self, unit: Unit, key: str) -> Fact | None:
        """What the memory knows for the unit, or failing that for the organisation."""
        return self.facts.get((unit.id, key)) or self.facts.get((self.org.root.id, key))

    def _configurations(self, *, force_citation: bool) -> None:
        rng, org = self.rng, self.org
        root = org.root
        if force_citation and self.fact_for(root, "spec-seats") is None:
            self._learn_seats(root)
        names = ["Analytics seats", "Standard edge gateway"] if force_citation else []
        for name in rng.sample(list(TEMPLATES), len(TEMPLATES)):
            if name not in names:
                names.append(name)
        at_top: list[str] = []
        wanted_at_top = rng.randint(3, 5)
        for name in names:
            if len(at_top) < wanted_at_top and self._configure(root, name, override=False):
                at_top.append(name)
        overridable = [n for n in at_top if n in OVERRIDES]
        for k, division in enumerate(org.divisions[:3]):
            if overridable and (k == 0 or rng.random() < 0.5):
                self._configure(division, rng.choice(overridable), override=True)
            own = [n for n in TEMPLATES if n not in at_top]
            if rng.random() < 0.6:
                self._configure(division, rng.choice(own), override=False)

    def _configure(self, unit: Unit, name: str, *, override: bool) -> bool:
        """Plan the configuration of that name for the unit (an override: other choices)."""
        draft = TEMPLATES[name](self, unit, override)
        if draft is None or draft.sku not in self.products:
            return False
        product = self.products[draft.sku]
        if not self.customer.allows(product) or not product.is_active(self.today):
            return False
        if product.version > 1:
            return False  # changed by hand since the demo wrote it: the template may not fit
        options = tuple(dict.fromkeys(draft.options))
        self.check(product, options)
        rng, customer = self.rng, self.customer
        span = max(0, (self.today - self.org.start).days)
        agreed_on = self.org.start + timedelta(days=rng.randint(0, min(span, 120)))
        configuration = StandardConfiguration(
            customer_id=self.org.id,
            account_id=unit.id,
            name=draft.name,
            buying_role=draft.buying_role,
            location=draft.location,
            product=product,
            options=list(options),
            quantity=draft.quantity,
            notes=draft.notes,
            created_at=self.at(agreed_on),
        )
        configuration._history_user = customer.writer  # type: ignore[attr-defined]
        configuration._history_date = configuration.created_at  # type: ignore[attr-defined]
        configuration._change_reason = "Agreed with the customer"  # type: ignore[attr-defined]
        if rng.random() < 0.25:
            # Revised since, with why: a second version in its history.
            later = agreed_on + timedelta(
                days=rng.randint(1, max(1, span - (agreed_on - self.org.start).days))
            )
            self.revisions.append(
                Revision(
                    configuration,
                    draft.quantity + max(1, round(draft.quantity * Decimal("0.25"))),
                    self.at(min(later, self.today)),
                    rng.choice(REVISION_REASONS),
                )
            )
        customer.cited[len(customer.configurations)] = draft.cites
        customer.configurations.append(configuration)
        return True

    def _learn_seats(self, unit: Unit) -> None:
        """The memory does not know how many will use it: they tell us, for the rollout."""
        attribute = Attribute.objects.filter(key="spec-seats").first()
        if attribute is None:
            return
        fact = memory_services.fact_record(
            actor=self.customer.writer,
            attribute=attribute,
            value=self.rng.randint(20, 120),
            source=FactSource.USER,
            account=self.accounts[unit.id],
            note="From the customer's rollout plan.",
        ).fact
        self.facts[(fact.account_id, "spec-seats")] = fact
        self.counts["facts"] += 1

    def write_terms(self, customers: Sequence[Customer]) -> None:
        """Catalog entries, agreements and configurations (with citations and history)."""
        CatalogEntry.objects.bulk_create(self.entries, batch_size=BATCH)
        agreements = [a for c in customers for a in c.agreements]
        bulk_create_with_history(agreements, PriceAgreement, batch_size=BATCH)
        configurations = [s for c in customers for s in c.configurations]
        bulk_create_with_history(configurations, StandardConfiguration, batch_size=BATCH)
        if any(row.pk is None for row in (*agreements, *configurations)):
            raise DemoError("demo offers: the database returned no ids for a bulk insert")
        ConfigurationSource.objects.bulk_create(
            [
                ConfigurationSource(configuration=c.configurations[k], fact=fact)
                for c in customers
                for k, facts in c.cited.items()
                for fact in facts
            ],
            batch_size=BATCH,
        )
        revised = []
        for revision in self.revisions:
            configuration = revision.configuration
            configuration.quantity, configuration.version = revision.quantity, 2
            configuration.updated_at = self.now
            configuration._history_date = revision.at  # type: ignore[attr-defined]
            configuration._change_reason = revision.reason  # type: ignore[attr-defined]
            revised.append(configuration)
        StandardConfiguration.objects.bulk_update(
            revised, ["quantity", "version", "updated_at"], batch_size=BATCH
        )
        StandardConfiguration.history.bulk_history_create(revised, update=True, batch_size=BATCH)
        self.counts["catalog_entries"] += len(self.entries)
        self.counts["price_agreements"] += len(agreements)
        self.counts["standard_configurations"] += len(configurations)

    # -- quotes and orders ---------------------------------------------------------------

    def _day(self, earliest: date | None = None) -> date:
        start = max(self.org.start, earliest or self.org.start)
        span = max(0, (self.org.end - start).days)
        return start + timedelta(days=self.rng.randint(0, span))

    def _unit_for(self, holder: Unit | None = None) -> Unit:
        """Who orders: the head office a third of the time, else any unit (below ``holder``)."""
        if holder is None:
            if self.rng.random() < 0.35:
                return self.org.root
            return self.rng.choice(self.org.units)
        return self.rng.choice(self.org.below(holder))

    def _catalog_lines(self, on: date) -> list[tuple[Product, tuple[str, ...], Decimal]]:
        """One to four lines from the catalog, the agreed products more often than others."""
        rng, customer = self.rng, self.customer
        pool = sorted(
            (p for p in self.products.values() if customer.allows(p) and p.is_active(on)),
            key=lambda p: p.sku,
        )
        liked = [a.product for a in customer.agreements if a.holds_on(on)]
        chosen: list[Product] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            product = rng.choice(liked) if liked and rng.random() < 0.4 else rng.choice(pool)
            if product not in chosen:
                chosen.append(product)
        return [(p, self._pick(p), self._quantity(p)) for p in chosen]

    def _quantity(self, product: Product) -> Decimal:
        unit = product.category.name if product.unit == "piece" else product.unit
        low, high = QUANTITIES.get(unit, (1, 10))
        return Decimal(round(low * (high / low) ** self.rng.random()))

    def _pick(self, product: Product) -> tuple[str, ...]:
        """A valid choice of options for a catalog order: each required choice, some extras."""
        rules = product.rules()
        categories = self.customer.categories
        plain = [
            o
            for o in rules.options
            if not o.requires and (not o.only_for or categories & set(o.only_for))
        ]
        required: list[str] = []
        for group in rules.groups:
            in_group = [o.code for o in plain if o.group == group.code]
            required += self.rng.sample(in_group, min(group.min_choices, len(in_group)))
        extra = [o.code for o in plain if o.code not in required]
        if extra and self.rng.random() < 0.4:
            chosen = (*required, self.rng.choice(extra))
            if not configurator.breaches(rules, chosen, customer_categories=categories):
                return chosen
        return tuple(required)

    def _price(
        self, unit: Unit, product: Product, chosen: tuple[str, ...], quantity: Decimal, on: date
    ) -> OrderItem:
        """One line priced as offers.selectors.price_lines prices it: the agreement agreed
        nearest the ordering unit and valid that day governs, explained in words."""
        self.check(product, chosen, on)
        depth = {u.id: u.depth for u in self.org.chain(unit)}
        governing = None
        for agreement in self.customer.agreements:
            if (
                agreement.account_id in depth
                and agreement.product_id == product.pk
                and agreement.holds_on(on)
                and (governing is None or depth[agreement.account_id] > depth[governing.account_id])
            ):
                governing = agreement
        terms = None
        if governing is not None:
            terms = pricing.Terms(
                agreement_id=governing.pk,
                kind=governing.kind,
                value=governing.value,
                breaks=tuple(governing.break_list()),
                agreed_for=self.org.unit(governing.account_id).name,
                inherited_by=unit.name if governing.account_id != unit.id else "",
                valid=_validity(governing),
            )
        by_code = {o.code: o for g in product.option_groups.all() for o in g.options.all()}
        price = pricing.price(
            list_price=product.list_price,
            options_price=sum((by_code[c].price for c in chosen), Decimal(0)),
            quantity=quantity,
            terms=terms,
            money=_money,
        )
        return OrderItem(
            product=product,
            sku=product.sku,
            name=product.name,
            category_id=product.category_id,
            options=list(chosen),
            option_names=[by_code[c].name for c in chosen],
            quantity=quantity,
            list_unit=price.list_unit,
            unit_price=price.unit_price,
            total=price.total,
            unit_cost=product.cost or Decimal(0),
            agreement=governing,
            explanation=list(price.explanation),
        )

    def _quote(
        self,
        unit: Unit,
        on: date,
        *,
        configuration: StandardConfiguration | None = None,
        origin: str = "",
        note: str = "",
    ) -> Order:
        """Plan a quote as quote_create makes it: priced on the day, valid for a month."""
        if configuration is not None:
            lines = [
                (
                    self.by_pk[configuration.product_id],
                    tuple(configuration.options),
                    configuration.quantity,
                )
            ]
        else:
            lines = self._catalog_lines(on)
        items = [self._price(unit, *line, on) for line in lines]
        for position, item in enumerate(items, start=1):
            item.position = position
        writer = self.customer.writer
        order = Order(
            customer_id=self.org.id,
            account_id=unit.id,
            number=f"new-{uuid.uuid4().hex[:24]}",
            status=OrderStatus.QUOTE,
            origin=origin
            or (OrderOrigin.CONFIGURATION if configuration is not None else OrderOrigin.CATALOG),
            configuration=configuration,
            currency=currency(),
            quoted_on=on,
            valid_until=on + QUOTE_VALID_FOR,
            total=sum((item.total for item in items), Decimal(0)),
            note=note,
            created_by=writer,
            created_at=self.at(on),
        )
        order._history_user = writer  # type: ignore[attr-defined]
        order._history_date = order.created_at  # type: ignore[attr-defined]
        self.quotes.append(Quote(self.customer, order, items))
        return order

    def _placed(self, order: Order, on: date) -> None:
        order.status, order.placed_on, order.decided_by = (
            OrderStatus.PLACED,
            on,
            self.customer.writer,
        )

    def orders(self, customer: Customer) -> None:
        """Orders over its time with us (from the catalog, from a configuration, reorders)
        and its quotes: open, lapsed, declined, and one accepted after a few days."""
        self.customer = customer
        rng, org, today = self.rng, customer.org, self.today
        for _ in range(rng.randint(2, 5)):
            on = self._day()
            self._placed(self._quote(self._unit_for(), on), on)
        recent = org.end - timedelta(days=240)
        for configuration in customer.configurations:
            if rng.random() < 0.5:
                on = self._day(recent)
                unit = org.unit(configuration.account_id)
                self._placed(self._quote(unit, on, configuration=configuration), on)
        for configuration in rng.sample(
            customer.configurations, min(len(customer.configurations), rng.randint(1, 3))
        ):
            # Reordered in one step, by its unit or one below it.
            on = self._day(recent)
            unit = self._unit_for(org.unit(configuration.account_id))
            order = self._quote(unit, on, configuration=configuration, origin=OrderOrigin.REORDER)
            self._placed(order, on)
        on = min(self._day(), org.end - timedelta(days=14))
        self._placed(self._quote(self._unit_for(), on), on + timedelta(days=rng.randint(2, 14)))
        if org.end >= today:
            for _ in range(rng.randint(1, 2)):
                wanted = (
                    rng.choice(customer.configurations)
                    if customer.configurations and rng.random() < 0.5
                    else None
                )
                unit = org.unit(wanted.account_id) if wanted else self._unit_for()
                self._quote(unit, today - timedelta(days=rng.randint(0, 20)), configuration=wanted)
            # Quoted months ago and never answered: it lapsed.
            self._quote(self._unit_for(), today - timedelta(days=rng.randint(60, 200)))
        declined = self._quote(self._unit_for(), org.end - timedelta(days=rng.randint(10, 120)))
        declined.status, declined.decided_by = OrderStatus.DECLINED, customer.writer
        declined.note = f"Declined: {rng.choice(DECLINE_REASONS)}"

    def prospect(self, customer: Customer) -> None:
        """An organisation in talks: a quote for its first order, recent or a while ago."""
        self.customer = customer
        for k in range(self.rng.randint(1, 2)):
            on = self.today - timedelta(days=self.rng.randint(2, 25) + 40 * k)
            self._quote(self.org.root, on, note="Proposal for the first sites.")

    def write_orders(self) -> None:
        """Quotes and orders with their items and history; the placed ones' order lines
        through valuation's bulk service, as accepting a quote writes them."""
        orders = [q.order for q in self.quotes]
        Order.objects.bulk_create(orders, batch_size=BATCH)
        for order in orders:
            order.number = f"{order.quoted_on.year}-{order.pk:06d}"
        Order.objects.bulk_update(orders, ["number"], batch_size=BATCH)
        Order.history.bulk_history_create(orders, batch_size=BATCH)
        for quote in self.quotes:
            for item in quote.items:
                item.order = quote.order
        items = [item for q in self.quotes for item in q.items]
        OrderItem.objects.bulk_create(items, batch_size=BATCH)
        by_external_id: dict[str, OrderItem] = {}
        rows_by_writer: dict[int, tuple[User, list[dict[str, Any]]]] = {}
        for quote in self.quotes:
            order = quote.order
            if order.status != OrderStatus.PLACED:
                continue
            writer = quote.customer.writer
            rows = rows_by_writer.setdefault(writer.pk, (writer, []))[1]
            for item in quote.items:
                external_id = f"rapport:{order.number}:{item.position}"
                by_external_id[external_id] = item
                rows.append(
                    {
                        "account": self.accounts[order.account_id],
                        "category": self.by_pk[item.product_id].category,
                        "ordered_on": order.placed_on,
                        "order_ref": order.number,
                        "external_id": external_id,
                        "product": f"{item.name} ({item.sku})"[:200],
                        "quantity": item.quantity,
                        "revenue": item.total,
                        "cost": (item.unit_cost * item.quantity).quantize(CENT),
                        "discount": max(
                            (item.list_unit * item.quantity).quantize(CENT) - item.total,
                            Decimal(0),
                        ),
                        "source": TransactionSource.ORDER,
                    }
                )
        for writer, rows in rows_by_writer.values():
            valuation_services.order_lines_bulk_create(actor=writer, rows=rows, audit=False)
        for external_id, line_id in valuation_selectors.order_line_ids(
            external_ids=list(by_external_id)
        ):
            by_external_id[external_id].order_line_id = line_id
        OrderItem.objects.bulk_update(
            list(by_external_id.values()), ["order_line"], batch_size=BATCH
        )
        placed = sum(1 for o in orders if o.status == OrderStatus.PLACED)
        self.counts["placed_orders"] += placed
        self.counts["quotes"] += len(orders) - placed

    # -- what the memory has learned since ------------------------------------------------

    def review(self, customer: Customer, *, first: bool) -> None:
        """Some facts a configuration was built from have changed since: it asks for review."""
        self.customer = customer
        citing = [
            (configuration, customer.cited[k])
            for k, configuration in enumerate(customer.configurations)
            if customer.cited.get(k)
        ]
        for k, (_configuration, facts) in enumerate(citing):
            if not ((first and k == 0) or self.rng.random() < 0.35):
                continue
            fact = self.rng.choice(facts)
            if fact.pk not in self.superseded:
                self._supersede(fact)

    def _supersede(self, fact: Fact) -> None:
        """The customer tells us again, with a new value; one of us records it."""
        # Told in a conversation we did not log this time: one of us records it.
        source = FactSource.USER if fact.source == FactSource.INTERACTION else fact.source
        actor = fact.recorded_by
        if actor is None and source not in (FactSource.QUESTIONNAIRE, FactSource.PORTAL):
            actor = self.customer.writer
        memory_services.fact_record(
            actor=actor,
            attribute=fact.attribute,
            value=_changed(fact, self.rng),
            source=source,
            account=fact.account,
            said_by=fact.said_by,
            note="Updated since the configuration was agreed.",
        )
        self.superseded.add(fact.pk)
        self.counts["facts"] += 1


def _changed(fact: Fact, rng: random.Random) -> Any:
    """Another value of the fact's attribute, as things change."""
    value, attribute = fact.value, fact.attribute
    if attribute.choices:
        return rng.choice([c for c in attribute.choices if c != value] or attribute.choices)
    if isinstance(value, dict):
        return {**value, "IEC": "62443"} if "IEC" not in value else {**value, "ISO": "27001"}
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        if attribute.key.startswith("con-"):
            return int(round(value * rng.uniform(0.6, 0.8), -3)) or 1_000
        return int(value * rng.uniform(1.3, 1.8)) + 5
    return value


# --------------------------------------------------------------------------------------
# The standard configurations a customer has: one builder per name
# --------------------------------------------------------------------------------------

EX_ZONES = set(catalog.EX_ZONES)
HYGIENIC = set(catalog.HYGIENIC)
CLINICAL = set(catalog.CLINICAL)
REGULATED = set(catalog.REGULATED)
SOVEREIGN = set(catalog.SOVEREIGN)


def _gateway(plan: Plan, unit: Unit, override: bool) -> Draft:
    industry, rng = plan.org.industry, plan.rng
    cites: list[Fact] = []
    if override:
        power = "psu-24" if industry in EX_ZONES else "psu-230"
        options = ["5g", power, "wall-mount", "gps"]
        if industry in EX_ZONES:
            options.append("atex")
        quantity = rng.randint(2, 4)
        notes = "No cabled network in the new halls: 5G, and mains power on the wall."
    else:
        options = ["lte", "psu-24", "din-rail"]
        options.append("atex" if industry in EX_ZONES else "ip67")
        quantity = 1
        notes = "One per machine group, in the control cabinet."
    standards = plan.fact_for(unit, "spec-standards")
    if standards is not None and "IEC" in (standards.value or {}):
        options += ["tpm", "hardened"]
        cites.append(standards)
        notes += " Hardened firmware: they must meet IEC 62443."
    return Draft(
        "Standard edge gateway",
        "HW-AG-400",
        tuple(options),
        Decimal(quantity),
        tuple(cites),
        notes=notes,
    )


def _analytics(plan: Plan, unit: Unit, override: bool) -> Draft:
    industry, rng = plan.org.industry, plan.rng
    cites: list[Fact] = []
    hosting = plan.fact_for(unit, "spec-hosting")
    option = HOSTING_OPTION.get(hosting.value) if hosting is not None else None
    if option is not None and hosting is not None:
        cites.append(hosting)
    options = [option or "eu-cloud", "predictive"]
    if industry in ("Energy", "Manufacturing", "Automotive", "Chemicals", "Food & Beverage"):
        options.append("energy")
    if industry in REGULATED:
        options += ["sso", "audit"]
    seats = plan.fact_for(unit, "spec-seats")
    if seats is not None and isinstance(seats.value, int | float) and seats.value > 0:
        quantity = int(seats.value)
        cites.append(seats)
    else:
        quantity = rng.randint(10, 60)
    return Draft(
        "Analytics seats",
        "SW-MA-PROFESSIONAL",
        tuple(options),
        Decimal(quantity),
        tuple(cites),
        notes="One seat for everyone who plans or reviews maintenance.",
    )


def _tablet(plan: Plan, unit: Unit, override: bool) -> Draft:
    clinical = plan.org.industry in CLINICAL
    if override:
        options = ["wifi", "desk-dock", "barcode"]
    else:
        options = ["lte", "vehicle-dock", "barcode", "disinfect" if clinical else "hand-strap"]
    return Draft(
        "Field engineer tablet",
        "HW-TAB-T10",
        tuple(options),
        Decimal(1),
        buying_role="end_user",
        notes="Per engineer; the docks go in the service vans.",
    )


def _monitoring(plan: Plan, unit: Unit, override: bool) -> Draft:
    ex = plan.org.industry in EX_ZONES
    if override:
        options = ["uniaxial", "stud", "cable-10m"] if ex else ["uniaxial", "magnet", "cable-10m"]
        quantity = plan.rng.randint(12, 30)
    else:
        options = ["triaxial", "stud", "m12"]
        quantity = plan.rng.randint(6, 16)
    if ex:
        options.append("ex-ia")
    return Draft(
        "Machine monitoring point",
        "SN-VS-100",
        tuple(options),
        Decimal(quantity),
        location=unit.city if override else "",
        notes="Sensors per pump or motor line.",
    )


def _service(plan: Plan, unit: Unit, override: bool) -> Draft:
    budget = plan.fact_for(unit, "con-annual-budget")
    cites: tuple[Fact, ...] = ()
    amount = budget.value if budget is not None and isinstance(budget.value, int | float) else None
    if override:
        level, options = "SILVER", ["office", "8h"]
    elif amount is not None and amount >= 250_000:
        level, options = "PLATINUM", ["24-7", "2h", "remote"]
    elif amount is not None and amount < 80_000:
        level, options = "SILVER", ["extended", "8h"]
    else:
        level, options = "GOLD", ["24-7" if plan.rng.random() < 0.5 else "extended", "4h", "spares"]
    if amount is not None and budget is not None and not override:
        cites = (budget,)
    return Draft(
        "Service contract",
        f"MS-ORN-{level}",
        tuple(options),
        Decimal(1),
        cites,
        notes="Sized to the budget they gave us." if cites else "",
    )


def _training(plan: Plan, unit: Unit, override: bool) -> Draft:
    language = catalog.LANGUAGES.get(plan.org.country, "en")
    return Draft(
        "New starter training",
        "TR-OPR-1DAY",
        (language, "virtual", "recording", "certificate"),
        Decimal(plan.rng.randint(4, 10)),
        notes="Every new operator within their first month.",
    )


def _metering(plan: Plan, unit: Unit, override: bool) -> Draft:
    options = ["ethernet", "mid", "pulse"] if plan.rng.random() < 0.5 else ["ethernet", "pulse"]
    return Draft(
        "Sub-metering point",
        "HW-NM-E3THREE-PHASE",
        tuple(options),
        Decimal(plan.rng.randint(6, 30)),
        location=unit.city if unit.depth > 1 else "",
    )


def _panel_pc(plan: Plan, unit: Unit, override: bool) -> Draft:
    hygienic = plan.org.industry in HYGIENIC
    options = ["i7", "32gb", "panel-mount"] if override else ["i5", "16gb", "vesa"]
    if hygienic:
        options += ["stainless", "glove-touch"]
    sites = [u for u in plan.org.below(unit) if u.kind == "site" and u.city]
    return Draft(
        "Line panel PC",
        "HW-IPC-15INCH",
        tuple(options),
        Decimal(plan.rng.randint(2, 8)),
        location=sites[0].city if override and sites else "",
        buying_role="specifier" if override else "",
    )


def _cloud(plan: Plan, unit: Unit, override: bool) -> Draft | None:
    hosting = plan.fact_for(unit, "spec-hosting")
    if hosting is not None and hosting.value == "our data centre":
        return None  # they host it themselves
    region = "us" if plan.org.country in ("United States", "Canada", "Mexico") else "eu-fra"
    options = [region, "backup-daily"]
    cites: tuple[Fact, ...] = ()
    if region == "eu-fra" and plan.org.industry in SOVEREIGN:
        options.append("sovereign")
    if hosting is not None and hosting.value == "EU cloud" and region == "eu-fra":
        cites = (hosting,)
    return Draft("Cloud hosting", "CL-MCH-M", tuple(options), Decimal(12), cites)


def _batteries(plan: Plan, unit: Unit, override: bool) -> Draft:
    return Draft(
        "Sensor batteries",
        "CO-BAT-AALITHIUM10-PACK",
        (),
        Decimal(plan.rng.choice([10, 20, 40])),
        location=unit.city if unit.depth > 1 else "",
        notes="Restocked every quarter.",
    )


TEMPLATES: dict[str, Callable[[Plan, Unit, bool], Draft | None]] = {
    "Standard edge gateway": _gateway,
    "Analytics seats": _analytics,
    "Field engineer tablet": _tablet,
    "Machine monitoring point": _monitoring,
    "Service contract": _service,
    "New starter training": _training,
    "Sub-metering point": _metering,
    "Line panel PC": _panel_pc,
    "Cloud hosting": _cloud,
    "Sensor batteries": _batteries,
}


# --- segment treatments (C7) ---------------------------------------------------------------------

# How each needs segment, largest first, is treated by default: a contact rhythm, a
# channel and why; the offers are drawn from the categories its members buy most.
TREATMENTS = [
    (
        30,
        "meeting",
        "Their sites cannot stop: we meet them monthly and offer what keeps them running.",
    ),
    (45, "call", "Cost comes first: a call every six weeks with what saves them money."),
    (60, "email", "They read before they buy: an e-mail every two months with what is new."),
    (90, "web", "Self-starters: a quarterly note, and the portal for the rest."),
]


def treatments(*, seed: int, progress: Callable[[str], None]) -> dict[str, int]:
    """Each current needs segment's default treatment, and two organisations treated otherwise
    (run after the segment recompute, through the offers services)."""
    from rapport.needs.models import NeedsSegment, SegmentMembership
    from rapport.offers import services as offer_services
    from rapport.offers.models import Product
    from rapport.valuation.models import OrderLine

    segments = list(NeedsSegment.objects.filter(is_current=True).order_by("number"))
    decider = User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True).first()
    rep = User.objects.filter(role=Role.REP, is_active=True).first() or decider
    if not segments or decider is None or rep is None:
        return {}
    rng = random.Random(seed * 7_919 + 3)
    made = 0
    for index, segment in enumerate(segments):
        members = SegmentMembership.objects.filter(segment=segment).values("customer_id")
        bought = list(
            OrderLine.objects.filter(customer_id__in=members, category__isnull=False)
            .values_list("category_id", flat=True)
            .distinct()
        )
        pool = list(Product.live.filter(category_id__in=bought).order_by("id")[:200])
        offers = [p.pk for p in rng.sample(pool, min(3, len(pool)))]
        days, channel, note = TREATMENTS[index % len(TREATMENTS)]
        offer_services.segment_treatment_set(
            actor=decider, segment=segment, offers=offers, cadence_days=days, channel=channel,
            note=note,
        )  # fmt: skip
        made += 1
    first = SegmentMembership.objects.filter(segment=segments[0]).order_by("distance")
    own = 0
    own_parts: list[tuple[dict[str, Any], str]] = [
        ({"cadence_days": 14}, "Renewal negotiation this quarter: every two weeks until signed."),
        ({"channel": "call"}, "Their CFO answers calls, never e-mails."),
    ]
    for membership, (parts, reason) in zip(first[:2], own_parts, strict=False):
        offer_services.account_treatment_set(
            actor=rep, account=membership.customer, reason=reason, **parts
        )
        own += 1
    progress(f"offers: {made} segment treatments, {own} organisations treated otherwise")
    return {"segment_treatments": made, "own_treatments": own}
