"""Portal invitations, acceptance, entitlements and the end of access (accounts.services)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rapport.accounts import services
from rapport.accounts.models import (
    ContactIdentity,
    ContactStatus,
    IdentityKind,
    InvitationState,
    PortalInvitation,
)
from rapport.core import access
from rapport.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from rapport.core.models import Role, User
from tests.factories import (
    ACCEPT_URL,
    make_account,
    make_portal_invitation,
    make_portal_user,
)

PASSWORD = "a-long-portal-secret"


@pytest.fixture
def carla(world):
    return world.acme_cfo


def test_invitation_mails_a_link_whose_token_is_stored_hashed_only(world, carla):
    # Given a contact with an e-mail address
    # When a rep invites her
    invitation, token = make_portal_invitation(world.rep, carla)
    # Then one mail went to her address with the link, and only the token's hash is kept
    assert [m.to for m in mail.outbox] == [[invitation.email]]
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(PortalInvitation.objects.filter(pk=invitation.pk).values()))
    assert invitation.state == InvitationState.OPEN
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)


def test_accepting_makes_a_portal_user_tied_to_the_contact_with_a_portal_login(world, carla):
    # Given an open invitation
    invitation, token = make_portal_invitation(world.rep, carla)
    # When the contact sets a password
    user = services.portal_invitation_accept(token=token, password=PASSWORD)
    # Then she is a portal user of her organisation, signing in with that password
    assert (user.role, user.account_id, user.email) == (
        Role.PORTAL,
        world.acme.pk,
        invitation.email,
    )
    assert user.check_password(PASSWORD)
    assert user.portal_entitlement.contact_id == carla.pk
    # and the login is one of her identities
    login = ContactIdentity.objects.get(contact=carla, kind=IdentityKind.PORTAL_LOGIN)
    assert login.value == invitation.email
    invitation.refresh_from_db()
    assert (invitation.state, invitation.user_id) == (InvitationState.ACCEPTED, user.pk)


def test_an_invitation_is_single_use(world, carla):
    # Given an accepted invitation
    _, token = make_portal_invitation(world.rep, carla)
    services.portal_invitation_accept(token=token, password=PASSWORD)
    # When the link is used again
    with pytest.raises(Conflict) as refused:
        services.portal_invitation_accept(token=token, password="another-long-secret")
    # Then it is refused, saying so, and no second user appears
    assert "used already" in refused.value.message
    assert User.objects.filter(role=Role.PORTAL, account=world.acme).count() == 2


def test_an_expired_invitation_is_refused(world, carla):
    # Given an invitation whose days have run out
    invitation, token = make_portal_invitation(world.rep, carla)
    PortalInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    # When it is used, then it is refused as expired
    with pytest.raises(Conflict, match="expired"):
        services.portal_invitation_accept(token=token, password=PASSWORD)


def test_a_revoked_invitation_is_refused(world, carla):
    # Given a revoked invitation
    invitation, token = make_portal_invitation(world.rep, carla)
    services.portal_invitation_revoke(actor=world.rep, invitation=invitation)
    # When it is used, then it is refused as withdrawn
    with pytest.raises(Conflict, match="withdrawn"):
        services.portal_invitation_accept(token=token, password=PASSWORD)


def test_resending_sends_a_new_link_and_kills_the_old(world, carla):
    # Given an invitation sent
    invitation, old_token = make_portal_invitation(world.rep, carla)
    # When it is re-sent
    fresh = services.portal_invitation_resend(
        actor=world.rep, invitation=invitation, accept_url=ACCEPT_URL
    )
    # Then the old link is dead and the new one works
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.REVOKED
    assert fresh.state == InvitationState.OPEN
    assert len(mail.outbox) == 2
    with pytest.raises(Conflict):
        services.portal_invitation_accept(token=old_token, password=PASSWORD)


def test_an_unknown_token_is_not_found(db):
    with pytest.raises(NotFound):
        services.portal_invitation_by_token("nothing-like-it")


def test_a_weak_password_is_refused_naming_the_field(world, carla):
    _, token = make_portal_invitation(world.rep, carla)
    with pytest.raises(InvalidInput) as refused:
        services.portal_invitation_accept(token=token, password="short")
    assert list(refused.value.errors) == ["password"]
    assert not User.objects.filter(email__startswith="person").exists()


def test_an_address_not_the_contacts_is_refused_naming_the_field(world, carla):
    with pytest.raises(InvalidInput) as refused:
        make_portal_invitation(world.rep, carla, email="someone@else.example")
    assert list(refused.value.errors) == ["email"]
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["analyst", "partner_user", "portal_acme", "portal_globex"])
def test_only_writers_invite(world, carla, who):
    with pytest.raises(PermissionDenied):
        make_portal_invitation(getattr(world, who), carla)
    assert not PortalInvitation.objects.exists()


def test_a_portal_administrator_invites_colleagues_of_its_own_organisation_only(world, carla):
    # Given a portal user of Acme entitled to administer
    boss = make_portal_user(world.admin, carla, may_administer=True)
    # When it invites an Acme colleague, then it may
    invitation, _ = make_portal_invitation(boss, world.acme_buyer)
    assert invitation.customer_id == world.acme.pk
    # but a Globex contact it may not
    with pytest.raises(PermissionDenied):
        make_portal_invitation(boss, world.globex_cto)


def test_a_unit_entitled_portal_user_sees_its_unit_subtree_and_not_the_sibling(world, carla):
    # Given Acme with two sibling units and a portal user entitled to EMEA only
    americas = make_account(world.admin, "Acme Americas", parent=world.acme)
    user = make_portal_user(world.admin, carla, units=[world.acme_emea])
    # When it asks which accounts it sees
    seen = set(access.visible_accounts(user).values_list("name", flat=True))
    # Then EMEA and the plant under it, not Americas nor the organisation's top
    assert seen == {"Acme EMEA", "Plant Hamburg"}
    assert americas.name not in seen


def test_a_portal_user_without_units_sees_its_whole_organisation(world, carla):
    user = make_portal_user(world.admin, carla)
    seen = set(access.visible_accounts(user).values_list("name", flat=True))
    assert seen == {"Acme Industries", "Acme EMEA", "Plant Hamburg"}


def test_entitled_rights_are_capabilities_of_that_user_only(world, carla):
    approver = make_portal_user(world.admin, carla, may_approve=True, may_requisition=False)
    assert access.can(approver, access.Capability.APPROVE_REQUISITIONS)
    assert not access.can(approver, access.Capability.REQUISITION)
    assert not access.can(world.portal_acme, access.Capability.APPROVE_REQUISITIONS)


def test_units_of_another_organisation_are_refused_naming_the_field(world, carla):
    user = make_portal_user(world.admin, carla)
    with pytest.raises(InvalidInput) as refused:
        services.portal_entitlement_set(
            actor=world.admin,
            entitlement=user.portal_entitlement,
            units=[world.globex_it],
            may_requisition=True,
            may_approve=False,
            may_administer=False,
        )
    assert list(refused.value.errors) == ["units"]


def test_a_portal_administrator_may_not_entitle_another_organisations_users(world, carla):
    boss = make_portal_user(world.admin, carla, may_administer=True)
    greta = make_portal_user(world.admin, world.globex_cto)
    with pytest.raises(PermissionDenied):
        services.portal_entitlement_set(
            actor=boss,
            entitlement=greta.portal_entitlement,
            units=[],
            may_requisition=True,
            may_approve=True,
            may_administer=True,
        )
    greta.portal_entitlement.refresh_from_db()
    assert not greta.portal_entitlement.may_approve


def test_leaving_the_company_ends_portal_access_and_open_invitations(world, carla):
    # Given Carla a portal user and her colleague Ben invited
    user = make_portal_user(world.admin, carla)
    ben_invitation, _ = make_portal_invitation(world.rep, world.acme_buyer)
    # When Carla moves to Globex and Ben is marked as left
    services.contact_move(actor=world.rep, contact=carla, to_account=world.globex)
    services.contact_update(actor=world.rep, contact=world.acme_buyer, status=ContactStatus.LEFT)
    # Then Carla's portal user is inactive and Ben's link is dead
    user.refresh_from_db()
    ben_invitation.refresh_from_db()
    assert not user.is_active
    assert ben_invitation.state == InvitationState.REVOKED
    assert access.visible_accounts(User.objects.get(pk=user.pk)).count() == 0


def test_a_contact_who_left_cannot_be_invited(world, carla):
    services.contact_update(actor=world.rep, contact=carla, status=ContactStatus.LEFT)
    with pytest.raises(InvalidInput) as refused:
        make_portal_invitation(world.rep, carla)
    assert list(refused.value.errors) == ["contact"]


def test_inviting_again_kills_the_earlier_link(world, carla):
    first, first_token = make_portal_invitation(world.rep, carla)
    make_portal_invitation(world.rep, carla)
    first.refresh_from_db()
    assert first.state == InvitationState.REVOKED
    with pytest.raises(Conflict):
        services.portal_invitation_accept(token=first_token, password=PASSWORD)


def test_a_user_whose_entitled_units_are_all_gone_sees_nothing(world, carla):
    # Given a portal user entitled to EMEA only
    user = make_portal_user(world.admin, carla, units=[world.acme_emea])
    # When EMEA is deleted
    services.account_delete(actor=world.admin, account=world.acme_emea)
    # Then the user sees nothing, not the whole organisation
    assert list(access.visible_accounts(User.objects.get(pk=user.pk))) == []
