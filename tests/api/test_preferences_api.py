"""The API of communication preferences, caps, consent and the permission question."""

from __future__ import annotations

import json

import pytest

from rapport.interactions.models import Interaction
from rapport.memory.models import CommunicationPreference, Consent, FrequencyCap, PreferenceBreach
from tests.factories import build_rhythms

pytestmark = pytest.mark.django_db


def _withdraw(api, contact_id, **extra):
    body = {"purpose": "marketing", "status": "withdrawn", "how": "reply to newsletter", **extra}
    return api.post(f"/contacts/{contact_id}/consents", body)


def _marketing_mail(world, **extra):
    return {
        "account_id": world.acme.pk,
        "channel": "email",
        "direction": "outbound",
        "subject": "Autumn offers",
        "contact_ids": [world.acme_cfo.pk],
        "purpose": "marketing",
        **extra,
    }


def test_preferences_round_trip(world, rep_api):
    path = f"/contacts/{world.acme_cfo.pk}/communication-preferences"
    empty = rep_api.get(path).json()
    assert empty["preferred_channel"] == ""
    assert empty["updated_by"] is None
    body = {
        "preferred_channel": "call",
        "preferred_days": [1, 2, 3],
        "preferred_from": "09:00",
        "preferred_until": "12:30",
        "time_zone": "Europe/Berlin",
        "language": "de",
    }
    response = rep_api.raw("put", path, json.dumps(body))
    assert response.status_code == 200
    data = response.json()
    assert data["preferred_days"] == [1, 2, 3]
    assert data["preferred_from"] == "09:00:00"
    assert data["updated_by"]["id"] == world.rep.pk
    assert rep_api.get(path).json()["time_zone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"preferred_from": "12:00", "preferred_until": "09:00"}, "preferred_until"),
        ({"language": "German"}, "language"),
        ({"preferred_days": [9]}, "preferred_days"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_preferences_answer_400_naming_the_field(world, rep_api, body, field):
    path = f"/contacts/{world.acme_cfo.pk}/communication-preferences"
    response = rep_api.raw("put", path, json.dumps(body))
    assert response.status_code == 400
    assert any(field in name for name in response.json()["errors"])
    assert CommunicationPreference.objects.count() == 0


def test_caps_are_listed_set_and_deleted(world, rep_api):
    base = f"/contacts/{world.acme_cfo.pk}/frequency-caps"
    put = rep_api.raw("put", f"{base}/email", '{"max_contacts": 2, "per_days": 30}')
    assert put.status_code == 200
    assert put.json()["max_contacts"] == 2
    assert [c["channel"] for c in rep_api.get(base).json()] == ["email"]
    assert rep_api.delete(f"{base}/email").status_code == 204
    assert rep_api.get(base).json() == []
    assert rep_api.delete(f"{base}/email").status_code == 404
    assert FrequencyCap.all_objects.count() == 1


def test_consents_are_recorded_and_listed_newest_first(world, rep_api):
    granted = rep_api.post(
        f"/contacts/{world.acme_cfo.pk}/consents",
        {"purpose": "marketing", "status": "granted", "how": "web form", "channel": "email"},
    )
    assert granted.status_code == 201
    assert _withdraw(rep_api, world.acme_cfo.pk).status_code == 201
    listed = rep_api.get(f"/contacts/{world.acme_cfo.pk}/consents").json()
    assert [(c["status"], c["channel"]) for c in listed] == [
        ("withdrawn", ""),
        ("granted", "email"),
    ]
    assert listed[0]["recorded_by"]["id"] == world.rep.pk


def test_a_consent_may_cite_the_interaction_it_came_from(world, rep_api):
    ok = _withdraw(rep_api, world.acme_buyer.pk, interaction_id=world.acme_call.pk)
    assert ok.json()["interaction_id"] == world.acme_call.pk
    other = _withdraw(rep_api, world.acme_buyer.pk, interaction_id=world.globex_mail.pk)
    assert other.status_code == 400
    assert list(other.json()["errors"]) == ["interaction_id"]


def test_the_permission_question(world, rep_api):
    path = f"/contacts/{world.acme_cfo.pk}/permission"
    assert rep_api.get(path, {"channel": "email", "purpose": "service"}).json() == {
        "verdict": "allow",
        "reasons": [],
    }
    _withdraw(rep_api, world.acme_cfo.pk)
    answer = rep_api.get(path, {"channel": "email", "purpose": "marketing"}).json()
    assert answer["verdict"] == "block"
    assert answer["reasons"][0].startswith("Withdrew consent to marketing on ")
    before = rep_api.get(
        path, {"channel": "email", "purpose": "marketing", "at": "2020-01-01T10:00:00+00:00"}
    ).json()
    assert before["reasons"] == ["Has not opted in to marketing: record their consent first."]
    assert rep_api.get(path, {"channel": "pigeon"}).status_code == 400


def test_the_permission_of_many_people_at_once(world, rep_api):
    _withdraw(rep_api, world.acme_cfo.pk)
    answer = rep_api.get(
        "/contact-permissions",
        {
            "contact_ids": f"{world.acme_cfo.pk},{world.acme_buyer.pk}",
            "channel": "email",
            "purpose": "service",
        },
    )
    assert answer.status_code == 200
    assert [(row["contact_id"], row["verdict"]) for row in answer.json()] == [
        (world.acme_cfo.pk, "allow"),
        (world.acme_buyer.pk, "allow"),
    ]
    hidden = rep_api.get(
        "/contact-permissions",
        {"contact_ids": "999999", "channel": "email"},
    )
    assert hidden.status_code == 400


def test_e_mailing_someone_who_withdrew_consent_answers_409(world, rep_api):
    _withdraw(rep_api, world.acme_cfo.pk)
    before = Interaction.objects.count()
    response = rep_api.post("/interactions", _marketing_mail(world))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert list(body["errors"]) == ["contact_ids"]
    assert body["errors"]["contact_ids"][0].startswith(
        "Carla Finch: Withdrew consent to marketing on "
    )
    assert Interaction.objects.count() == before
    overridden = rep_api.post(
        "/interactions", _marketing_mail(world, override_reason="They called and asked")
    )
    assert overridden.status_code == 201
    assert overridden.json()["purpose"] == "marketing"
    breach = PreferenceBreach.objects.get()
    assert breach.override_reason == "They called and asked"


def test_an_unknown_purpose_is_400(world, rep_api):
    response = rep_api.post("/interactions", _marketing_mail(world, purpose="gossip"))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["purpose"]


@pytest.mark.parametrize("who", ["analyst", "portal_acme", "partner_user"])
def test_readers_may_look_but_not_write(world, api_as, who, unchanged):
    api = api_as(getattr(world, who))
    check = unchanged()
    pk = world.acme_cfo.pk
    assert api.get(f"/contacts/{pk}/communication-preferences").status_code == 200
    assert api.get(f"/contacts/{pk}/permission", {"channel": "email"}).status_code == 200
    assert _withdraw(api, pk).status_code == 403
    put = api.raw("put", f"/contacts/{pk}/communication-preferences", '{"language": "de"}')
    assert put.status_code == 403
    cap = api.raw("put", f"/contacts/{pk}/frequency-caps/email", '{"max_contacts":1,"per_days":1}')
    assert cap.status_code == 403
    assert Consent.objects.count() == 0
    check()


@pytest.mark.parametrize("who", ["portal_globex", None])
def test_outsiders_see_nothing(world, api_as, who):
    api = api_as(getattr(world, who) if who else None)
    pk = world.acme_cfo.pk
    expected = 404 if who else 401
    assert api.get(f"/contacts/{pk}/communication-preferences").status_code == expected
    assert api.get(f"/contacts/{pk}/consents").status_code == expected
    assert api.get(f"/contacts/{pk}/permission", {"channel": "email"}).status_code == expected
    assert _withdraw(api, pk).status_code == expected
    assert Consent.objects.count() == 0


def test_the_partner_user_cannot_reach_the_other_organisation(world, api_as):
    api = api_as(world.partner_user)
    assert api.get(f"/contacts/{world.globex_cto.pk}/consents").status_code == 404


def test_reads_issue_a_bounded_number_of_queries(world, rep_api, django_assert_max_num_queries):
    pk = world.acme_cfo.pk
    for n in range(8):
        rep_api.post(
            f"/contacts/{pk}/consents",
            {"purpose": "events", "status": "granted" if n % 2 else "withdrawn", "how": f"{n}"},
        )
    for path in ("consents", "frequency-caps", "communication-preferences"):
        with django_assert_max_num_queries(8):
            assert rep_api.get(f"/contacts/{pk}/{path}").status_code == 200


# --- quiet intervals (X8) ------------------------------------------------------------------


@pytest.fixture
def rhythms(world):
    return build_rhythms(world)


def test_the_api_lists_and_recomputes(world, rhythms, api_as):
    rep = api_as(world.rep)
    assert rep.get("/alerts/quiet").json() == {"items": [], "next_cursor": None}
    queued = rep.post("/alerts/quiet/recompute")
    assert queued.status_code == 202
    assert set(queued.json()) == {"task_id", "status"}
    items = rep.get("/alerts/quiet").json()["items"]
    assert [i["organisation"]["name"] for i in items] == ["Acme Industries", "Initech"]
    assert items[0]["quiet_days"] == 40
    assert items[0]["overdue_days"] == 25
    assert items[0]["manager"]["id"] == world.rep.pk
    assert items[0]["model"] == "gap-quantile-credibility 1"
    assert items[0]["exchanges"] == 12
    assert items[0]["typical_gap_days"] == pytest.approx(10)
    assert items[0]["suggestion"]
    assert items[0]["computed_at"]
    assert api_as(world.analyst).post("/alerts/quiet/recompute").status_code == 403
    assert api_as(world.portal_acme).get("/alerts/quiet").status_code == 404
    assert api_as(world.portal_acme).post("/alerts/quiet/recompute").status_code == 404
    assert api_as(None).get("/alerts/quiet").status_code == 401
    partner = api_as(world.partner_user).get("/alerts/quiet").json()["items"]
    assert [i["organisation"]["name"] for i in partner] == ["Acme Industries"]
