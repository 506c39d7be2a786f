"""Replenishment on simulated accounts whose buying cadence is known."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.analytics.replenishment import population, predict

TRUE_INTERVAL = 30.0  # the population's typical days between orders
BETWEEN = 0.4  # sd of accounts' typical log-interval
WITHIN = 0.25  # sd of one account's log-intervals around its own
SEEDS = range(10)


def _accounts(seed: int, count: int = 400, orders: tuple[int, int] = (2, 26)):
    """Accounts with a known typical interval each, and their order days and quantities."""
    rng = np.random.default_rng(seed)
    typical = np.exp(rng.normal(np.log(TRUE_INTERVAL), BETWEEN, count))
    days, quantities = [], []
    for own in typical:
        n = int(rng.integers(*orders))
        gaps = np.exp(rng.normal(np.log(own), WITHIN, n - 1))
        days.append(np.concatenate([[0.0], np.cumsum(gaps)]))
        quantities.append(np.round(np.exp(rng.normal(np.log(20), 0.2, n))))
    return typical, days, quantities


@pytest.mark.parametrize("seed", SEEDS)
def test_the_population_rhythm_is_recovered(seed):
    _typical, days, quantities = _accounts(seed)
    learned = population(days, quantities)
    # Sampling error of these moments at 400 accounts is a few per cent; bounds at ~3 SE
    assert learned.log_interval == pytest.approx(np.log(TRUE_INTERVAL), abs=0.07)
    assert np.sqrt(learned.between_variance) == pytest.approx(BETWEEN, rel=0.15)
    assert np.sqrt(learned.within_variance) == pytest.approx(WITHIN, rel=0.05)
    assert learned.accounts == 400


@pytest.mark.parametrize("seed", SEEDS)
def test_accounts_with_long_histories_follow_their_own_rhythm(seed):
    typical, days, _quantities = _accounts(seed)
    reorders = predict(days, now=0.0)
    long = [i for i, d in enumerate(days) if d.size >= 20]
    errors = [abs(reorders[i].typical_interval_days / typical[i] - 1) for i in long]
    # With 19+ intervals of sd 0.25 the own mean's error is about 0.25 / sqrt(19) = 6%
    assert np.median(errors) < 0.08
    assert min(reorders[i].own_weight for i in long) > 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_shrinking_short_histories_towards_the_population_beats_their_own_average(seed):
    typical, days, _quantities = _accounts(seed)
    reorders = predict(days, now=0.0)
    short = [i for i, d in enumerate(days) if d.size <= 3]
    shrunk = np.mean([abs(np.log(reorders[i].typical_interval_days / typical[i])) for i in short])
    own = np.mean([abs(np.mean(np.log(np.diff(days[i]))) - np.log(typical[i])) for i in short])
    assert shrunk < own
    # The weight is the credibility of n intervals: tau^2 / (tau^2 + sigma^2 / n)
    by_intervals = {days[i].size - 1: reorders[i].own_weight for i in range(len(days))}
    assert by_intervals[1] < by_intervals[2] < by_intervals[10] < by_intervals[20] < 1
    assert by_intervals[1] == pytest.approx(BETWEEN**2 / (BETWEEN**2 + WITHIN**2), abs=0.08)


def test_one_order_gets_the_population_rhythm_and_no_order_no_prediction():
    _typical, days, _quantities = _accounts(0)
    learned = population(days)
    first, never = predict([*days, np.array([100.0]), np.array([])], now=110.0)[-2:]
    assert first.own_weight == 0.0
    assert first.typical_interval_days == pytest.approx(np.exp(learned.log_interval))
    assert first.next_order == pytest.approx(100.0 + first.typical_interval_days)
    assert (never.orders, never.next_order, never.is_due) == (0, None, False)


def test_an_order_is_due_when_the_next_one_falls_within_the_horizon():
    days = [np.arange(0.0, 300.0, 30.0), np.arange(0.0, 300.0, 30.0) + 25.0]
    # Both buy every 30 days; the first last bought on day 270, the second on day 295
    early, late = predict(days, now=290.0, horizon_days=14.0)
    assert early.typical_interval_days == pytest.approx(30.0)
    assert (early.next_order, early.due_in_days, early.is_due) == (300.0, 10.0, True)
    assert (late.next_order, late.is_due) == (325.0, False)


def test_quantities_are_shrunk_like_intervals():
    _typical, days, quantities = _accounts(1)
    reorders = predict(days, quantities, now=0.0)
    assert np.median([r.typical_quantity for r in reorders]) == pytest.approx(20, rel=0.05)


def test_orders_on_one_day_count_once_and_bad_input_is_refused():
    (single,) = predict([np.array([10.0, 10.0, 10.2])], now=11.0)
    assert (single.orders, single.own_weight) == (2, 0.0)
    with pytest.raises(ValueError, match="finite"):
        predict([np.array([1.0, np.nan])], now=0.0)
    with pytest.raises(ValueError, match="one entry per account"):
        predict([np.array([1.0])], [np.array([1.0]), np.array([2.0])], now=0.0)
    with pytest.raises(ValueError, match="not negative"):
        predict([np.array([1.0, 40.0])], [np.array([1.0, -2.0])], now=0.0)
