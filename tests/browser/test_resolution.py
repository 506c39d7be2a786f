"""Duplicates in a real browser: the warning while typing a near-duplicate; review and merge a pair."""

from __future__ import annotations

import os

import pytest

from rapport.accounts.models import Contact
from rapport.resolution import services
from rapport.resolution.models import DuplicatePair, PairStatus
from tests.browser.conftest import sign_in
from tests.factories import World, make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_typing_a_near_duplicate_contact_shows_the_warning(page, live_server):
    world = World()
    sign_in(page, live_server, world.rep.email)

    # When the rep starts adding "Karla Fincch" at Acme's plant
    page.goto(f"{live_server.url}/contacts/new/?account={world.acme_plant.pk}")
    page.fill("input[name=first_name]", "Karla")
    page.locator("input[name=last_name]").press_sequentially("Fincch", delay=40)

    # Then the form warns that Carla Finch is probably the same person, and why
    warning = page.locator("[data-duplicate-warning]")
    warning.wait_for()
    text = warning.inner_text()
    assert "Carla Finch" in text
    assert "same organisation (Acme Industries)" in text
    _shot(page, "contact-duplicate-warning")

    # And "Use this one" opens the existing person instead of creating another
    warning.locator("text=Use this one").click()
    page.wait_for_url(f"{live_server.url}/contacts/{world.acme_cfo.pk}/")
    assert Contact.objects.filter(last_name="Fincch").count() == 0


def test_reviewing_and_merging_a_pair_from_the_queue(page, live_server):
    world = World()
    twin = make_contact(
        world.admin,
        world.acme_emea,
        first_name="Carla",
        last_name="Fintch",
        title="Finance Director",
    )
    pair = services.pair_open(
        actor=world.admin, kind="contact", first=world.acme_cfo, second=twin, score=0.94
    )
    sign_in(page, live_server, world.manager.email)

    # When the manager opens the queue and reviews the pair
    page.goto(f"{live_server.url}/duplicates/")
    _shot(page, "queue")
    page.locator(f"a[href='/duplicates/pairs/{pair.pk}/']").click()
    page.wait_for_url(f"{live_server.url}/duplicates/pairs/{pair.pk}/")
    assert "Are these the same person?" in page.inner_text("h1")

    # and keeps the original's last name but the duplicate's title
    page.check("input[name=keep][value=left]")
    page.check("input[name=field_last_name][value=left]")
    page.check("input[name=field_title][value=right]")
    _shot(page, "pair")
    page.click("button[value=merge]")

    # Then the survivor's page opens, with both records' details merged
    page.wait_for_url(f"{live_server.url}/contacts/{world.acme_cfo.pk}/")
    page.wait_for_selector("text=Merged into")
    survivor = Contact.objects.get(pk=world.acme_cfo.pk)
    assert (survivor.last_name, survivor.title) == ("Finch", "Finance Director")
    assert not Contact.objects.filter(pk=twin.pk).exists()
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.ACCEPTED

    # And the merge history can undo it
    page.goto(f"{live_server.url}/duplicates/merges/")
    _shot(page, "merges")
    page.click("button:has-text('Undo')")
    page.wait_for_selector("text=is back, as it was")
    assert Contact.objects.filter(pk=twin.pk).exists()
