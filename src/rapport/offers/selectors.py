"""Every read of the catalog, through core.access: staff browse the whole catalog.

A customer's own catalog at its prices (account-specific catalogs and price agreements)
will reach portal users through their account; until then the catalog is our staff's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.offers import configurator
from rapport.offers.models import Option, OptionGroup, Product


def _catalog(user: User) -> QuerySet[Product]:
    access.ensure(user, access.Capability.BROWSE_CATALOG, not_found="product not found")
    return Product.objects.filter(deleted_at__isnull=True).select_related("category")


def product_list(
    *,
    user: User,
    q: str = "",
    category_id: int | None = None,
    sellable_on: date | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Product]:
    """Products by name (keyset on name, id), filtered by text, category and sellable day."""
    limit = clamp_limit(limit)
    rows = _catalog(user)
    q = (q or "").strip()[:200]
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(sku__icontains=q))
    if category_id is not None:
        rows = rows.filter(category_id=category_id)
    if sellable_on is not None:
        rows = rows.filter(
            Q(active_from__isnull=True) | Q(active_from__lte=sellable_on),
            Q(active_until__isnull=True) | Q(active_until__gte=sellable_on),
        )
    if cursor:
        name, last_id = decode_cursor(cursor, 2)
        if not isinstance(name, str) or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        rows = rows.filter(Q(name__gt=name) | Q(name=name, id__gt=last_id))
    found = list(rows.order_by("name", "id")[: limit + 1])
    return page_of(found, limit, lambda p: [p.name, p.pk])


def product_get(*, user: User, pk: int) -> Product:
    """One product with its option groups and options (three queries whatever their number)."""
    options = Prefetch("options", queryset=Option.objects.order_by("position", "id"))
    groups = Prefetch(
        "option_groups",
        queryset=OptionGroup.objects.order_by("position", "id").prefetch_related(options),
    )
    try:
        return _catalog(user).prefetch_related(groups).get(pk=pk)
    except Product.DoesNotExist:
        raise NotFound("product not found") from None


@dataclass(frozen=True)
class CheckedConfiguration:
    """A configuration judged: what it breaks, and its unit price from list and options."""

    breaches: list[configurator.Breach]
    list_price: Decimal
    options_price: Decimal
    unit_price: Decimal
    quantity: Decimal
    total: Decimal
    sellable: bool

    @property
    def valid(self) -> bool:
        return not self.breaches and self.sellable


def configuration_check(
    *,
    product: Product,
    chosen: Sequence[str],
    quantity: Decimal = Decimal(1),
    customer_categories: Iterable[str] = (),
    on: date | None = None,
) -> CheckedConfiguration:
    """Judge chosen option codes against the product's rules and price them at list.

    `product` comes from `product_get` (its options prefetched). Prices at list: the
    customer's own agreements apply on top once they exist.
    """
    if quantity <= 0:
        raise InvalidInput("Order at least one.", field="quantity")
    found = configurator.breaches(
        product.rules(), chosen, customer_categories=set(customer_categories)
    )
    picked = set(chosen)
    options_price = sum(
        (o.price for g in product.option_groups.all() for o in g.options.all() if o.code in picked),
        Decimal(0),
    )
    unit = product.list_price + options_price
    sellable = on is None or product.is_active(on)
    return CheckedConfiguration(
        breaches=found,
        list_price=product.list_price,
        options_price=options_price,
        unit_price=unit,
        quantity=quantity,
        total=(unit * quantity).quantize(Decimal("0.01")),
        sellable=sellable,
    )
