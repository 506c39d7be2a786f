"""Interactions over the API: logging, correcting and removing, and the global timeline."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Account
from rapport.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def test_log_with_people_on_both_sides(world, rep_api):
    response = rep_api.post(
        "/interactions",
        {
            "account_id": world.acme_emea.pk,
            "channel": "meeting",
            "direction": "two_way",
            "occurred_at": "2025-03-04T10:30:00+01:00",
            "subject": "Quarterly review",
            "summary": "Went through the roadmap.",
            "outcome": "positive",
            "next_step": "Send the proposal",
            "contact_ids": [world.acme_cfo.pk, world.acme_buyer.pk],
            "user_ids": [world.rep.pk, world.manager.pk],
            "partner_id": world.partner.pk,
        },
    )

    assert response.status_code == 201, response.json()
    logged = response.json()
    assert logged["occurred_at"] == "2025-03-04T09:30:00Z"
    assert logged["channel_label"] == "Meeting"
    assert logged["outcome_label"] == "Positive"
    assert logged["account"] == {"id": world.acme_emea.pk, "name": "Acme EMEA"}
    assert logged["customer_id"] == world.acme.pk
    assert {c["id"] for c in logged["contacts"]} == {world.acme_cfo.pk, world.acme_buyer.pk}
    assert {u["id"] for u in logged["users"]} == {world.rep.pk, world.manager.pk}
    assert logged["partner"]["id"] == world.partner.pk
    assert logged["logged_by"]["id"] == world.rep.pk
    assert Account.objects.get(pk=world.acme_emea.pk).interaction_count == 1


def test_log_defaults(world, rep_api):
    response = rep_api.post(
        "/interactions",
        {
            "account_id": world.globex.pk,
            "channel": "call",
            "direction": "inbound",
            "subject": "Question",
        },
    )

    assert response.status_code == 201, response.json()
    assert [u["id"] for u in response.json()["users"]] == [world.rep.pk]
    assert response.json()["outcome"] == ""
    assert response.json()["contacts"] == []


def test_contact_of_another_organisation_is_refused(world, rep_api):
    response = rep_api.post(
        "/interactions",
        {
            "account_id": world.acme.pk,
            "channel": "call",
            "direction": "inbound",
            "subject": "Mixed up",
            "contact_ids": [world.globex_cto.pk],
        },
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["contact_ids"]
    assert Interaction.objects.count() == 2


def test_detail_update_delete(world, rep_api):
    path = f"/interactions/{world.acme_call.pk}"
    assert rep_api.get(path).json()["subject"] == "Acme site survey"

    response = rep_api.patch(
        path,
        {
            "subject": "Site survey, Hamburg",
            "outcome": "neutral",
            "contact_ids": [world.acme_cfo.pk],
            "partner_id": world.partner.pk,
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["subject"] == "Site survey, Hamburg"
    assert [c["id"] for c in response.json()["contacts"]] == [world.acme_cfo.pk]
    assert response.json()["partner"]["id"] == world.partner.pk

    response = rep_api.patch(path, {"partner_id": None})

    assert response.json()["partner"] is None
    assert rep_api.delete(path).status_code == 204
    assert rep_api.get(path).status_code == 404
    assert Account.objects.get(pk=world.acme_plant.pk).interaction_count == 0


def test_history(world, rep_api):
    rep_api.patch(f"/interactions/{world.acme_call.pk}", {"next_step": "Call back"})

    history = rep_api.get(f"/interactions/{world.acme_call.pk}/history").json()

    assert [h["kind"] for h in history] == ["changed", "created"]
    assert history[0]["changes"][0]["field"] == "next_step"


def test_global_timeline_with_filters(world, admin_api):
    def subjects(**params):
        response = admin_api.get("/interactions", params)
        assert response.status_code == 200, response.json()
        return [i["subject"] for i in response.json()["items"]]

    assert subjects() == ["Acme site survey", "Globex renewal terms"]
    assert subjects(account_id=world.globex.pk) == ["Globex renewal terms"]
    assert subjects(account_id=world.acme.pk, subtree="false") == []
    assert subjects(contact_id=world.acme_buyer.pk) == ["Acme site survey"]
    assert subjects(channel="email") == ["Globex renewal terms"]
    assert subjects(until="2000-01-01") == []
