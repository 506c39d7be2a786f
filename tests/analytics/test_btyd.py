# ruff: noqa: N806 -- (x, t_x, T) is the papers' notation, kept on purpose
"""Repeat-buying models against published CDNOW fits, simulations and finite differences.

No database. The CDNOW files live in ../shared/data (see its README); a missing file
fails the test on purpose, it is not skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapport.analytics.btyd import (
    BgNbdParams,
    GammaGammaParams,
    ParetoNbdParams,
    _bgnbd_ll_grad,
    _BgNbdData,
    bgnbd_conditional_expected_purchases,
    bgnbd_expected_purchases_new,
    bgnbd_individual_log_likelihood,
    bgnbd_log_likelihood,
    bgnbd_probability_alive,
    collapse,
    fit_bgnbd,
    fit_gammagamma,
    fit_paretonbd,
    gammagamma_expected_spend,
    gammagamma_log_likelihood,
    paretonbd_conditional_expected_purchases,
    paretonbd_expected_purchases_new,
    paretonbd_integral,
    paretonbd_log_likelihood,
    paretonbd_probability_alive,
    simulate_bgnbd,
    simulate_paretonbd,
)
from rapport.analytics.information import newton, standard_errors
from rapport.analytics.rows import ByCount
from tests.analytics.recovery import assert_recovered, log_z_scores

CDNOW = Path(__file__).parents[2].parent / "shared" / "data" / "cdnow"


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    table = np.loadtxt(
        CDNOW / "cdnow_customers_summary_with_transactions.csv", delimiter=",", skiprows=1
    )
    return {"x": table[:, 1], "t_x": table[:, 2], "T": table[:, 3], "zbar": table[:, 4]}


def _finite_difference(function, point: np.ndarray, step: float = 1e-6) -> np.ndarray:
    gradient = []
    for i in range(point.size):
        h = np.zeros(point.size)
        h[i] = step * point[i]
        gradient.append((function(point + h) - function(point - h)) / (2 * h[i]))
    return np.array(gradient)


# --------------------------------------------------------------------------- CDNOW


def test_the_cdnow_summary_files_agree(cdnow):
    # Given the two shipped summaries of the 2,357-customer sample
    table = np.loadtxt(CDNOW / "cdnow_customers_summary.csv", delimiter=",", skiprows=1)
    # Then they hold the same customers with the same (x, t_x, T)
    assert table.shape == (2357, 4)
    assert np.array_equal(table[:, 1], cdnow["x"])
    assert np.allclose(table[:, 2], cdnow["t_x"], atol=0.006)
    assert np.allclose(table[:, 3], cdnow["T"], atol=0.006)


def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow):
    # When BG/NBD is fitted to the 39-week calibration period
    fit = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    # Then Fader, Hardie & Lee's (2005) estimates come back to the printed precision
    p = fit.params
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(fit.log_likelihood, 1) == -9582.4
    assert fit.converged is True
    assert (fit.model, fit.version, fit.n) == ("bgnbd", "1", 2357.0)
    # And the fast likelihood equals the plain per-customer formula
    plain = bgnbd_individual_log_likelihood(p, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
    assert fit.log_likelihood == pytest.approx(plain, rel=1e-12)


def test_paretonbd_reproduces_the_published_cdnow_fit(cdnow):
    fit = fit_paretonbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    p = fit.params
    assert (round(p.r, 3), round(p.alpha, 3), round(p.s, 3)) == (0.553, 10.578, 0.606)
    # beta sits on a flat ridge: our optimum (higher LL) is 11.668, the paper prints 11.669
    assert p.beta == pytest.approx(11.669, abs=0.002)
    assert round(fit.log_likelihood, 1) == -9595.0
    assert fit.converged is True
    published = ParetoNbdParams(0.553, 10.578, 0.606, 11.669)
    published_ll, _ = paretonbd_log_likelihood(published, cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fit.log_likelihood >= published_ll


def test_gammagamma_reproduces_the_published_cdnow_fit(cdnow):
    # Given the 946 customers with at least one repeat purchase
    repeat = cdnow["x"] > 0
    assert int(repeat.sum()) == 946
    fit = fit_gammagamma(cdnow["x"][repeat], cdnow["zbar"][repeat])
    p = fit.params
    assert (round(p.p, 2), round(p.q, 2)) == (6.25, 3.74)
    # gamma: we find 15.448 where note 025 prints 15.44; ours has the higher likelihood
    assert p.gamma == pytest.approx(15.44, abs=0.01)
    published_ll, _ = gammagamma_log_likelihood(
        GammaGammaParams(6.25, 3.74, 15.44), cdnow["x"][repeat], cdnow["zbar"][repeat]
    )
    assert fit.log_likelihood >= published_ll
    assert fit.converged is True


def test_cdnow_predictions_match_the_published_figures(cdnow):
    params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    # a customer never seen again is certainly alive under BG/NBD (no purchase, no dropout)
    assert bgnbd_probability_alive(params, [0], [0], [38.86]) == pytest.approx([1.0])
    # Hardie's spreadsheet example: x=2, t_x=30.43, T=38.86 -> 1.226 purchases in 39 weeks
    expected = bgnbd_conditional_expected_purchases(params, 39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.001)
    # a new customer's expectation grows with time and starts at zero
    new = bgnbd_expected_purchases_new(params, np.array([0.0, 39.0, 78.0]))
    assert new[0] == 0.0
    assert 0 < new[1] < new[2]


def test_bgnbd_standard_errors_match_lifetimes_and_a_second_difference_hessian(cdnow):
    data = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    fit = fit_bgnbd(*data, standard_errors=True)
    se = fit.standard_errors
    assert se is not None
    # lifetimes 0.11.3's BetaGeoFitter(penalizer_coef=0).fit(...).summary on this file
    # (autograd Hessian): se(coef) 0.012557, 0.378221, 0.185719, 0.705345
    ours = [se.r, se.alpha, se.a, se.b]
    assert ours == pytest.approx([0.012557, 0.378221, 0.185719, 0.705345], abs=2e-6)
    # and an information matrix built without our gradient: second differences of the
    # plain per-customer log-likelihood, in log-parameters, at the fitted point
    point = np.log([fit.params.r, fit.params.alpha, fit.params.a, fit.params.b])

    def total(v: np.ndarray) -> float:
        return float(bgnbd_individual_log_likelihood(BgNbdParams(*np.exp(v)), *data).sum())

    h = 1e-3
    hessian = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h, np.eye(4)[j] * h
            hessian[i, j] = (
                total(point + ei + ej)
                - total(point + ei - ej)
                - total(point - ei + ej)
                + total(point - ei - ej)
            ) / (4 * h * h)
    independent = np.exp(point) * np.sqrt(np.diag(np.linalg.inv(-hessian)))
    assert ours == pytest.approx(independent, rel=1e-4)


def test_standard_errors_of_an_exponential_rate_are_rate_over_root_n():
    # n draws of an exponential: the MLE is n / sum and its standard error rate / sqrt(n)
    draws = np.random.default_rng(1).exponential(0.5, 400)
    n, total = draws.size, draws.sum()

    def log_likelihood(v: np.ndarray) -> tuple[float, np.ndarray]:
        return n * np.log(v[0]) - v[0] * total, np.array([n / v[0] - total])

    rate = n / total
    assert standard_errors(log_likelihood, [rate]) == pytest.approx([rate / np.sqrt(n)], rel=1e-7)
    # a flat direction has no standard error rather than a made-up one
    flat = standard_errors(lambda v: (0.0, np.zeros(2)), [1.0, 2.0])
    assert np.isnan(flat).all()


# --------------------------------------------------------------------------- gradients


def test_bgnbd_gradient_equals_finite_differences(cdnow):
    rng = np.random.default_rng(5)
    data = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    weights = rng.integers(1, 4, cdnow["x"].size)
    for _ in range(5):
        point = np.exp(rng.uniform(-1.5, 1.5, 4)) * np.array([0.3, 4.0, 0.8, 2.5])

        def total(v: np.ndarray) -> float:
            return bgnbd_log_likelihood(BgNbdParams(*v), *data, weights)[0]

        _, gradient = bgnbd_log_likelihood(BgNbdParams(*point), *data, weights)
        numeric = _finite_difference(total, point)
        assert np.allclose(gradient, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_bgnbd_hessian_equals_finite_differences_of_the_gradient(cdnow):
    # The exact Hessian drives the Newton finish and the standard errors of fit_bgnbd
    rng = np.random.default_rng(8)
    weights = rng.integers(1, 4, cdnow["x"].size).astype(float)
    data = _BgNbdData(cdnow["x"], np.ceil(cdnow["t_x"]), np.ceil(cdnow["T"]), weights)
    for _ in range(4):
        point = np.exp(rng.uniform(-1.5, 1.5, 4)) * np.array([0.3, 4.0, 0.8, 2.5])
        found: list[np.ndarray] = []
        _bgnbd_ll_grad(point, data, found)
        numeric = np.column_stack(
            [
                _finite_difference(lambda v, i=i: _bgnbd_ll_grad(v, data)[1][i], point)
                for i in range(4)
            ]
        )
        assert np.allclose(found[0], numeric, rtol=1e-6, atol=1e-7 * np.abs(numeric).max())


def test_newton_refuses_to_step_where_the_likelihood_is_not_concave():
    # a bowl, not a hill: Newton would walk to its minimum, so it stops, unconverged
    def bowl(v: np.ndarray, found: list[np.ndarray] | None) -> tuple[float, np.ndarray]:
        if found is not None:
            found.append(2.0 * np.eye(2))
        return float(((v - 1.0) ** 2).sum()), 2.0 * (v - 1.0)

    params, _, _, evaluations, converged = newton(bowl, np.array([2.0, 3.0]), 1.0, 1e-9)
    assert converged is False
    assert evaluations == 1
    assert params.tolist() == [2.0, 3.0]


def test_paretonbd_gradient_equals_finite_differences(cdnow):
    rng = np.random.default_rng(6)
    data = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    points = np.exp(rng.uniform(-1.5, 1.5, (3, 4))) * np.array([0.5, 10.0, 0.6, 11.0])
    # both branches of the 2F1 transformation are covered: alpha >= beta and alpha < beta
    assert set(points[:, 1] >= points[:, 3]) == {True, False}
    for point in points:

        def total(v: np.ndarray) -> float:
            return paretonbd_log_likelihood(ParetoNbdParams(*v), *data)[0]

        _, gradient = paretonbd_log_likelihood(ParetoNbdParams(*point), *data)
        numeric = _finite_difference(total, point)
        assert np.allclose(gradient, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_paretonbd_2f1_value_equals_its_integral(cdnow):
    # The closed form (2F1) and the quadrature used for the gradient are the same integral
    for params in (ParetoNbdParams(0.55, 10.6, 0.6, 11.7), ParetoNbdParams(2, 3, 0.3, 40)):
        by_hyp, by_quadrature = paretonbd_integral(params, cdnow["x"], cdnow["t_x"], cdnow["T"])
        finite = np.isfinite(by_hyp)
        assert int((~finite).sum()) == int((cdnow["t_x"] == cdnow["T"]).sum())
        assert np.allclose(by_hyp[finite], by_quadrature[finite], rtol=0, atol=1e-9)


def test_gammagamma_gradient_equals_finite_differences(cdnow):
    repeat = cdnow["x"] > 0
    data = (cdnow["x"][repeat], cdnow["zbar"][repeat])
    point = np.array([3.0, 5.0, 20.0])
    _, gradient = gammagamma_log_likelihood(GammaGammaParams(*point), *data)
    numeric = _finite_difference(
        lambda v: gammagamma_log_likelihood(GammaGammaParams(*v), *data)[0], point
    )
    assert np.allclose(gradient, numeric, rtol=1e-6)


# --------------------------------------------------------------------------- recovery


def _params(fit) -> list[float]:
    return list(fit.as_dict().values())


def _errors(fit) -> list[float]:
    return [float(getattr(fit.standard_errors, name)) for name in fit.as_dict()]


def test_bgnbd_recovers_simulated_parameters_on_every_seed():
    # Given 24 seeds of 8,000 customers drawn from known parameters, observed 20..60 weeks
    truth = BgNbdParams(0.5, 6.0, 0.9, 3.0)
    fitted, errors = [], []
    for seed in range(24):
        rng = np.random.default_rng(seed)
        x, t_x, T = simulate_bgnbd(truth, rng.integers(20, 61, 8_000).astype(float), rng)
        fit = fit_bgnbd(x, t_x, T, standard_errors=True)
        assert fit.converged is True
        fitted.append(_params(fit))
        errors.append(_errors(fit))
    # Then each fit lies within its sampling error of the truth, and the seeds agree
    z = log_z_scores(fitted, errors, [0.5, 6.0, 0.9, 3.0])
    assert_recovered(z, ["r", "alpha", "a", "b"])


def test_collapsed_rows_give_the_same_fit():
    # Given data in whole weeks, where many customers share (x, t_x, T)
    rng = np.random.default_rng(3)
    x, t_x, T = simulate_bgnbd(BgNbdParams(0.4, 5.0, 0.8, 2.0), np.full(20_000, 30.0), rng)
    t_x = np.where(x > 0, np.ceil(t_x), 0.0)
    ux, ut, uT, counts = collapse(x, t_x, T)
    assert counts.sum() == 20_000
    assert ux.size < 2_000
    # Then merging them changes nothing but the time it takes
    merged, every = fit_bgnbd(ux, ut, uT, counts), fit_bgnbd(x, t_x, T)
    assert merged.log_likelihood == pytest.approx(every.log_likelihood, rel=1e-10)
    assert merged.params.r == pytest.approx(every.params.r, rel=1e-5)
    assert merged.n == every.n == 20_000


def test_collapse_counts_each_distinct_row():
    x = [0, 1, 1, 0, 1, 2.5]
    t_x = [0, 3, 3, 0, 4, 1]
    T = [5, 5, 5, 5, 5, 5]
    ux, ut, uT, counts = collapse(x, t_x, T)
    rows = {(a, b, c): n for a, b, c, n in zip(ux, ut, uT, counts, strict=True)}
    assert rows == {(0, 0, 5): 2, (1, 3, 5): 2, (1, 4, 5): 1, (2.5, 1, 5): 1}
    # the whole-number path (packed keys) agrees, weights summed
    ux, ut, uT, counts = collapse([0, 1, 1, 0], [0, 3, 3, 0], [5, 5, 5, 5], weights=[1, 2, 3, 4])
    assert list(zip(ux, ut, uT, counts, strict=True)) == [(0, 0, 5, 5), (1, 3, 5, 5)]


def test_sums_by_x_are_the_same_whether_rows_come_sorted_or_not():
    rng = np.random.default_rng(4)
    x = np.sort(rng.integers(0, 6, 50)).astype(float)
    x[x == 3] = 4  # an x with no rows between two with rows
    weights = rng.integers(0, 3, 50).astype(float)  # some rows weigh nothing
    values = rng.normal(size=50)
    expected = np.bincount(x.astype(int), weights=values, minlength=6)
    by_slices = ByCount(x, weights)
    assert by_slices.starts is not None  # sorted: summed by slices
    assert np.allclose(by_slices.sums(values), expected)
    shuffled = rng.permutation(50)
    by_count = ByCount(x[shuffled], weights[shuffled])
    assert by_count.starts is None
    assert np.allclose(by_count.sums(values[shuffled]), expected)


def test_paretonbd_recovers_simulated_parameters_on_every_seed():
    # 16 seeds of 8,000 (the dropout pair needs that many to be near normal; ~0.5 s each)
    truth = ParetoNbdParams(0.8, 8.0, 0.5, 12.0)
    fitted, errors = [], []
    for seed in range(16):
        rng = np.random.default_rng(seed)
        x, t_x, T = simulate_paretonbd(truth, rng.integers(20, 61, 8_000).astype(float), rng)
        fit = fit_paretonbd(*collapse(x, t_x, T), standard_errors=True)
        assert fit.n == 8_000
        fitted.append(_params(fit))
        errors.append(_errors(fit))
    z = log_z_scores(fitted, errors, [0.8, 8.0, 0.5, 12.0])
    assert_recovered(z, ["r", "alpha", "s", "beta"])


def test_gammagamma_recovers_simulated_parameters_on_every_seed():
    fitted, errors = [], []
    for seed in range(24):
        rng = np.random.default_rng(seed)
        n = 2_000
        x = rng.integers(1, 10, n).astype(float)
        nu = rng.gamma(4.0, 1 / 15.0, n)
        mean_spend = rng.gamma(6.0 * x, 1 / nu) / x  # the mean of x Gamma(6, nu) spends
        fit = fit_gammagamma(x, mean_spend, standard_errors=True)
        fitted.append(_params(fit))
        errors.append(_errors(fit))
    z = log_z_scores(fitted, errors, [6.0, 4.0, 15.0])
    assert_recovered(z, ["p", "q", "gamma"])


# --------------------------------------------------------------------------- predictions


def test_paretonbd_predictions_follow_their_closed_forms():
    params = ParetoNbdParams(1.0, 1.0, 2.0, 1.0)
    # a new customer: r beta / (alpha (s-1)) (1 - (beta/(beta+t))^(s-1)) = t / (1 + t)
    assert paretonbd_expected_purchases_new(params, np.array([1.0, 3.0])) == pytest.approx(
        [0.5, 0.75]
    )
    # just acquired (t_x = T = 0): surely alive, and expects what a new customer expects
    assert paretonbd_probability_alive(params, [0], [0], [0]) == pytest.approx([1.0])
    assert paretonbd_conditional_expected_purchases(params, 1.0, [0], [0], [0]) == pytest.approx(
        [0.5]
    )
    # a long silence after buying makes death likelier
    alive = paretonbd_probability_alive(params, [3, 3], [10, 2], [10, 10])
    assert 0 < alive[1] < alive[0] == pytest.approx(1.0)


def test_gammagamma_expected_spend_weighs_population_and_own_mean():
    params = GammaGammaParams(p=2.0, q=3.0, gamma=10.0)
    # population mean p gamma / (q-1) = 10; own weight p x / (p x + q - 1) = 4/6 for x = 2
    spend = gammagamma_expected_spend(params, [0, 2], [0.0, 40.0])
    assert spend == pytest.approx([10.0, 10.0 * 2 / 6 + 40.0 * 4 / 6])


def test_bad_summaries_are_refused():
    with pytest.raises(ValueError, match="t_x"):
        fit_bgnbd([1], [5], [4])
    with pytest.raises(ValueError, match="whole numbers"):
        fit_bgnbd([0.5], [1], [4])
    with pytest.raises(ValueError, match="x >= 1"):
        fit_gammagamma([0, 1], [0.0, 3.0])
