"""The shifted-beta-geometric contract model against Fader & Hardie (2007) and simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rapport.analytics.btyd import collapse
from rapport.analytics.information import standard_errors
from rapport.analytics.retention import (
    SbgParams,
    fit_sbg,
    fit_sbg_survivors,
    sbg_churn_probability,
    sbg_derl,
    sbg_log_likelihood,
    sbg_retention,
    sbg_survival,
    survivors_to_durations,
)
from tests.analytics.recovery import assert_recovered, log_z_scores

# Fader & Hardie (2007), "How to project customer retention": active customers of a
# 1,000-customer cohort at the start and after each of 7 years.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def test_sbg_reproduces_the_published_regular_fit():
    # The paper's regular segment loses 37% in year 1: alpha = 0.704, beta = 1.182.
    # (The issue listed these two parameter pairs under swapped segment names; the paper,
    # and the fact that mean churn alpha/(alpha+beta) must be near 37%, put them here.)
    fit = fit_sbg_survivors(REGULAR)
    assert (round(fit.params.alpha, 3), round(fit.params.beta, 3)) == (0.704, 1.182)
    assert fit.converged is True
    assert (fit.model, fit.version, fit.n) == ("sbg", "1", 1000.0)


def test_sbg_reproduces_the_published_high_end_fit():
    fit = fit_sbg_survivors(HIGH_END)
    assert (round(fit.params.alpha, 3), round(fit.params.beta, 3)) == (0.668, 3.806)
    # and the fitted curve tracks the observed survivors within 2% of the cohort
    projected = 1000 * sbg_survival(fit.params, np.arange(8))
    assert np.max(np.abs(projected - HIGH_END)) < 20


def test_survivor_counts_become_churned_and_censored_contracts():
    periods, churned, counts = survivors_to_durations([10, 7, 4])
    assert periods.tolist() == [1, 2, 2]
    assert churned.tolist() == [True, True, False]
    assert counts.tolist() == [3, 3, 4]
    with pytest.raises(ValueError, match="non-increasing"):
        survivors_to_durations([10, 11])


def test_survival_retention_and_churn_agree():
    params = SbgParams(0.7, 1.2)
    t = np.arange(1, 13)
    survival = sbg_survival(params, t)
    # S(t) = S(t-1) * r_t, and 1 - S(t) = P(T <= t)
    previous = np.append(1.0, survival[:-1])
    assert survival == pytest.approx(previous * sbg_retention(params, t))
    assert 1 - survival == pytest.approx(np.cumsum(sbg_churn_probability(params, t)))
    # first-period churn is the mean of the beta distribution
    assert sbg_churn_probability(params, 1) == pytest.approx(0.7 / 1.9)
    # retention rises with tenure (the likeliest leavers leave first)
    assert np.all(np.diff(sbg_retention(params, t)) > 0)


def test_sbg_gradient_equals_finite_differences():
    periods, churned, counts = survivors_to_durations(REGULAR)
    point = np.array([0.9, 2.5])
    _, gradient = sbg_log_likelihood(SbgParams(*point), periods, churned, counts)
    numeric = []
    for i in range(2):
        h = np.zeros(2)
        h[i] = 1e-6 * point[i]
        up = sbg_log_likelihood(SbgParams(*(point + h)), periods, churned, counts)[0]
        down = sbg_log_likelihood(SbgParams(*(point - h)), periods, churned, counts)[0]
        numeric.append((up - down) / (2 * h[i]))
    assert gradient == pytest.approx(numeric, rel=1e-7)


def test_sbg_recovers_simulated_contracts_on_every_seed():
    # Given 24 seeds of 5,000 contracts, each observed for 1..12 periods, some still running
    fitted, errors = [], []
    for seed in range(24):
        rng = np.random.default_rng(seed)
        churn = rng.beta(0.7, 2.0, 5_000)
        lifetime = rng.geometric(churn).astype(float)
        observed = rng.integers(1, 13, 5_000).astype(float)
        ended = lifetime <= observed
        periods, churned, counts = collapse(np.where(ended, lifetime, observed), ended)
        fit = fit_sbg(periods, churned > 0, counts)
        params = np.array([fit.params.alpha, fit.params.beta])

        def total(v: np.ndarray, rows=(periods, churned > 0, counts)) -> tuple[float, np.ndarray]:
            return sbg_log_likelihood(SbgParams(*v), *rows)

        fitted.append(params)
        errors.append(standard_errors(total, params))
    # Then every fit lies within its sampling error of (0.7, 2.0), and the seeds agree
    assert_recovered(log_z_scores(fitted, errors, [0.7, 2.0]), ["alpha", "beta"])


def test_derl_equals_its_discounted_sum():
    params = SbgParams(0.668, 3.806)
    for renewals in (0, 3):
        # the next payment undiscounted, then one discount per period
        brute = sum(
            sbg_survival(params, renewals + 1 + k) / sbg_survival(params, renewals) / 1.1**k
            for k in range(4000)
        )
        assert sbg_derl(params, 0.1, renewals) == pytest.approx(brute, rel=1e-9)


def test_derl_by_hand():
    # alpha = beta = 1: S(t) = 1/(t+1); with q = 1/1.1 the sum q^k / (k+2) over k >= 0
    # is (ln(1/(1-q)) - q) / q^2 = (ln 11 - 1/1.1) * 1.21
    assert sbg_derl(SbgParams(1.0, 1.0), 0.1) == pytest.approx((math.log(11) - 1 / 1.1) * 1.21)
