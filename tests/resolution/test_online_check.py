"""The duplicate check on entry: typos, nicknames, initials, identities, domains, any phone format."""

from __future__ import annotations

import pytest

from rapport.accounts import keys
from rapport.accounts import services as account_services
from rapport.resolution import selectors
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def robert(world):
    return make_contact(
        world.admin,
        world.acme_emea,
        first_name="Robert",
        last_name="Johnson",
        email="r.johnson@acme-industries.example",
        phone="+44 20 7946 0018",
    )


def _names(matches):
    return [m.record.full_name for m in matches]


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        ("Robert", "Johnson", "same name"),
        ("Robert", "Jonhson", "last name Jonhson ≈ Johnson"),  # transposed letters
        ("Robert", "Johnsen", "last name Johnsen ≈ Johnson"),  # typo
        ("Bob", "Johnson", "Bob and Robert are the same name (nickname)"),
        ("R.", "Johnson", "initial R matches Robert"),
        ("Johnson", "Robert", "first and last names swapped"),
    ],
)
def test_a_person_typed_differently_is_found_with_the_reason(world, robert, first, last, reason):
    matches = selectors.contact_duplicates(user=world.rep, first_name=first, last_name=last)
    assert _names(matches) == ["Robert Johnson"]
    assert reason in matches[0].reasons
    assert matches[0].score >= 0.8


@pytest.mark.parametrize("phone", ["020 7946 0018", "+44 (0)20 7946 0018", "0044 20 7946 0018"])
def test_a_phone_number_in_any_format_tells_namesakes_apart(world, robert, phone):
    namesake = make_contact(world.admin, world.globex, first_name="Robert", last_name="Johnson")

    matches = selectors.contact_duplicates(
        user=world.rep, first_name="R.", last_name="Johnson", phone=phone
    )

    assert [m.record.pk for m in matches] == [robert.pk, namesake.pk]
    assert f"same phone number {phone}" in matches[0].reasons


def test_a_phone_alone_is_no_match_for_many_may_share_it(world, robert):
    matches = selectors.contact_duplicates(
        user=world.rep, first_name="Someone", last_name="Else", phone="020 7946 0018"
    )

    assert matches == []


def test_a_number_typed_nationally_is_read_in_the_country_of_the_account(world):
    sydney = make_account(world.admin, "Harbour Foods Pty Ltd", country="Australia")
    kim = make_contact(
        world.admin, sydney, first_name="Kim", last_name="Nguyen", phone="+61 2 9876 5432"
    )

    matches = selectors.contact_duplicates(
        user=world.rep,
        first_name="",
        last_name="Nguyen",
        phone="(02) 9876 5432",
        account_id=sydney.pk,
    )

    assert [m.record for m in matches] == [kim]
    assert matches[0].reasons == (
        "same phone number (02) 9876 5432",
        "same organisation (Harbour Foods Pty Ltd)",
    )


def test_the_same_email_is_found_whatever_the_name(world, robert):
    matches = selectors.contact_duplicates(
        user=world.rep, first_name="Bobby", last_name="J", email="R.Johnson@ACME-industries.example"
    )
    assert _names(matches) == ["Robert Johnson"]
    assert matches[0].score == 0.99
    assert "same e-mail r.johnson@acme-industries.example" in matches[0].reasons


def test_same_organisation_and_email_domain_add_evidence(world, robert):
    matches = selectors.contact_duplicates(
        user=world.rep,
        first_name="Rob",
        last_name="Johnston",
        email="rob@acme-industries.example",
        account_id=world.acme_plant.pk,
    )
    assert _names(matches) == ["Robert Johnson"]
    assert "same organisation (Acme EMEA)" in matches[0].reasons
    assert "same e-mail domain acme-industries.example" in matches[0].reasons


def test_different_people_and_the_record_being_edited_are_not_matches(world, robert):
    assert selectors.contact_duplicates(user=world.rep, first_name="Maria", last_name="Lopez") == []
    assert (
        selectors.contact_duplicates(
            user=world.rep, first_name="Robert", last_name="Johnson", exclude_id=robert.pk
        )
        == []
    )


def test_a_portal_user_never_learns_of_another_customers_people(world, robert):
    make_contact(world.admin, world.globex, first_name="Robert", last_name="Johnson")
    matches = selectors.contact_duplicates(
        user=world.portal_globex, first_name="Robert", last_name="Johnson"
    )
    assert [m.record.customer_id for m in matches] == [world.globex.pk]


def test_a_company_is_found_by_name_without_legal_form_website_and_city(world):
    make_account(world.admin, "Initech", website="https://www.initech.example/about", city="Austin")
    by_name = selectors.account_duplicates(user=world.rep, name="INITECH Inc.")
    assert [m.record.name for m in by_name] == ["Initech"]
    assert "same name without legal form (initech)" in by_name[0].reasons
    by_site = selectors.account_duplicates(
        user=world.rep, name="Totally Other", website="initech.example"
    )
    assert [m.record.name for m in by_site] == ["Initech"]
    assert "same website initech.example" in by_site[0].reasons
    typo = selectors.account_duplicates(user=world.rep, name="Initec", city="austin")
    assert [m.record.name for m in typo] == ["Initech"]
    assert "same city (Austin)" in typo[0].reasons


def test_a_partner_user_sees_only_matches_among_the_accounts_it_serves(world):
    matches = selectors.account_duplicates(user=world.partner_user, name="Globex Corp")
    assert matches == []
    found = selectors.account_duplicates(user=world.rep, name="Globex Corp")
    assert found[0].record == world.globex
    assert found[0].score == 0.99


def test_keys_follow_renames(world, robert):
    account_services.contact_update(actor=world.rep, contact=robert, last_name="Smith")
    robert.refresh_from_db()
    assert robert.match_key == keys.contact_match_key("Robert", "Smith") == "S530R163"


def test_soundex():
    assert [keys.soundex(w) for w in ("Robert", "Rupert", "Tymczak", "Pfister", "Ashcraft")] == [
        "R163",
        "R163",
        "T522",
        "P236",
        "A261",
    ]
