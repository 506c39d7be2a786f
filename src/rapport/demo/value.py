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

import math
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
from django.db.models import Min
from django.utils import timezone

from rapport.accounts.models import (
    Account,
    Contact,
    LifecycleChange,
)
from rapport.core.models import Role, User
from rapport.demo.buying import (
    BATCH,
    BULK_LOAD_MIN,
    BUYING_STAGES,
    CATEGORIES,
    CATEGORY_NAMES,
    CONTRACT_CATEGORIES,
    LINE_BATCH,
    LINES_PER_ORGANISATION,
    N_CAT,
    NEEDS_PROFILES,
    Org,
    categories,
    day_iso,
)
from rapport.demo.needs import judgements, needs, wallets
from rapport.demo.sizes import HISTORY_DAYS
from rapport.demo.writer import Writer, indexes_rebuilt_after
from rapport.valuation.models import (
    BillingPeriod,
    OrderLine,
    Subscription,
    SubscriptionStatus,
    TransactionSource,
)


def generate(*, seed: int, progress: Callable[[str], None]) -> dict[str, int]:
    """Write the value demo rows for every organisation in the database; returns counts."""
    t_start = time.perf_counter()
    rng = random.Random(seed * 104_729 + 31)
    nrng = np.random.default_rng(seed * 7_919 + 5)
    now = timezone.now()
    today = now.date()
    cat_ids = categories()

    orgs: dict[int, Org] = {}
    for pk, stage, country, industry, manager_id, interactions in (
        Account.objects.filter(depth=1, deleted_at__isnull=True)
        .order_by("id")
        .values_list(
            "id", "lifecycle_stage", "country", "industry", "manager_id", "interaction_count"
        )
    ):
        org = orgs[pk] = Org(pk)
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
    n_wallets = wallets(buying, rng, cat_ids, revenue_by_org_cat, reps, now)
    n_judgements = judgements(buying, rng, managers, lines["_revenue"], now)
    n_needs = needs(all_orgs, rng, reps, now, today)
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


def _simulate(buying: list[Org], seed: int, scale: float) -> list[tuple[int, int]]:
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


def _orders(buying: list[Org], rng: random.Random, target_lines: int) -> list[tuple[int, int]]:
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
    orgs: dict[int, Org],
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
    order_day = [day_iso(today, int(d), day_cache) for d in day.tolist()]
    order_ref = [f"SO-{k + 1:07d}" for k in range(n_orders)]
    fields = (
        "created_at",
        "updated_at",
        "customer_id", "account_id", "ordered_on", "order_ref", "product", "category_id",
        "quantity", "revenue", "cost", "discount", "source",
    )  # fmt: skip
    writer = Writer()
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
    ctx = indexes_rebuilt_after([OrderLine], progress) if n >= BULK_LOAD_MIN else nullcontext()
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
    buying: list[Org], rng: random.Random, cat_ids: dict[str, int], today: date
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
