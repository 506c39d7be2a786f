"""The learning memory in a real browser: learn on a call, see it with its source, never ask twice."""

from __future__ import annotations

import os

import pytest

from rapport.memory.models import Asking, Fact
from tests.browser.conftest import sign_in
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_preference_learned_on_a_call_is_never_asked_again(page, live_server):
    world = World()
    buyer = world.acme_buyer
    sign_in(page, live_server, world.rep.email)

    # When the rep logs a call and records, in the same form, what the buyer prefers
    page.goto(
        f"{live_server.url}/interactions/new/?account={world.acme_plant.pk}&contact={buyer.pk}"
    )
    page.select_option("select[name=channel]", "call")
    page.select_option("select[name=direction]", "two_way")
    page.fill("input[name=subject]", "Rollout planning call")
    page.select_option("select[name=learned_1_about]", f"contact:{buyer.pk}")
    page.select_option("select[name=learned_1_attribute]", "pref-meeting-format")
    # choosing the attribute swaps in a select of its options
    page.wait_for_selector("#learned-value-1 select[name=learned_1_value]")
    page.select_option("#learned-value-1 select[name=learned_1_value]", "video")
    _shot(page, "log-with-learned")
    page.click("form.interaction-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme_plant.pk}/**")

    # Then the contact's page shows it with its source
    page.goto(f"{live_server.url}/contacts/{buyer.pk}/")
    card = page.locator("#what-we-know")
    card.locator("text=Preferred meeting format").wait_for()
    assert "video" in card.inner_text()
    assert "Rollout planning call" in card.inner_text()
    _shot(page, "contact-what-we-know")

    # When a colleague is about to ask it again, the known answer is shown instead
    page.goto(f"{live_server.url}/memory/ask/?contact={buyer.pk}&attribute=pref-meeting-format")
    page.wait_for_selector("text=We already know this")
    assert "video" in page.locator(".known-answer").inner_text()
    _shot(page, "ask-known")

    # And a deliberate re-ask must say why
    page.click("summary:has-text('Ask again anyway')")
    page.click("button:has-text('Record the re-ask')")
    page.wait_for_selector(".field-error")
    assert Asking.objects.count() == 0
    page.fill("input[name=reason]", "Confirm before the site visit")
    page.select_option("select[name=answer]", "in person")
    page.click("button:has-text('Record the re-ask')")
    page.wait_for_url(f"{live_server.url}/contacts/{buyer.pk}/profile/")
    page.wait_for_selector("text=in person")
    _shot(page, "profile")

    asking = Asking.objects.get()
    assert asking.is_reask
    assert asking.reask_reason == "Confirm before the site visit"
    assert list(
        Fact.objects.filter(contact=buyer).order_by("recorded_at").values_list("display", flat=True)
    ) == ["video", "in person"]


def test_the_customer_answers_a_questionnaire(page, live_server):
    world = World()
    sign_in(page, live_server, world.rep.email)
    page.goto(f"{live_server.url}/contacts/{world.acme_buyer.pk}/profile/")
    page.click("button:has-text('Create link')")
    link = page.locator("input.copy-link").input_value()
    assert "/q/" in link

    # The customer opens it without signing in
    customer = page.context.browser.new_context()
    their_page = customer.new_page()
    their_page.goto(link)
    their_page.wait_for_selector("text=What we don't know yet")
    assert "Globex" not in their_page.content()
    _shot(their_page, "questionnaire")
    their_page.fill("input[name=spec-seats]", "40")
    their_page.click("button:has-text('Send my answers')")
    their_page.wait_for_selector("text=Thank you")
    customer.close()

    fact = Fact.objects.get(attribute__key="spec-seats")
    assert (fact.value, fact.source, fact.said_by) == (40, "questionnaire", world.acme_buyer)
