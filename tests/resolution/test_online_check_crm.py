"""The duplicate check on entry, measured on CRM-shaped people with planted duplicates.

Every planted duplicate of a 2,000-contact set is held back and typed in as a user would
(names, e-mail, phone, the account picked); the check must name the original person first
in at least 90% of cases, typo'd surnames included (make bench measures 300,000).
"""

from __future__ import annotations

import pytest

from rapport.resolution import selectors
from tests.datasets import crm_online
from tests.datasets.crm_people import KINDS, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed_in(world):
    people = generate(2_000, seed=3)
    planted = crm_online.held_back(people, 240, seed=3)
    crm_online.load(people, skip={p.duplicate for p in planted})
    return crm_online.typed(people, planted)


def test_typed_variants_find_the_right_person_first(world, typed_in):
    report = crm_online.evaluate(
        lambda **typed: selectors.contact_duplicates(user=world.admin, **typed), typed_in
    )

    assert report["cases"] == 240
    assert set(report["kinds"]) == set(KINDS)
    assert report["top1"] >= 0.90
    surname_typos = [c for c in typed_in if c.kind == "typo"]
    assert len(surname_typos) == report["kinds"]["typo"]["cases"] == 30
    assert report["kinds"]["typo"]["top1"] >= 0.90


def test_the_check_is_four_queries_whatever_was_typed(world, typed_in, django_assert_num_queries):
    case = next(c for c in typed_in if c.email and c.phone)
    account_id = crm_online.account_ids()[case.company]

    with django_assert_num_queries(4):
        matches = selectors.contact_duplicates(
            user=world.admin,
            first_name=case.first_name,
            last_name=case.last_name,
            email=case.email,
            phone=case.phone,
            account_id=account_id,
        )

    assert matches[0].record.pk == crm_online.contact_ids()[case.original]
