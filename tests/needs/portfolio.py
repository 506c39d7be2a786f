"""A small portfolio for the Differentiate pages: values, shares, two tier runs, needs, segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rapport.needs.runners import segments_recompute
from rapport.offers.models import ProductCategory
from rapport.valuation.models import (
    AccountValue,
    CategoryShare,
    TierAssignment,
)
from tests.factories import FactFactory, make_account, make_model_run

T0 = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
PROFILES = [
    {"need-uptime": "mission-critical", "need-support-hours": "24/7", "need-integration": ["SAP"]},
    {"need-uptime": "low", "need-cost-reduction": "high", "need-integration": ["Salesforce"]},
]


def make_portfolio(world, extra: int = 6, prefix: str = "Portfolio Org") -> list:
    """Acme, Globex and `extra` more organisations, each valued, shared, tiered and segmented."""
    orgs = [world.acme, world.globex] + [
        make_account(world.admin, f"{prefix} {i}") for i in range(extra)
    ]
    value_run = make_model_run("value", finished_at=T0)
    AccountValue.objects.filter(is_current=True).update(is_current=False)
    CategoryShare.objects.filter(is_current=True).update(is_current=False)
    TierAssignment.objects.filter(is_current=True).update(is_current=False)
    hardware, _ = ProductCategory.objects.get_or_create(name="Hardware")
    service, _ = ProductCategory.objects.get_or_create(name="Service")
    tier_runs = [
        make_model_run("tiers", finished_at=T0 + timedelta(days=d))
        for d in (0, 30)
    ]  # fmt: skip
    tiers = ["most_valuable", "most_growable", "maintain", "below_zero"]
    for i, org in enumerate(orgs):
        AccountValue.objects.create(
            run=value_run,
            customer=org,
            computed_at=T0,
            predicted_value=Decimal(10_000 // (i + 1)),
            revenue_12m=Decimal(5000 // (i + 1)),
        )
        for category, wallet, revenue in ((hardware, 4000, 2000 // (i + 1)), (service, 1000, 0)):
            CategoryShare.objects.create(
                run=value_run,
                customer=org,
                category=category,
                revenue_12m=Decimal(revenue),
                wallet=Decimal(wallet),
                wallet_source="rep_estimated",
                share=revenue / wallet,
                is_whitespace=revenue == 0,
            )
        for r, run in enumerate(tier_runs):
            TierAssignment.objects.create(
                run=run,
                customer=org,
                assigned_at=run.finished_at,
                is_current=r == 1,
                tier=tiers[(i + r) % 4] if i % 2 else tiers[i % 4],
                recommendation="keep",
            )
        for key, value in PROFILES[i % 2].items():
            FactFactory(actor=world.admin, account=org, key=key, value=value)
    segments_recompute(now=T0)
    return orgs
