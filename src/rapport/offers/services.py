"""Every write of the catalog: products and their option structure, one transaction each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from rapport.core import access
from rapport.core.errors import InvalidInput
from rapport.core.models import User
from rapport.core.services import soft_delete, validated_save, version_claim
from rapport.offers.models import Option, OptionGroup, Product

PRODUCT_FIELDS = frozenset(
    {
        "sku",
        "name",
        "category",
        "unit",
        "list_price",
        "cost",
        "active_from",
        "active_until",
        "description",
    }
)


def _ensure_may_manage(actor: User) -> None:
    access.ensure(actor, access.Capability.MANAGE_CATALOG)


def _apply(product: Product, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - PRODUCT_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"A product has no field {name!r}.", field=name)
    for name, value in changes.items():
        setattr(product, name, value.strip() if isinstance(value, str) else value)
    if product.sku:
        product.sku = product.sku.upper()
    if product.active_from and product.active_until and product.active_until < product.active_from:
        raise InvalidInput(
            "The product cannot stop being sold before it starts.", field="active_until"
        )


@transaction.atomic
def product_create(*, actor: User, **fields: Any) -> Product:
    """Add a product to the catalog (no options yet: see `product_options_set`)."""
    _ensure_may_manage(actor)
    product = Product()
    _apply(product, fields)
    validated_save(product, actor=actor)
    return product


@transaction.atomic
def product_update(
    *, actor: User, product: Product, expected_version: int | None = None, **changes: Any
) -> Product:
    """Change a product's own fields; a change made since `expected_version` is refused."""
    _ensure_may_manage(actor)
    _apply(product, changes)
    validated_save(product, actor=actor, expected_version=expected_version)
    return product


@transaction.atomic
def product_delete(*, actor: User, product: Product) -> Product:
    """Take a product out of the catalog (soft: order history keeps naming it)."""
    _ensure_may_manage(actor)
    soft_delete(product, actor=actor)
    return product


def _text(value: Any, field: str, *, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput("Give it a value.", field=field)
    if len(text) > limit:
        raise InvalidInput(f"Keep it under {limit} characters.", field=field)
    return text


def _count(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise InvalidInput("Give a whole number from 0 to 1000.", field=field)
    return value


def _price(value: Any, field: str) -> Decimal:
    try:
        price = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not an amount.", field=field) from None
    if not price.is_finite() or abs(price) >= Decimal("1e13"):
        raise InvalidInput(f"{value!r} is not an amount.", field=field)
    return price.quantize(Decimal("0.01"))


def _codes(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("Give a list of option codes.", field=field)
    return [v.strip() for v in value if v.strip()]


def _structure(
    groups: Sequence[Mapping[str, Any]],
) -> tuple[list[OptionGroup], list[tuple[int, Option]]]:
    """Groups and options from the caller's description, each bad value named by its path."""
    made_groups: list[OptionGroup] = []
    made_options: list[tuple[int, Option]] = []
    group_codes: set[str] = set()
    option_codes: dict[str, str] = {}
    for g_index, group in enumerate(groups):
        at = f"groups.{g_index}"
        if not isinstance(group, Mapping):
            raise InvalidInput("Describe each group as an object.", field=at)
        code = _text(group.get("code"), f"{at}.code", limit=50)
        if code in group_codes:
            raise InvalidInput(f"Two groups are coded {code!r}.", field=f"{at}.code")
        group_codes.add(code)
        low = _count(group.get("min_choices", 0), f"{at}.min_choices") or 0
        high = _count(group.get("max_choices"), f"{at}.max_choices")
        if high is not None and high < low:
            raise InvalidInput(
                f"At most {high} cannot be fewer than at least {low}.", field=f"{at}.max_choices"
            )
        made_groups.append(
            OptionGroup(
                code=code,
                name=_text(group.get("name") or code, f"{at}.name", limit=100),
                min_choices=low,
                max_choices=high,
                position=g_index,
            )
        )
        for o_index, option in enumerate(group.get("options") or []):
            where = f"{at}.options.{o_index}"
            if not isinstance(option, Mapping):
                raise InvalidInput("Describe each option as an object.", field=where)
            o_code = _text(option.get("code"), f"{where}.code", limit=50)
            if o_code in option_codes:
                raise InvalidInput(f"Two options are coded {o_code!r}.", field=f"{where}.code")
            option_codes[o_code] = where
            only_for = _codes(option.get("only_for"), f"{where}.only_for")
            made_options.append(
                (
                    g_index,
                    Option(
                        code=o_code,
                        name=_text(option.get("name") or o_code, f"{where}.name", limit=100),
                        price=_price(option.get("price"), f"{where}.price"),
                        requires=_codes(option.get("requires"), f"{where}.requires"),
                        excludes=_codes(option.get("excludes"), f"{where}.excludes"),
                        only_for=only_for,
                        position=o_index,
                    ),
                )
            )
    for _g, option in made_options:
        where = option_codes[option.code]
        for name in ("requires", "excludes"):
            for code in getattr(option, name):
                if code not in option_codes:
                    raise InvalidInput(
                        f"No option of this product is coded {code!r}.", field=f"{where}.{name}"
                    )
                if code == option.code:
                    raise InvalidInput(
                        f"An option cannot {name[:-1]} itself.", field=f"{where}.{name}"
                    )
    return made_groups, made_options


@transaction.atomic
def product_options_set(
    *,
    actor: User,
    product: Product,
    groups: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
) -> Product:
    """Replace a product's option groups and options with `groups` (in the order given).

    Each group: code, name, min_choices, max_choices (empty: any), options; each option:
    code, name, price (added per unit), requires and excludes (codes), only_for (customer
    categories). A bad value is refused with its path (groups.1.options.0.requires) and
    nothing changes. The product's version counts up: a configuration checked against the
    old structure is checked again.
    """
    _ensure_may_manage(actor)
    made_groups, made_options = _structure(groups)
    version_claim(product, expected_version, ["options"])
    product._history_user = actor  # type: ignore[attr-defined]
    product.save(update_fields=["version", "updated_at"])
    product.option_groups.all().delete()
    for group in made_groups:
        group.product = product
    OptionGroup.objects.bulk_create(made_groups)
    for g_index, option in made_options:
        option.product = product
        option.group = made_groups[g_index]
    Option.objects.bulk_create([option for _g, option in made_options])
    return product
