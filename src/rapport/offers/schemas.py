"""Input and output of the catalog endpoints. Money is a decimal sent as a string."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

from rapport.accounts.schemas import AccountRef, Input, PageFilters
from rapport.core import access
from rapport.core.money import currency
from rapport.core.schemas import Day, Id, Text
from rapport.offers.models import Option, OptionGroup, Product
from rapport.valuation.schemas import Amount, CategoryRef, Money, Quantity

Code = Annotated[Text, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")]
Choices = Annotated[int, Field(ge=0, le=1000)]


class OptionOut(Schema):
    code: str
    name: str
    price: Decimal = Field(description="added to the unit price")
    requires: list[str] = Field(description="codes of the options it needs")
    excludes: list[str] = Field(description="codes of the options it rules out")
    only_for: list[str] = Field(description="customer categories it is for; empty: everyone")


class OptionGroupOut(Schema):
    code: str
    name: str
    min_choices: int
    max_choices: int | None = Field(description="null: any number")
    options: list[OptionOut]

    @staticmethod
    def resolve_options(obj: OptionGroup) -> list[Option]:
        return list(obj.options.all())


class ProductOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    sku: str
    name: str
    category: CategoryRef
    unit: str
    list_price: Decimal
    currency: str
    cost: Decimal | None = Field(description="our cost per unit (null outside our staff)")
    active_from: date | None
    active_until: date | None
    description: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_currency(obj: Product) -> str:
        return currency()

    @staticmethod
    def resolve_cost(obj: Product, context: Any) -> Decimal | None:
        return obj.cost if access.caller_can(context, access.Capability.SEE_COSTS) else None


class ProductDetailOut(ProductOut):
    option_groups: list[OptionGroupOut]

    @staticmethod
    def resolve_option_groups(obj: Product) -> list[OptionGroup]:
        return list(obj.option_groups.all())


class ProductRefOut(Schema):
    id: int
    sku: str
    name: str


class ProductPageOut(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductFilters(PageFilters):
    q: Text = Field("", max_length=200, description="in the name or SKU")
    category_id: Id | None = None
    sellable_on: Day | None = Field(None, description="only products sold on this day")


class ProductCreateIn(Input):
    sku: Text = Field(min_length=1, max_length=64)
    name: Text = Field(min_length=1, max_length=200)
    category_id: Id
    list_price: Amount
    unit: Text = Field("piece", min_length=1, max_length=30)
    cost: Amount | None = None
    active_from: Day | None = None
    active_until: Day | None = None
    description: Text = Field("", max_length=10_000)


class ProductUpdateIn(Input):
    sku: Text | None = Field(None, min_length=1, max_length=64)
    name: Text | None = Field(None, min_length=1, max_length=200)
    category_id: Id | None = None
    list_price: Amount | None = None
    unit: Text | None = Field(None, min_length=1, max_length=30)
    cost: Amount | None = None
    active_from: Day | None = None
    active_until: Day | None = None
    description: Text | None = Field(None, max_length=10_000)


class OptionIn(Input):
    code: Code
    name: Text = Field("", max_length=100)
    price: Money = Decimal(0)
    requires: list[Code] = Field(default_factory=list, max_length=100)
    excludes: list[Code] = Field(default_factory=list, max_length=100)
    only_for: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class OptionGroupIn(Input):
    code: Code
    name: Text = Field("", max_length=100)
    min_choices: Choices = 0
    max_choices: Choices | None = None
    options: list[OptionIn] = Field(default_factory=list, max_length=500)


class OptionsIn(Input):
    groups: list[OptionGroupIn] = Field(max_length=100)


class CheckIn(Input):
    options: list[Code] = Field(default_factory=list, max_length=500)
    quantity: Quantity = Decimal(1)
    customer_categories: list[Annotated[Text, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    on: Day | None = Field(None, description="the day it would be sold (default: today)")


class BreachOut(Schema):
    rule: str = Field(description="unknown, too few, too many, requires, excludes, only for")
    message: str
    group: str | None
    option: str | None


class CheckOut(Schema):
    valid: bool
    sellable: bool = Field(description="whether the product is sold on that day")
    breaches: list[BreachOut]
    list_price: Decimal
    options_price: Decimal
    unit_price: Decimal
    quantity: Decimal
    total: Decimal
    currency: str


# --- a customer's own catalog, prices, configurations and orders ---------------------------------


class LineIn(Input):
    product_id: Id
    options: list[Code] = Field(default_factory=list, max_length=500)
    quantity: Quantity = Decimal(1)


class PricesIn(Input):
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    on: Day | None = Field(None, description="the day of the order (default: today)")


class PricedLineOut(Schema):
    product: ProductRefOut
    options: list[str]
    option_names: list[str]
    quantity: Decimal
    valid: bool = Field(description="on the unit's catalog, sold that day, and no rule broken")
    buyable: bool = Field(description="on the unit's own catalog")
    sellable: bool = Field(description="sold on that day")
    breaches: list[BreachOut]
    list_unit: Decimal = Field(description="list price of product and options, per unit")
    unit_price: Decimal
    total: Decimal
    discount: Decimal = Field(description="what the customer saves against list on the line")
    source: str = Field(description="list, agreement or volume break")
    agreement_id: int | None
    explanation: list[str] = Field(description="how the price was arrived at, in words")


class PricesOut(Schema):
    lines: list[PricedLineOut]
    total: Decimal
    currency: str


class AgreementIn(Input):
    product_id: Id
    kind: str = Field(
        description="fixed (value: a unit price) or discount (value: percent off list)"
    )
    value: Amount
    breaks: list[tuple[Quantity, Amount]] = Field(
        default_factory=list, max_length=50, description="[from quantity, value], ascending"
    )
    currency: Text = Field("", max_length=3, description="the catalog's (default)")
    valid_from: Day
    valid_until: Day | None = None
    note: Text = Field("", max_length=500)


class AgreementUpdateIn(Input):
    kind: str | None = None
    value: Amount | None = None
    breaks: list[tuple[Quantity, Amount]] | None = Field(None, max_length=50)
    currency: Text | None = Field(None, max_length=3)
    valid_from: Day | None = None
    valid_until: Day | None = None
    note: Text | None = Field(None, max_length=500)


class AgreementOut(Schema):
    id: int
    version: int
    account: AccountRef = Field(description="the unit it was agreed for (it holds below)")
    product: ProductRefOut
    kind: str
    value: Decimal
    breaks: list[tuple[Decimal, Decimal]]
    currency: str
    valid_from: date
    valid_until: date | None
    note: str

    @staticmethod
    def resolve_breaks(obj: Any) -> list[tuple[Decimal, Decimal]]:
        return obj.break_list()


class AccountAgreementOut(Schema):
    agreement: AgreementOut
    inherited_from: AccountRef | None
    current: bool = Field(description="governs the unit's price for the product today")


class CatalogEntryIn(Input):
    product_id: Id | None = None
    category_id: Id | None = None


class CatalogEntryOut(Schema):
    id: int
    account: AccountRef
    product: ProductRefOut | None
    category: CategoryRef | None


class AccountCatalogOut(Schema):
    open: bool = Field(description="true: the unit may buy the whole catalog")
    entries: list[CatalogEntryOut]


class ConfigurationIn(Input):
    name: Text = Field(min_length=1, max_length=120)
    product_id: Id
    options: list[Code] = Field(default_factory=list, max_length=500)
    quantity: Quantity = Decimal(1)
    buying_role: Text = Field("", max_length=16)
    location: Text = Field("", max_length=100)
    notes: Text = Field("", max_length=10_000)
    sources: list[Id] = Field(default_factory=list, max_length=50, description="fact ids cited")
    reason: Text = Field("", max_length=100)


class ConfigurationUpdateIn(Input):
    reason: Text = Field(min_length=1, max_length=100, description="why it changes (kept)")
    name: Text | None = Field(None, min_length=1, max_length=120)
    product_id: Id | None = None
    options: list[Code] | None = Field(None, max_length=500)
    quantity: Quantity | None = None
    buying_role: Text | None = Field(None, max_length=16)
    location: Text | None = Field(None, max_length=100)
    notes: Text | None = Field(None, max_length=10_000)
    sources: list[Id] | None = Field(None, max_length=50)


class ConfigurationOut(Schema):
    id: int
    version: int
    account: AccountRef
    name: str
    buying_role: str
    location: str
    product: ProductRefOut
    options: list[str]
    quantity: Decimal
    notes: str
    updated_at: datetime


class FactRefOut(Schema):
    id: int
    attribute: str
    display: str
    recorded_at: datetime

    @staticmethod
    def resolve_attribute(obj: Any) -> str:
        return obj.attribute.label


class ReviewOut(Schema):
    cited: FactRefOut
    current: FactRefOut | None


class EffectiveConfigurationOut(Schema):
    configuration: ConfigurationOut
    inherited_from: AccountRef | None
    option_names: list[str]
    needs_review: bool
    reviews: list[ReviewOut]


class VersionOut(Schema):
    version: int
    changed_at: datetime
    changed_by: str
    reason: str
    changes: list[tuple[str, Any, Any]]

    @staticmethod
    def resolve_changed_at(obj: Any) -> datetime:
        return obj.history_date

    @staticmethod
    def resolve_changed_by(obj: Any) -> str:
        return getattr(obj.history_user, "full_name", "") or ""

    @staticmethod
    def resolve_reason(obj: Any) -> str:
        return obj.history_change_reason or ""

    @staticmethod
    def resolve_changes(obj: Any) -> list[tuple[str, Any, Any]]:
        return obj.changed


class ReorderIn(Input):
    account_id: Id | None = Field(None, description="a unit at or below the configuration's")
    quantity: Quantity | None = None


class QuoteIn(Input):
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    valid_until: Day | None = None
    note: Text = Field("", max_length=500)


class DeclineIn(Input):
    reason: Text = Field("", max_length=300)


class OrderItemOut(Schema):
    position: int
    product_id: int
    sku: str
    name: str
    options: list[str]
    option_names: list[str]
    quantity: Decimal
    list_unit: Decimal
    unit_price: Decimal
    total: Decimal
    explanation: list[str]


class OrderOut(Schema):
    id: int
    version: int
    number: str
    status: str
    origin: str
    account: AccountRef
    configuration_id: int | None
    currency: str
    quoted_on: date
    valid_until: date | None
    placed_on: date | None
    total: Decimal
    note: str


class OrderDetailOut(OrderOut):
    items: list[OrderItemOut]

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())


class OrderFilters(PageFilters):
    status: str = Field("", max_length=16, description="quote, placed or declined")


class OrderPageOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class DueFilters(Schema):
    within_days: int = Field(14, ge=0, le=366)
    category_id: Id | None = None
    limit: int = Field(100, ge=1, le=200)


class DueOut(Schema):
    customer: AccountRef
    category: CategoryRef
    orders: int
    last_ordered_on: date
    typical_interval_days: float
    own_weight: float = Field(description="how much of the rhythm is its own history (0..1)")
    next_order_on: date
    due_in_days: int
    typical_quantity: float | None
    predicted_value: Decimal | None
    configuration_ids: list[int]


# --- segment treatments (C7) --------------------------------------------------------------------

Cadence = Annotated[int, Field(ge=1, le=730, description="days between contacts, at most")]


class SegmentRefOut(Schema):
    id: int
    number: int
    name: str
    size: int
    lineage: int = Field(description="the segment's identity across recomputes")


class TreatmentOut(Schema):
    id: int
    version: int
    lineage: int = Field(description="the needs segment it is for, across recomputes")
    segment_name: str = Field(description="the segment's name when it was last set")
    offers: list[int] = Field(description="product ids offered to the segment's members")
    cadence_days: int | None = Field(description="get in touch at least every this many days")
    channel: str = Field(description="the preferred channel; empty: none")
    note: str
    changed_by: str
    updated_at: datetime

    @staticmethod
    def resolve_changed_by(obj: Any) -> str:
        return str(obj.changed_by or "")


class TreatmentIn(Input):
    offers: list[Id] = Field(default_factory=list, max_length=50, description="product ids")
    cadence_days: Cadence | None = None
    channel: Text = Field("", max_length=16, description="email, call, meeting, web, portal, event")
    note: Text = Field("", max_length=500)


class TreatmentMoveIn(Input):
    segment_id: Id = Field(description="a current segment without a treatment of its own")


class SegmentTreatmentOut(Schema):
    segment: SegmentRefOut
    treatment: TreatmentOut | None
    overridden: int = Field(description="members with a treatment of their own")


class TreatmentListOut(Schema):
    segments: list[SegmentTreatmentOut] = Field(description="every current segment")
    orphaned: list[TreatmentOut] = Field(description="treatments whose segment a recompute ended")


class AccountTreatmentOut(Schema):
    id: int
    version: int
    organisation: AccountRef = Field(alias="customer")
    own_offers: bool = Field(description="its offers replace the segment's")
    offers: list[int]
    cadence_days: int | None
    channel: str
    reason: str
    changed_by: str
    updated_at: datetime

    @staticmethod
    def resolve_changed_by(obj: Any) -> str:
        return str(obj.changed_by or "")


class AccountTreatmentIn(Input):
    reason: Text = Field(min_length=1, max_length=500, description="why it is treated otherwise")
    own_offers: bool = False
    offers: list[Id] = Field(default_factory=list, max_length=50, description="product ids")
    cadence_days: Cadence | None = None
    channel: Text = Field("", max_length=16, description="email, call, meeting, web, portal, event")


class OfferOut(Schema):
    product: ProductRefOut
    unit_price: Money = Field(description="its price for the organisation, one unit, no options")
    buyable: bool = Field(description="on the organisation's own catalog")

    @staticmethod
    def resolve_unit_price(obj: Any) -> Decimal:
        return obj.price.unit_price


class OffersPartOut(Schema):
    value: list[OfferOut]
    source: str = Field(description="account (its own), segment (the default) or empty: not set")


class CadencePartOut(Schema):
    value: int | None
    source: str = Field(description="account, segment or empty")


class ChannelPartOut(Schema):
    value: str | None
    source: str = Field(description="account, segment or empty")


class EffectiveTreatmentOut(Schema):
    organisation: AccountRef
    segment: SegmentRefOut | None
    offers: OffersPartOut
    cadence_days: CadencePartOut
    channel: ChannelPartOut
    gone: int = Field(description="offered products no longer in the catalog")
    default: TreatmentOut | None = Field(description="the segment's treatment")
    own: AccountTreatmentOut | None = Field(description="the organisation's own")
