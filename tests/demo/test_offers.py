"""The demo's Customize data: a believable catalog, valid configurations, agreements that
never overlap, a configuration to review, and placed orders the value models see.

One tiny demo is generated for the module, in a transaction rolled back at its end; each
test runs inside it (in a savepoint of its own).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db import transaction
from django.db.models import Prefetch
from django.test import override_settings
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core.models import User
from rapport.core.money import currency
from rapport.demo import buying
from rapport.demo.generator import generate
from rapport.demo.world import INDUSTRIES
from rapport.offers import configurator, selectors
from rapport.offers.models import (
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
    StandardConfiguration,
)
from rapport.offers.selectors import LineRequest
from rapport.valuation.models import OrderLine

pytestmark = pytest.mark.django_db

SEED = 7


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[dict[str, int]]:
    """The tiny demo (without the models run), once for every test of the module."""
    # The settings conftest gives each test, given here too: the demo hashes its users'
    # password once per process, and every later test checks it with the fast hasher.
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    )
    with django_db_blocker.unblock(), transaction.atomic():
        with fast:
            counts = generate(size="tiny", seed=SEED, flush=True, recompute=False)
        yield counts
        transaction.set_rollback(True)


@pytest.fixture
def admin(demo: dict[str, int]) -> User:
    return User.objects.get(email="demo@rapport.example")


def _products() -> list[Product]:
    options = Prefetch("options", queryset=Option.objects.order_by("position", "id"))
    groups = Prefetch(
        "option_groups",
        queryset=OptionGroup.objects.order_by("position", "id").prefetch_related(options),
    )
    return list(Product.live.select_related("category").prefetch_related(groups))


def test_the_catalog_is_a_few_hundred_products_over_the_demo_categories(
    demo: dict[str, int],
) -> None:
    # Given the tiny demo's catalog
    products = _products()
    today = timezone.localdate()
    # Then it holds a few hundred products, every demo category well stocked
    assert 200 <= len(products) == demo["products"] <= 400
    per_category = Counter(p.category.name for p in products)
    assert set(per_category) == set(buying.CATEGORY_NAMES)
    assert min(per_category.values()) >= 8
    assert len({p.sku for p in products}) == len({p.name for p in products}) == len(products)
    # with prices that fit their category: costs at its margin, below the list price
    for product in products:
        ratio = buying.CATEGORIES[product.category.name][1]
        assert product.list_price > 0
        assert product.cost is not None
        assert 0.85 * ratio <= float(product.cost / product.list_price) <= 1.15 * ratio
        assert product.unit
    licences = {p.unit for p in products if p.category.name == "Software licences"}
    assert licences == {"licence", "user", "seat", "site"}
    # and some no longer sold, a few not yet
    retired = [p for p in products if p.active_until is not None and p.active_until < today]
    coming = [p for p in products if p.active_from is not None and p.active_from > today]
    assert len(retired) >= 8
    assert coming
    assert all(not p.is_active(today) for p in retired + coming)


def test_modular_products_have_every_kind_of_rule(demo: dict[str, int]) -> None:
    # Given the catalog's products with options
    modular = [p for p in _products() if p.option_groups.all()]
    assert len(modular) >= 50
    assert demo["product_options"] == Option.objects.count()
    industries = {i.label for i in INDUSTRIES}
    kinds: Counter[str] = Counter()
    for product in modular:
        # Then each product's rules hang together (ProductRules refuses those that do not)
        rules = product.rules()
        codes = {o.code for o in rules.options}
        for option in rules.options:
            assert set(option.requires) | set(option.excludes) <= codes - {option.code}
            # and "only for" names industries the demo's organisations are in
            assert set(option.only_for) <= industries
            kinds["requires"] += bool(option.requires)
            kinds["excludes"] += bool(option.excludes)
            kinds["only for"] += bool(option.only_for)
        for group in rules.groups:
            kinds["required single choice"] += (group.min_choices, group.max_choices) == (1, 1)
            kinds["optional extras"] += group.min_choices == 0 and group.max_choices is None
        # and at least one choice is valid for everyone: the required ones' first options
        plain = [o for o in rules.options if not o.requires and not o.only_for]
        firsts = [
            [o.code for o in plain if o.group == g.code][: g.min_choices] for g in rules.groups
        ]
        assert configurator.breaches(rules, [c for codes in firsts for c in codes]) == []
    assert min(kinds.values()) >= 5
    assert set(kinds) == {
        "requires",
        "excludes",
        "only for",
        "required single choice",
        "optional extras",
    }
    # (the rule the configurator enforces, in the demo's own words)
    gateway = next(p for p in modular if p.sku == "HW-AG-400")
    found = configurator.breaches(gateway.rules(), ["lte", "psu-230", "atex"])
    assert [b.rule for b in found] == ["requires", "only for"]


def test_every_standard_configuration_is_valid(demo: dict[str, int], admin: User) -> None:
    # Given every standard configuration in the demo
    configurations = list(StandardConfiguration.live.select_related("account", "product__category"))
    assert len(configurations) == demo["standard_configurations"] >= 6
    products = {p.pk: p for p in _products()}
    for configuration in configurations:
        account = configuration.account
        product = products[configuration.product_id]
        # Then the configurator finds nothing wrong with it, for its customer
        assert (
            configurator.breaches(
                product.rules(),
                configuration.options,
                customer_categories=selectors.customer_categories(account),
            )
            == []
        ), configuration
        # and the unit may buy it, today
        assert selectors.account_catalog(account=account).allows(product)
        assert product.is_active(timezone.localdate())
        assert configuration.customer_id == account.customer_pk
        assert configuration.quantity > 0
    # and there are some at organisation and some at division level
    depths = Counter(c.account.depth for c in configurations)
    assert depths[1] >= 3
    assert depths[2] >= 1


def test_a_division_overrides_its_organisation_and_inherits_the_rest(
    demo: dict[str, int], admin: User
) -> None:
    # Given a division with its own configuration of a name its organisation also has
    configurations = list(StandardConfiguration.live.select_related("account"))
    top = {(c.customer_id, c.name.lower()): c for c in configurations if c.account.depth == 1}
    overrides = [
        c for c in configurations if c.account.depth == 2 and (c.customer_id, c.name.lower()) in top
    ]
    assert overrides
    own = overrides[0]
    parent = top[(own.customer_id, own.name.lower())]
    assert (own.product_id, own.options, own.quantity) != (
        parent.product_id,
        parent.options,
        parent.quantity,
    )
    # When the division's configurations are read
    effective = selectors.configurations_for(user=admin, account=own.account)
    by_name = {e.configuration.name: e for e in effective}
    # Then its own holds there, and the organisation's others are inherited
    assert by_name[own.name].configuration == own
    assert by_name[own.name].inherited_from is None
    inherited = [e for e in effective if e.inherited_from is not None]
    assert inherited
    assert {e.inherited_from for e in inherited} == {parent.account}
    # and some configurations were revised since, each version saying who and why
    revised = [c for c in configurations if c.version == 2]
    assert revised
    for configuration in revised:
        versions = list(configuration.history.order_by("history_id"))
        assert [v.history_type for v in versions] == ["+", "~"]
        assert versions[1].history_change_reason
        assert versions[1].history_user_id is not None
        assert versions[1].quantity > versions[0].quantity


def test_agreements_never_overlap_and_hold_down_the_tree(demo: dict[str, int], admin: User) -> None:
    # Given every price agreement in the demo
    agreements = list(PriceAgreement.live.select_related("account", "product"))
    assert len(agreements) == demo["price_agreements"] >= 4
    by_unit_product = defaultdict(list)
    for agreement in agreements:
        by_unit_product[(agreement.account_id, agreement.product_id)].append(agreement)
        assert agreement.customer_id == agreement.account.customer_pk
        assert agreement.currency == currency()
        assert selectors.account_catalog(account=agreement.account).allows(agreement.product)
        if agreement.kind == AgreementKind.DISCOUNT:
            assert 0 < agreement.value <= 100
        quantities = [q for q, _v in agreement.break_list()]
        assert quantities == sorted(quantities)
        assert all(q > 1 for q in quantities)
    # Then no two agreements of a unit for a product meet in time
    for rows in by_unit_product.values():
        rows.sort(key=lambda a: a.valid_from)
        for earlier, later in pairwise(rows):
            assert earlier.valid_until is not None
            assert earlier.valid_until < later.valid_from
    assert any(len(rows) > 1 for rows in by_unit_product.values())  # one was renewed
    # and they are of both kinds, some with volume breaks
    assert {a.kind for a in agreements} == {AgreementKind.FIXED, AgreementKind.DISCOUNT}
    assert any(a.breaks for a in agreements)
    # and one agreed for an organisation is inherited by a unit below it
    top = next(
        a
        for a in agreements
        if a.account.depth == 1 and Account.objects.filter(customer_id=a.customer_id).count() > 1
    )
    below = Account.objects.filter(customer_id=top.customer_id, depth__gt=1).first()
    assert below is not None
    rows = selectors.agreements_for(user=admin, account=below, on=top.valid_from)
    assert any(r.agreement == top and r.inherited_from == top.account for r in rows)
    # and a few organisations buy only what their own catalog lists
    assert CatalogEntry.objects.count() == demo["catalog_entries"] > 0


def test_a_configuration_built_on_a_superseded_fact_needs_review(
    demo: dict[str, int], admin: User
) -> None:
    # Given configurations that cite what the learning memory knows
    cited = list(ConfigurationSource.objects.select_related("fact__attribute"))
    assert cited
    assert all(s.fact.attribute.key.startswith(("spec-", "con-")) for s in cited)
    # Then at least one cites a fact that was superseded since, and asks for review
    to_review = selectors.configurations_needing_review(user=admin)
    assert len(to_review) == demo["configurations_to_review"] >= 1
    configuration = to_review[0]
    effective = selectors.configurations_for(user=admin, account=configuration.account)
    mine = next(e for e in effective if e.configuration == configuration)
    assert mine.needs_review
    review = mine.reviews[0]
    assert review.current is not None
    assert review.current.value != review.cited.value


def test_placed_orders_have_their_order_lines(demo: dict[str, int]) -> None:
    # Given the demo's quotes and orders
    orders = list(Order.objects.prefetch_related("items__order_line"))
    placed = [o for o in orders if o.status == OrderStatus.PLACED]
    assert len(placed) == demo["placed_orders"] >= 5
    assert len(orders) - len(placed) == demo["quotes"] >= 2
    assert {o.status for o in orders} == set(OrderStatus.values)
    assert {o.origin for o in placed} >= {
        OrderOrigin.CATALOG,
        OrderOrigin.CONFIGURATION,
        OrderOrigin.REORDER,
    }
    today = timezone.localdate()
    # Then each placed order's items became order lines, as accepting a quote writes them
    for order in orders:
        items = list(order.items.all())
        assert items
        assert order.total == sum(i.total for i in items)
        assert order.number == f"{order.quoted_on.year}-{order.pk:06d}"
        assert order.valid_until == order.quoted_on + timedelta(days=30)
        for item in items:
            line = item.order_line
            if order.status != OrderStatus.PLACED:
                assert line is None
                continue
            assert line is not None
            assert order.quoted_on <= order.placed_on <= today
            assert (line.account_id, line.customer_id) == (order.account_id, order.customer_id)
            assert (line.order_ref, line.ordered_on, line.revenue) == (
                order.number,
                order.placed_on,
                item.total,
            )
            assert line.source == "order"
            assert line.category_id == item.category_id
            assert line.cost == (item.unit_cost * item.quantity).quantize(Decimal("0.01"))
    items_placed = OrderItem.objects.filter(order__status=OrderStatus.PLACED).count()
    assert OrderLine.objects.filter(source="order").count() == items_placed
    # and orders made from a configuration are for its unit or one below it
    for order in placed:
        if order.origin in (OrderOrigin.CONFIGURATION, OrderOrigin.REORDER):
            assert order.configuration is not None
            holder = order.configuration.account
            assert order.account.path.startswith(holder.path)


def test_every_price_is_what_the_offers_selectors_say(demo: dict[str, int], admin: User) -> None:
    # Given every quote and order, priced when it was quoted
    orders = Order.objects.select_related("account").prefetch_related("items")
    agreed = 0
    for order in orders:
        items = list(order.items.all())
        # When its lines are priced again, for its unit, on its day
        again = selectors.price_lines(
            user=admin,
            account=order.account,
            lines=[LineRequest(i.product_id, tuple(i.options), i.quantity) for i in items],
            on=order.quoted_on,
        )
        # Then every line is valid and costs what the order says, for the same reasons
        for item, line in zip(items, again, strict=True):
            assert line.valid, (order.number, item.sku, line.breaches)
            assert (item.unit_price, item.total, item.list_unit) == (
                line.price.unit_price,
                line.price.total,
                line.price.list_unit,
            )
            assert item.agreement_id == (line.agreement.pk if line.agreement else None)
            assert item.explanation == list(line.price.explanation)
            assert item.option_names == list(line.option_names)
            agreed += item.agreement_id is not None
    assert agreed >= 3


def test_same_seed_same_offers_and_the_catalog_is_kept(demo: dict[str, int]) -> None:
    def snapshot() -> list[tuple]:
        return (
            list(
                StandardConfiguration.objects.order_by("id").values_list(
                    "account__name", "name", "product__sku", "options", "quantity"
                )
            )
            + list(
                PriceAgreement.objects.order_by("id").values_list(
                    "account__name", "product__sku", "kind", "value", "valid_from", "valid_until"
                )
            )
            + list(
                Order.objects.order_by("id").values_list(
                    "account__name", "status", "origin", "quoted_on", "total"
                )
            )
        )

    products = list(Product.objects.order_by("sku").values_list("sku", "list_price"))
    first = snapshot()
    # When the demo is made again from the same seed, over the catalog it left
    generate(size="tiny", seed=SEED, flush=True, recompute=False)
    # Then the same offers come out, and the catalog is the same one, not a second
    assert snapshot() == first
    assert list(Product.objects.order_by("sku").values_list("sku", "list_price")) == products
