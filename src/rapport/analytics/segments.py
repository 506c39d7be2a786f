"""Needs-based segments (D6): encode what customers need, cluster them, say each cluster in words.

Pure numpy and scikit-learn, no Django. The caller hands over the needs of the catalogue
(`NeedSpec`) and, per organisation, the value it has for each need it is known for
(`{need key: value}`); unknown needs are simply absent.

Encoding (`encode`): a yes/no need is one 0/1 feature; a choice whose options are in order
of demand (low → mission-critical) is one ordinal feature in [0, 1]; an unordered choice is
one-hot and a multi-choice multi-hot, each column scaled by 1/√2 so that two different
answers of one need are as far apart as the ends of an ordinal scale. Every need so weighs
about the same. An unknown need is imputed to the population mean of its features, so it
pulls an organisation towards no segment; organisations with no known need at all are left
out (label -1).

Clustering (`segment`): k-means, seeded, for each k in a small range; k is the one with the
best silhouette (on a fixed sample when there are many organisations). Each segment is
described by its distinctive needs: for every (need, value), the share of the segment's
members who have it among those whose answer we know, against the same share over everyone;
the values most over-represented (lift) that most members share make its name
("Mission-critical uptime, 24/7 support, SAP integration").

Lineage (`continuations`): which segment of the previous run each new segment continues,
judged by the members they share, so that what is attached to a segment outlives a
recompute that renumbers, renames or slightly reshapes it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

MODEL_NAME = "needs-kmeans"
MODEL_VERSION = "1"

BOOLEAN = "boolean"
CHOICE = "choice"
MULTI_CHOICE = "multi_choice"
ENCODED_TYPES = (BOOLEAN, CHOICE, MULTI_CHOICE)

# A value is distinctive of a segment when at least this share of the members whose answer
# we know have it, and it is at least this many times as common as over everyone.
MIN_SHARE = 0.5
MIN_LIFT = 1.2
SILHOUETTE_SAMPLE = 3000
# Up to this many distinct profiles the silhouette is computed exactly on them, weighted.
EXACT_SILHOUETTE = 4000
_ONE_HOT_SCALE = 1 / math.sqrt(2)


@dataclass(frozen=True)
class NeedSpec:
    """One need of the catalogue, as the model sees it."""

    key: str
    label: str
    value_type: str
    choices: tuple[str, ...] = ()
    ordered: bool = False
    # How one value reads in a segment's name: "{value} uptime" → "Mission-critical uptime".
    # Empty: "<label>: <value>" (and for yes/no needs, "<label>" or "No <label>").
    phrase: str = ""
    phrase_no: str = ""
    importance: int = 3  # breaks ties between equally distinctive needs


@dataclass(frozen=True)
class Encoded:
    """Need facts as numbers: the clustering features and the value indicators."""

    features: np.ndarray  # (n, f), unknowns imputed to the column mean
    feature_names: list[str]
    indicators: np.ndarray  # (n, m): 1/0 per (need, value), NaN where the need is unknown
    values: list[tuple[str, str]]  # (need key, value) per indicator column
    needs_known: np.ndarray  # (n,) how many encoded needs are known per row


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def encode(specs: Sequence[NeedSpec], rows: Sequence[Mapping[str, Any]]) -> Encoded:
    """Features and indicators of each row; needs of other value types are ignored."""
    specs = [s for s in specs if s.value_type in ENCODED_TYPES]
    n = len(rows)
    columns: list[np.ndarray] = []
    names: list[str] = []
    indicator_columns: list[np.ndarray] = []
    values: list[tuple[str, str]] = []
    known_count = np.zeros(n, dtype=np.int64)
    for spec in specs:
        raw = [row.get(spec.key) for row in rows]
        known = np.array([v is not None and v != [] for v in raw], dtype=bool)
        known_count += known
        if spec.value_type == BOOLEAN:
            col = np.array([1.0 if v is True else 0.0 for v in raw])
            block = [(spec.key, col, 1.0)]
            options = [("yes", col), ("no", 1.0 - col)]
        else:
            chosen = [
                set(v) if isinstance(v, list | tuple) else ({v} if v is not None else set())
                for v in raw
            ]
            choices = list(spec.choices)
            extra = sorted({c for s in chosen for c in s if c not in spec.choices})
            choices += extra  # values no longer in the catalogue still count
            hot = {c: np.array([1.0 if c in s else 0.0 for s in chosen]) for c in choices}
            options = [(c, hot[c]) for c in choices]
            if spec.value_type == CHOICE and spec.ordered and len(spec.choices) > 1:
                rank = {c: i / (len(spec.choices) - 1) for i, c in enumerate(spec.choices)}
                col = np.array([rank.get(next(iter(s)), 0.5) if s else 0.0 for s in chosen])
                block = [(spec.key, col, 1.0)]
            else:
                block = [(f"{spec.key}={c}", hot[c], _ONE_HOT_SCALE) for c in choices]
        for name, col, scale in block:
            column = col.astype(float).copy()
            if known.any():
                column[~known] = column[known].mean()
            else:
                column[:] = 0.0
            columns.append(column * scale)
            names.append(name)
        for value, col in options:
            indicator = col.astype(float).copy()
            indicator[~known] = np.nan
            indicator_columns.append(indicator)
            values.append((spec.key, value))
    features = np.column_stack(columns) if columns else np.zeros((n, 0))
    indicators = np.column_stack(indicator_columns) if indicator_columns else np.zeros((n, 0))
    return Encoded(features, names, indicators, values, known_count)


@dataclass
class Segment:
    """One segment: its members (row indices), its name and description, its distinctive needs."""

    number: int
    members: np.ndarray
    name: str
    description: str
    distinctive: list[dict[str, Any]]
    centroid: dict[str, float]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class Segmentation:
    """The result: a label and distance per row (-1 / NaN when no need is known), the segments."""

    labels: np.ndarray
    distances: np.ndarray
    needs_known: np.ndarray
    segments: list[Segment]
    k: int
    silhouette: float | None
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def left_out(self) -> int:
        return int((self.labels < 0).sum())


def _phrase(spec: NeedSpec, value: str) -> str:
    if spec.value_type == BOOLEAN:
        if value == "yes":
            text = spec.phrase or spec.label
        else:
            text = spec.phrase_no or f"No {spec.label[:1].lower()}{spec.label[1:]}"
    elif spec.phrase:
        text = spec.phrase.format(value=value)
    else:
        text = f"{spec.label}: {value}"
    return text[:1].upper() + text[1:]


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def describe(
    specs: Sequence[NeedSpec],
    encoded: Encoded,
    members: np.ndarray,
    population: np.ndarray,
    *,
    top: int = 3,
) -> tuple[str, str, list[dict[str, Any]]]:
    """A segment's name, its description in words, and its distinctive needs (best first)."""
    by_key = {s.key: s for s in specs}
    inside = encoded.indicators[members]
    overall = encoded.indicators[population]
    rows: list[dict[str, Any]] = []
    for j, (key, value) in enumerate(encoded.values):
        seg_known = ~np.isnan(inside[:, j])
        all_known = ~np.isnan(overall[:, j])
        if not seg_known.any() or not all_known.any():
            continue
        share_in = float(inside[seg_known, j].mean())
        share_all = float(overall[all_known, j].mean())
        if share_all <= 0:
            continue
        lift = share_in / share_all
        if share_in >= MIN_SHARE and lift >= MIN_LIFT:
            rows.append(
                {
                    "attribute": key,
                    "value": value,
                    "label": by_key[key].label,
                    "phrase": _phrase(by_key[key], value),
                    "share_in_segment": round(share_in, 4),
                    "share_overall": round(share_all, 4),
                    "lift": round(lift, 4),
                }
            )
    # Most over-represented first; of equal lift, the one more members share.
    rows.sort(
        key=lambda r: (
            -round(r["lift"], 2),
            -r["share_in_segment"],
            -by_key[r["attribute"]].importance,
            r["attribute"],
            r["value"],
        )
    )
    # One phrase per need in the name: the most distinctive value of each.
    named: list[dict[str, Any]] = []
    for row in rows:
        if all(r["attribute"] != row["attribute"] for r in named):
            named.append(row)
    named = named[:top]
    size = len(members)
    who = f"{size} organisation{'s' if size != 1 else ''}"
    if not named:
        return (
            "No distinctive needs",
            f"{who} whose needs are close to the average of the customer base.",
            rows,
        )
    name = ", ".join(r["phrase"] for r in named)
    details = "; ".join(
        f"{r['phrase']} ({_percent(r['share_in_segment'])} of them, "
        f"{_percent(r['share_overall'])} overall)"
        for r in named
    )
    return name, f"{who}. {details}.", rows


def _fit(x: np.ndarray, weight: np.ndarray, k: int, seed: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x, sample_weight=weight)


def weighted_silhouette(points: np.ndarray, weight: np.ndarray, labels: np.ndarray) -> float:
    """The silhouette of data where `points[i]` occurs `weight[i]` times, computed exactly.

    Equal to scikit-learn's silhouette_score on the data with every point repeated (a
    point alone in its segment scores 0), at the cost of the distinct points only.
    """
    distances = cdist(points, points)
    clusters = np.unique(labels)
    sums = np.column_stack([distances[:, labels == c] @ weight[labels == c] for c in clusters])
    sizes = np.array([weight[labels == c].sum() for c in clusters])
    own = np.searchsorted(clusters, labels)
    rows = np.arange(len(points))
    own_size = sizes[own]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(own_size > 1, sums[rows, own] / np.maximum(own_size - 1, 1), 0.0)
        means = sums / sizes
        means[rows, own] = np.inf
        b = means.min(axis=1)
        top = np.maximum(a, b)
        s = np.where((own_size > 1) & (top > 0), (b - a) / np.where(top > 0, top, 1), 0.0)
    return float((s * weight).sum() / weight.sum())


def segment(
    specs: Sequence[NeedSpec],
    rows: Sequence[Mapping[str, Any]],
    *,
    k_min: int = 2,
    k_max: int = 8,
    seed: int = 0,
    top: int = 3,
) -> Segmentation:
    """Cluster the rows by their needs; k by the best silhouette in [k_min, k_max]."""
    encoded = encode(specs, rows)
    n = len(rows)
    labels = np.full(n, -1, dtype=np.int64)
    distances = np.full(n, np.nan)
    present = np.flatnonzero(encoded.needs_known > 0)
    if len(present) == 0 or encoded.features.shape[1] == 0:
        return Segmentation(labels, distances, encoded.needs_known, [], 0, None)
    x = encoded.features[present]
    # Answers are discrete, so many organisations share one profile: cluster the distinct
    # profiles weighted by how many have each (the same k-means objective, far fewer rows).
    unique, inverse, counts = np.unique(
        np.round(x, 9), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    distinct = len(unique)
    scores: dict[int, float] = {}
    best: KMeans | None = None
    best_score = -math.inf
    # The silhouette needs 2 ≤ k ≤ n - 1; with fewer rows everyone is one segment.
    weight = counts.astype(float)
    for k in range(max(2, k_min), min(k_max, distinct, len(x) - 1) + 1):
        with threadpool_limits(limits=1):  # small problems: threads cost more than they save
            model = _fit(unique, weight, k, seed)
        if len(set(model.labels_)) < 2:
            continue
        if distinct <= EXACT_SILHOUETTE:
            score = weighted_silhouette(unique, weight, model.labels_)
        else:
            sample = SILHOUETTE_SAMPLE if len(x) > SILHOUETTE_SAMPLE else None
            score = float(
                silhouette_score(x, model.labels_[inverse], sample_size=sample, random_state=seed)
            )
        scores[k] = round(score, 6)
        if score > best_score + 1e-9:
            best, best_score = model, score
    if best is None:
        found = np.zeros(len(x), dtype=np.int64)
        centres = x.mean(axis=0, keepdims=True)
        silhouette = None
    else:
        found = best.labels_[inverse].astype(np.int64)
        centres = best.cluster_centers_
        silhouette = round(best_score, 6)
    # Number the segments largest first (ties: the one whose first member comes first).
    counts = np.bincount(found, minlength=len(centres))
    first = np.array([np.flatnonzero(found == c)[0] for c in range(len(centres))])
    order = sorted(range(len(centres)), key=lambda c: (-counts[c], first[c]))
    renumber = np.empty(len(centres), dtype=np.int64)
    renumber[order] = np.arange(len(centres))
    found = renumber[found]
    centres = centres[order]
    labels[present] = found
    distances[present] = np.linalg.norm(x - centres[found], axis=1)
    segments = []
    for number in range(len(centres)):
        members = present[found == number]
        name, description, distinctive = describe(specs, encoded, members, present, top=top)
        centroid = {
            feature: round(float(v), 6)
            for feature, v in zip(encoded.feature_names, centres[number], strict=True)
        }
        segments.append(Segment(number + 1, members, name, description, distinctive, centroid))
    return Segmentation(
        labels, distances, encoded.needs_known, segments, len(centres), silhouette, scores
    )


# --- lineage: which previous segment a new one continues --------------------------------

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Continuation:
    """A new segment continues segment `previous`, holding `shared` of its members: `share`."""

    previous: int
    shared: int
    share: float  # shared / the previous segment's members


def continuations(
    previous: Mapping[int, Collection[int]], new: Mapping[Key, Collection[int]]
) -> dict[Key, Continuation | None]:
    """Which previous segment each new segment continues, or None: a new segment.

    `previous` is the previous run's membership (segment id → customer ids), `new` this
    run's (segment key → customer ids). A new segment continues the previous segment most
    of its members came from when those are at least half of its members that were
    segmented last time *and* at least half of that previous segment's members. Both
    halves are needed: the first alone would let a small fragment that broke off a large
    segment inherit it, the second alone would let a segment mostly made of others'
    members take over a small one. So when a segment splits, the part that kept at least
    half of it continues it and the smaller part is new; when two merge, the merged
    segment continues the one that brought at least half its members, and the other ends.
    Customers new to segmentation count for neither side.

    One to one: candidate pairs are taken greedily, the largest overlap first (then the
    one holding the larger share of the previous segment, then the larger share of the new
    one, then the previous id and the order of `new`, so the answer is deterministic).
    A previous segment split exactly in half goes to the first of its halves by that order.
    """
    before = {pk: set(members) for pk, members in previous.items()}
    segmented_before = set().union(*before.values()) if before else set()
    candidates = []
    for position, (key, members) in enumerate(new.items()):
        mine = set(members)
        known = len(mine & segmented_before)
        for pk, theirs in before.items():
            shared = len(mine & theirs)
            if shared and 2 * shared >= known and 2 * shared >= len(theirs):
                candidates.append(
                    (-shared, -shared / len(theirs), -shared / known, pk, position, key)
                )
    chosen: dict[Key, Continuation | None] = dict.fromkeys(new)
    taken: set[int] = set()
    for minus_shared, minus_share, _of_new, pk, _position, key in sorted(
        candidates, key=lambda c: c[:5]
    ):
        if pk in taken or chosen[key] is not None:
            continue
        chosen[key] = Continuation(previous=pk, shared=-minus_shared, share=-minus_share)
        taken.add(pk)
    return chosen
