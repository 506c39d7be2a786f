"""Bad input answers 400 naming the field at fault, and changes nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LONG = "x" * 501
# Valid bodies that each case below spoils in one way.
PERSON = {"account_id": "{acme}", "first_name": "A", "last_name": "B"}
CALL = {"account_id": "{acme}", "channel": "call", "direction": "inbound", "subject": "S"}

# (method, path template, body, the field the errors must name)
BAD_BODIES = [
    ("post", "/accounts", {}, "name"),
    ("post", "/accounts", {"name": 5}, "name"),
    ("post", "/accounts", {"name": ""}, "name"),
    ("post", "/accounts", {"name": "   "}, "name"),
    ("post", "/accounts", {"name": "x" * 201}, "name"),
    ("post", "/accounts", {"name": "Nul\u0000byte"}, "name"),
    ("post", "/accounts", {"name": "Lone \ud800 surrogate"}, "name"),
    ("post", "/accounts", {"name": "X", "kind": "planet"}, "kind"),
    ("post", "/accounts", {"name": "X", "lifecycle_stage": "zombie"}, "lifecycle_stage"),
    ("post", "/accounts", {"name": "X", "employees": -1}, "employees"),
    ("post", "/accounts", {"name": "X", "employees": "many"}, "employees"),
    ("post", "/accounts", {"name": "X", "employees": 10**12}, "employees"),
    ("post", "/accounts", {"name": "X", "parent_id": 999_999}, "parent_id"),
    ("post", "/accounts", {"name": "X", "parent_id": "abc"}, "parent_id"),
    ("post", "/accounts", {"name": "X", "parent_id": 10**30}, "parent_id"),
    ("post", "/accounts", {"name": "X", "manager_id": "{portal}"}, "manager_id"),
    ("post", "/accounts", {"name": "X", "colour": "red"}, "colour"),
    ("patch", "/accounts/{acme}", {"name": ""}, "name"),
    ("patch", "/accounts/{acme}", {"name": None}, "name"),
    ("patch", "/accounts/{acme}", {"employees": "x"}, "employees"),
    ("patch", "/accounts/{acme}", {"kind": "planet"}, "kind"),
    ("patch", "/accounts/{acme}", {"manager_id": 999_999}, "manager_id"),
    ("patch", "/accounts/{acme}", {"lifecycle_stage": "customer"}, "lifecycle_stage"),
    ("post", "/accounts/{plant}/move", {}, "new_parent_id"),
    ("post", "/accounts/{plant}/move", {"new_parent_id": "{plant}"}, "new_parent_id"),
    ("post", "/accounts/{emea}/move", {"new_parent_id": "{plant}"}, "new_parent_id"),
    ("post", "/accounts/{acme}/lifecycle", {"stage": "zombie"}, "stage"),
    ("post", "/accounts/{acme}/lifecycle", {"stage": "customer", "reason": LONG}, "reason"),
    ("post", "/contacts", {}, "account_id"),
    ("post", "/contacts", {"account_id": "{acme}", "title": "Buyer"}, "last_name"),
    ("post", "/contacts", {**PERSON, "country": "Atlantis"}, "country"),
    ("post", "/contacts", {**PERSON, "date_of_birth": "1980-02-01"}, "date_of_birth"),
    ("post", "/contacts", {**PERSON, "account_id": 999_999}, "account_id"),
    ("post", "/contacts", {**PERSON, "email": "nope"}, "email"),
    ("post", "/contacts", {**PERSON, "phone": "12"}, "phone"),
    ("post", "/contacts", {**PERSON, "email": "{taken}"}, "email"),
    ("post", "/contacts", {**PERSON, "reports_to_id": "{greta}"}, "reports_to_id"),
    ("post", "/contacts", {**PERSON, "started_on": "2024-02-30"}, "started_on"),
    ("patch", "/contacts/{carla}", {"status": "retired"}, "status"),
    ("patch", "/contacts/{carla}", {"reports_to_id": "{carla}"}, "reports_to_id"),
    ("patch", "/contacts/{carla}", {"account_id": 999_999}, "account_id"),
    ("post", "/contacts/{carla}/move", {}, "account_id"),
    ("post", "/contacts/{carla}/move", {"account_id": "{globex}", "moved_on": "soon"}, "moved_on"),
    ("post", "/contacts/{carla}/identities", {"kind": "fax", "value": "1"}, "kind"),
    ("post", "/contacts/{carla}/identities", {"kind": "email", "value": "not-mail"}, "value"),
    ("post", "/contacts/{carla}/identities", {"kind": "email"}, "value"),
    ("post", "/contacts/{carla}/buying-roles", {"role": "champion", "influence": 9}, "influence"),
    ("post", "/contacts/{carla}/buying-roles", {"role": "champion", "influence": 0}, "influence"),
    ("post", "/contacts/{carla}/buying-roles", {"role": "champion", "attitude": 3}, "attitude"),
    ("post", "/contacts/{carla}/buying-roles", {"role": "boss"}, "role"),
    (
        "post",
        "/contacts/{carla}/buying-roles",
        {"role": "approver", "account_id": "{globex}"},
        "account_id",
    ),
    ("post", "/partners", {"name": "P"}, "kind"),
    ("post", "/partners", {"name": "P", "kind": "pirate"}, "kind"),
    ("patch", "/partners/{northwind}", {"name": ""}, "name"),
    ("post", "/partners/{northwind}/links", {"role": "service"}, "account_id"),
    ("post", "/partners/{northwind}/links", {"account_id": "{globex}", "role": "boss"}, "role"),
    ("post", "/interactions", {**CALL, "channel": None}, "channel"),
    ("post", "/interactions", {**CALL, "channel": "fax"}, "channel"),
    ("post", "/interactions", {**CALL, "occurred_at": "2025-01-01T10:00:00"}, "occurred_at"),
    ("post", "/interactions", {**CALL, "occurred_at": "yesterday"}, "occurred_at"),
    ("post", "/interactions", {**CALL, "occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
    ("post", "/interactions", {**CALL, "subject": ""}, "subject"),
    ("post", "/interactions", {**CALL, "outcome": "great"}, "outcome"),
    ("post", "/interactions", {**CALL, "contact_ids": ["x"]}, "contact_ids.0"),
    ("post", "/interactions", {**CALL, "contact_ids": ["{greta}"]}, "contact_ids"),
    ("post", "/interactions", {**CALL, "contact_ids": [999_999]}, "contact_ids"),
    ("post", "/interactions", {**CALL, "user_ids": ["{portal}"]}, "user_ids"),
    ("post", "/interactions", {**CALL, "partner_id": 999_999}, "partner_id"),
    ("patch", "/interactions/{call}", {"occurred_at": "2025-01-01T10:00:00"}, "occurred_at"),
    ("patch", "/interactions/{call}", {"channel": None}, "channel"),
    ("patch", "/interactions/{call}", {"contact_ids": ["{greta}"]}, "contact_ids"),
    ("post", "/tokens", {}, "name"),
    ("post", "/tokens", {"name": "x" * 101}, "name"),
]


def _ids(world) -> dict[str, object]:
    return {
        "acme": world.acme.pk,
        "emea": world.acme_emea.pk,
        "plant": world.acme_plant.pk,
        "globex": world.globex.pk,
        "carla": world.acme_cfo.pk,
        "greta": world.globex_cto.pk,
        "call": world.acme_call.pk,
        "northwind": world.partner.pk,
        "portal": world.portal_acme.pk,
        "taken": world.acme_buyer.identities.get().value,
    }


def _fill(value, ids):
    if (
        isinstance(value, str)
        and value.startswith("{")
        and value.endswith("}")
        and value[1:-1] in ids
    ):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_BODIES)
def test_bad_body_is_400_or_409_naming_the_field(
    world, rep_api, unchanged, method, path, body, field
):
    ids = _ids(world)
    same = unchanged()

    response = getattr(rep_api, method)(path.format(**ids), _fill(body, ids))

    assert response.status_code in {400, 409}, response.json()
    error = response.json()
    assert field in error["errors"], error
    assert error["code"] in {"invalid", "conflict"}
    assert error["message"]
    assert all(isinstance(m, str) for messages in error["errors"].values() for m in messages)
    same()


@pytest.mark.parametrize(
    "data",
    ['{"name": ', "not json", "\u00ff\u00fe", '{"name": "X"', "[1, 2]", '"Acme"', "null", "42"],
)
def test_malformed_or_wrong_shaped_json_is_400(world, rep_api, unchanged, data):
    same = unchanged()

    response = rep_api.raw("post", "/accounts", data.encode("latin-1"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]
    same()


def test_validation_error_body_shape(world, rep_api):
    response = rep_api.post(
        f"/contacts/{world.acme_cfo.pk}/buying-roles", {"role": "boss", "influence": 9}
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert set(body["errors"]) == {"role", "influence"}
    assert body["errors"]["influence"] == ["Input should be less than or equal to 5"]
    assert body["message"].startswith("role: ")


BAD_QUERIES = [
    ("/accounts", {"cursor": "garbage"}, "cursor"),
    ("/accounts", {"cursor": "WzFd"}, "cursor"),
    ("/accounts", {"limit": 0}, "limit"),
    ("/accounts", {"limit": 201}, "limit"),
    ("/accounts", {"limit": "ten"}, "limit"),
    ("/accounts", {"stage": "zombie"}, "stage"),
    ("/accounts", {"q": "a\u0000"}, "q"),
    ("/accounts", {"roots_only": "perhaps"}, "roots_only"),
    ("/contacts", {"cursor": "!!!"}, "cursor"),
    ("/contacts", {"account_id": 999_999}, "account_id"),
    ("/contacts", {"role": "boss"}, "role"),
    ("/contacts", {"limit": -3}, "limit"),
    ("/end-users", {"account_id": "x"}, "account_id"),
    ("/interactions", {"since": "2025-13-01"}, "since"),
    ("/interactions", {"until": "9999-12-31"}, "until"),
    ("/interactions", {"since": "2025-02-01", "until": "2025-01-01"}, "since"),
    ("/interactions", {"channel": "fax"}, "channel.0"),
    ("/interactions", {"channel": "call,fax"}, "channel.1"),
    ("/interactions", {"cursor": "WyJub3QgYSBkYXRlIiwgMV0"}, "cursor"),
    ("/interactions", {"contact_id": 999_999}, "contact_id"),
    ("/interactions", {"unit_id": 999_999}, "unit_id"),
    ("/interactions", {"person_id": 0}, "person_id"),
    ("/accounts/{acme}/timeline", {"cursor": "bad"}, "cursor"),
    ("/accounts/{acme}/contacts", {"status": "gone"}, "status"),
    ("/contacts/{carla}/timeline", {"limit": 0}, "limit"),
]


@pytest.mark.parametrize(("path", "params", "field"), BAD_QUERIES)
def test_bad_query_is_400_naming_the_parameter(world, admin_api, path, params, field):
    response = admin_api.get(path.format(**_ids(world)), params)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/0",
        "/accounts/999999",
        "/accounts/-1",
        "/accounts/99999999999999999999999",
        "/contacts/999999/identities",
        "/interactions/999999",
        "/partners/999999",
        "/tokens/999999",
    ],
)
def test_unknown_path_ids_are_404(world, admin_api, path):
    method = "delete" if path.startswith("/tokens") else "get"

    response = admin_api.raw(method, path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_non_numeric_path_id_is_400(world, admin_api):
    response = admin_api.get("/accounts/abc")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account_id"]


# Cursors a caller could forge: an impossible date, a naive one, a number beyond 64 bits,
# NUL, a lone surrogate, a float and a boolean where an id belongs.
FORGED_CURSORS = [
    "WyIyMDI1LTEzLTQ1VDAwOjAwOjAwIiwgMV0",
    "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF0",
    "WyJ4IiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF0",
    "WyJhXHUwMDAwIiwgMV0",
    "WyJcdWQ4MDAiLCAxXQ",
    "WyJ4IiwgMS41XQ",
    "WyJ4IiwgdHJ1ZV0",
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
@pytest.mark.parametrize("path", ["/accounts", "/contacts", "/interactions", "/end-users"])
def test_forged_cursors_never_fail(world, admin_api, path, cursor):
    response = admin_api.get(path, {"cursor": cursor})

    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert list(response.json()["errors"]) == ["cursor"]
