"""The Differentiate page's pictures on hand-checked data: concentration, migration, whitespace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rapport.core.errors import PermissionDenied
from rapport.needs import pictures
from rapport.needs.models import NeedsSegment, SegmentMembership
from rapport.offers.models import ProductCategory
from rapport.valuation.models import (
    AccountValue,
    CategoryShare,
    ModelRun,
    TierAssignment,
)
from tests.factories import make_account, make_model_run

T0 = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)

# --- arithmetic (no database) ------------------------------------------------------------


def test_concentration_of_five_accounts_by_hand():
    # 50 + 30 + 10 + 5 + 5 = 100, and one account worth less than nothing
    result = pictures.concentration([5, 30, 50, 5, 10, -20], percents=(20, 50), counts=(1, 3))

    assert result.accounts == 6
    assert result.total == 100.0
    assert result.nothing_or_less == 1
    # most valuable first: 50, 30, 10, 5, 5, 0
    assert result.curve == [
        (0.0, 0.0),
        (0.166667, 0.5),
        (0.333333, 0.8),
        (0.5, 0.9),
        (0.666667, 0.95),
        (0.833333, 1.0),
        (1.0, 1.0),
    ]
    # top 20% of 6 accounts is 2 (rounded up): 80%; top 50% is 3: 90%
    assert result.top_percent == [(20, 2, 0.8), (50, 3, 0.9)]
    assert result.share_of_top_percent(20) == 0.8
    assert result.top_n == [(1, 0.5), (3, 0.9)]
    # Gini of (0, 5, 5, 10, 30, 50): 2·Σ i·x_i / (n·Σx) - (n+1)/n = 2·515/600 - 7/6
    assert result.gini == pytest.approx(2 * 515 / 600 - 7 / 6, abs=1e-6)


def test_concentration_curve_is_thinned_to_a_hundred_steps_and_equal_values_are_a_diagonal():
    result = pictures.concentration([1.0] * 1000)
    assert len(result.curve) == 101
    assert all(x == pytest.approx(y) for x, y in result.curve)
    assert result.gini == pytest.approx(0.0, abs=1e-9)
    assert result.top_percent[3] == (20, 200, 0.2)


def test_concentration_of_nothing():
    assert pictures.concentration([]).curve == []
    zero = pictures.concentration([0, 0])
    assert (zero.total, zero.gini, zero.nothing_or_less) == (0.0, None, 2)


def test_value_bands_and_how_much_the_segments_explain():
    cuts, band = pictures.bands([10, 20, 30, 40, 50, 60, 70, 80])
    assert cuts == [62.5, 45.0, 27.5]
    assert band == [3, 3, 2, 2, 1, 1, 0, 0]
    assert pictures.eta_squared([[1, 1], [3, 3]]) == 1.0
    assert pictures.eta_squared([[1, 3], [1, 3]]) == 0.0
    # means 2 and 4, overall 3: between = 2·1 + 2·1 = 4; total = 1+1+1+1 + ... by hand 6
    assert pictures.eta_squared([[1, 3], [3, 5]]) == pytest.approx(4 / 8)


# --- from stored results -----------------------------------------------------------------


def _run(kind: str, at: datetime, **fields) -> ModelRun:
    return make_model_run(kind, finished_at=at, **fields)


def _tiers(run, tiers: dict, current: bool) -> None:
    TierAssignment.objects.bulk_create(
        TierAssignment(
            run=run,
            customer=account,
            assigned_at=run.finished_at,
            is_current=current,
            tier=tier,
            recommendation="keep",
        )
        for account, tier in tiers.items()
    )


@pytest.mark.django_db
def test_tier_migration_counts_per_run_and_the_from_to_matrix(world):
    a, b, c, d = (make_account(world.admin, f"Org {i}") for i in range(4))
    first = _run("tiers", T0)
    second = _run("tiers", T0 + timedelta(days=30))
    third = _run("tiers", T0 + timedelta(days=60))
    _tiers(first, {a: "maintain"}, current=False)
    _tiers(second, {a: "maintain", b: "most_growable", c: "maintain", d: "below_zero"}, False)
    # a: maintain → most valuable; b stays; c → below zero; d gone; acme is new
    _tiers(third, {a: "most_valuable", b: "most_growable", c: "below_zero", world.acme: "maintain"}, True)  # fmt: skip

    result = pictures.tier_migration(user=world.analyst)

    assert [r.pk for r in result.runs] == [first.pk, second.pk, third.pk]
    assert result.counts == {
        "most_valuable": [0, 0, 1],
        "most_growable": [0, 1, 1],
        "maintain": [1, 2, 1],
        "below_zero": [0, 1, 1],
    }
    # rows: from most valuable, most growable, maintain, below zero, new
    # columns: to the same four tiers, then gone
    assert result.matrix == [
        [0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [1, 0, 0, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 1, 0, 0],
    ]
    assert (result.moved, result.stayed) == (2, 1)
    # Tiers are our internal side: not even the partner serving Acme sees them
    with pytest.raises(PermissionDenied):
        pictures.tier_migration(user=world.partner_user)


@pytest.mark.django_db
def test_tier_migration_with_no_runs_is_empty(world):
    result = pictures.tier_migration(user=world.rep)
    assert result.runs == []
    assert result.moved == 0


def _value(run, account, predicted, current=True):
    return AccountValue.objects.create(
        run=run,
        customer=account,
        computed_at=run.finished_at,
        is_current=current,
        predicted_value=Decimal(predicted),
    )


@pytest.mark.django_db
def test_whitespace_matrix_and_share_by_category(world):
    run = _run("value", T0)
    hardware = ProductCategory.objects.create(name="Hardware")
    service = ProductCategory.objects.create(name="Service")
    small = make_account(world.admin, "Small Co")
    _value(run, world.acme, "900")
    _value(run, world.globex, "500")
    _value(run, small, "10")
    for account, category, revenue, wallet, whitespace in (
        (world.acme, hardware, "300", "1000", False),
        (world.acme, service, "0", "400", True),
        (world.globex, hardware, "200", None, False),
        (world.globex, service, "100", "100", False),
        (small, hardware, "0", "50", True),
    ):
        CategoryShare.objects.create(
            run=run,
            customer=account,
            category=category,
            revenue_12m=Decimal(revenue),
            wallet=None if wallet is None else Decimal(wallet),
            wallet_source="rep_estimated" if wallet else "",
            share=None if wallet is None else float(revenue) / float(wallet),
            is_whitespace=whitespace,
        )

    matrix = pictures.whitespace_matrix(user=world.manager, top=2)
    totals = pictures.share_by_category(user=world.manager)

    assert matrix.accounts == [(world.acme.pk, "Acme Industries", 900.0), (world.globex.pk, "Globex Corporation", 500.0)]  # fmt: skip
    assert matrix.categories == [(hardware.pk, "Hardware"), (service.pk, "Service")]
    assert matrix.cell(world.acme.pk, hardware.pk).share == pytest.approx(0.3)
    assert matrix.cell(world.acme.pk, service.pk).is_whitespace
    assert matrix.cell(world.globex.pk, hardware.pk).wallet is None
    assert matrix.whitespace_count == 1  # Small Co is not among the top 2
    hw, sv = totals
    # Hardware: revenue 500 in all; where the wallet is known 300 + 0 of 1050
    assert (hw.name, hw.revenue, hw.wallet, hw.accounts, hw.whitespace) == (
        "Hardware",
        500.0,
        1050.0,
        3,
        1,
    )
    assert hw.share == pytest.approx(300 / 1050)
    assert hw.rest_of_wallet == 750.0
    assert sv.share == pytest.approx(100 / 500)
    # our revenue and their wallets are our side: a partner sees neither
    with pytest.raises(PermissionDenied):
        pictures.whitespace_matrix(user=world.partner_user)
    with pytest.raises(PermissionDenied):
        pictures.share_by_category(user=world.partner_user)


@pytest.mark.django_db
def test_value_concentration_reads_current_values_only(world):
    old = _run("value", T0)
    new = _run("value", T0 + timedelta(days=1))
    _value(old, world.acme, "1", current=False)
    _value(new, world.acme, "75")
    _value(new, world.globex, "25")

    result, top = pictures.value_concentration(user=world.admin)

    assert result.total == 100.0
    assert result.top_n == [(1, 0.75)]
    assert [name for _pk, name, _v in top] == ["Acme Industries", "Globex Corporation"]
    with pytest.raises(PermissionDenied):
        pictures.value_concentration(user=world.portal_acme)


@pytest.mark.django_db
def test_value_by_needs_places_each_account_in_its_segment_and_value_band(world):
    values = _run("value", T0)
    segments = _run("segments", T0, parameters={"silhouette": 0.62})
    first = NeedsSegment.objects.create(
        run=segments, number=1, name="24/7 support", description="", size=2, lineage=1
    )
    second = NeedsSegment.objects.create(
        run=segments, number=2, name="Low cost", description="", size=1, lineage=2
    )
    orgs = [world.acme, world.globex] + [make_account(world.admin, f"Org {i}") for i in range(2)]
    for org, amount in zip(orgs, ["400", "300", "200", "100"], strict=True):
        _value(values, org, amount)
    for org, seg in ((orgs[0], first), (orgs[1], first), (orgs[2], second)):
        SegmentMembership.objects.create(run=segments, segment=seg, customer=org, distance=0.1)

    result = pictures.value_by_needs(user=world.admin)

    assert [r.label for r in result.rows] == ["1. 24/7 support", "2. Low cost", "Needs unknown"]
    assert result.cuts == [325.0, 250.0, 175.0]
    assert [r.counts for r in result.rows] == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert [(r.accounts, r.total_value, r.median_value) for r in result.rows] == [
        (2, 700.0, 350.0),
        (1, 200.0, 200.0),
        (1, 100.0, 100.0),
    ]
    assert [(p["name"], p["row"]) for p in result.points][:2] == [("Acme Industries", 0), ("Globex Corporation", 0)]  # fmt: skip
    assert result.placed == 3
    # segment means 350 and 200 around 300: between 2·50² + 1·100² = 15000; total 20000
    assert result.explained == pytest.approx(0.75)
    assert result.verdict == (
        "Needs: 2 segments, clearly differentiated (silhouette 0.62). Value differs a lot "
        "between them: the segments explain 75% of the variance in value."
    )
    # Portal and partner users never see the portfolio
    for outsider in (world.portal_acme, world.partner_user):
        with pytest.raises(PermissionDenied):
            pictures.value_by_needs(user=outsider)
