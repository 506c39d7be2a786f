"""A customer's own catalog, prices, standard configurations, quotes and orders, down a
three-level tree (Acme Industries > Acme EMEA > Plant Hamburg)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from rapport.core.models import Role
from rapport.memory.models import FactSource
from rapport.memory.selectors import attribute_get
from rapport.memory.services import fact_record
from rapport.offers import configurator, selectors, services
from rapport.offers.models import Order, OrderStatus, PriceAgreement
from rapport.offers.selectors import LineRequest
from rapport.valuation.models import OrderLine
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def _agree(world, account, product, **terms):
    terms.setdefault("kind", "discount")
    terms.setdefault("value", "10")
    terms.setdefault("valid_from", TODAY - timedelta(days=30))
    return services.price_agreement_create(
        actor=world.manager, account=account, product=product, **terms
    )


def _price(world, account, product, quantity=1, options=("i5",)):
    [line] = selectors.price_lines(
        user=world.rep,
        account=account,
        lines=[LineRequest(product.pk, tuple(options), Decimal(quantity))],
        on=TODAY,
    )
    return line


# --- prices down the tree --------------------------------------------------------------------------


def test_an_agreement_for_the_organisation_holds_for_its_plant_until_a_nearer_one(world, catalog):
    laptop = catalog["laptop"]
    top = _agree(world, world.acme, laptop, value="10")
    # Given an agreement at the top, the plant two levels down inherits it
    line = _price(world, world.acme_plant, laptop, options=("i7",))
    assert line.agreement == top
    assert line.price.unit_price == Decimal("1035.00")
    assert "agreed for Acme Industries, which Plant Hamburg inherits" in line.price.explanation[1]
    # When the division agrees its own fixed price, it governs the division and the plant
    emea = _agree(world, world.acme_emea, laptop, kind="fixed", value="850")
    assert _price(world, world.acme_plant, laptop, options=("i7",)).agreement == emea
    assert _price(world, world.acme_plant, laptop, options=("i7",)).price.unit_price == Decimal(
        "1000.00"
    )
    # and the organisation itself keeps its own
    assert _price(world, world.acme, laptop).agreement == top
    # while another customer pays list
    other = _price(world, world.globex, laptop)
    assert (other.agreement, other.price.unit_price) == (None, Decimal("1000.00"))
    assert other.price.explanation[1] == "No price agreement applies: list price."


def test_an_agreement_out_of_its_dates_does_not_apply(world, catalog):
    _agree(world, world.acme, catalog["laptop"], valid_from=TODAY + timedelta(days=1))
    assert _price(world, world.acme_plant, catalog["laptop"]).agreement is None


def test_volume_breaks_apply_at_their_quantity_and_say_so(world, catalog):
    _agree(world, world.acme, catalog["plan"], value="5", breaks=[["50", "12"], ["200", "20"]])
    assert _price(
        world, world.acme_emea, catalog["plan"], 49, options=()
    ).price.unit_price == Decimal("190.00")
    line = _price(world, world.acme_emea, catalog["plan"], 60, options=())
    assert line.price.unit_price == Decimal("176.00")
    assert line.price.explanation[2] == "Volume break from 50: 12% off list: €176.00 per unit."


def test_overlapping_agreements_for_the_same_unit_and_product_are_refused(world, catalog):
    first = _agree(
        world, world.acme_emea, catalog["laptop"], valid_until=TODAY + timedelta(days=60)
    )
    with pytest.raises(InvalidInput) as refused:
        _agree(world, world.acme_emea, catalog["laptop"], valid_from=TODAY + timedelta(days=60))
    assert refused.value.field == "valid_from"
    assert f"Agreement #{first.pk} already prices Laptop 14 for Acme EMEA" in str(refused.value)
    # the day after it ends is free, and another unit may have its own meanwhile
    _agree(world, world.acme_emea, catalog["laptop"], valid_from=TODAY + timedelta(days=61))
    _agree(world, world.acme_plant, catalog["laptop"])
    assert PriceAgreement.objects.count() == 3


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"value": "-5"}, "value"),
        ({"value": "120"}, "value"),
        ({"kind": "rebate"}, "kind"),
        ({"breaks": [["50", "10"], ["50", "12"]]}, "breaks"),
        ({"breaks": [["x", "10"]]}, "breaks.0.from_quantity"),
        ({"valid_until": TODAY - timedelta(days=60)}, "valid_until"),
    ],
)
def test_a_bad_agreement_names_its_field_and_writes_nothing(world, catalog, terms, field):
    with pytest.raises(InvalidInput) as refused:
        _agree(world, world.acme, catalog["laptop"], **terms)
    assert refused.value.field == field
    assert not PriceAgreement.objects.exists()


def test_an_account_catalog_limits_what_it_may_buy_and_be_priced(world, catalog):
    services.catalog_entry_add(actor=world.manager, account=world.acme, category=catalog["care"])
    # The plant inherits the organisation's catalog: care plans yes, laptops no
    assert _price(world, world.acme_plant, catalog["plan"], options=()).buyable
    assert not _price(world, world.acme_plant, catalog["laptop"]).buyable
    with pytest.raises(InvalidInput) as refused:
        _agree(world, world.acme_plant, catalog["laptop"])
    assert refused.value.field == "product"
    assert "not on Plant Hamburg's catalog" in str(refused.value)
    # The division adds the laptop to its own catalog: the plant below may buy it now
    services.catalog_entry_add(
        actor=world.manager, account=world.acme_emea, product=catalog["laptop"]
    )
    assert _price(world, world.acme_plant, catalog["laptop"]).buyable
    assert not _price(world, world.acme, catalog["laptop"]).buyable


def test_reps_may_not_agree_prices(world, catalog):
    with pytest.raises(PermissionDenied):
        services.price_agreement_create(
            actor=world.rep,
            account=world.acme,
            product=catalog["laptop"],
            kind="discount",
            value="10",
            valid_from=TODAY,
        )


def test_pricing_a_hundred_lines_takes_the_same_queries_as_one(world, catalog):
    _agree(world, world.acme, catalog["laptop"])
    one = [LineRequest(catalog["laptop"].pk, ("i5",), Decimal(1))]
    hundred = [
        LineRequest(
            catalog["laptop" if n % 2 else "plan"].pk, ("i7",) if n % 2 else (), Decimal(n + 1)
        )
        for n in range(100)
    ]
    with CaptureQueriesContext(connection) as few:
        selectors.price_lines(user=world.rep, account=world.acme_plant, lines=one, on=TODAY)
    with CaptureQueriesContext(connection) as many:
        priced = selectors.price_lines(
            user=world.rep, account=world.acme_plant, lines=hundred, on=TODAY
        )
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(priced) == 100


def test_a_line_is_judged_by_the_rules_the_product_shows(world, catalog):
    # Given a product whose options spread over groups, one required group still empty,
    # and a plain product beside it on the same order
    desk = services.product_create(
        actor=world.manager,
        sku="desk-1",
        name="Desk",
        category=catalog["hardware"],
        list_price=Decimal(300),
        cost=Decimal(100),
    )
    groups = [
        {"code": "top", "name": "Top", "min_choices": 1, "max_choices": 1, "options": [
            {"code": "oak", "name": "Oak", "price": "80", "requires": ["legs-steel"]},
            {"code": "birch", "name": "Birch", "price": "40"},
        ]},
        {"code": "cable", "name": "Cable tray", "min_choices": 1, "options": []},
        {"code": "legs", "name": "Legs", "max_choices": 1, "options": [
            {"code": "legs-steel", "name": "Steel legs", "price": "60", "excludes": ["oak"]},
            {"code": "legs-wood", "name": "Wooden legs", "only_for": ["Retail"]},
        ]},
    ]  # fmt: skip
    desk = services.product_options_set(actor=world.manager, product=desk, groups=groups)
    chosen = ("legs-wood", "oak", "birch", "legs-steel", "nope")
    # When an order prices it next to the plain product, twice
    lines = [
        LineRequest(desk.pk, chosen, Decimal(2)),
        LineRequest(catalog["plan"].pk, (), Decimal(1)),
        LineRequest(desk.pk, chosen, Decimal(3)),
    ]
    first, plan, again = selectors.price_lines(
        user=world.rep, account=world.acme_plant, lines=lines, on=TODAY
    )
    # Then each desk line breaks what the product's own rules say, in the product's order
    product = selectors.product_get(user=world.manager, pk=desk.pk)
    expected = configurator.breaches(
        product.rules(),
        chosen,
        customer_categories=selectors.customer_categories(world.acme_plant),
    )
    assert [b.rule for b in expected] == [
        "unknown", "too many", "too few", "too many", "excludes", "only for",
    ]  # fmt: skip
    assert first.breaches == expected
    assert again.breaches == expected
    assert first.option_names == ("Wooden legs", "Oak", "Birch", "Steel legs")
    assert first.price.options_price == Decimal(180)
    assert (plan.breaches, plan.option_names, plan.price.options_price) == ([], (), 0)


# --- standard configurations ------------------------------------------------------------------------


def _configure(world, account, name="Executive laptop", options=("i7", "dock"), **fields):
    return services.configuration_create(
        actor=world.rep,
        account=account,
        name=name,
        product=fields.pop("product", None) or fields.pop("laptop"),
        options=options,
        **fields,
    )


def test_a_configuration_is_inherited_down_the_tree_unless_a_unit_has_its_own(world, catalog):
    laptop = catalog["laptop"]
    top = _configure(world, world.acme, laptop=laptop, quantity=2)
    plant_view = selectors.configurations_for(user=world.rep, account=world.acme_plant)
    assert [(e.configuration, e.inherited_from) for e in plant_view] == [(top, world.acme)]
    assert plant_view[0].option_names == ("Core i7", "Docking station")
    own = _configure(world, world.acme_emea, laptop=laptop, options=("i5",), buying_role="end_user")
    assert [
        e.configuration
        for e in selectors.configurations_for(user=world.rep, account=world.acme_plant)
    ] == [own]
    assert [
        e.configuration for e in selectors.configurations_for(user=world.rep, account=world.acme)
    ] == [top]
    # and the other customer sees none of Acme's
    assert selectors.configurations_for(user=world.rep, account=world.globex) == []


def test_a_configuration_that_breaks_a_rule_is_refused_with_every_rule_in_words(world, catalog):
    with pytest.raises(InvalidInput) as refused:
        _configure(world, world.acme, laptop=catalog["laptop"], options=("dock", "stand"))
    assert refused.value.field == "options"
    assert str(refused.value) == (
        "Choose at least 1 of Processor (none chosen). "
        "Docking station cannot go with Floor stand: choose one of them."
    )
    with pytest.raises(InvalidInput) as refused:
        _configure(world, world.acme, laptop=catalog["laptop"], quantity="-1")
    assert refused.value.field == "quantity"
    with pytest.raises(InvalidInput) as refused:
        _configure(world, world.acme, laptop=catalog["laptop"], buying_role="boss")
    assert refused.value.field == "buying_role"


def test_each_change_is_a_version_with_who_and_why(world, catalog):
    configuration = _configure(world, world.acme, laptop=catalog["laptop"])
    services.configuration_update(
        actor=world.rep,
        configuration=configuration,
        reason="Executives asked for the faster processor only",
        expected_version=configuration.version,
        options=["i7"],
    )
    versions = selectors.configuration_versions(user=world.rep, configuration=configuration)
    assert [v.history_change_reason for v in versions] == [
        "Executives asked for the faster processor only",
        "created",
    ]
    assert versions[0].history_user == world.rep
    assert versions[0].changed == [("options", ["i7", "dock"], ["i7"])]
    with pytest.raises(InvalidInput) as refused:
        services.configuration_update(
            actor=world.rep, configuration=configuration, reason="", quantity=3
        )
    assert refused.value.field == "reason"


def test_a_superseded_fact_flags_the_configuration_for_review_with_both_values(world, catalog):
    seats = fact_record(
        actor=world.rep,
        attribute=attribute_get(key="spec-seats"),
        value=120,
        source=FactSource.USER,
        account=world.acme_emea,
    ).fact
    configuration = _configure(
        world, world.acme_emea, laptop=catalog["laptop"], quantity=120, sources=[seats.pk]
    )
    [entry] = selectors.configurations_for(user=world.rep, account=world.acme_emea)
    assert not entry.needs_review
    # When the customer tells us a new number of seats
    fact_record(
        actor=world.rep,
        attribute=attribute_get(key="spec-seats"),
        value=150,
        source=FactSource.USER,
        account=world.acme_emea,
    )
    [entry] = selectors.configurations_for(user=world.rep, account=world.acme_plant)
    assert entry.needs_review
    [review] = entry.reviews
    assert (review.cited.display, review.current.display) == ("120 users", "150 users")
    assert selectors.configurations_needing_review(user=world.rep) == [configuration]
    # Citing the current fact again is the review done
    services.configuration_update(
        actor=world.rep,
        configuration=configuration,
        reason="Seats now 150",
        quantity=150,
        sources=[review.current.pk],
    )
    assert selectors.configurations_needing_review(user=world.rep) == []
    # and a superseded fact cannot be cited
    with pytest.raises(InvalidInput) as refused:
        _configure(
            world, world.acme_emea, name="Other", laptop=catalog["laptop"], sources=[seats.pk]
        )
    assert refused.value.field == "sources.0"


# --- quotes, orders, reorder ------------------------------------------------------------------------


def test_an_accepted_quote_becomes_order_lines_at_frozen_prices(world, catalog):
    agreement = _agree(world, world.acme, catalog["laptop"], value="10")
    quote = services.quote_create(
        actor=world.rep,
        account=world.acme_plant,
        lines=[
            LineRequest(catalog["laptop"].pk, ("i7", "dock"), Decimal(4)),
            LineRequest(catalog["plan"].pk, (), Decimal(4)),
        ],
        on=TODAY,
    )
    assert quote.number == f"2026-{quote.pk:06d}"
    assert quote.total == Decimal("4572.00") + Decimal("800.00")
    services.quote_accept(actor=world.rep, order=quote, on=TODAY)
    quote.refresh_from_db()
    assert quote.status == OrderStatus.PLACED
    assert OrderLine.objects.filter(order_ref=quote.number, source="order").count() == 2
    laptop_line = OrderLine.objects.get(external_id=f"rapport:{quote.number}:1")
    assert (laptop_line.account, laptop_line.revenue, laptop_line.cost, laptop_line.discount) == (
        world.acme_plant,
        Decimal("4572.00"),
        Decimal("2800.00"),
        Decimal("508.00"),
    )
    # When the agreement changes later, the order keeps its prices
    services.price_agreement_update(actor=world.manager, agreement=agreement, value="30")
    item = Order.objects.get(pk=quote.pk).items.get(position=1)
    assert item.unit_price == Decimal("1143.00")
    laptop_line.refresh_from_db()
    assert laptop_line.revenue == Decimal("4572.00")
    assert _price(
        world, world.acme_plant, catalog["laptop"], options=("i7", "dock")
    ).price.unit_price == Decimal("889.00")
    with pytest.raises(Conflict):
        services.quote_accept(actor=world.rep, order=quote, on=TODAY)


def test_a_bad_line_is_refused_naming_it_and_nothing_is_written(world, catalog):
    cases = [
        ([LineRequest(catalog["laptop"].pk, ("dock",), Decimal(1))], "lines.0.options"),
        (
            [
                LineRequest(catalog["plan"].pk, (), Decimal(1)),
                LineRequest(catalog["plan"].pk, (), Decimal(-2)),
            ],
            "lines.1.quantity",
        ),
        ([LineRequest(999_999, (), Decimal(1))], "lines.0.product_id"),
    ]
    for lines, field in cases:
        with pytest.raises(InvalidInput) as refused:
            services.quote_create(actor=world.rep, account=world.acme, lines=lines, on=TODAY)
        assert refused.value.field == field
    assert not Order.objects.exists()


def test_an_expired_quote_cannot_be_accepted(world, catalog):
    quote = services.quote_create(
        actor=world.rep,
        account=world.acme,
        lines=[LineRequest(catalog["plan"].pk, (), Decimal(1))],
        on=TODAY,
        valid_until=TODAY + timedelta(days=5),
    )
    with pytest.raises(InvalidInput) as refused:
        services.quote_accept(actor=world.rep, order=quote, on=TODAY + timedelta(days=6))
    assert refused.value.field == "valid_until"
    assert not OrderLine.objects.exists()


def test_reorder_turns_a_configuration_into_an_order_for_a_unit_below_in_one_step(world, catalog):
    configuration = _configure(world, world.acme_emea, laptop=catalog["laptop"], quantity=3)
    order = services.configuration_reorder(
        actor=world.rep, configuration=configuration, account=world.acme_plant, on=TODAY
    )
    assert (order.status, order.origin, order.configuration, order.account) == (
        OrderStatus.PLACED,
        "reorder",
        configuration,
        world.acme_plant,
    )
    assert order.total == Decimal("3810.00")
    assert OrderLine.objects.get(order_ref=order.number).quantity == 3
    with pytest.raises(InvalidInput) as refused:
        services.configuration_reorder(
            actor=world.rep, configuration=configuration, account=world.acme
        )
    assert refused.value.field == "account"


def test_portal_and_partner_users_of_another_organisation_see_none_of_its_offers(world, catalog):
    _configure(world, world.acme, laptop=catalog["laptop"])
    order = services.order_place(
        actor=world.rep,
        account=world.acme,
        lines=[LineRequest(catalog["plan"].pk, (), Decimal(1))],
        on=timezone.localdate(),
    )
    other_partner = make_user(Role.PARTNER, full_name="Sam South", partner=world.other_partner)
    for outsider in (world.portal_globex, other_partner):
        with pytest.raises(NotFound):
            selectors.configurations_for(user=outsider, account=world.acme)
        with pytest.raises(NotFound):
            selectors.order_get(user=outsider, pk=order.pk)
