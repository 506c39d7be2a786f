"""API of identity resolution: the duplicate check, the queue, merges and undo, runs, settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rapport.accounts.models import Contact
from rapport.resolution import services
from rapport.resolution.models import DuplicatePair, PairStatus
from tests.datasets import crm_online
from tests.datasets.crm_people import generate
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin(world):
    return make_contact(
        world.admin, world.acme, first_name="Karla", last_name="Finch", email="kf@acme.example"
    )


@pytest.fixture
def pair(world, twin):
    return services.pair_open(
        actor=world.admin, kind="contact", first=world.acme_cfo, second=twin, score=0.92
    )


def test_the_contact_check_answers_with_matches_and_reasons(world, rep_api, twin):
    response = rep_api.get(
        "/duplicates/contacts",
        {"first_name": "Carla", "last_name": "Finch", "account_id": world.acme.pk},
    )
    assert response.status_code == 200
    body = response.json()
    assert [m["contact"]["id"] for m in body] == [world.acme_cfo.pk, twin.pk]
    assert body[0]["contact"]["account_name"] == "Acme Industries"
    assert "same name" in body[0]["reasons"]


def test_the_account_check(world, rep_api):
    make_account(world.admin, "Hooli", website="hooli.example")
    body = rep_api.get(
        "/duplicates/accounts", {"name": "Hooli Inc", "website": "https://hooli.example"}
    ).json()
    assert [m["account"]["name"] for m in body] == ["Hooli"]
    assert body[0]["score"] == 0.99


def test_a_portal_user_gets_no_match_from_another_customer(world, api_as, twin):
    body = (
        api_as(world.portal_globex)
        .get("/duplicates/contacts", {"first_name": "Carla", "last_name": "Finch"})
        .json()
    )
    assert body == []


def test_bad_check_input_is_a_400(rep_api):
    response = rep_api.get("/duplicates/contacts", {"limit": 0})
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]


def test_the_queue_and_merging_a_pair_then_undoing_it(world, rep_api, pair):
    page = rep_api.get("/duplicates/pairs", {"kind": "contact"}).json()
    assert [p["id"] for p in page["items"]] == [pair.pk]
    assert page["items"][0]["left_name"] == "Carla Finch"

    merged = rep_api.post(
        f"/duplicates/pairs/{pair.pk}/merge", {"keep": "left", "choices": {"first_name": "keep"}}
    )
    assert merged.status_code == 201, merged.json()
    body = merged.json()
    assert (body["keep_id"], body["absorbed_id"]) == (world.acme_cfo.pk, pair.right_contact_id)
    assert body["before"]["absorbed"]["first_name"] == "Karla"
    assert not Contact.objects.filter(pk=pair.right_contact_id).exists()

    assert rep_api.get("/merges").json()["items"][0]["id"] == body["id"]
    undone = rep_api.post(f"/merges/{body['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone_by"]["id"] == world.rep.pk
    assert Contact.objects.filter(pk=pair.right_contact_id).exists()
    again = rep_api.post(f"/merges/{body['id']}/undo")
    assert again.status_code == 409


def test_deciding_a_pair(world, rep_api, pair):
    response = rep_api.post(f"/duplicates/pairs/{pair.pk}/decision", {"status": "rejected"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.REJECTED
    assert (
        rep_api.post(f"/duplicates/pairs/{pair.pk}/decision", {"status": "accepted"}).status_code
        == 400
    )


def test_partner_and_portal_users_never_see_pairs_of_accounts_they_cannot_see(world, api_as):
    globex_twin = make_contact(world.admin, world.globex, first_name="Greta", last_name="Golde")
    hidden = services.pair_open(
        actor=world.admin, kind="contact", first=world.globex_cto, second=globex_twin, score=0.9
    )
    acme_twin = make_contact(world.admin, world.acme, first_name="Carla", last_name="Fincher")
    shown = services.pair_open(
        actor=world.admin, kind="contact", first=world.acme_cfo, second=acme_twin, score=0.8
    )
    for user in (world.partner_user, world.portal_acme):
        api = api_as(user)
        assert [p["id"] for p in api.get("/duplicates/pairs").json()["items"]] == [shown.pk]
        assert api.get(f"/duplicates/pairs/{hidden.pk}").status_code == 404
        assert api.post(f"/duplicates/pairs/{shown.pk}/merge", {}).status_code == 403
    assert (
        api_as(world.portal_globex).get("/duplicates/pairs").json()["items"][0]["id"] == hidden.pk
    )


def test_merging_contacts_and_accounts_directly(world, rep_api, twin):
    response = rep_api.post(
        "/merges/contacts", {"keep_id": world.acme_cfo.pk, "absorbed_id": twin.pk}
    )
    assert response.status_code == 201
    dup = make_account(world.admin, "Globex Corp")
    response = rep_api.post("/merges/accounts", {"keep_id": world.globex.pk, "absorbed_id": dup.pk})
    assert response.status_code == 201
    assert response.json()["kind"] == "account"
    wrong = rep_api.post("/merges/accounts", {"keep_id": world.globex.pk, "absorbed_id": 10**9})
    assert wrong.status_code == 400
    assert "absorbed_id" in wrong.json()["errors"]


def test_only_admins_allow_auto_merge_and_start_auto_merging_runs(
    world, admin_api, rep_api, monkeypatch
):
    assert (
        rep_api._send("put", "/duplicates/settings", {"auto_merge_enabled": True}).status_code
        == 403
    )
    assert admin_api.get("/duplicates/settings").json()["auto_merge_enabled"] is False
    refused = admin_api.post("/duplicates/runs", {"kind": "contact", "auto_merge_above": 0.99})
    assert refused.status_code == 409
    saved = admin_api._send("put", "/duplicates/settings", {"auto_merge_enabled": True})
    assert saved.json()["updated_by"]["id"] == world.admin.pk
    assert (
        rep_api.post("/duplicates/runs", {"kind": "contact", "auto_merge_above": 0.99}).status_code
        == 403
    )


def test_a_run_started_through_the_api_reports_progress(world, rep_api, monkeypatch):
    from rapport.analytics.linkage import Linkage

    monkeypatch.setattr(
        "rapport.analytics.linkage.link_records",
        lambda records, **kw: Linkage([], [], "stub", "0", {}),
    )
    response = rep_api.post("/duplicates/runs", {"kind": "account"})
    assert response.status_code == 202
    run = rep_api.get(f"/duplicates/runs/{response.json()['id']}").json()
    assert (run["status"], run["progress"], run["records"]) == ("done", 100, 5)


def test_typed_variants_of_crm_shaped_people_find_the_right_person_first(world, api_as):
    people = generate(2_000, seed=3)
    planted = crm_online.held_back(people, 120, seed=5)
    crm_online.load(people, skip={p.duplicate for p in planted})
    admin_api = api_as(world.admin)

    def check(**typed):
        response = admin_api.get("/duplicates/contacts", typed)
        assert response.status_code == 200
        return [
            SimpleNamespace(record=SimpleNamespace(pk=m["contact"]["id"])) for m in response.json()
        ]

    report = crm_online.evaluate(check, crm_online.typed(people, planted))

    assert report["cases"] == 120
    assert report["top1"] >= 0.90
