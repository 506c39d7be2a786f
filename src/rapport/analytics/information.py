"""Standard errors of a maximum-likelihood fit from its analytic gradient (pure numpy).

The observed information is minus the Hessian of the total log-likelihood at the optimum.
It is taken by central differences of the analytic gradient in the log-parameters (the
scale the fits optimise on, so one relative step suits every parameter), which costs
2k gradient evaluations for k parameters and is accurate to ~1e-8 relative: the
gradient is exact, only its change is approximated. At the optimum the gradient vanishes,
so the Hessian in the parameters is diag(1/theta) H_log diag(1/theta) exactly and the
standard error of theta_i is theta_i * sqrt([(-H_log)^-1]_ii) (no delta-method error).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import ThreadpoolController  # scikit-learn's dependency, so always there

# Relative step: the truncation error (~step^2) and the rounding error of a gradient that
# sums ~1e6 terms (~1e-16 * 1e6 / step) are both far below 1e-6 of the Hessian.
STEP = 1e-4

Params = TypeVar("Params")


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()  # lists the loaded BLAS once (~5 ms); limiting is then ~15 us


def one_blas_thread() -> AbstractContextManager[Any]:
    """Within it, BLAS runs on one thread.

    A likelihood evaluation is a few dozen vector dot products of 1e3..1e6 terms. OpenBLAS
    splits those over its threads, which on a busy machine mostly wait for each other: a
    fit took 6x the CPU time (and 10x the wall time) on the loaded 2-core server.
    """
    return _threadpools().limit(limits=1, user_api="blas")


def log_hessian(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], params: np.ndarray
) -> np.ndarray:
    """Hessian of the total log-likelihood in log-parameters (symmetrised)."""
    k = params.size
    hessian = np.empty((k, k))
    for j in range(k):
        shift = np.zeros(k)
        shift[j] = STEP
        up, down = params * np.exp(shift), params * np.exp(-shift)
        hessian[:, j] = (objective(up)[1] * up - objective(down)[1] * down) / (2 * STEP)
    return (hessian + hessian.T) / 2.0


def errors_from_hessian(hessian: np.ndarray) -> np.ndarray:
    """Standard errors from the Hessian of the total log-likelihood in the parameters.

    NaN where the information is singular or not positive: no made-up standard error.
    """
    try:
        covariance = np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        return np.full(hessian.shape[0], np.nan)
    variance = np.diag(covariance)
    with np.errstate(invalid="ignore"):
        return np.where(variance > 0, np.sqrt(np.abs(variance)), np.nan)


def standard_errors(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], params: ArrayLike
) -> np.ndarray:
    """Asymptotic standard errors of the fitted `params`.

    `objective(params)` returns (total log-likelihood, its gradient in the parameters).
    """
    theta = np.asarray(params, dtype=float)
    with one_blas_thread():
        log_scale = log_hessian(objective, theta)
    # At the optimum the Hessian in theta is H_log / (theta_i theta_j) exactly.
    return errors_from_hessian(log_scale / np.outer(theta, theta))


def fitted_errors(
    kind: Callable[..., Params],
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    params: np.ndarray,
    wanted: bool,
) -> Params | None:
    """`standard_errors` as the fit's parameter dataclass `kind`, or None when not wanted."""
    return kind(*map(float, standard_errors(objective, params))) if wanted else None


def newton(
    objective: Callable[[np.ndarray, list[np.ndarray] | None], tuple[float, np.ndarray]],
    params: np.ndarray,
    total_weight: float,
    tolerance: float,
) -> tuple[np.ndarray, float, np.ndarray, int, bool]:
    """Newton steps on log-parameters with an exact Hessian, from near the optimum.

    `objective(params, found)` returns (total LL, gradient) and appends the Hessian in the
    parameters to `found` when that is a list. Steps until the mean gradient in
    log-parameters is below `tolerance` (the scale L-BFGS-B's gtol uses in the fits).

    Returns (params, LL, Hessian, evaluations, converged); it stops, unconverged, rather
    than step where the Hessian is not negative definite or the likelihood would fall.
    """
    found: list[np.ndarray] = []
    ll, grad = objective(params, found)
    evaluations = 1
    for _ in range(20):
        g_log = grad * params
        if np.max(np.abs(g_log)) / total_weight < tolerance:
            return params, ll, found[-1], evaluations, True
        h_log = params[:, None] * found[-1] * params[None, :] + np.diag(g_log)
        if np.any(np.linalg.eigvalsh(h_log) >= 0):
            break
        step = np.linalg.solve(h_log, -g_log)
        for _halving in range(8):
            trial = params * np.exp(step)
            trial_ll, trial_grad = objective(trial, found)
            evaluations += 1
            if trial_ll >= ll - 1e-12 * abs(ll):
                params, ll, grad = trial, trial_ll, trial_grad
                break
            found.pop()
            step = step / 2.0
        else:
            break
    return params, ll, found[-1], evaluations, False
