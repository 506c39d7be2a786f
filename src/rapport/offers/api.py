"""The catalog API: products, their option structure, and checking a configuration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status

from rapport.accounts import selectors as account_selectors
from rapport.core.api import caller, etag, fields_renamed, if_match, referenced
from rapport.core.money import currency
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.needs import selectors as needs_selectors
from rapport.offers import selectors, services
from rapport.offers.models import Product
from rapport.offers.schemas import (
    AccountAgreementOut,
    AccountCatalogOut,
    AccountTreatmentIn,
    AccountTreatmentOut,
    AgreementIn,
    AgreementOut,
    AgreementUpdateIn,
    CatalogEntryIn,
    CatalogEntryOut,
    CheckIn,
    CheckOut,
    ConfigurationIn,
    ConfigurationOut,
    ConfigurationUpdateIn,
    DeclineIn,
    DueFilters,
    DueOut,
    EffectiveConfigurationOut,
    EffectiveTreatmentOut,
    OptionsIn,
    OrderDetailOut,
    OrderFilters,
    OrderPageOut,
    PricesIn,
    PricesOut,
    ProductCreateIn,
    ProductDetailOut,
    ProductFilters,
    ProductPageOut,
    ProductUpdateIn,
    QuoteIn,
    ReorderIn,
    TreatmentIn,
    TreatmentListOut,
    TreatmentMoveIn,
    TreatmentOut,
    VersionOut,
)
from rapport.valuation import selectors as valuation_selectors

router = Router(tags=["catalog"])

RENAMED = {"category": "category_id"}


def _category(pk: int) -> Any:
    return referenced("category_id", valuation_selectors.product_category_get, pk=pk)


@router.get("/products", response=ProductPageOut)
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> Page[Product]:
    """The catalog by name (our staff): search by name or SKU, by category, by day sold."""
    return selectors.product_list(user=caller(request), **filters.dict())


@router.post("/products", response={201: ProductDetailOut})
def product_create(
    request: HttpRequest, payload: ProductCreateIn, response: HttpResponse
) -> Status[Product]:
    """Add a product (managers and admins); its options are set with PUT …/options."""
    user = caller(request)
    fields = payload.dict()
    fields["category"] = _category(fields.pop("category_id"))
    with fields_renamed(**RENAMED):
        product = services.product_create(actor=user, **fields)
    product = selectors.product_get(user=user, pk=product.pk)
    etag(response, product)
    return Status(201, product)


@router.get("/products/{product_id}", response=ProductDetailOut)
def product_detail(request: HttpRequest, product_id: Id, response: HttpResponse) -> Product:
    """One product with its option groups and options; its ETag is the version."""
    product = selectors.product_get(user=caller(request), pk=product_id)
    etag(response, product)
    return product


@router.patch("/products/{product_id}", response=ProductDetailOut)
def product_update(
    request: HttpRequest, product_id: Id, payload: ProductUpdateIn, response: HttpResponse
) -> Product:
    """Change a product's own fields; only the fields sent change (If-Match: the ETag read)."""
    user = caller(request)
    product = selectors.product_get(user=user, pk=product_id)
    changes = payload.dict(exclude_unset=True)
    if "category_id" in changes:
        changes["category"] = _category(changes.pop("category_id"))
    with fields_renamed(**RENAMED):
        services.product_update(
            actor=user, product=product, expected_version=if_match(request), **changes
        )
    product = selectors.product_get(user=user, pk=product_id)
    etag(response, product)
    return product


@router.delete("/products/{product_id}", response={204: None})
def product_delete(request: HttpRequest, product_id: Id) -> Status[None]:
    """Take a product out of the catalog (soft: orders keep naming it)."""
    user = caller(request)
    services.product_delete(actor=user, product=selectors.product_get(user=user, pk=product_id))
    return Status(204, None)


@router.put("/products/{product_id}/options", response=ProductDetailOut)
def product_options_set(
    request: HttpRequest, product_id: Id, payload: OptionsIn, response: HttpResponse
) -> Product:
    """Replace the product's option groups and options, rules included (If-Match honoured)."""
    user = caller(request)
    product = selectors.product_get(user=user, pk=product_id)
    services.product_options_set(
        actor=user,
        product=product,
        groups=payload.dict()["groups"],
        expected_version=if_match(request),
    )
    product = selectors.product_get(user=user, pk=product_id)
    etag(response, product)
    return product


@router.post("/products/{product_id}/check", response=CheckOut)
def configuration_check(request: HttpRequest, product_id: Id, payload: CheckIn) -> dict[str, Any]:
    """Judge a configuration: every rule it breaks, in words, and its price at list."""
    product = selectors.product_get(user=caller(request), pk=product_id)
    checked = selectors.configuration_check(
        product=product,
        chosen=payload.options,
        quantity=payload.quantity,
        customer_categories=payload.customer_categories,
        on=payload.on or timezone.localdate(),
    )
    return {
        "valid": checked.valid,
        "sellable": checked.sellable,
        "breaches": checked.breaches,
        "list_price": checked.list_price,
        "options_price": checked.options_price,
        "unit_price": checked.unit_price,
        "quantity": checked.quantity,
        "total": checked.total,
        "currency": currency(),
    }


# --- a customer's own catalog, prices, configurations, quotes and orders --------------------------

OFFERS = ["customer offers"]


def _unit(user: Any, pk: int) -> Any:
    return account_selectors.account_get(user=user, pk=pk)


def _named_unit(user: Any, pk: int | None, field: str = "account_id") -> Any:
    return referenced(field, account_selectors.account_get, user=user, pk=pk)


def _named_product(user: Any, pk: int | None, field: str = "product_id") -> Any:
    return referenced(field, selectors.product_for_account, user=user, pk=pk)


def _lines(lines: list[Any]) -> list[selectors.LineRequest]:
    return [
        selectors.LineRequest(line.product_id, tuple(line.options), line.quantity) for line in lines
    ]


def _priced(line: selectors.PricedLine) -> dict[str, Any]:
    return {
        "product": line.product,
        "options": list(line.chosen),
        "option_names": list(line.option_names),
        "quantity": line.quantity,
        "valid": line.valid,
        "buyable": line.buyable,
        "sellable": line.sellable,
        "breaches": line.breaches,
        "list_unit": line.price.list_unit,
        "unit_price": line.price.unit_price,
        "total": line.price.total,
        "discount": line.price.discount,
        "source": line.price.source,
        "agreement_id": line.price.agreement_id,
        "explanation": list(line.price.explanation),
    }


@router.post("/accounts/{account_id}/prices", response=PricesOut, tags=OFFERS)
def prices(request: HttpRequest, account_id: Id, payload: PricesIn) -> dict[str, Any]:
    """Price lines for a unit on a day: each judged, priced, and explained in words."""
    user = caller(request)
    priced = selectors.price_lines(
        user=user,
        account=_unit(user, account_id),
        lines=_lines(payload.lines),
        on=payload.on or timezone.localdate(),
    )
    return {
        "lines": [_priced(line) for line in priced],
        "total": sum((line.price.total for line in priced), Decimal(0)),
        "currency": currency(),
    }


@router.get("/accounts/{account_id}/catalog", response=AccountCatalogOut, tags=OFFERS)
def account_catalog(request: HttpRequest, account_id: Id) -> dict[str, Any]:
    """What the unit may buy: its own entries and those above it (none: the whole catalog)."""
    user = caller(request)
    entries = selectors.catalog_entries_for(user=user, account=_unit(user, account_id))
    return {"open": not entries, "entries": entries}


@router.post("/accounts/{account_id}/catalog", response={201: CatalogEntryOut}, tags=OFFERS)
def catalog_entry_add(request: HttpRequest, account_id: Id, payload: CatalogEntryIn) -> Status[Any]:
    """Put a product or a whole category on the unit's own catalog (managers and admins)."""
    user = caller(request)
    entry = services.catalog_entry_add(
        actor=user,
        account=_unit(user, account_id),
        product=_named_product(user, payload.product_id),
        category=_category(payload.category_id) if payload.category_id else None,
    )
    return Status(201, entry)


@router.delete("/catalog-entries/{entry_id}", response={204: None}, tags=OFFERS)
def catalog_entry_remove(request: HttpRequest, entry_id: Id) -> Status[None]:
    """Take a product or category off a unit's own catalog."""
    user = caller(request)
    services.catalog_entry_remove(
        actor=user, entry=selectors.catalog_entry_get(user=user, pk=entry_id)
    )
    return Status(204, None)


@router.get("/accounts/{account_id}/agreements", response=list[AccountAgreementOut], tags=OFFERS)
def agreements(request: HttpRequest, account_id: Id) -> list[selectors.AgreementRow]:
    """The unit's price agreements and those it inherits; `current` marks those governing today."""
    user = caller(request)
    return selectors.agreements_for(user=user, account=_unit(user, account_id))


@router.post("/accounts/{account_id}/agreements", response={201: AgreementOut}, tags=OFFERS)
def agreement_create(
    request: HttpRequest, account_id: Id, payload: AgreementIn, response: HttpResponse
) -> Status[Any]:
    """Agree the unit's own price for a product (overlapping dates are refused)."""
    user = caller(request)
    fields = payload.dict()
    product = _named_product(user, fields.pop("product_id"))
    with fields_renamed(product="product_id"):
        agreement = services.price_agreement_create(
            actor=user, account=_unit(user, account_id), product=product, **fields
        )
    etag(response, agreement)
    return Status(201, agreement)


@router.patch("/agreements/{agreement_id}", response=AgreementOut, tags=OFFERS)
def agreement_update(
    request: HttpRequest, agreement_id: Id, payload: AgreementUpdateIn, response: HttpResponse
) -> Any:
    """Change an agreement's terms or dates (If-Match honoured; placed orders keep prices)."""
    user = caller(request)
    agreement = selectors.agreement_get(user=user, pk=agreement_id)
    changes = payload.dict(exclude_unset=True)
    services.price_agreement_update(
        actor=user, agreement=agreement, expected_version=if_match(request), **changes
    )
    etag(response, agreement)
    return agreement


@router.delete("/agreements/{agreement_id}", response={204: None}, tags=OFFERS)
def agreement_end(request: HttpRequest, agreement_id: Id) -> Status[None]:
    """Withdraw an agreement."""
    user = caller(request)
    services.price_agreement_end(
        actor=user, agreement=selectors.agreement_get(user=user, pk=agreement_id)
    )
    return Status(204, None)


@router.get(
    "/accounts/{account_id}/configurations",
    response=list[EffectiveConfigurationOut],
    tags=OFFERS,
)
def configurations(request: HttpRequest, account_id: Id) -> list[selectors.EffectiveConfiguration]:
    """The standard configurations that hold for the unit: its own and those it inherits."""
    user = caller(request)
    return selectors.configurations_for(user=user, account=_unit(user, account_id))


@router.post("/accounts/{account_id}/configurations", response={201: ConfigurationOut}, tags=OFFERS)
def configuration_create(
    request: HttpRequest, account_id: Id, payload: ConfigurationIn, response: HttpResponse
) -> Status[Any]:
    """Save a standard configuration for the unit (judged against the product's rules)."""
    user = caller(request)
    fields = payload.dict()
    product = _named_product(user, fields.pop("product_id"))
    with fields_renamed(product="product_id"):
        configuration = services.configuration_create(
            actor=user, account=_unit(user, account_id), product=product, **fields
        )
    etag(response, configuration)
    return Status(201, configuration)


@router.get("/configurations/{configuration_id}", response=ConfigurationOut, tags=OFFERS)
def configuration_detail(request: HttpRequest, configuration_id: Id, response: HttpResponse) -> Any:
    """One standard configuration; its ETag is the version."""
    configuration = selectors.configuration_get(user=caller(request), pk=configuration_id)
    etag(response, configuration)
    return configuration


@router.patch("/configurations/{configuration_id}", response=ConfigurationOut, tags=OFFERS)
def configuration_update(
    request: HttpRequest,
    configuration_id: Id,
    payload: ConfigurationUpdateIn,
    response: HttpResponse,
) -> Any:
    """Change a configuration: a new version, with the reason kept (If-Match honoured)."""
    user = caller(request)
    configuration = selectors.configuration_get(user=user, pk=configuration_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "product_id" in changes:
        changes["product"] = _named_product(user, changes.pop("product_id"))
    with fields_renamed(product="product_id"):
        services.configuration_update(
            actor=user,
            configuration=configuration,
            expected_version=if_match(request),
            **changes,
        )
    etag(response, configuration)
    return configuration


@router.delete("/configurations/{configuration_id}", response={204: None}, tags=OFFERS)
def configuration_delete(request: HttpRequest, configuration_id: Id) -> Status[None]:
    """Retire a standard configuration (orders made from it keep pointing at it)."""
    user = caller(request)
    services.configuration_delete(
        actor=user, configuration=selectors.configuration_get(user=user, pk=configuration_id)
    )
    return Status(204, None)


@router.get("/configurations/{configuration_id}/versions", response=list[VersionOut], tags=OFFERS)
def configuration_versions(request: HttpRequest, configuration_id: Id) -> list[Any]:
    """Every version, newest first: who changed what, when and why."""
    user = caller(request)
    return selectors.configuration_versions(
        user=user, configuration=selectors.configuration_get(user=user, pk=configuration_id)
    )


@router.post(
    "/configurations/{configuration_id}/reorder", response={201: OrderDetailOut}, tags=OFFERS
)
def configuration_reorder(
    request: HttpRequest, configuration_id: Id, payload: ReorderIn
) -> Status[Any]:
    """Reorder the configuration in one step (for its unit, or a unit below it)."""
    user = caller(request)
    order = services.configuration_reorder(
        actor=user,
        configuration=selectors.configuration_get(user=user, pk=configuration_id),
        account=_named_unit(user, payload.account_id),
        quantity=payload.quantity,
    )
    return Status(201, selectors.order_get(user=user, pk=order.pk))


@router.get("/accounts/{account_id}/orders", response=OrderPageOut, tags=OFFERS)
def orders(request: HttpRequest, account_id: Id, filters: Query[OrderFilters]) -> Any:
    """The unit's quotes and orders (its units' too), newest first."""
    user = caller(request)
    return selectors.order_list(user=user, account=_unit(user, account_id), **filters.dict())


@router.post("/accounts/{account_id}/quotes", response={201: OrderDetailOut}, tags=OFFERS)
def quote_create(request: HttpRequest, account_id: Id, payload: QuoteIn) -> Status[Any]:
    """Quote the unit its own prices; each line's price is frozen with its reasons."""
    user = caller(request)
    order = services.quote_create(
        actor=user,
        account=_unit(user, account_id),
        lines=_lines(payload.lines),
        valid_until=payload.valid_until,
        note=payload.note,
    )
    return Status(201, selectors.order_get(user=user, pk=order.pk))


@router.post("/accounts/{account_id}/orders", response={201: OrderDetailOut}, tags=OFFERS)
def order_place(request: HttpRequest, account_id: Id, payload: QuoteIn) -> Status[Any]:
    """Place an order at once (quoted and accepted in one step)."""
    user = caller(request)
    order = services.order_place(
        actor=user, account=_unit(user, account_id), lines=_lines(payload.lines), note=payload.note
    )
    return Status(201, selectors.order_get(user=user, pk=order.pk))


@router.get("/orders/{order_id}", response=OrderDetailOut, tags=OFFERS)
def order_detail(request: HttpRequest, order_id: Id, response: HttpResponse) -> Any:
    """A quote or order with its items at their frozen prices."""
    order = selectors.order_get(user=caller(request), pk=order_id)
    etag(response, order)
    return order


@router.post("/orders/{order_id}/accept", response=OrderDetailOut, tags=OFFERS)
def quote_accept(request: HttpRequest, order_id: Id) -> Any:
    """The customer accepts the quote: it becomes an order and its lines order lines."""
    user = caller(request)
    order = selectors.order_get(user=user, pk=order_id)
    services.quote_accept(actor=user, order=order, expected_version=if_match(request))
    return selectors.order_get(user=user, pk=order_id)


@router.post("/orders/{order_id}/decline", response=OrderDetailOut, tags=OFFERS)
def quote_decline(request: HttpRequest, order_id: Id, payload: DeclineIn) -> Any:
    """The customer declines the quote; it stays, with why."""
    user = caller(request)
    services.quote_decline(
        actor=user, order=selectors.order_get(user=user, pk=order_id), reason=payload.reason
    )
    return selectors.order_get(user=user, pk=order_id)


@router.get("/replenishment", response=list[DueOut], tags=OFFERS)
def replenishment(request: HttpRequest, filters: Query[DueFilters]) -> list[dict[str, Any]]:
    """Organisations due to reorder from a category soon, most valuable first (our staff)."""
    due = selectors.due_to_reorder(user=caller(request), **filters.dict())
    return [
        {
            "customer": row.forecast.customer,
            "category": row.forecast.category,
            "orders": row.forecast.orders,
            "last_ordered_on": row.forecast.last_ordered_on,
            "typical_interval_days": row.forecast.typical_interval_days,
            "own_weight": row.forecast.own_weight,
            "next_order_on": row.forecast.next_order_on,
            "due_in_days": row.due_in_days,
            "typical_quantity": row.forecast.typical_quantity,
            "predicted_value": row.predicted_value,
            "configuration_ids": [c.pk for c in row.configurations],
        }
        for row in due
    ]


# --- segment treatments (C7) -------------------------------------------------------------------

TREATMENTS = ["segment treatments"]


@router.get("/treatments", response=TreatmentListOut, tags=TREATMENTS)
def treatment_list(request: HttpRequest) -> dict[str, Any]:
    """Every current needs segment with its default treatment, and treatments left without one."""
    rows, orphans = selectors.segment_treatments(user=caller(request))
    return {"segments": rows, "orphaned": orphans}


@router.put("/segments/{segment_id}/treatment", response=TreatmentOut, tags=TREATMENTS)
def segment_treatment_set(
    request: HttpRequest, segment_id: Id, payload: TreatmentIn, response: HttpResponse
) -> Any:
    """Set a current segment's default treatment (If-Match honoured; "0": there was none)."""
    user = caller(request)
    segment = needs_selectors.segment_get(user=user, pk=segment_id)
    treatment = services.segment_treatment_set(
        actor=user, segment=segment, expected_version=if_match(request), **payload.dict()
    )
    etag(response, treatment)
    return treatment


@router.post("/treatments/{treatment_id}/move", response=TreatmentOut, tags=TREATMENTS)
def segment_treatment_move(
    request: HttpRequest, treatment_id: Id, payload: TreatmentMoveIn, response: HttpResponse
) -> Any:
    """Give a treatment whose segment has gone to a current segment."""
    user = caller(request)
    treatment = selectors.segment_treatment_get(user=user, pk=treatment_id)
    segment = referenced(
        "segment_id", needs_selectors.segment_get, user=user, pk=payload.segment_id
    )
    services.segment_treatment_move(
        actor=user, treatment=treatment, segment=segment, expected_version=if_match(request)
    )
    etag(response, treatment)
    return treatment


@router.delete("/treatments/{treatment_id}", response={204: None}, tags=TREATMENTS)
def segment_treatment_delete(request: HttpRequest, treatment_id: Id) -> Status[None]:
    """Drop a segment's default treatment (its versions stay in the history)."""
    user = caller(request)
    treatment = selectors.segment_treatment_get(user=user, pk=treatment_id)
    services.segment_treatment_delete(actor=user, treatment=treatment)
    return Status(204, None)


@router.get("/accounts/{account_id}/treatment", response=EffectiveTreatmentOut, tags=TREATMENTS)
def account_treatment(request: HttpRequest, account_id: Id) -> selectors.EffectiveTreatment:
    """The organisation's effective treatment, each part with where it came from."""
    user = caller(request)
    return selectors.treatment_for(user=user, account=_unit(user, account_id))


@router.put("/accounts/{account_id}/treatment", response=AccountTreatmentOut, tags=TREATMENTS)
def account_treatment_set(
    request: HttpRequest, account_id: Id, payload: AccountTreatmentIn, response: HttpResponse
) -> Any:
    """Treat one organisation otherwise than its segment (If-Match honoured; "0": none yet)."""
    user = caller(request)
    treatment = services.account_treatment_set(
        actor=user,
        account=_unit(user, account_id),
        expected_version=if_match(request),
        **payload.dict(),
    )
    etag(response, treatment)
    return treatment


@router.delete("/accounts/{account_id}/treatment", response={204: None}, tags=TREATMENTS)
def account_treatment_clear(request: HttpRequest, account_id: Id) -> Status[None]:
    """Treat the organisation as its segment again."""
    user = caller(request)
    services.account_treatment_clear(actor=user, account=_unit(user, account_id))
    return Status(204, None)
