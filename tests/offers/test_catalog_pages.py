"""The catalog pages: the list, a product, and the configurator's live verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from rapport.offers import services
from tests.factories import make_laptop

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop(world):
    return make_laptop(world)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_catalog_lists_products_with_their_price_and_links_to_each(world, laptop):
    page = _client(world.analyst).get("/catalog/")
    assert page.status_code == 200
    text = page.content.decode()
    assert all(shown in text for shown in ("Laptop 14", "LT-14", "€1,000.00"))
    assert f'href="/catalog/{laptop.pk}/"' in text
    assert "Laptop" not in _client(world.analyst).get("/catalog/?q=phone").content.decode()


def test_the_configurator_says_what_breaks_and_prices_what_holds(world, laptop):
    client = _client(world.rep)
    url = f"/catalog/{laptop.pk}/check/"
    broken = client.get(url, {"group_extras": ["dock", "stand"], "quantity": "2"})
    text = broken.content.decode()
    assert broken.status_code == 200
    assert 'data-verdict="invalid"' in text
    assert "Choose at least 1 of Processor (none chosen)." in text
    assert "Docking station cannot go with Floor stand: choose one of them." in text

    fixed = client.get(url, {"group_cpu": "i7", "group_extras": ["dock"], "quantity": "2"})
    text = fixed.content.decode()
    assert 'data-verdict="valid"' in text
    assert all(price in text for price in ("€1,270.00", "€2,540.00"))

    page = client.get(f"/catalog/{laptop.pk}/", {"group_cpu": "i5", "quantity": "1"})
    assert page.status_code == 200
    assert 'data-verdict="valid"' in page.content.decode()
    assert "Our cost" in page.content.decode()


def test_bad_configurator_input_is_a_400_naming_the_field(world, laptop):
    answer = _client(world.rep).get(f"/catalog/{laptop.pk}/check/", {"quantity": "-1"})
    assert answer.status_code == 400
    assert "Ensure this value is greater than or equal to 0.001." in answer.content.decode()
    unknown = _client(world.rep).get(f"/catalog/{laptop.pk}/check/", {"group_cpu": "i9"})
    assert unknown.status_code == 400
    assert "Select a valid choice" in unknown.content.decode()


def test_customers_and_partners_do_not_find_the_catalog(world, laptop):
    for outsider in (world.portal_acme, world.partner_user):
        client = _client(outsider)
        assert client.get("/catalog/").status_code == 404
        assert client.get(f"/catalog/{laptop.pk}/").status_code == 404
        assert client.get(f"/catalog/{laptop.pk}/check/").status_code == 404


def test_a_manager_adds_and_edits_a_product_on_its_page(world, laptop):
    client = _client(world.manager)
    assert client.get("/catalog/new/").status_code == 200
    form = {
        "sku": "dock-1",
        "name": "Dock",
        "category": laptop.category_id,
        "unit": "piece",
        "list_price": "120",
    }
    made = client.post("/catalog/new/", form)
    assert made.status_code == 302
    dock = laptop.category.products.get(sku="DOCK-1")
    edit = client.get(f"/catalog/{dock.pk}/edit/").content.decode()
    assert f'name="version" value="{dock.version}"' in edit

    backwards = client.post(
        f"/catalog/{dock.pk}/edit/",
        {**form, "active_from": "2027-02-01", "active_until": "2027-01-01", "version": "1"},
    )
    assert backwards.status_code == 400
    assert "cannot stop being sold before it starts" in backwards.content.decode()

    services.product_update(actor=world.admin, product=dock, list_price=Decimal(130))
    stale = client.post(f"/catalog/{dock.pk}/edit/", {**form, "list_price": "99", "version": "1"})
    assert stale.status_code == 409
    assert f"Changed by {world.admin.full_name}" in stale.content.decode()
    dock.refresh_from_db()
    assert dock.list_price == Decimal(130)


def test_reps_may_not_change_the_catalog(world, laptop):
    client = _client(world.rep)
    assert client.get("/catalog/new/").status_code == 403
    assert client.post(f"/catalog/{laptop.pk}/edit/", {"sku": "x"}).status_code == 403
    assert "New product" not in client.get("/catalog/").content.decode()
