"""What the value runner reads and the models it fits: the organisations, their order
lines and contracts in bulk arrays, BG/NBD + Gamma-Gamma and sBG over them, and wallets."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, TypeVar

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from rapport.accounts.models import Account
from rapport.analytics import btyd, clv, retention, wallets
from rapport.valuation.models import (
    MONTHS_PER_PERIOD,
    BillingPeriod,
    ModelRun,
    OrderLine,
    Subscription,
    SubscriptionStatus,
    WalletEstimate,
    WalletSource,
)

BATCH = 2000
WINDOW_DAYS = 365
# A year of 365 days is 12 months exactly, so a full window bills 12 months.
DAYS_PER_MONTH = 365 / 12
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# A BG/NBD or Gamma-Gamma fit needs some repeat buying to learn from.
MIN_CUSTOMERS_TO_FIT = 3

T = TypeVar("T")


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
