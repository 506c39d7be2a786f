"""Contacts over the API: people, their identities, buying roles, employments and moves."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rapport.accounts.models import BuyingRole, Contact, ContactIdentity

pytestmark = pytest.mark.django_db


def test_list_and_filters(world, admin_api):
    def names(**params):
        response = admin_api.get("/contacts", params)
        assert response.status_code == 200, response.json()
        return [c["full_name"] for c in response.json()["items"]]

    assert names() == ["Ben Buyer", "Carla Finch", "Greta Gold"]
    assert names(account_id=world.globex.pk) == ["Greta Gold"]
    assert names(q="cfo") == ["Carla Finch"]
    assert names(role="purchasing") == ["Ben Buyer"]
    assert names(status="left") == []
    item = admin_api.get("/contacts", {"q": "Ben"}).json()["items"][0]
    assert item["account"] == {"id": world.acme_plant.pk, "name": "Plant Hamburg"}
    assert item["customer"] == {"id": world.acme.pk, "name": "Acme Industries"}
    assert item["reports_to_id"] == world.acme_cfo.pk
    assert item["roles"] == ["purchasing"]
    assert item["status_label"] == "Active"


def test_create_with_identities_and_manager(world, rep_api):
    response = rep_api.post(
        "/contacts",
        {
            "account_id": world.acme_emea.pk,
            "first_name": "Dora",
            "last_name": "Diaz",
            "title": "Head of Operations",
            "reports_to_id": world.acme_cfo.pk,
            "email": "Dora.Diaz@Acme.example",
            "phone": "+49 40 123456",
        },
    )

    assert response.status_code == 201, response.json()
    dora = response.json()
    assert dora["full_name"] == "Dora Diaz"
    assert dora["account"]["id"] == world.acme_emea.pk
    assert dora["reports_to"] == {
        "id": world.acme_cfo.pk,
        "full_name": "Carla Finch",
        "title": "CFO",
    }
    assert dora["email"] == "Dora.Diaz@Acme.example"
    assert (dora["phone"], dora["phone_display"]) == ("+4940123456", "+49 40 123456")
    assert [e["account"]["id"] for e in dora["employments"]] == [world.acme_emea.pk]
    assert Contact.objects.filter(last_name="Diaz").count() == 1


def test_detail_update_delete(world, rep_api):
    path = f"/contacts/{world.acme_cfo.pk}"
    detail = rep_api.get(path).json()
    assert [r["full_name"] for r in detail["direct_reports"]] == ["Ben Buyer"]
    assert [r["role"] for r in detail["buying_roles"]] == ["decision_maker"]

    response = rep_api.patch(path, {"title": "Chief Financial Officer", "status": "left"})

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Chief Financial Officer"
    assert response.json()["status"] == "left"
    assert response.json()["status_label"] == "Left the company"

    assert rep_api.delete(path).status_code == 204
    assert rep_api.get(path).status_code == 404
    assert Contact.all_objects.get(pk=world.acme_cfo.pk).deleted_at is not None


def test_update_reports_to_and_transfer_within_organisation(world, rep_api):
    path = f"/contacts/{world.acme_buyer.pk}"

    response = rep_api.patch(path, {"reports_to_id": None, "account_id": world.acme_emea.pk})

    assert response.status_code == 200, response.json()
    assert response.json()["reports_to"] is None
    assert response.json()["account"]["id"] == world.acme_emea.pk


def test_reporting_loop_is_refused_naming_the_field(world, rep_api):
    response = rep_api.patch(
        f"/contacts/{world.acme_cfo.pk}", {"reports_to_id": world.acme_buyer.pk}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reports_to_id"]


def test_transfer_to_another_organisation_needs_a_move(world, rep_api):
    response = rep_api.patch(f"/contacts/{world.acme_cfo.pk}", {"account_id": world.globex.pk})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account_id"]


def test_move_to_another_company_keeps_history(world, rep_api):
    today = timezone.localdate().isoformat()
    response = rep_api.post(
        f"/contacts/{world.acme_buyer.pk}/move",
        {"account_id": world.globex_it.pk, "title": "IT buyer", "moved_on": today},
    )

    assert response.status_code == 200, response.json()
    moved = response.json()
    assert moved["customer"]["id"] == world.globex.pk
    assert moved["title"] == "IT buyer"
    assert moved["buying_roles"] == []
    employments = rep_api.get(f"/contacts/{world.acme_buyer.pk}/employments").json()
    assert [(e["account"]["id"], e["ended_on"]) for e in employments] == [
        (world.globex_it.pk, None),
        (world.acme_plant.pk, today),
    ]
    timeline = rep_api.get(f"/contacts/{world.acme_buyer.pk}/timeline").json()
    assert [i["subject"] for i in timeline["items"]] == ["Acme site survey"]


def test_identities(world, rep_api):
    path = f"/contacts/{world.acme_cfo.pk}/identities"

    response = rep_api.post(path, {"kind": "phone", "value": "+44 20 7946 0000"})

    assert response.status_code == 201, response.json()
    added = response.json()
    assert added["kind_label"] == "Phone"
    assert added["is_primary"] is True
    kinds = [i["kind"] for i in rep_api.get(path).json()]
    assert kinds == ["email", "phone"]

    assert rep_api.delete(f"{path}/{added['id']}").status_code == 204
    assert [i["kind"] for i in rep_api.get(path).json()] == ["email"]
    assert rep_api.delete(f"{path}/{added['id']}").status_code == 404


def test_identity_taken_by_someone_else_is_a_conflict(world, rep_api):
    taken = world.acme_buyer.identities.get().value

    response = rep_api.post(
        f"/contacts/{world.acme_cfo.pk}/identities", {"kind": "email", "value": taken}
    )

    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["value"]


def test_identity_of_another_contact_cannot_be_removed_through_this_one(world, rep_api):
    other = world.acme_buyer.identities.get()

    response = rep_api.delete(f"/contacts/{world.acme_cfo.pk}/identities/{other.pk}")

    assert response.status_code == 404
    assert ContactIdentity.objects.filter(pk=other.pk).exists()


def test_buying_roles_upsert_and_remove(world, rep_api):
    path = f"/contacts/{world.acme_buyer.pk}/buying-roles"

    first = rep_api.post(
        path, {"role": "specifier", "influence": 2, "attitude": -1, "notes": "Wants specs"}
    )
    again = rep_api.post(path, {"role": "specifier", "influence": 4, "attitude": 2})

    assert first.status_code == 200, first.json()
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["influence"], again.json()["attitude_label"]) == (4, "Advocate")
    assert again.json()["account"]["id"] == world.acme_plant.pk
    roles = rep_api.get(path).json()
    assert sorted(r["role"] for r in roles) == ["purchasing", "specifier"]

    at_emea = rep_api.post(path, {"role": "influencer", "account_id": world.acme_emea.pk})
    assert at_emea.json()["account"]["id"] == world.acme_emea.pk

    assert rep_api.delete(f"{path}/{first.json()['id']}").status_code == 204
    assert not BuyingRole.objects.filter(pk=first.json()["id"]).exists()


def test_buying_role_at_another_organisation_is_refused(world, rep_api):
    response = rep_api.post(
        f"/contacts/{world.acme_buyer.pk}/buying-roles",
        {"role": "approver", "account_id": world.globex.pk},
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account_id"]


def test_contact_history(world, rep_api):
    rep_api.patch(f"/contacts/{world.acme_cfo.pk}", {"title": "CEO"})

    history = rep_api.get(f"/contacts/{world.acme_cfo.pk}/history").json()

    assert history[0]["kind"] == "changed"
    assert {"field": "title", "label": "Title", "old": "CFO", "new": "CEO"} in history[0]["changes"]


def test_end_users(world, rep_api, admin_api):
    rep_api.post(f"/contacts/{world.acme_buyer.pk}/buying-roles", {"role": "end_user"})
    rep_api.post(f"/contacts/{world.globex_cto.pk}/buying-roles", {"role": "end_user"})

    everyone = admin_api.get("/end-users").json()["items"]
    acme_only = admin_api.get("/end-users", {"account_id": world.acme.pk}).json()["items"]

    assert [c["full_name"] for c in everyone] == ["Ben Buyer", "Greta Gold"]
    assert [c["full_name"] for c in acme_only] == ["Ben Buyer"]
    assert (
        admin_api.get("/end-users", {"q": "greta"}).json()["items"][0]["id"] == world.globex_cto.pk
    )
