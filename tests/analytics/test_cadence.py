"""The quiet-interval model on hand-made exchange times: no database, exact expectations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rapport.analytics.cadence import Rhythm, learn_rhythms, population_prior


def _every(gap: float, count: int, start: float = 0.0) -> np.ndarray:
    return start + gap * np.arange(count)


def test_a_regular_rhythm_is_learned_and_its_silence_flagged():
    # Given exchanges every 10 days, the last one 20 days ago
    times = _every(10, 21)
    # When the rhythm is learned
    [rhythm] = learn_rhythms([times], now=times[-1] + 20)
    # Then the typical gap is 10 days, 15 allowed (1.5 x), and it is 5 days overdue
    assert rhythm.exchanges == 21
    assert rhythm.typical_gap_days == pytest.approx(10)
    assert rhythm.allowed_gap_days == pytest.approx(15)
    assert rhythm.quiet_days == pytest.approx(20)
    assert rhythm.is_quiet is True
    assert rhythm.overdue_days == pytest.approx(5)


def test_within_its_rhythm_an_organisation_is_not_quiet():
    times = _every(10, 21)
    [rhythm] = learn_rhythms([times], now=times[-1] + 14)
    assert rhythm.is_quiet is False
    assert rhythm.overdue_days == 0.0


def test_the_allowed_gap_follows_the_spread_of_gaps():
    # Given half the gaps 5 days and half 40 days
    times = np.cumsum([0.0] + [5.0] * 5 + [40.0] * 5)
    [rhythm] = learn_rhythms([times], now=times[-1] + 41)
    # Then typical = geometric middle of 5 and 40, allowed = the 90th percentile gap, 40
    assert rhythm.typical_gap_days == pytest.approx(math.sqrt(200))
    assert rhythm.allowed_gap_days == pytest.approx(40)
    assert rhythm.overdue_days == pytest.approx(1)


def test_a_short_history_is_shrunk_towards_the_population():
    # Given three organisations talking every 10 days and one with a single 40-day gap
    regular = [_every(10, 11) for _ in range(3)]
    newcomer = np.array([0.0, 40.0])
    rhythms = learn_rhythms([*regular, newcomer], now=100.0, prior_strength=5.0)
    # Then the newcomer's typical gap is 1/6 its own and 5/6 the population's (log scale)
    expected = math.exp(math.log(40) / 6 + 5 * math.log(10) / 6)
    assert rhythms[3].typical_gap_days == pytest.approx(expected)
    assert rhythms[3].typical_gap_days == pytest.approx(10 * 4 ** (1 / 6))
    assert rhythms[3].allowed_gap_days == pytest.approx(1.5 * expected)
    # and the regular ones keep their own rhythm
    assert rhythms[0].typical_gap_days == pytest.approx(10)


def test_with_one_exchange_the_population_rhythm_applies():
    regular = [_every(10, 11) for _ in range(2)]
    rhythms = learn_rhythms([*regular, np.array([50.0])], now=70.0)
    assert rhythms[2].exchanges == 1
    assert rhythms[2].typical_gap_days == pytest.approx(10)
    assert rhythms[2].allowed_gap_days == pytest.approx(15)
    assert rhythms[2].is_quiet is True
    assert rhythms[2].overdue_days == pytest.approx(5)


def test_without_enough_history_anywhere_the_defaults_apply():
    [rhythm] = learn_rhythms([np.array([0.0, 20.0])], now=120.0, prior_strength=5.0)
    # own gap 20 (weight 1/6), prior 30 days typical and 90 allowed (spread 3x)
    typical = math.exp(math.log(20) / 6 + 5 * math.log(30) / 6)
    spread = 5 * math.log(3) / 6
    assert rhythm.typical_gap_days == pytest.approx(typical)
    assert rhythm.allowed_gap_days == pytest.approx(typical * math.exp(spread))
    assert rhythm.is_quiet is True


def test_an_organisation_never_in_touch_has_no_rhythm_and_is_not_quiet():
    [rhythm] = learn_rhythms([np.array([])], now=1000.0)
    assert rhythm == Rhythm(0, None, None, None, None, False, 0.0)


def test_same_day_bursts_do_not_count_as_gaps():
    # A reply two hours later is the same exchange, not a 0.08-day rhythm.
    times = np.array([0.0, 0.1, 10.0, 10.2, 20.0, 30.0, 30.05, 40.0, 50.0, 60.0])
    [rhythm] = learn_rhythms([times], now=65.0)
    assert rhythm.typical_gap_days == pytest.approx(10, rel=0.03)
    assert rhythm.exchanges == 10


def test_the_prior_is_the_median_of_organisations_with_enough_gaps():
    gap_sets = [np.full(5, 10.0), np.full(5, 20.0), np.full(5, 40.0), np.full(2, 1000.0)]
    prior = population_prior(
        gap_sets,
        quantile=0.9,
        min_own_gaps=5,
        default_typical_days=30,
        default_allowed_days=90,
    )
    assert math.exp(prior.log_typical) == pytest.approx(20)
    assert prior.log_spread == pytest.approx(0)


def test_times_may_come_unsorted_and_as_lists():
    [a, b] = learn_rhythms([[30.0, 10.0, 0.0, 20.0], [0.0, 10.0, 20.0, 30.0]], now=40.0)
    assert a == b
