"""The account's Value tab in a real browser: reach it from the account, read it, judge."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.valuation import runners
from rapport.valuation.models import JudgementScore
from rapport.valuation.services import (
    order_line_create,
    product_category_create,
    wallet_estimate_record,
)
from tests.browser.conftest import sign_in
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


def test_a_manager_reads_an_accounts_value_and_records_a_judgement_beside_the_model(
    page, live_server
):
    # Given Acme bought hardware (3 x 1,000) and software (3 x 200), a rep estimated its wallets, and the
    # nightly recompute has run
    world = World()
    today = timezone.localdate()
    for name, revenue, wallet in (("Hardware", 1000, 12000), ("Software", 200, 2000)):
        category = product_category_create(actor=world.admin, name=name)
        for days_ago in (40, 160, 300):
            order_line_create(
                actor=world.admin,
                account=world.acme_plant,
                category=category,
                ordered_on=today - timedelta(days=days_ago),
                product=f"{name} item",
                revenue=Decimal(revenue),
                cost=Decimal(revenue) / 2,
            )
        wallet_estimate_record(
            actor=world.rep,
            account=world.acme,
            category=category,
            annual_amount=Decimal(wallet),
            source="rep_estimated",
        )
    runners.recompute(only="value")
    runners.recompute(only="tiers")

    # When the manager opens Acme and follows the Value link
    sign_in(page, live_server, world.manager.email)
    page.goto(f"{live_server.url}/accounts/{world.acme.pk}/")
    page.click("a:has-text('Value')")
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/value/")

    # Then the past margin, the share chart (drawn), the tier and its reasons are there
    assert page.inner_text("[data-kpi=margin]") == "€1,800"  # half of 3 x (1,000 + 200)
    page.wait_for_selector("[data-chart=chart-shares] canvas")
    rows = page.locator("#share-table tbody tr")
    assert rows.count() == 2
    assert "25%" in page.inner_text("#share-table tr[data-category=Hardware]")
    assert "Rep estimated" in page.inner_text("#share-table tr[data-category=Hardware]")
    assert page.get_attribute("[data-tier]", "data-tier") == "most_valuable"
    assert "Among the top 20% by value" in page.inner_text("#tier-reasons")
    assert "No one has judged it yet." in page.inner_text("#strategic-judgement")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "value-tab.png"), full_page=True)

    # When the manager records a judgement in the embedded form
    form = page.locator("#strategic form")
    form.locator("input[name=score]").fill("85")
    form.locator("[name=reason]").fill("Reference customer for the new line")
    form.locator("button[type=submit]").click()

    # Then the page reloads with it beside the model's figure, which did not change
    page.wait_for_selector("#strategic-judgement:has-text('85')")
    judgement = page.inner_text("#strategic-judgement")
    assert "Reference customer for the new line" in judgement
    assert "Max Manager" in judgement
    assert page.inner_text("#strategic-model") != ""
    assert JudgementScore.objects.get(superseded_at__isnull=True).score == 85
