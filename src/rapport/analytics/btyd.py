# ruff: noqa: N802, N803, N806 -- (x, t_x, T) is the papers' notation, kept on purpose
"""Repeat buying ("buy till you die"): BG/NBD, Pareto/NBD and Gamma-Gamma spend.

Pure numpy/scipy, no Django: a runner in the domain app loads each customer's
transactions in bulk, summarises them with `summarise_transactions` and stores what the
fits and predictions here return, with the model name and version.

A customer is summarised as (x, t_x, T): x repeat purchases (the first purchase is not
counted), the last one at t_x after the first, and T the time from the first purchase to
the end of the calibration period, all in one time unit (weeks or days).

- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): purchases
  are Poisson with a gamma-distributed rate across customers; after each repeat purchase
  a customer drops out with a beta-distributed probability.
- Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie's 2005 note on its
  implementation): the same purchasing, but lifetimes are exponential with a gamma
  distributed dropout rate, so a customer may die at any moment.
- Gamma-Gamma (Fader, Hardie & Lee 2005 JMR; Fader & Hardie note 025): the spend of a
  purchase is gamma distributed around a customer's own mean, which is itself
  inverse-gamma across customers; independent of the purchase process.

Every log-likelihood is vectorised over customers, takes optional weights (the number of
customers that share a row: `collapse` finds them) and has an analytic gradient. Fits
run L-BFGS-B on the log-parameters and return frozen dataclasses to store.

Why a Pareto/NBD gradient is "semi-analytic". Its likelihood holds the integral
I = int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau, which has a closed form in
the Gaussian hypergeometric function 2F1 (used for the value). Its derivatives with
respect to r and s are derivatives of 2F1 in its parameters, which have no closed form.
So the gradient differentiates under the integral sign and evaluates the (smooth,
exactly known) integrands by 41-node tanh-sinh quadrature after a change of variable
that flattens them (agreeing with the 2F1 value to ~1e-11); the first term of the
likelihood is differentiated in closed form. Tests check both the value (2F1 against the
quadrature) and the gradient (against finite differences).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Generic, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from rapport.analytics import information
from rapport.analytics.information import fitted_errors, one_blas_thread
from rapport.analytics.rows import ByCount, distinct_values
from rapport.analytics.rows import collapse as collapse  # where callers have found it

BGNBD = "bgnbd"
PARETO_NBD = "paretonbd"
GAMMA_GAMMA = "gammagamma"
MODEL_VERSION = "1"

DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0}

Params = TypeVar("Params")


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD: purchase rate ~ Gamma(shape r, rate alpha), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class ParetoNbdParams:
    """Pareto/NBD: purchase rate ~ Gamma(r, alpha), dropout rate ~ Gamma(s, beta)."""

    r: float
    alpha: float
    s: float
    beta: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma: spend ~ Gamma(p, nu) per purchase, nu ~ Gamma(q, gamma) per customer."""

    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class Fit(Generic[Params]):
    """A fitted model as a domain runner stores it."""

    model: str
    version: str
    params: Params
    log_likelihood: float
    n: float
    converged: bool
    iterations: int
    evaluations: int
    # Asymptotic standard errors (inverse observed information), when the fit was asked for them.
    standard_errors: Params | None = None

    def as_dict(self) -> dict[str, float]:
        """The parameters by name."""
        return {f.name: float(getattr(self.params, f.name)) for f in fields(self.params)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class CustomerSummary:
    """Per-customer (x, t_x, T, mean repeat spend) arrays, in the order of `customers`."""

    customers: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    mean_spend: np.ndarray


# --------------------------------------------------------------------------- helpers


def _arrays(*values: ArrayLike) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float).ravel() for v in values]
    size = arrays[0].size
    if any(a.size != size for a in arrays):
        raise ValueError("x, t_x and T must have the same length")
    return arrays


def _weights(weights: ArrayLike | None, size: int) -> np.ndarray:
    if weights is None:
        return np.ones(size)
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != size:
        raise ValueError("weights must have one value per row")
    return w


def _check_summary(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("t_x must lie in [0, T]")
    if np.any((x > 0) & (t_x <= 0)):
        raise ValueError("a customer with repeat purchases must have t_x > 0")


def _minimise(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    *,
    total_weight: float,
    max_iterations: int = 1000,
    gtol: float = 1e-9,
) -> tuple[np.ndarray, float, bool, int, int]:
    """L-BFGS-B on log-parameters; the objective returns (total LL, dLL/dparams)."""

    def negative_mean(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        ll, grad = objective(params)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(log_params)
        return -ll / total_weight, -(grad * params) / total_weight

    with one_blas_thread():
        result = optimize.minimize(
            negative_mean,
            np.log(start),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-20.0, 20.0)] * start.size,
            options={"maxiter": max_iterations, "ftol": 1e-14, "gtol": gtol, "maxcor": 20},
        )
        params = np.exp(result.x)
        ll, grad = objective(params)
    # ftol/gtol this tight often end on "abnormal termination in line search" at the
    # optimum itself; what matters is a (relative) gradient that vanishes.
    converged = bool(np.all(np.abs(grad * params) / total_weight < 1e-5))
    return params, float(ll), converged, int(result.nit), int(result.nfev)


# --------------------------------------------------------------------------- BG/NBD


class _BgNbdData:
    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
        self.total = float(w.sum())
        self.by_x = ByCount(x, w)
        repeat = x > 0
        self.w1, self.x1 = w[repeat], x[repeat]
        self.by_x1 = ByCount(self.x1, self.w1)
        # A year of days has ~365 distinct T and t_x: logs and reciprocals of alpha + T are
        # taken once per value and gathered, and sums over rows of terms in T alone become
        # sums over values (with the weights, and the weights times x, per value).
        self.T0, _, self.w0 = distinct_values(T[~repeat], w[~repeat])
        self.T1, self.T_of, self.wT = distinct_values(T[repeat], self.w1)
        self.xwT = np.bincount(self.T_of, weights=self.w1 * self.x1, minlength=self.T1.size)
        self.t1, self.t_of, _ = distinct_values(t_x[repeat], self.w1)


def _bgnbd_ll_grad(
    params: np.ndarray, d: _BgNbdData, hessian: list[np.ndarray] | None = None
) -> tuple[float, np.ndarray]:
    """Total LL and gradient; the 4x4 Hessian is appended to `hessian` when one is passed."""
    r, alpha, a, b = params
    k, wk = d.by_x.values, d.by_x.weight
    # Terms in x alone, summed once per distinct x.
    ll = float(
        wk
        @ (
            special.gammaln(r + k)
            - special.gammaln(r)
            + special.gammaln(a + b)
            + special.gammaln(b + k)
            - special.gammaln(b)
            - special.gammaln(a + b + k)
        )
        + d.total * r * np.log(alpha)
    )
    g_r = float(wk @ (special.digamma(r + k) - special.digamma(r)) + d.total * np.log(alpha))
    g_alpha = d.total * r / alpha
    psi_ab_k = special.digamma(a + b + k)
    g_a = float(wk @ (special.digamma(a + b) - psi_ab_k))
    g_b = float(
        wk @ (special.digamma(a + b) + special.digamma(b + k) - special.digamma(b) - psi_ab_k)
    )
    # No repeat purchase: log L = -r log(alpha + T).
    log_T0, inv_T0 = np.log(alpha + d.T0), 1.0 / (alpha + d.T0)
    ll -= r * float(d.w0 @ log_T0)
    g_r -= float(d.w0 @ log_T0)
    g_alpha -= r * float(d.w0 @ inv_T0)
    # Repeat purchases: log L = -(r+x) log(alpha+T) + softplus(D), where
    # D = log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)) and softplus(D) = -log expit(-D).
    k1 = np.maximum(d.by_x1.values, 1.0)  # x = 0 has no row here, only a table slot
    log_T, inv_T = np.log(alpha + d.T1), 1.0 / (alpha + d.T1)
    log_t, inv_t = np.log(alpha + d.t1), 1.0 / (alpha + d.t1)
    w_rx_T = r * d.wT + d.xwT  # sum of w (r + x) per value of T
    ll -= float(w_rx_T @ log_T)
    g_r -= float(d.wT @ log_T)
    g_alpha -= float(w_rx_T @ inv_T)
    if d.x1.size:
        gap = log_T[d.T_of] - log_t[d.t_of]  # dD/dr
        rx = r + d.x1
        D = (np.log(a) - np.log(b + k1 - 1.0))[d.by_x1.inverse] + rx * gap
        # softplus in plain numpy ufuncs (scipy's expit is 2x slower)
        softplus = np.maximum(D, 0.0) + np.log1p(np.exp(-np.abs(D)))
        dropped = np.exp(D - softplus)  # expit(D): share of the "dropped out at t_x" term
        ll += float(d.w1 @ softplus)
        wd = d.w1 * dropped
        d_inv = inv_T[d.T_of] - inv_t[d.t_of]
        rx_d_inv = rx * d_inv  # dD/dalpha
        g_r += float(wd @ gap)
        g_alpha += float(wd @ rx_d_inv)
        dropped_by_x = d.by_x1.sums(wd)
        g_a += float(dropped_by_x.sum() / a)
        g_b -= float(dropped_by_x @ (1.0 / (b + k1 - 1.0)))
    if hessian is not None:
        # Second derivatives: the x terms by trigamma, the T terms by value, and softplus(D)
        # as sum w [s(1-s) dD dD' + s d2D] with s = expit(D) (d2D: dr dalpha = d_inv,
        # dalpha^2 = (r+x) d(d_inv)/dalpha, da^2 = -1/a^2, db^2 = 1/(b+x-1)^2).
        tri = special.polygamma(1, [r, a + b, b])
        h_ab = float(wk @ (tri[1] - special.polygamma(1, a + b + k)))
        h = np.zeros((4, 4))
        h[0, 0] = float(wk @ (special.polygamma(1, r + k) - tri[0]))
        h[0, 1] = d.total / alpha - float(d.w0 @ inv_T0) - float(d.wT @ inv_T)
        h[1, 1] = -d.total * r / alpha**2 + r * float(d.w0 @ inv_T0**2) + float(w_rx_T @ inv_T**2)
        h[2, 2] = h[2, 3] = h_ab
        h[3, 3] = h_ab + float(wk @ (special.polygamma(1, b + k) - tri[2]))
        if d.x1.size:
            s2 = wd * (1.0 - dropped)
            s2_gap, s2_rx = s2 * gap, s2 * rx_d_inv
            d_inv2 = (inv_t**2)[d.t_of] - (inv_T**2)[d.T_of]
            c = -1.0 / (b + k1 - 1.0)  # dD/db per x
            by_x = [d.by_x1.sums(v) for v in (s2, s2_gap, s2_rx)]
            h[0, 0] += float(s2_gap @ gap)
            h[0, 1] += float(s2_gap @ rx_d_inv) + float(wd @ d_inv)
            h[1, 1] += float(s2_rx @ rx_d_inv) + float((wd * rx) @ d_inv2)
            h[0, 2] += by_x[1].sum() / a
            h[0, 3] += float(by_x[1] @ c)
            h[1, 2] += by_x[2].sum() / a
            h[1, 3] += float(by_x[2] @ c)
            h[2, 2] += (by_x[0].sum() - dropped_by_x.sum()) / a**2
            h[2, 3] += float(by_x[0] @ c) / a
            h[3, 3] += float((by_x[0] + dropped_by_x) @ c**2)
        hessian.append(np.triu(h) + np.triu(h, 1).T)
    return ll, np.array([g_r, g_alpha, g_a, g_b])


def bgnbd_log_likelihood(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> tuple[float, np.ndarray]:
    """Total BG/NBD log-likelihood and its gradient in (r, alpha, a, b)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    _check_summary(xs, ts, Ts)
    data = _BgNbdData(xs, ts, Ts, _weights(weights, xs.size))
    return _bgnbd_ll_grad(np.array([params.r, params.alpha, params.a, params.b]), data)


def bgnbd_individual_log_likelihood(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood (the plain formula, for checking)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    head = (
        special.gammaln(r + xs)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + xs)
        - special.betaln(a, b)
    )
    a3 = -(r + xs) * np.log(alpha + Ts)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            xs > 0,
            np.log(a) - np.log(np.maximum(b + xs - 1.0, 1e-300)) - (r + xs) * np.log(alpha + ts),
            -np.inf,
        )
    return head + np.logaddexp(a3, a4)


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    start: BgNbdParams | None = None,
    standard_errors: bool = False,
    tolerance: float = 1e-9,
) -> Fit[BgNbdParams]:
    """Maximum-likelihood BG/NBD; `weights` counts customers per row (see `collapse`).

    `tolerance` bounds the mean log-likelihood's gradient in the log-parameters at the end.
    """
    xs, ts, Ts = _arrays(x, t_x, T)
    _check_summary(xs, ts, Ts)
    w = _weights(weights, xs.size)
    data = _BgNbdData(xs, ts, Ts, w)
    if start is None:
        # Rate ~ x/T on average; alpha sets the time scale.
        alpha0 = float(np.average(Ts, weights=w))
        initial = np.array([1.0, alpha0, 1.0, 1.0])
    else:
        initial = np.array([start.r, start.alpha, start.a, start.b])
    objective = lambda p: _bgnbd_ll_grad(p, data)  # noqa: E731
    # L-BFGS-B to a loose tolerance, then Newton with the exact Hessian: a few steps from
    # there to `tolerance` where L-BFGS-B takes ~10, and the Hessian gives the standard errors.
    params, ll, converged, nit, nfev = _minimise(
        objective, initial, total_weight=data.total, gtol=max(tolerance, 1e-2)
    )
    with one_blas_thread():
        params, ll, hessian, extra, converged = information.newton(
            lambda p, found: _bgnbd_ll_grad(p, data, found), params, data.total, tolerance
        )
    nfev += extra
    if not converged:  # not reached: L-BFGS-B the whole way, standard errors by differences
        params, ll, converged, more, evaluations = _minimise(
            objective, params, total_weight=data.total, gtol=tolerance
        )
        nit, nfev = nit + more, nfev + evaluations
        hessian = information.log_hessian(objective, params) / np.outer(params, params)
    fitted, ll = BgNbdParams(*map(float, params)), float(ll)
    se = (
        BgNbdParams(*map(float, information.errors_from_hessian(hessian)))
        if standard_errors
        else None
    )
    return Fit(BGNBD, MODEL_VERSION, fitted, ll, data.total, converged, nit, nfev, se)


def bgnbd_probability_alive(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(still a customer at T | x, t_x, T)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.maximum(b + xs - 1.0, 1e-300))
            + (r + xs) * (np.log(alpha + Ts) - np.log(alpha + ts))
        )
    return np.where(xs > 0, special.expit(-log_odds), 1.0)


def bgnbd_expected_purchases_new(params: BgNbdParams, t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer in (0, t]."""
    tt = np.asarray(t, dtype=float)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyp = special.hyp2f1(r, b, a + b - 1.0, tt / (alpha + tt))
    return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + tt)) ** r * hyp)


def bgnbd_conditional_expected_purchases(
    params: BgNbdParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t periods (broadcasts over t)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    tt = np.asarray(t, dtype=float)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    rx = r + xs
    hyp = special.hyp2f1(rx, b + xs, a + b + xs - 1.0, tt / (alpha + Ts + tt))
    remaining = 1.0 - np.exp(rx * (np.log(alpha + Ts) - np.log(alpha + Ts + tt))) * hyp
    return (a + b + xs - 1.0) / (a - 1.0) * remaining * bgnbd_probability_alive(params, xs, ts, Ts)


def simulate_bgnbd(
    params: BgNbdParams, T: ArrayLike, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) drawn from BG/NBD for customers observed for T each."""
    Ts = np.asarray(T, dtype=float).ravel()
    rate = rng.gamma(params.r, 1.0 / params.alpha, Ts.size)
    p = rng.beta(params.a, params.b, Ts.size)
    events = rng.poisson(rate * Ts)
    alive_for = rng.geometric(p)  # dropout right after this many repeat purchases
    x = np.minimum(events, alive_for)
    t_x = np.zeros(Ts.size)
    some = x > 0
    # The x-th of n uniform event times on [0, T] is T * Beta(x, n - x + 1).
    t_x[some] = Ts[some] * rng.beta(x[some], events[some] - x[some] + 1)
    return x.astype(float), t_x, Ts


# --------------------------------------------------------------------------- Pareto/NBD


def _tanh_sinh(count: int, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Double-exponential (tanh-sinh) nodes and weights on [-1, 1].

    They crowd towards the ends doubly exponentially, so an integrand with an algebraic
    end-point singularity still converges exponentially (Gauss-Legendre only algebraically).
    """
    t = np.linspace(-reach, reach, count)
    inner = np.pi / 2.0 * np.sinh(t)
    weights = (t[1] - t[0]) * np.pi / 2.0 * np.cosh(t) / np.cosh(inner) ** 2
    return np.tanh(inner), weights


_NODES, _NODE_WEIGHTS = _tanh_sinh(41, 3.2)


def _paretonbd_log_A0(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """log of A0 = (r+s+x) * int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau.

    2F1(r+s+x, b; r+s+x+1; z) with z = |alpha-beta| / (max(alpha,beta)+t) in [0, 1); by
    Euler's transformation 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) with c-a = 1,
    a series of positive terms whose ratio is below z, which scipy evaluates stably.
    """
    rsx = r + s + x
    b_param: np.ndarray | float
    c_minus_b: np.ndarray | float
    if alpha >= beta:
        top, b_param, c_minus_b = alpha, s + 1.0, r + x
    else:
        top, b_param, c_minus_b = beta, r + x, s + 1.0
    diff = abs(alpha - beta)

    def log_term(t: np.ndarray) -> np.ndarray:
        z = diff / (top + t)
        log_hyp = (1.0 - b_param) * np.log1p(-z) + np.log(
            special.hyp2f1(1.0, c_minus_b, rsx + 1.0, z)
        )
        return log_hyp - rsx * np.log(top + t)

    first, last = log_term(t_x), log_term(T)
    with np.errstate(divide="ignore"):
        return first + np.log(-np.expm1(np.minimum(last - first, 0.0)))


def _paretonbd_quadrature(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log I and the ratios (dI/dtheta)/I for theta = r, alpha, s, beta, by quadrature.

    With p = r+x, q = s+1, k = p+q-1 > 0 and m = (p alpha + q beta)/(p+q), substitute
    u = ((m+tau)/(m+t_x))^-k: then I = (m+t_x)^-k / k * int h(u) du where
    h = ((m+tau)/(alpha+tau))^p ((m+tau)/(beta+tau))^q, which tends to 1 as 1/tau^2 (m is
    chosen to cancel the 1/tau term): bounded and smooth inside, with a mild algebraic
    singularity at u = 0 that tanh-sinh quadrature absorbs (41 nodes: ~1e-11 relative).
    """
    p = (r + x)[:, None]
    q = s + 1.0
    k = p + q - 1.0
    m = (p * alpha + q * beta) / (p + q)
    mt = m + t_x[:, None]
    u_T = np.exp(-k * (np.log(m + T[:, None]) - np.log(mt)))
    u = u_T + (1.0 - u_T) * (_NODES + 1.0) / 2.0
    log_tm = np.log(mt) - np.log(u) / k  # log(m + tau)
    tau_m = np.exp(log_tm)
    to_alpha = tau_m + (alpha - m)
    to_beta = tau_m + (beta - m)
    log_a = np.log(to_alpha)
    log_b = np.log(to_beta)
    log_h = p * (log_tm - log_a) + q * (log_tm - log_b)
    shift = log_h.max(axis=1, keepdims=True)
    hw = np.exp(log_h - shift) * _NODE_WEIGHTS
    total = hw.sum(axis=1)
    with np.errstate(divide="ignore"):
        log_I = (
            -k[:, 0] * np.log(mt[:, 0])
            - np.log(k[:, 0])
            + np.log((1.0 - u_T[:, 0]) / 2.0)
            + shift[:, 0]
            + np.log(total)
        )
    d_r = -(hw * log_a).sum(axis=1) / total
    d_alpha = -(p[:, 0] * (hw / to_alpha).sum(axis=1)) / total
    d_s = -(hw * log_b).sum(axis=1) / total
    d_beta = -(q * (hw / to_beta).sum(axis=1)) / total
    return log_I, d_r, d_alpha, d_s, d_beta


def _paretonbd_parts(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: log-likelihood, log of the 'alive at T' term and of the 'died' term."""
    r, alpha, s, beta = params
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + _paretonbd_log_A0(r, alpha, s, beta, x, t_x, T)
    return head + np.logaddexp(alive, died), alive, died


def _paretonbd_ll_grad(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    r, alpha, s, beta = params
    ll, alive, died = _paretonbd_parts(params, x, t_x, T)
    w_died = np.exp(died - np.logaddexp(alive, died))
    w_alive = 1.0 - w_died
    _, q_r, q_alpha, q_s, q_beta = _paretonbd_quadrature(r, alpha, s, beta, x, t_x, T)
    g_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha)
    g_r += -w_alive * np.log(alpha + T) + w_died * q_r
    g_alpha = r / alpha - w_alive * (r + x) / (alpha + T) + w_died * q_alpha
    g_s = np.log(beta) - w_alive * np.log(beta + T) + w_died * (1.0 / s + q_s)
    g_beta = s / beta - w_alive * s / (beta + T) + w_died * q_beta
    grad = np.array([w @ g_r, w @ g_alpha, w @ g_s, w @ g_beta])
    return float(w @ ll), grad


def paretonbd_log_likelihood(
    params: ParetoNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> tuple[float, np.ndarray]:
    """Total Pareto/NBD log-likelihood and its gradient in (r, alpha, s, beta)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    vector = np.array([params.r, params.alpha, params.s, params.beta])
    return _paretonbd_ll_grad(vector, xs, ts, Ts, _weights(weights, xs.size))


def paretonbd_integral(
    params: ParetoNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """log of the 'died between t_x and T' integral two ways: by 2F1 and by quadrature."""
    xs, ts, Ts = _arrays(x, t_x, T)
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    by_hyp = _paretonbd_log_A0(r, alpha, s, beta, xs, ts, Ts) - np.log(r + s + xs)
    by_quadrature = _paretonbd_quadrature(r, alpha, s, beta, xs, ts, Ts)[0]
    return by_hyp, by_quadrature


def fit_paretonbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    start: ParetoNbdParams | None = None,
    standard_errors: bool = False,
) -> Fit[ParetoNbdParams]:
    """Maximum-likelihood Pareto/NBD; `weights` counts customers per row."""
    xs, ts, Ts = _arrays(x, t_x, T)
    _check_summary(xs, ts, Ts)
    w = _weights(weights, xs.size)
    total = float(w.sum())
    if start is None:
        scale = float(np.average(Ts, weights=w))
        initial = np.array([1.0, scale, 1.0, scale])
    else:
        initial = np.array([start.r, start.alpha, start.s, start.beta])
    objective = lambda p: _paretonbd_ll_grad(p, xs, ts, Ts, w)  # noqa: E731
    params, ll, converged, nit, nfev = _minimise(objective, initial, total_weight=total)
    fitted = ParetoNbdParams(*map(float, params))
    se = fitted_errors(ParetoNbdParams, objective, params, standard_errors)
    return Fit(PARETO_NBD, MODEL_VERSION, fitted, ll, total, converged, nit, nfev, se)


def paretonbd_probability_alive(
    params: ParetoNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(still a customer at T | x, t_x, T)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    vector = np.array([params.r, params.alpha, params.s, params.beta])
    _, alive, died = _paretonbd_parts(vector, xs, ts, Ts)
    return np.exp(alive - np.logaddexp(alive, died))


def _growth(s: float, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """[1 - (start/end)^(s-1)] / (s-1), which tends to log(end/start) as s -> 1."""
    log_ratio = np.log(end) - np.log(start)
    if abs(s - 1.0) < 1e-10:
        return log_ratio
    return -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)


def paretonbd_expected_purchases_new(params: ParetoNbdParams, t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected purchases of a new customer in (0, t]."""
    tt = np.asarray(t, dtype=float)
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    return r * beta / alpha * _growth(s, np.full_like(tt, beta), beta + tt)


def paretonbd_conditional_expected_purchases(
    params: ParetoNbdParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t periods (broadcasts over t)."""
    xs, ts, Ts = _arrays(x, t_x, T)
    tt = np.asarray(t, dtype=float)
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    alive = paretonbd_probability_alive(params, xs, ts, Ts)
    growth = _growth(s, np.broadcast_to(beta + Ts, np.broadcast(tt, Ts).shape), beta + Ts + tt)
    return (r + xs) * (beta + Ts) / (alpha + Ts) * growth * alive


def simulate_paretonbd(
    params: ParetoNbdParams, T: ArrayLike, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) drawn from Pareto/NBD for customers observed for T each."""
    Ts = np.asarray(T, dtype=float).ravel()
    rate = rng.gamma(params.r, 1.0 / params.alpha, Ts.size)
    death_rate = rng.gamma(params.s, 1.0 / params.beta, Ts.size)
    lifetime = np.minimum(rng.exponential(1.0 / death_rate), Ts)
    x = rng.poisson(rate * lifetime)
    t_x = np.zeros(Ts.size)
    some = x > 0
    t_x[some] = lifetime[some] * rng.beta(x[some], 1.0)  # the last of x uniform times
    return x.astype(float), t_x, Ts


# --------------------------------------------------------------------------- Gamma-Gamma


def _gammagamma_ll_grad(
    params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    p, q, gamma = params
    px = p * x
    log_xm_g = np.log(x * m + gamma)
    psi = special.digamma(px + q)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_xm_g
    )
    g_p = x * (psi - special.digamma(px) + np.log(m) + np.log(x) - log_xm_g)
    g_q = psi - special.digamma(q) + np.log(gamma) - log_xm_g
    g_gamma = q / gamma - (px + q) / (x * m + gamma)
    return float(w @ ll), np.array([w @ g_p, w @ g_q, w @ g_gamma])


def _spend_arrays(x: ArrayLike, mean_spend: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    xs, ms = _arrays(x, mean_spend)
    if np.any(xs < 1) or np.any(ms <= 0):
        raise ValueError("Gamma-Gamma needs customers with x >= 1 and a positive mean spend")
    return xs, ms


def gammagamma_log_likelihood(
    params: GammaGammaParams, x: ArrayLike, mean_spend: ArrayLike, weights: ArrayLike | None = None
) -> tuple[float, np.ndarray]:
    """Total Gamma-Gamma log-likelihood of the mean spends and its gradient in (p, q, gamma)."""
    xs, ms = _spend_arrays(x, mean_spend)
    vector = np.array([params.p, params.q, params.gamma])
    return _gammagamma_ll_grad(vector, xs, ms, _weights(weights, xs.size))


def fit_gammagamma(
    x: ArrayLike,
    mean_spend: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    start: GammaGammaParams | None = None,
    standard_errors: bool = False,
) -> Fit[GammaGammaParams]:
    """Maximum-likelihood Gamma-Gamma on customers with x >= 1 purchases of mean spend."""
    xs, ms = _spend_arrays(x, mean_spend)
    w = _weights(weights, xs.size)
    total = float(w.sum())
    if start is None:
        initial = np.array([1.0, 2.0, float(np.average(ms, weights=w))])
    else:
        initial = np.array([start.p, start.q, start.gamma])
    objective = lambda v: _gammagamma_ll_grad(v, xs, ms, w)  # noqa: E731
    params, ll, converged, nit, nfev = _minimise(objective, initial, total_weight=total)
    fitted = GammaGammaParams(*map(float, params))
    se = fitted_errors(GammaGammaParams, objective, params, standard_errors)
    return Fit(GAMMA_GAMMA, MODEL_VERSION, fitted, ll, total, converged, nit, nfev, se)


def gammagamma_expected_spend(
    params: GammaGammaParams, x: ArrayLike, mean_spend: ArrayLike
) -> np.ndarray:
    """E[spend per purchase | x, mean spend]: a mix of the population and own mean.

    A customer with x = 0 gets the population mean p gamma / (q - 1) (finite for q > 1).
    """
    xs, ms = _arrays(x, mean_spend)
    p, q, gamma = params.p, params.q, params.gamma
    own = p * xs / (p * xs + q - 1.0)
    return (1.0 - own) * p * gamma / (q - 1.0) + own * np.where(xs > 0, ms, 0.0)


# --------------------------------------------------------------------------- summaries


def _days(times: ArrayLike) -> np.ndarray:
    values = np.asarray(times)
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[s]").astype(np.int64) / 86400.0
    return values.astype(float)


def summarise_transactions(
    customer: ArrayLike,
    time: ArrayLike,
    amount: ArrayLike,
    *,
    calibration_end: object,
    unit: Literal["days", "weeks"] = "weeks",
) -> CustomerSummary:
    """(x, t_x, T, mean repeat spend) per customer from transaction arrays.

    `time` is datetime64 or days since any epoch (`calibration_end` likewise). Time is cut
    into whole units (weeks start on Monday, as pandas' and lifetimes' "W"), so purchases in
    the same unit count once, with their amounts summed; x counts the units with a purchase
    after the first, t_x and T are in units from the first. Mean spend averages the repeat
    units (0 when x = 0). Transactions after `calibration_end` are ignored; a customer's
    first purchase may fall in the calibration end's unit (T = 0).
    """
    ids = np.asarray(customer).ravel()
    days = _days(time).ravel()
    values = np.asarray(amount, dtype=float).ravel()
    if not ids.size == days.size == values.size:
        raise ValueError("customer, time and amount must have the same length")
    width = DAYS_PER_UNIT[unit]
    # 1970-01-01 was a Thursday: shifting by 3 days starts weeks on Monday.
    offset = 3.0 if unit == "weeks" else 0.0
    end = float(_days(np.asarray([calibration_end]))[0])
    keep = days <= end
    ids, days, values = ids[keep], days[keep], values[keep]
    period = np.floor((days + offset) / width).astype(np.int64)
    end_period = int(np.floor((end + offset) / width))
    order = np.lexsort((period, ids))
    ids, period, values = ids[order], period[order], values[order]
    # One row per (customer, period), amounts summed.
    new_unit = np.ones(ids.size, dtype=bool)
    new_unit[1:] = (ids[1:] != ids[:-1]) | (period[1:] != period[:-1])
    starts = np.flatnonzero(new_unit)
    unit_ids, unit_period = ids[starts], period[starts]
    unit_amount = np.add.reduceat(values, starts) if starts.size else values[:0]
    new_customer = np.ones(unit_ids.size, dtype=bool)
    new_customer[1:] = unit_ids[1:] != unit_ids[:-1]
    first = np.flatnonzero(new_customer)
    last = np.append(first[1:], unit_ids.size) - 1
    units = np.diff(np.append(first, unit_ids.size))
    x = (units - 1).astype(float)
    t_x = (unit_period[last] - unit_period[first]).astype(float)
    T = (end_period - unit_period[first]).astype(float)
    spend_total = np.add.reduceat(unit_amount, first) - unit_amount[first] if first.size else x
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_spend = np.where(x > 0, spend_total / np.maximum(x, 1.0), 0.0)
    return CustomerSummary(unit_ids[first], x, t_x, T, mean_spend)
