"""API schemas of the value records: categories, order lines, subscriptions, wallets, judgements.

Money is a decimal with two places, sent and returned as a string ("1234.50") so no
precision is lost. Our cost, discount and margin are null for callers outside our staff.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

from rapport.accounts.schemas import AccountRef, ContactRef, Input, PageFilters
from rapport.core import access
from rapport.core.schemas import Day, Id, Text, UserRef
from rapport.valuation.models import (
    BillingPeriod,
    CategoryShare,
    JudgementScore,
    OrderLine,
    Recommendation,
    RunKind,
    Subscription,
    SubscriptionStatus,
    Tier,
    TierAssignment,
    TransactionSource,
    WalletEstimate,
    WalletSource,
)
from rapport.valuation.selectors import annualised

Money = Annotated[Decimal, Field(max_digits=16, decimal_places=2, allow_inf_nan=False)]
"""An amount, two decimal places at most (a credit may be negative)."""

Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False)]
"""An amount that cannot be negative."""

Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=3, allow_inf_nan=False)]


def _internal(context: Any) -> bool:
    return access.caller_can(context, access.Capability.SEE_COSTS)


# --- categories -------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    description: str


class CategoryRef(Schema):
    id: int
    name: str


class CategoryCreateIn(Input):
    name: Text = Field(min_length=1, max_length=100)
    description: Text = Field("", max_length=300)


# --- order lines ------------------------------------------------------------------------


class OrderLineOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    account: AccountRef = Field(description="the unit that bought")
    customer_id: int = Field(description="the organisation")
    ordered_on: date
    order_ref: str
    external_id: str
    product: str
    category: CategoryRef
    quantity: Decimal
    revenue: Decimal = Field(description="net revenue after discount")
    cost: Decimal | None = Field(description="cost of goods sold (null outside our staff)")
    discount: Decimal | None = Field(description="discount given (null outside our staff)")
    margin: Decimal | None = Field(description="revenue - cost (null outside our staff)")
    source: str
    source_label: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_cost(obj: OrderLine, context: Any) -> Decimal | None:
        return obj.cost if _internal(context) else None

    @staticmethod
    def resolve_discount(obj: OrderLine, context: Any) -> Decimal | None:
        return obj.discount if _internal(context) else None

    @staticmethod
    def resolve_margin(obj: OrderLine, context: Any) -> Decimal | None:
        return obj.margin if _internal(context) else None

    @staticmethod
    def resolve_source_label(obj: OrderLine) -> str:
        return obj.get_source_display()


class OrderLinePageOut(Schema):
    items: list[OrderLineOut]
    next_cursor: str | None


class OrderLineFilters(PageFilters):
    account_id: Id | None = Field(None, description="this account and (subtree=true) its units")
    subtree: bool = True
    category_id: Id | None = None
    since: Day | None = Field(None, description="ordered on or after this day")
    until: Day | None = Field(None, description="ordered on or before this day")


class OrderLineCreateIn(Input):
    account_id: Id = Field(description="the unit that bought")
    category_id: Id
    ordered_on: Day
    product: Text = Field(min_length=1, max_length=200)
    revenue: Money = Field(description="net revenue after discount")
    quantity: Quantity = Decimal(1)
    cost: Amount = Decimal(0)
    discount: Amount = Decimal(0)
    order_ref: Text = Field("", max_length=64)
    external_id: Text = Field("", max_length=128, description="the line's id in your system")
    source: TransactionSource = TransactionSource.MANUAL


class OrderLineUpdateIn(Input):
    account_id: Id | None = None
    category_id: Id | None = None
    ordered_on: Day | None = None
    product: Text | None = Field(None, min_length=1, max_length=200)
    revenue: Money | None = None
    quantity: Quantity | None = None
    cost: Amount | None = None
    discount: Amount | None = None
    order_ref: Text | None = Field(None, max_length=64)
    external_id: Text | None = Field(None, max_length=128)


# --- subscriptions ----------------------------------------------------------------------


class SubscriptionOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    account: AccountRef
    customer_id: int
    name: str
    category: CategoryRef
    external_id: str
    started_on: date
    ends_on: date | None
    renewal_on: date | None
    billing_period: str
    billing_period_label: str
    recurring_revenue: Decimal = Field(description="per billing period")
    annual_recurring_revenue: Decimal
    recurring_cost: Decimal | None = Field(
        description="per billing period (null outside our staff)"
    )
    status: str
    status_label: str
    cancelled_on: date | None
    source: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_billing_period_label(obj: Subscription) -> str:
        return obj.get_billing_period_display()

    @staticmethod
    def resolve_annual_recurring_revenue(obj: Subscription) -> Decimal:
        return annualised(obj.recurring_revenue, obj.billing_period).quantize(Decimal("0.01"))

    @staticmethod
    def resolve_recurring_cost(obj: Subscription, context: Any) -> Decimal | None:
        return obj.recurring_cost if _internal(context) else None

    @staticmethod
    def resolve_status_label(obj: Subscription) -> str:
        return obj.get_status_display()


class SubscriptionPageOut(Schema):
    items: list[SubscriptionOut]
    next_cursor: str | None


class SubscriptionFilters(PageFilters):
    account_id: Id | None = Field(None, description="this account and its units")
    status: SubscriptionStatus | None = None
    category_id: Id | None = None


class SubscriptionCreateIn(Input):
    account_id: Id
    category_id: Id
    name: Text = Field(min_length=1, max_length=200)
    started_on: Day
    recurring_revenue: Amount = Field(description="per billing period")
    billing_period: BillingPeriod = BillingPeriod.MONTH
    ends_on: Day | None = Field(None, description="end of the current term; null: open-ended")
    renewal_on: Day | None = Field(None, description="next renewal decision")
    recurring_cost: Amount = Decimal(0)
    external_id: Text = Field("", max_length=128)
    source: TransactionSource = TransactionSource.MANUAL


class SubscriptionUpdateIn(Input):
    account_id: Id | None = None
    category_id: Id | None = None
    name: Text | None = Field(None, min_length=1, max_length=200)
    started_on: Day | None = None
    recurring_revenue: Amount | None = None
    billing_period: BillingPeriod | None = None
    ends_on: Day | None = None
    renewal_on: Day | None = None
    recurring_cost: Amount | None = None
    external_id: Text | None = Field(None, max_length=128)


class SubscriptionCancelIn(Input):
    cancelled_on: Day | None = Field(None, description="default: today")


# --- wallet estimates -------------------------------------------------------------------


class WalletEstimateOut(Schema):
    id: int
    account: AccountRef
    customer_id: int
    category: CategoryRef
    annual_amount: Decimal
    source: str
    source_label: str = Field(description="customer said / rep estimated / modelled")
    note: str
    said_by: ContactRef | None
    fact_id: int | None
    estimated_by: UserRef | None
    run_id: int | None = Field(description="the model run, for a modelled figure")
    estimated_at: datetime
    superseded_at: datetime | None
    is_current: bool

    @staticmethod
    def resolve_source_label(obj: WalletEstimate) -> str:
        return obj.get_source_display()

    @staticmethod
    def resolve_is_current(obj: WalletEstimate) -> bool:
        return obj.superseded_at is None


class WalletEstimateFilters(Schema):
    account_id: Id
    category_id: Id | None = None
    history: bool = Field(False, description="superseded estimates too")


class WalletEstimateIn(Input):
    account_id: Id
    category_id: Id
    annual_amount: Amount = Field(description="what they spend a year in the category, with all")
    source: WalletSource
    note: Text = Field("", max_length=500)
    said_by_id: Id | None = Field(None, description="who said it (source customer_said)")
    fact_id: Id | None = Field(None, description="the memory fact it was recorded as")


# --- judgements -------------------------------------------------------------------------


class JudgementOut(Schema):
    id: int
    customer: AccountRef = Field(description="the organisation judged")
    score: int = Field(description="0 to 100")
    reason: str
    author: UserRef | None
    judged_at: datetime
    superseded_at: datetime | None
    is_current: bool

    @staticmethod
    def resolve_is_current(obj: JudgementScore) -> bool:
        return obj.superseded_at is None


class JudgementFilters(Schema):
    account_id: Id = Field(description="the organisation, or any of its units")
    history: bool = Field(True, description="false: only the current judgement")


class JudgementIn(Input):
    account_id: Id = Field(description="the organisation (a unit's id judges its organisation)")
    score: int = Field(ge=0, le=100)
    reason: Text = Field(min_length=1, max_length=1000)


# --- the model results: values, shares, tiers and runs --------------------------------


class ModelRunOut(Schema):
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


class ModelRunRef(Schema):
    id: int
    kind: str
    model_name: str
    model_version: str
    finished_at: datetime | None


class ModelRunIn(Input):
    kind: RunKind = Field(
        RunKind.VALUE,
        description="value (then tiers and needs segments, as nightly), tiers, or segments",
    )


class RunFilters(Schema):
    kind: RunKind | None = None


class ValueOut(Schema):
    computed_at: datetime
    run: ModelRunRef
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
    run: ModelRunRef

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
