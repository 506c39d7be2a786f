"""The catalog and the price agreements as export lists, with columns that import again.

transfer sits below offers, so OffersConfig.ready hands these lists down
(`transfer.exports.list_add`). Each walks this app's selector a page at a time, so an
export holds one page in memory and shows only what the user may see. The headers are
the import's field names: a file exported, edited and imported again maps itself, and
changes the products (by SKU) and agreements (by account, product and first day) it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.http import QueryDict

from rapport.accounts import selectors as account_selectors
from rapport.accounts.forms import read_query
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page
from rapport.offers import selectors
from rapport.offers.forms import ProductFilterForm
from rapport.offers.importers import breaks_text
from rapport.transfer.exports import ExportList

PAGE = 200


def _pages(fetch: Callable[[str | None], Page[Any]]) -> Iterator[Any]:
    """Every item of a keyset-paginated selector, a page at a time."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _catalog(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    params = read_query(ProductFilterForm(query))
    costs = access.can(user, access.Capability.SEE_COSTS)
    items = _pages(
        lambda cursor: selectors.product_list(
            user=user, q=params["q"], category_id=params["category"], cursor=cursor, limit=PAGE
        )
    )
    for product in items:
        yield (
            product.sku,
            product.name,
            product.category.name,
            product.unit,
            product.list_price,
            product.cost if costs and product.cost is not None else "",
            product.active_from,
            product.active_until,
            product.description,
        )


def _prices(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    account = None
    raw = query.get("account") or ""
    if raw:
        if not raw.isdigit():
            raise InvalidInput(
                "Invalid value for 'account': enter a whole number.", field="account"
            )
        try:
            account = account_selectors.account_get(user=user, pk=int(raw))
        except NotFound:
            raise InvalidInput(
                "Invalid value for 'account': no such account.", field="account"
            ) from None
    items = _pages(
        lambda cursor: selectors.agreement_list(
            user=user, account=account, cursor=cursor, limit=PAGE
        )
    )
    for agreement in items:
        yield (
            agreement.account.name,
            agreement.product.sku,
            agreement.product.name,
            agreement.kind,
            agreement.value,
            breaks_text(agreement.break_list()),
            agreement.currency,
            agreement.valid_from,
            agreement.valid_until,
            agreement.note,
        )


EXPORTS = (
    ExportList(
        "catalog",
        "Catalog",
        (
            "sku",
            "name",
            "category",
            "unit",
            "list price",
            "cost",
            "active from",
            "active until",
            "description",
        ),
        _catalog,
    ),
    ExportList(
        "prices",
        "Price agreements",
        (
            "account",
            "sku",
            "product",
            "kind",
            "value",
            "breaks",
            "currency",
            "valid from",
            "valid until",
            "note",
        ),
        _prices,
    ),
)
