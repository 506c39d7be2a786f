"""Input and output of the catalog endpoints. Money is a decimal sent as a string."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

from rapport.accounts.schemas import Input, PageFilters
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
