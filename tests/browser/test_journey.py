"""A user's first journey in a real browser: sign in, open an account, see the org chart,
log an interaction and find it on the timeline."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_open_account_see_org_chart_log_interaction(page, live_server):
    # Given an organisation with a buying centre
    world = World()

    # When the admin signs in and opens the account
    sign_in(page, live_server, world.admin.email, "correct-horse-battery")
    page.goto(f"{live_server.url}/accounts/")
    page.click("text=Acme Industries")
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/")

    # Then the buying-centre org chart is drawn (ECharts renders into a canvas)
    page.wait_for_selector("[data-org-chart] canvas")
    assert page.locator(".gap-warning").count() >= 1  # e.g. no known approver

    # And the timeline shows the existing interaction
    page.wait_for_selector("text=Acme site survey")

    # When they log a new interaction from the account page
    page.goto(f"{live_server.url}/interactions/new/?account={world.acme.pk}")
    page.select_option("select[name=channel]", "meeting")
    page.select_option("select[name=direction]", "two_way")
    page.fill("input[name=subject]", "Quarterly business review")
    page.fill("textarea[name=summary]", "Walked through adoption figures with the CFO.")
    page.click("form.interaction-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/**")

    # Then it appears on the account's timeline
    page.wait_for_selector("text=Quarterly business review")


def test_portal_user_cannot_open_another_account(page, live_server):
    world = World()
    sign_in(page, live_server, world.portal_globex.email, "correct-horse-battery")
    response = page.goto(f"{live_server.url}/accounts/{world.acme.pk}/")
    assert response is not None
    assert response.status == 404
    assert "Acme Industries" not in page.content()
