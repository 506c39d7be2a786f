"""Partners over the API: the register of channel partners and the accounts they serve."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Partner, PartnerLink

pytestmark = pytest.mark.django_db


def test_list_with_account_counts(world, admin_api):
    response = admin_api.get("/partners")

    assert response.status_code == 200
    assert [(p["name"], p["account_count"]) for p in response.json()] == [
        ("Northwind Systems", 1),
        ("Southwind Traders", 1),
    ]
    assert [p["name"] for p in admin_api.get("/partners", {"q": "south"}).json()] == [
        "Southwind Traders"
    ]


def test_create_read_update(world, rep_api):
    response = rep_api.post("/partners", {"name": "Eastwind", "kind": "var", "country": "NL"})

    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["kind_label"] == "Value-added reseller"

    response = rep_api.patch(f"/partners/{created['id']}", {"website": "https://eastwind.example"})

    assert response.status_code == 200, response.json()
    assert rep_api.get(f"/partners/{created['id']}").json()["website"] == "https://eastwind.example"
    assert Partner.objects.get(pk=created["id"]).country == "NL"


def test_duplicate_name_is_a_conflict(world, rep_api):
    response = rep_api.post("/partners", {"name": "northwind systems", "kind": "var"})

    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["name"]


def test_links_create_and_end(world, rep_api):
    path = f"/partners/{world.partner.pk}/links"

    response = rep_api.post(
        path, {"account_id": world.globex.pk, "role": "service", "started_on": "2024-01-01"}
    )

    assert response.status_code == 201, response.json()
    link = response.json()
    assert link["account"] == {"id": world.globex.pk, "name": "Globex Corporation"}
    assert link["partner"] == {"id": world.partner.pk, "name": "Northwind Systems"}
    assert link["is_active"] is True
    assert sorted(x["role"] for x in rep_api.get(path).json()) == ["reseller_of_record", "service"]

    response = rep_api.post(f"/partner-links/{link['id']}/end", {"ended_on": "2024-06-30"})

    assert response.status_code == 200, response.json()
    assert response.json()["ended_on"] == "2024-06-30"
    assert response.json()["is_active"] is False


def test_ending_a_link_defaults_to_today_and_needs_no_body(world, rep_api):
    link = PartnerLink.objects.get(partner=world.partner)

    response = rep_api.post(f"/partner-links/{link.pk}/end")

    assert response.status_code == 200, response.json()
    assert response.json()["ended_on"] is not None


def test_end_before_start_is_refused(world, rep_api):
    link = PartnerLink.objects.get(partner=world.partner)

    response = rep_api.post(f"/partner-links/{link.pk}/end", {"ended_on": "1999-01-01"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ended_on"]


def test_same_link_twice_is_a_conflict(world, rep_api):
    response = rep_api.post(
        f"/partners/{world.partner.pk}/links",
        {"account_id": world.acme.pk, "role": "reseller_of_record"},
    )

    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["role"]
