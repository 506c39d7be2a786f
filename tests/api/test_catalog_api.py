"""The catalog through the API: products, their options and rules, checking a configuration."""

from __future__ import annotations

import json

import pytest

from rapport.offers.models import Option, OptionGroup, Product
from tests.api.conftest import BASE
from tests.factories import ProductCategoryFactory

pytestmark = pytest.mark.django_db

LAPTOP_OPTIONS = {
    "groups": [
        {
            "code": "cpu",
            "name": "Processor",
            "min_choices": 1,
            "max_choices": 1,
            "options": [
                {"code": "i5", "name": "Core i5"},
                {"code": "i7", "name": "Core i7", "price": "150.00"},
            ],
        },
        {
            "code": "memory",
            "name": "Memory",
            "min_choices": 1,
            "max_choices": 1,
            "options": [
                {"code": "m16", "name": "16 GB"},
                {"code": "m32", "name": "32 GB", "price": "90.00", "requires": ["i7"]},
            ],
        },
        {
            "code": "service",
            "name": "Service level",
            "max_choices": 1,
            "options": [
                {"code": "gold", "name": "Gold support", "price": "200", "only_for": ["A"]},
            ],
        },
    ]
}


@pytest.fixture
def category(world):
    return ProductCategoryFactory(actor=world.admin, name="Hardware")


@pytest.fixture
def laptop(world, api_as, category):
    api = api_as(world.manager)
    made = api.post(
        "/products",
        {"sku": "lt-14", "name": "Laptop 14", "category_id": category.pk, "list_price": "1000"},
    )
    assert made.status_code == 201, made.json()
    product_id = made.json()["id"]
    put = api.raw("put", f"/products/{product_id}/options", json.dumps(LAPTOP_OPTIONS))
    assert put.status_code == 200, put.json()
    return Product.objects.get(pk=product_id)


def test_a_manager_builds_a_product_and_staff_read_it_with_its_rules(world, api_as, laptop):
    read = api_as(world.analyst).get(f"/products/{laptop.pk}")
    assert read.status_code == 200
    body = read.json()
    assert (body["sku"], body["list_price"], body["currency"]) == ("LT-14", "1000.00", "EUR")
    assert read["ETag"] == f'"{body["version"]}"' == '"2"'
    assert [g["code"] for g in body["option_groups"]] == ["cpu", "memory", "service"]
    memory = body["option_groups"][1]
    assert memory["options"][1] == {
        "code": "m32",
        "name": "32 GB",
        "price": "90.00",
        "requires": ["i7"],
        "excludes": [],
        "only_for": [],
    }


def test_a_configuration_is_judged_in_words_and_priced_at_list(world, api_as, laptop):
    api = api_as(world.rep)
    broken = api.post(
        f"/products/{laptop.pk}/check", {"options": ["i5", "m32", "gold"], "quantity": 3}
    )
    assert broken.status_code == 200
    body = broken.json()
    assert body["valid"] is False
    assert [b["message"] for b in body["breaches"]] == [
        "32 GB needs Core i7: add it or drop 32 GB.",
        "Gold support is only for customers in A.",
    ]
    assert (body["unit_price"], body["total"]) == ("1290.00", "3870.00")

    fixed = api.post(
        f"/products/{laptop.pk}/check",
        {"options": ["i7", "m32", "gold"], "customer_categories": ["A"]},
    ).json()
    assert (fixed["valid"], fixed["breaches"], fixed["unit_price"]) == (True, [], "1440.00")


def test_a_bad_option_structure_is_refused_by_its_path_and_nothing_changes(world, api_as, laptop):
    api = api_as(world.manager)
    broken = json.loads(json.dumps(LAPTOP_OPTIONS))
    broken["groups"][1]["options"][1]["requires"] = ["i9"]
    answer = api.raw("put", f"/products/{laptop.pk}/options", json.dumps(broken))
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "groups.1.options.1.requires": ["No option of this product is coded 'i9'."]
    }
    backwards = json.loads(json.dumps(LAPTOP_OPTIONS))
    backwards["groups"][0]["min_choices"] = 2
    answer = api.raw("put", f"/products/{laptop.pk}/options", json.dumps(backwards))
    assert answer.json()["errors"] == {
        "groups.0.max_choices": ["At most 1 cannot be fewer than at least 2."]
    }
    assert OptionGroup.objects.filter(product=laptop).count() == 3
    assert Option.objects.get(product=laptop, code="m32").requires == ["i7"]
    assert Product.objects.get(pk=laptop.pk).version == 2


def test_the_options_are_not_replaced_from_a_stale_version(world, api_as, laptop):
    client = api_as(world.manager).client
    url = f"{BASE}/products/{laptop.pk}/options"
    sent = json.dumps({"groups": []})
    stale = client.put(url, sent, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    fresh = client.put(url, sent, content_type="application/json", HTTP_IF_MATCH='"2"')
    assert (fresh.status_code, fresh.json()["option_groups"], fresh["ETag"]) == (200, [], '"3"')


def test_product_input_is_checked_field_by_field(world, api_as, category, laptop):
    api = api_as(world.manager)
    same_sku = api.post(
        "/products",
        {"sku": "LT-14", "name": "Another", "category_id": category.pk, "list_price": "1"},
    )
    assert same_sku.status_code in (400, 409)
    assert "sku" in same_sku.json()["errors"]
    backwards = api.patch(
        f"/products/{laptop.pk}", {"active_from": "2027-02-01", "active_until": "2027-01-01"}
    )
    assert backwards.status_code == 400
    assert backwards.json()["errors"] == {
        "active_until": ["The product cannot stop being sold before it starts."]
    }
    negative = api.post(
        "/products",
        {"sku": "x", "name": "X", "category_id": category.pk, "list_price": "-1"},
    )
    assert negative.status_code == 400
    assert "list_price" in negative.json()["errors"]
    no_category = api.post(
        "/products", {"sku": "y", "name": "Y", "category_id": 999999, "list_price": "1"}
    )
    assert no_category.status_code in (400, 404)
    assert "category_id" in no_category.json()["errors"]
    assert Product.objects.count() == 1


def test_only_managers_change_the_catalog_and_only_staff_see_it(world, api_as, category, laptop):
    refused = api_as(world.rep).post(
        "/products", {"sku": "z", "name": "Z", "category_id": category.pk, "list_price": "1"}
    )
    assert refused.status_code == 403
    for outsider in (world.portal_acme, world.partner_user):
        api = api_as(outsider)
        assert api.get("/products").status_code == 404
        assert api.get(f"/products/{laptop.pk}").status_code == 404
        assert api.post(f"/products/{laptop.pk}/check", {"options": []}).status_code == 404


def test_the_catalog_lists_by_name_a_page_at_a_time(world, api_as, category):
    api = api_as(world.manager)
    for n in range(7):
        api.post(
            "/products",
            {"sku": f"p{n}", "name": f"Part {n}", "category_id": category.pk, "list_price": "5"},
        )
    api.patch(f"/products/{Product.objects.get(sku='P6').pk}", {"active_until": "2020-01-01"})
    seen, cursor = [], None
    while True:
        page = api.get("/products", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P{n}" for n in range(7)]
    sold = api.get("/products", {"sellable_on": "2026-12-07", "q": "part"}).json()["items"]
    assert [p["sku"] for p in sold] == [f"P{n}" for n in range(6)]


def test_reading_a_product_costs_the_same_queries_whatever_its_options(
    world, api_as, laptop, django_assert_max_num_queries
):
    api = api_as(world.analyst)
    big = {
        "groups": [
            {
                "code": f"g{g}",
                "options": [{"code": f"o{g}-{o}", "price": "1"} for o in range(10)],
            }
            for g in range(6)
        ]
    }
    assert (
        api_as(world.manager)
        .raw("put", f"/products/{laptop.pk}/options", json.dumps(big))
        .status_code
        == 200
    )
    with django_assert_max_num_queries(8):
        assert api.get(f"/products/{laptop.pk}").status_code == 200
    with django_assert_max_num_queries(8):
        checked = api.post(f"/products/{laptop.pk}/check", {"options": ["o0-1", "o5-9"]})
    assert checked.json()["unit_price"] == "1002.00"
