"""Wallets modelled from similar accounts, on hand-made bases: no database, exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.analytics.wallets import model_wallets

NAN = np.nan


def test_an_unknown_wallet_is_the_median_of_its_nearest_neighbours_scaled_by_size():
    # Given four manufacturers whose wallet is known: 4x, 2x, 3x and 10x what they spend
    # with us; the far larger one (10x) is not among the 3 nearest of a size-100 account
    industry = ["Manufacturing"] * 5
    size = np.array([90.0, 110.0, 120.0, 100_000.0, 100.0])
    known = np.array([[360.0], [220.0], [360.0], [1_000_000.0], [NAN]])
    ours = np.array([[90.0], [110.0], [120.0], [100_000.0], [40.0]])
    # When the unknown one is modelled from its 3 nearest
    result = model_wallets(industry=industry, size=size, known=known, ours=ours, k=3)
    # Then ratios 4, 2 and 3 give a median of 3 times its 100 with us
    assert result.amount[4, 0] == pytest.approx(300.0)
    assert result.neighbours[4, 0] == 3
    assert bool(result.same_industry[4, 0]) is True
    # and known wallets are not modelled
    assert np.isnan(result.amount[:4, 0]).all()
    assert (result.neighbours[:4, 0] == 0).all()


def test_neighbours_come_from_the_same_industry_first():
    # Given a known energy wallet of 1,000 at size 100, and a known retail one of 50 at size 100
    industry = ["Energy", "Retail", "Energy"]
    size = np.array([100.0, 100.0, 50.0])
    known = np.array([[1000.0], [50.0], [NAN]])
    ours = np.zeros((3, 1))
    result = model_wallets(industry=industry, size=size, known=known, ours=ours, k=5)
    # Then the energy account gets the energy ratio (10x) times its size 50
    assert result.amount[2, 0] == pytest.approx(500.0)
    assert result.neighbours[2, 0] == 1


def test_without_a_known_wallet_in_its_industry_the_whole_base_is_used_and_said_so():
    industry = ["Energy", "Energy", "Mining", ""]
    size = np.array([100.0, 200.0, 100.0, 100.0])
    known = np.array([[300.0], [1000.0], [NAN], [NAN]])
    ours = np.zeros((4, 1))
    result = model_wallets(industry=industry, size=size, known=known, ours=ours, k=2)
    # ratios 3 and 5, median 4, times 100
    assert result.amount[2, 0] == pytest.approx(400.0)
    assert result.amount[3, 0] == pytest.approx(400.0)
    assert result.neighbours[2, 0] == 2
    assert not result.same_industry[2:, 0].any()


def test_an_account_we_sell_nothing_gets_the_neighbours_absolute_median():
    industry = ["Retail"] * 4
    size = np.array([10.0, 20.0, 30.0, 0.0])
    known = np.array([[100.0], [500.0], [200.0], [NAN]])
    ours = np.zeros((4, 1))
    result = model_wallets(industry=industry, size=size, known=known, ours=ours, k=3)
    assert result.amount[3, 0] == pytest.approx(200.0)


def test_a_modelled_wallet_is_never_below_what_they_already_spend_with_us():
    industry = ["Retail", "Retail"]
    size = np.array([100.0, 100.0])
    known = np.array([[150.0], [NAN]])
    ours = np.array([[100.0], [400.0]])  # category revenue above the neighbour's ratio
    result = model_wallets(industry=industry, size=size, known=known, ours=ours, k=1)
    assert result.amount[1, 0] == pytest.approx(400.0)


def test_a_category_nobody_knows_stays_unmodelled_and_categories_are_independent():
    industry = ["Retail", "Retail"]
    size = np.array([100.0, 100.0])
    known = np.array([[NAN, 200.0], [NAN, NAN]])
    ours = np.zeros((2, 2))
    result = model_wallets(industry=industry, size=size, known=known, ours=ours)
    assert np.isnan(result.amount[:, 0]).all()
    assert result.amount[1, 1] == pytest.approx(200.0)
    assert result.neighbours.tolist() == [[0, 0], [0, 1]]


def test_mismatched_shapes_and_k_are_refused():
    with pytest.raises(ValueError, match="same organisations"):
        model_wallets(industry=["A"], size=np.ones(2), known=np.ones((2, 1)), ours=np.ones((2, 1)))
    with pytest.raises(ValueError, match="k must be"):
        model_wallets(
            industry=["A"], size=np.ones(1), known=np.ones((1, 1)), ours=np.ones((1, 1)), k=0
        )


def test_many_accounts_are_modelled_in_one_vectorised_pass():
    rng = np.random.default_rng(7)
    n = 20_000
    size = rng.lognormal(10, 1.5, n)
    known = np.where(rng.random((n, 8)) < 0.1, size[:, None] * 3.0, NAN)
    industry = [f"industry {i % 20}" for i in range(n)]
    result = model_wallets(industry=industry, size=size, known=known, ours=np.zeros((n, 8)))
    # every ratio is 3, so every estimate is 3 times the account's size
    unknown = np.isnan(known)
    np.testing.assert_allclose(result.amount[unknown], (size[:, None] * 3.0 * unknown)[unknown])
    assert (result.neighbours[unknown] == 5).all()
