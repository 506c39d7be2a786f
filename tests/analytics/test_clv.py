# ruff: noqa: N806 -- (x, t_x, T) is the papers' notation, kept on purpose
"""Lifetime value on cases that can be worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rapport.analytics.btyd import (
    BgNbdParams,
    GammaGammaParams,
    ParetoNbdParams,
    bgnbd_conditional_expected_purchases,
)
from rapport.analytics.clv import (
    WEEKS_PER_MONTH,
    contract_clv,
    expected_discounted_purchases,
    period_discount_rate,
    repeat_buying_clv,
)
from rapport.analytics.retention import SbgParams


def test_repeat_buying_clv_by_hand():
    # Pareto/NBD r=1 alpha=1 s=2 beta=1 and a customer just acquired: E[Y(t)] = t/(1+t),
    # so with one period a month she buys 1/2 in month 1 and 2/3 - 1/2 = 1/6 in month 2.
    # Gamma-Gamma p=2 q=3 gamma=10 gives a newcomer the population spend 10; margin 30%.
    clv = repeat_buying_clv(
        ParetoNbdParams(1.0, 1.0, 2.0, 1.0),
        GammaGammaParams(2.0, 3.0, 10.0),
        [0],
        [0],
        [0],
        [0.0],
        margin_ratio=0.3,
        annual_discount_rate=0.21,
        horizon_months=2,
        periods_per_month=1.0,
    )
    expected = 3.0 * (0.5 / 1.21 ** (1 / 12) + (1 / 6) / 1.21 ** (2 / 12))
    assert clv == pytest.approx([expected])


def test_without_discount_the_months_add_up_to_the_horizon():
    params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    x, t_x, T = np.array([0, 2, 7]), np.array([0, 30.43, 35.0]), np.array([38.86] * 3)
    total = expected_discounted_purchases(
        params, x, t_x, T, annual_discount_rate=0.0, horizon_months=12
    )
    whole_year = bgnbd_conditional_expected_purchases(params, 12 * WEEKS_PER_MONTH, x, t_x, T)
    assert total == pytest.approx(whole_year)
    # and discounting only lowers it
    discounted = expected_discounted_purchases(
        params, x, t_x, T, annual_discount_rate=0.1, horizon_months=12
    )
    assert np.all(discounted < total)
    assert discounted.shape == (3,)


def test_contract_clv_by_hand():
    # sBG alpha = beta = 1 renewing yearly at 10%: DERL = (ln 11 - 1/1.1) * 1.21
    clv = contract_clv(
        SbgParams(1.0, 1.0), [100.0, 50.0], annual_discount_rate=0.1, periods_per_year=1
    )
    derl = (math.log(11) - 1 / 1.1) * 1.21
    assert clv == pytest.approx([100 * derl, 50 * derl])


def test_an_annual_rate_compounds_monthly():
    assert (1 + period_discount_rate(0.1, 12)) ** 12 == pytest.approx(1.1)
