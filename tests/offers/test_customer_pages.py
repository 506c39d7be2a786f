"""The Customize pages of an account: configurations & prices, the configurator for a
customer, a configuration's page (review, versions, reorder), agreements, orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from rapport.memory.models import FactSource
from rapport.memory.selectors import attribute_get
from rapport.memory.services import fact_record
from rapport.offers import services
from rapport.offers.models import CatalogEntry, Order, PriceAgreement, StandardConfiguration
from rapport.valuation.models import OrderLine
from tests.factories import make_laptop

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop(world):
    return make_laptop(world)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_configurator_for_a_customer_prices_at_its_terms_and_saves_a_configuration(
    world, laptop
):
    services.price_agreement_create(
        actor=world.manager,
        account=world.acme,
        product=laptop,
        kind="discount",
        value="10",
        valid_from=timezone.localdate(),
    )
    client = _client(world.rep)
    url = f"/catalog/{laptop.pk}/check/?for={world.acme_emea.pk}&group_cpu=i7&quantity=2"
    verdict = client.get(url).content.decode()
    assert "A valid configuration for Acme EMEA." in verdict
    assert "Price agreement #" in verdict
    assert "which Acme EMEA inherits" in verdict
    assert "€2,070.00" in verdict
    assert "Save as a standard configuration" in verdict
    saved = client.post(
        f"/catalog/{laptop.pk}/configurations/new/",
        {
            "for": world.acme_emea.pk,
            "account": world.acme_emea.pk,
            "name": "Executive laptop",
            "options": ["i7"],
            "quantity": "2",
        },
    )
    configuration = StandardConfiguration.objects.get()
    assert saved.status_code == 302
    assert saved.url == f"/configurations/{configuration.pk}/"
    assert (configuration.account, configuration.options) == (world.acme_emea, ["i7"])
    page = client.get(saved.url).content.decode()
    assert "Executive laptop" in page
    assert "€2,070.00" in page
    assert "created" in page


def test_a_configuration_that_breaks_a_rule_is_not_saved_and_says_why(world, laptop):
    client = _client(world.rep)
    refused = client.post(
        f"/catalog/{laptop.pk}/configurations/new/",
        {
            "for": world.acme.pk,
            "account": world.acme.pk,
            "name": "Broken",
            "options": ["i5", "dock", "stand"],
            "quantity": "1",
        },
    )
    assert refused.status_code == 400
    assert "Docking station cannot go with Floor stand" in refused.content.decode()
    assert not StandardConfiguration.objects.exists()


def test_the_account_page_shows_what_is_in_use_and_what_needs_review(world, laptop):
    seats = fact_record(
        actor=world.rep,
        attribute=attribute_get(key="spec-seats"),
        value=40,
        source=FactSource.USER,
        account=world.acme,
    ).fact
    services.configuration_create(
        actor=world.rep, account=world.acme, name="Engineer laptop", product=laptop,
        options=["i7"], quantity=40, sources=[seats.pk],
    )  # fmt: skip
    fact_record(
        actor=world.rep,
        attribute=attribute_get(key="spec-seats"),
        value=55,
        source=FactSource.USER,
        account=world.acme,
    )
    client = _client(world.rep)
    account_page = client.get(f"/accounts/{world.acme_plant.pk}/").content.decode()
    assert f"/accounts/{world.acme_plant.pk}/offers/in-use/" in account_page
    card = client.get(f"/accounts/{world.acme_plant.pk}/offers/in-use/").content.decode()
    assert "Engineer laptop" in card
    assert "Needs review" in card
    offers = client.get(f"/accounts/{world.acme_plant.pk}/offers/").content.decode()
    assert "Engineer laptop" in offers
    assert "Needs review" in offers
    assert "from Acme Industries" in offers
    configuration = StandardConfiguration.objects.get()
    page = client.get(f"/configurations/{configuration.pk}/").content.decode()
    assert (
        "it was built for <strong>40 users</strong>; we now know <strong>55 users</strong>" in page
    )
    # The review: a new version citing what we know now
    saved = client.post(
        f"/configurations/{configuration.pk}/edit/",
        {"version": configuration.version, "name": "Engineer laptop", "quantity": "55",
         "group_cpu": "i7", "reason": "Seats went up to 55", "recite": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert "Needs review" not in client.get(f"/configurations/{configuration.pk}/").content.decode()
    stale = client.post(
        f"/configurations/{configuration.pk}/edit/",
        {"version": configuration.version, "name": "Other", "quantity": "1", "group_cpu": "i7",
         "reason": "late"},
    )  # fmt: skip
    assert stale.status_code == 409


def test_a_configurations_options_are_changed_on_its_page_within_the_rules(world, laptop):
    configuration = services.configuration_create(
        actor=world.rep, account=world.acme_emea, name="Desk laptop", product=laptop, options=["i5"]
    )
    client = _client(world.rep)
    page = client.get(f"/configurations/{configuration.pk}/").content.decode()
    assert 'name="group_cpu" value="i5"' in page
    assert "checked" in page
    edit = f"/configurations/{configuration.pk}/edit/"
    fields = {"version": 1, "name": "Desk laptop", "quantity": "1", "reason": "Docks for all"}

    # a dock and a floor stand rule each other out: refused in words, nothing changes
    refused = client.post(edit, {**fields, "group_cpu": "i7", "group_extras": ["dock", "stand"]})
    assert refused.status_code == 400
    assert "Docking station" in refused.content.decode()
    configuration.refresh_from_db()
    assert (configuration.options, configuration.version) == (["i5"], 1)

    saved = client.post(edit, {**fields, "group_cpu": "i7", "group_extras": ["dock"]})
    assert saved.status_code == 302
    configuration.refresh_from_db()
    assert (configuration.options, configuration.version) == (["i7", "dock"], 2)
    assert configuration.history.first().history_change_reason == "Docks for all"


def test_reorder_from_the_page_places_an_order_and_a_quote_is_accepted_or_declined(world, laptop):
    configuration = services.configuration_create(
        actor=world.rep, account=world.acme_emea, name="Desk laptop", product=laptop, options=["i5"]
    )
    client = _client(world.rep)
    ordered = client.post(
        f"/configurations/{configuration.pk}/reorder/",
        {"account": world.acme_plant.pk, "quantity": "3"},
    )
    order = Order.objects.get()
    assert ordered.url == f"/orders/{order.pk}/"
    assert (order.status, order.account, order.total) == (
        "placed",
        world.acme_plant,
        Decimal("3000.00"),
    )
    assert OrderLine.objects.filter(order_ref=order.number).count() == 1
    assert "Order placed" in client.get(ordered.url).content.decode()
    client.post(
        f"/configurations/{configuration.pk}/reorder/",
        {"account": world.acme_emea.pk, "quantity": "1", "quote": "1"},
    )
    quote = Order.objects.get(status="quote")
    assert "Accepted: place the order" in client.get(f"/orders/{quote.pk}/").content.decode()
    client.post(f"/orders/{quote.pk}/decline/", {"reason": "Too early"})
    quote.refresh_from_db()
    assert (quote.status, quote.note) == ("declined", "Declined: Too early")
    # a unit above the configuration's cannot reorder it
    refused = client.post(
        f"/configurations/{configuration.pk}/reorder/", {"account": world.acme.pk, "quantity": "1"}
    )
    assert refused.status_code == 400
    assert Order.objects.count() == 2


def test_a_manager_agrees_prices_and_keeps_the_own_catalog_on_the_page(world, laptop):
    client = _client(world.manager)
    assert client.get(f"/accounts/{world.acme.pk}/agreements/new/").status_code == 200
    made = client.post(
        f"/accounts/{world.acme.pk}/agreements/new/",
        {"product": laptop.pk, "kind": "fixed", "value": "900", "breaks": "10: 850; 50: 800",
         "valid_from": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert made.status_code == 302
    assert PriceAgreement.objects.get().break_list() == [
        (Decimal("10.00"), Decimal("850.00")),
        (Decimal("50.00"), Decimal("800.00")),
    ]
    overlap = client.post(
        f"/accounts/{world.acme.pk}/agreements/new/",
        {"product": laptop.pk, "kind": "discount", "value": "5",
         "valid_from": (timezone.localdate() + timedelta(days=3)).isoformat()},
    )  # fmt: skip
    assert overlap.status_code == 400
    assert "already prices Laptop 14 for Acme Industries" in overlap.content.decode()
    client.post(f"/accounts/{world.acme.pk}/catalog/add/", {"product": laptop.pk})
    entry = CatalogEntry.objects.get()
    page = client.get(f"/accounts/{world.acme_emea.pk}/offers/").content.decode()
    assert "may buy only these" in page
    assert "from Acme Industries" in page
    assert "€900.00 per unit" in page
    client.post(f"/catalog-entries/{entry.pk}/remove/")
    assert not CatalogEntry.objects.exists()


def test_outsiders_and_read_only_roles_cannot_use_the_pages(world, laptop):
    configuration = services.configuration_create(
        actor=world.rep, account=world.acme, name="Desk laptop", product=laptop, options=["i5"]
    )
    for url in (f"/accounts/{world.acme.pk}/offers/", f"/configurations/{configuration.pk}/"):
        assert _client(world.portal_globex).get(url).status_code == 404
    analyst = _client(world.analyst)
    assert analyst.get(f"/configurations/{configuration.pk}/").status_code == 200
    assert (
        analyst.post(
            f"/configurations/{configuration.pk}/reorder/",
            {"account": world.acme.pk, "quantity": "1"},
        ).status_code
        == 403
    )
    assert _client(world.rep).get(f"/accounts/{world.acme.pk}/agreements/new/").status_code == 403
    assert not Order.objects.exists()
