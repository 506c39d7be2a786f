"""Who may do what: read-only roles never write, and nobody sees another organisation's rows."""

from __future__ import annotations

import re

import pytest

from rapport.accounts.models import BuyingRole, ContactIdentity, PartnerLink

pytestmark = pytest.mark.django_db

# Every write, as (method, path, body); {placeholders} name rows of one organisation.
WRITES = [
    ("post", "/accounts", {"name": "Newco"}),
    ("post", "/accounts", {"name": "New unit", "parent_id": "{org}"}),
    ("patch", "/accounts/{org}", {"city": "Elsewhere"}),
    ("delete", "/accounts/{org}", None),
    ("post", "/accounts/{org}/restore", None),
    ("post", "/accounts/{unit}/move", {"new_parent_id": "{org}"}),
    ("post", "/accounts/{org}/lifecycle", {"stage": "customer"}),
    ("post", "/contacts", {"account_id": "{org}", "first_name": "Ann", "last_name": "Other"}),
    ("patch", "/contacts/{person}", {"title": "Boss"}),
    ("delete", "/contacts/{person}", None),
    ("post", "/contacts/{person}/move", {"account_id": "{org}"}),
    ("post", "/contacts/{person}/identities", {"kind": "phone", "value": "+1 555 0100 200"}),
    ("delete", "/contacts/{person}/identities/{identity}", None),
    ("post", "/contacts/{person}/buying-roles", {"role": "champion"}),
    ("delete", "/contacts/{person}/buying-roles/{role}", None),
    ("post", "/partners", {"name": "Newco Partners", "kind": "var"}),
    ("patch", "/partners/{partner}", {"notes": "Changed"}),
    ("post", "/partners/{partner}/links", {"account_id": "{org}", "role": "service"}),
    ("post", "/partner-links/{link}/end", None),
    (
        "post",
        "/interactions",
        {"account_id": "{org}", "channel": "call", "direction": "inbound", "subject": "S"},
    ),
    ("patch", "/interactions/{interaction}", {"subject": "Changed"}),
    ("delete", "/interactions/{interaction}", None),
]

# Every read of one row or of rows under it.
READS = [
    "/accounts/{org}",
    "/accounts/{org}/tree",
    "/accounts/{org}/lifecycle",
    "/accounts/{org}/buying-centre",
    "/accounts/{org}/contacts",
    "/accounts/{org}/timeline",
    "/accounts/{org}/partners",
    "/accounts/{org}/history",
    "/accounts/{unit}",
    "/contacts/{person}",
    "/contacts/{person}/identities",
    "/contacts/{person}/buying-roles",
    "/contacts/{person}/employments",
    "/contacts/{person}/timeline",
    "/contacts/{person}/history",
    "/interactions/{interaction}",
    "/interactions/{interaction}/history",
]

LISTS = [
    ("/accounts", {}),
    ("/accounts", {"roots_only": "false"}),
    ("/contacts", {}),
    ("/end-users", {}),
    ("/interactions", {}),
    ("/partners", {}),
    ("/me", {}),
    ("/tokens", {}),
]


def _rows(world, organisation: str) -> dict[str, int]:
    if organisation == "acme":
        org, unit, person, interaction, partner = (
            world.acme,
            world.acme_plant,
            world.acme_buyer,
            world.acme_call,
            world.partner,
        )
    else:
        org, unit, person, interaction, partner = (
            world.globex,
            world.globex_it,
            world.globex_cto,
            world.globex_mail,
            world.other_partner,
        )
    return {
        "org": org.pk,
        "unit": unit.pk,
        "person": person.pk,
        "interaction": interaction.pk,
        "partner": partner.pk,
        "identity": ContactIdentity.objects.get(contact=person).pk,
        "role": BuyingRole.objects.get(contact=person).pk,
        "link": PartnerLink.objects.get(partner=partner).pk,
    }


def _fill(value, ids):
    """Put the row ids into a path ("/accounts/{org}") or body ({"account_id": "{org}"})."""
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    return value


def _send(api, method, path, body, ids):
    if method == "delete":
        return api.delete(_fill(path, ids))
    return getattr(api, method)(_fill(path, ids), _fill(body, ids))


@pytest.mark.parametrize("organisation", ["acme", "globex"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_analyst_may_not_write(world, api_as, unchanged, organisation, method, path, body):
    ids = _rows(world, organisation)
    same = unchanged()

    response = _send(api_as(world.analyst), method, path, body, ids)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    same()


@pytest.mark.parametrize("who", ["partner_user", "portal_acme", "portal_globex"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_outside_users_may_not_write_anywhere(world, api_as, unchanged, who, method, path, body):
    api = api_as(getattr(world, who))
    for organisation in ("acme", "globex"):
        ids = _rows(world, organisation)
        same = unchanged()

        response = _send(api, method, path, body, ids)

        # 403 where they may see the rows; 404 (or 400 for an id in the body) where they may not.
        assert response.status_code in {400, 403, 404}, response.content
        same()


@pytest.mark.parametrize(
    ("who", "own", "other"),
    [
        ("portal_globex", "globex", "acme"),
        ("partner_user", "acme", "globex"),
        ("portal_acme", "acme", "globex"),
    ],
)
def test_rows_of_another_organisation_are_404(world, api_as, who, own, other):
    api = api_as(getattr(world, who))
    own_ids, other_ids = _rows(world, own), _rows(world, other)

    for path in READS:
        assert api.get(path.format(**own_ids)).status_code == 200, path
        response = api.get(path.format(**other_ids))
        assert response.status_code == 404, path
        assert response.json() == {
            "code": "not_found",
            "message": response.json()["message"],
            "errors": {},
        }
    missing = api.get("/accounts/987654")
    forbidden = api.get("/accounts/{org}".format(**other_ids))
    assert missing.json() == {**forbidden.json(), "message": missing.json()["message"]}


@pytest.mark.parametrize(
    ("who", "foreign_words", "own_words"),
    [
        (
            "portal_globex",
            ["Acme", "Carla", "Ben", "Hamburg", "Northwind", "Southwind"],
            ["Globex", "Greta"],
        ),
        ("partner_user", ["Globex", "Greta", "Southwind"], ["Acme", "Carla", "Northwind"]),
        ("portal_acme", ["Globex", "Greta", "Northwind", "Southwind"], ["Acme", "Carla"]),
    ],
)
def test_lists_never_show_another_organisation(world, api_as, who, foreign_words, own_words):
    api = api_as(getattr(world, who))
    own = _rows(world, "globex" if who == "portal_globex" else "acme")
    seen = ""

    for path, params in [*LISTS, *[(p, {}) for p in READS]]:
        response = api.get(path.format(**own), params)
        assert response.status_code == 200, path
        text = response.content.decode()
        seen += text
        for word in foreign_words:
            assert word not in text, (path, word)
    for word in own_words:
        assert word in seen


@pytest.mark.parametrize("who", ["portal_globex", "partner_user"])
def test_filters_cannot_reach_into_another_organisation(world, api_as, who):
    api = api_as(getattr(world, who))
    other = _rows(world, "acme" if who == "portal_globex" else "globex")

    for path, param in [
        ("/contacts", "account_id"),
        ("/end-users", "account_id"),
        ("/interactions", "account_id"),
        ("/interactions", "contact_id"),
        ("/interactions", "unit_id"),
        ("/interactions", "person_id"),
    ]:
        value = other["person"] if param in {"contact_id", "person_id"} else other["org"]
        response = api.get(path, {param: value})
        assert response.status_code == 400, (path, param)
        assert list(response.json()["errors"]) == [param]


def test_partner_user_sees_only_its_partner(world, api_as):
    api = api_as(world.partner_user)

    assert [p["name"] for p in api.get("/partners").json()] == ["Northwind Systems"]
    assert api.get(f"/partners/{world.other_partner.pk}").status_code == 404
    assert api.get(f"/partners/{world.other_partner.pk}/links").status_code == 404


def test_portal_user_sees_no_partners(world, api_as):
    api = api_as(world.portal_acme)

    assert api.get("/partners").json() == []
    assert api.get(f"/partners/{world.partner.pk}").status_code == 404
    assert api.get(f"/accounts/{world.acme.pk}/partners").json() == []


@pytest.mark.parametrize("who", ["rep", "manager", "admin"])
def test_writer_roles_may_write(world, api_as, who):
    api = api_as(getattr(world, who))

    response = api.post(f"/accounts/{world.globex.pk}/lifecycle", {"stage": "lead"})

    assert response.status_code == 201
