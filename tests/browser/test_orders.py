"""Orders & contracts in a real browser: add an order line, see the totals, load more lines."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rapport.valuation import services
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_rep_adds_an_order_line_and_pages_through_the_orders(page, live_server):
    world = World()
    hardware = services.product_category_create(actor=world.admin, name="Hardware")
    care = services.product_category_create(actor=world.admin, name="Service")
    today = timezone.localdate()
    services.order_lines_bulk_create(
        actor=world.rep,
        rows=[
            {
                "account": world.acme_plant if n % 2 else world.acme,
                "category": hardware,
                "ordered_on": today - timedelta(days=20 + n),
                "product": f"Spare part {n}",
                "revenue": Decimal(100 + n),
                "cost": Decimal(60),
            }
            for n in range(30)
        ],
    )
    services.subscription_create(
        actor=world.rep,
        account=world.acme_emea,
        category=care,
        name="Pump maintenance",
        started_on=today - timedelta(days=200),
        ends_on=today + timedelta(days=165),
        renewal_on=today + timedelta(days=120),
        billing_period="quarter",
        recurring_revenue=Decimal("4500"),
    )
    page.set_default_timeout(60_000)  # a loaded machine can be slow to serve the first page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.rep.email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # From the account page, the rep opens Orders & contracts
    page.goto(f"{live_server.url}/accounts/{world.acme.pk}/")
    page.click("text=Orders & contracts")
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/orders/")
    assert page.locator("#subscription-table").inner_text().count("Pump maintenance") == 1
    assert page.locator("#order-rows tr[id^=order-line-]").count() == 25
    _shot(page, "orders")

    # "Load more" brings the last five lines in place
    page.click("#order-rows .load-more-row button")
    # (a locator assertion polls from Playwright's side: a string predicate would be
    # evaluated in the page, which its Content-Security-Policy forbids)
    expect(page.locator("#order-rows tr[id^=order-line-]")).to_have_count(30)
    assert page.locator("#order-rows .load-more-row").count() == 0

    # and a new line, entered on the form, shows at the top with the totals updated
    page.click("text=Add order line")
    page.select_option("select[name=account]", str(world.acme_plant.pk))
    page.select_option("select[name=category]", str(hardware.pk))
    page.fill("input[name=ordered_on]", today.isoformat())
    page.fill("input[name=product]", "Hamburg pump")
    page.fill("input[name=revenue]", "10000")
    page.fill("input[name=cost]", "6000")
    page.click("form.valuation-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/orders/")
    assert "Hamburg pump" in page.locator("#order-rows tr").first.inner_text()
    revenue = sum(100 + n for n in range(30)) + 10000
    assert page.locator("[data-kpi=revenue]").inner_text() == f"€{revenue:,}"
    assert page.locator("[data-kpi=margin]").inner_text() == f"€{revenue - 30 * 60 - 6000:,}"
    _shot(page, "orders-after-add")
