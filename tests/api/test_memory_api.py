"""API of the learning memory: record facts, see them with provenance, never ask twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.memory.models import Asking, Fact, QuestionnaireLink
from tests.factories import make_interaction

pytestmark = pytest.mark.django_db


def test_a_preference_recorded_during_a_call_shows_on_the_profile_with_its_source(world, rep_api):
    # Given a call with the buyer
    call = make_interaction(world.rep, world.acme_plant, contacts=[world.acme_buyer])

    # When the rep records the buyer's preference on it
    response = rep_api.post(
        "/facts",
        {
            "attribute": "pref-meeting-format",
            "contact_id": world.acme_buyer.pk,
            "value": "video",
            "source": "interaction",
            "interaction_id": call.pk,
            "said_by_id": world.acme_buyer.pk,
        },
    )

    # Then it is stored with its provenance and shows on the contact's profile
    assert response.status_code == 201, response.json()
    fact = response.json()["fact"]
    assert (fact["display"], fact["source"], fact["interaction_id"]) == (
        "video",
        "interaction",
        call.pk,
    )
    assert fact["said_by"]["id"] == world.acme_buyer.pk
    assert fact["recorded_by"]["id"] == world.rep.pk
    profile = rep_api.get(f"/contacts/{world.acme_buyer.pk}/profile").json()
    entry = next(e for e in profile["entries"] if e["attribute"]["key"] == "pref-meeting-format")
    assert entry["known"] is True
    assert entry["fact"]["id"] == fact["id"]


def test_asking_a_known_question_answers_409_with_the_known_answer_then_a_reason_confirms_it(
    world, rep_api, api_as
):
    rep_api.post(
        "/facts",
        {"attribute": "pref-meeting-format", "contact_id": world.acme_buyer.pk, "value": "video"},
    )
    known = rep_api.get(
        "/questions/known", {"attribute": "pref-meeting-format", "contact_id": world.acme_buyer.pk}
    ).json()
    assert known["known"] is True
    assert known["entry"]["fact"]["display"] == "video"

    manager_api = api_as(world.manager)
    refused = manager_api.post(
        "/askings",
        {"attribute": "pref-meeting-format", "contact_id": world.acme_buyer.pk, "channel": "call"},
    )
    assert refused.status_code == 409
    assert "video" in refused.json()["message"]
    assert list(refused.json()["errors"]) == ["reason"]
    assert Asking.objects.count() == 0

    confirmed = manager_api.post(
        "/askings",
        {
            "attribute": "pref-meeting-format",
            "contact_id": world.acme_buyer.pk,
            "channel": "call",
            "reason": "Confirming before the on-site visit",
            "answer": "in person",
        },
    )
    assert confirmed.status_code == 201, confirmed.json()
    body = confirmed.json()
    assert body["is_reask"] is True
    assert body["known_fact"]["display"] == "video"
    assert body["answer"]["display"] == "in person"
    reasks = manager_api.get("/reasks").json()
    assert reasks["total_reasks"] == 1
    assert reasks["by_employee"][0]["name"] == "Max Manager"
    history = manager_api.get(
        "/facts", {"attribute": "pref-meeting-format", "contact_id": world.acme_buyer.pk}
    ).json()
    assert [f["display"] for f in history] == ["in person", "video"]
    assert history[1]["is_current"] is False


def test_bad_fact_input_names_the_field_and_changes_nothing(world, rep_api, unchanged):
    check = unchanged()
    cases = [
        ({"attribute": "nope", "account_id": world.acme.pk, "value": 1}, "attribute"),
        ({"attribute": "spec-seats", "account_id": world.acme.pk, "value": "many"}, "value"),
        ({"attribute": "spec-seats", "value": 3}, "account_id"),
        (
            {
                "attribute": "spec-seats",
                "account_id": world.globex.pk,
                "value": 3,
                "said_by_id": world.acme_cfo.pk,
            },
            "said_by_id",
        ),
        ({"attribute": "spec-seats", "account_id": 99999, "value": 3}, "account_id"),
        (
            {"attribute": "spec-seats", "account_id": world.acme.pk, "value": 3, "confidence": 0},
            "confidence",
        ),
        (
            {"attribute": "spec-seats", "account_id": world.acme.pk, "value": 3, "colour": "red"},
            "colour",
        ),
    ]
    for body, field in cases:
        response = rep_api.post("/facts", body)
        assert response.status_code == 400, (body, response.json())
        assert field in response.json()["errors"], (body, response.json())
    assert Fact.objects.count() == 0
    check()


def test_outside_users_see_no_other_organisations_memory_and_cannot_write(world, rep_api, api_as):
    rep_api.post("/facts", {"attribute": "spec-seats", "account_id": world.globex.pk, "value": 7})
    fact_id = Fact.objects.get().pk
    for user in (world.portal_acme, world.partner_user):
        client = api_as(user)
        assert client.get(f"/facts/{fact_id}").status_code == 404
        assert client.get(f"/accounts/{world.globex.pk}/profile").status_code == 404
        assert client.get("/contradictions").json() == []
        response = client.post(
            "/facts", {"attribute": "spec-seats", "account_id": world.acme.pk, "value": 1}
        )
        assert response.status_code == 403
    assert (
        api_as(world.analyst)
        .post("/facts", {"attribute": "spec-seats", "account_id": world.acme.pk, "value": 1})
        .status_code
        == 403
    )
    assert api_as(None).get(f"/facts/{fact_id}").status_code == 401
    assert Fact.objects.count() == 1


def test_contradictions_are_listed_and_resolved(world, rep_api, api_as):
    rep_api.post(
        "/facts",
        {
            "attribute": "con-annual-budget",
            "account_id": world.acme.pk,
            "value": 200000,
            "said_by_id": world.acme_cfo.pk,
        },
    )
    second = rep_api.post(
        "/facts",
        {
            "attribute": "con-annual-budget",
            "account_id": world.acme.pk,
            "value": 90000,
            "said_by_id": world.acme_buyer.pk,
        },
    ).json()
    contradiction = second["contradiction"]
    assert contradiction["earlier"]["display"] == "EUR 200,000"
    listed = rep_api.get("/contradictions").json()
    assert [c["id"] for c in listed] == [contradiction["id"]]

    resolved = api_as(world.manager).post(
        f"/contradictions/{contradiction['id']}/resolve", {"keep": "earlier", "note": "CFO decides"}
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert rep_api.get("/contradictions").json() == []
    again = api_as(world.manager).post(
        f"/contradictions/{contradiction['id']}/resolve", {"keep": "later"}
    )
    assert again.status_code == 409


def test_next_questions_and_a_questionnaire_link(world, rep_api, client):
    suggestions = rep_api.get(
        f"/contacts/{world.acme_buyer.pk}/next-questions", {"limit": 3}
    ).json()
    assert len(suggestions) == 3
    assert suggestions[0]["reasons"][0] == "Unknown"

    created = rep_api.post(
        "/questionnaires",
        {"contact_id": world.acme_buyer.pk, "attributes": ["pref-topics", "spec-seats"]},
    )
    assert created.status_code == 201, created.json()
    url = created.json()["url"]
    assert [a["key"] for a in created.json()["attributes"]] == ["pref-topics", "spec-seats"]

    page = client.get(url)
    assert page.status_code == 200
    assert "Which topics would you like to hear from us about?" in page.content.decode()
    answered = client.post(url, {"pref-topics": ["events"], "spec-seats": ""})
    assert answered.status_code == 200
    fact = Fact.objects.get()
    assert (fact.display, fact.source, fact.said_by) == (
        "events",
        "questionnaire",
        world.acme_buyer,
    )

    link_id = created.json()["id"]
    assert rep_api.post(f"/questionnaires/{link_id}/revoke").status_code == 200
    assert client.get(url).status_code == 404


def test_a_questionnaire_defaults_to_the_next_unknowns(world, rep_api):
    created = rep_api.post("/questionnaires", {"account_id": world.acme.pk}).json()
    assert 1 <= len(created["attributes"]) <= 8
    link = QuestionnaireLink.objects.get()
    assert link.expires_at > timezone.now() + timedelta(days=29)


def test_logging_an_interaction_teaches_facts_in_one_step(world, rep_api):
    # The interaction API takes what was learned alongside the log (see interactions API)
    response = rep_api.post(
        "/interactions",
        {
            "account_id": world.acme_plant.pk,
            "channel": "call",
            "direction": "two_way",
            "subject": "Renewal call",
            "contact_ids": [world.acme_buyer.pk],
            "learned": [
                {
                    "attribute": "pref-meeting-format",
                    "value": "phone",
                    "contact_id": world.acme_buyer.pk,
                },
                {"attribute": "spec-seats", "value": 80},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    facts = {f.attribute.key: f for f in Fact.objects.select_related("attribute")}
    assert facts["pref-meeting-format"].contact == world.acme_buyer
    assert facts["spec-seats"].account == world.acme_plant
    assert facts["spec-seats"].said_by == world.acme_buyer
    assert {f.interaction_id for f in facts.values()} == {response.json()["id"]}

    bad = rep_api.post(
        "/interactions",
        {
            "account_id": world.acme_plant.pk,
            "channel": "call",
            "direction": "two_way",
            "subject": "Another call",
            "learned": [{"attribute": "spec-seats", "value": "lots"}],
        },
    )
    assert bad.status_code == 400
    assert "learned.0.value" in bad.json()["errors"]
    assert Fact.objects.count() == 2


def test_admins_keep_the_catalogue(world, admin_api, rep_api):
    body = {
        "key": "need-cold-chain",
        "label": "Cold chain needed",
        "kind": "need",
        "value_type": "choice",
        "level": "unit",
        "question": "Do deliveries need a cold chain?",
        "choices": ["no", "chilled", "frozen"],
        "used_for": ["logistics offer"],
    }
    assert rep_api.post("/attributes", body).status_code == 403
    created = admin_api.post("/attributes", body)
    assert created.status_code == 201, created.json()
    assert admin_api.post("/attributes", body).status_code == 409
    bad = admin_api.post("/attributes", {**body, "key": "need-x", "choices": []})
    assert bad.status_code == 400
    assert "choices" in bad.json()["errors"]
    assert (
        admin_api.patch("/attributes/need-cold-chain", {"importance": 5}).json()["importance"] == 5
    )
    rep_api.post(
        "/facts", {"attribute": "need-cold-chain", "account_id": world.acme.pk, "value": "frozen"}
    )
    changed = admin_api.patch("/attributes/need-cold-chain", {"value_type": "text"})
    assert changed.status_code == 409
    assert admin_api.delete("/attributes/need-cold-chain").status_code == 204
    assert "need-cold-chain" not in [a["key"] for a in rep_api.get("/attributes").json()]
    assert Fact.objects.get().attribute.key == "need-cold-chain"


def test_a_forged_cursor_of_askings_is_bad_input_not_a_crash(world, rep_api):
    import base64
    import json

    for values in (["2026-13-45T00:00:00+00:00", 5], ["2026-01-01T00:00:00", 5], ["x", True]):
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
        response = rep_api.get("/askings", {"cursor": cursor})
        assert response.status_code == 400, values
        assert list(response.json()["errors"]) == ["cursor"]
