"""Demo data of the value side, generated over the accounts and interactions already loaded.

What each organisation bought (order lines over three years), its subscriptions and
service contracts, what the reps and the customers told us about its wallet per product
category, the managers' judgement of the largest accounts, and its needs (facts of the
learning memory's "need" attributes). Built so the value, tier and segment models have
something real to find:

* account sizes are heavy-tailed (lognormal, tied to how much we interact with them), so
  a fifth of the organisations carry most of the revenue;
* repeat buying follows a BG/NBD process: each organisation buys at its own Poisson rate
  (gamma across organisations) and may drop out after each purchase (beta across them),
  with order values gamma around its own mean (Gamma-Gamma); the lifecycle stage bends
  it (lost and dormant ones stopped buying, at-risk ones slowed down);
* contracts renew yearly and churn at each renewal with the contract's own probability
  (shifted-beta-geometric);
* a handful of organisations with many interactions buy little, at low margin and with
  heavy discounts: below zero after the cost to serve;
* four latent needs profiles drive the need answers (with noise), and the product mix
  and discounts, so needs segments come out meaningful.

Deterministic for a seed; written in bulk (COPY on PostgreSQL) so the large size stays a
small part of the whole load.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from rapport.accounts.models import Account, Contact, LifecycleChange
from rapport.core.models import Role, User
from rapport.memory.models import Attribute, AttributeKind, Fact, FactSource
from rapport.memory.values import display_value
from rapport.offers.models import ProductCategory
from rapport.valuation.models import (
    BillingPeriod,
    JudgementScore,
    OrderLine,
    Subscription,
    SubscriptionStatus,
    TransactionSource,
    WalletEstimate,
    WalletSource,
)

__all__ = ["CATEGORIES", "LINES_PER_ORGANISATION", "generate", "recompute_with_history"]

LINES_PER_ORGANISATION = 100  # large: 20,000 organisations -> 2,000,000 order lines
HISTORY_DAYS = 3 * 365
BATCH = 5_000
LINE_BATCH = 50_000
BULK_LOAD_MIN = 100_000  # from this many lines on, rebuild the order-line indexes after

# name: (description, cost of goods as a share of revenue, typical unit price, products)
CATEGORIES: dict[str, tuple[str, float, float, tuple[str, ...]]] = {
    "Hardware": (
        "Gateways, controllers, meters and industrial PCs",
        0.70, 900.0,
        ("Atlas Edge Gateway", "Vector Drive Controller", "Nova Energy Meter", "IPC-40 Panel PC"),
    ),
    "Sensors": (
        "Vibration, temperature and energy sensors",
        0.60, 180.0,
        ("Helix Vibration Sensor", "Helix Temperature Probe", "Nova Clamp-on Meter",
         "Helix Wireless Node"),
    ),
    "Software licences": (
        "Perpetual and term licences per seat or site",
        0.15, 240.0,
        ("Atlas Asset Monitor licence", "Meridian Analytics licence", "Meridian Mobile seat",
         "Atlas Site licence"),
    ),
    "Cloud services": (
        "Hosted Meridian and Nova, data retention, API access",
        0.40, 400.0,
        ("Meridian Cloud hosting", "Nova Energy Dashboard (SaaS)", "Data retention add-on",
         "Reporting API access"),
    ),
    "Maintenance & support": (
        "Service contracts, extended support hours, remote monitoring",
        0.38, 1_500.0,
        ("Orion Service Contract", "Extended support hours", "Remote monitoring service",
         "On-site service visit"),
    ),
    "Consulting": (
        "Rollout, integration and energy consulting (days)",
        0.62, 1_200.0,
        ("Rollout consulting", "ERP integration project", "Energy audit",
         "OT security assessment"),
    ),
    "Installation": (
        "Installation, retrofit and commissioning on site",
        0.66, 900.0,
        ("Site installation", "Sensor retrofit", "Commissioning", "Network cabling"),
    ),
    "Training": (
        "Operator and administrator courses, workshops",
        0.45, 350.0,
        ("Operator training", "Administrator course", "Predictive maintenance workshop",
         "Train-the-trainer"),
    ),
    "Spare parts": (
        "Replacement parts for installed hardware",
        0.52, 60.0,
        ("Gateway power supply", "Sensor cable kit", "Controller fan module", "Display unit"),
    ),
    "Consumables": (
        "Batteries, mounting kits, calibration sets",
        0.68, 15.0,
        ("Battery pack", "Mounting kit", "Calibration set", "Cable ties and labels"),
    ),
}  # fmt: skip
CATEGORY_NAMES = list(CATEGORIES)
N_CAT = len(CATEGORY_NAMES)
# Contracts are sold in these categories: (name pattern, billing periods and their weights).
CONTRACT_CATEGORIES = {
    "Cloud services": ("Meridian Cloud, {n} assets", "Nova Energy Dashboard, {n} sites"),
    "Software licences": ("Atlas subscription, {n} seats", "Meridian Analytics, {n} users"),
    "Maintenance & support": (
        "Orion Service Contract, Gold",
        "Orion Service Contract, Silver",
        "Remote monitoring, {n} machines",
        "24/7 support plan",
    ),
}

# Latent needs profiles: per need attribute, the answers the profile gives and how often.
# Answers are drawn from the profile 80% of the time, uniformly otherwise.
NEEDS_PROFILES: list[dict[str, Any]] = [
    {
        "name": "uptime-critical operators",
        "weight": 0.30,
        "needs": {
            "need-uptime": {"mission-critical": 0.6, "high": 0.4},
            "need-support-hours": {"24/7": 0.8, "extended hours": 0.2},
            "need-cost-reduction": {"low": 0.5, "medium": 0.5},
            "need-sustainability": {False: 0.6, True: 0.4},
            "need-integration": {("SAP",): 0.6, ("SAP", "Oracle"): 0.4},
            "need-training": {"onboarding": 0.7, "none": 0.3},
        },
        # category weights (the mix they buy) and discount appetite
        "mix": {"Hardware": 3, "Sensors": 3, "Maintenance & support": 4, "Spare parts": 3,
                "Installation": 1, "Software licences": 1},
        "size": 1.4,
        "discount": 0.03,
    },
    {
        "name": "cost-driven buyers",
        "weight": 0.30,
        "needs": {
            "need-cost-reduction": {"high": 0.9, "medium": 0.1},
            "need-uptime": {"low": 0.5, "medium": 0.5},
            "need-support-hours": {"office hours": 0.9, "extended hours": 0.1},
            "need-sustainability": {False: 0.85, True: 0.15},
            "need-integration": {("Microsoft Dynamics",): 0.5, ("other",): 0.5},
            "need-training": {"none": 0.8, "onboarding": 0.2},
        },
        "mix": {"Hardware": 2, "Consumables": 4, "Spare parts": 3, "Sensors": 1},
        "size": 0.7,
        "discount": 0.10,
    },
    {
        "name": "sustainability and reporting",
        "weight": 0.22,
        "needs": {
            "need-sustainability": {True: 0.95, False: 0.05},
            "need-integration": {("SAP", "Workday"): 0.5, ("Salesforce", "Workday"): 0.5},
            "need-cost-reduction": {"medium": 0.7, "low": 0.3},
            "need-training": {"ongoing": 0.6, "onboarding": 0.4},
            "need-support-hours": {"extended hours": 0.7, "office hours": 0.3},
            "need-uptime": {"medium": 0.6, "high": 0.4},
        },
        "mix": {"Cloud services": 4, "Software licences": 3, "Consulting": 3, "Sensors": 2,
                "Training": 1},
        "size": 1.1,
        "discount": 0.04,
    },
    {
        "name": "growing and learning",
        "weight": 0.18,
        "needs": {
            "need-training": {"ongoing": 0.85, "onboarding": 0.15},
            "need-support-hours": {"extended hours": 0.6, "office hours": 0.4},
            "need-uptime": {"medium": 0.7, "high": 0.3},
            "need-integration": {("Salesforce",): 0.5, ("Microsoft Dynamics", "Salesforce"): 0.5},
            "need-cost-reduction": {"medium": 0.6, "high": 0.4},
            "need-sustainability": {False: 0.5, True: 0.5},
        },
        "mix": {"Training": 4, "Consulting": 3, "Software licences": 3, "Installation": 2,
                "Cloud services": 1},
        "size": 0.9,
        "discount": 0.05,
    },
]  # fmt: skip

BUYING_STAGES = ("customer", "at_risk", "dormant", "lost")

STRONG_REASONS = (
    "Reference customer in {industry}: prospects call them before they buy from us.",
    "Lighthouse site for the Nova energy line; the board watches this rollout.",
    "Group-wide framework agreement up for renewal next year; losing it loses six sites.",
    "Their CTO sits on our customer advisory board and shapes the roadmap.",
    "Gateway into {country}: first large customer there, partners follow their lead.",
    "Co-developing the predictive-maintenance module with us; joint case study planned.",
)
WEAK_REASONS = (
    "Buys on price only and goes to tender every year; little loyalty beyond the numbers.",
    "Announced a single-vendor strategy with a competitor; we are being phased out.",
    "High support load, low adoption: strategic value is below what the model says.",
)
WALLET_NOTES = {
    WalletSource.CUSTOMER_SAID: (
        "Said in the annual account review.",
        "Told us their budget for this area on a call.",
        "From the tender documents they shared.",
    ),
    WalletSource.REP_ESTIMATED: (
        "From the number of sites and the installed base.",
        "Rep's estimate from the competitor's share at the main plant.",
        "Scaled from a similar customer in the same industry.",
    ),
}


def _day(today: date, offset: int, cache: dict[int, str]) -> str:
    text = cache.get(offset)
    if text is None:
        text = cache[offset] = (today + timedelta(days=offset)).isoformat()
    return text


def _round_sig(x: float, digits: int = 2) -> int:
    if x < 10:
        return max(1, round(x))
    scale = 10 ** (int(math.log10(x)) - digits + 1)
    return int(round(x / scale) * scale)


def _categories() -> dict[str, int]:
    """The demo's product categories (made once; kept when customer data is flushed)."""
    existing = dict(ProductCategory.objects.values_list("name", "id"))
    missing = [
        ProductCategory(name=name, description=CATEGORIES[name][0])
        for name in CATEGORY_NAMES
        if name not in existing
    ]
    if missing:
        ProductCategory.objects.bulk_create(missing)
        existing = dict(ProductCategory.objects.values_list("name", "id"))
    return {name: existing[name] for name in CATEGORY_NAMES}


class _Org:
    acquired: int
    categories: list[int]
    contacts: list[int]
    country: str
    discount: float
    dropout: float
    id: int
    industry: str
    interactions: int
    manager: int | None
    mix: list[float]
    profile: int
    rate: float
    size: float
    spend: float
    stage: str
    stop: int
    units: list[int]
    unprofitable: bool
    __slots__ = (
        "acquired",
        "categories",
        "contacts",
        "country",
        "discount",
        "dropout",
        "id",
        "industry",
        "interactions",
        "manager",
        "mix",
        "profile",
        "rate",
        "size",
        "spend",
        "stage",
        "stop",
        "units",
        "unprofitable",
    )

    def __init__(self, pk: int) -> None:
        self.id = pk
        self.units: list[int] = []
        self.contacts: list[int] = []
        self.unprofitable = False
        self.stop = 0


def generate(*, seed: int, progress: Callable[[str], None]) -> dict[str, int]:
    """Write the value demo rows for every organisation in the database; returns counts."""
    t_start = time.perf_counter()
    rng = random.Random(seed * 104_729 + 31)
    nrng = np.random.default_rng(seed * 7_919 + 5)
    now = timezone.now()
    today = now.date()
    cat_ids = _categories()

    orgs: dict[int, _Org] = {}
    for pk, stage, country, industry, manager_id, interactions in (
        Account.objects.filter(depth=1, deleted_at__isnull=True)
        .order_by("id")
        .values_list(
            "id", "lifecycle_stage", "country", "industry", "manager_id", "interaction_count"
        )
    ):
        org = orgs[pk] = _Org(pk)
        org.stage, org.country, org.industry = stage, country, industry or "manufacturing"
        org.manager, org.interactions = manager_id, interactions or 0
    if not orgs:
        return {}
    for unit_id, customer_id in (
        Account.objects.filter(deleted_at__isnull=True)
        .order_by("id")
        .values_list("id", "customer_id")
    ):
        owner = orgs.get(customer_id or unit_id)
        if owner is not None:
            owner.units.append(unit_id)
    for contact_id, customer_id in (
        Contact.objects.filter(status="active").order_by("id").values_list("id", "customer_id")
    ).iterator(chunk_size=BATCH):
        owner = orgs.get(customer_id)
        if owner is not None:
            owner.contacts.append(contact_id)
    became: dict[int, datetime] = dict(
        LifecycleChange.objects.filter(stage="customer")
        .order_by()
        .values("customer_id")
        .annotate(first=Min("changed_at"))
        .values_list("customer_id", "first")
    )
    left: dict[int, datetime] = dict(
        LifecycleChange.objects.filter(stage__in=["lost", "dormant"])
        .order_by()
        .values("customer_id")
        .annotate(first=Min("changed_at"))
        .values_list("customer_id", "first")
    )
    managers = list(
        User.objects.filter(role=Role.MANAGER, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    reps = list(
        User.objects.filter(role__in=[Role.REP, Role.MANAGER], is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    staff_fallback = list(
        User.objects.filter(role=Role.ADMIN).order_by("id").values_list("id", flat=True)
    )
    managers = managers or staff_fallback
    reps = reps or staff_fallback

    # ---- who they are: size, needs profile, buying behaviour ------------------------
    all_orgs = list(orgs.values())
    log_ix = np.log1p(np.array([o.interactions for o in all_orgs], dtype=np.float64))
    z_ix = (log_ix - log_ix.mean()) / (log_ix.std() or 1.0)
    noise = nrng.standard_normal(len(all_orgs))
    profile_weights = [p["weight"] for p in NEEDS_PROFILES]
    for org, z, e in zip(all_orgs, z_ix, noise, strict=True):
        org.profile = rng.choices(range(len(NEEDS_PROFILES)), weights=profile_weights)[0]
        profile = NEEDS_PROFILES[org.profile]
        org.size = math.exp(1.1 * float(z) + 0.8 * float(e)) * profile["size"]
        mix = [0.15] * N_CAT
        for name, w in profile["mix"].items():
            mix[CATEGORY_NAMES.index(name)] += w
        # Each organisation buys from a few categories only: the rest is whitespace.
        keep = rng.randint(2, 6)
        ranked = sorted(range(N_CAT), key=lambda c: -mix[c] * rng.random())
        org.categories = sorted(ranked[:keep])
        org.mix = [
            mix[c] * rng.uniform(0.5, 1.5) if c in org.categories else 0.0 for c in range(N_CAT)
        ]
        org.discount = profile["discount"] * rng.uniform(0.3, 1.7)
        org.rate = rng.gammavariate(2.0, 0.5) * org.size**0.35  # relative orders a year
        org.dropout = (
            rng.betavariate(0.6, 60.0) if org.stage == "customer" else rng.betavariate(1.0, 12.0)
        )
        org.spend = org.size**0.65 * rng.lognormvariate(0.0, 0.3)
        first = became.get(org.id)
        acquired = (first.date() - today).days if first else -rng.randint(60, HISTORY_DAYS)
        org.acquired = max(-HISTORY_DAYS, min(-30, acquired))
        gone = left.get(org.id)
        if org.stage == "lost":
            org.stop = (gone.date() - today).days if gone else -rng.randint(180, 700)
        elif org.stage == "dormant":
            org.stop = -rng.randint(270, 500)
        org.stop = min(0, max(org.stop, org.acquired + 60))

    buying = [o for o in all_orgs if o.stage in BUYING_STAGES]
    # A handful with much interaction and little business: below zero after cost to serve.
    busy = sorted(buying, key=lambda o: (-o.interactions, o.id))[: max(2, len(buying) // 2)]
    for org in rng.sample(busy, min(len(busy), max(2, round(len(buying) * 0.03)))):
        org.unprofitable = True
        org.size *= 0.08
        org.spend = org.size**0.65 * 0.5
        org.rate *= 0.6
        org.discount = rng.uniform(0.22, 0.35)
        org.profile = 1  # cost-driven
        org.stop = 0

    target_lines = LINES_PER_ORGANISATION * len(all_orgs)
    orders = _orders(buying, rng, target_lines)
    lines = _order_lines(orders, orgs, cat_ids, nrng, today, target_lines, progress)
    revenue_by_org_cat = lines.pop("_revenue_12m")
    n_subscriptions = _subscriptions(buying, rng, cat_ids, today)
    n_wallets = _wallets(buying, rng, cat_ids, revenue_by_org_cat, reps, now)
    n_judgements = _judgements(buying, rng, managers, lines["_revenue"], now)
    n_needs = _needs(all_orgs, rng, reps, now, today)
    progress(
        f"value: {lines['order_lines']:,} order lines, {n_subscriptions:,} subscriptions, "
        f"{n_wallets:,} wallet estimates, {n_judgements:,} judgements, {n_needs:,} need facts "
        f"({time.perf_counter() - t_start:.1f} s)"
    )
    return {
        "product_categories": len(cat_ids),
        "order_lines": lines["order_lines"],
        "subscriptions": n_subscriptions,
        "wallet_estimates": n_wallets,
        "judgement_scores": n_judgements,
        "need_facts": n_needs,
    }


# --------------------------------------------------------------------------------------
# Orders: BG/NBD repeat buying
# --------------------------------------------------------------------------------------


def _simulate(buying: list[_Org], seed: int, scale: float) -> list[tuple[int, int]]:
    """(organisation index, day offset) of every order; ``scale`` multiplies the rates."""
    rng = random.Random(seed)
    out: list[tuple[int, int]] = []
    for i, org in enumerate(buying):
        per_day = org.rate * scale / 365.0
        t = float(org.acquired)
        stop = org.stop
        out.append((i, int(t)))
        while rng.random() >= org.dropout:  # survives this purchase
            t += rng.expovariate(per_day)
            if t >= stop:
                break
            if org.stage == "at_risk" and t > -200 and rng.random() < 0.6:
                continue  # slowing down
            out.append((i, int(t)))
    return out


def _orders(buying: list[_Org], rng: random.Random, target_lines: int) -> list[tuple[int, int]]:
    """Orders with about four lines each on average: the rates are calibrated once."""
    if not buying:
        return []
    seed = rng.randrange(1 << 30)
    trial = _simulate(buying, seed, 10.0)
    wanted = target_lines / 4.2
    scale = 10.0 * wanted / max(1, len(trial))
    orders = _simulate(buying, seed, scale)
    if len(orders) > target_lines:  # never more orders than lines
        orders = orders[:target_lines]
    return orders


def _order_lines(
    orders: list[tuple[int, int]],
    orgs: dict[int, _Org],
    cat_ids: dict[str, int],
    nrng: np.random.Generator,
    today: date,
    target_lines: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Spread the exact number of lines over the orders and write them."""
    buying = [o for o in orgs.values() if o.stage in BUYING_STAGES]
    n_orders = len(orders)
    if not n_orders:
        return {"order_lines": 0, "_revenue": {}, "_revenue_12m": {}}
    org_ix = np.fromiter((i for i, _ in orders), dtype=np.int64, count=n_orders)
    day = np.fromiter((d for _, d in orders), dtype=np.int64, count=n_orders)
    spend = np.array([o.spend for o in buying])
    # Gamma-Gamma: each order's value is gamma around the organisation's own mean.
    base = 18_000.0
    value = base * spend[org_ix] * nrng.gamma(3.0, 1.0 / 3.0, n_orders)
    # Lines per order: exactly target_lines in all, larger orders have more lines.
    weights = np.sqrt(value)
    extra = target_lines - n_orders
    counts = np.ones(n_orders, dtype=np.int64)
    if extra > 0:
        share = weights / weights.sum() * extra
        floor = np.floor(share).astype(np.int64)
        counts += floor
        rest = extra - int(floor.sum())
        if rest:
            counts[np.argsort(-(share - floor), kind="stable")[:rest]] += 1
    n = int(counts.sum())
    line_order = np.repeat(np.arange(n_orders), counts)
    line_org = org_ix[line_order]
    # Category of each line from the organisation's mix.
    mix = np.array([o.mix for o in buying], dtype=float)
    cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    u = nrng.random(n)
    cat = np.minimum((u[:, None] > cum[line_org]).sum(axis=1), N_CAT - 1)
    # Revenue: the order's value split over its lines.
    w = nrng.exponential(1.0, n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sums = np.add.reduceat(w, starts)
    revenue = np.maximum(1.0, value[line_order] * w / sums[line_order])
    cost_ratio = np.array([CATEGORIES[c][1] for c in CATEGORY_NAMES])[cat]
    cost_ratio = cost_ratio * np.clip(nrng.normal(1.0, 0.08, n), 0.7, 1.3)
    unprofitable = np.array([o.unprofitable for o in buying])[line_org]
    cost_ratio = np.where(unprofitable, np.clip(cost_ratio * 1.6, 0.85, 0.97), cost_ratio)
    cost = np.round(revenue * np.minimum(cost_ratio, 1.2), 2)
    disc_rate = np.array([o.discount for o in buying])[line_org] * nrng.uniform(0.5, 1.5, n)
    disc_rate = np.where(nrng.random(n) < np.where(unprofitable, 0.05, 0.4), 0.0, disc_rate)
    disc_rate = np.minimum(disc_rate, 0.45)
    discount = np.round(revenue * disc_rate / (1.0 - disc_rate), 2)
    revenue = np.round(revenue, 2)
    unit_price = np.array([CATEGORIES[c][2] for c in CATEGORY_NAMES])[cat]
    quantity = np.maximum(1, np.round(revenue / (unit_price * nrng.lognormal(0.0, 0.3, n))))
    product = cat * 4 + nrng.integers(0, 4, n)
    # Each order goes to one unit of the organisation.
    unit_counts = np.array([len(o.units) for o in buying])
    unit_offsets = np.concatenate(([0], np.cumsum(unit_counts)[:-1]))
    flat_units = np.array([u for o in buying for u in o.units], dtype=np.int64)
    # The head office orders a third of the time, the rest spreads over the units.
    pick = np.where(
        nrng.random(n_orders) < 0.35,
        0,
        np.floor(nrng.random(n_orders) * unit_counts[org_ix]).astype(np.int64),
    )
    order_unit = flat_units[unit_offsets[org_ix] + pick]

    products = [p for name in CATEGORY_NAMES for p in CATEGORIES[name][3]]
    cat_pk = [cat_ids[name] for name in CATEGORY_NAMES]
    customer_pk = [o.id for o in buying]
    day_cache: dict[int, str] = {}
    order_day = [_day(today, int(d), day_cache) for d in day.tolist()]
    order_ref = [f"SO-{k + 1:07d}" for k in range(n_orders)]
    fields = (
        "created_at",
        "updated_at",
        "customer_id", "account_id", "ordered_on", "order_ref", "product", "category_id",
        "quantity", "revenue", "cost", "discount", "source",
    )  # fmt: skip
    from rapport.demo import _indexes_rebuilt_after, _Writer

    writer = _Writer()
    stamp = writer.ts(int(time.time()))
    source = str(TransactionSource.DEMO)
    cols = (
        line_order.tolist(),
        line_org.tolist(),
        cat.tolist(),
        product.tolist(),
        quantity.tolist(),
        revenue.tolist(),
        cost.tolist(),
        discount.tolist(),
    )
    order_unit_l = order_unit.tolist()
    t0 = time.perf_counter()
    ctx = _indexes_rebuilt_after([OrderLine], progress) if n >= BULK_LOAD_MIN else nullcontext()
    with ctx:
        for start in range(0, n, LINE_BATCH):
            stop = min(n, start + LINE_BATCH)
            rows = [
                (
                    stamp,
                    stamp,
                    customer_pk[oi],
                    order_unit_l[o],
                    order_day[o],
                    order_ref[o],
                    products[p],
                    cat_pk[c],
                    q,
                    r,
                    k,
                    d,
                    source,
                )
                for o, oi, c, p, q, r, k, d in zip(*(col[start:stop] for col in cols), strict=True)
            ]
            writer.write(OrderLine, fields, rows)
    progress(
        f"value: {n:,} order lines over {n_orders:,} orders written in {time.perf_counter() - t0:.1f} s"
    )
    # What each organisation bought: in all, and per category over the last 12 months.
    total_by_org = np.bincount(line_org, weights=revenue, minlength=len(buying))
    recent = day[line_order] >= -365
    by_cat = np.zeros((len(buying), N_CAT))
    np.add.at(by_cat, (line_org[recent], cat[recent]), revenue[recent])
    return {
        "order_lines": n,
        "_revenue": {o.id: float(total_by_org[i]) for i, o in enumerate(buying)},
        "_revenue_12m": {o.id: by_cat[i] for i, o in enumerate(buying)},
    }


# --------------------------------------------------------------------------------------
# Subscriptions and service contracts: yearly renewals, sBG churn
# --------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, min(day.day, 28))


def _subscriptions(
    buying: list[_Org], rng: random.Random, cat_ids: dict[str, int], today: date
) -> int:
    rows: list[Subscription] = []
    ranked = sorted(buying, key=lambda o: o.size)
    pct = {o.id: (i + 0.5) / len(ranked) for i, o in enumerate(ranked)}
    names = list(CONTRACT_CATEGORIES)
    for org in buying:
        if org.unprofitable or rng.random() > 0.2 + 0.6 * pct[org.id]:
            continue
        for k in range(1 + min(3, int(rng.expovariate(1.0) * (0.5 + pct[org.id])))):
            category = rng.choice(names)
            pattern = rng.choice(CONTRACT_CATEGORIES[category])
            name = pattern.format(n=rng.choice([5, 10, 20, 25, 50, 100, 200]))
            earliest = org.acquired
            latest = min(org.stop, 0) - 20
            if latest <= earliest:
                continue
            start_offset = rng.randint(earliest, latest)
            if rng.random() < 0.03 and org.stage == "customer":
                start_offset = rng.randint(5, 60)  # signed, not started yet
            started = today + timedelta(days=start_offset)
            period = rng.choices(
                [BillingPeriod.MONTH, BillingPeriod.QUARTER, BillingPeriod.YEAR], [55, 10, 35]
            )[0]
            months = {"month": 1, "quarter": 3, "year": 12}[period]
            monthly = 120.0 * (org.size**0.5) * rng.lognormvariate(0.0, 0.5) * (k + 1) ** -0.3
            revenue = round(monthly * months, 2)
            ratio = CATEGORIES[category][1] * rng.uniform(0.8, 1.2)
            # Yearly renewals; at each, churn with the contract's own probability (sBG).
            churn = rng.betavariate(1.2, 6.0)
            if org.stage in ("lost", "dormant"):
                churn = max(churn, 0.6)
            status, cancelled_on = SubscriptionStatus.ACTIVE, None
            term_end = _add_months(started, 12)
            stop_day = today + timedelta(days=min(org.stop, 0))
            if started > today:
                status = SubscriptionStatus.PENDING
            else:
                while term_end <= today:
                    if rng.random() < churn or term_end > stop_day:
                        status = SubscriptionStatus.CANCELLED
                        cancelled_on = term_end - timedelta(days=rng.randint(10, 60))
                        cancelled_on = max(cancelled_on, started)
                        break
                    term_end = _add_months(term_end, 12)
                if status == SubscriptionStatus.ACTIVE and org.stage in ("lost", "dormant"):
                    status = SubscriptionStatus.EXPIRED
                    term_end = min(term_end, stop_day) if stop_day > started else term_end
            active = status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING)
            rows.append(
                Subscription(
                    customer_id=org.id,
                    account_id=rng.choice(org.units),
                    name=name,
                    category_id=cat_ids[category],
                    started_on=started,
                    ends_on=term_end,
                    renewal_on=term_end if active else None,
                    billing_period=period,
                    recurring_revenue=revenue,
                    recurring_cost=round(revenue * ratio, 2),
                    status=status,
                    cancelled_on=cancelled_on,
                    source=TransactionSource.DEMO,
                )
            )
    Subscription.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


# --------------------------------------------------------------------------------------
# Wallets: what they told us and what the reps think; the rest is left to the model
# --------------------------------------------------------------------------------------


def _wallets(
    buying: list[_Org],
    rng: random.Random,
    cat_ids: dict[str, int],
    revenue_12m: dict[int, Any],
    reps: list[int],
    now: datetime,
) -> int:
    current: list[WalletEstimate] = []
    older: list[WalletEstimate] = []
    for org in buying:
        if org.stage == "lost" or org.unprofitable or rng.random() > 0.45:
            continue
        ours = revenue_12m.get(org.id)
        if ours is None:
            continue
        scale = max(1_000.0, float(sum(ours)))
        for c in range(N_CAT):
            if rng.random() > 0.55:
                continue
            if ours[c] > 0:
                wallet = ours[c] / rng.betavariate(2.2, 2.5)  # our share: 10%-90%
            else:  # whitespace: they buy it elsewhere, or not at all
                if rng.random() < 0.3:
                    continue
                wallet = scale * rng.uniform(0.05, 0.4)
            said = rng.random() < 0.35 and bool(org.contacts)
            sources = [WalletSource.CUSTOMER_SAID if said else WalletSource.REP_ESTIMATED]
            if said and rng.random() < 0.25:
                sources.append(WalletSource.REP_ESTIMATED)  # both, different figures
            for source in sources:
                spread = 0.1 if source == WalletSource.CUSTOMER_SAID else 0.35
                amount = _round_sig(wallet * rng.lognormvariate(0.0, spread))
                at = now - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 600))
                estimate = WalletEstimate(
                    customer_id=org.id,
                    account_id=org.id,
                    category_id=cat_ids[CATEGORY_NAMES[c]],
                    annual_amount=amount,
                    source=source,
                    note=rng.choice(WALLET_NOTES[source]),
                    said_by_id=rng.choice(org.contacts)
                    if source == WalletSource.CUSTOMER_SAID
                    else None,
                    estimated_by_id=org.manager
                    if org.manager and rng.random() < 0.5
                    else rng.choice(reps),
                    estimated_at=at,
                )
                current.append(estimate)
                if source == WalletSource.REP_ESTIMATED and rng.random() < 0.15:
                    older.append(
                        WalletEstimate(
                            customer_id=org.id,
                            account_id=org.id,
                            category_id=estimate.category_id,
                            annual_amount=_round_sig(amount * rng.uniform(0.6, 1.3)),
                            source=source,
                            note="Earlier estimate, before the site survey.",
                            estimated_by_id=estimate.estimated_by_id,
                            estimated_at=at - timedelta(days=rng.randint(120, 400)),
                            superseded_at=at,
                        )
                    )
    WalletEstimate.objects.bulk_create(older + current, batch_size=BATCH)
    return len(current) + len(older)


# --------------------------------------------------------------------------------------
# Judgement scores: managers on the largest accounts, and a few small strategic ones
# --------------------------------------------------------------------------------------


def _judgements(
    buying: list[_Org],
    rng: random.Random,
    managers: list[int],
    revenue: dict[int, float],
    now: datetime,
) -> int:
    if not managers:
        return 0
    ranked = sorted(
        (o for o in buying if o.stage != "lost"), key=lambda o: (-revenue.get(o.id, 0.0), o.id)
    )
    if not ranked:
        return 0
    top = ranked[: max(3, len(ranked) // 12)]
    rest = ranked[max(len(top), len(ranked) // 2) :]
    small = rng.sample(rest, min(len(rest), max(1, len(ranked) // 50)))
    rows: list[JudgementScore] = []
    for org in top + small:
        weak = org in top and rng.random() < 0.15
        reason = (rng.choice(WEAK_REASONS) if weak else rng.choice(STRONG_REASONS)).format(
            industry=org.industry.lower(), country=org.country or "the region"
        )
        score = rng.randint(15, 35) if weak else rng.randint(60, 95)
        author = org.manager if org.manager in managers else rng.choice(managers)
        judged = now - timedelta(days=rng.randint(3, 200), minutes=rng.randint(0, 600))
        if rng.random() < 0.2:
            rows.append(
                JudgementScore(
                    customer_id=org.id,
                    score=max(0, min(100, score + rng.choice([-20, -10, 10]))),
                    reason="Before the last account review: " + reason[0].lower() + reason[1:],
                    author_id=author,
                    judged_at=judged - timedelta(days=rng.randint(90, 300)),
                    superseded_at=judged,
                )
            )
        rows.append(
            JudgementScore(
                customer_id=org.id, score=score, reason=reason, author_id=author, judged_at=judged
            )
        )
    JudgementScore.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


# --------------------------------------------------------------------------------------
# Needs: answers to the catalogue's need questions, drawn from latent profiles
# --------------------------------------------------------------------------------------


def _answer(attribute: Attribute, profile: dict[str, Any], rng: random.Random) -> Any:
    wanted = profile["needs"].get(attribute.key)
    if wanted and rng.random() < 0.8:
        value = rng.choices(list(wanted), weights=list(wanted.values()))[0]
    elif attribute.value_type == "boolean":
        value = rng.random() < 0.5
    elif attribute.value_type == "multi_choice":
        value = tuple(rng.sample(attribute.choices, rng.randint(1, 2)))
    else:
        value = rng.choice(attribute.choices)
    if isinstance(value, tuple):
        return sorted(value, key=attribute.choices.index)
    return value


def _write_facts(rows: list[Fact]) -> None:
    """Write facts straight into the table (COPY on PostgreSQL): no model round trips."""
    from rapport.demo import _Writer

    writer = _Writer()
    stamp = writer.ts(int(time.time()))
    fields = (
        "created_at", "updated_at", "customer_id", "account_id", "attribute_id", "value",
        "display", "source", "said_by_id", "recorded_by_id", "recorded_at", "confidence",
        "valid_from",
    )  # fmt: skip
    out = [
        (
            stamp,
            stamp,
            f.customer_id,
            f.account_id,
            f.attribute_id,
            json.dumps(f.value),
            f.display,
            f.source,
            f.said_by_id,
            f.recorded_by_id,
            writer.ts(int(f.recorded_at.timestamp())),
            f.confidence,
            f.valid_from.isoformat(),
        )
        for f in rows
    ]
    for start in range(0, len(out), LINE_BATCH):
        writer.write(Fact, fields, out[start : start + LINE_BATCH])


def _needs(
    all_orgs: list[_Org], rng: random.Random, reps: list[int], now: datetime, today: date
) -> int:
    """Need facts for most organisations; an earlier random answer is superseded, not lost."""
    needs = list(
        Attribute.objects.filter(kind=AttributeKind.NEED, deleted_at__isnull=True).order_by("key")
    )
    if not needs or not reps:
        return 0
    rows: list[Fact] = []
    for org in all_orgs:
        answered = 0.9 if org.stage in BUYING_STAGES else 0.45
        if rng.random() > answered:
            continue
        profile = NEEDS_PROFILES[org.profile]
        known = rng.sample(needs, rng.randint(max(2, len(needs) - 3), len(needs)))
        places = [org.id]
        if len(org.units) > 1 and rng.random() < 0.5:
            places.append(rng.choice(org.units[1:]))
        for attribute in sorted(known, key=lambda a: a.key):
            for account_id in places if attribute.level == "unit" else [org.id]:
                value = _answer(attribute, profile, rng)
                questionnaire = rng.random() < 0.3 and bool(org.contacts)
                age = int(rng.expovariate(1 / 150))
                rows.append(
                    Fact(
                        customer_id=org.id,
                        account_id=account_id,
                        attribute=attribute,
                        value=value,
                        display=display_value(attribute, value),
                        source=FactSource.QUESTIONNAIRE if questionnaire else FactSource.USER,
                        said_by_id=rng.choice(org.contacts) if org.contacts else None,
                        recorded_by_id=None if questionnaire else rng.choice(reps),
                        recorded_at=now
                        - timedelta(days=min(age, 700), minutes=rng.randint(0, 1440)),
                        confidence=100 if questionnaire else 80,
                        valid_from=today - timedelta(days=min(age, 700)),
                    )
                )
    # Answers already there for the same need and unit (from an earlier load) are
    # superseded by the new ones, in two set-based updates: marked, then linked.
    keys = {(f.attribute_id, f.account_id) for f in rows}
    earlier: list[int] = []
    latest: dict[tuple[int, int], datetime] = {}
    for pk, attribute_id, account_id, recorded_at in Fact.objects.filter(
        attribute__in=needs, contact__isnull=True, superseded_at__isnull=True
    ).values_list("id", "attribute_id", "account_id", "recorded_at"):
        if (attribute_id, account_id) in keys:
            earlier.append(pk)
            latest[(attribute_id, account_id)] = recorded_at
    marker = now - timedelta(days=3 * 365, microseconds=now.microsecond + 1)
    for start in range(0, len(earlier), BATCH):
        Fact.objects.filter(pk__in=earlier[start : start + BATCH]).update(superseded_at=marker)
    for row in rows:  # the new answer is never older than the one it replaces
        before = latest.get((row.attribute_id, row.account_id))
        if before is not None and row.recorded_at <= before:
            row.recorded_at = min(now, before + timedelta(minutes=1))
    _write_facts(rows)
    if earlier:
        newer = Fact.objects.filter(
            attribute_id=OuterRef("attribute_id"),
            account_id=OuterRef("account_id"),
            contact__isnull=True,
            superseded_at__isnull=True,
        )
        Fact.objects.filter(
            attribute__in=needs, superseded_at=marker, superseded_by__isnull=True
        ).update(
            superseded_by=Subquery(newer.values("pk")[:1]),
            superseded_at=Subquery(newer.values("recorded_at")[:1]),
        )
    return len(rows)


# --------------------------------------------------------------------------------------
# Recompute, with history for the tier-migration picture
# --------------------------------------------------------------------------------------


def recompute_with_history(progress: Callable[[str], None]) -> int:
    """Run the value, tier and segment models so the pages show results out of the box.

    Runs the value and tier models first at one year and at six months ago (over the
    order history as it stood then), then everything now, so tiers have a history.
    Returns the number of runs; 0 when the models are not installed.
    """
    try:
        from rapport.valuation import runners
    except ImportError:
        progress("value: no recompute runners yet, skipped")
        return 0
    t0 = time.perf_counter()
    now = timezone.now()
    steps: list[tuple[str, Callable[[], Any]]] = []
    value_recompute = getattr(runners, "value_recompute", None)
    tiers_recompute = getattr(runners, "tiers_recompute", None)
    if value_recompute is not None and tiers_recompute is not None:
        for months in (12, 6):
            then = now - timedelta(days=round(months * 365 / 12))
            steps.append((f"value {months} months ago", partial(value_recompute, now=then)))
            steps.append((f"tiers {months} months ago", partial(tiers_recompute, now=then)))
    for only in ("value", "tiers", "segments"):
        steps.append((f"{only} now", partial(runners.recompute, only=only)))
    runs = 0
    for name, step in steps:
        started = time.perf_counter()
        try:
            result = step()
        except Exception as exc:  # a model failing must not lose the demo data
            progress(f"value: {name} failed: {exc}")
            continue
        done = [r for r in (result if isinstance(result, list) else [result]) if r is not None]
        failed = [r for r in done if getattr(r, "status", "done") != "done"]
        runs += len(done) - len(failed)
        for run in failed:
            progress(f"value: {name} failed: {run.error}")
        progress(f"value: {name} in {time.perf_counter() - started:.1f} s")
    progress(f"value: {runs} model runs in {time.perf_counter() - t0:.1f} s")
    return runs


def has_value_data() -> bool:
    """Whether the database already holds the value demo (order lines)."""
    return OrderLine.objects.exists()
