"""Work addresses, dates of birth and phones over the API."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Contact

pytestmark = pytest.mark.django_db

PLACE = {
    "street": "Elbchaussee 12",
    "postcode": "22763",
    "city": "Hamburg",
    "region": "",
    "country": "DE",
}


def test_a_contact_is_created_with_a_work_address_and_only_a_surname(world, rep_api):
    response = rep_api.post(
        "/contacts",
        {"account_id": world.acme_plant.pk, "last_name": "Okafor", "phone": "040 1234567", **PLACE},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["first_name"], body["last_name"], body["full_name"]) == ("", "Okafor", "Okafor")
    assert {k: body[k] for k in PLACE} == {**PLACE, "country": "Germany"}
    assert body["date_of_birth"] is None
    assert (body["phone"], body["phone_display"]) == ("+49401234567", "+49 40 1234567")
    [phone] = body["identities"]
    assert phone == {
        "id": phone["id"],
        "kind": "phone",
        "kind_label": "Phone",
        "value": "040 1234567",
        "normalized": "+49401234567",
        "display": "+49 40 1234567",
        "is_primary": True,
        "shared": True,
        "created_at": phone["created_at"],
    }


def test_an_unknown_country_is_a_400_naming_the_field(world, rep_api):
    created = rep_api.post(
        "/contacts", {"account_id": world.acme.pk, "last_name": "Okafor", "country": "Atlantis"}
    )
    changed = rep_api.patch(f"/accounts/{world.acme.pk}", {"country": "Narnia"})

    assert created.status_code == 400
    assert list(created.json()["errors"]) == ["country"]
    assert changed.status_code == 400
    assert list(changed.json()["errors"]) == ["country"]
    assert not Contact.objects.filter(last_name="Okafor").exists()


def test_birth_date_is_refused_when_the_deployment_keeps_none(world, rep_api):
    created = rep_api.post(
        "/contacts",
        {"account_id": world.acme.pk, "last_name": "Okafor", "date_of_birth": "1980-02-01"},
    )
    changed = rep_api.patch(f"/contacts/{world.acme_cfo.pk}", {"date_of_birth": "1980-02-01"})

    assert created.status_code == 400
    assert list(created.json()["errors"]) == ["date_of_birth"]
    assert changed.status_code == 400
    assert list(changed.json()["errors"]) == ["date_of_birth"]
    world.acme_cfo.refresh_from_db()
    assert world.acme_cfo.date_of_birth is None


def test_birth_date_is_not_handed_out_when_the_deployment_keeps_none(world, rep_api, settings):
    # a date stored while the setting was on, then turned off
    Contact.objects.filter(pk=world.acme_cfo.pk).update(date_of_birth="1980-02-01")

    body = rep_api.get(f"/contacts/{world.acme_cfo.pk}").json()
    listed = rep_api.get("/contacts", {"q": "Finch"}).json()["items"][0]

    assert body["date_of_birth"] is None
    assert listed["date_of_birth"] is None


def test_birth_date_in_and_out_where_the_deployment_keeps_it(world, rep_api, settings):
    settings.RAPPORT_CONTACT_BIRTH_DATE = True

    created = rep_api.post(
        "/contacts",
        {"account_id": world.acme.pk, "last_name": "Okafor", "date_of_birth": "1980-02-01"},
    )
    changed = rep_api.patch(
        f"/contacts/{created.json()['id']}", {"date_of_birth": "1981-03-04", "city": "Kiel"}
    )

    assert created.status_code == 201, created.json()
    assert created.json()["date_of_birth"] == "1980-02-01"
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["date_of_birth"], changed.json()["city"]) == ("1981-03-04", "Kiel")


def test_account_address_in_and_out(world, rep_api):
    response = rep_api.patch(
        f"/accounts/{world.acme.pk}",
        {"street": "1 Canal St", "postcode": "m1 3he", "region": "Lancs", "country": "uk"},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["street"], body["postcode"], body["region"], body["country"]) == (
        "1 Canal St",
        "M1 3HE",
        "Lancs",
        "United Kingdom",
    )
    created = rep_api.post("/accounts", {"name": "Initech", "street": "5 Main St", "country": "US"})
    assert created.status_code == 201, created.json()
    assert (created.json()["street"], created.json()["country"]) == ("5 Main St", "United States")


def test_a_switchboard_is_shared_by_several_people(world, rep_api):
    for person in (world.acme_cfo, world.acme_buyer):
        response = rep_api.post(
            f"/contacts/{person.pk}/identities", {"kind": "phone", "value": "+49 40 555000"}
        )
        assert response.status_code == 201, response.json()
        assert response.json()["shared"] is True

    listed = rep_api.get(f"/contacts/{world.acme_buyer.pk}/identities").json()
    assert [(i["display"], i["shared"]) for i in listed if i["kind"] == "phone"] == [
        ("+49 40 555000", True)
    ]


def test_portal_user_reads_the_address_of_their_own_people_only(world, api_as):
    rep = api_as(world.admin)
    rep.patch(f"/contacts/{world.acme_cfo.pk}", {"city": "Hamburg", "country": "Germany"})
    rep.patch(f"/contacts/{world.globex_cto.pk}", {"city": "Oslo", "country": "Norway"})
    portal = api_as(world.portal_acme)

    own = portal.get(f"/contacts/{world.acme_cfo.pk}")
    other = portal.get(f"/contacts/{world.globex_cto.pk}")

    assert (own.status_code, own.json()["city"]) == (200, "Hamburg")
    assert other.status_code == 404
