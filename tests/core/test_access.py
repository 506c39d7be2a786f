"""The permission choke point: who sees which accounts, and forbidden looks like missing."""

from __future__ import annotations

import pytest

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.errors import NotFound
from rapport.interactions import selectors as timeline_selectors

pytestmark = pytest.mark.django_db


def _names(user) -> set[str]:
    return set(access.visible_accounts(user).values_list("name", flat=True))


def test_staff_roles_see_every_account(world):
    everything = set(Account.objects.values_list("name", flat=True))
    for user in (world.admin, world.manager, world.rep, world.analyst):
        assert _names(user) == everything


def test_partner_user_sees_only_the_accounts_its_partner_serves(world):
    assert _names(world.partner_user) == {"Acme Industries", "Acme EMEA", "Plant Hamburg"}


def test_portal_user_sees_its_own_subtree(world):
    assert _names(world.portal_globex) == {"Globex Corporation", "Globex IT"}


def test_portal_user_of_a_unit_sees_only_that_unit_down(world):
    from tests.factories import make_user

    plant_user = make_user("portal", account=world.acme_plant)
    assert _names(plant_user) == {"Plant Hamburg"}


def test_anonymous_and_inactive_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert _names(AnonymousUser()) == set()
    world.rep.is_active = False
    assert _names(world.rep) == set()


def test_ended_partnership_revokes_visibility(world):
    from rapport.accounts import services
    from rapport.accounts.models import PartnerLink

    services.partner_link_end(
        actor=world.admin, link=PartnerLink.objects.get(partner=world.partner)
    )
    world.partner_user.refresh_from_db()
    assert _names(world.partner_user) == set()


def test_forbidden_and_missing_are_the_same_not_found(world):
    with pytest.raises(NotFound) as forbidden:
        account_selectors.account_get(user=world.portal_globex, pk=world.acme.pk)
    with pytest.raises(NotFound) as missing:
        account_selectors.account_get(user=world.portal_globex, pk=999_999)
    assert forbidden.value.message == missing.value.message
    with pytest.raises(NotFound):
        account_selectors.contact_get(user=world.partner_user, pk=world.globex_cto.pk)
    with pytest.raises(NotFound):
        timeline_selectors.interaction_get(user=world.partner_user, pk=world.globex_mail.pk)


def test_timelines_never_cross_accounts(world):
    page = timeline_selectors.timeline(user=world.portal_globex)
    assert [i.subject for i in page.items] == ["Globex renewal terms"]
    page = timeline_selectors.timeline(user=world.partner_user)
    assert [i.subject for i in page.items] == ["Acme site survey"]
    # even when asked for a contact of another organisation by reference
    page = timeline_selectors.timeline(user=world.portal_globex, contact=world.acme_buyer)
    assert page.items == []


def test_partner_user_sees_only_its_partner(world):
    names = [p.name for p in account_selectors.partner_list(user=world.partner_user)]
    assert names == ["Northwind Systems"]
    assert list(account_selectors.partner_list(user=world.portal_acme)) == []
