"""Wallets modelled from similar accounts (share of customer, D3): pure numpy, no Django.

For an organisation and a product category where nobody has said or estimated what it
spends in the year, look at the organisations that are most alike and whose wallet in that
category is known (customer said or rep estimated):

1. *Alike* means the same industry and the nearest size, where size is what the caller
   passes (the runner uses the organisation's revenue with us over the last 12 months: it
   is known for every account, whereas headcount is often missing). Distance is measured
   in log(1 + size), so 10,000 and 12,000 are as close as 100 and 120. The `k` nearest
   organisations with a known wallet in the category are taken. When the industry has none
   (or the industry is blank), the nearest in the whole base are taken instead, and the
   result says so (`same_industry` is False).
2. Each neighbour's wallet is scaled to the organisation's size by the neighbour's ratio
   wallet / size ("they spend 4 times in this category what they spend with us in all"); the
   estimate is the median of those scaled wallets, which one odd neighbour cannot drag
   far. When the organisation has no size (we sell it nothing yet), or none of the
   neighbours has one, the median of the neighbours' absolute wallets is used.
3. A wallet cannot be smaller than what the organisation already spends with us in that
   category, so the estimate is at least our revenue there.

Every estimate comes with the number of neighbours it rests on, so a figure from one
similar account can be shown as the weak evidence it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MODEL_NAME = "wallet-knn"
MODEL_VERSION = "1"
DEFAULT_NEIGHBOURS = 5


@dataclass(frozen=True)
class ModelledWallets:
    """Estimated annual wallets, organisations by categories; NaN where none could be made.

    `neighbours` is how many known wallets each estimate rests on (0 where there is
    none, or where the wallet was known and so not modelled); `same_industry` says
    whether those neighbours were of the organisation's own industry.
    """

    amount: NDArray[np.float64]
    neighbours: NDArray[np.int64]
    same_industry: NDArray[np.bool_]


def _nearest(
    known_sizes: NDArray[np.float64], wanted_sizes: NDArray[np.float64], k: int
) -> NDArray[np.int64]:
    """For each wanted log-size, the indices (into known_sizes, sorted ascending) of the k nearest.

    Returns an (n, k') array with k' = min(k, len(known)); the candidates are the k on each
    side of the insertion point, so the work is O(n k log n) whatever the base size.
    """
    m = known_sizes.size
    kk = min(k, m)
    pos = np.searchsorted(known_sizes, wanted_sizes)
    offsets = np.arange(-kk, kk)
    cand = pos[:, None] + offsets[None, :]
    valid = (cand >= 0) & (cand < m)
    clipped = np.clip(cand, 0, m - 1)
    dist = np.abs(known_sizes[clipped] - wanted_sizes[:, None])
    dist[~valid] = np.inf
    # stable: among equal distances the smaller (earlier) candidate wins, deterministically
    order = np.argsort(dist, axis=1, kind="stable")[:, :kk]
    return np.take_along_axis(clipped, order, axis=1)


def _estimate(
    size: NDArray[np.float64],
    known_size: NDArray[np.float64],
    known_wallet: NDArray[np.float64],
    k: int,
) -> tuple[NDArray[np.float64], int]:
    """Median scaled wallet of the k nearest known organisations, for each wanted size."""
    order = np.argsort(np.log1p(known_size), kind="stable")
    sorted_log = np.log1p(known_size[order])
    picks = order[_nearest(sorted_log, np.log1p(size), k)]
    wallets = known_wallet[picks]
    sizes = known_size[picks]
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(sizes > 0, wallets / sizes, np.nan) * size[:, None]
    has_scaled = (size > 0) & np.any(sizes > 0, axis=1)
    scaled_median = np.full(size.shape, np.nan)
    if has_scaled.any():
        scaled_median[has_scaled] = np.nanmedian(scaled[has_scaled], axis=1)
    absolute = np.median(wallets, axis=1)
    return np.where(has_scaled, scaled_median, absolute), picks.shape[1]


def model_wallets(
    *,
    industry: Sequence[str],
    size: NDArray[np.float64],
    known: NDArray[np.float64],
    ours: NDArray[np.float64],
    k: int = DEFAULT_NEIGHBOURS,
) -> ModelledWallets:
    """Estimate the unknown wallets (NaN in `known`) from the k most alike known ones.

    `industry` and `size` have one entry per organisation; `known` (wallets said or
    estimated by people, NaN where unknown) and `ours` (our annual revenue) are
    organisations by categories.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    known = np.asarray(known, dtype=float)
    ours = np.asarray(ours, dtype=float)
    size = np.maximum(np.asarray(size, dtype=float), 0.0)
    n, c = known.shape
    if ours.shape != (n, c) or size.shape != (n,) or len(industry) != n:
        raise ValueError("industry, size, known and ours must describe the same organisations")
    amount = np.full((n, c), np.nan)
    neighbours = np.zeros((n, c), dtype=np.int64)
    same = np.zeros((n, c), dtype=bool)
    labels = np.asarray([str(name or "").strip().lower() for name in industry], dtype=object)
    groups = {name: labels == name for name in set(labels.tolist()) if name}
    for j in range(c):
        is_known = ~np.isnan(known[:, j])
        if not is_known.any():
            continue
        wanted = ~is_known
        pending = wanted.copy()
        for mask in groups.values():
            donors = mask & is_known
            targets = mask & wanted
            if not donors.any() or not targets.any():
                continue
            est, used = _estimate(size[targets], size[donors], known[donors, j], k)
            amount[targets, j] = est
            neighbours[targets, j] = used
            same[targets, j] = True
            pending &= ~targets
        if pending.any():
            est, used = _estimate(size[pending], size[is_known], known[is_known, j], k)
            amount[pending, j] = est
            neighbours[pending, j] = used
        amount[wanted, j] = np.maximum(amount[wanted, j], ours[wanted, j])
    return ModelledWallets(amount=amount, neighbours=neighbours, same_industry=same)
