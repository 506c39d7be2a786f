"""API schemas of the model results: values, shares, tiers and runs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from rapport.accounts.schemas import AccountRef, Input, PageFilters
from rapport.core.schemas import UserRef
from rapport.valuation.models import (
    CategoryShare,
    Recommendation,
    RunKind,
    Tier,
    TierAssignment,
)
from rapport.valuation.schemas import CategoryRef, JudgementOut


class RunOut(Schema):
    id: int
    kind: str
    model_name: str
    model_version: str
    status: str
    total: int = Field(description="organisations to do")
    processed: int = Field(description="organisations done so far")
    parameters: dict[str, Any] = Field(description="fitted parameters, log-likelihoods, settings")
    error: str
    triggered_by: UserRef | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunRef(Schema):
    id: int
    kind: str
    model_name: str
    model_version: str
    finished_at: datetime | None


class RunIn(Input):
    kind: RunKind = Field(
        RunKind.VALUE,
        description="value (then tiers and needs segments, as nightly), tiers, or segments",
    )


class RunFilters(Schema):
    kind: RunKind | None = None


class ValueOut(Schema):
    computed_at: datetime
    run: RunRef
    revenue_12m: Decimal
    margin_12m: Decimal = Field(description="past margin: revenue minus cost of goods, 12 months")
    cost_to_serve_12m: Decimal
    net_margin_12m: Decimal = Field(description="margin after cost to serve")
    lifetime_margin: Decimal
    recurring_revenue_12m: Decimal
    expected_purchases: float = Field(description="over the horizon (BG/NBD)")
    probability_alive: float | None
    expected_order_margin: Decimal
    predicted_order_value: Decimal
    predicted_contract_value: Decimal
    predicted_value: Decimal = Field(description="discounted margin over the horizon")
    wallet: Decimal | None
    share_of_customer: float | None
    unrealised_wallet: Decimal
    growth_potential: Decimal
    strategic_value: Decimal = Field(description="the model's figure: unrealised + growth")


class ValueHistoryOut(ValueOut):
    is_current: bool


class ShareOut(Schema):
    category: CategoryRef
    revenue_12m: Decimal = Field(description="our revenue in the category, 12 months")
    wallet: Decimal | None
    wallet_source: str
    wallet_source_label: str
    share: float | None = Field(description="our revenue / the wallet")
    is_whitespace: bool

    @staticmethod
    def resolve_wallet_source_label(obj: CategoryShare) -> str:
        return obj.get_wallet_source_display() if obj.wallet_source else ""


class TierOut(Schema):
    tier: str
    tier_label: str
    previous_tier: str
    recommendation: str
    recommendation_label: str
    reasons: list[str]
    max_retention_spend: Decimal = Field(description="the most worth spending a year to keep")
    assigned_at: datetime
    run: RunRef

    @staticmethod
    def resolve_tier_label(obj: TierAssignment) -> str:
        return obj.get_tier_display()

    @staticmethod
    def resolve_recommendation_label(obj: TierAssignment) -> str:
        return obj.get_recommendation_display()


class TierListItemOut(TierOut):
    id: int
    customer: AccountRef


class TierPageOut(Schema):
    items: list[TierListItemOut]
    next_cursor: str | None


class TierFilters(PageFilters):
    tier: Tier | None = None
    recommendation: Recommendation | None = None


class AccountValueOut(Schema):
    account: AccountRef = Field(description="the account asked about")
    organisation: AccountRef = Field(
        description="whose value it is (a unit shows its organisation's)"
    )
    value: ValueOut | None = Field(description="None until the first value run")
    shares: list[ShareOut]
    tier: TierOut | None
    judgement: JudgementOut | None = Field(description="the manager's, beside the model's figure")
