"""Every read of the catalog, through core.access: staff browse the whole catalog.

A customer's own catalog at its prices (account-specific catalogs and price agreements)
will reach portal users through their account; until then the catalog is our staff's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.money import currency, money_text
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.memory import selectors as memory_selectors
from rapport.memory.models import Fact
from rapport.needs import selectors as needs_selectors
from rapport.offers import configurator, pricing
from rapport.offers.models import (
    AccountTreatment,
    CatalogEntry,
    ConfigurationSource,
    Option,
    OptionGroup,
    Order,
    OrderItem,
    PriceAgreement,
    Product,
    ReorderForecast,
    SegmentTreatment,
    StandardConfiguration,
    TreatmentChannel,
)
from rapport.valuation import selectors as valuation_selectors

if TYPE_CHECKING:  # the segment is only named here: needs is read through its selectors
    from rapport.needs.models import NeedsSegment


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


# --- the customer's own catalog and prices -------------------------------------------------------


def _chain(account: Account) -> list[Account]:
    """The account and every unit above it, top first (one query)."""
    step = Account.steplen
    paths = [account.path[:end] for end in range(step, len(account.path) + 1, step)]
    return list(Account.objects.filter(path__in=paths, deleted_at__isnull=True).order_by("depth"))


@dataclass(frozen=True)
class AccountCatalog:
    """What one unit may buy: the whole catalog, or what it and the units above it list."""

    open: bool
    product_ids: frozenset[int]
    category_ids: frozenset[int]

    def allows(self, product: Product) -> bool:
        return (
            self.open or product.pk in self.product_ids or product.category_id in self.category_ids
        )


def _account_catalog(chain: Sequence[Account]) -> AccountCatalog:
    rows = list(
        CatalogEntry.objects.filter(account__in=chain).values_list("product_id", "category_id")
    )
    return AccountCatalog(
        open=not rows,
        product_ids=frozenset(p for p, _c in rows if p is not None),
        category_ids=frozenset(c for _p, c in rows if c is not None),
    )


def account_catalog(*, account: Account) -> AccountCatalog:
    """What the unit may buy, inherited from the units above it (two queries)."""
    return _account_catalog(_chain(account))


@lru_cache(maxsize=1024)
def _date_text(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else ""


def _validity(agreement: PriceAgreement) -> str:
    if agreement.valid_until:
        return f"{_date_text(agreement.valid_from)} to {_date_text(agreement.valid_until)}"
    return f"from {_date_text(agreement.valid_from)}"


def _terms(
    agreement: PriceAgreement, by_id: dict[int, Account], ordering: Account
) -> pricing.Terms:
    agreed_for = by_id[agreement.account_id]
    return pricing.Terms(
        agreement_id=agreement.pk,
        kind=agreement.kind,
        value=agreement.value,
        breaks=tuple(agreement.break_list()),
        agreed_for=agreed_for.name,
        inherited_by=ordering.name if agreed_for.pk != ordering.pk else "",
        valid=_validity(agreement),
    )


def _governing(
    chain: Sequence[Account], product_ids: Iterable[int], on: date
) -> dict[int, PriceAgreement]:
    """Per product, the agreement valid on the day agreed nearest the unit (one query)."""
    depth = {a.pk: a.depth for a in chain}
    found: dict[int, PriceAgreement] = {}
    rows = (
        PriceAgreement.objects.only(
            "id", "account_id", "product_id", "kind", "value", "breaks", "valid_from", "valid_until"
        )
        .filter(
            account__in=chain,
            product_id__in=set(product_ids),
            deleted_at__isnull=True,
            valid_from__lte=on,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    )
    for agreement in rows:
        held = found.get(agreement.product_id)
        if held is None or depth[agreement.account_id] > depth[held.account_id]:
            found[agreement.product_id] = agreement
    return found


@dataclass(frozen=True)
class PricedLine:
    """One line priced for a unit: the configuration judged and its price explained."""

    product: Product
    chosen: tuple[str, ...]
    option_names: tuple[str, ...]
    quantity: Decimal
    breaches: list[configurator.Breach]
    buyable: bool
    sellable: bool
    price: pricing.Price
    agreement: PriceAgreement | None

    @property
    def valid(self) -> bool:
        return self.buyable and self.sellable and not self.breaches


@dataclass(frozen=True)
class LineRequest:
    """A line as a caller asks for it: which product, which options, how many."""

    product_id: int
    options: tuple[str, ...] = ()
    quantity: Decimal = Decimal(1)


def customer_categories(account: Account, organisation: Account | None = None) -> list[str]:
    """What an option's "only for" is matched against: the organisation's industry and tier."""
    organisation = organisation or (
        account if account.is_customer_root else account.customer or account
    )
    tier = valuation_selectors.current_tier_code(customer_id=organisation.pk)
    return [c for c in (organisation.industry.strip(), tier) if c]


def _products(ids: Iterable[int]) -> dict[int, Product]:
    options = Prefetch("options", queryset=Option.objects.order_by("position", "id"))
    groups = Prefetch(
        "option_groups",
        queryset=OptionGroup.objects.order_by("position", "id").prefetch_related(options),
    )
    rows = (
        Product.objects.filter(pk__in=set(ids), deleted_at__isnull=True)
        .select_related("category")
        .prefetch_related(groups)
    )
    return {p.pk: p for p in rows}


# What pricing reads of a product: a hundred lines convert a tenth of the columns, and no
# category row (callers read `category_id`; a join would build a hundred category models)
PRICED_FIELDS = (
    "id", "version", "sku", "name", "unit", "category", "list_price", "cost",
    "active_from", "active_until", "deleted_at",
)  # fmt: skip


@dataclass(frozen=True)
class _Structure:
    """A product's rules and its options' names and prices, read once for many lines."""

    rules: configurator.ProductRules
    names: dict[str, str]
    prices: dict[str, Decimal]


# Most products have no options: they share this one rather than each building its rules
_NO_OPTIONS = _Structure(
    rules=configurator.ProductRules(groups=(), options=()), names={}, prices={}
)


def _structures(ids: set[int]) -> dict[int, _Structure]:
    """Each product's option structure from one flat query of its groups and their options
    (no model rows: a hundred products' groups and options cost what one product's do)."""
    groups: dict[int, dict[str, configurator.Group]] = {}
    options: dict[int, list[tuple[configurator.Option, Decimal]]] = {}
    for product_id, group, name, low, high, code, option_name, requires, excludes, only_for, price in (
        OptionGroup.objects.filter(product_id__in=ids)
        .order_by("position", "id", "options__position", "options__id")
        .values_list(
            "product_id", "code", "name", "min_choices", "max_choices", "options__code",
            "options__name", "options__requires", "options__excludes", "options__only_for",
            "options__price",
        )
    ):  # fmt: skip
        shown = groups.setdefault(product_id, {})
        if group not in shown:
            shown[group] = configurator.Group(group, name, low, high)
        if code is not None:  # a group without options yet comes once, with no option
            option = configurator.Option(
                code, option_name, group, tuple(requires), tuple(excludes), tuple(only_for)
            )
            options.setdefault(product_id, []).append((option, price))
    found = dict.fromkeys(ids, _NO_OPTIONS)
    for pk, shown in groups.items():
        these = options.get(pk, [])
        found[pk] = _Structure(
            rules=configurator.ProductRules(
                groups=tuple(shown.values()), options=tuple(o for o, _p in these)
            ),
            names={o.code: o.name for o, _p in these},
            prices={o.code: p for o, p in these},
        )
    return found


@dataclass(frozen=True)
class _Judged:
    """One product with one set of options: what it breaks, its options' names and price."""

    breaches: tuple[configurator.Breach, ...]
    option_names: tuple[str, ...]
    options_price: Decimal


def _judge(structure: _Structure, chosen: tuple[str, ...], categories: Collection[str]) -> _Judged:
    return _Judged(
        breaches=tuple(
            configurator.breaches(structure.rules, chosen, customer_categories=categories)
        )
        if structure.rules.groups or chosen
        else (),
        option_names=tuple(structure.names[c] for c in chosen if c in structure.names),
        options_price=sum(
            (structure.prices[c] for c in chosen if c in structure.prices), Decimal(0)
        ),
    )


@lru_cache(maxsize=4096)
def _money(amount: Decimal, code: str) -> str:
    """An amount as explanations write it (cents and the currency). The same prices and
    totals come back line after line and order after order: each is written once."""
    return money_text(float(amount), 2, code=code)


def _money_writer() -> Callable[[Decimal], str]:
    """`_money` in the deployment's currency, read once for all the lines of an order."""
    code = currency()
    return lambda amount: _money(amount, code)


def price_lines(
    *, user: User, account: Account, lines: Sequence[LineRequest], on: date | None = None
) -> list[PricedLine]:
    """Judge and price each line for the unit on the day: the same queries for 1 or 1,000.

    A product missing from the catalog is refused naming the line (`lines.3.product`); a
    line that breaks a rule, is not on the unit's catalog or is not sold that day comes
    back priced, with what is wrong, for the caller to show or refuse.
    """
    account = _scoped_account(user, account)
    on = on or timezone.localdate()
    wanted = {line.product_id for line in lines}
    rows = Product.objects.filter(pk__in=wanted, deleted_at__isnull=True).only(*PRICED_FIELDS)
    products = {p.pk: p for p in rows}
    for index, line in enumerate(lines):
        if line.product_id not in products:
            raise InvalidInput(
                f"There is no product #{line.product_id} in the catalog.",
                field=f"lines.{index}.product_id",
            )
        if line.quantity <= 0:
            raise InvalidInput("Order at least one.", field=f"lines.{index}.quantity")
    structures = _structures(set(products))
    chain = _chain(account)
    by_id = {a.pk: a for a in chain}
    allowed = _account_catalog(chain)
    agreements = _governing(chain, products, on)
    categories = set(customer_categories(account, organisation=chain[0]))
    terms = {pk: _terms(a, by_id, account) for pk, a in agreements.items()}
    write = _money_writer()
    # an order repeats a product with the same options: judge each combination once
    judged: dict[tuple[int, tuple[str, ...]], _Judged] = {}
    priced = []
    for line in lines:
        product = products[line.product_id]
        chosen = tuple(dict.fromkeys(line.options))
        judgement = judged.get((product.pk, chosen))
        if judgement is None:
            judgement = judged[product.pk, chosen] = _judge(
                structures[product.pk], chosen, categories
            )
        priced.append(
            PricedLine(
                product=product,
                chosen=chosen,
                option_names=judgement.option_names,
                quantity=line.quantity,
                breaches=list(judgement.breaches),
                buyable=allowed.allows(product),
                sellable=product.is_active(on),
                price=pricing.price(
                    list_price=product.list_price,
                    options_price=judgement.options_price,
                    quantity=line.quantity,
                    terms=terms.get(product.pk),
                    money=write,
                ),
                agreement=agreements.get(product.pk),
            )
        )
    return priced


def product_with_options(*, pk: int) -> Product:
    """A live product with its groups and options, for checks inside services."""
    found = _products([pk])
    if pk not in found:
        raise InvalidInput("Choose a product of the catalog.", field="product")
    return found[pk]


# --- standard configurations, agreements and orders of one account -------------------------------


def _scoped_account(user: User, account: Account) -> Account:
    if access.sees_everything(user) and account.deleted_at is None:
        return account  # staff see every live account: no second look needed
    return access.get_visible(
        Account.objects.filter(deleted_at__isnull=True), user, via="", pk=account.pk
    )


@dataclass(frozen=True)
class Review:
    """A cited fact that has been superseded: what the configuration was built on, and now."""

    cited: Fact
    current: Fact | None


@dataclass(frozen=True)
class EffectiveConfiguration:
    """A standard configuration as a unit sees it: its own, or inherited from above."""

    configuration: StandardConfiguration
    inherited_from: Account | None
    option_names: tuple[str, ...]
    reviews: tuple[Review, ...]

    @property
    def needs_review(self) -> bool:
        return bool(self.reviews)


def _configurations(user: User) -> QuerySet[StandardConfiguration]:
    return access.scope(
        user, StandardConfiguration.objects.filter(deleted_at__isnull=True)
    ).select_related("account", "product", "product__category")


def configurations_for(*, user: User, account: Account) -> list[EffectiveConfiguration]:
    """The configurations that hold for a unit: its own, and its ancestors' it does not redefine.

    A unit's own configuration of a name hides one of the same name above it. Five
    queries whatever the tree's size: the chain, the configurations, their options, the
    facts they cite and the facts that superseded them.
    """
    account = _scoped_account(user, account)
    chain = _chain(account)
    rows = list(
        _configurations(user)
        .filter(account__in=chain)
        .prefetch_related(
            Prefetch(
                "citations",
                queryset=ConfigurationSource.objects.select_related(
                    "fact", "fact__attribute", "fact__contact"
                ),
            )
        )
    )
    rows.sort(key=lambda c: (-c.account.depth, c.name.lower(), c.pk))
    nearest: dict[str, StandardConfiguration] = {}
    for configuration in rows:
        nearest.setdefault(configuration.name.lower(), configuration)
    chosen = sorted(nearest.values(), key=lambda c: (c.name.lower(), c.pk))
    products = _products(c.product_id for c in chosen)
    cited = [s.fact for c in chosen for s in c.citations.all()]
    successors = memory_selectors.current_successors(user=user, facts=cited)
    found = []
    for configuration in chosen:
        product = products.get(configuration.product_id)
        names = (
            {o.code: o.name for g in product.option_groups.all() for o in g.options.all()}
            if product
            else {}
        )
        found.append(
            EffectiveConfiguration(
                configuration=configuration,
                inherited_from=configuration.account
                if configuration.account_id != account.pk
                else None,
                option_names=tuple(names.get(code, code) for code in configuration.options),
                reviews=tuple(
                    Review(cited=s.fact, current=successors.get(s.fact.pk))
                    for s in configuration.citations.all()
                    if s.fact.superseded_at is not None
                ),
            )
        )
    return found


def configuration_get(*, user: User, pk: int) -> StandardConfiguration:
    """One live standard configuration the user may see."""
    return access.get_visible(_configurations(user), user, pk=pk)


def configuration_versions(*, user: User, configuration: StandardConfiguration) -> list[Any]:
    """Every version of a configuration, newest first, with who, when, why and what changed."""
    configuration = configuration_get(user=user, pk=configuration.pk)
    records = list(configuration.history.select_related("history_user").order_by("-history_id"))
    for newer, older in pairwise(records):
        delta = newer.diff_against(older, excluded_fields=["updated_at", "version"])
        newer.changed = [(c.field, c.old, c.new) for c in delta.changes]
    if records:
        records[-1].changed = []
    return records


def configurations_needing_review(*, user: User, limit: int = 200) -> list[StandardConfiguration]:
    """Live configurations citing a fact that has since been superseded, oldest change first."""
    return list(
        _configurations(user)
        .filter(citations__fact__superseded_at__isnull=False)
        .distinct()
        .order_by("updated_at", "id")[:limit]
    )


@dataclass(frozen=True)
class AgreementRow:
    agreement: PriceAgreement
    inherited_from: Account | None
    current: bool


def agreements_for(*, user: User, account: Account, on: date | None = None) -> list[AgreementRow]:
    """The unit's price agreements and those it inherits, current ones first (three queries)."""
    account = _scoped_account(user, account)
    on = on or timezone.localdate()
    chain = _chain(account)
    rows = (
        PriceAgreement.objects.filter(account__in=chain, deleted_at__isnull=True)
        .select_related("account", "product", "product__category")
        .order_by("product__name", "-valid_from", "id")
    )
    governing = _governing(chain, {a.product_id for a in rows}, on)
    held = {a.pk for a in governing.values()}
    found = [
        AgreementRow(
            agreement=a,
            inherited_from=a.account if a.account_id != account.pk else None,
            current=a.pk in held,
        )
        for a in rows
    ]
    found.sort(key=lambda r: (not r.current, r.agreement.product.name, -r.agreement.pk))
    return found


def catalog_entries_for(*, user: User, account: Account) -> list[CatalogEntry]:
    """What the unit's own catalog lists, its own and inherited (one query after the chain)."""
    account = _scoped_account(user, account)
    return list(
        CatalogEntry.objects.filter(account__in=_chain(account))
        .select_related("account", "product", "category")
        .order_by("account__depth", "id")
    )


def agreement_list(
    *,
    user: User,
    account: Account | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[PriceAgreement]:
    """Live price agreements the user may see, of a unit and the units below it or of every
    account, oldest first (keyset on id)."""
    limit = clamp_limit(limit)
    rows = access.scope(user, PriceAgreement.objects.filter(deleted_at__isnull=True))
    if account is not None:
        account = _scoped_account(user, account)
        rows = rows.filter(customer_id=account.customer_pk, account__path__startswith=account.path)
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        rows = rows.filter(id__gt=last_id)
    found = list(rows.select_related("account", "product").order_by("id")[: limit + 1])
    return page_of(found, limit, lambda a: [a.pk])


def agreement_get(*, user: User, pk: int) -> PriceAgreement:
    return access.get_visible(
        PriceAgreement.objects.filter(deleted_at__isnull=True).select_related("account", "product"),
        user,
        pk=pk,
    )


def catalog_entry_get(*, user: User, pk: int) -> CatalogEntry:
    return access.get_visible(CatalogEntry.objects.select_related("account"), user, pk=pk)


def _orders(user: User) -> QuerySet[Order]:
    return access.scope(user, Order.objects.all()).select_related("account", "configuration")


def order_get(*, user: User, pk: int) -> Order:
    """One quote or order with its items (two queries)."""
    return access.get_visible(
        _orders(user).prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product", "category"))
        ),
        user,
        pk=pk,
    )


def order_list(
    *,
    user: User,
    account: Account,
    status: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Order]:
    """The unit's quotes and orders (and its units'), newest first, keyset on (day, id)."""
    account = _scoped_account(user, account)
    limit = clamp_limit(limit)
    rows = _orders(user).filter(
        customer_id=account.customer_pk, account__path__startswith=account.path
    )
    if status:
        rows = rows.filter(status=status)
    if cursor:
        day, last_id = decode_cursor(cursor, 2)
        if not isinstance(day, str) or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        try:
            quoted = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("The cursor is not valid.", field="cursor") from None
        rows = rows.filter(Q(quoted_on__lt=quoted) | Q(quoted_on=quoted, id__lt=last_id))
    found = list(rows.order_by("-quoted_on", "-id")[: limit + 1])
    return page_of(found, limit, lambda o: [o.quoted_on.isoformat(), o.pk])


def product_for_account(*, user: User, pk: int) -> Product:
    """A live product named by a caller who may deal with accounts (not only catalog staff)."""
    if not access.sees_everything(user):
        raise NotFound("product not found")
    found = _products([pk])
    if pk not in found:
        raise NotFound("product not found")
    return found[pk]


PRODUCT_CHOICES = 2000


def products_buyable(*, user: User, account: Account) -> list[Product]:
    """The live products a unit may buy, by name, for pickers (two queries)."""
    account = _scoped_account(user, account)
    allowed = account_catalog(account=account)
    rows = Product.objects.filter(deleted_at__isnull=True).select_related("category")
    if not allowed.open:
        rows = rows.filter(Q(pk__in=allowed.product_ids) | Q(category_id__in=allowed.category_ids))
    return list(rows.order_by("name", "id")[:PRODUCT_CHOICES])


# --- replenishment -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReorder:
    """An organisation expected to buy from a category soon, and what to offer it."""

    forecast: ReorderForecast
    predicted_value: Decimal | None
    configurations: tuple[StandardConfiguration, ...]

    @property
    def due_in_days(self) -> int:
        return (self.forecast.next_order_on - timezone.localdate()).days


def due_to_reorder(
    *,
    user: User,
    within_days: int = 14,
    category_id: int | None = None,
    customer: Account | None = None,
    limit: int = 100,
) -> list[DueReorder]:
    """Organisations whose next order of a category is due within the days (or overdue by
    less than one typical interval), most valuable first (their current predicted value),
    each with its configurations of that category.

    Three queries whatever the number of forecasts.
    """
    access.ensure(user, access.Capability.SEE_INTERNAL_SIDE, not_found="page not found")
    if not 0 <= within_days <= 366:
        raise InvalidInput("Look from 0 to 366 days ahead.", field="within_days")
    limit = clamp_limit(limit)
    value = valuation_selectors.current_value_subquery()
    rows = access.scope(
        user,
        ReorderForecast.objects.filter(
            is_current=True,
            next_order_on__lte=timezone.localdate() + timedelta(days=within_days),
            # overdue by more than a whole interval: lapsed (a churn signal), not due
            lapses_on__gte=timezone.localdate(),
            customer__deleted_at__isnull=True,
        ),
        via="customer",
    ).select_related("customer", "category")
    if category_id is not None:
        rows = rows.filter(category_id=category_id)
    if customer is not None:
        rows = rows.filter(customer_id=customer.customer_pk)
    found = list(
        rows.annotate(value=value).order_by(
            F("value").desc(nulls_last=True), "next_order_on", "id"
        )[:limit]
    )
    configurations: dict[tuple[int, int], list[StandardConfiguration]] = {}
    for configuration in _configurations(user).filter(
        customer_id__in={f.customer_id for f in found},
        product__category_id__in={f.category_id for f in found},
    ):
        key = (configuration.customer_id, configuration.product.category_id)
        named = configurations.setdefault(key, [])
        # a division's own of a name stands in for the organisation's: one per name
        if all(c.name.lower() != configuration.name.lower() for c in named):
            named.append(configuration)
    return [
        DueReorder(
            forecast=forecast,
            predicted_value=forecast.value,
            configurations=tuple(
                configurations.get((forecast.customer_id, forecast.category_id), ())
            ),
        )
        for forecast in found
    ]


def replenishment_last_run() -> Any:
    """The latest replenishment run (any outcome), or None before the first."""
    from rapport.core.models import Run

    return Run.objects.filter(job="replenishment").order_by("-id").first()


def configurations_in_category(
    *, user: User, customer_id: int, category_id: int
) -> list[StandardConfiguration]:
    """An organisation's live standard configurations of a category's products."""
    return list(
        _configurations(user)
        .filter(customer_id=customer_id, product__category_id=category_id)
        .order_by("name", "id")
    )


def forecast_get(*, user: User, pk: int) -> ReorderForecast:
    """One current replenishment forecast (our staff)."""
    access.ensure(user, access.Capability.SEE_INTERNAL_SIDE, not_found="forecast not found")
    return access.get_visible(
        ReorderForecast.objects.filter(is_current=True).select_related("customer", "category"),
        user,
        via="customer",
        pk=pk,
    )


# --- segment treatments (C7) ---------------------------------------------------------------------


class TreatmentSource:
    """Where a part of an account's treatment came from."""

    ACCOUNT = "account"
    SEGMENT = "segment"
    NONE = ""


@dataclass(frozen=True)
class TreatmentPart:
    """One part of an effective treatment (offers, cadence or channel) and its source."""

    value: Any
    source: str

    @property
    def is_set(self) -> bool:
        return self.source != TreatmentSource.NONE


@dataclass(frozen=True)
class EffectiveTreatment:
    """How we treat one organisation: each part from its own treatment or its segment's.

    `offers` holds the offered products priced for the organisation (PricedLine, one
    each, quantity 1, no options); products gone from the catalog are counted in `gone`.
    """

    organisation: Account
    segment: NeedsSegment | None
    default: SegmentTreatment | None
    own: AccountTreatment | None
    offers: TreatmentPart
    cadence_days: TreatmentPart
    channel: TreatmentPart
    gone: int

    @property
    def channel_label(self) -> str:
        return TreatmentChannel(self.channel.value).label if self.channel.value else ""

    @property
    def is_set(self) -> bool:
        return self.offers.is_set or self.cadence_days.is_set or self.channel.is_set


def _part(own: Any, own_set: bool, default: Any, default_set: bool) -> TreatmentPart:
    if own_set:
        return TreatmentPart(own, TreatmentSource.ACCOUNT)
    if default_set:
        return TreatmentPart(default, TreatmentSource.SEGMENT)
    return TreatmentPart(None, TreatmentSource.NONE)


def treatment_for(*, user: User, account: Account) -> EffectiveTreatment:
    """An organisation's effective treatment with where each part came from.

    A constant number of queries: the membership, the two treatments and the pricing
    of the offers (price_lines).
    """
    access.ensure(user, access.Capability.SEE_INTERNAL_SIDE, not_found="account not found")
    account = _scoped_account(user, account)
    # the organisation, read as customer_categories does, through the same scoping
    organisation = (
        account if account.is_customer_root else _scoped_account(user, account.customer or account)
    )
    membership = needs_selectors.membership_of(user=user, account=organisation)
    segment = membership.segment if membership else None
    default = SegmentTreatment.objects.filter(lineage=segment.lineage).first() if segment else None
    own = AccountTreatment.objects.filter(customer_id=organisation.pk).first()
    offers = _part(
        own.offers if own else None,
        bool(own and own.own_offers),
        default.offers if default else None,
        bool(default and default.offers),
    )
    wanted = list(offers.value or [])
    live = set(Product.live.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    priced = price_lines(
        user=user,
        account=organisation,
        lines=[LineRequest(product_id=pk) for pk in wanted if pk in live],
    )
    return EffectiveTreatment(
        organisation=organisation,
        segment=segment,
        default=default,
        own=own,
        offers=TreatmentPart(tuple(priced), offers.source),
        cadence_days=_part(
            own.cadence_days if own else None,
            bool(own and own.cadence_days),
            default.cadence_days if default else None,
            bool(default and default.cadence_days),
        ),
        channel=_part(
            own.channel if own else "",
            bool(own and own.channel),
            default.channel if default else "",
            bool(default and default.channel),
        ),
        gone=len(wanted) - len(live),
    )


@dataclass(frozen=True)
class SegmentTreatmentRow:
    """A current needs segment, its default treatment (if any) and what it offers."""

    segment: NeedsSegment
    treatment: SegmentTreatment | None
    products: tuple[Product, ...]
    overridden: int


def _products_in_order(ids: Iterable[int], found: dict[int, Product]) -> tuple[Product, ...]:
    return tuple(found[pk] for pk in ids if pk in found)


def segment_treatments(*, user: User) -> tuple[list[SegmentTreatmentRow], list[SegmentTreatment]]:
    """Each current segment with its treatment, and the treatments whose segment has gone.

    Four queries: the segments, the treatments, their products and how many members of
    each segment have a treatment of their own.
    """
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    segments = needs_selectors.segment_list(user=user)
    treatments = list(SegmentTreatment.objects.select_related("changed_by"))
    ids = {pk for t in treatments for pk in t.offers}
    found = {p.pk: p for p in Product.live.filter(pk__in=ids).select_related("category")}
    by_lineage = {t.lineage: t for t in treatments}
    overridden = needs_selectors.members_with(
        user=user, customer_ids=AccountTreatment.objects.values("customer_id")
    )
    rows = [
        SegmentTreatmentRow(
            segment=segment,
            treatment=by_lineage.get(segment.lineage),
            products=_products_in_order(
                by_lineage[segment.lineage].offers if segment.lineage in by_lineage else [], found
            ),
            overridden=overridden.get(segment.pk, 0),
        )
        for segment in segments
    ]
    current = {segment.lineage for segment in segments}
    orphans = [t for t in treatments if t.lineage not in current]
    return rows, orphans


def segment_treatment_get(*, user: User, pk: int) -> SegmentTreatment:
    """One segment treatment (staff who read the portfolio)."""
    access.ensure(user, access.Capability.READ_PORTFOLIO, not_found="treatment not found")
    try:
        return SegmentTreatment.objects.select_related("segment", "changed_by").get(pk=pk)
    except SegmentTreatment.DoesNotExist:
        raise NotFound("treatment not found") from None


def segment_treatment_of(*, user: User, segment: NeedsSegment) -> SegmentTreatment | None:
    """The treatment of a segment's lineage, if one is set."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    return SegmentTreatment.objects.filter(lineage=segment.lineage).first()


def offer_choices(*, user: User) -> list[Product]:
    """Live products by category and name, to choose a segment's offers from (one query)."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    rows = Product.live.select_related("category").order_by("category__name", "name", "id")
    return list(rows[:PRODUCT_CHOICES])


def treatment_products(ids: Iterable[int]) -> tuple[Product, ...]:
    """The live products of a list of ids, in its order (for a treatment's offers)."""
    ids = list(ids)
    found = {p.pk: p for p in Product.live.filter(pk__in=ids).select_related("category")}
    return _products_in_order(ids, found)


def treatment_cadences() -> dict[int, int]:
    """Every organisation's agreed contact cadence in days, from its own or its segment's
    treatment (three queries), for the quiet-interval runner.
    """
    defaults: dict[int, int] = {
        lineage: days or 0
        for lineage, days in SegmentTreatment.objects.filter(
            cadence_days__isnull=False
        ).values_list("lineage", "cadence_days")
    }
    agreed = {
        customer_id: defaults[lineage]
        for customer_id, lineage in needs_selectors.current_lineages(lineages=defaults).items()
    }
    for customer_id, days in AccountTreatment.objects.filter(
        cadence_days__isnull=False
    ).values_list("customer_id", "cadence_days"):
        agreed[customer_id] = days or 0
    return agreed
