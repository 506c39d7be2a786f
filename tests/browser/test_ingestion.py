"""Importing a mailbox in a real browser: twice, and each message is on the timeline once."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from tests.browser.conftest import sign_in
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path / "var"


def _mailbox(tmp_path, world: World) -> str:
    """Two messages with Acme's CFO and one from a stranger, as an mbox file."""
    cfo = world.acme_cfo.identities.get(is_primary=True).normalized
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(path))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n, (sender, to, subject) in enumerate(
        [
            (cfo, world.admin.email, "Budget for the new plant"),
            (world.admin.email, cfo, "Re: Budget for the new plant"),
            ("nia@newco.test", world.admin.email, "Introduction from NewCo"),
        ]
    ):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, subject
        msg["Date"] = format_datetime(start + timedelta(hours=n))
        msg["Message-ID"] = f"<browser-{n}@mail.test>"
        msg.set_content(f"Message {n}")
        box.add(msg)
    box.close()
    return str(path)


def _import(page, live_server, path: str) -> None:
    page.click("a.sidebar-link:has-text('Import')")
    page.wait_for_url(f"{live_server.url}/import/")
    page.click("a:has-text('E-mail & calendar files')")
    page.wait_for_url(f"{live_server.url}/interactions/import/")
    page.set_input_files("input[name=file]", path)
    page.click("form.ingestion-form button[type=submit]")
    page.wait_for_selector("#ingestion-progress[data-run-status=done]")


def test_importing_a_mailbox_twice_shows_each_message_once(page, live_server, tmp_path):
    # Given an admin and a mailbox file
    world = World()
    path = _mailbox(tmp_path, world)
    sign_in(page, live_server, world.admin.email)

    # When they import it on the import page
    _import(page, live_server, path)

    # Then the run finishes with two interactions and one message for review
    assert page.text_content("[data-count=created]") == "2"
    assert page.text_content("[data-count=review]") == "1"
    page.screenshot(path="/tmp/ingest-run.png", full_page=True)

    # When they import the same file again
    _import(page, live_server, path)

    # Then the second run reports every message as a duplicate and creates nothing
    assert page.text_content("[data-count=created]") == "0"
    assert page.text_content("[data-count=duplicates]") == "3"
    page.goto(f"{live_server.url}/interactions/import/")
    page.screenshot(path="/tmp/ingest-new.png", full_page=True)

    # And Acme's timeline shows each message once
    page.goto(f"{live_server.url}/interactions/?account={world.acme.pk}")
    page.wait_for_selector("text=Re: Budget for the new plant")
    assert page.locator("text='Budget for the new plant'").count() == 1
    assert page.locator("text='Re: Budget for the new plant'").count() == 1

    # And the stranger's message waits in the review queue
    page.goto(f"{live_server.url}/interactions/import/review/")
    page.wait_for_selector("text=Introduction from NewCo")
    page.screenshot(path="/tmp/ingest-review.png", full_page=True)
    page.click("text=Attach…")
    page.fill("input[name=q]", "Acme")
    page.click("button:has-text('Find')")
    page.click("a.list-group-item:has-text('Acme Industries')")
    page.screenshot(path="/tmp/ingest-attach.png", full_page=True)


def test_a_bad_csv_shows_its_row_errors_and_changes_nothing(page, live_server, tmp_path):
    # Given a CSV with a bad date and an unknown channel
    world = World()
    path = tmp_path / "calls.csv"
    path.write_text(
        "occurred_at,channel,subject,to\n"
        "2026-03-02T10:00:00Z,call,Fine,carla@acme.test\n"
        "last tuesday,call,Bad date,carla@acme.test\n"
        "2026-03-02T10:00:00Z,pigeon,Bad channel,carla@acme.test\n"
    )
    sign_in(page, live_server, world.admin.email)

    # When it is uploaded
    page.goto(f"{live_server.url}/interactions/import/")
    page.set_input_files("input[name=file]", str(path))
    page.click("form.ingestion-form button[type=submit]")

    # Then the run failed and lists both rows with their columns
    page.wait_for_selector("#ingestion-progress[data-run-status=failed]")
    rows = page.locator("table.ingestion-errors tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().split("\t")[:2] == ["3", "occurred_at"]
    assert rows.nth(1).inner_text().split("\t")[:2] == ["4", "channel"]
    page.screenshot(path="/tmp/ingest-failed.png", full_page=True)
