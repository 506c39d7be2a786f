"""Accounts over the API: create, read, change, delete and restore, tree, lifecycle, buying centre."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Account, LifecycleChange

pytestmark = pytest.mark.django_db


def test_list_gives_customer_organisations_by_name(world, admin_api):
    response = admin_api.get("/accounts")

    assert response.status_code == 200
    body = response.json()
    assert [a["name"] for a in body["items"]] == ["Acme Industries", "Globex Corporation"]
    assert body["next_cursor"] is None
    acme = body["items"][0]
    assert acme["lifecycle_stage"] == "prospect"
    assert acme["lifecycle_stage_label"] == "Prospect"
    assert acme["kind"] == "legal_entity"
    assert acme["kind_label"] == "Legal entity"
    assert acme["customer"] == {"id": world.acme.pk, "name": "Acme Industries"}
    assert acme["interaction_count"] == 0
    assert acme["created_at"].endswith("Z") or "+" in acme["created_at"]


def test_list_filters(world, admin_api):
    def names(**params):
        response = admin_api.get("/accounts", params)
        assert response.status_code == 200, response.json()
        return [a["name"] for a in response.json()["items"]]

    assert names(q="glob") == ["Globex Corporation"]
    assert names(industry="Manufacturing") == ["Acme Industries"]
    assert names(stage="customer") == []
    assert names(roots_only="false", q="acme") == ["Acme EMEA", "Acme Industries"]
    assert names(manager_id=world.rep.pk) == []


def test_create_organisation_then_unit(world, rep_api):
    response = rep_api.post(
        "/accounts",
        {
            "name": "Initech",
            "industry": "Software",
            "country": "US",
            "employees": 120,
            "manager_id": world.rep.pk,
            "lifecycle_stage": "lead",
        },
    )

    assert response.status_code == 201, response.json()
    initech = response.json()
    assert initech["name"] == "Initech"
    assert initech["manager"]["id"] == world.rep.pk
    assert initech["lifecycle_stage"] == "lead"
    assert initech["parent"] is None
    assert initech["depth"] == 1

    response = rep_api.post("/accounts", {"name": "Initech Labs", "parent_id": initech["id"]})

    assert response.status_code == 201, response.json()
    labs = response.json()
    assert labs["parent"] == {"id": initech["id"], "name": "Initech"}
    assert labs["kind"] == "division"
    assert labs["customer"]["id"] == initech["id"]
    assert labs["lifecycle_stage"] == "lead"
    assert Account.objects.get(pk=labs["id"]).path.startswith(
        Account.objects.get(pk=initech["id"]).path
    )


def test_detail_and_update(world, rep_api):
    response = rep_api.get(f"/accounts/{world.acme_plant.pk}")
    assert response.status_code == 200
    assert response.json()["parent"] == {"id": world.acme_emea.pk, "name": "Acme EMEA"}

    response = rep_api.patch(
        f"/accounts/{world.acme.pk}",
        {"city": "Hamburg", "manager_id": world.manager.pk, "employees": None},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["city"] == "Hamburg"
    assert response.json()["manager"]["id"] == world.manager.pk
    world.acme.refresh_from_db()
    assert (world.acme.city, world.acme.manager_id, world.acme.industry) == (
        "Hamburg",
        world.manager.pk,
        "Manufacturing",
    )

    response = rep_api.patch(f"/accounts/{world.acme.pk}", {"manager_id": None})

    assert response.status_code == 200
    assert response.json()["manager"] is None


def test_delete_then_restore(world, rep_api):
    response = rep_api.delete(f"/accounts/{world.acme_emea.pk}")

    assert response.status_code == 204
    assert rep_api.get(f"/accounts/{world.acme_emea.pk}").status_code == 404
    assert rep_api.get(f"/accounts/{world.acme_plant.pk}").status_code == 404

    response = rep_api.post(f"/accounts/{world.acme_emea.pk}/restore")

    assert response.status_code == 200, response.json()
    assert response.json()["deleted_at"] is None
    assert rep_api.get(f"/accounts/{world.acme_plant.pk}").status_code == 200


def test_restore_is_scoped_and_for_writers_only(world, api_as, rep_api):
    rep_api.delete(f"/accounts/{world.acme.pk}")

    assert api_as(world.analyst).post(f"/accounts/{world.acme.pk}/restore").status_code == 403
    assert api_as(world.portal_globex).post(f"/accounts/{world.acme.pk}/restore").status_code == 404
    assert rep_api.post("/accounts/999999/restore").status_code == 404
    assert Account.objects.get(pk=world.acme.pk).deleted_at is not None


def test_move_unit_within_organisation(world, rep_api):
    response = rep_api.post(
        f"/accounts/{world.acme_plant.pk}/move", {"new_parent_id": world.acme.pk}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["depth"] == 2
    assert response.json()["parent"]["id"] == world.acme.pk


def test_move_refuses_another_organisation_naming_the_field(world, rep_api):
    response = rep_api.post(
        f"/accounts/{world.acme_plant.pk}/move", {"new_parent_id": world.globex.pk}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["new_parent_id"]


def test_tree_rolls_up(world, admin_api):
    response = admin_api.get(f"/accounts/{world.acme_plant.pk}/tree")

    assert response.status_code == 200
    nodes = response.json()
    assert [(n["name"], n["depth"], n["parent_id"]) for n in nodes] == [
        ("Acme Industries", 1, None),
        ("Acme EMEA", 2, world.acme.pk),
        ("Plant Hamburg", 3, world.acme_emea.pk),
    ]
    assert [(n["interactions"], n["contacts"]) for n in nodes] == [(1, 2), (1, 1), (1, 1)]
    assert nodes[0]["last_interaction_at"] is not None


def test_lifecycle_change_and_history(world, rep_api):
    response = rep_api.post(
        f"/accounts/{world.acme.pk}/lifecycle", {"stage": "customer", "reason": "First order"}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["stage"] == "customer"
    assert response.json()["previous_stage"] == "prospect"
    assert response.json()["changed_by"]["id"] == world.rep.pk

    history = rep_api.get(f"/accounts/{world.acme.pk}/lifecycle").json()

    assert [(c["stage"], c["reason"]) for c in history] == [
        ("customer", "First order"),
        ("prospect", "Account created"),
    ]
    assert rep_api.get(f"/accounts/{world.acme_plant.pk}").json()["lifecycle_stage"] == "customer"


def test_lifecycle_same_stage_is_a_conflict(world, rep_api):
    response = rep_api.post(f"/accounts/{world.acme.pk}/lifecycle", {"stage": "prospect"})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert list(response.json()["errors"]) == ["stage"]
    assert LifecycleChange.objects.filter(account=world.acme).count() == 1


def test_buying_centre(world, admin_api):
    response = admin_api.get(f"/accounts/{world.acme.pk}/buying-centre")

    assert response.status_code == 200
    centre = response.json()
    assert [(m["contact"]["full_name"], m["primary_role"]) for m in centre["members"]] == [
        ("Carla Finch", "decision_maker"),
        ("Ben Buyer", "purchasing"),
    ]
    assert centre["members"][1]["account"] == {"id": world.acme_plant.pk, "name": "Plant Hamburg"}
    assert centre["members"][0]["roles"][0]["influence"] == 5
    assert centre["members"][0]["roles"][0]["attitude_label"] == "Supportive"
    assert {(g["unit"]["id"], g["role"]) for g in centre["gaps"]} >= {(world.acme.pk, "champion")}
    assert centre["role_counts"] == {"decision_maker": 1, "purchasing": 1}
    assert centre["end_user_counts"] == {}


def test_account_contacts_roll_up_units(world, admin_api):
    response = admin_api.get(f"/accounts/{world.acme.pk}/contacts")

    assert response.status_code == 200
    assert [c["full_name"] for c in response.json()["items"]] == ["Ben Buyer", "Carla Finch"]
    unit_only = admin_api.get(f"/accounts/{world.acme_plant.pk}/contacts").json()["items"]
    assert [c["full_name"] for c in unit_only] == ["Ben Buyer"]


def test_account_timeline_with_filters(world, admin_api):
    path = f"/accounts/{world.acme.pk}/timeline"

    assert [i["subject"] for i in admin_api.get(path).json()["items"]] == ["Acme site survey"]
    assert admin_api.get(path, {"subtree": "false"}).json()["items"] == []
    assert admin_api.get(path, {"channel": "email,meeting"}).json()["items"] == []
    assert len(admin_api.get(path, {"channel": ["email", "call"]}).json()["items"]) == 1
    assert len(admin_api.get(path, {"unit_id": world.acme_plant.pk}).json()["items"]) == 1
    assert len(admin_api.get(path, {"person_id": world.acme_cfo.pk}).json()["items"]) == 0
    assert (
        len(admin_api.get(path, {"since": "2000-01-01", "until": "2999-12-31"}).json()["items"])
        == 1
    )


def test_account_partners_and_history(world, admin_api, rep_api):
    rep_api.patch(f"/accounts/{world.acme.pk}", {"city": "Bremen"})

    links = admin_api.get(f"/accounts/{world.acme.pk}/partners").json()
    history = admin_api.get(f"/accounts/{world.acme.pk}/history").json()

    assert [(link["partner"]["name"], link["role"], link["is_active"]) for link in links] == [
        ("Northwind Systems", "reseller_of_record", True),
    ]
    assert history[0]["kind"] == "changed"
    assert history[0]["who"] == "Rita Rep"
    assert {"field": "city", "label": "City", "old": "", "new": "Bremen"} in history[0]["changes"]
    assert history[-1]["kind"] == "created"
