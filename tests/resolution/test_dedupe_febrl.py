"""FEBRL dataset3 (5,000 people, 6,538 true pairs) loaded as contacts and deduplicated.

FEBRL's columns are mapped onto contact fields as an import mapping would map them:
given name and surname to the names, street number and address lines to the street,
suburb to the city, state to the region, Australia as the country, all at one
organisation; the date of birth only where a deployment keeps it (off by default). The
file is written as a CRM export and brought in with `rapport import`, then `rapport
dedupe` runs.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from django.core.management import call_command

from rapport.analytics.linkage import score_pairs
from tests.datasets.crm_people import ACCOUNT_COLUMNS, CONTACT_COLUMNS, write_csv
from tests.factories import make_user
from tests.resolution.crm_dedupe import found_pairs

pytestmark = pytest.mark.django_db

FEBRL = Path(__file__).parents[2].parent / "shared" / "data" / "febrl"


def febrl_as_export(name: str) -> tuple[list[dict[str, str]], set[tuple[str, str]]]:
    """FEBRL rows as contact rows of a CRM export, and the true pairs by Contact ID."""
    with open(FEBRL / name, newline="") as handle:
        rows = list(csv.reader(handle))
    header = [column.strip() for column in rows[0]]
    contacts, people = [], {}
    for row in rows[1:]:
        raw = {column: value.strip() for column, value in zip(header, row, strict=True)}
        street = " ".join(
            part for part in (raw["street_number"], raw["address_1"], raw["address_2"]) if part
        )
        dob = raw["date_of_birth"]
        contacts.append(
            {
                "Contact ID": raw["rec_id"],
                "Company": "Febrl Pty Ltd",
                "First name": raw["given_name"],
                "Last name": raw["surname"],
                "Street": street,
                "City": raw["suburb"],
                "Postcode": raw["postcode"],
                "Region": raw["state"].upper(),
                "Country": "Australia",
                "Date of birth": f"{dob[:4]}-{dob[4:6]}-{dob[6:]}" if _is_date(dob) else "",
            }
        )
        people.setdefault(raw["rec_id"].split("-")[1], []).append(raw["rec_id"])
    truth = {
        (a, b) if a < b else (b, a)
        for ids in people.values()
        for a, b in itertools.combinations(ids, 2)
    }
    return contacts, truth


def _is_date(value: str) -> bool:
    from datetime import date

    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return len(value) == 8


@pytest.mark.parametrize(("birth_dates", "min_f1"), [(True, 0.97), (False, 0.9)])
def test_febrl_dataset3_loaded_as_contacts_is_deduplicated(
    tmp_path, settings, birth_dates: bool, min_f1: float
) -> None:
    # Given FEBRL dataset3 as contacts of one organisation, with or without the dates of
    # birth (a deployment's choice)
    settings.RAPPORT_CONTACT_BIRTH_DATE = birth_dates
    make_user()
    contacts, truth = febrl_as_export("dataset3.csv")
    assert (len(contacts), len(truth)) == (5_000, 6_538)
    accounts = [{"Account ID": "F1", "Company": "Febrl Pty Ltd", "Country": "Australia"}]
    columns = [*CONTACT_COLUMNS, "Date of birth"] if birth_dates else CONTACT_COLUMNS
    accounts_csv = write_csv(accounts, ACCOUNT_COLUMNS, tmp_path / "accounts.csv")
    contacts_csv = write_csv(contacts, columns, tmp_path / "contacts.csv")
    call_command("import", "accounts", str(accounts_csv))
    call_command("import", "contacts", str(contacts_csv), "--mode", "good", "--keep-duplicates")

    # When `rapport dedupe` runs with default settings
    call_command("dedupe", "--kind", "contacts")

    # Then the pairs score F1 >= 0.97 with dates of birth, >= 0.9 on names and addresses
    found, _ = found_pairs()
    score = score_pairs(found, truth)
    assert score.f1 >= min_f1, score
    assert score.precision >= 0.98, score
