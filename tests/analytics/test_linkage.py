"""Batch record linkage (I6) on FEBRL's published duplicate sets and on hand-made cases.

No database. The FEBRL files live in ../shared/data/febrl (see its README); a missing file
fails the test on purpose, it is not skipped.

Scoring: against ALL true pairs (a pair lost to blocking is a miss), with the pairs implied
by the clusters (every two records in one cluster), which is what a batch merge acts on.
The splink-default baseline (a plain splink model: library comparisons at default levels,
four single-column blocking rules, u by random sampling, m by EM, threshold 0.5, scored
the same way) is measured by `bench/linkage.py` and recorded here, because running it in
the test would double the test's time.
"""

from __future__ import annotations

import csv
import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from rapport.analytics.linkage import (
    Linkage,
    blocked_pairs,
    blocking_rules,
    link_records,
    pairs_in_clusters,
    score_pairs,
)

FEBRL = Path(__file__).parents[2].parent / "shared" / "data" / "febrl"

# bench/linkage.py --all, splink 5.0.0 defaults, clusters' pairs, without soc_sec_id, on
# FEBRL's own columns (street number, two address lines, suburb, state apart). Ours gets
# the product's record shape (one street, city, region), which carries a little less.
SPLINK_DEFAULT_F1 = {"dataset1.csv": 0.9990, "dataset2.csv": 1.0, "dataset3.csv": 0.9993}


def febrl(name: str) -> list[dict[str, str | None]]:
    """FEBRL people as the engine's person records (id = rec_id), WITHOUT soc_sec_id.

    Mapped as a contact import maps them: street number and address lines to the
    street, suburb to the city, state to the region; no organisation.
    """
    with open(FEBRL / name, newline="") as handle:
        rows = list(csv.reader(handle))
    header = [column.strip() for column in rows[0]]
    records = []
    for row in rows[1:]:
        raw = {column: value.strip() for column, value in zip(header, row, strict=True)}
        street = " ".join(
            part for part in (raw["street_number"], raw["address_1"], raw["address_2"]) if part
        )
        records.append(
            {
                "id": raw["rec_id"],
                "given_name": raw["given_name"] or None,
                "surname": raw["surname"] or None,
                "street": street or None,
                "city": raw["suburb"] or None,
                "postcode": raw["postcode"] or None,
                "region": raw["state"] or None,
                "country": "Australia",
                "date_of_birth": raw["date_of_birth"] or None,
            }
        )
    return records


def true_pairs(records: list[dict[str, str | None]]) -> set[tuple[str, str]]:
    """rec-N-org and rec-N-dup-K with the same N are one person."""
    people: dict[str, list[str]] = {}
    for record in records:
        people.setdefault(str(record["id"]).split("-")[1], []).append(str(record["id"]))
    return {
        (a, b) if a < b else (b, a)
        for ids in people.values()
        for a, b in itertools.combinations(ids, 2)
    }


@pytest.mark.parametrize(
    ("name", "records", "true", "min_f1"),
    [
        ("dataset1.csv", 1000, 500, 0.985),
        ("dataset2.csv", 5000, 1934, 0.99),
        ("dataset3.csv", 5000, 6538, 0.985),
    ],
)
def test_febrl_duplicates_are_found_within_two_points_of_splink_defaults(
    name: str, records: int, true: int, min_f1: float
) -> None:
    # Given a FEBRL set without its national id
    people = febrl(name)
    truth = true_pairs(people)
    assert (len(people), len(truth)) == (records, true)
    # When it is linked in batch
    linkage = link_records(people, kind="person")
    # Then the clusters' pairs score at least the bar, and so do the pairs themselves
    by_clusters = score_pairs(pairs_in_clusters(linkage.clusters), truth)
    assert by_clusters.f1 >= min_f1 >= SPLINK_DEFAULT_F1[name] - 0.02, by_clusters
    assert by_clusters.precision >= 0.995, by_clusters
    sure = {(p.left_id, p.right_id) for p in linkage.pairs if not p.not_sure}
    by_pairs = score_pairs(sure, truth)
    assert by_pairs.f1 >= 0.975, by_pairs
    assert by_pairs.precision >= 0.998, by_pairs
    # And the output keeps its contract: sure pairs at or above the threshold, "not sure"
    # ones from 0.2 up (or of one name), clusters made of the sure ones only
    assert linkage.model == "splink-fs"
    assert all(p.left_id < p.right_id for p in linkage.pairs)
    assert all(p.not_sure == (p.probability < 0.5) for p in linkage.pairs)
    assert all(
        p.probability >= 0.2 or (p.evidence["given_name"], p.evidence["surname"]) == ("exact",) * 2
        for p in linkage.pairs
    )
    assert all(len(c) >= 2 and c == sorted(c) for c in linkage.clusters)
    assert pairs_in_clusters(linkage.clusters) >= sure
    assert "date_of_birth" in linkage.parameters["columns"]
    assert "emails" not in linkage.parameters["columns"]


def test_blocking_keeps_almost_every_true_pair_of_dataset3() -> None:
    people = febrl("dataset3.csv")
    truth = true_pairs(people)
    candidates = blocked_pairs(people, kind="person")
    recall = len(candidates & truth) / len(truth)
    assert recall >= 0.99
    assert len(candidates) < 500_000  # of 12.5 million possible pairs


# --- hand-made CRM contacts -----------------------------------------------------------

_GIVEN = [
    "olivia",
    "noah",
    "amelia",
    "jack",
    "isla",
    "oliver",
    "ava",
    "leo",
    "mia",
    "henry",
    "grace",
    "charlotte",
    "lucas",
    "zoe",
    "ethan",
    "chloe",
    "mason",
    "ruby",
    "hugo",
    "ella",
    "oscar",
    "lily",
    "archie",
    "sophie",
    "harper",
    "finn",
    "evie",
    "theo",
    "matilda",
    "max",
    "willow",
    "arlo",
    "sienna",
    "louis",
    "ivy",
    "hudson",
    "frankie",
    "levi",
    "violet",
    "ezra",
    "hazel",
]
_SURNAMES = [
    "nguyen",
    "patel",
    "kowalski",
    "okafor",
    "lindqvist",
    "moreau",
    "haddad",
    "tanaka",
    "brennan",
    "costa",
    "oyelaran",
    "fischer",
    "novak",
    "garcia",
    "whitford",
    "delacroix",
    "ahmadi",
    "petrov",
    "sullivan",
    "mbeki",
    "ferreira",
    "larsen",
    "kaur",
    "donnelly",
    "rossi",
    "yamamoto",
    "ibrahim",
    "schultz",
    "oconnor",
    "varga",
]
_COMPANIES = [
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "wonka",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "massive",
    "aperture",
    "gringotts",
    "oscorp",
]


def _contacts(seed: int = 11) -> list[dict[str, Any]]:
    """300 distinct CRM contacts: names, work e-mail, phone, company (no date of birth)."""
    rng = random.Random(seed)
    names = rng.sample([(g, s) for g in _GIVEN for s in _SURNAMES], 300)
    contacts = []
    for index, (given, surname) in enumerate(names):
        company = _COMPANIES[index % len(_COMPANIES)]
        contacts.append(
            {
                "id": f"c{index:03d}",
                "given_name": given.title(),
                "surname": surname.title(),
                "emails": [f"{given}.{surname}@{company}.com"],
                "phones": [f"02 9{rng.randrange(10**7):07d}"],
                "organisation": f"{company.title()} Pty Ltd",
            }
        )
    return contacts


def _duplicate(contact: dict[str, Any], new_id: str, **changes: Any) -> dict[str, Any]:
    return {**contact, "id": new_id, **changes}


@pytest.fixture(scope="module")
def crm() -> tuple[list[dict[str, Any]], Linkage]:
    contacts = _contacts()
    c = {x["id"]: x for x in contacts}
    extra = [
        # a typo in the surname, e-mail retyped in capitals
        _duplicate(
            c["c001"],
            "d001",
            surname=c["c001"]["surname"][:-1],
            emails=[c["c001"]["emails"][0].upper()],
        ),
        # given name and surname swapped
        _duplicate(
            c["c002"], "d002", given_name=c["c002"]["surname"], surname=c["c002"]["given_name"]
        ),
        # the same phone written the international way, no e-mail
        _duplicate(c["c003"], "d003", phones=["+61 2 " + c["c003"]["phones"][0][3:]], emails=[]),
        # a nickname and a personal address
        _duplicate(c["c004"], "d004", given_name="Bill", emails=["billy@example.org"]),
    ]
    c["c004"]["given_name"] = "William"
    c["c004"]["emails"] = [f"william.{c['c004']['surname'].lower()}@acme.com"]
    # more duplicates with a mix of small changes, so the model has matches to learn from
    rng = random.Random(5)
    for index in range(10, 60):
        original = c[f"c{index:03d}"]
        variant = dict(original)
        field = ("surname", "phone", "email", "organisation")[index % 4]
        if field == "surname":
            variant["surname"] = original["surname"].replace(original["surname"][2], "", 1)
        elif field == "phone":
            phone = original["phones"][0]
            variant["phones"] = ["(" + phone[:2] + ") " + phone[3:]]
        elif field == "email":
            variant["emails"] = []
        else:
            variant["organisation"] = original["organisation"].replace(" Pty Ltd", " Limited")
        variant["id"] = f"d{index:03d}"
        if rng.random() < 0.3:
            variant["phones"] = []
        extra.append(variant)
    records = list(c.values()) + extra
    return records, link_records(records, kind="person")


def test_the_same_seed_gives_the_same_linkage(crm) -> None:
    records, linkage = crm
    again = link_records(records, kind="person")
    assert again == linkage
    assert again.parameters["comparisons"]["surname"]["exact"]["m"] > 0.5


def _linked(linkage: Linkage) -> dict[tuple[str, str], dict[str, str]]:
    return {(p.left_id, p.right_id): p.evidence for p in linkage.pairs}


def test_contacts_duplicates_are_all_found_and_nothing_else(crm) -> None:
    _, linkage = crm
    truth = {(f"c{i:03d}", f"d{i:03d}") for i in (1, 2, 3, 4, *range(10, 60))}
    found = {(p.left_id, p.right_id) for p in linkage.pairs if not p.not_sure}
    assert found == truth
    assert sorted(linkage.parameters["columns"]) == sorted(
        ["given_name", "given_canon", "surname", "emails", "phones", "organisation"]
    )


def test_a_typo_is_evidence_of_a_close_name(crm) -> None:
    _, linkage = crm
    evidence = _linked(linkage)[("c001", "d001")]
    assert evidence["surname"] == "Jaro-Winkler ≥ 0.92"
    assert evidence["emails"] == "same address"  # case does not matter
    assert evidence["given_name"] == "exact"


def test_transposed_names_are_recognised(crm) -> None:
    _, linkage = crm
    evidence = _linked(linkage)[("c002", "d002")]
    assert evidence["given_name"] == "swapped with surname"
    assert evidence["surname"] == "swapped with given name"


def test_phone_formats_agree(crm) -> None:
    _, linkage = crm
    evidence = _linked(linkage)[("c003", "d003")]
    assert evidence["phones"] == "same number"
    assert "emails" not in evidence  # missing on one side: no evidence either way


def test_a_nickname_is_the_same_given_name(crm) -> None:
    _, linkage = crm
    evidence = _linked(linkage)[("c004", "d004")]
    assert evidence["given_name"] == "nickname"
    assert evidence["emails"] == "different"


# --- organisations ---------------------------------------------------------------------


def _organisations() -> list[dict[str, str]]:
    rng = random.Random(2)
    words = [
        "north",
        "harbour",
        "bright",
        "river",
        "stone",
        "summit",
        "pacific",
        "copper",
        "maple",
        "granite",
        "silver",
        "meadow",
        "falcon",
        "cedar",
        "atlas",
        "vertex",
        "lumen",
        "orbit",
        "quarry",
        "beacon",
    ]
    kinds = ("Logistics", "Foods", "Engineering", "Health", "Software", "Mining")
    cities = ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Hobart")
    names = rng.sample([(a, b, k) for a in words for b in words if a != b for k in kinds], 200)
    out = []
    for index, (a, b, k) in enumerate(names):
        out.append(
            {
                "id": f"o{index:03d}",
                "name": f"{a.title()} {b.title()} {k} Pty Ltd",
                "domain": f"{a}{b}{k.lower()}.com.au",
                "phones": [f"0{rng.randrange(2, 9)} {rng.randrange(10**8):08d}"],
                "city": cities[index % len(cities)],
            }
        )
    return out


def test_organisations_are_linked_by_domain_and_normalised_name() -> None:
    # Given 200 organisations and 40 re-entered ones
    organisations = _organisations()
    o = {x["id"]: x for x in organisations}
    extra = [
        # the web domain typed as a URL, the name without its legal form, no phone
        {
            **o["o000"],
            "id": "p000",
            "name": o["o000"]["name"].replace(" Pty Ltd", "").upper(),
            "phones": [],
            "domain": "https://www." + o["o000"]["domain"] + "/contact",
        },
    ]
    for index in range(1, 40):
        original = o[f"o{index:03d}"]
        extra.append(
            {
                **original,
                "id": f"p{index:03d}",
                "name": original["name"].replace("Pty Ltd", "Limited"),
                "phones": original["phones"] if index % 2 else [],
            }
        )
    # When they are linked
    linkage = link_records(organisations + extra, kind="organisation")
    # Then exactly the re-entered ones are found, on the evidence expected
    found = _linked(linkage)
    assert set(found) == {(f"o{i:03d}", f"p{i:03d}") for i in range(40)}
    assert found[("o000", "p000")] == {"name": "exact", "domain": "exact", "address": "same city"}
    assert found[("o001", "p001")]["phones"] == "exact"
    assert linkage.parameters["kind"] == "organisation"
    assert linkage.parameters["columns"] == ["name", "domain", "phones", "city"]


def test_distinct_records_are_not_linked() -> None:
    # Given contacts and organisations without any duplicate
    # When they are linked, Then nothing is (no pair is forced on data with no match)
    assert link_records(_contacts(), kind="person").pairs == []
    assert link_records(_organisations(), kind="organisation").pairs == []


def test_a_handful_of_records_uses_textbook_values() -> None:
    # Given three contacts, two of them one person written two ways
    people = [
        {"id": 1, "given_name": "Jo", "surname": "Bloggs", "phones": ["02 9876 5432"]},
        {"id": 2, "given_name": "Joe", "surname": "Blogs", "phones": ["+61 2 9876 5432"]},
        {"id": 3, "given_name": "Sam", "surname": "Smith", "phones": ["03 9876 5431"]},
    ]
    # When linked (too few to learn from, so m/u are fixed, with no term frequencies)
    linkage = link_records(people, kind="person")
    # Then the pair is found on the evidence of all three fields
    [pair] = linkage.pairs
    assert (pair.left_id, pair.right_id) == ("1", "2")
    assert pair.evidence == {
        "given_name": "Jaro-Winkler ≥ 0.88",
        "surname": "Jaro-Winkler ≥ 0.92",
        "phones": "same number",
    }
    assert linkage.clusters == [["1", "2"]]
    assert linkage.parameters["probability_two_random_records_match"] == 0.001


def test_sharing_a_surname_and_an_employer_is_not_enough() -> None:
    people = [
        {"id": 1, "given_name": "Ann", "surname": "Lee", "organisation": "Acme"},
        {"id": 2, "given_name": "Bob", "surname": "Lee", "organisation": "Acme Ltd"},
        {"id": 3, "given_name": "Sam", "surname": "Smith", "organisation": "Acme"},
    ]
    assert link_records(people, kind="person").pairs == []


def test_too_few_records_or_no_usable_column_give_no_pairs() -> None:
    assert link_records([], kind="person").pairs == []
    single = link_records([{"id": 1, "surname": "Smith"}], kind="person")
    assert (single.pairs, single.clusters) == ([], [])
    empty = link_records([{"id": 1}, {"id": 2}], kind="organisation")
    assert empty.parameters["columns"] == []


def test_blocking_follows_how_a_crm_gets_duplicates() -> None:
    # Given the fields of CRM contacts (no date of birth)
    fields = ["given_name", "surname", "organisation", "organisation_id", "emails", "phones"]
    rules = blocking_rules("person", fields, 300_000)
    # Then candidates come from the same organisation with a name key, never the whole
    # organisation (5,000 people at one customer would be 12.5 million pairs) ...
    assert ("organisation_key", "surname_start") in rules
    assert ("organisation_key", "given_start") in rules
    assert ("organisation_key", "given_name~surname") in rules
    assert all(rule != ("organisation_key",) for rule in rules)
    # ... from a shared address or number, a name anywhere (a job move), the company's
    # domain with the surname (the organisation entered under another name)
    for rule in [("email",), ("email_2~email",), ("phone",), ("full_name",), ("email_local",)]:
        assert rule in rules
    assert ("email_domain", "surname_start") in rules
    # And rules on absent fields are never used
    assert all("date_of_birth" not in rule and "postcode" not in rule for rule in rules)


def test_shared_numbers_and_role_mailboxes_are_not_evidence() -> None:
    # Given four colleagues on one switchboard and a role mailbox, two of them one person
    people = [
        {
            "id": n,
            "given_name": given,
            "surname": surname,
            "organisation": "Acme",
            "phones": ["+61 2 9000 0000"],
            "emails": ["info@acme.com", f"{given}@acme.com"],
        }
        for n, (given, surname) in enumerate(
            [("ann", "lee"), ("bob", "ng"), ("cat", "tan"), ("dan", "wu"), ("ann", "lee")]
        )
    ]
    # When linked
    linkage = link_records(people, kind="person")
    # Then the one person is found on the names and her own address, not the shared ones
    [pair] = linkage.pairs
    assert (pair.left_id, pair.right_id) == ("0", "4")
    assert pair.evidence["emails"] == "same address"
    assert "phones" not in pair.evidence  # the switchboard is left out on both sides


def test_the_same_name_at_the_same_organisation_is_always_a_candidate() -> None:
    # Given one name twice at one organisation, with every other field apart
    people = [
        {
            "id": "a",
            "given_name": "Ann",
            "surname": "Lee",
            "organisation": "Acme Pty Ltd",
            "emails": ["ann.lee@acme.com"],
            "phones": ["+61298765432"],
            "title": "Buyer",
        },
        {
            "id": "b",
            "given_name": "ann",
            "surname": "LEE",
            "organisation": "ACME",
            "emails": ["al@other.org"],
            "phones": ["+61398765432"],
            "title": "Engineer",
        },
        {"id": "c", "given_name": "Sam", "surname": "Smith", "organisation": "Acme"},
    ]
    # When linked, with a threshold no evidence could reach
    linkage = link_records(people, kind="person", threshold=0.999999)
    # Then the pair is there, flagged not sure, and in no cluster
    [pair] = linkage.pairs
    assert (pair.left_id, pair.right_id, pair.not_sure) == ("a", "b", True)
    assert linkage.clusters == []
    assert linkage.parameters["not_sure"] == 1


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate record id"):
        link_records([{"id": "a"}, {"id": "a"}], kind="person")
