"""Every write of the catalog: products and their option structure, one transaction each."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rapport.accounts.models import Account, BuyingRoleKind, Contact
from rapport.core import access, runs
from rapport.core.errors import Conflict, InvalidInput, StaleWrite
from rapport.core.models import Run, User
from rapport.core.money import currency
from rapport.core.services import soft_delete, validated_save, version_claim
from rapport.interactions.models import Direction, Interaction
from rapport.memory import outreach
from rapport.memory import selectors as memory_selectors
from rapport.memory.models import Fact, Purpose
from rapport.offers import configurator, selectors
from rapport.offers.models import (
    AccountTreatment,
    AgreementKind,
    CatalogEntry,
    ConfigurationSource,
    Option,
    OptionGroup,
    Order,
    OrderItem,
    OrderOrigin,
    OrderStatus,
    PriceAgreement,
    Product,
    ProductCategory,
    ReorderForecast,
    SegmentTreatment,
    StandardConfiguration,
    TreatmentChannel,
)
from rapport.offers.runners import ReplenishmentRunner
from rapport.valuation import selectors as valuation_selectors
from rapport.valuation import services as valuation_services
from rapport.valuation.models import TransactionSource

if TYPE_CHECKING:  # the segment is only named here: needs is read through its selectors
    from rapport.needs.models import NeedsSegment

QUOTE_VALID_FOR = timedelta(days=30)

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


# --- an account's own catalog and price agreements (C3) -----------------------------------------


def _unit(account: Account, field: str = "account") -> Account:
    if account is None or account.pk is None or account.deleted_at is not None:
        raise InvalidInput("Choose a live account.", field=field)
    return account


@transaction.atomic
def catalog_entry_add(
    *,
    actor: User,
    account: Account,
    product: Product | None = None,
    category: ProductCategory | None = None,
) -> CatalogEntry:
    """Put a product or a whole category on a unit's own catalog (it holds below the unit)."""
    access.ensure(actor, access.Capability.AGREE_PRICES)
    _unit(account)
    if (product is None) == (category is None):
        raise InvalidInput("Name a product or a category, not both.", field="product")
    if product is not None and product.deleted_at is not None:
        raise InvalidInput("That product is no longer in the catalog.", field="product")
    entry = CatalogEntry(
        customer_id=account.customer_pk,
        account=account,
        product=product,
        category=category,
        added_by=actor,
    )
    field = "product" if product is not None else "category"
    if CatalogEntry.objects.filter(account=account, **{field: product or category}).exists():
        raise InvalidInput(f"It is already on {account.name}'s catalog.", field=field)
    validated_save(entry, actor=actor)
    return entry


@transaction.atomic
def catalog_entry_remove(*, actor: User, entry: CatalogEntry) -> None:
    """Take a product or category off a unit's own catalog."""
    access.ensure(actor, access.Capability.AGREE_PRICES)
    entry.delete()


def _breaks(value: Any, kind: str) -> list[list[str]]:
    """Volume breaks as [[from quantity, value], ...], ascending, each value checked."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("Give the breaks as a list of [quantity, value].", field="breaks")
    found: list[tuple[Decimal, Decimal]] = []
    for index, pair in enumerate(value):
        if isinstance(pair, Mapping):
            pair = (pair.get("from_quantity"), pair.get("value"))
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidInput(
                "Give each break as a quantity and a value.", field=f"breaks.{index}"
            )
        quantity = _price(pair[0], f"breaks.{index}.from_quantity")
        amount = _price(pair[1], f"breaks.{index}.value")
        if quantity <= 1:
            raise InvalidInput(
                "A break starts above one unit.", field=f"breaks.{index}.from_quantity"
            )
        _check_value(amount, kind, f"breaks.{index}.value")
        found.append((quantity, amount))
    quantities = [q for q, _v in found]
    if len(set(quantities)) != len(quantities):
        raise InvalidInput("Two breaks start at the same quantity.", field="breaks")
    return [[str(q), str(v)] for q, v in sorted(found)]


def _check_value(value: Decimal, kind: str, field: str) -> None:
    if value < 0:
        raise InvalidInput("A price or discount cannot be negative.", field=field)
    if kind == AgreementKind.DISCOUNT and value > 100:
        raise InvalidInput("A discount is at most 100%.", field=field)


def _overlapping(agreement: PriceAgreement) -> PriceAgreement | None:
    """Another live agreement for the same unit and product whose dates meet this one's."""
    rows = PriceAgreement.objects.filter(
        account_id=agreement.account_id, product_id=agreement.product_id, deleted_at__isnull=True
    ).exclude(pk=agreement.pk)
    if agreement.valid_until is not None:
        rows = rows.filter(valid_from__lte=agreement.valid_until)
    rows = rows.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=agreement.valid_from))
    return rows.order_by("valid_from").first()


AGREEMENT_FIELDS = frozenset(
    {"kind", "value", "breaks", "currency", "valid_from", "valid_until", "note"}
)


def _agreement_checked(agreement: PriceAgreement) -> None:
    if agreement.kind not in AgreementKind.values:
        raise InvalidInput("Choose fixed or discount.", field="kind")
    if agreement.value is None or agreement.value == "":
        # an empty value is no price at all, not a price of 0
        raise InvalidInput("Give the unit price, or the percent off list.", field="value")
    agreement.value = _price(agreement.value, "value")
    _check_value(agreement.value, agreement.kind, "value")
    agreement.breaks = _breaks(agreement.breaks, agreement.kind)
    agreement.currency = str(agreement.currency or currency()).strip().upper()
    if agreement.currency != currency():
        raise InvalidInput(
            f"The catalog's prices are in {currency()}: an agreement in "
            f"{agreement.currency} cannot be applied to them.",
            field="currency",
        )
    if agreement.valid_from is None:
        raise InvalidInput("Say from which day it holds.", field="valid_from")
    if agreement.valid_until is not None and agreement.valid_until < agreement.valid_from:
        raise InvalidInput("It cannot end before it starts.", field="valid_until")
    account = agreement.account
    if not selectors.account_catalog(account=account).allows(agreement.product):
        raise InvalidInput(
            f"{agreement.product.name} is not on {account.name}'s catalog: add it first.",
            field="product",
        )
    clash = _overlapping(agreement)
    if clash is not None:
        until = clash.valid_until.isoformat() if clash.valid_until else "open-ended"
        raise InvalidInput(
            f"Agreement #{clash.pk} already prices {agreement.product.name} for "
            f"{account.name} from {clash.valid_from.isoformat()} to {until}: end it first, "
            "or choose dates that do not overlap.",
            field="valid_from",
        )


@transaction.atomic
def price_agreement_create(
    *,
    actor: User,
    account: Account,
    product: Product,
    kind: str,
    value: Any,
    valid_from: date,
    valid_until: date | None = None,
    breaks: Any = (),
    currency: str = "",
    note: str = "",
) -> PriceAgreement:
    """Agree a unit's own price for a product; it holds for the unit and every unit below it.

    Refused, naming the field, when the dates overlap another agreement of the unit for
    the product, the product is not on its catalog, or the currency is not the catalog's.
    """
    access.ensure(actor, access.Capability.AGREE_PRICES)
    _unit(account)
    if product is None or product.deleted_at is not None:
        raise InvalidInput("Choose a product of the catalog.", field="product")
    agreement = PriceAgreement(
        customer_id=account.customer_pk,
        account=account,
        product=product,
        kind=kind,
        value=value,
        breaks=list(breaks or []),
        currency=currency,
        valid_from=valid_from,
        valid_until=valid_until,
        note=_text(note, "note", limit=500, required=False),
        agreed_by=actor,
    )
    _agreement_checked(agreement)
    validated_save(agreement, actor=actor)
    return agreement


@transaction.atomic
def price_agreement_update(
    *,
    actor: User,
    agreement: PriceAgreement,
    expected_version: int | None = None,
    **changes: Any,
) -> PriceAgreement:
    """Change an agreement's terms or dates (orders already placed keep their prices)."""
    access.ensure(actor, access.Capability.AGREE_PRICES)
    unknown = set(changes) - AGREEMENT_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"An agreement has no field {name!r}.", field=name)
    for name, value in changes.items():
        setattr(agreement, name, value)
    _agreement_checked(agreement)
    validated_save(agreement, actor=actor, expected_version=expected_version)
    return agreement


@transaction.atomic
def price_agreement_end(*, actor: User, agreement: PriceAgreement) -> PriceAgreement:
    """Withdraw an agreement (soft: the orders it priced keep naming it)."""
    access.ensure(actor, access.Capability.AGREE_PRICES)
    soft_delete(agreement, actor=actor)
    return agreement


# --- standard configurations (C2) ---------------------------------------------------------------


CONFIGURATION_FIELDS = frozenset(
    {"name", "buying_role", "location", "product", "options", "quantity", "notes", "sources"}
)


def _quantity(value: Any, field: str = "quantity") -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise InvalidInput(f"{value!r} is not a quantity.", field=field) from None
    if not quantity.is_finite() or quantity <= 0:
        raise InvalidInput("Give a quantity above zero.", field=field)
    if quantity >= Decimal("1e11") or quantity != quantity.quantize(Decimal("0.001")):
        raise InvalidInput("Give a quantity with at most three decimals.", field=field)
    return quantity


def _judged(account: Account, product: Product, chosen: Sequence[str], field: str) -> None:
    """Refuse a product the unit may not buy or a choice of options that breaks a rule."""
    if product is None or product.deleted_at is not None:
        raise InvalidInput("Choose a product of the catalog.", field=field)
    if not selectors.account_catalog(account=account).allows(product):
        raise InvalidInput(f"{product.name} is not on {account.name}'s catalog.", field=field)
    product = selectors.product_with_options(pk=product.pk)
    found = configurator.breaches(
        product.rules(), chosen, customer_categories=selectors.customer_categories(account)
    )
    if found:
        where = "options" if field == "product" else field.rsplit(".", 1)[0] + ".options"
        raise InvalidInput(" ".join(b.message for b in found), field=where)


def _cited(actor: User, account: Account, sources: Any) -> list[Fact]:
    if sources in (None, ""):
        return []
    if not isinstance(sources, list | tuple) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in sources
    ):
        raise InvalidInput("Give the ids of the facts it cites.", field="sources")
    found = memory_selectors.facts_by_ids(user=actor, customer_id=account.customer_pk, ids=sources)
    for index, pk in enumerate(sources):
        fact = found.get(pk)
        if fact is None:
            raise InvalidInput(
                f"{account.name}'s memory holds no fact #{pk}.", field=f"sources.{index}"
            )
        if fact.superseded_at is not None:
            raise InvalidInput(
                f"Fact #{pk} ({fact.display}) has been superseded: cite the current one.",
                field=f"sources.{index}",
            )
    return [found[pk] for pk in dict.fromkeys(sources)]


def _configuration_checked(
    actor: User, configuration: StandardConfiguration, sources: Any
) -> list[Fact] | None:
    configuration.name = _text(configuration.name, "name", limit=120)
    configuration.location = _text(configuration.location, "location", limit=100, required=False)
    configuration.notes = str(configuration.notes or "").strip()
    if configuration.buying_role not in ("", *BuyingRoleKind.values):
        raise InvalidInput(
            f"{configuration.buying_role!r} is not a buying role.", field="buying_role"
        )
    configuration.quantity = _quantity(configuration.quantity)
    configuration.options = list(dict.fromkeys(_codes(configuration.options, "options")))
    account = configuration.account
    _judged(account, configuration.product, configuration.options, "product")
    same_name = StandardConfiguration.objects.filter(
        account_id=account.pk, name__iexact=configuration.name, deleted_at__isnull=True
    ).exclude(pk=configuration.pk)
    if same_name.exists():
        raise InvalidInput(
            f"{account.name} already has a configuration named {configuration.name!r}.",
            field="name",
        )
    return None if sources is None else _cited(actor, account, sources)


def _cite(configuration: StandardConfiguration, facts: list[Fact] | None) -> None:
    if facts is None:
        return
    configuration.citations.all().delete()
    ConfigurationSource.objects.bulk_create(
        [ConfigurationSource(configuration=configuration, fact=fact) for fact in facts]
    )


@transaction.atomic
def configuration_create(
    *,
    actor: User,
    account: Account,
    name: str,
    product: Product,
    options: Sequence[str] = (),
    quantity: Any = 1,
    buying_role: str = "",
    location: str = "",
    notes: str = "",
    sources: Sequence[int] = (),
    reason: str = "",
) -> StandardConfiguration:
    """Save a unit's standard configuration; it holds for every unit below unless one has its own.

    The options are judged against the product's rules for this customer: a breach is
    refused with every rule broken, in words. `sources` are facts of the learning
    memory it was built from; when one is superseded the configuration asks for review.
    """
    access.ensure_can_write(actor)
    _unit(account)
    configuration = StandardConfiguration(
        customer_id=account.customer_pk,
        account=account,
        name=name,
        product=product,
        options=list(options or []),
        quantity=quantity,
        buying_role=buying_role or "",
        location=location or "",
        notes=notes or "",
    )
    facts = _configuration_checked(actor, configuration, list(sources or []))
    configuration._change_reason = _text(reason, "reason", limit=100, required=False) or "created"  # type: ignore[attr-defined]
    validated_save(configuration, actor=actor)
    _cite(configuration, facts)
    return configuration


@transaction.atomic
def configuration_update(
    *,
    actor: User,
    configuration: StandardConfiguration,
    reason: str,
    expected_version: int | None = None,
    **changes: Any,
) -> StandardConfiguration:
    """Change a standard configuration: a new version, the old one kept with who and why.

    `sources` replaces the facts it cites (citing the current fact again clears a review).
    """
    access.ensure_can_write(actor)
    unknown = set(changes) - CONFIGURATION_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"A configuration has no field {name!r}.", field=name)
    why = _text(reason, "reason", limit=100)
    sources = changes.pop("sources", None)
    for name, value in changes.items():
        setattr(configuration, name, value)
    facts = _configuration_checked(actor, configuration, sources)
    configuration._change_reason = why  # type: ignore[attr-defined]
    validated_save(configuration, actor=actor, expected_version=expected_version)
    _cite(configuration, facts)
    return configuration


@transaction.atomic
def configuration_delete(
    *, actor: User, configuration: StandardConfiguration, reason: str = ""
) -> StandardConfiguration:
    """Retire a standard configuration (soft: orders made from it keep pointing at it)."""
    access.ensure_can_write(actor)
    configuration._change_reason = _text(reason, "reason", limit=100, required=False) or "retired"  # type: ignore[attr-defined]
    soft_delete(configuration, actor=actor)
    return configuration


# --- quotes and orders ----------------------------------------------------------------------------


def _refuse_invalid(priced: Sequence[selectors.PricedLine], on: date) -> None:
    for index, line in enumerate(priced):
        if not line.buyable:
            raise InvalidInput(
                f"{line.product.name} is not on this account's catalog.",
                field=f"lines.{index}.product_id",
            )
        if not line.sellable:
            raise InvalidInput(
                f"{line.product.name} is not sold on {on.isoformat()}.",
                field=f"lines.{index}.product_id",
            )
        if line.breaches:
            raise InvalidInput(
                " ".join(b.message for b in line.breaches), field=f"lines.{index}.options"
            )


def _numbered(order: Order) -> None:
    # one number from quote to order: the customer's purchase order quotes it either way
    order.number = f"{order.quoted_on.year}-{order.pk:06d}"
    order.save(update_fields=["number"])


@transaction.atomic
def quote_create(
    *,
    actor: User,
    account: Account,
    lines: Sequence[selectors.LineRequest],
    origin: str = OrderOrigin.CATALOG,
    configuration: StandardConfiguration | None = None,
    valid_until: date | None = None,
    note: str = "",
    on: date | None = None,
) -> Order:
    """Quote the unit its own prices for the lines; each price is frozen with its reasons.

    A line that breaks a rule, is not on the unit's catalog or is not sold that day is
    refused, naming the line; nothing is written.
    """
    access.ensure_can_write(actor)
    _unit(account)
    if origin not in OrderOrigin.values:
        raise InvalidInput(f"{origin!r} is not an order's origin.", field="origin")
    if not lines:
        raise InvalidInput("Add at least one line.", field="lines")
    on = on or timezone.localdate()
    if valid_until is not None and valid_until < on:
        raise InvalidInput("A quote cannot expire before it is made.", field="valid_until")
    priced = selectors.price_lines(user=actor, account=account, lines=lines, on=on)
    _refuse_invalid(priced, on)
    order = Order(
        customer_id=account.customer_pk,
        account=account,
        number=f"new-{uuid.uuid4().hex[:24]}",
        status=OrderStatus.QUOTE,
        origin=origin,
        configuration=configuration,
        currency=currency(),
        quoted_on=on,
        valid_until=valid_until if valid_until is not None else on + QUOTE_VALID_FOR,
        total=sum((line.price.total for line in priced), Decimal(0)),
        note=_text(note, "note", limit=500, required=False),
        created_by=actor,
    )
    validated_save(order, actor=actor)
    _numbered(order)
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                position=position,
                product=line.product,
                sku=line.product.sku,
                name=line.product.name,
                category_id=line.product.category_id,
                options=list(line.chosen),
                option_names=list(line.option_names),
                quantity=line.quantity,
                list_unit=line.price.list_unit,
                unit_price=line.price.unit_price,
                total=line.price.total,
                unit_cost=line.product.cost or Decimal(0),
                agreement=line.agreement,
                explanation=list(line.price.explanation),
            )
            for position, line in enumerate(priced, start=1)
        ]
    )
    return order


@transaction.atomic
def quote_accept(
    *, actor: User, order: Order, expected_version: int | None = None, on: date | None = None
) -> Order:
    """The customer accepts: the quote becomes an order at the prices quoted, and its items
    become the order lines the value models read."""
    access.ensure_can_write(actor)
    on = on or timezone.localdate()
    if order.status != OrderStatus.QUOTE:
        raise Conflict(f"{order.number} is no longer a quote ({order.get_status_display()}).")
    if order.valid_until is not None and order.valid_until < on:
        raise InvalidInput(
            f"The quote expired on {order.valid_until.isoformat()}: quote again.",
            field="valid_until",
        )
    items = list(order.items.select_related("category"))
    account = Account.objects.get(pk=order.account_id)
    order.status = OrderStatus.PLACED
    order.placed_on = on
    order.decided_by = actor
    validated_save(order, actor=actor, expected_version=expected_version)
    ids = {f"rapport:{order.number}:{item.position}": item for item in items}
    valuation_services.order_lines_bulk_create(
        actor=actor,
        rows=[
            {
                "account": account,
                "category": item.category,
                "ordered_on": on,
                "order_ref": order.number,
                "external_id": external_id,
                "product": f"{item.name} ({item.sku})"[:200],
                "quantity": item.quantity,
                "revenue": item.total,
                "cost": (item.unit_cost * item.quantity).quantize(Decimal("0.01")),
                "discount": max(
                    (item.list_unit * item.quantity).quantize(Decimal("0.01")) - item.total,
                    Decimal(0),
                ),
                "source": TransactionSource.ORDER,
            }
            for external_id, item in ids.items()
        ],
    )
    for external_id, line_id in valuation_selectors.order_line_ids(external_ids=list(ids)):
        ids[external_id].order_line_id = line_id
    OrderItem.objects.bulk_update(items, ["order_line"])
    return order


@transaction.atomic
def quote_decline(*, actor: User, order: Order, reason: str = "") -> Order:
    """The customer declines the quote; it stays, with why."""
    access.ensure_can_write(actor)
    if order.status != OrderStatus.QUOTE:
        raise Conflict(f"{order.number} is no longer a quote ({order.get_status_display()}).")
    order.status = OrderStatus.DECLINED
    order.decided_by = actor
    why = _text(reason, "reason", limit=300, required=False)
    if why:
        order.note = (f"{order.note} — declined: {why}" if order.note else f"Declined: {why}")[:500]
    validated_save(order, actor=actor)
    return order


@transaction.atomic
def order_place(
    *,
    actor: User,
    account: Account,
    lines: Sequence[selectors.LineRequest],
    origin: str = OrderOrigin.CATALOG,
    configuration: StandardConfiguration | None = None,
    note: str = "",
    on: date | None = None,
) -> Order:
    """Quote and accept in one step (an order taken on the spot)."""
    order = quote_create(
        actor=actor,
        account=account,
        lines=lines,
        origin=origin,
        configuration=configuration,
        note=note,
        on=on,
    )
    return quote_accept(actor=actor, order=order, on=on)


@transaction.atomic
def configuration_reorder(
    *,
    actor: User,
    configuration: StandardConfiguration,
    account: Account | None = None,
    quantity: Any = None,
    on: date | None = None,
) -> Order:
    """Reorder a standard configuration in one step, for its unit or a unit below it."""
    account = account or configuration.account
    holder = configuration.account
    if account.customer_pk != holder.customer_pk or not account.path.startswith(holder.path):
        raise InvalidInput(
            f"{configuration.name} is {holder.name}'s: reorder it there or below.",
            field="account",
        )
    return order_place(
        actor=actor,
        account=account,
        lines=[
            selectors.LineRequest(
                product_id=configuration.product_id,
                options=tuple(configuration.options),
                quantity=_quantity(quantity)
                if quantity not in (None, "")
                else configuration.quantity,
            )
        ],
        origin=OrderOrigin.REORDER,
        configuration=configuration,
        on=on,
    )


# --- replenishment -------------------------------------------------------------------------------


def replenishment_request(*, actor: User) -> Run:
    """Queue the replenishment model for the worker (managers and admins); the queued run."""
    access.ensure(actor, access.Capability.RUN_RECOMPUTE)
    with transaction.atomic():
        run = ReplenishmentRunner.queue(started_by=actor)
    runs.run_enqueue(run)
    return run


@transaction.atomic
def reorder_remind(
    *,
    actor: User,
    forecast: ReorderForecast,
    contact: Contact,
    channel: str = "email",
    note: str = "",
    override_reason: str = "",
) -> Interaction:
    """Remind one of the organisation's people that a reorder is due: an outbound
    interaction on its timeline, through the consent and preference check (X5).

    A reminder their consent or preferences block is refused (Conflict on `contacts`,
    with the reasons) and nothing is written, unless an override reason is given.
    """
    access.ensure(actor, access.Capability.ACT_FOR_US)
    if (
        contact is None
        or contact.deleted_at is not None
        or contact.customer_id != forecast.customer_id
    ):
        raise InvalidInput("Choose someone of this organisation.", field="contact")
    configurations = selectors.configurations_in_category(
        user=actor, customer_id=forecast.customer_id, category_id=forecast.category_id
    )
    due = forecast.next_order_on
    summary = (
        f"{forecast.category.name}: typically ordered every "
        f"{round(forecast.typical_interval_days)} days, last on "
        f"{forecast.last_ordered_on.isoformat()}; the next order is expected around "
        f"{due.isoformat()}."
    )
    if configurations:
        summary += (
            " Standard configurations to reorder: "
            + ", ".join(
                f"{c.name} ({c.quantity.normalize():f} of {c.product.name})" for c in configurations
            )
            + "."
        )
    note = _text(note, "note", limit=1000, required=False)
    if note:
        summary += f" {note}"
    return outreach.interaction_log_learned(
        actor=actor,
        account=contact.account,
        contacts=[contact],
        channel=channel,
        direction=Direction.OUTBOUND,
        subject=f"Time to reorder {forecast.category.name}?",
        summary=summary,
        purpose=Purpose.SALES,
        override_reason=override_reason,
    )


# --- segment treatments (C7) -----------------------------------------------------------------

MAX_CADENCE_DAYS = 730
MAX_OFFERS = 50


def _cadence(value: Any, field: str = "cadence_days") -> int | None:
    if value is None or value == "":
        return None
    try:
        days = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        days = None
    if days is None or not 1 <= days <= MAX_CADENCE_DAYS:
        raise InvalidInput(
            f"Give a whole number of days from 1 to {MAX_CADENCE_DAYS}, or leave it empty.",
            field=field,
        )
    return days


def _channel(value: Any, field: str = "channel") -> str:
    channel = str(value or "").strip()
    if channel and channel not in TreatmentChannel.values:
        raise InvalidInput(
            f"{channel!r} is not a channel; choose one of {', '.join(TreatmentChannel.values)}.",
            field=field,
        )
    return channel


def _offers(value: Any, field: str = "offers", *, buyer: Account | None = None) -> list[int]:
    """Product ids, each a live product of the catalog (and of the buyer's own catalog,
    when it has one), once each, in the order given."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise InvalidInput("Give a list of product ids.", field=field)
    ids = list(dict.fromkeys(value))
    if len(ids) > MAX_OFFERS:
        raise InvalidInput(f"Offer at most {MAX_OFFERS} products.", field=field)
    found = dict(Product.live.filter(pk__in=ids).values_list("pk", "category_id"))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InvalidInput(
            f"No product {', '.join(f'#{pk}' for pk in missing)} in the catalog.", field=field
        )
    if buyer is not None:
        allowed = selectors.account_catalog(account=buyer)
        outside = [
            pk
            for pk in ids
            if not (allowed.open or pk in allowed.product_ids or found[pk] in allowed.category_ids)
        ]
        if outside:
            raise InvalidInput(
                f"Product {', '.join(f'#{pk}' for pk in outside)} is not on "
                f"{buyer.name}'s own catalog.",
                field=field,
            )
    return ids


def _created_meanwhile(record: SegmentTreatment | AccountTreatment, what: str) -> StaleWrite:
    return StaleWrite(
        f"Someone set {what} while you were editing it: look at theirs, then save again.",
        current_version=record.version,
        changed_by=str(record.changed_by or ""),
        changed_at=record.updated_at,
    )


@transaction.atomic
def segment_treatment_set(
    *,
    actor: User,
    segment: NeedsSegment,
    offers: Sequence[int] = (),
    cadence_days: Any = None,
    channel: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> SegmentTreatment:
    """Set a needs segment's default treatment of its members; it follows the segment
    through later recomputes (its lineage). `expected_version` 0 means "there was none".
    """
    access.ensure(actor, access.Capability.SET_TREATMENTS)
    if segment is None or not segment.is_current:
        raise InvalidInput(
            "That segment is from an earlier run; choose one of the current segments.",
            field="segment",
        )
    treatment = SegmentTreatment.objects.select_for_update().filter(lineage=segment.lineage).first()
    if treatment is None:
        treatment = SegmentTreatment(lineage=segment.lineage)
    elif expected_version == 0:
        raise _created_meanwhile(treatment, "this segment's treatment")
    treatment.segment = segment
    treatment.segment_name = segment.name[:200]
    treatment.offers = _offers(offers)
    treatment.cadence_days = _cadence(cadence_days)
    treatment.channel = _channel(channel)
    treatment.note = _text(note, "note", limit=500, required=False)
    treatment.changed_by = actor
    treatment._change_reason = "set"  # type: ignore[attr-defined]
    validated_save(treatment, actor=actor, expected_version=expected_version or None)
    return treatment


@transaction.atomic
def segment_treatment_move(
    *,
    actor: User,
    treatment: SegmentTreatment,
    segment: NeedsSegment,
    expected_version: int | None = None,
) -> SegmentTreatment:
    """Give a treatment whose segment has gone (split or merged away) to a current segment."""
    access.ensure(actor, access.Capability.SET_TREATMENTS)
    if segment is None or not segment.is_current:
        raise InvalidInput("Choose one of the current segments.", field="segment")
    held = SegmentTreatment.objects.filter(lineage=segment.lineage).exclude(pk=treatment.pk)
    if held.exists():
        raise Conflict(
            f"“{segment.name}” has a treatment of its own; change that one instead.",
            field="segment",
        )
    treatment.lineage = segment.lineage
    treatment.segment = segment
    treatment.segment_name = segment.name[:200]
    treatment.changed_by = actor
    treatment._change_reason = "moved"  # type: ignore[attr-defined]
    validated_save(treatment, actor=actor, expected_version=expected_version)
    return treatment


@transaction.atomic
def segment_treatment_delete(*, actor: User, treatment: SegmentTreatment) -> None:
    """Drop a segment's default treatment; its versions stay in the history."""
    access.ensure(actor, access.Capability.SET_TREATMENTS)
    treatment._history_user = actor  # type: ignore[attr-defined]
    treatment._change_reason = "removed"  # type: ignore[attr-defined]
    treatment.delete()


def _organisation(account: Account) -> Account:
    _unit(account)
    if account.customer_pk != account.pk:
        raise InvalidInput(
            "A treatment is the whole organisation's: set it on the organisation.",
            field="account",
        )
    return account


@transaction.atomic
def account_treatment_set(
    *,
    actor: User,
    account: Account,
    reason: str,
    own_offers: bool = False,
    offers: Sequence[int] = (),
    cadence_days: Any = None,
    channel: str = "",
    expected_version: int | None = None,
) -> AccountTreatment:
    """Treat one organisation otherwise than its segment: each part given replaces the
    segment's default; an empty part keeps it. `expected_version` 0 means "there was none".
    """
    access.ensure_can_write(actor)
    organisation = _organisation(account)
    treatment = (
        AccountTreatment.objects.select_for_update().filter(customer_id=organisation.pk).first()
    )
    if treatment is None:
        treatment = AccountTreatment(customer=organisation)
    elif expected_version == 0:
        raise _created_meanwhile(treatment, "this account's own treatment")
    treatment.own_offers = bool(own_offers)
    treatment.offers = _offers(offers, buyer=organisation) if own_offers else []
    treatment.cadence_days = _cadence(cadence_days)
    treatment.channel = _channel(channel)
    if not (treatment.own_offers or treatment.cadence_days or treatment.channel):
        raise InvalidInput(
            "Override at least one part (offers, cadence or channel), "
            "or go back to the segment's treatment.",
            field="own_offers",
        )
    treatment.reason = _text(reason, "reason", limit=500)
    treatment.changed_by = actor
    treatment._change_reason = treatment.reason[:100]  # type: ignore[attr-defined]
    validated_save(treatment, actor=actor, expected_version=expected_version or None)
    return treatment


@transaction.atomic
def account_treatment_clear(*, actor: User, account: Account, reason: str = "") -> None:
    """Go back to the segment's treatment for an organisation; its own versions stay in history."""
    access.ensure_can_write(actor)
    organisation = _organisation(account)
    treatment = AccountTreatment.objects.filter(customer_id=organisation.pk).first()
    if treatment is None:
        return
    treatment._history_user = actor  # type: ignore[attr-defined]
    treatment._change_reason = (  # type: ignore[attr-defined]
        _text(reason, "reason", limit=100, required=False) or "back to the segment's treatment"
    )
    treatment.delete()
