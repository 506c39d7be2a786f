"""The portal doors' API: invitations and entitlements, and who may use them."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from rapport.accounts.models import PortalEntitlement, PortalInvitation
from tests.factories import make_account, make_portal_invitation, make_portal_user


def _put(api, path, body, **headers):
    return api.client.put(
        "/api/v1" + path, data=json.dumps(body), content_type="application/json", **headers
    )


def test_a_rep_invites_a_contact_and_lists_its_invitations(world, rep_api):
    # When a rep invites Carla through the API
    response = rep_api.post(f"/contacts/{world.acme_cfo.pk}/portal-invitations", {})
    # Then the invitation is open, sent to her primary e-mail, and listed
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["customer_id"]) == ("open", world.acme.pk)
    assert "token" not in json.dumps(body)
    assert mail.outbox[-1].to == [body["email"]]
    listed = rep_api.get(f"/contacts/{world.acme_cfo.pk}/portal-invitations").json()
    assert [i["id"] for i in listed] == [body["id"]]


def test_an_address_not_the_contacts_is_refused_naming_the_field(world, rep_api):
    response = rep_api.post(
        f"/contacts/{world.acme_cfo.pk}/portal-invitations", {"email": "x@else.example"}
    )
    assert response.status_code == 400
    assert "email" in json.dumps(response.json())
    assert not PortalInvitation.objects.exists()


def test_revoke_and_resend(world, rep_api):
    invitation, _ = make_portal_invitation(world.rep, world.acme_cfo)
    fresh = rep_api.post(f"/portal-invitations/{invitation.pk}/resend")
    assert fresh.status_code == 201
    assert (
        rep_api.get(f"/contacts/{world.acme_cfo.pk}/portal-invitations").json()[1]["state"]
        == "revoked"
    )
    revoked = rep_api.post(f"/portal-invitations/{fresh.json()['id']}/revoke")
    assert revoked.json()["state"] == "revoked"


@pytest.mark.parametrize("who", [None, "portal_globex", "partner_user", "analyst", "portal_acme"])
def test_outsiders_may_not_invite(world, api_as, who):
    api = api_as(getattr(world, who) if who else None)
    response = api.post(f"/contacts/{world.acme_cfo.pk}/portal-invitations", {})
    assert response.status_code in (401, 403, 404)
    assert not PortalInvitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("who", [None, "portal_globex", "partner_user", "analyst"])
def test_outsiders_may_not_revoke(world, api_as, who):
    invitation, _ = make_portal_invitation(world.rep, world.acme_cfo)
    api = api_as(getattr(world, who) if who else None)
    response = api.post(f"/portal-invitations/{invitation.pk}/revoke")
    assert response.status_code in (401, 404)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_admin_entitles_a_portal_user_to_one_unit_with_if_match(world, admin_api):
    americas = make_account(world.admin, "Acme Americas", parent=world.acme)
    ben = make_portal_user(world.admin, world.acme_buyer)
    pk = ben.portal_entitlement.pk
    read = admin_api.get(f"/portal-users/{pk}")
    body = {
        "unit_ids": [world.acme_emea.pk],
        "may_requisition": True,
        "may_approve": True,
        "may_administer": False,
    }
    response = _put(admin_api, f"/portal-users/{pk}", body, HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 200, response.json()
    assert response.json()["unit_ids"] == [world.acme_emea.pk]
    # a stale If-Match is refused
    stale = _put(admin_api, f"/portal-users/{pk}", body, HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412
    listed = admin_api.get(f"/accounts/{world.acme.pk}/portal-users").json()
    assert [u["user"]["id"] for u in listed] == [ben.pk]
    assert americas.pk not in response.json()["unit_ids"]


def test_a_unit_of_another_organisation_is_refused_naming_the_field(world, admin_api):
    ben = make_portal_user(world.admin, world.acme_buyer)
    body = {
        "unit_ids": [world.globex_it.pk],
        "may_requisition": True,
        "may_approve": False,
        "may_administer": False,
    }
    response = _put(admin_api, f"/portal-users/{ben.portal_entitlement.pk}", body)
    assert response.status_code == 400
    assert "units" in json.dumps(response.json())


@pytest.mark.parametrize("who", [None, "portal_globex", "partner_user", "portal_acme", "rep"])
def test_only_those_managing_the_organisation_change_entitlements(world, api_as, who):
    ben = make_portal_user(world.admin, world.acme_buyer)
    api = api_as(getattr(world, who) if who else None)
    body = {"unit_ids": [], "may_requisition": True, "may_approve": True, "may_administer": True}
    response = _put(api, f"/portal-users/{ben.portal_entitlement.pk}", body)
    entitlement = PortalEntitlement.objects.get(user=ben)
    if who == "rep":
        # a rep writes customer data, so it manages portal users too
        assert response.status_code == 200
        assert entitlement.may_administer
    else:
        assert response.status_code in (401, 404)
        assert not entitlement.may_administer


def test_a_portal_administrator_sees_no_name_of_ours(world, api_as):
    boss = make_portal_user(world.admin, world.acme_cfo, may_administer=True)
    make_portal_invitation(world.rep, world.acme_buyer)
    listed = api_as(boss).get(f"/contacts/{world.acme_buyer.pk}/portal-invitations").json()
    assert [i["invited_by"] for i in listed] == [None]
