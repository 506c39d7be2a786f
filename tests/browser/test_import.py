"""The general import in a real browser: upload a CSV with a bad row, map, dry run, see the
error, import the good rows, download the error report; and export a list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rapport.accounts.models import Contact
from tests.browser.conftest import sign_in
from tests.factories import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RAPPORT_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path / "var"


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_import_contacts_with_a_bad_row_keeping_the_good_ones(page, live_server, tmp_path):
    # Given a rep and a CSV of people, one of whose rows names an unknown company
    world = World()
    path = tmp_path / "people.csv"
    path.write_text(
        "Given,Surname,Firm,Mail,Job\n"
        "Ivy,Ink,Acme Industries,ivy@acme.test,Buyer\n"
        "Jon,Jay,Nowhere Ltd,jon@nowhere.test,CEO\n"
        "Kai,Kim,Globex IT,kai@globex.test,Engineer\n"
    )
    sign_in(page, live_server, world.rep.email)

    # When they upload it from the Import page
    page.click("a.sidebar-link:has-text('Import')")
    page.wait_for_url(f"{live_server.url}/import/")
    page.select_option("select[name=kind]", "contacts")
    page.set_input_files("input[name=file]", str(path))
    _shot(page, "import-upload")
    page.click("form.import-form button[type=submit]")

    # Then they map the columns: the guess missed "Given", "Surname" and "Firm"
    page.wait_for_selector("form.import-mapping")
    assert page.input_value("#column-3") == "email"
    page.select_option("#column-0", "first_name")
    page.select_option("#column-1", "last_name")
    page.select_option("#column-2", "account")
    page.select_option("#column-4", "title")
    _shot(page, "import-mapping")
    page.click("form.import-mapping button[type=submit]")

    # And the dry run shows what would happen, with the bad row and its column
    page.wait_for_selector("#import-result[data-run-status=checked]")
    assert page.text_content("[data-count=created]") == "2"
    assert page.text_content("[data-count=failed]") == "1"
    error = page.locator("table.import-errors tbody tr").first
    assert error.locator("td").nth(0).inner_text() == "3"
    assert error.locator("td").nth(1).inner_text() == "Firm"
    assert "No account named 'Nowhere Ltd'" in error.locator("td").nth(2).inner_text()
    assert Contact.objects.filter(first_name__in=["Ivy", "Kai"]).count() == 0
    _shot(page, "import-dry-run")

    # When they import the good rows only
    page.check("input[name=mode][value=good]")
    page.click("form.import-confirm button[type=submit]")

    # Then the two good people are in and the bad row is reported
    page.wait_for_selector("#import-result[data-run-status=done]")
    assert page.text_content("[data-count=created]") == "2"
    assert set(
        Contact.objects.filter(first_name__in=["Ivy", "Jon", "Kai"]).values_list(
            "first_name", flat=True
        )
    ) == {"Ivy", "Kai"}
    _shot(page, "import-done")

    # And the error report downloads with the bad row and what was wrong
    with page.expect_download() as download:
        page.click("a[data-error-report]")
    report = download.value
    assert report.suggested_filename == "people-errors.csv"
    lines = Path(report.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "row,Given,Surname,Firm,Mail,Job,error",
        "3,Jon,Jay,Nowhere Ltd,jon@nowhere.test,CEO,Firm: No account named 'Nowhere Ltd' (or with that external id).",
    ]


def test_export_the_contacts_list_with_its_filter(page, live_server):
    world = World()
    sign_in(page, live_server, world.rep.email)
    page.goto(f"{live_server.url}/contacts/?q=finch")

    page.click("button[data-export=contacts]")
    _shot(page, "export-menu")
    with page.expect_download() as download:
        page.click(".export-menu a[data-format=csv]")

    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2
    assert lines[1].split(",")[1:4] == ["Carla", "Finch", "CFO"]
