"""The portal's doors as pages: invite, accept, entitle, reset a password; and who may."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from rapport.accounts.models import InvitationState, PortalEntitlement, PortalInvitation
from rapport.core.models import Role, User
from tests.factories import invitation_token, make_account, make_portal_invitation, make_portal_user

PASSWORD = "a-long-portal-secret"


def _invite(client, who, contact, email=None):
    client.force_login(who)
    return client.post(
        reverse("portal:invitation_create", args=[contact.pk]),
        {"email": email or contact.identities.get(kind="email").value},
    )


def test_the_smtp_round_trip_invites_a_contact_who_then_signs_in(world, client, smtp_server):
    # Given a real SMTP server on loopback and a rep on Carla's page
    carla = world.acme_cfo
    address = carla.identities.get(kind="email").value
    # When the rep invites her
    response = _invite(client, world.rep, carla)
    assert response.status_code == 302
    # Then the server received one mail for her, carrying a link
    [(_, recipients, message)] = smtp_server.messages
    assert recipients == [address]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://testserver(/portal/invitation/[\w-]+/)", body).group(1)
    # When she follows it, anonymous, and sets a password
    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert "Choose a password" in page.content.decode()
    done = client.post(link, {"password": PASSWORD, "password_again": PASSWORD})
    assert done.status_code == 302
    # Then she signs in with her address and that password, as a portal user
    signed = client.post(reverse("web:login"), {"username": address, "password": PASSWORD})
    assert signed.status_code == 302
    user = User.objects.get(email=address)
    assert (user.role, user.account_id) == (Role.PORTAL, world.acme.pk)
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize(
    ("state", "words", "status"),
    [("used", "used already", 410), ("revoked", "withdrawn", 410), ("expired", "expired", 410)],
)
def test_a_dead_link_gets_a_clear_page(world, client, state, words, status):
    # Given an invitation used, revoked or expired
    invitation, token = make_portal_invitation(world.rep, world.acme_cfo)
    if state == "used":
        client.post(
            f"/portal/invitation/{token}/", {"password": PASSWORD, "password_again": PASSWORD}
        )
    elif state == "revoked":
        PortalInvitation.objects.filter(pk=invitation.pk).update(revoked_at="2020-01-01T00:00Z")
    else:
        PortalInvitation.objects.filter(pk=invitation.pk).update(expires_at="2020-01-01T00:00Z")
    # When the link is opened
    response = client.get(f"/portal/invitation/{token}/")
    # Then a page says why, not a 500
    assert response.status_code == status
    assert words in response.content.decode()


def test_an_unknown_link_is_a_clear_404(db, client):
    response = client.get("/portal/invitation/not-a-token/")
    assert response.status_code == 404
    assert "not known" in response.content.decode()


def test_differing_passwords_are_refused_naming_the_field(world, client):
    _, token = make_portal_invitation(world.rep, world.acme_cfo)
    response = client.post(
        f"/portal/invitation/{token}/", {"password": PASSWORD, "password_again": "other-one"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["password_again"] == ["The two passwords differ."]
    assert not User.objects.filter(role=Role.PORTAL, email__startswith="person").exists()


def test_the_contact_page_shows_the_invitation_and_its_state(world, client):
    make_portal_invitation(world.rep, world.acme_cfo)
    client.force_login(world.rep)
    page = client.get(reverse("accounts:contact_detail", args=[world.acme_cfo.pk]))
    html = page.content.decode()
    assert "Invite to the portal" in html
    assert 'data-invitation-state="open"' in html


@pytest.mark.parametrize("who", ["portal_acme", "portal_globex", "partner_user", "analyst"])
def test_those_who_may_not_invite_are_refused_and_nothing_is_sent(world, client, who):
    response = _invite(client, getattr(world, who), world.acme_cfo)
    assert response.status_code in (403, 404)
    assert mail.outbox == []
    assert not PortalInvitation.objects.exists()


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.post(reverse("portal:invitation_create", args=[world.acme_cfo.pk]))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]
    assert not PortalInvitation.objects.exists()


def test_an_admin_revokes_and_the_link_dies(world, client):
    invitation, token = make_portal_invitation(world.rep, world.acme_cfo)
    client.force_login(world.admin)
    client.post(reverse("portal:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.REVOKED
    client.logout()
    assert client.get(f"/portal/invitation/{token}/").status_code == 410


@pytest.mark.parametrize("who", ["portal_globex", "partner_user", "analyst"])
def test_outsiders_may_not_revoke(world, client, who):
    invitation, _ = make_portal_invitation(world.rep, world.acme_cfo)
    client.force_login(getattr(world, who))
    response = client.post(reverse("portal:invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.OPEN


def test_a_portal_administrator_entitles_a_colleague_to_one_unit(world, client):
    # Given Carla, portal administrator of Acme, and Ben, a portal user of Acme
    americas = make_account(world.admin, "Acme Americas", parent=world.acme)
    boss = make_portal_user(world.admin, world.acme_cfo, may_administer=True)
    ben = make_portal_user(world.admin, world.acme_buyer)
    # When Carla limits Ben to EMEA and lets him approve
    client.force_login(boss)
    url = reverse("portal:entitlement_edit", args=[ben.portal_entitlement.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"units": [world.acme_emea.pk], "may_requisition": "on", "may_approve": "on"}
    )
    assert response.status_code == 302
    # Then Ben sees EMEA's subtree and not Americas
    client.force_login(ben)
    assert (
        client.get(reverse("accounts:account_detail", args=[world.acme_emea.pk])).status_code == 200
    )
    assert client.get(reverse("accounts:account_detail", args=[americas.pk])).status_code == 404
    assert PortalEntitlement.objects.get(user=ben).may_approve


@pytest.mark.parametrize("who", ["portal_globex", "partner_user", "portal_acme", "analyst"])
def test_outsiders_may_not_change_entitlements(world, client, who):
    ben = make_portal_user(world.admin, world.acme_buyer)
    client.force_login(getattr(world, who))
    url = reverse("portal:entitlement_edit", args=[ben.portal_entitlement.pk])
    response = client.post(url, {"may_approve": "on", "may_administer": "on"})
    assert response.status_code == 404
    entitlement = PortalEntitlement.objects.get(user=ben)
    assert (entitlement.may_approve, entitlement.may_administer) == (False, False)


def test_the_organisation_page_lists_portal_users_and_invitations(world, client):
    make_portal_user(world.admin, world.acme_cfo)
    make_portal_invitation(world.rep, world.acme_buyer)
    client.force_login(world.rep)
    html = client.get(reverse("portal:organisation_portal", args=[world.acme.pk])).content.decode()
    assert "Carla Finch" in html
    assert "Ben Buyer" in html


def test_a_portal_user_resets_its_password_by_email(world, client, request):
    # Given a portal user (invited through the test mailbox), and then the SMTP server
    user = make_portal_user(world.admin, world.acme_cfo)
    smtp_server = request.getfixturevalue("smtp_server")
    # When it asks for a reset
    client.post(reverse("web:password_reset"), {"email": user.email.upper()})
    # Then a link arrives, and following it sets a new password
    [(_, recipients, message)] = smtp_server.messages
    assert recipients == [user.email]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://testserver(/password/reset/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another-long-secret", "new_password2": "another-long-secret"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-secret")


def test_a_portal_user_who_left_cannot_sign_in(world, client):
    from rapport.accounts import services

    user = make_portal_user(world.admin, world.acme_cfo, password=PASSWORD)
    services.contact_update(actor=world.rep, contact=world.acme_cfo, status="left")
    response = client.post(reverse("web:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_invitation_token_helper_reads_the_link(db):
    assert invitation_token("see http://testserver/portal/invitation/ab-c_1/ now") == "ab-c_1"


def test_a_portal_user_guessing_passwords_is_locked_out_like_staff(world, client):
    # Given a portal user made by invitation
    user = make_portal_user(world.admin, world.acme_cfo, password=PASSWORD)
    # When ten wrong passwords are tried for it from one address
    for _ in range(10):
        locked = client.post(
            reverse("web:login"), {"username": user.email, "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
        )  # fmt: skip
    # Then the sign-in is locked, even with the right password
    assert locked.status_code == 429
    again = client.post(
        reverse("web:login"), {"username": user.email, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )  # fmt: skip
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_rep_resets_its_password_by_email_too(world, client):
    # Given a rep who forgot its password
    client.post(reverse("web:password_reset"), {"email": world.rep.email})
    # Then a link comes to it (Django's in-memory outbox)
    [message] = mail.outbox
    assert message.to == [world.rep.email]
    assert "/password/reset/" in message.body


def test_an_unknown_address_is_answered_the_same_and_nothing_is_sent(db, client):
    response = client.post(reverse("web:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("web:password_reset_done")
    assert mail.outbox == []


def test_a_used_reset_link_gets_a_clear_page(world, client):
    client.post(reverse("web:password_reset"), {"email": world.rep.email})
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    target = form.redirect_chain[-1][0]
    client.post(
        target, {"new_password1": "a-new-long-secret", "new_password2": "a-new-long-secret"}
    )
    dead = client.get(link, follow=True)
    assert dead.status_code == 200
    assert "no longer works" in dead.content.decode()


@pytest.mark.parametrize("people", [1, 4])
def test_the_organisation_page_asks_the_same_queries_whatever_its_size(
    world, client, django_assert_max_num_queries, people
):
    # Given an organisation with a few or more portal users and invitations
    from tests.factories import make_contact

    for n in range(people):
        contact = make_contact(
            world.admin, world.acme_emea, first_name=f"P{n}", email=f"p{n}@acme.example"
        )
        make_portal_user(world.admin, contact, units=[world.acme_emea])
        make_portal_invitation(
            world.rep, make_contact(world.admin, world.acme, email=f"i{n}@acme.example")
        )
    client.force_login(world.rep)
    # Then the page and the contact page ask a bounded number of queries
    with django_assert_max_num_queries(8):
        page = client.get(reverse("portal:organisation_portal", args=[world.acme.pk]))
    assert page.status_code == 200
    with django_assert_max_num_queries(60):
        assert client.get(reverse("accounts:contact_detail", args=[contact.pk])).status_code == 200


def test_a_portal_administrator_sees_no_name_of_our_staff_on_the_page(world, client):
    boss = make_portal_user(world.admin, world.acme_cfo, may_administer=True)
    make_portal_invitation(world.rep, world.acme_buyer)
    client.force_login(boss)
    html = client.get(reverse("portal:organisation_portal", args=[world.acme.pk])).content.decode()
    assert "Ben Buyer" in html
    assert world.rep.full_name not in html
