"""In a real browser: withdraw a contact's marketing consent, be stopped e-mailing them
marketing, and find an account gone quiet."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.factories import World, build_rhythms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_withdrawn_consent_blocks_a_marketing_e_mail(page, live_server):
    world = World()
    cfo = world.acme_cfo
    sign_in(page, live_server, world.rep.email)

    # Given the rep records on Carla's page that she withdrew consent to marketing
    page.goto(f"{live_server.url}/contacts/{cfo.pk}/")
    card = page.locator("#preferences")
    card.locator("select[name=consent-status]").select_option("withdrawn")
    card.locator("select[name=consent-purpose]").select_option("marketing")
    card.locator("input[name=consent-how]").fill("Reply to the newsletter")
    card.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/contacts/{cfo.pk}/#preferences")
    card.locator(".consent-list").wait_for()  # htmx draws the card after the page
    assert "Withdrawn" in card.inner_text()
    page.screenshot(path="/tmp/prefs-contact.png", full_page=True)

    # When they try to log an outbound marketing e-mail to her
    page.goto(f"{live_server.url}/interactions/new/?account={world.acme.pk}&contact={cfo.pk}")
    page.select_option("select[name=channel]", "email")
    page.select_option("select[name=direction]", "outbound")
    page.select_option("select[name=purpose]", "marketing")
    # Then the live check shows the block with the reason before submitting
    live = page.locator("#permission-check [data-verdict=block]").first
    live.wait_for()
    assert "Withdrew consent to marketing" in live.inner_text()
    assert "Reply to the newsletter" in page.locator("#permission-check").inner_text()
    page.fill("input[name=subject]", "Autumn offers")
    page.screenshot(path="/tmp/prefs-log-check.png", full_page=True)
    page.click("form.interaction-form button[type=submit]")

    # And submitting is refused, the reason shown next to "Their people"
    error = page.locator("fieldset:has(legend:text('Their people')) .field-error").first
    error.wait_for()
    assert "Carla Finch: Withdrew consent to marketing on" in error.inner_text()
    assert "Reply to the newsletter" in error.inner_text()
    page.screenshot(path="/tmp/prefs-log-blocked.png", full_page=True)


def test_a_quiet_account_is_listed(page, live_server):
    world = World()
    build_rhythms(world)
    from rapport.interactions.cadence import cadence_recompute

    cadence_recompute()
    sign_in(page, live_server, world.rep.email)
    page.click("a.sidebar-link:has-text('Gone quiet')")
    page.wait_for_url(f"{live_server.url}/alerts/quiet/")
    rows = page.locator("#quiet-rows tr[data-organisation]")
    assert rows.count() == 2
    first = rows.first.inner_text()
    assert "Acme Industries" in first
    assert "every ~10 days" in first
    page.screenshot(path="/tmp/prefs-quiet.png", full_page=True)
