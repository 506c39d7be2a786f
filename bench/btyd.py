# ruff: noqa: N806 -- (x, t_x, T) is the papers' notation, kept on purpose
"""BG/NBD fit on 1,000,000 simulated customers: ours beside the `lifetimes` package, like for like.

    python bench/btyd.py [--customers 1000000] [--seed 7] [--repeats 7] [--out var/bench-btyd.json]

Simulates customers from BG/NBD (seeded) in continuous time over cohorts that joined in
the last year, and records them in whole days as a summary of dated transactions would
(t_x rounded up, so a repeat buyer has t_x >= 1). Both fitters then get the same input:

- merged: identical (x, t_x, T) rows merged once (`collapse`, timed on its own), the
  counts passed as weights (`fit(..., weights=)` is lifetimes' documented path for this);
- every row: the 1,000,000 rows as they are, for both.

lifetimes 0.11.3 (`BetaGeoFitter(penalizer_coef=0).fit(..., tol=1e-7)`) runs in its own
virtualenv `var/bench-lifetimes-venv` (created on first use; never a project dependency)
as a long-lived child, so imports are not timed and the runs interleave: ours, theirs,
ours, theirs... (medians over `--repeats`). Its `fit` always ends with an autograd Hessian
for standard errors; the child wraps `lifetimes.fitters.minimize` and `.hessian` with
timers, so its optimisation alone is timed apart from the Hessian. Ours is timed twice per
repeat: with standard errors (`fit_bgnbd(standard_errors=True)`: the inverse of the exact
Hessian its Newton finish uses) and without (the Newton steps still run: they are part of
our optimisation). Both stop on the same
tolerance: 1e-7 on the gradient of the mean negative log-likelihood in log-parameters
(lifetimes' `tol` is BFGS's gtol on exactly that; tol=1e-9, our default, ends lifetimes in
a ConvergenceError on this data, so 1e-7 it is).

The headline ratio (`speedup`) is merged rows, both with standard errors, wall time.
Both optima are scored by the same total log-likelihood (the plain per-customer formula,
summed over the 1,000,000 rows).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread for ours as for lifetimes' child: on a loaded machine OpenBLAS's threads
# turn every dot product of a likelihood evaluation into a wait (10x slower here).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # after the thread setting, which numpy reads on import

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = ROOT / "var" / "bench-lifetimes-venv"
# lifetimes 0.11.3 (2020) predates numpy 1.24 / pandas 2: pin what it was built against.
LIFETIMES_REQUIREMENTS = [
    "lifetimes==0.11.3",
    "numpy==1.23.5",
    "pandas==1.5.3",
    "scipy==1.10.1",
    "autograd==1.5",
]
TRUE_PARAMS = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}  # CDNOW's, in days


def simulate(customers: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in whole days for customers who joined uniformly over the last year."""
    sys.path.insert(0, str(ROOT / "src"))
    from rapport.analytics.btyd import BgNbdParams, simulate_bgnbd

    rng = np.random.default_rng(seed)
    joined_days_ago = rng.integers(1, 366, customers).astype(float)
    x, t_x, T = simulate_bgnbd(BgNbdParams(**TRUE_PARAMS), joined_days_ago, rng)
    t_x = np.where(x > 0, np.clip(np.ceil(t_x), 1.0, T), 0.0)
    return x, t_x, T


def ensure_venv() -> Path:
    """The lifetimes virtualenv's python, created with pip on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(
            f"creating {VENV.relative_to(ROOT)} with {' '.join(LIFETIMES_REQUIREMENTS)}", flush=True
        )
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *LIFETIMES_REQUIREMENTS], check=True
        )
    return python


TOLERANCE = 1e-7
MODES = ("merged", "every")


def lifetimes_child(data_path: str) -> None:
    """Runs inside the lifetimes virtualenv: one JSON line of timings per mode read on stdin."""
    import warnings

    import lifetimes.fitters as fitters
    from lifetimes import BetaGeoFitter

    warnings.simplefilter("ignore")
    data = np.load(data_path)
    inputs = {
        "merged": (data["ux"], data["ut"], data["uT"], data["counts"]),
        "every": (data["x"], data["t_x"], data["T"], None),
    }
    spent: dict[str, float] = {}
    real_minimize, real_hessian = fitters.minimize, fitters.hessian

    def timed(name, function):
        def call(*args, **kwargs):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = time.perf_counter() - started
                spent[name + "_cpu"] = time.process_time() - cpu

        return call

    # lifetimes looks both names up in its module at call time; hessian(f) is cheap, the
    # call of what it returns is the work.
    fitters.minimize = timed("minimize", real_minimize)
    fitters.hessian = lambda f: timed("hessian", real_hessian(f))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        mode = line.strip()
        x, t_x, T, weights = inputs[mode]
        spent.clear()
        fitter = BetaGeoFitter(penalizer_coef=0.0)
        started, cpu = time.perf_counter(), time.process_time()
        fitter.fit(x, t_x, T, weights=weights, tol=TOLERANCE)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        result = {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "minimize_seconds": spent["minimize"],
            "minimize_cpu_seconds": spent["minimize_cpu"],
            "hessian_seconds": spent["hessian"],
            "hessian_cpu_seconds": spent["hessian_cpu"],
            "params": {k: float(fitter.params_[k]) for k in ("r", "alpha", "a", "b")},
            "standard_errors": {
                k: float(fitter.standard_errors_[k]) for k in ("r", "alpha", "a", "b")
            },
        }
        print(json.dumps(result), flush=True)


def _median(runs: list[dict], key: str) -> float:
    return float(np.median([run[key] for run in runs]))


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def run(customers: int = 1_000_000, seed: int = 7, repeats: int = 7) -> dict:
    """Simulate, then fit with ours and lifetimes interleaved, and return the measurements."""
    sys.path.insert(0, str(ROOT / "src"))
    from rapport.analytics.btyd import (
        BgNbdParams,
        bgnbd_individual_log_likelihood,
        collapse,
        fit_bgnbd,
    )

    x, t_x, T = simulate(customers, seed)
    started, cpu = time.perf_counter(), time.process_time()
    ux, ut, uT, counts = collapse(x, t_x, T)
    collapse_seconds, collapse_cpu = time.perf_counter() - started, time.process_time() - cpu
    inputs = {"merged": (ux, ut, uT, counts), "every": (x, t_x, T, None)}

    def total_ll(params: dict) -> float:
        return float(bgnbd_individual_log_likelihood(BgNbdParams(**params), x, t_x, T).sum())

    def ours(mode: str, with_errors: bool) -> dict:
        xs, ts, Ts, weights = inputs[mode]
        started, cpu = time.perf_counter(), time.process_time()
        fit = fit_bgnbd(xs, ts, Ts, weights, standard_errors=with_errors, tolerance=TOLERANCE)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        result = {"seconds": seconds, "cpu_seconds": cpu_seconds, "params": fit.as_dict()}
        result |= {"evaluations": fit.evaluations, "converged": fit.converged}
        if fit.standard_errors is not None:
            errors = fit.standard_errors
            result["standard_errors"] = {k: getattr(errors, k) for k in ("r", "alpha", "a", "b")}
        return result

    python = ensure_venv()
    data_path = ROOT / "var" / "bench-btyd-data.npz"
    np.savez(data_path, x=x, t_x=t_x, T=T, ux=ux, ut=ut, uT=uT, counts=counts)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    child = subprocess.Popen(
        [str(python), str(Path(__file__).resolve()), "--lifetimes-child", str(data_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None
    assert stdout is not None
    json.loads(stdout.readline())  # imported and data loaded

    def theirs(mode: str) -> dict:
        stdin.write(mode + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    runs: dict[str, dict[str, list[dict]]] = {
        mode: {"ours_with_errors": [], "ours_optimisation": [], "lifetimes": []} for mode in MODES
    }
    load_before = _load()
    for repeat in range(repeats):
        for mode in MODES:
            if mode == "every" and repeat >= max(1, (repeats + 1) // 2):
                continue  # every row costs lifetimes ~6x merged: fewer repeats there
            runs[mode]["ours_with_errors"].append(ours(mode, True))
            runs[mode]["lifetimes"].append(theirs(mode))
            runs[mode]["ours_optimisation"].append(ours(mode, False))
            print(f"  repeat {repeat + 1} {mode}: load {_load()}", flush=True)
    load_after = _load()
    stdin.close()
    child.wait()
    data_path.unlink()

    result: dict = {
        "customers": customers,
        "seed": seed,
        "repeats": repeats,
        "tolerance": TOLERANCE,
        "unique_rows": int(ux.size),
        "true_params": TRUE_PARAMS,
        "collapse_seconds": collapse_seconds,
        "collapse_cpu_seconds": collapse_cpu,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpus": os.cpu_count(),
    }
    for mode in MODES:
        with_errors = runs[mode]["ours_with_errors"]
        plain = runs[mode]["ours_optimisation"]
        lt = runs[mode]["lifetimes"]
        ll_ours, ll_theirs = total_ll(with_errors[0]["params"]), total_ll(lt[0]["params"])
        block = {
            "repeats": len(lt),
            "ours_with_errors_seconds": _median(with_errors, "seconds"),
            "ours_with_errors_cpu_seconds": _median(with_errors, "cpu_seconds"),
            "ours_optimisation_seconds": _median(plain, "seconds"),
            "ours_optimisation_cpu_seconds": _median(plain, "cpu_seconds"),
            "lifetimes_seconds": _median(lt, "seconds"),
            "lifetimes_cpu_seconds": _median(lt, "cpu_seconds"),
            "lifetimes_minimize_seconds": _median(lt, "minimize_seconds"),
            "lifetimes_minimize_cpu_seconds": _median(lt, "minimize_cpu_seconds"),
            "lifetimes_hessian_seconds": _median(lt, "hessian_seconds"),
            "ours": with_errors[0],
            "lifetimes": lt[0],
            "total_ll_ours": ll_ours,
            "total_ll_lifetimes": ll_theirs,
            "ll_ours_minus_lifetimes": ll_ours - ll_theirs,
            "runs": runs[mode],
        }
        block["speedup_with_errors"] = (
            block["lifetimes_seconds"] / block["ours_with_errors_seconds"]
        )
        block["speedup_optimisation"] = (
            block["lifetimes_minimize_seconds"] / block["ours_optimisation_seconds"]
        )
        block["cpu_speedup_with_errors"] = (
            block["lifetimes_cpu_seconds"] / block["ours_with_errors_cpu_seconds"]
        )
        block["cpu_speedup_optimisation"] = (
            block["lifetimes_minimize_cpu_seconds"] / block["ours_optimisation_cpu_seconds"]
        )
        result[mode] = block
    # The like-for-like headline: same merged rows and weights, same tolerance, standard
    # errors computed by both, wall time (medians of interleaved runs).
    result["speedup"] = result["merged"]["speedup_with_errors"]
    return result


def print_result(result: dict) -> None:
    """The bench table, headline first."""
    merged = result["merged"]
    print(
        f"\nBG/NBD on {result['customers']:,} simulated customers ({result['unique_rows']:,}"
        f" distinct rows), tolerance {result['tolerance']:g}, medians of interleaved runs;"
        f" load average {result['load_average_before']} -> {result['load_average_after']}"
        f" on {result['cpus']} CPUs"
    )
    print(
        f"HEADLINE like for like (merged rows + weights, standard errors in both, wall):"
        f" {result['speedup']:.1f}x lifetimes"
        f" (CPU {merged['cpu_speedup_with_errors']:.1f}x);"
        f" LL ours - lifetimes = {merged['ll_ours_minus_lifetimes']:.6f}"
    )
    print(
        f"{'input':<10} {'what is timed':<34} {'ours s':>7} {'lifetimes s':>11}"
        f" {'ratio':>6} {'ours CPU':>8} {'lt CPU':>7} {'CPU ratio':>9}"
    )
    for mode in MODES:
        b = result[mode]
        rows = [
            ("fit + standard errors", "with_errors", "", "with_errors"),
            ("optimisation alone", "optimisation", "minimize_", "optimisation"),
        ]
        for label, ours_key, lt_key, speed_key in rows:
            print(
                f"{mode:<10} {label:<34} {b['ours_' + ours_key + '_seconds']:>7.3f}"
                f" {b['lifetimes_' + lt_key + 'seconds']:>11.3f}"
                f" {b['speedup_' + speed_key]:>5.1f}x"
                f" {b['ours_' + ours_key + '_cpu_seconds']:>8.3f}"
                f" {b['lifetimes_' + lt_key + 'cpu_seconds']:>7.3f}"
                f" {b['cpu_speedup_' + speed_key]:>8.1f}x"
            )
        print(
            f"{mode:<10} total LL ours {b['total_ll_ours']:.4f}, lifetimes"
            f" {b['total_ll_lifetimes']:.4f} (difference {b['ll_ours_minus_lifetimes']:.6f});"
            f" {b['repeats']} repeats"
        )
    print(
        f"merging {result['customers']:,} rows into {result['unique_rows']:,} (not in the merged times):"
        f" {result['collapse_seconds']:.3f} s wall, {result['collapse_cpu_seconds']:.3f} s CPU"
    )
    for mode in MODES:
        ours_se, lt_se = (
            result[mode]["ours"]["standard_errors"],
            result[mode]["lifetimes"]["standard_errors"],
        )
        print(
            f"standard errors ({mode}): ours "
            + ", ".join(f"{k} {v:.6g}" for k, v in ours_se.items())
            + "; lifetimes "
            + ", ".join(f"{k} {v:.6g}" for k, v in lt_se.items())
        )


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--lifetimes-child":
        lifetimes_child(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-btyd.json")
    args = parser.parse_args()
    result = run(args.customers, args.seed, args.repeats)
    print_result(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
