"""The portfolio pictures of the Differentiate page (D7), as data: scoped, constant queries.

Value concentration (Lorenz / Pareto curve with the top-N share), tier migration over time,
share of customer by category, the whitespace matrix (categories by top accounts) and the
value-by-needs matrix (needs segments by value bands, each account placed). Every read
goes through core.access on the organisation (`customer`), so a partner sees the picture
of the accounts it serves; portal users do not get the portfolio at all.

The arithmetic (`concentration`, `bands`, `eta_squared`) is plain Python and numpy and is
tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, OuterRef, Q, Subquery, Sum

from rapport.core import access
from rapport.core.errors import InvalidInput
from rapport.core.models import RunStatus, User
from rapport.needs.models import NeedsSegment, SegmentMembership
from rapport.valuation.models import (
    AccountValue,
    CategoryShare,
    ModelRun,
    RunKind,
    Tier,
    TierAssignment,
    product_category_model,
)

MEASURES = {
    "predicted_value": "Predicted value",
    "net_margin_12m": "Net margin, last 12 months",
    "revenue_12m": "Revenue, last 12 months",
    "lifetime_margin": "Lifetime margin",
}

# --- value concentration -----------------------------------------------------------------


@dataclass
class Concentration:
    """How value is spread over accounts: the curve, the top shares and the Gini coefficient."""

    accounts: int
    total: float
    curve: list[tuple[float, float]]  # (share of accounts, share of value), most valuable first
    top_percent: list[tuple[int, int, float]]  # (percent of accounts, how many, share of value)
    top_n: list[tuple[int, float]]  # (number of accounts, share of value)
    gini: float | None
    nothing_or_less: int  # accounts worth nothing or less (left at 0 on the curve)

    def share_of_top_percent(self, percent: int) -> float | None:
        return next((share for p, _n, share in self.top_percent if p == percent), None)


def concentration(
    values: Sequence[float],
    *,
    percents: Sequence[int] = (1, 5, 10, 20, 50),
    counts: Sequence[int] = (1, 5, 10, 20, 50, 100),
    points: int = 100,
) -> Concentration:
    """The Pareto / Lorenz picture of `values` (negative values count as nothing)."""
    raw = np.asarray(values, dtype=float)
    n = len(raw)
    positive = np.sort(np.clip(raw, 0, None))[::-1]
    total = float(positive.sum())
    nothing = int((raw <= 0).sum())
    if n == 0 or total <= 0:
        return Concentration(n, total, [(0.0, 0.0), (1.0, 1.0)] if n else [], [], [], None, nothing)
    cumulative = np.concatenate([[0.0], np.cumsum(positive) / total])
    steps = (
        sorted({round(j * n / points) for j in range(points + 1)}) if n > points else range(n + 1)
    )
    curve = [(round(k / n, 6), round(float(cumulative[k]), 6)) for k in steps]
    top_percent = []
    for percent in percents:
        k = max(1, math.ceil(percent * n / 100))
        top_percent.append((percent, k, round(float(cumulative[k]), 6)))
    top_n = [(k, round(float(cumulative[k]), 6)) for k in counts if k < n]
    ascending = positive[::-1]
    gini = float(2 * np.sum(np.arange(1, n + 1) * ascending) / (n * total) - (n + 1) / n)
    return Concentration(n, total, curve, top_percent, top_n, round(gini, 6), nothing)


def _current_values(user: User, measure: str) -> list[tuple[int, str, float]]:
    if measure not in MEASURES:
        raise InvalidInput(f"Unknown measure {measure!r}.", field="measure")
    rows = (
        access.scope(user, AccountValue.objects.filter(is_current=True), via="customer")
        .order_by(f"-{measure}", "customer_id")
        .values_list("customer_id", "customer__name", measure)
    )
    return [(pk, name, float(value)) for pk, name, value in rows]


def value_concentration(
    *, user: User, measure: str = "predicted_value"
) -> tuple[Concentration, list[tuple[int, str, float]]]:
    """The concentration of current value, and the ten most valuable accounts. One query."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    rows = _current_values(user, measure)
    return concentration([v for _pk, _name, v in rows]), rows[:10]


# --- tier migration ----------------------------------------------------------------------


@dataclass
class Migration:
    """Accounts per tier in each of the last runs, and who moved where between the last two."""

    runs: list[ModelRun]
    counts: dict[str, list[int]]  # tier → count per run, in run order
    matrix: list[list[int]]  # rows: from (tiers + "new"); columns: to (tiers + "gone")
    moved: int = 0
    stayed: int = 0

    @property
    def tiers(self) -> list[tuple[str, str]]:
        return list(Tier.choices)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        labels = [label for _v, label in Tier.choices] + ["New"]
        return list(zip(labels, self.matrix, strict=True))


def tier_migration(*, user: User, runs: int = 8) -> Migration:
    """Counts per tier in the last `runs` tier runs, and the from → to matrix. Four queries."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    recent = list(
        ModelRun.objects.filter(kind=RunKind.TIERS, run__status=RunStatus.DONE)
        .select_related("run")
        .order_by("-run__finished_at", "-id")[:runs]
    )[::-1]
    tiers = [value for value, _label in Tier.choices]
    size = len(tiers)
    counts = {tier: [0] * len(recent) for tier in tiers}
    matrix = [[0] * (size + 1) for _ in range(size + 1)]
    if not recent:
        return Migration([], counts, matrix)
    position = {run.pk: i for i, run in enumerate(recent)}
    assignments = access.scope(user, TierAssignment.objects.all(), via="customer")
    for run_id, tier, n in (
        assignments.filter(run_id__in=list(position))
        .values("run_id", "tier")
        .annotate(n=Count("id"))
        .values_list("run_id", "tier", "n")
    ):
        if tier in counts:
            counts[tier][position[run_id]] = n
    if len(recent) < 2:
        return Migration(recent, counts, matrix)
    before, last = recent[-2], recent[-1]
    earlier = TierAssignment.objects.filter(run=before, customer=OuterRef("customer"))
    index = {tier: i for i, tier in enumerate(tiers)}
    for was, now, n in (
        assignments.filter(run=last)
        .annotate(was=Subquery(earlier.values("tier")[:1]))
        .values("was", "tier")
        .annotate(n=Count("id"))
        .values_list("was", "tier", "n")
    ):
        matrix[index.get(was, size)][index[now]] += n
    for was, n in (
        assignments.filter(run=before)
        .exclude(customer__in=TierAssignment.objects.filter(run=last).values("customer"))
        .values("tier")
        .annotate(n=Count("id"))
        .values_list("tier", "n")
    ):
        matrix[index[was]][size] += n
    stayed = sum(matrix[i][i] for i in range(size))
    moved = sum(matrix[i][j] for i in range(size) for j in range(size) if i != j)
    return Migration(recent, counts, matrix, moved, stayed)


# --- share of customer -------------------------------------------------------------------


@dataclass
class CategoryTotal:
    """Our revenue and the wallet in one category over the portfolio."""

    category_id: int
    name: str
    revenue: float
    wallet: float
    revenue_where_wallet_known: float
    accounts: int
    whitespace: int

    @property
    def share(self) -> float | None:
        return self.revenue_where_wallet_known / self.wallet if self.wallet > 0 else None

    @property
    def rest_of_wallet(self) -> float:
        return max(self.wallet - self.revenue_where_wallet_known, 0.0)


def share_by_category(*, user: User) -> list[CategoryTotal]:
    """Share of customer per category over the portfolio (Σ our revenue ÷ Σ wallet where the
    wallet is known), and where the whitespace is. One query."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    rows = (
        access.scope(user, CategoryShare.objects.filter(is_current=True), via="customer")
        .values("category_id", "category__name")
        .annotate(
            total_revenue=Sum("revenue_12m"),
            total_wallet=Sum("wallet"),
            known=Sum("revenue_12m", filter=Q(wallet__isnull=False)),
            accounts=Count("customer_id", distinct=True),
            whitespace=Count("id", filter=Q(is_whitespace=True)),
        )
        .order_by("category__name")
    )
    return [
        CategoryTotal(
            r["category_id"],
            r["category__name"],
            float(r["total_revenue"] or 0),
            float(r["total_wallet"] or 0),
            float(r["known"] or 0),
            r["accounts"],
            r["whitespace"],
        )
        for r in rows
    ]


@dataclass
class WhitespaceCell:
    share: float | None
    revenue: float
    wallet: float | None
    wallet_source: str
    is_whitespace: bool


@dataclass
class Whitespace:
    """Categories by the most valuable accounts: our share in each cell, whitespace marked."""

    categories: list[tuple[int, str]]
    accounts: list[tuple[int, str, float]]
    cells: dict[tuple[int, int], WhitespaceCell]  # (account id, category id) → cell

    def cell(self, account_id: int, category_id: int) -> WhitespaceCell | None:
        return self.cells.get((account_id, category_id))

    @property
    def whitespace_count(self) -> int:
        return sum(1 for c in self.cells.values() if c.is_whitespace)


def whitespace_matrix(*, user: User, top: int = 15) -> Whitespace:
    """The whitespace matrix of the `top` most valuable accounts. Three queries."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    accounts = [
        (pk, name, float(v))
        for pk, name, v in access.scope(
            user, AccountValue.objects.filter(is_current=True), via="customer"
        )
        .order_by("-predicted_value", "customer_id")
        .values_list("customer_id", "customer__name", "predicted_value")[:top]
    ]
    categories = list(product_category_model().objects.order_by("name").values_list("pk", "name"))
    cells = {
        (customer_id, category_id): WhitespaceCell(
            share, float(revenue), None if wallet is None else float(wallet), source, whitespace
        )
        for customer_id, category_id, share, revenue, wallet, source, whitespace in access.scope(
            user, CategoryShare.objects.filter(is_current=True), via="customer"
        )
        .filter(customer_id__in=[pk for pk, _n, _v in accounts])
        .values_list(
            "customer_id",
            "category_id",
            "share",
            "revenue_12m",
            "wallet",
            "wallet_source",
            "is_whitespace",
        )
    }
    return Whitespace(categories, accounts, cells)


# --- value by needs ----------------------------------------------------------------------

BAND_LABELS = ["Top 25%", "50-75%", "25-50%", "Bottom 25%"]
UNKNOWN_NEEDS = "Needs unknown"


def bands(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Quartile cut points of `values` and each value's band (0 = top 25%)."""
    if not len(values):
        return [], []
    array = np.asarray(values, dtype=float)
    cuts = [float(c) for c in np.quantile(array, [0.75, 0.5, 0.25])]
    band = [0 if v >= cuts[0] else 1 if v >= cuts[1] else 2 if v >= cuts[2] else 3 for v in array]
    return cuts, band


def eta_squared(groups: Sequence[Sequence[float]]) -> float | None:
    """Share of the variance of value explained by the groups (0: uniform, 1: all of it)."""
    parts = [np.asarray(g, dtype=float) for g in groups if len(g)]
    everything = np.concatenate(parts) if parts else np.zeros(0)
    if len(everything) < 2:
        return None
    total = float(((everything - everything.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    between = sum(len(g) * (float(np.mean(g)) - everything.mean()) ** 2 for g in groups if len(g))
    return round(between / total, 6)


@dataclass
class SegmentRow:
    """One row of the value-by-needs matrix: a segment (or the accounts of unknown needs)."""

    segment: NeedsSegment | None
    label: str
    counts: list[int]  # per value band
    accounts: int = 0
    total_value: float = 0.0
    median_value: float | None = None
    tiers: dict[str, int] = field(default_factory=dict)


@dataclass
class ValueByNeeds:
    """Needs segments by value bands, each account placed, and a verdict in words."""

    rows: list[SegmentRow]
    cuts: list[float]
    points: list[dict[str, Any]]  # {customer, name, row, value, tier}
    shown: int
    placed: int
    silhouette: float | None
    explained: float | None  # eta squared of value by segment

    @property
    def band_labels(self) -> list[str]:
        return BAND_LABELS

    @property
    def verdict(self) -> str:
        segments = [r for r in self.rows if r.segment is not None]
        if not segments:
            return "No needs segments yet: record customers' needs and recompute."
        if self.silhouette is None:
            needs = f"Needs: {len(segments)} segment, the customer base is uniform in its needs."
        else:
            degree = (
                "clearly"
                if self.silhouette >= 0.5
                else "somewhat"
                if self.silhouette >= 0.25
                else "weakly"
            )
            needs = (
                f"Needs: {len(segments)} segments, {degree} differentiated "
                f"(silhouette {self.silhouette:.2f})."
            )
        if self.explained is None:
            return needs
        value_degree = (
            "a lot" if self.explained >= 0.3 else "somewhat" if self.explained >= 0.1 else "little"
        )
        return (
            f"{needs} Value differs {value_degree} between them: the segments explain "
            f"{round(self.explained * 100)}% of the variance in value."
        )


def value_by_needs(
    *, user: User, measure: str = "predicted_value", limit: int = 1500
) -> ValueByNeeds:
    """Segments by value quartiles with counts; each account placed (the `limit` most valuable
    drawn). Four queries whatever the number of accounts."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    segments = list(
        NeedsSegment.objects.filter(is_current=True).select_related("run").order_by("number")
    )
    silhouette = segments[0].run.parameters.get("silhouette") if segments else None
    membership = dict(
        access.scope(
            user, SegmentMembership.objects.filter(is_current=True), via="customer"
        ).values_list("customer_id", "segment_id")
    )
    tier_of = dict(
        access.scope(
            user, TierAssignment.objects.filter(is_current=True), via="customer"
        ).values_list("customer_id", "tier")
    )
    values = _current_values(user, measure)
    cuts, band = bands([v for _pk, _name, v in values])
    row_of = {s.pk: i for i, s in enumerate(segments)}
    rows = [SegmentRow(s, f"{s.number}. {s.name}", [0] * 4) for s in segments]
    rows.append(SegmentRow(None, UNKNOWN_NEEDS, [0] * 4))
    per_row: list[list[float]] = [[] for _ in rows]
    points: list[dict[str, Any]] = []
    for (pk, name, value), b in zip(values, band, strict=True):
        r = row_of.get(membership.get(pk, -1), len(rows) - 1)
        rows[r].counts[b] += 1
        per_row[r].append(value)
        tier = tier_of.get(pk, "")
        if tier:
            rows[r].tiers[tier] = rows[r].tiers.get(tier, 0) + 1
        if len(points) < limit:
            points.append({"customer": pk, "name": name, "row": r, "value": value, "tier": tier})
    for row, amounts in zip(rows, per_row, strict=True):
        row.accounts = len(amounts)
        row.total_value = float(sum(amounts))
        row.median_value = float(np.median(amounts)) if amounts else None
    if not rows[-1].accounts:
        rows.pop()
        per_row.pop()
    explained = eta_squared(per_row[: len(segments)]) if len(segments) > 1 else None
    placed = sum(r.accounts for r in rows if r.segment is not None)
    return ValueByNeeds(rows, cuts, points, len(points), placed, silhouette, explained)


# --- everything the Differentiate page draws ---------------------------------------------


@dataclass
class Portfolio:
    measure: str
    concentration: Concentration
    top: list[tuple[int, str, float]]
    migration: Migration
    categories: list[CategoryTotal]
    whitespace: Whitespace
    value_by_needs: ValueByNeeds
    segments: list[NeedsSegment]

    @property
    def measure_label(self) -> str:
        return MEASURES[self.measure]


def portfolio(*, user: User, measure: str = "predicted_value", top: int = 15) -> Portfolio:
    """Every picture of the Differentiate page, scoped to the user. Sixteen queries at most."""
    from rapport.needs.selectors import segment_list

    access.ensure(user, access.Capability.READ_PORTFOLIO)
    concentration_, most = value_concentration(user=user, measure=measure)
    return Portfolio(
        measure=measure,
        concentration=concentration_,
        top=most,
        migration=tier_migration(user=user),
        categories=share_by_category(user=user),
        whitespace=whitespace_matrix(user=user, top=top),
        value_by_needs=value_by_needs(user=user, measure=measure),
        segments=segment_list(user=user),
    )


def portfolio_data(p: Portfolio) -> dict[str, Any]:
    """The pictures as plain data (the API's `DifferentiateOut`)."""
    c, m, w, v = p.concentration, p.migration, p.whitespace, p.value_by_needs
    tiers = [value for value, _label in Tier.choices]
    return {
        "concentration": {
            "measure": p.measure,
            "accounts": c.accounts,
            "total": c.total,
            "curve": c.curve,
            "top_percent": [{"percent": a, "accounts": b, "share": s} for a, b, s in c.top_percent],
            "top_n": [{"accounts": a, "share": s} for a, s in c.top_n],
            "gini": c.gini,
            "nothing_or_less": c.nothing_or_less,
        },
        "migration": {
            "runs": m.runs,
            "tiers": tiers,
            "counts": m.counts,
            "matrix_from": [*tiers, "new"],
            "matrix_to": [*tiers, "gone"],
            "matrix": m.matrix,
            "moved": m.moved,
            "stayed": m.stayed,
        },
        "share_by_category": [
            {
                "category_id": t.category_id,
                "name": t.name,
                "revenue": t.revenue,
                "wallet": t.wallet,
                "share": t.share,
                "accounts": t.accounts,
                "whitespace": t.whitespace,
            }
            for t in p.categories
        ],
        "whitespace": {
            "categories": [{"id": pk, "name": name} for pk, name in w.categories],
            "accounts": [{"id": pk, "name": name} for pk, name, _v in w.accounts],
            "cells": [
                {"account_id": a, "category_id": k, **cell.__dict__}
                for (a, k), cell in sorted(w.cells.items())
            ],
        },
        "value_by_needs": {
            "bands": v.band_labels,
            "cuts": v.cuts,
            "rows": [
                {
                    "segment_id": r.segment.pk if r.segment else None,
                    "label": r.label,
                    "counts": r.counts,
                    "accounts": r.accounts,
                    "total_value": r.total_value,
                    "median_value": r.median_value,
                    "tiers": r.tiers,
                }
                for r in v.rows
            ],
            "points": [
                {
                    k: point[k2]
                    for k, k2 in (
                        ("customer_id", "customer"),
                        ("name", "name"),
                        ("row", "row"),
                        ("value", "value"),
                        ("tier", "tier"),
                    )
                }
                for point in v.points
            ],
            "placed": v.placed,
            "silhouette": v.silhouette,
            "explained": v.explained,
            "verdict": v.verdict,
        },
        "segments": p.segments,
    }
