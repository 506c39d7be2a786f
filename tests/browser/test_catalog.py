"""The configurator in a real browser: ticking options judges and prices them as you go."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from rapport.offers import services
from tests.browser.conftest import sign_in
from tests.factories import ProductCategoryFactory, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_configuration_that_breaks_a_rule_is_said_in_words_then_fixed_and_priced(
    page, live_server, tmp_path
):
    world = World()
    category = ProductCategoryFactory(actor=world.admin, name="Hardware")
    laptop = services.product_create(
        actor=world.manager,
        sku="LT-14",
        name="Laptop 14",
        category=category,
        list_price=Decimal(1000),
    )
    services.product_options_set(
        actor=world.manager,
        product=laptop,
        groups=[
            {
                "code": "cpu",
                "name": "Processor",
                "min_choices": 1,
                "max_choices": 1,
                "options": [
                    {"code": "i5", "name": "Core i5"},
                    {"code": "i7", "name": "Core i7", "price": "150"},
                ],
            },
            {
                "code": "memory",
                "name": "Memory",
                "min_choices": 1,
                "max_choices": 1,
                "options": [
                    {"code": "m16", "name": "16 GB"},
                    {"code": "m32", "name": "32 GB", "price": "90", "requires": ["i7"]},
                ],
            },
        ],
    )
    sign_in(page, live_server, world.rep.email)
    page.goto(f"{live_server.url}/catalog/")
    page.get_by_role("link", name="Laptop 14").click()

    # When the rep ticks Core i5 and 32 GB, which needs Core i7
    page.get_by_label("Core i5").check()
    page.get_by_label("32 GB (+€90.00)").check()
    verdict = page.locator("#verdict")
    verdict.locator("[data-verdict=invalid]").wait_for()
    assert "32 GB needs Core i7: add it or drop 32 GB." in verdict.inner_text()

    # Then choosing Core i7 makes it valid, priced with its options, for the quantity
    page.get_by_label("Core i7 (+€150.00)").check()
    page.fill("input[name=quantity]", "3")
    verdict.locator("[data-verdict=valid]").wait_for()
    expect(verdict.locator("[data-total]")).to_contain_text("3,720.00")
    assert "€1,240.00" in verdict.locator("[data-unit-price]").inner_text()
    page.screenshot(path=str(tmp_path / "catalog.png"), full_page=True)
