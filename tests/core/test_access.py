"""The permission choke point: who sees which accounts, and forbidden looks like missing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.errors import NotFound, PermissionDenied
from rapport.core.models import Role
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


# --- capabilities: the one table of who may do what ----------------------------------

C = access.Capability
STAFF = {
    C.BROWSE_CATALOG,
    C.SEE_INTERNAL_SIDE,
    C.SEE_COSTS,
    C.USE_STAFF_TOOLS,
    C.ACT_FOR_US,
    C.READ_PORTFOLIO,
    C.WATCH_CADENCE,
}
WRITER = STAFF | {C.WRITE_CUSTOMER_DATA, C.RUN_IMPORTS, C.MANAGE_ACCOUNTS}
EXPECTED = {
    "admin": WRITER
    | {C.JUDGE_VALUE, C.RUN_RECOMPUTE, C.MANAGE_CATALOG, C.AGREE_PRICES, C.SET_TREATMENTS}
    | {C.ADMINISTER},
    "manager": WRITER
    | {C.JUDGE_VALUE, C.RUN_RECOMPUTE, C.MANAGE_CATALOG, C.AGREE_PRICES, C.SET_TREATMENTS},
    "rep": WRITER,
    "analyst": STAFF,
    "partner_user": {C.WATCH_CADENCE},
    "portal_acme": set(),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_holds_exactly_its_capabilities(world, who):
    user = getattr(world, who)
    assert access.capabilities(user) == EXPECTED[who]
    for capability in C:
        assert access.can(user, capability) is (capability in EXPECTED[who])
    assert access.allowed(user) == {c.value: c in EXPECTED[who] for c in C}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_ensure_refuses_with_a_reason_what_the_role_may_not_do(world, who):
    user = getattr(world, who)
    for capability in C:
        if capability in EXPECTED[who]:
            access.ensure(user, capability)
        else:
            with pytest.raises(PermissionDenied, match=r"\w"):
                access.ensure(user, capability)
            with pytest.raises(NotFound, match="page not found"):
                access.ensure(user, capability, not_found="page not found")


def test_anonymous_and_inactive_users_may_do_nothing(world):
    world.admin.is_active = False
    for user in (AnonymousUser(), None, world.admin):
        assert access.capabilities(user) == frozenset()
        assert not any(access.allowed(user).values())
        with pytest.raises(PermissionDenied):
            access.ensure(user, C.WRITE_CUSTOMER_DATA)


def test_roles_with_a_capability_come_from_the_table():
    assert access.roles_with(C.ADMINISTER) == ["admin"]
    assert access.roles_with(C.JUDGE_VALUE) == ["admin", "manager"]
    assert access.roles_with(C.MANAGE_CATALOG) == ["admin", "manager"]
    assert access.roles_with(C.ACT_FOR_US) == ["admin", "analyst", "manager", "rep"]
    assert access.roles_with(C.READ_PORTFOLIO) == ["admin", "analyst", "manager", "rep"]
    assert access.roles_with(C.WATCH_CADENCE) == ["admin", "analyst", "manager", "partner", "rep"]


def test_every_role_is_in_the_table():
    assert set(access.ROLE_CAPABILITIES) == set(Role.values)
