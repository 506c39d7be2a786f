"""Keyset pagination walks every row once, and list endpoints cost the same queries at any size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.core.models import ApiToken
from rapport.core.services import api_token_create
from tests.factories import make_account, make_contact, make_interaction

pytestmark = pytest.mark.django_db

EXTRA = 35


@pytest.fixture
def crowd(world):
    """35 more organisations, each with a unit, a contact with roles, and interactions
    (several at the very same moment, so the id must break ties)."""
    same_moment = timezone.now() - timedelta(days=1)
    for n in range(EXTRA):
        # Duplicate names too: the cursor must break ties by id.
        org = make_account(world.admin, f"Org {n // 2:02d}", industry="Retail")
        unit = make_account(world.admin, f"Org {n:02d} Sales", parent=org)
        person = make_contact(world.admin, unit, first_name="Sam", last_name=f"Same{n % 3}")
        account_services.buying_role_set(actor=world.admin, contact=person, role="end_user")
        account_services.buying_role_set(actor=world.admin, contact=person, role="influencer")
        make_interaction(world.admin, unit, contacts=[person], occurred_at=same_moment)
        make_interaction(world.admin, org, contacts=[person, person], partner=world.partner)
    return world


def _walk(api, path, params=None, limit=7):
    """Every item id over all pages, following next_cursor."""
    ids, cursor, pages = [], None, 0
    while True:
        query = {**(params or {}), "limit": limit}
        if cursor:
            query["cursor"] = cursor
        response = api.get(path, query)
        assert response.status_code == 200, response.json()
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(body["items"]) == limit


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/accounts", {}, 2 + EXTRA),
        ("/accounts", {"roots_only": "false"}, 5 + 2 * EXTRA),
        ("/contacts", {}, 3 + EXTRA),
        ("/end-users", {}, EXTRA),
        ("/interactions", {}, 2 + 2 * EXTRA),
        ("/interactions", {"channel": "call"}, 1 + 2 * EXTRA),
    ],
)
def test_pages_cover_every_row_exactly_once(crowd, admin_api, path, params, expected):
    ids, pages = _walk(admin_api, path, params)

    assert len(ids) == expected
    assert len(set(ids)) == expected
    assert pages == -(-expected // 7)


def test_account_and_contact_timelines_paginate(crowd, admin_api):
    org = admin_api.get("/accounts", {"q": "Org 03"}).json()["items"][0]

    ids, pages = _walk(admin_api, f"/accounts/{org['id']}/timeline", limit=1)
    assert (len(set(ids)), pages) == (2, 2)
    contacts, _ = _walk(admin_api, f"/accounts/{org['id']}/contacts", limit=1)
    assert len(contacts) == 1
    timeline, pages = _walk(admin_api, f"/contacts/{contacts[0]}/timeline", limit=1)
    assert (len(set(timeline)), pages) == (2, 2)


def test_a_cursor_survives_rows_added_before_it(crowd, admin_api):
    first = admin_api.get("/accounts", {"limit": 5}).json()
    make_account(crowd.admin, "AAA first by name")

    rest, _ = _walk(admin_api, "/accounts", {"cursor": first["next_cursor"]}, limit=200)

    assert not set(rest) & {a["id"] for a in first["items"]}


# The most queries each list may issue, whatever the number of rows: one for the token,
# the selector's own queries (scoping, prefetches), and no query per row.
LIST_BOUNDS = [
    ("/accounts", {}, 2),
    ("/accounts", {"roots_only": "false", "limit": 200}, 2),
    ("/contacts", {"limit": 200}, 3),
    ("/end-users", {"limit": 200}, 3),
    ("/interactions", {"limit": 200}, 3),
    ("/partners", {}, 2),
    ("/tokens", {}, 2),
    ("/accounts/{acme}/contacts", {"limit": 200}, 4),
    ("/accounts/{acme}/timeline", {"limit": 200}, 4),
    ("/accounts/{acme}/tree", {}, 4),
    ("/accounts/{acme}/buying-centre", {}, 5),
    ("/accounts/{acme}/partners", {}, 3),
    ("/accounts/{acme}/lifecycle", {}, 3),
    ("/contacts/{carla}", {}, 6),
    ("/contacts/{carla}/timeline", {"limit": 200}, 8),
    ("/partners/{northwind}/links", {}, 3),
]


def test_list_queries_do_not_grow_with_rows(world, admin_api, django_assert_max_num_queries):
    def measure():
        sizes = {}
        # A token records its use at most once a minute; keep that write out of the count.
        ApiToken.objects.update(last_used_at=timezone.now() + timedelta(days=1))
        for path, params, bound in LIST_BOUNDS:
            url = path.format(
                acme=world.acme.pk, carla=world.acme_cfo.pk, northwind=world.partner.pk
            )
            with django_assert_max_num_queries(bound):
                response = admin_api.get(url, params)
            assert response.status_code == 200, path
            sizes[path, str(params)] = len(response.content)
        return sizes

    small = measure()
    _grow(world)
    large = measure()

    assert all(large[key] > small[key] for key in small), "every list should have grown"


def _grow(world):
    """30+ more rows under every list measured: units, people with roles, interactions, links."""
    for n in range(32):
        unit = make_account(world.admin, f"Acme Unit {n}", parent=world.acme)
        person = make_contact(world.admin, unit, reports_to=world.acme_cfo)
        account_services.buying_role_set(actor=world.admin, contact=person, role="end_user")
        account_services.buying_role_set(actor=world.admin, contact=person, role="champion")
        make_interaction(
            world.admin, unit, contacts=[person, world.acme_cfo], partner=world.partner
        )
        make_account(world.admin, f"Elsewhere {n}")
        account_services.partner_link_create(
            actor=world.admin, partner=world.partner, account=unit, role="service"
        )
        account_services.partner_create(actor=world.admin, name=f"Partner {n}", kind="var")
        api_token_create(user=world.admin, name=f"Token {n}")
        account_services.lifecycle_change(
            actor=world.admin, account=world.acme, stage="customer" if n % 2 == 0 else "lead"
        )
