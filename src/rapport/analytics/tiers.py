"""Value tiers (D5) and keep / grow / shed, with reasons in words: pure numpy, no Django.

The rules, in the order they are applied to each organisation:

* **Below zero** — the margin after cost to serve over the last 12 months is negative, and
  the predicted margin over the horizon does not rescue it: it is smaller than serving
  the account for the horizon at today's cost to serve. Recommendation: shed (or serve at
  lower cost). An organisation that has never bought from us is a prospect (a customer at
  0% share): what we spend on it is the cost of winning it, so it is never below zero.
* **Most valuable** — of the rest, the top `top_share` (20 %, counted on the rest) by value,
  where value is the margin after cost to serve over the last 12 months plus the predicted
  future value; only organisations with a positive value qualify. Recommendation: keep.
* **Most growable** — of the rest, the top `top_share` (counted on the rest) by strategic
  value (unrealised wallet plus growth potential), where it is positive. Recommendation: grow.
* **Maintain** — everyone else. Recommendation: keep (at an efficient cost to serve).

The manager's judgement sits beside the model and never replaces its tier: a judgement
score at or above `judgement_threshold` (70 of 100) changes a *shed* into *keep* and a
*maintain*'s *keep* into *grow*, and the reasons say so.

**Most we should spend a year to keep an account** (max retention spend): a share
(`retention_share`, 25 %) of its predicted future value spread over the horizon — the
annual margin we expect to lose if it leaves, of which we would give up at most a quarter
to keep it. Nothing for below-zero accounts unless a manager judged them strategic; then
the same share of their value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MODEL_NAME = "value-tiers"
MODEL_VERSION = "1"
TOP_SHARE = 0.2
RETENTION_SHARE = 0.25
JUDGEMENT_THRESHOLD = 70

MOST_VALUABLE = "most_valuable"
MOST_GROWABLE = "most_growable"
MAINTAIN = "maintain"
BELOW_ZERO = "below_zero"
KEEP = "keep"
GROW = "grow"
SHED = "shed"


@dataclass
class TierDecision:
    """One organisation's tier, recommendation, reasons and most worth spending to keep it."""

    tier: str
    recommendation: str
    reasons: list[str] = field(default_factory=list)
    max_retention_spend: float = 0.0


def money(amount: float) -> str:
    """A whole amount with thousands separators, as the UI shows money."""
    text = f"{abs(amount):,.0f}"
    return f"-{text}" if round(amount) < 0 else text


def _top(score: NDArray[np.float64], pool: NDArray[np.bool_], share: float) -> NDArray[np.bool_]:
    """The top `share` of the pool by score (at least one), of those whose score is positive."""
    chosen = np.zeros(score.shape, dtype=bool)
    idx = np.flatnonzero(pool & (score > 0))
    if idx.size == 0:
        return chosen
    count = max(1, math.ceil(share * int(pool.sum())))
    order = idx[np.argsort(-score[idx], kind="stable")]
    chosen[order[:count]] = True
    return chosen


def assign_tiers(
    *,
    net_margin_12m: NDArray[np.float64],
    cost_to_serve_12m: NDArray[np.float64],
    predicted_value: NDArray[np.float64],
    strategic_value: NDArray[np.float64],
    unrealised_wallet: NDArray[np.float64],
    judgement: NDArray[np.float64],
    horizon_years: float,
    has_bought: NDArray[np.bool_] | None = None,
    top_share: float = TOP_SHARE,
    retention_share: float = RETENTION_SHARE,
    judgement_threshold: float = JUDGEMENT_THRESHOLD,
    money: Callable[[float], str] = money,
) -> list[TierDecision]:
    """Tier every organisation by the rules above; `judgement` is NaN where there is none.

    `money` writes an amount in the reasons (the caller's currency; plain by default).
    """
    net = np.asarray(net_margin_12m, dtype=float)
    cts = np.asarray(cost_to_serve_12m, dtype=float)
    predicted = np.asarray(predicted_value, dtype=float)
    strategic = np.asarray(strategic_value, dtype=float)
    unrealised = np.asarray(unrealised_wallet, dtype=float)
    judged = np.asarray(judgement, dtype=float)
    if horizon_years <= 0:
        raise ValueError("horizon_years must be positive")

    serving_cost = cts * horizon_years
    bought = np.ones(net.shape, dtype=bool) if has_bought is None else np.asarray(has_bought)
    below = (net < 0) & (predicted < serving_cost) & bought
    value = net + predicted
    valuable = _top(value, ~below, top_share)
    growable = _top(strategic, ~below & ~valuable, top_share)
    value_rank = _rank(value, ~below & (value > 0))
    years = f"{horizon_years:g} year{'s' if horizon_years != 1 else ''}"

    decisions = []
    for i in range(net.size):
        reasons: list[str] = []
        strong = not math.isnan(judged[i]) and judged[i] >= judgement_threshold
        annual_value = max(predicted[i], 0.0) / horizon_years
        spend = retention_share * annual_value
        if below[i]:
            tier, recommendation = BELOW_ZERO, SHED
            reasons.append(
                f"Margin after cost to serve was {money(net[i])} over the last 12 months "
                f"(cost to serve {money(cts[i])})."
            )
            reasons.append(
                f"The predicted margin of {money(predicted[i])} over {years} does not cover "
                f"serving it at today's cost ({money(serving_cost[i])})."
            )
            if strong:
                recommendation = KEEP
                reasons.append(
                    f"Kept rather than shed: a manager judged its strategic value "
                    f"{judged[i]:.0f} of 100."
                )
            else:
                spend = 0.0
                reasons.append("Serve it at lower cost, or let it go.")
        elif valuable[i]:
            tier, recommendation = MOST_VALUABLE, KEEP
            reasons.append(
                f"Among the top {top_share:.0%} by value: {money(value[i])} "
                f"(margin after cost to serve {money(net[i])} over 12 months plus "
                f"{money(predicted[i])} predicted over {years}); rank {value_rank[i]}."
            )
        elif growable[i]:
            tier, recommendation = MOST_GROWABLE, GROW
            reasons.append(
                f"Among the top {top_share:.0%} by strategic value: {money(strategic[i])}, "
                f"of which {money(unrealised[i])} is wallet they spend elsewhere."
            )
        else:
            tier, recommendation = MAINTAIN, KEEP
            reasons.append(
                f"Neither among the most valuable nor the most growable: value "
                f"{money(value[i])}, strategic value {money(strategic[i])}."
            )
            if strong:
                recommendation = GROW
                reasons.append(
                    f"Grow rather than maintain: a manager judged its strategic value "
                    f"{judged[i]:.0f} of 100."
                )
        if not bought[i]:
            reasons.append(
                "A prospect: it has not bought from us yet, so what we spend on it is the "
                "cost of winning it, not a loss."
            )
        if spend > 0:
            reasons.append(
                f"Worth spending up to {money(spend)} a year to keep: {retention_share:.0%} "
                f"of its predicted value per year."
            )
        decisions.append(
            TierDecision(
                tier=tier,
                recommendation=recommendation,
                reasons=reasons,
                max_retention_spend=round(spend, 2),
            )
        )
    return decisions


def _rank(score: NDArray[np.float64], eligible: NDArray[np.bool_]) -> NDArray[np.int64]:
    """1-based rank by score among the eligible rows (0 for the others)."""
    rank = np.zeros(score.shape, dtype=np.int64)
    idx = np.flatnonzero(eligible)
    order = idx[np.argsort(-score[idx], kind="stable")]
    rank[order] = np.arange(1, order.size + 1)
    return rank
