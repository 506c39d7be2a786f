"""Who am I, and personal API tokens."""

from __future__ import annotations

import pytest

from rapport.core.models import ApiToken
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_me(world, api_as):
    response = api_as(world.partner_user).get("/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": world.partner_user.pk,
        "email": world.partner_user.email,
        "full_name": "Paul Partner",
        "role": "partner",
        "role_label": "Partner user",
        "can_write": False,
        "is_internal": False,
        "partner_id": world.partner.pk,
        "account_id": None,
        "capabilities": ["watch_cadence"],
    }


def test_create_list_use_and_revoke_a_token(world, rep_api):
    response = rep_api.post("/tokens", {"name": "CI sync"})

    assert response.status_code == 201, response.json()
    key = response.json()["key"]
    token = response.json()["token"]
    assert key.startswith("rpt_")
    assert token["prefix"] == key[: len(token["prefix"])]
    assert "key" not in token
    assert "CI sync" in [t["name"] for t in rep_api.get("/tokens").json()]
    assert "key" not in rep_api.get("/tokens").json()[0]
    new_client = Api(key)
    assert new_client.get("/me").json()["id"] == world.rep.pk

    assert rep_api.delete(f"/tokens/{token['id']}").status_code == 204
    assert new_client.get("/me").status_code == 401
    assert ApiToken.objects.get(pk=token["id"]).revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(world, api_as, rep_api):
    other = ApiToken.objects.filter(user=world.rep).first()

    response = api_as(world.analyst).delete(f"/tokens/{other.pk}")

    assert response.status_code == 404
    assert rep_api.get("/me").status_code == 200


def test_token_needs_a_name(world, rep_api):
    response = rep_api.post("/tokens", {"name": ""})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
