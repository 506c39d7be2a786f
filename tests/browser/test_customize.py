"""Customize in a real browser: configure a product for a division, break a rule, fix it,
save it as the division's standard configuration, and reorder it in one step."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from rapport.offers.models import Order, StandardConfiguration
from rapport.valuation.models import OrderLine
from tests.browser.conftest import sign_in
from tests.factories import World, make_laptop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_division_standard_configuration_is_built_fixed_saved_and_reordered(page, live_server):
    world = World()
    make_laptop(world)
    page.set_default_timeout(60_000)
    sign_in(page, live_server, world.rep.email)

    # From the division's Configurations & prices page, the rep configures a product for it
    page.goto(f"{live_server.url}/accounts/{world.acme_emea.pk}/offers/")
    page.get_by_role("link", name="Configure a product").click()
    page.get_by_role("link", name="Laptop 14").click()
    expect(page.locator("[data-for-account]")).to_contain_text("Acme EMEA")

    # A docking station with a floor stand breaks a rule, said in words
    page.get_by_label("Core i7 (+€150.00)").check()
    page.get_by_label("Docking station (+€120.00)").check()
    page.get_by_label("Floor stand (+€40.00)").check()
    verdict = page.locator("#verdict")
    expect(verdict.locator("[data-breaches]")).to_contain_text(
        "Docking station cannot go with Floor stand: choose one of them."
    )
    expect(verdict.locator("[data-save-configuration]")).to_have_count(0)

    # Dropping the stand makes it valid, priced for the division, and it can be saved
    page.get_by_label("Floor stand (+€40.00)").uncheck()
    page.fill("input[name=quantity]", "5")
    expect(verdict.locator("[data-verdict=valid]")).to_be_visible()
    expect(verdict.locator("[data-total]")).to_contain_text("6,350.00")
    save = verdict.locator("[data-save-configuration]")
    save.get_by_label("Name").fill("Executive laptop")
    _shot(page, "customize-configurator")
    save.get_by_role("button", name="Save configuration").click()

    # The configuration's page: the division's, version one, priced today
    page.wait_for_url(f"{live_server.url}/configurations/*/")
    configuration = StandardConfiguration.objects.get()
    assert (configuration.account_id, configuration.options) == (world.acme_emea.pk, ["i7", "dock"])
    expect(page.locator("[data-total]")).to_contain_text("6,350.00")
    _shot(page, "customize-configuration")

    # The plant below inherits it, and reorders it from its own page in one step
    page.goto(f"{live_server.url}/accounts/{world.acme_plant.pk}/offers/")
    row = page.locator("[data-configuration='Executive laptop']")
    expect(row).to_contain_text("from Acme EMEA")
    _shot(page, "customize-account")
    row.get_by_role("button", name="Reorder").click()
    page.wait_for_url(f"{live_server.url}/orders/*/")
    expect(page.locator("[data-status]")).to_have_text("Order placed")
    expect(page.locator("[data-order-total]")).to_contain_text("6,350.00")
    order = Order.objects.get()
    assert (order.origin, order.account_id, order.configuration_id) == (
        "reorder",
        world.acme_plant.pk,
        configuration.pk,
    )
    assert OrderLine.objects.get(order_ref=order.number).revenue == 6350
    _shot(page, "customize-order")
