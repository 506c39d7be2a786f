"""The catalog API: products, their option structure, and checking a configuration."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status

from rapport.core.api import caller, etag, fields_renamed, if_match, referenced
from rapport.core.money import currency
from rapport.core.pagination import Page
from rapport.core.schemas import Id
from rapport.offers import selectors, services
from rapport.offers.models import Product
from rapport.offers.schemas import (
    CheckIn,
    CheckOut,
    OptionsIn,
    ProductCreateIn,
    ProductDetailOut,
    ProductFilters,
    ProductPageOut,
    ProductUpdateIn,
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
