"""Normalising before comparing: the same thing written two ways must compare equal."""

from __future__ import annotations

from datetime import date

import pytest

from rapport.analytics import names


@pytest.mark.parametrize(
    ("left", "right"),
    [("+61 2 9876 5432", "(02) 9876-5432"), ("0298765432", "02 9876 5432")],
)
def test_phone_formats_reduce_to_the_same_digits(left: str, right: str) -> None:
    assert names.phone_digits(left) == names.phone_digits(right) == "298765432"


def test_too_short_a_phone_is_no_phone() -> None:
    assert names.phone_digits("ext 12") is None
    assert names.phone_digits(None) is None


@pytest.mark.parametrize(
    "value",
    [
        "https://www.Acme.com.au/contact?x=1",
        "jo.bloggs@ACME.com.au",
        "acme.com.au",
        "www.acme.com.au:443",
    ],
)
def test_domains_from_urls_and_addresses(value: str) -> None:
    assert names.domain(value) == "acme.com.au"


def test_a_word_without_a_dot_is_not_a_domain() -> None:
    assert names.domain("localhost") is None


def test_company_names_lose_legal_forms_and_punctuation() -> None:
    assert names.organisation_name("The Acme Co. Pty Ltd") == "acme"
    assert names.organisation_name("ACME LIMITED") == "acme"
    assert names.organisation_name("Smith & Sons GmbH") == "smith sons"
    assert names.organisation_name("Ltd") == "ltd"  # nothing but a legal form: keep it


def test_given_names_resolve_nicknames_and_accents() -> None:
    assert names.given_name_canonical("Bill") == "william"
    assert names.given_name_canonical("BOB smith") == "robert"
    assert names.given_name_canonical("Zoë") == "zoe"
    assert names.given_name_canonical("  ") is None


def test_plain_and_compact_text() -> None:
    assert names.plain("  O'Brien-Smith ") == "obrien smith"
    assert names.compact("van der Berg") == "vanderberg"
    assert names.plain("---") is None


def test_e_mail_parts() -> None:
    assert names.email_address(" Jo.Bloggs+crm@Acme.com ") == "jo.bloggs+crm@acme.com"
    assert names.email_local("Jo.Bloggs+crm@Acme.com") == "jobloggs"
    assert names.email_address("not an address") is None


def test_dates_become_digits() -> None:
    assert names.date_digits(date(1956, 4, 9)) == "19560409"
    assert names.date_digits("1956-04-09") == "19560409"
    assert names.date_digits("") is None
