# ruff: noqa: N806 -- (x, t_x, T) is the papers' notation, kept on purpose
"""BG/NBD fit on 1,000,000 simulated customers: ours beside the `lifetimes` package.

    python bench/btyd.py [--customers 1000000] [--seed 7] [--out var/bench-btyd.json]

Simulates customers from BG/NBD (seeded) in continuous time over cohorts that joined in
the last year, and records them in whole days as a summary of dated transactions would
(t_x rounded up, so a repeat buyer has t_x >= 1). Then, on exactly those rows, times:

- ours, the way a runner uses it: merge identical (x, t_x, T) rows (`collapse`), then fit
  with the counts as weights (the time includes the merging);
- ours on the 1,000,000 rows as they are, no merging;
- lifetimes 0.11.3's BetaGeoFitter(penalizer_coef=0).fit on the 1,000,000 rows, in its
  own virtualenv `var/bench-lifetimes-venv` (created on first use; lifetimes is never a
  dependency of the project). Only `.fit` is timed there, not the imports.

Both optima are scored by the same total log-likelihood (the plain per-customer formula,
summed over the 1,000,000 rows). lifetimes reports the mean negative log-likelihood of
time-rescaled data, which is not comparable as it is, so it is only shown for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

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


def lifetimes_child(data_path: str, out_path: str) -> None:
    """Runs inside the lifetimes virtualenv: fit, time, write params and time as JSON."""
    import warnings

    import pandas as pd
    from lifetimes import BetaGeoFitter

    warnings.simplefilter("ignore")
    data = np.load(data_path)
    frame = pd.DataFrame({"x": data["x"], "t_x": data["t_x"], "T": data["T"]})
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    started, cpu_started = time.perf_counter(), time.process_time()
    fitter.fit(frame["x"], frame["t_x"], frame["T"])
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    params = {name: float(fitter.params_[name]) for name in ("r", "alpha", "a", "b")}
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "params": params,
        "reported_mean_negative_ll_scaled": float(fitter._negative_log_likelihood_),
    }
    Path(out_path).write_text(json.dumps(result))


def run(customers: int = 1_000_000, seed: int = 7) -> dict:
    """Simulate, fit both ways and with lifetimes, and return the measurements."""
    sys.path.insert(0, str(ROOT / "src"))
    from rapport.analytics.btyd import (
        BgNbdParams,
        bgnbd_individual_log_likelihood,
        collapse,
        fit_bgnbd,
    )

    x, t_x, T = simulate(customers, seed)

    def total_ll(params: dict) -> float:
        return float(bgnbd_individual_log_likelihood(BgNbdParams(**params), x, t_x, T).sum())

    started, cpu_started = time.perf_counter(), time.process_time()
    ux, ut, uT, counts = collapse(x, t_x, T)
    collapsed_fit = fit_bgnbd(ux, ut, uT, counts)
    collapsed_seconds = time.perf_counter() - started
    collapsed_cpu = time.process_time() - cpu_started

    started, cpu_started = time.perf_counter(), time.process_time()
    plain_fit = fit_bgnbd(x, t_x, T)
    plain_seconds = time.perf_counter() - started
    plain_cpu = time.process_time() - cpu_started

    python = ensure_venv()
    var = ROOT / "var"
    data_path, out_path = var / "bench-btyd-data.npz", var / "bench-btyd-lifetimes.json"
    np.savez(data_path, x=x, t_x=t_x, T=T)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    subprocess.run(
        [
            str(python),
            str(Path(__file__).resolve()),
            "--lifetimes-child",
            str(data_path),
            str(out_path),
        ],
        check=True,
        env=env,
    )
    theirs = json.loads(out_path.read_text())
    data_path.unlink()

    ours_params = collapsed_fit.as_dict()
    ll_ours = total_ll(ours_params)
    ll_plain = total_ll(plain_fit.as_dict())
    ll_theirs = total_ll(theirs["params"])
    return {
        "customers": customers,
        "seed": seed,
        "unique_rows": int(ux.size),
        "true_params": TRUE_PARAMS,
        "ours": {
            "seconds_with_collapse": collapsed_seconds,
            "seconds_without_collapse": plain_seconds,
            "cpu_seconds_with_collapse": collapsed_cpu,
            "cpu_seconds_without_collapse": plain_cpu,
            "params": ours_params,
            "params_without_collapse": plain_fit.as_dict(),
            "evaluations": collapsed_fit.evaluations,
            "converged": collapsed_fit.converged,
            "total_ll": ll_ours,
            "total_ll_without_collapse": ll_plain,
        },
        "lifetimes": {
            "seconds": theirs["seconds"],
            "cpu_seconds": theirs["cpu_seconds"],
            "params": theirs["params"],
            "total_ll": ll_theirs,
            "reported_mean_negative_ll_scaled": theirs["reported_mean_negative_ll_scaled"],
        },
        "speedup_with_collapse": theirs["seconds"] / collapsed_seconds,
        "speedup_without_collapse": theirs["seconds"] / plain_seconds,
        "cpu_speedup_with_collapse": theirs["cpu_seconds"] / collapsed_cpu,
        "cpu_speedup_without_collapse": theirs["cpu_seconds"] / plain_cpu,
        "ll_ours_minus_lifetimes": ll_ours - ll_theirs,
        "mean_ll_ours_minus_lifetimes": (ll_ours - ll_theirs) / customers,
    }


def print_result(result: dict) -> None:
    """A few lines for the bench table."""
    ours, theirs = result["ours"], result["lifetimes"]
    rows = [
        ("ours, identical rows merged", "with_collapse", ours["total_ll"]),
        ("ours, every row", "without_collapse", ours["total_ll_without_collapse"]),
    ]
    print(
        f"\nBG/NBD on {result['customers']:,} simulated customers"
        f" ({result['unique_rows']:,} distinct rows)"
    )
    print(f"{'fitter':<32} {'wall s':>7} {'CPU s':>7} {'total log-likelihood':>22}")
    for label, key, ll in rows:
        print(
            f"{label:<32} {ours['seconds_' + key]:>7.2f} {ours['cpu_seconds_' + key]:>7.2f}"
            f" {ll:>22.4f}"
        )
    print(
        f"{'lifetimes 0.11.3 BetaGeoFitter':<32} {theirs['seconds']:>7.2f}"
        f" {theirs['cpu_seconds']:>7.2f} {theirs['total_ll']:>22.4f}"
    )
    print(
        f"speed-up (wall) {result['speedup_with_collapse']:.1f}x merged,"
        f" {result['speedup_without_collapse']:.1f}x every row;"
        f" (CPU) {result['cpu_speedup_with_collapse']:.1f}x,"
        f" {result['cpu_speedup_without_collapse']:.1f}x;"
        f" LL ours - lifetimes = {result['ll_ours_minus_lifetimes']:.6f}"
    )


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--lifetimes-child":
        lifetimes_child(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-btyd.json")
    args = parser.parse_args()
    result = run(args.customers, args.seed)
    print_result(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
