"""Pick up where we left off, in a real browser: log a call with a commitment from the form,
land on the account page, see it in "Where we left off", complete it."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.interactions.models import Commitment
from tests.browser.conftest import sign_in
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("LEFTOFF_SCREENSHOTS")  # a folder: save pages to look at them


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"leftoff-{name}.png"), full_page=True)


def test_log_a_call_with_a_commitment_see_it_where_we_left_off_and_complete_it(page, live_server):
    # Given the rep signed in
    world = World()
    sign_in(page, live_server, world.rep.email)
    tomorrow = timezone.localdate() + timedelta(days=1)

    # When they log a call on a new thread, promising the revised quote for tomorrow
    page.goto(f"{live_server.url}/interactions/new/?account={world.acme.pk}")
    page.select_option("select[name=channel]", "call")
    page.select_option("select[name=direction]", "two_way")
    page.fill("input[name=subject]", "Pricing call")
    page.fill("input[name=new_thread_title]", "2027 renewal")
    page.select_option("select[name=commitment_1_owed_by]", "us")
    page.fill("input[name=commitment_1_what]", "send the revised quote")
    page.fill("input[name=commitment_1_due]", tomorrow.isoformat())
    _shot(page, "form")
    page.click("form.interaction-form button[type=submit]")

    # Then they land on the account page, which opens with "Where we left off"
    page.wait_for_url(f"{live_server.url}/accounts/{world.acme.pk}/")
    card = page.locator("#where-we-left-off")
    card.wait_for()
    assert card.locator("a.title", has_text="2027 renewal").count() == 1
    promise = card.locator("li", has_text="send the revised quote")
    assert promise.count() == 1
    assert "due tomorrow" in promise.inner_text()
    _shot(page, "account")

    # When they mark it done from the card
    promise.locator("button", has_text="Done").click()

    # Then the row says so in place, and it is done
    page.wait_for_selector("#where-we-left-off li.settled:has-text('send the revised quote')")
    commitment = Commitment.objects.get()
    assert (commitment.status, commitment.done_by_id) == ("done", world.rep.pk)

    # And on reload it is no longer where we left off
    page.reload()
    assert page.locator("#where-we-left-off li", has_text="send the revised quote").count() == 0
    _shot(page, "after")
