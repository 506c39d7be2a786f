# ruff: noqa: N803 -- (x, t_x, T) is the papers' notation, kept on purpose
"""Customer lifetime value from the fitted models, vectorised over customers.

Pure numpy/scipy, no Django.

- Repeat buying: expected purchases month by month over the horizon (BG/NBD or
  Pareto/NBD conditional on each customer's history) times the margin per purchase
  (Gamma-Gamma expected spend times the margin ratio), each month discounted from its end.
- Contracts: recurring margin per period times the sBG discounted expected residual
  lifetime (DERL), at the per-period rate equivalent to the annual discount rate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from rapport.analytics.btyd import (
    BgNbdParams,
    GammaGammaParams,
    ParetoNbdParams,
    bgnbd_conditional_expected_purchases,
    gammagamma_expected_spend,
    paretonbd_conditional_expected_purchases,
)
from rapport.analytics.retention import SbgParams, sbg_derl

WEEKS_PER_MONTH = 365.25 / 7 / 12
DAYS_PER_MONTH = 365.25 / 12


def period_discount_rate(annual_rate: float, periods_per_year: float) -> float:
    """The rate per period that compounds to `annual_rate` over a year."""
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


def expected_discounted_purchases(
    params: BgNbdParams | ParetoNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    annual_discount_rate: float,
    horizon_months: int,
    periods_per_month: float = WEEKS_PER_MONTH,
) -> np.ndarray:
    """Sum over the coming months of each month's expected purchases, discounted.

    `periods_per_month` converts months into the unit of (t_x, T): WEEKS_PER_MONTH or
    DAYS_PER_MONTH. Month i's purchases are discounted by (1 + rate)^(-i/12).
    """
    months = np.arange(horizon_months + 1, dtype=float)[:, None]
    if isinstance(params, ParetoNbdParams):
        cumulative = paretonbd_conditional_expected_purchases(
            params, months * periods_per_month, x, t_x, T
        )
    else:
        cumulative = bgnbd_conditional_expected_purchases(
            params, months * periods_per_month, x, t_x, T
        )
    per_month = np.diff(cumulative, axis=0)
    discount = (1.0 + annual_discount_rate) ** (-months[1:] / 12.0)
    return (per_month * discount).sum(axis=0)


def repeat_buying_clv(
    purchases: BgNbdParams | ParetoNbdParams,
    spend: GammaGammaParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    mean_spend: ArrayLike,
    *,
    margin_ratio: float,
    annual_discount_rate: float,
    horizon_months: int,
    periods_per_month: float = WEEKS_PER_MONTH,
) -> np.ndarray:
    """Expected discounted margin per customer over the horizon."""
    margin = gammagamma_expected_spend(spend, x, mean_spend) * margin_ratio
    count = expected_discounted_purchases(
        purchases,
        x,
        t_x,
        T,
        annual_discount_rate=annual_discount_rate,
        horizon_months=horizon_months,
        periods_per_month=periods_per_month,
    )
    return margin * count


def contract_clv(
    params: SbgParams,
    recurring_margin: ArrayLike,
    *,
    annual_discount_rate: float,
    periods_per_year: float = 12.0,
    renewals: ArrayLike = 0,
) -> np.ndarray:
    """Recurring margin per period times DERL: the value of the payments still to come.

    For a customer who has renewed `renewals` times, evaluated just before her next
    renewal (that payment is not discounted, the next is discounted one period, ...).
    """
    rate = period_discount_rate(annual_discount_rate, periods_per_year)
    return np.asarray(recurring_margin, dtype=float) * sbg_derl(params, rate, renewals)
