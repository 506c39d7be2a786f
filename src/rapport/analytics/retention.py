"""Contract retention: the shifted-beta-geometric (sBG) model.

Pure numpy/scipy, no Django. Fader & Hardie (2007), "How to project customer retention":
each customer renews every period with her own probability 1 - theta, and theta is
Beta(alpha, beta) distributed across customers. With a lifetime T of t periods (the
customer pays t times, then leaves at the t-th renewal):

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
    retention r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

Retention rises with tenure because the likeliest leavers leave first, not because any
customer grows more loyal. The value of a contract customer is her recurring margin times
the discounted expected residual lifetime (Fader & Hardie 2010, "Customer-base valuation
in a contractual setting"):

    DERL(d | alpha, beta, n) = sum_{k>=0} S(n + k + 1) / S(n) / (1 + d)^k
                             = (beta + n) / (alpha + beta + n) 2F1(1, beta + n + 1; alpha + beta + n + 1; 1/(1+d))

for a customer who has renewed n times (is in her (n+1)-th period), evaluated just before
the next renewal, whose payment is not discounted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from rapport.analytics.btyd import MODEL_VERSION, Fit, _minimise, _weights

SBG = "sbg"


@dataclass(frozen=True)
class SbgParams:
    """sBG: each customer's churn probability per period ~ Beta(alpha, beta)."""

    alpha: float
    beta: float


def _durations(
    periods: ArrayLike, churned: ArrayLike, weights: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(periods, dtype=float).ravel()
    left = np.asarray(churned, dtype=bool).ravel()
    if left.size != t.size:
        raise ValueError("periods and churned must have the same length")
    if np.any(t != np.round(t)) or np.any(t < 0) or np.any(left & (t < 1)):
        raise ValueError("periods are whole numbers; a churned contract lasted at least 1")
    return t, left, _weights(weights, t.size)


def _sbg_ll_grad(
    params: np.ndarray, t: np.ndarray, left: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    alpha, beta = params
    base = special.betaln(alpha, beta)
    psi_a, psi_b, psi_ab = special.digamma([alpha, beta, alpha + beta])
    psi_abt = special.digamma(alpha + beta + t)
    # Churned after t periods: log P(T = t); still active after t: log S(t).
    ll = (
        np.where(
            left,
            special.betaln(alpha + 1.0, beta + np.maximum(t - 1.0, 0.0)),
            special.betaln(alpha, beta + t),
        )
        - base
    )
    g_alpha = np.where(left, special.digamma(alpha + 1.0) - psi_a, 0.0) + psi_ab - psi_abt
    g_beta = (
        np.where(left, special.digamma(beta + np.maximum(t - 1.0, 0.0)), special.digamma(beta + t))
        - psi_abt
        - psi_b
        + psi_ab
    )
    return float(w @ ll), np.array([w @ g_alpha, w @ g_beta])


def sbg_log_likelihood(
    params: SbgParams, periods: ArrayLike, churned: ArrayLike, weights: ArrayLike | None = None
) -> tuple[float, np.ndarray]:
    """Total sBG log-likelihood of contract durations and its gradient in (alpha, beta)."""
    t, left, w = _durations(periods, churned, weights)
    return _sbg_ll_grad(np.array([params.alpha, params.beta]), t, left, w)


def fit_sbg(
    periods: ArrayLike, churned: ArrayLike, weights: ArrayLike | None = None
) -> Fit[SbgParams]:
    """sBG from individual contracts: `periods` lasted, `churned` False if still active.

    A churned contract with periods = t paid t times and did not renew; an active one
    has renewed through t periods so far (right-censored).
    """
    t, left, w = _durations(periods, churned, weights)
    total = float(w.sum())
    params, ll, converged, nit, nfev = _minimise(
        lambda p: _sbg_ll_grad(p, t, left, w), np.array([1.0, 1.0]), total_weight=total
    )
    return Fit(SBG, MODEL_VERSION, SbgParams(*map(float, params)), ll, total, converged, nit, nfev)


def survivors_to_durations(survivors: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cohort's active counts n_0 >= n_1 >= ... as (periods, churned, counts) rows."""
    n = np.asarray(survivors, dtype=float)
    if n.ndim != 1 or n.size < 2 or np.any(np.diff(n) > 0) or np.any(n < 0):
        raise ValueError("survivors must be a non-increasing series of at least two counts")
    last = n.size - 1
    periods = np.append(np.arange(1, last + 1, dtype=float), float(last))
    churned = np.append(np.ones(last, dtype=bool), False)
    counts = np.append(-np.diff(n), n[-1])
    return periods, churned, counts


def fit_sbg_survivors(survivors: Sequence[float]) -> Fit[SbgParams]:
    """sBG from a cohort's survivor counts at the start and after each period."""
    return fit_sbg(*survivors_to_durations(survivors))


def sbg_survival(params: SbgParams, t: ArrayLike) -> np.ndarray:
    """S(t): share of a new cohort still active after t periods."""
    tt = np.asarray(t, dtype=float)
    return np.exp(
        special.betaln(params.alpha, params.beta + tt) - special.betaln(params.alpha, params.beta)
    )


def sbg_retention(params: SbgParams, t: ArrayLike) -> np.ndarray:
    """r_t = S(t) / S(t-1): share of customers who renewed t-1 times that renew again."""
    tt = np.asarray(t, dtype=float)
    return (params.beta + tt - 1.0) / (params.alpha + params.beta + tt - 1.0)


def sbg_churn_probability(params: SbgParams, t: ArrayLike) -> np.ndarray:
    """P(T = t): probability that a new customer leaves after exactly t periods (t >= 1)."""
    tt = np.asarray(t, dtype=float)
    return np.exp(
        special.betaln(params.alpha + 1.0, params.beta + tt - 1.0)
        - special.betaln(params.alpha, params.beta)
    )


def sbg_derl(params: SbgParams, discount_rate: float, renewals: ArrayLike = 0) -> np.ndarray:
    """Discounted expected residual lifetime, in payments, of a customer with n renewals.

    `discount_rate` is per period. The next payment (at the coming renewal) is not
    discounted; the one after is discounted once, and so on.
    """
    n = np.asarray(renewals, dtype=float)
    a, b = params.alpha, params.beta
    return (
        (b + n)
        / (a + b + n)
        * special.hyp2f1(1.0, b + n + 1.0, a + b + n + 1.0, 1.0 / (1.0 + discount_rate))
    )
