"""Quiet intervals (X8): each organisation's own rhythm of contact, and who has gone quiet.

Pure numpy, no Django: the runner in `rapport.interactions.cadence` loads the exchange
times in bulk and stores what this returns.

The model. An organisation's rhythm is the distribution of gaps between its two-way or
inbound exchanges. Gaps are skewed (many short ones, a few long ones), so it works on
log-gaps: the *typical* gap is the median gap, and the *allowed* gap is the typical gap
times the organisation's spread (its high quantile over its median), never less than
`min_ratio` times the typical gap.

Why shrink to a population prior. An organisation with three exchanges has two gaps;
their median and 90th percentile are noise — one lucky short gap would flag it as quiet
after a week. So both the log-median and the log-spread are a credibility-weighted mix
of the organisation's own value and the population's (the median over organisations
with enough history): weight n / (n + prior_strength) for n own gaps. With no gap at
all the organisation gets the population's rhythm; with many, its own. This is the
empirical-Bayes / Bühlmann credibility idea, which needs no fitting and stays stable
for a long tail of small accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

MODEL_NAME = "gap-quantile-credibility"
MODEL_VERSION = "1"


@dataclass(frozen=True)
class Rhythm:
    """One organisation's learned rhythm and where it stands now (times in days)."""

    exchanges: int
    typical_gap_days: float | None
    allowed_gap_days: float | None
    last_exchange: float | None
    quiet_days: float | None
    is_quiet: bool
    overdue_days: float


@dataclass(frozen=True)
class Prior:
    """The population's rhythm: log of the typical gap and log of the spread."""

    log_typical: float
    log_spread: float


def _own_gaps(times: np.ndarray, min_gap_days: float) -> np.ndarray:
    """Gaps between exchanges, with same-day bursts (a reply an hour later) merged away."""
    if times.size < 2:
        return np.empty(0)
    gaps = np.diff(np.sort(times))
    return gaps[gaps >= min_gap_days]


def population_prior(
    gap_sets: Sequence[np.ndarray],
    *,
    quantile: float,
    min_own_gaps: int,
    default_typical_days: float,
    default_allowed_days: float,
) -> Prior:
    """The median rhythm over organisations with at least `min_own_gaps` gaps (else defaults)."""
    typicals, spreads = [], []
    for gaps in gap_sets:
        if gaps.size >= min_own_gaps:
            logs = np.log(gaps)
            median = float(np.median(logs))
            typicals.append(median)
            spreads.append(float(np.quantile(logs, quantile)) - median)
    if not typicals:
        return Prior(
            float(np.log(default_typical_days)),
            float(np.log(default_allowed_days / default_typical_days)),
        )
    return Prior(float(np.median(typicals)), float(np.median(spreads)))


def learn_rhythms(
    exchange_days: Sequence[ArrayLike],
    *,
    now: float,
    quantile: float = 0.9,
    prior_strength: float = 5.0,
    min_own_gaps: int = 5,
    min_gap_days: float = 1.0,
    min_ratio: float = 1.5,
    default_typical_days: float = 30.0,
    default_allowed_days: float = 90.0,
) -> list[Rhythm]:
    """Each organisation's typical and allowed gap, and whether it is quiet at `now`.

    `exchange_days[i]` holds organisation i's exchange times in days (any epoch, the same
    as `now`). An organisation with no exchange has no rhythm and is never quiet: it is a
    prospect, not a relationship that went silent.
    """
    times = [np.asarray(t, dtype=float).ravel() for t in exchange_days]
    gap_sets = [_own_gaps(t, min_gap_days) for t in times]
    prior = population_prior(
        gap_sets,
        quantile=quantile,
        min_own_gaps=min_own_gaps,
        default_typical_days=default_typical_days,
        default_allowed_days=default_allowed_days,
    )
    rhythms = []
    for own_times, gaps in zip(times, gap_sets, strict=True):
        if own_times.size == 0:
            rhythms.append(Rhythm(0, None, None, None, None, False, 0.0))
            continue
        weight = gaps.size / (gaps.size + prior_strength)
        log_typical, log_spread = prior.log_typical, prior.log_spread
        if gaps.size:
            logs = np.log(gaps)
            own_median = float(np.median(logs))
            own_spread = float(np.quantile(logs, quantile)) - own_median
            log_typical = weight * own_median + (1 - weight) * prior.log_typical
            log_spread = weight * own_spread + (1 - weight) * prior.log_spread
        typical = float(np.exp(log_typical))
        allowed = max(float(np.exp(log_typical + log_spread)), typical * min_ratio)
        last = float(own_times.max())
        quiet = max(float(now) - last, 0.0)
        rhythms.append(
            Rhythm(
                exchanges=int(own_times.size),
                typical_gap_days=typical,
                allowed_gap_days=allowed,
                last_exchange=last,
                quiet_days=quiet,
                is_quiet=bool(quiet > allowed),
                overdue_days=max(quiet - allowed, 0.0),
            )
        )
    return rhythms
