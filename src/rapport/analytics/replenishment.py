"""Replenishment (C4): when each account will next buy a consumable, and how much.

Pure numpy, no Django: a runner in the offers app loads each account's purchase days and
quantities of one product (or category) and stores what this returns.

The model. An account that reorders a consumable does so on a rhythm of its own: its
intervals between orders scatter around a typical interval, skewed (a late order is
later by weeks, an early one earlier by days), so the model works on log-intervals.
Account i's log-intervals are Normal(mu_i, sigma^2), and the accounts' typical
log-intervals mu_i are themselves Normal(mu_0, tau^2) across the population buying the
product. The posterior mean of mu_i given n_i own intervals with mean m_i is

    mu_i = w_i * m_i + (1 - w_i) * mu_0,    w_i = tau^2 / (tau^2 + sigma^2 / n_i)

— an account with many orders follows its own rhythm, one with two or three is pulled
towards the population's, one with a single order gets the population's. mu_0, sigma^2
(pooled within-account variance) and tau^2 (between-account variance less what the
within-account noise explains) are estimated from the data by the method of moments
(empirical Bayes), so nothing is assumed about the product. Quantities are shrunk the
same way on the log scale. The next order is expected one typical interval after the
last; it is due when that day is at most `horizon_days` away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

MODEL_NAME = "log-interval-empirical-bayes"
MODEL_VERSION = "1"


@dataclass(frozen=True)
class Population:
    """What the accounts buying one product share: the prior of their rhythms."""

    log_interval: float  # mu_0
    between_variance: float  # tau^2
    within_variance: float  # sigma^2
    log_quantity: float
    quantity_between_variance: float
    quantity_within_variance: float
    accounts: int  # accounts with at least one interval


@dataclass(frozen=True)
class Reorder:
    """One account's predicted next order of the product (days on the caller's scale)."""

    orders: int
    last_order: float | None
    typical_interval_days: float | None
    own_weight: float  # how much of the interval is the account's own history (0..1)
    next_order: float | None
    due_in_days: float | None
    is_due: bool
    typical_quantity: float | None


def _moments(groups: Sequence[np.ndarray], *, default: float) -> tuple[float, float, float]:
    """mu_0, tau^2 and sigma^2 of grouped values by the method of moments."""
    sized = [g for g in groups if g.size]
    if not sized:
        return default, 0.0, 0.0
    means = np.array([g.mean() for g in sized])
    counts = np.array([g.size for g in sized], dtype=float)
    spread = [g for g in sized if g.size >= 2]
    within = (
        float(sum(((g - g.mean()) ** 2).sum() for g in spread) / sum(g.size - 1 for g in spread))
        if spread
        else 0.0
    )
    centre = float(np.average(means, weights=counts))
    if len(sized) < 2:
        return centre, 0.0, within
    between = float(means.var(ddof=1) - within * np.mean(1 / counts))
    return centre, max(between, 0.0), within


def population(
    purchase_days: Sequence[ArrayLike],
    quantities: Sequence[ArrayLike] | None = None,
    *,
    min_gap_days: float = 1.0,
    default_interval_days: float = 30.0,
) -> Population:
    """The population's rhythm from every account's purchase days (and quantities)."""
    intervals = [_log_intervals(days, min_gap_days) for days in purchase_days]
    mu, tau2, sigma2 = _moments(intervals, default=float(np.log(default_interval_days)))
    amounts = [_log_quantities(q) for q in (quantities or [])]
    q_mu, q_tau2, q_sigma2 = _moments(amounts, default=0.0)
    return Population(mu, tau2, sigma2, q_mu, q_tau2, q_sigma2, sum(i.size > 0 for i in intervals))


def _log_intervals(days: ArrayLike, min_gap_days: float) -> np.ndarray:
    """Log of the gaps between orders; orders on one day (or closer than the minimum) are one."""
    times = np.sort(np.asarray(days, dtype=float).ravel())
    if times.size and not np.all(np.isfinite(times)):
        raise ValueError("purchase days must be finite numbers")
    gaps = np.diff(times)
    return np.log(gaps[gaps >= min_gap_days])


def _log_quantities(quantities: ArrayLike) -> np.ndarray:
    values = np.asarray(quantities, dtype=float).ravel()
    if values.size and (not np.all(np.isfinite(values)) or np.any(values < 0)):
        raise ValueError("quantities must be finite and not negative")
    return np.log(values[values > 0])


def _weight(between: float, within: float, n: int) -> float:
    """The credibility of n own observations: tau^2 / (tau^2 + sigma^2 / n)."""
    if n == 0:
        return 0.0
    if within == 0.0:
        return 1.0
    return between / (between + within / n)


def predict(
    purchase_days: Sequence[ArrayLike],
    quantities: Sequence[ArrayLike] | None = None,
    *,
    now: float,
    horizon_days: float = 14.0,
    min_gap_days: float = 1.0,
    default_interval_days: float = 30.0,
    prior: Population | None = None,
) -> list[Reorder]:
    """Each account's next order of one product: when, how much, and whether it is due.

    `purchase_days[i]` are account i's order days (any epoch, the same as `now`);
    `quantities[i]` the quantities of those orders. An account that never bought has no
    prediction. `prior` replaces the population learned from these accounts (a category's,
    when one product has too few buyers).
    """
    if quantities is not None and len(quantities) != len(purchase_days):
        raise ValueError("quantities must have one entry per account")
    prior = prior or population(
        purchase_days,
        quantities,
        min_gap_days=min_gap_days,
        default_interval_days=default_interval_days,
    )
    out = []
    for index, days in enumerate(purchase_days):
        times = np.asarray(days, dtype=float).ravel()
        if times.size == 0:
            out.append(Reorder(0, None, None, 0.0, None, None, False, None))
            continue
        logs = _log_intervals(times, min_gap_days)
        weight = _weight(prior.between_variance, prior.within_variance, logs.size)
        own = float(logs.mean()) if logs.size else prior.log_interval
        typical = float(np.exp(weight * own + (1 - weight) * prior.log_interval))
        amount = None
        if quantities is not None:
            amounts = _log_quantities(quantities[index])
            q_weight = _weight(
                prior.quantity_between_variance, prior.quantity_within_variance, amounts.size
            )
            q_own = float(amounts.mean()) if amounts.size else prior.log_quantity
            amount = float(np.exp(q_weight * q_own + (1 - q_weight) * prior.log_quantity))
        last = float(times.max())
        next_order = last + typical
        due_in = next_order - float(now)
        out.append(
            Reorder(
                orders=int(np.unique(times).size),
                last_order=last,
                typical_interval_days=typical,
                own_weight=weight,
                next_order=next_order,
                due_in_days=due_in,
                is_due=bool(due_in <= horizon_days),
                typical_quantity=amount,
            )
        )
    return out
