"""Tier rules on hand-made values: no database, exact tiers, reasons and retention spend."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.analytics.tiers import assign_tiers, money

NAN = np.nan


def _tiers(**overrides):
    # Ten organisations; by default: no cost to serve, value grows with position
    columns = {
        "net_margin_12m": np.arange(1.0, 11.0) * 100,
        "cost_to_serve_12m": np.zeros(10),
        "predicted_value": np.arange(1.0, 11.0) * 300,
        "strategic_value": np.zeros(10),
        "unrealised_wallet": np.zeros(10),
        "judgement": np.full(10, NAN),
    }
    columns.update(overrides)
    return assign_tiers(horizon_years=3.0, **columns)


def test_the_top_fifth_by_value_is_most_valuable_and_kept():
    decisions = _tiers()
    assert [d.tier for d in decisions] == ["maintain"] * 8 + ["most_valuable"] * 2
    top = decisions[9]
    assert top.recommendation == "keep"
    assert top.reasons[0] == (
        "Among the top 20% by value: 4,000 (margin after cost to serve 1,000 over 12 months "
        "plus 3,000 predicted over 3 years); rank 1."
    )
    # 25% of 3,000 over 3 years = 250 a year
    assert top.max_retention_spend == 250.0
    assert top.reasons[-1] == (
        "Worth spending up to 250 a year to keep: 25% of its predicted value per year."
    )


def test_negative_margin_not_rescued_by_predicted_value_is_below_zero_and_shed():
    net = np.arange(1.0, 11.0) * 100
    cts = np.zeros(10)
    predicted = np.arange(1.0, 11.0) * 300
    # 0: margin -200 after 500 cost to serve; 1,000 predicted < 3 years x 500
    net[0], cts[0], predicted[0] = -200.0, 500.0, 1000.0
    # 1: margin -200 after 100 cost to serve; 1,000 predicted > 3 years x 100: rescued
    net[1], cts[1], predicted[1] = -200.0, 100.0, 1000.0
    decisions = _tiers(net_margin_12m=net, cost_to_serve_12m=cts, predicted_value=predicted)
    assert decisions[0].tier == "below_zero"
    assert decisions[0].recommendation == "shed"
    assert decisions[0].max_retention_spend == 0.0
    assert decisions[0].reasons == [
        "Margin after cost to serve was -200 over the last 12 months (cost to serve 500).",
        "The predicted margin of 1,000 over 3 years does not cover serving it at today's "
        "cost (1,500).",
        "Serve it at lower cost, or let it go.",
    ]
    assert decisions[1].tier == "maintain"


def test_the_most_growable_are_the_top_fifth_by_strategic_value_of_the_rest():
    strategic = np.zeros(10)
    strategic[[0, 3, 9]] = [5000.0, 7000.0, 9000.0]  # 9 is already most valuable
    unrealised = strategic * 0.8
    decisions = _tiers(strategic_value=strategic, unrealised_wallet=unrealised)
    tiers = [d.tier for d in decisions]
    # 8 candidates left, top 20% = 2: positions 3 and 0
    assert tiers[3] == "most_growable"
    assert tiers[0] == "most_growable"
    assert tiers[9] == "most_valuable"
    assert tiers.count("most_growable") == 2
    assert decisions[3].recommendation == "grow"
    assert decisions[3].reasons[0] == (
        "Among the top 20% by strategic value: 7,000, of which 5,600 is wallet they spend "
        "elsewhere."
    )


def test_a_high_judgement_keeps_a_below_zero_account_and_says_so_while_the_tier_stays():
    net = np.arange(1.0, 11.0) * 100
    cts = np.zeros(10)
    net[0], cts[0] = -300.0, 400.0
    judgement = np.full(10, NAN)
    judgement[0] = 85
    judgement[4] = 90  # a maintain account judged strategic
    judgement[5] = 40  # too low to change anything
    decisions = _tiers(net_margin_12m=net, cost_to_serve_12m=cts, judgement=judgement)
    assert decisions[0].tier == "below_zero"
    assert decisions[0].recommendation == "keep"
    assert "Kept rather than shed: a manager judged its strategic value 85 of 100." in (
        decisions[0].reasons
    )
    # predicted 300 over 3 years: 25 a year is worth spending once it is kept
    assert decisions[0].max_retention_spend == 25.0
    assert decisions[4].tier == "maintain"
    assert decisions[4].recommendation == "grow"
    assert decisions[4].reasons[1] == (
        "Grow rather than maintain: a manager judged its strategic value 90 of 100."
    )
    assert decisions[5].recommendation == "keep"


def test_nobody_with_no_value_is_most_valuable_and_one_account_alone_can_be():
    decisions = assign_tiers(
        net_margin_12m=np.array([0.0, 50.0]),
        cost_to_serve_12m=np.zeros(2),
        predicted_value=np.zeros(2),
        strategic_value=np.zeros(2),
        unrealised_wallet=np.zeros(2),
        judgement=np.full(2, NAN),
        horizon_years=1.0,
    )
    assert [d.tier for d in decisions] == ["maintain", "most_valuable"]
    assert decisions[1].reasons[0].endswith("predicted over 1 year); rank 1.")


def test_money_has_thousands_separators_and_a_sign():
    assert money(1234567.4) == "1,234,567"
    assert money(-1500) == "-1,500"
    assert money(-0.2) == "0"


def test_a_horizon_must_be_positive():
    with pytest.raises(ValueError, match="horizon_years"):
        assign_tiers(
            net_margin_12m=np.zeros(1),
            cost_to_serve_12m=np.zeros(1),
            predicted_value=np.zeros(1),
            strategic_value=np.zeros(1),
            unrealised_wallet=np.zeros(1),
            judgement=np.zeros(1),
            horizon_years=0,
        )


def test_a_prospect_that_never_bought_is_never_below_zero():
    # given two organisations that cost us 1,000 to serve and earned nothing; one never bought
    decisions = assign_tiers(
        net_margin_12m=np.array([-1000.0, -1000.0]),
        cost_to_serve_12m=np.array([1000.0, 1000.0]),
        predicted_value=np.array([0.0, 0.0]),
        strategic_value=np.array([0.0, 0.0]),
        unrealised_wallet=np.array([0.0, 0.0]),
        judgement=np.array([np.nan, np.nan]),
        horizon_years=3,
        has_bought=np.array([True, False]),
    )
    # then the customer is below zero and the prospect is maintained, and says why
    assert [d.tier for d in decisions] == ["below_zero", "maintain"]
    assert decisions[1].recommendation == "keep"
    assert any("prospect" in reason for reason in decisions[1].reasons)
