"""Recompute what every organisation is worth, its share of customer, and its tier (D2 to D5).

One runner per analysis, as everywhere in Rapport: load in bulk (grouped SQL and
`values_list`, never one ORM object per row), call the pure models of `rapport.analytics`,
store the results stamped with the model's name, version and run.

**Value** (`value_recompute`), per organisation (the top of an account tree):

* *Past margin*: revenue minus cost of goods of its order lines, over the last 12 months
  and over its lifetime, plus the recurring margin its subscriptions billed in the last
  12 months.
* *Predicted order value*: BG/NBD (repeat buying) and Gamma-Gamma (spend per purchase),
  fitted on the whole base at once — a B2B account with three orders says little on its
  own, the base says how such accounts behave. Purchases are counted in weeks. The
  expected purchases over the horizon are discounted month by month at the discount rate,
  and each is worth the Gamma-Gamma spend times the organisation's own margin ratio.
* *Predicted contract value*: shifted-beta-geometric retention fitted on every
  subscription's months survived (cancelled and expired ones churned); each active
  contract's monthly margin times its discounted expected months to come within the horizon.
* *Share of customer*: per category, our revenue of the last 12 months / the wallet, where
  the wallet is the customer's own figure, else the rep's estimate, else one modelled from
  similar accounts (`rapport.analytics.wallets`, written as a "modelled" WalletEstimate
  only when the figure changed, so history is not flooded); whitespace where they spend
  and we sell nothing; unrealised wallet = Σ max(wallet - our revenue, 0).
* *Growth potential*: how much more margin a year the model predicts than the last 12
  months brought (never below zero). *Strategic value* (the model's figure) = unrealised
  wallet + growth potential. The manager's judgement is stored apart and shown beside it.
* *Cost to serve*: `rapport.valuation.costs` (interactions by channel, discounts).

**Tiers** (`tiers_recompute`) apply `rapport.analytics.tiers` to the current values and the
current judgements. **`recompute`** runs value → tiers → needs segments.

Settings, read at run time: `RAPPORT_VALUE_DISCOUNT_RATE` (a year, default 0.10),
`RAPPORT_VALUE_HORIZON_YEARS` (default 3), `RAPPORT_WALLET_NEIGHBOURS` (default 5), and the
cost-to-serve tables of `costs.py`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone
from numpy.typing import NDArray

from rapport.accounts.models import Account
from rapport.analytics import btyd, clv, retention, tiers, wallets
from rapport.core import runs
from rapport.core.errors import InvalidInput
from rapport.core.models import Run, User
from rapport.valuation.costs import cost_per_hour, costs_to_serve, minutes_per_channel
from rapport.valuation.models import (
    MONTHS_PER_PERIOD,
    AccountValue,
    BillingPeriod,
    CategoryShare,
    JudgementScore,
    ModelRun,
    OrderLine,
    ProductCategory,
    RunKind,
    Subscription,
    SubscriptionStatus,
    TierAssignment,
    WalletEstimate,
    WalletSource,
)

logger = logging.getLogger(__name__)

VALUE_MODEL = "bgnbd-gammagamma-sbg"
VALUE_VERSION = "1"
BATCH = 2000
WINDOW_DAYS = 365
# A year of 365 days is 12 months exactly, so a full window bills 12 months.
DAYS_PER_MONTH = 365 / 12
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# A BG/NBD or Gamma-Gamma fit needs some repeat buying to learn from.
MIN_CUSTOMERS_TO_FIT = 3

Progress = runs.Progress
T = TypeVar("T")


def discount_rate() -> float:
    """The yearly discount rate of future margin (settings, default 10 %)."""
    return float(getattr(settings, "RAPPORT_VALUE_DISCOUNT_RATE", 0.10))


def horizon_years() -> float:
    """How many years ahead predicted value looks (settings, default 3)."""
    return float(getattr(settings, "RAPPORT_VALUE_HORIZON_YEARS", 3.0))


def wallet_neighbours() -> int:
    """How many similar accounts a modelled wallet rests on at most (settings, default 5)."""
    return int(getattr(settings, "RAPPORT_WALLET_NEIGHBOURS", wallets.DEFAULT_NEIGHBOURS))


# --- runs and progress -------------------------------------------------------------------


class Analysis(runs.Runner):
    """A value, tiers or segments run: the core run, and the ModelRun its rows point to."""

    def __init__(
        self, run: Run, *, progress: Progress | None = None, now: datetime | None = None
    ) -> None:
        super().__init__(run, progress=progress)
        self.now = now or timezone.now()

    @classmethod
    def _prepare(cls, run: Run, **options: Any) -> None:
        ModelRun.objects.create(run=run, kind=cls.job)

    @property
    def model_run(self) -> ModelRun:
        return self.run.model_run


def run_queue(*, kind: str, triggered_by: User | None = None) -> ModelRun:
    """A queued run of one analysis, to be picked up by a task."""
    runner = runs.RUNNERS[RunKind(kind).value]
    return runner.queue(started_by=triggered_by).model_run


def _carry_out(
    runner: type[Analysis],
    *,
    run: ModelRun | None,
    triggered_by: User | None,
    now: datetime | None,
    progress: Progress | None,
) -> ModelRun:
    """Carry out a queued run, or a new one; the ModelRun, failed or done (failures re-raise)."""
    model_run = run or run_queue(kind=runner.job, triggered_by=triggered_by)
    runner(model_run.run, progress=progress, now=now).execute()
    return model_run


def _batches(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _cents(value: Any) -> float | None:
    """A money figure as stored by the bulk inserts: rounded to cents; None stays None."""
    if value is None:
        return None
    number = float(value)
    return round(number, 2) if np.isfinite(number) else 0.0


def _cents_of(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Money figures rounded to cents, NaN and infinities as 0 (vectorised `_cents`)."""
    return np.round(np.nan_to_num(np.asarray(values, dtype=float), posinf=0.0, neginf=0.0), 2)


def _nullable(values: NDArray[Any], present: NDArray[np.bool_]) -> list[Any]:
    """Python values, None where not present."""
    return [v if p else None for v, p in zip(values.tolist(), present.tolist(), strict=True)]


def _insert(model: type[Any], columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert a run's result rows with executemany, a batch at a time: no model objects.

    Values must be ready for the database: money as floats rounded to cents (the numeric
    columns take them), datetimes through `connection.ops.adapt_datetimefield_value`.
    """
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES ({marks})"
    )
    count = 0
    with connection.cursor() as cursor:
        for chunk in _batches(rows, BATCH):
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


# --- loading -----------------------------------------------------------------------------


class _Base:
    """The organisations being valued: ids in order, their industries, and an index by id."""

    def __init__(self) -> None:
        rows = list(
            Account.objects.filter(depth=1, deleted_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "industry")
        )
        self.ids = np.array([pk for pk, _ in rows], dtype=np.int64)
        self.industry = [industry for _, industry in rows]
        self.index = {int(pk): i for i, pk in enumerate(self.ids)}

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def positions(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Index of each id in the base, -1 for organisations not in it (deleted)."""
        found = np.searchsorted(self.ids, ids)
        found = np.clip(found, 0, max(self.size - 1, 0))
        hit = self.ids[found] == ids if self.size else np.zeros(ids.shape, dtype=bool)
        return np.where(hit, found, -1)


class _Orders:
    """Every live order line as columns: organisation, day, revenue, cost, category.

    One sequential read of the table, cast to floats and whole days in SQL and taken in
    chunks of 100,000 rows into numpy (no model objects, no Decimals): grouping by week,
    year and category is numpy's work.
    """

    CHUNK = 100_000

    def __init__(self, today: date) -> None:
        table = OrderLine._meta.db_table
        if connection.vendor == "postgresql":
            day = "(ordered_on - DATE '1970-01-01')"
        else:
            day = "CAST(julianday(ordered_on) - 2440587.5 AS INTEGER)"
        sql = (
            f"SELECT customer_id, {day}, CAST(revenue AS DOUBLE PRECISION), "
            f"CAST(cost AS DOUBLE PRECISION), category_id FROM {table} "
            "WHERE deleted_at IS NULL AND ordered_on <= %s"
        )
        chunks = []
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [today])
            while rows := cursor.fetchmany(self.CHUNK):
                chunks.append(np.array(rows, dtype=float).reshape(len(rows), 5))
        data = np.concatenate(chunks) if chunks else np.zeros((0, 5))
        self.customer = data[:, 0].astype(np.int64)
        self.day = data[:, 1].astype(np.int64)
        self.revenue = data[:, 2]
        self.cost = data[:, 3]
        self.category = data[:, 4].astype(np.int64)


def _category_positions(category_ids: list[int], ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """Column of each category id in the organisations-by-categories matrices (-1: unknown)."""
    known = np.asarray(category_ids, dtype=np.int64)
    if known.size == 0:
        return np.full(ids.shape, -1, dtype=np.int64)
    found = np.clip(np.searchsorted(known, ids), 0, known.size - 1)
    return np.where(known[found] == ids, found, -1)


class _Contracts:
    """Subscriptions as arrays: who, which category, months survived, churned, monthly margin."""

    def __init__(self, base: _Base, categories: dict[int, int], start: date, today: date):
        customer, category, months, churned, live = [], [], [], [], []
        monthly_revenue, monthly_margin, window_months = [], [], []
        for (
            customer_id,
            category_id,
            started_on,
            ends_on,
            cancelled_on,
            status,
            period,
            recurring_revenue,
            recurring_cost,
        ) in (
            Subscription.live.order_by()
            .values_list(
                "customer_id",
                "category_id",
                "started_on",
                "ends_on",
                "cancelled_on",
                "status",
                "billing_period",
                "recurring_revenue",
                "recurring_cost",
            )
            .iterator(chunk_size=20_000)
        ):
            if started_on > today:
                continue  # not started as of the run's day (a run dated in the past)
            per_month = MONTHS_PER_PERIOD[BillingPeriod(period)]
            ended_on = cancelled_on or ends_on or today
            # As of the run's day: a contract cancelled or expired later was still running.
            gone = (
                status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED)
                and ended_on <= today
            )
            stop = ended_on if gone else today
            survived = max((stop - started_on).days, 0) / DAYS_PER_MONTH
            billed = max((stop - max(started_on, start)).days, 0) / DAYS_PER_MONTH
            customer.append(base.index.get(customer_id, -1))
            category.append(categories.get(category_id, -1))
            months.append(np.floor(survived))
            churned.append(gone)
            live.append(not gone)
            monthly_revenue.append(float(recurring_revenue) / per_month)
            monthly_margin.append(float(recurring_revenue - recurring_cost) / per_month)
            window_months.append(billed)
        self.customer = np.asarray(customer, dtype=np.int64)
        self.category = np.asarray(category, dtype=np.int64)
        self.months = np.asarray(months, dtype=float)
        self.churned = np.asarray(churned, dtype=bool)
        self.live = np.asarray(live, dtype=bool)
        self.monthly_revenue = np.asarray(monthly_revenue, dtype=float)
        self.monthly_margin = np.asarray(monthly_margin, dtype=float)
        self.window_months = np.asarray(window_months, dtype=float)

    @property
    def size(self) -> int:
        return int(self.customer.size)


# --- the models --------------------------------------------------------------------------


def _order_value(
    base: _Base,
    customers: NDArray[np.int64],
    days: NDArray[np.int64],
    revenue: NDArray[np.float64],
    margin_ratio: NDArray[np.float64],
    today: date,
    rate: float,
    years: float,
) -> tuple[dict[str, NDArray[np.float64]], dict[str, Any]]:
    """BG/NBD + Gamma-Gamma on the whole base: expected purchases, P(alive), discounted margin."""
    n = base.size
    out = {
        "expected_purchases": np.zeros(n),
        "probability_alive": np.full(n, np.nan),
        "order_margin": np.zeros(n),
        "order_value": np.zeros(n),
    }
    params: dict[str, Any] = {"unit": "weeks"}
    inside = base.positions(customers) >= 0
    if not inside.any():
        params["note"] = "No order lines: nothing to fit."
        return out, params
    summary = btyd.summarise_transactions(
        customers[inside],
        days[inside].astype(float),
        revenue[inside],
        calibration_end=float(today.toordinal() - EPOCH_ORDINAL),
        unit="weeks",
    )
    at = base.positions(summary.customers.astype(np.int64))
    x, t_x, big_t, spend = summary.x, summary.t_x, summary.T, summary.mean_spend
    params["customers"] = int(x.size)
    params["repeat_customers"] = int((x > 0).sum())
    if x.size < MIN_CUSTOMERS_TO_FIT or (x > 0).sum() < MIN_CUSTOMERS_TO_FIT:
        params["note"] = "Too little repeat buying to fit BG/NBD and Gamma-Gamma."
        return out, params

    fit_x, fit_t, fit_big_t, weights = btyd.collapse(x, t_x, big_t)
    bg = btyd.fit_bgnbd(fit_x, fit_t, fit_big_t, weights)
    params[btyd.BGNBD] = {
        **bg.as_dict(),
        "log_likelihood": bg.log_likelihood,
        "converged": bg.converged,
        "version": bg.version,
    }
    horizon_months = round(12 * years)
    total_purchases = btyd.bgnbd_conditional_expected_purchases(
        bg.params, horizon_months * clv.WEEKS_PER_MONTH, x, t_x, big_t
    )
    discounted_purchases = clv.expected_discounted_purchases(
        bg.params,
        x,
        t_x,
        big_t,
        annual_discount_rate=rate,
        horizon_months=horizon_months,
    )
    total_purchases = np.nan_to_num(np.maximum(total_purchases, 0.0))
    discounted_purchases = np.nan_to_num(np.maximum(discounted_purchases, 0.0))
    alive = btyd.bgnbd_probability_alive(bg.params, x, t_x, big_t)

    repeat = (x > 0) & (spend > 0)
    expected_spend = np.where(x > 0, spend, 0.0)
    if repeat.sum() >= MIN_CUSTOMERS_TO_FIT:
        gg = btyd.fit_gammagamma(x[repeat], spend[repeat])
        params[btyd.GAMMA_GAMMA] = {
            **gg.as_dict(),
            "log_likelihood": gg.log_likelihood,
            "converged": gg.converged,
            "version": gg.version,
        }
        if gg.params.q > 1:
            expected_spend = btyd.gammagamma_expected_spend(gg.params, x, np.maximum(spend, 0.0))
        else:
            params["gamma_gamma_note"] = "q ≤ 1: the population mean is infinite; own means used."
    if not (expected_spend > 0).all():
        fallback = float(spend[repeat].mean()) if repeat.any() else 0.0
        expected_spend = np.where(expected_spend > 0, expected_spend, fallback)

    order_margin = expected_spend * margin_ratio[at]
    out["expected_purchases"][at] = total_purchases
    out["probability_alive"][at] = alive
    out["order_margin"][at] = order_margin
    out["order_value"][at] = discounted_purchases * order_margin
    return out, params


def _contract_value(
    base: _Base, contracts: _Contracts, rate: float, years: float
) -> tuple[NDArray[np.float64], dict[str, Any]]:
    """sBG retention over months survived; each live contract's discounted margin to come.

    The sBG discounted expected residual lifetime (`retention.sbg_derl`) summed over the
    horizon only, as the order value is: the coming month is not discounted, each later
    one is, by the monthly rate equivalent to the yearly one.
    """
    value = np.zeros(base.size)
    params: dict[str, Any] = {"unit": "months", "contracts": contracts.size}
    if contracts.size == 0:
        return value, params
    horizon = round(12 * years)
    ahead = np.arange(horizon, dtype=float)
    discount = (1.0 + clv.period_discount_rate(rate, 12.0)) ** (-ahead)
    live = contracts.live
    survival: NDArray[np.float64]
    if contracts.churned.any() and contracts.size >= MIN_CUSTOMERS_TO_FIT:
        # a contract that left within its first month still paid once
        periods = np.where(contracts.churned, np.maximum(contracts.months, 1.0), contracts.months)
        fit = retention.fit_sbg(periods, contracts.churned)
        params[retention.SBG] = {
            **fit.as_dict(),
            "log_likelihood": fit.log_likelihood,
            "converged": fit.converged,
            "version": fit.version,
        }
        n = contracts.months[live][:, None]
        # P(pays month n + k + 1 | has paid through month n) = S(n + k + 1) / S(n)
        survival = retention.sbg_survival(fit.params, n + ahead[None, :] + 1.0) / (
            retention.sbg_survival(fit.params, n)
        )
    else:
        params["note"] = "No contract has ended yet: live contracts are assumed to run on."
        survival = np.ones((int(live.sum()), horizon))
    expected_months = (np.nan_to_num(survival) * discount[None, :]).sum(axis=1)
    live_at = contracts.customer[live]
    inside = live_at >= 0
    np.add.at(value, live_at[inside], (contracts.monthly_margin[live] * expected_months)[inside])
    return value, params


# --- wallets -----------------------------------------------------------------------------


def _known_wallets(
    base: _Base, categories: dict[int, int]
) -> tuple[dict[str, NDArray[np.float64]], dict[tuple[int, int], tuple[int, float]]]:
    """Current wallets by source (orgs by categories, NaN unknown) and the current modelled rows.

    An estimate on the organisation itself counts as is; estimates on its units are summed
    where the organisation has none of that source.
    """
    shape = (base.size, len(categories))
    on_org = {source: np.full(shape, np.nan) for source in WalletSource.values}
    on_units = {source: np.full(shape, np.nan) for source in WalletSource.values}
    modelled: dict[tuple[int, int], tuple[int, float]] = {}
    table = connection.ops.quote_name(WalletEstimate._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, customer_id, account_id, category_id, source, "
            f"CAST(annual_amount AS DOUBLE PRECISION) FROM {table} WHERE superseded_at IS NULL"
        )
        current = cursor.fetchall()
    for pk, customer_id, account_id, category_id, source, amount in current:
        i = base.index.get(customer_id)
        j = categories.get(category_id)
        if i is None or j is None:
            continue
        if source == WalletSource.MODELLED and account_id == customer_id:
            modelled[(i, j)] = (pk, float(amount))
            continue
        target = on_org if account_id == customer_id else on_units
        cell = target[source][i, j]
        target[source][i, j] = float(amount) + (0.0 if np.isnan(cell) else cell)
    return (
        {s: np.where(np.isnan(on_org[s]), on_units[s], on_org[s]) for s in WalletSource.values},
        modelled,
    )


def _store_modelled_wallets(
    *,
    run: ModelRun,
    base: _Base,
    category_ids: list[int],
    estimate: wallets.ModelledWallets,
    wanted: NDArray[np.bool_],
    existing: dict[tuple[int, int], tuple[int, float]],
    now: datetime,
) -> int:
    """Supersede modelled wallets that changed or are no longer needed; add the new figures."""
    rounded = np.round(np.nan_to_num(estimate.amount), 2)
    stale = {
        pk
        for (i, j), (pk, amount) in existing.items()
        if not wanted[i, j] or abs(rounded[i, j] - amount) >= 0.005
    }
    for stale_chunk in _batches(stale):
        WalletEstimate.objects.filter(pk__in=stale_chunk).update(superseded_at=now)
    fresh = (
        (int(i), int(j))
        for i, j in zip(*np.nonzero(wanted), strict=True)
        if (int(i), int(j)) not in existing or existing[(int(i), int(j))][0] in stale
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    return _insert(
        WalletEstimate,
        [
            "created_at",
            "updated_at",
            "customer_id",
            "account_id",
            "category_id",
            "annual_amount",
            "source",
            "note",
            "run_id",
            "estimated_at",
        ],
        (
            (
                stamp,
                stamp,
                int(base.ids[i]),
                int(base.ids[i]),
                category_ids[j],
                _cents(rounded[i, j]),
                WalletSource.MODELLED.value,
                _wallet_note(int(estimate.neighbours[i, j]), bool(estimate.same_industry[i, j])),
                run.pk,
                stamp,
            )
            for i, j in fresh
        ),
    )


def _wallet_note(neighbours: int, same_industry: bool) -> str:
    where = "in the same industry" if same_industry else "across all industries"
    accounts = "account" if neighbours == 1 else "accounts"
    return (
        f"Median of the {neighbours} most similar {accounts} {where} with a known wallet, "
        "scaled by their revenue with us."
    )


# --- value -------------------------------------------------------------------------------


def value_recompute(
    *,
    triggered_by: User | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    run: ModelRun | None = None,
) -> ModelRun:
    """Value every organisation again; store AccountValue and CategoryShare rows for a new run.

    `run` is a queued run to carry out (the API and the task pass one); without it a new
    run is made. A failure is recorded on the run (status "failed", the error) and re-raised.
    """
    return _carry_out(ValueRunner, run=run, triggered_by=triggered_by, now=now, progress=progress)


class ValueRunner(Analysis):
    """Past margin, predicted value, share of customer and strategic value of every organisation."""

    job = RunKind.VALUE.value
    model_name = VALUE_MODEL
    model_version = VALUE_VERSION

    def _after(self) -> list[Run]:
        # A value run asked for from the pages is followed by tiers and segments, as nightly.
        user = self.run.started_by
        return [
            r.run
            for r in [
                *recompute(only="tiers", triggered_by=user),
                *recompute(only="segments", triggered_by=user),
            ]
        ]

    def _load(self) -> dict[str, Any]:
        now = self.now
        today = timezone.localdate(now)
        start = today - timedelta(days=WINDOW_DAYS)
        base = _Base()
        self.report(0, base.size)
        category_ids = list(ProductCategory.objects.order_by("pk").values_list("pk", flat=True))
        categories = {pk: j for j, pk in enumerate(category_ids)}
        loaded = {
            "today": today,
            "start": start,
            "base": base,
            "category_ids": category_ids,
            "categories": categories,
            "lines": _Orders(today),
            "contracts": _Contracts(base, categories, start, today),
            "costs": costs_to_serve(start=now - timedelta(days=WINDOW_DAYS), end=now),
            "known": _known_wallets(base, categories),
        }
        self.report(base.size // 4)
        return loaded

    def _calculate(self, loaded: dict[str, Any]) -> dict[str, Any]:
        rate, years, k = discount_rate(), horizon_years(), wallet_neighbours()
        today, start, base = loaded["today"], loaded["start"], loaded["base"]
        category_ids, lines = loaded["category_ids"], loaded["lines"]
        contracts = loaded["contracts"]
        total = base.size
        customers, days, revenue, cost = lines.customer, lines.day, lines.revenue, lines.cost
        at = base.positions(customers)
        inside = at >= 0
        recent = inside & (days > start.toordinal() - EPOCH_ORDINAL)
        n = base.size
        revenue_all = np.bincount(at[inside], weights=revenue[inside], minlength=n)
        margin_all = np.bincount(at[inside], weights=(revenue - cost)[inside], minlength=n)
        order_revenue_12m = np.bincount(at[recent], weights=revenue[recent], minlength=n)
        order_margin_12m = np.bincount(at[recent], weights=(revenue - cost)[recent], minlength=n)
        category_at = _category_positions(category_ids, lines.category)
        counted_lines = recent & (category_at >= 0)
        ours = np.zeros((n, len(category_ids)))
        np.add.at(ours, (at[counted_lines], category_at[counted_lines]), revenue[counted_lines])
        billed = contracts.window_months
        counted = contracts.customer >= 0
        recurring_revenue_12m = np.bincount(
            contracts.customer[counted],
            weights=(contracts.monthly_revenue * billed)[counted],
            minlength=n,
        )
        recurring_margin_12m = np.bincount(
            contracts.customer[counted],
            weights=(contracts.monthly_margin * billed)[counted],
            minlength=n,
        )
        in_category = counted & (contracts.category >= 0)
        np.add.at(
            ours,
            (contracts.customer[in_category], contracts.category[in_category]),
            (contracts.monthly_revenue * billed)[in_category],
        )
        costs = loaded["costs"]
        cost_to_serve = np.zeros(n)
        for pk, cts in costs.items():
            i = base.index.get(pk)
            if i is not None:
                cost_to_serve[i] = cts.total

        # Margin ratio per organisation for its future orders: its own, else the base's.
        overall = float(margin_all.sum() / revenue_all.sum()) if revenue_all.sum() > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            margin_ratio = np.where(revenue_all > 0, margin_all / revenue_all, overall)
        margin_ratio = np.clip(margin_ratio, -1.0, 1.0)
        orders, order_params = _order_value(
            base, customers, days, revenue, margin_ratio, today, rate, years
        )
        contract_value, contract_params = _contract_value(base, contracts, rate, years)
        self.report(total // 2)

        known, modelled_rows = loaded["known"]
        said, estimated = known[WalletSource.CUSTOMER_SAID], known[WalletSource.REP_ESTIMATED]
        by_people = np.where(np.isnan(said), estimated, said)
        modelled = wallets.model_wallets(
            industry=base.industry,
            size=np.asarray(order_revenue_12m + recurring_revenue_12m, dtype=float),
            known=by_people,
            ours=ours,
            k=k,
        )
        wanted = np.isnan(by_people) & ~np.isnan(modelled.amount)
        wallet = np.where(np.isnan(by_people), np.round(modelled.amount, 2), by_people)
        source = np.where(
            ~np.isnan(said),
            WalletSource.CUSTOMER_SAID.value,
            np.where(
                ~np.isnan(estimated),
                WalletSource.REP_ESTIMATED.value,
                np.where(wanted, WalletSource.MODELLED.value, ""),
            ),
        )
        has_wallet = ~np.isnan(wallet)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(has_wallet & (wallet > 0), np.minimum(ours / wallet, 1.0), np.nan)
        whitespace = has_wallet & (wallet > 0) & (ours <= 0)
        unrealised = np.where(has_wallet, np.maximum(np.nan_to_num(wallet) - ours, 0.0), 0.0)
        org_wallet = np.where(has_wallet, wallet, 0.0).sum(axis=1)
        org_has_wallet: NDArray[np.bool_] = np.asarray(has_wallet.any(axis=1), dtype=bool)
        covered_ours = np.where(has_wallet, ours, 0.0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            org_share = np.where(org_wallet > 0, np.minimum(covered_ours / org_wallet, 1.0), np.nan)
        org_unrealised = unrealised.sum(axis=1)
        self.report((3 * total) // 4)

        margin_12m = order_margin_12m + recurring_margin_12m
        net_margin = margin_12m - cost_to_serve
        predicted = orders["order_value"] + contract_value
        growth = np.maximum(predicted / years - margin_12m, 0.0)
        strategic = org_unrealised + growth
        values = {
            "revenue_12m": order_revenue_12m + recurring_revenue_12m,
            "margin_12m": margin_12m,
            "cost_to_serve_12m": cost_to_serve,
            "net_margin_12m": net_margin,
            "lifetime_margin": margin_all,
            "recurring_revenue_12m": recurring_revenue_12m,
            "expected_order_margin": orders["order_margin"],
            "predicted_order_value": orders["order_value"],
            "predicted_contract_value": contract_value,
            "predicted_value": predicted,
            "unrealised_wallet": org_unrealised,
            "growth_potential": growth,
            "strategic_value": strategic,
        }
        return {
            "base": base,
            "category_ids": category_ids,
            "orders": orders,
            "order_params": order_params,
            "contract_params": contract_params,
            "values": values,
            "modelled": modelled,
            "modelled_rows": modelled_rows,
            "wanted": wanted,
            "wallet": wallet,
            "has_wallet": has_wallet,
            "ours": ours,
            "share": share,
            "source": source,
            "whitespace": whitespace,
            "org_wallet": org_wallet,
            "org_has_wallet": org_has_wallet,
            "org_share": org_share,
            "rate": rate,
            "years": years,
            "k": k,
            "total": total,
        }

    def _store(self, calculated: dict[str, Any]) -> dict[str, Any]:
        c, now, run = calculated, self.now, self.model_run
        base, category_ids, orders, values = c["base"], c["category_ids"], c["orders"], c["values"]
        modelled, modelled_rows, wanted = c["modelled"], c["modelled_rows"], c["wanted"]
        wallet, has_wallet, ours, share = c["wallet"], c["has_wallet"], c["ours"], c["share"]
        source, whitespace = c["source"], c["whitespace"]
        org_wallet, org_has_wallet, org_share = c["org_wallet"], c["org_has_wallet"], c["org_share"]
        rate, years, k, total = c["rate"], c["years"], c["k"], c["total"]
        order_params, contract_params = c["order_params"], c["contract_params"]
        wallets_written = _store_modelled_wallets(
            run=run,
            base=base,
            category_ids=category_ids,
            estimate=modelled,
            wanted=wanted,
            existing=modelled_rows,
            now=now,
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        AccountValue.objects.filter(is_current=True).update(is_current=False)
        names = list(values)
        alive = orders["probability_alive"]
        _insert(
            AccountValue,
            [
                "run_id",
                "customer_id",
                "computed_at",
                "is_current",
                "expected_purchases",
                "probability_alive",
                "wallet",
                "share_of_customer",
                *names,
            ],
            zip(
                itertools.repeat(run.pk),
                base.ids.tolist(),
                itertools.repeat(stamp),
                itertools.repeat(True),
                orders["expected_purchases"].tolist(),
                _nullable(alive, ~np.isnan(alive)),
                _nullable(_cents_of(org_wallet), org_has_wallet),
                _nullable(org_share, ~np.isnan(org_share)),
                *(_cents_of(values[name]).tolist() for name in names),
            ),
        )
        CategoryShare.objects.filter(is_current=True).update(is_current=False)
        rows_i, rows_j = np.nonzero(has_wallet | (ours > 0))
        pair_share = share[rows_i, rows_j]
        shares_written = _insert(
            CategoryShare,
            [
                "run_id",
                "customer_id",
                "category_id",
                "is_current",
                "revenue_12m",
                "wallet",
                "wallet_source",
                "share",
                "is_whitespace",
            ],
            zip(
                itertools.repeat(run.pk),
                base.ids[rows_i].tolist(),
                np.asarray(category_ids, dtype=np.int64)[rows_j].tolist(),
                itertools.repeat(True),
                _cents_of(ours[rows_i, rows_j]).tolist(),
                _nullable(_cents_of(wallet[rows_i, rows_j]), has_wallet[rows_i, rows_j]),
                source[rows_i, rows_j].tolist(),
                _nullable(pair_share, ~np.isnan(pair_share)),
                whitespace[rows_i, rows_j].tolist(),
            ),
        )
        self.run.parameters = {
            "computed_at": now.isoformat(),
            "discount_rate": rate,
            "horizon_years": years,
            "window_days": WINDOW_DAYS,
            "orders": order_params,
            "contracts": contract_params,
            "wallets": {
                "model": wallets.MODEL_NAME,
                "version": wallets.MODEL_VERSION,
                "neighbours": k,
                "modelled": int(wanted.sum()),
                "written": wallets_written,
            },
            "cost_to_serve": {"per_hour": cost_per_hour(), "minutes": minutes_per_channel()},
            "organisations": total,
            "shares": shares_written,
        }
        self.run.total = total
        return {"organisations": total, "shares": shares_written}


# --- tiers -------------------------------------------------------------------------------


def tiers_recompute(
    *,
    triggered_by: User | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    run: ModelRun | None = None,
) -> ModelRun:
    """Tier every organisation from its current value and judgement; keep the old tiers as history."""
    return _carry_out(TiersRunner, run=run, triggered_by=triggered_by, now=now, progress=progress)


class TiersRunner(Analysis):
    """Tiers and keep/grow/shed recommendations from the current values and judgements."""

    job = RunKind.TIERS.value
    model_name = tiers.MODEL_NAME
    model_version = tiers.MODEL_VERSION

    def _load(self) -> dict[str, Any]:
        rows = list(
            AccountValue.objects.filter(is_current=True, customer__deleted_at__isnull=True)
            .order_by("customer_id")
            .values_list(
                "customer_id",
                "net_margin_12m",
                "cost_to_serve_12m",
                "predicted_value",
                "strategic_value",
                "unrealised_wallet",
                "lifetime_margin",
                "recurring_revenue_12m",
                "run_id",
            )
        )
        self.report(0, len(rows))
        judged = dict(
            JudgementScore.objects.filter(superseded_at__isnull=True).values_list(
                "customer_id", "score"
            )
        )
        previous = dict(
            TierAssignment.objects.filter(is_current=True).values_list("customer_id", "tier")
        )
        return {"rows": rows, "judged": judged, "previous": previous}

    def _calculate(self, loaded: dict[str, Any]) -> dict[str, Any]:
        rows, judged = loaded["rows"], loaded["judged"]
        total, years = len(rows), horizon_years()
        ids = [row[0] for row in rows]
        columns = np.array([[float(v) for v in row[1:8]] for row in rows], dtype=float).reshape(
            total, 7
        )
        decisions = tiers.assign_tiers(
            net_margin_12m=columns[:, 0],
            cost_to_serve_12m=columns[:, 1],
            predicted_value=columns[:, 2],
            strategic_value=columns[:, 3],
            unrealised_wallet=columns[:, 4],
            has_bought=(columns[:, 5] != 0) | (columns[:, 6] > 0),
            judgement=np.array([judged.get(pk, np.nan) for pk in ids], dtype=float),
            horizon_years=years,
        )
        self.report(total // 2)
        return {**loaded, "ids": ids, "decisions": decisions, "years": years}

    def _store(self, calculated: dict[str, Any]) -> dict[str, Any]:
        ids, decisions, rows = calculated["ids"], calculated["decisions"], calculated["rows"]
        previous, judged = calculated["previous"], calculated["judged"]
        TierAssignment.objects.filter(is_current=True).update(is_current=False)
        stamp = connection.ops.adapt_datetimefield_value(self.now)
        run_id = self.model_run.pk
        _insert(
            TierAssignment,
            [
                "run_id",
                "customer_id",
                "assigned_at",
                "is_current",
                "tier",
                "previous_tier",
                "recommendation",
                "reasons",
                "max_retention_spend",
            ],
            (
                (
                    run_id,
                    pk,
                    stamp,
                    True,
                    decision.tier,
                    previous.get(pk, ""),
                    decision.recommendation,
                    connection.ops.adapt_json_value(decision.reasons, None),
                    _cents(decision.max_retention_spend),
                )
                for pk, decision in zip(ids, decisions, strict=True)
            ),
        )
        counts: dict[str, int] = {}
        for decision in decisions:
            counts[decision.tier] = counts.get(decision.tier, 0) + 1
        self.run.parameters = {
            "computed_at": self.now.isoformat(),
            "value_runs": sorted({row[-1] for row in rows}),
            "horizon_years": calculated["years"],
            "top_share": tiers.TOP_SHARE,
            "retention_share": tiers.RETENTION_SHARE,
            "judgement_threshold": tiers.JUDGEMENT_THRESHOLD,
            "tiers": counts,
            "judged": sum(1 for pk in ids if pk in judged),
        }
        return {"tiers": counts}


# --- all of it ---------------------------------------------------------------------------

ANALYSES = ("value", "tiers", "segments")


def segments_runner() -> Callable[..., ModelRun] | None:
    """The needs app's segment runner, or None while it does not exist."""
    try:
        from rapport.needs.runners import segments_recompute
    except ImportError:
        return None
    return segments_recompute


def recompute(*, only: str | None = None, triggered_by: User | None = None) -> list[ModelRun]:
    """Run value → tiers → needs segments (or only one of them); the runs, in order."""
    if only is not None and only not in ANALYSES:
        raise ValueError(f"only must be one of {', '.join(ANALYSES)}")
    done = []
    if only in (None, "value"):
        done.append(value_recompute(triggered_by=triggered_by))
    if only in (None, "tiers"):
        done.append(tiers_recompute(triggered_by=triggered_by))
    if only in (None, "segments"):
        segments = segments_runner()
        if segments is None:
            logger.warning("Needs segments are not built yet (rapport.needs.runners); skipped.")
        else:
            done.append(segments(triggered_by=triggered_by))
    return done


def run_request(*, actor: User, kind: str = RunKind.VALUE) -> ModelRun:
    """Queue a recompute for the worker (managers and admins); the queued run, to follow.

    A value run is followed by tiers and needs segments, as the nightly recompute is; a
    tiers or segments run does only that.
    """
    from rapport.valuation.services import ensure_can_judge

    ensure_can_judge(actor)
    if kind not in RunKind.values:
        raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
    if kind == RunKind.SEGMENTS and segments_runner() is None:
        raise InvalidInput("Needs segments are not built yet.", field="kind")
    run = run_queue(kind=kind, triggered_by=actor)
    runs.run_enqueue(run.run)
    return run


def run_carry_out(*, run: ModelRun) -> list[ModelRun]:
    """Carry out a queued run (and, for a value run, tiers and segments after it)."""
    return [done.model_run for done in runs.run_execute_now(run.run_id)]


def run_rerun(*, actor: User, run: ModelRun) -> ModelRun:
    """Queue the same analysis again after a run finished or lost its worker; the new run."""
    from rapport.valuation.services import ensure_can_judge

    ensure_can_judge(actor)
    again = runs.run_rerun(run=run.run, started_by=actor)
    runs.run_enqueue(again)
    return again.model_run
