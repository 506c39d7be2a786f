"""The CRM-shaped generator: repeatable, every kind planted, truth consistent with the rows."""

from __future__ import annotations

from rapport.analytics import names
from tests.datasets.crm_people import CONTACT_COLUMNS, KINDS, generate


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    assert generate(2_000, seed=3).contacts == generate(2_000, seed=3).contacts
    assert generate(2_000, seed=3).contacts != generate(2_000, seed=4).contacts


def test_every_kind_is_planted_and_every_pair_names_two_rows() -> None:
    people = generate(2_000, seed=3)
    ids = {row["Contact ID"] for row in people.contacts}
    assert len(people.contacts) == 2_000 == len(ids)
    assert all(set(row) == set(CONTACT_COLUMNS) for row in people.contacts)
    assert all(people.pairs_of(kind) for kind in KINDS)
    assert len(people.true_pairs()) == len(people.duplicates) == 240
    assert all({p.original, p.duplicate} <= ids for p in people.duplicates)


def test_kinds_differ_as_labelled() -> None:
    people = generate(2_000, seed=3)
    row = {r["Contact ID"]: r for r in people.contacts}
    for planted in people.duplicates:
        a, b = row[planted.original], row[planted.duplicate]
        if planted.kind == "swapped names":
            assert (a["First name"], a["Last name"]) == (b["Last name"], b["First name"])
        elif planted.kind == "missing first name":
            assert (b["First name"], b["Last name"]) == ("", a["Last name"])
        elif planted.kind == "nickname":
            assert a["First name"] != b["First name"]
            assert names.given_name_canonical(a["First name"]) == names.given_name_canonical(
                b["First name"]
            )
        elif planted.kind == "job move":
            assert a["Company"] != b["Company"]
            assert names.organisation_name(a["Company"]) != names.organisation_name(b["Company"])
        elif planted.kind == "legal form":
            assert a["Company"] != b["Company"]
            assert names.organisation_name(a["Company"]) == names.organisation_name(b["Company"])
        elif planted.kind == "phone format":
            assert a["Phone"] != b["Phone"]
            assert names.phone_digits(a["Phone"], keep=8) == names.phone_digits(b["Phone"], keep=8)


def test_namesakes_are_one_name_at_two_organisations() -> None:
    people = generate(2_000, seed=3)
    row = {r["Contact ID"]: r for r in people.contacts}
    assert len(people.namesakes) >= 20
    for left, right in people.namesakes:
        a, b = row[left], row[right]
        assert (a["First name"], a["Last name"]) == (b["First name"], b["Last name"])
        assert a["Company"] != b["Company"]
        assert people.kind_of((left, right)) is None
