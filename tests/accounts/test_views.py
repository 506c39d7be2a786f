"""The Identify pages: they render, validate, write through the services, and leak nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.accounts import services
from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    LifecycleChange,
    Partner,
    PartnerLink,
)
from tests.factories import make_contact, make_interaction

pytestmark = pytest.mark.django_db


def _pages(world) -> list[str]:
    """Every GET page of Identify, pointed at rows of the small world."""
    acme, cfo = world.acme, world.acme_cfo
    return [
        reverse("accounts:account_list"),
        reverse("accounts:account_create"),
        reverse("accounts:account_detail", args=[acme.pk]),
        reverse("accounts:account_detail", args=[world.acme_plant.pk]),
        reverse("accounts:account_add_unit", args=[acme.pk]),
        reverse("accounts:account_edit", args=[acme.pk]),
        reverse("accounts:account_move", args=[world.acme_plant.pk]),
        reverse("accounts:account_move", args=[acme.pk]),
        reverse("accounts:account_delete", args=[world.acme_plant.pk]),
        reverse("accounts:account_lifecycle", args=[acme.pk]),
        reverse("accounts:account_history", args=[acme.pk]),
        reverse("accounts:contact_list"),
        reverse("accounts:contact_list") + f"?account={acme.pk}&role=decision_maker&status=active",
        reverse("accounts:contact_create"),
        reverse("accounts:contact_create") + "?org=acme",
        reverse("accounts:contact_create") + f"?account={world.acme_emea.pk}",
        reverse("accounts:contact_detail", args=[cfo.pk]),
        reverse("accounts:contact_edit", args=[cfo.pk]),
        reverse("accounts:contact_move", args=[cfo.pk]),
        reverse("accounts:contact_move", args=[cfo.pk]) + f"?to={world.globex.pk}&org=glob",
        reverse("accounts:contact_delete", args=[cfo.pk]),
        reverse("accounts:contact_history", args=[cfo.pk]),
        reverse("accounts:end_users"),
        reverse("accounts:end_users") + f"?account={acme.pk}&q=pat",
        reverse("accounts:partner_list"),
        reverse("accounts:partner_list") + "?q=north",
        reverse("accounts:partner_create"),
        reverse("accounts:partner_detail", args=[world.partner.pk]),
        reverse("accounts:partner_detail", args=[world.partner.pk]) + "?org=acme",
        reverse("accounts:partner_edit", args=[world.partner.pk]),
    ]


# --- every page renders ---------------------------------------------------------------


def test_every_page_renders_for_the_admin(client, world):
    client.force_login(world.admin)
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(reverse("accounts:account_detail", args=[world.acme.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_account_page_shows_tree_buying_centre_and_partners(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:account_detail", args=[world.acme.pk]))
    html = response.content.decode()
    assert "Acme EMEA" in html
    assert "Plant Hamburg" in html
    assert "Northwind Systems" in html
    assert "No known approver, specifier or champion in Acme Industries" in html
    assert "No known decision maker, approver or specifier in Acme EMEA" in html
    assert f"/end-users/?account={world.acme.pk}" in html
    assert f"{reverse('interactions:timeline_partial')}?account={world.acme.pk}" in html
    chart = response.context["chart"]
    by_id = {node["id"]: node for node in chart["nodes"]}
    assert by_id[f"c{world.acme_buyer.pk}"]["parent"] == f"c{world.acme_cfo.pk}"
    assert by_id[f"c{world.acme_cfo.pk}"]["parent"] is None
    assert by_id[f"c{world.acme_cfo.pk}"]["primary_role"] == "decision_maker"
    gaps = {node["id"]: node for node in chart["nodes"] if node["gap"]}
    assert sorted(gaps) == sorted(
        f"g{world.acme.pk}-{role}" for role in ("approver", "specifier", "champion")
    )
    gap = gaps[f"g{world.acme.pk}-approver"]
    assert gap["name"] == "No known approver"
    assert gap["unit"] == "Acme Industries"
    assert gap["parent"] is None
    assert 'data-org-chart="org-chart-data"' in html
    assert '<script id="org-chart-data" type="application/json">' in html


def test_unit_page_shows_breadcrumb_up_the_tree(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:account_detail", args=[world.acme_plant.pk]))
    assert [a.name for a in response.context["ancestors"]] == ["Acme Industries", "Acme EMEA"]
    assert (
        reverse("accounts:account_detail", args=[world.acme_emea.pk]) in response.content.decode()
    )


def test_contact_page_shows_identities_roles_and_org_position(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:contact_detail", args=[world.acme_buyer.pk]))
    html = response.content.decode()
    assert "Plant Hamburg" in html
    assert "Acme EMEA" in html
    assert "Carla Finch" in html  # reports to
    assert world.acme_buyer.identities.get().value in html
    assert "Purchasing" in html
    assert f"{reverse('interactions:timeline_partial')}?contact={world.acme_buyer.pk}" in html


# --- lists, filters and keyset pages --------------------------------------------------


def test_account_list_filters_and_loads_more_as_rows(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:account_list")
    response = client.get(url, {"q": "acme"})
    assert [a.name for a in response.context["page"].items] == ["Acme Industries"]
    response = client.get(url, {"stage": "customer"})
    assert response.context["page"].items == []
    fragment = client.get(url, {"q": "glob"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert "Globex Corporation" in fragment.content.decode()


def test_account_list_rolls_interactions_up_the_tree(client, world):
    make_interaction(world.admin, world.acme_emea)
    client.force_login(world.admin)
    response = client.get(reverse("accounts:account_list"), {"q": "acme"})
    [(account, rollup)] = response.context["rows"]
    assert account == world.acme
    assert rollup.interactions == 2  # one at Plant Hamburg, one at Acme EMEA
    assert rollup.last_interaction_at is not None


def test_account_list_pages_by_cursor(client, world):
    for n in range(55):
        services.account_create(actor=world.admin, name=f"Zeta {n:02d}")
    client.force_login(world.admin)
    first = client.get(reverse("accounts:account_list"))
    cursor = first.context["page"].next_cursor
    assert cursor
    second = client.get(
        reverse("accounts:account_list"), {"cursor": cursor}, headers={"HX-Request": "true"}
    )
    names = [a.name for a in second.context["page"].items]
    assert names[0] > first.context["page"].items[-1].name
    assert "Zeta 54" in second.content.decode()


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("accounts:account_list", "stage=bogus", "stage"),
        ("accounts:account_list", "cursor=garbage", "cursor"),
        ("accounts:account_list", "manager=abc", "manager"),
        ("accounts:contact_list", "role=bogus", "role"),
        ("accounts:contact_list", "status=bogus", "status"),
        ("accounts:contact_list", "account=abc", "account"),
        ("accounts:contact_list", "account=999999", "account"),
        ("accounts:contact_list", "cursor=garbage", "cursor"),
        ("accounts:end_users", "cursor=%%%", "cursor"),
        ("accounts:end_users", "account=x", "account"),
    ],
)
def test_bad_query_values_are_a_400_naming_the_field(client, world, path, query, field):
    client.force_login(world.admin)
    response = client.get(f"{reverse(path)}?{query}")
    assert response.status_code == 400
    assert field in response.content.decode()


def test_contact_list_rolls_up_the_account(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:contact_list"), {"account": world.acme_emea.pk})
    assert [c.full_name for c in response.context["page"].items] == ["Ben Buyer"]
    response = client.get(reverse("accounts:contact_list"), {"account": world.acme.pk})
    assert {c.full_name for c in response.context["page"].items} == {"Ben Buyer", "Carla Finch"}


def test_end_users_counts_and_lists_their_emails(client, world):
    user_one = make_contact(world.admin, world.acme_plant, email="one@acme.example")
    user_two = make_contact(world.admin, world.acme_emea, email="two@acme.example")
    for contact in (user_one, user_two):
        services.buying_role_set(actor=world.admin, contact=contact, role="end_user")
    client.force_login(world.admin)
    response = client.get(reverse("accounts:end_users"), {"account": world.acme.pk})
    assert response.context["total"] == 2
    assert response.context["addresses"] == "one@acme.example; two@acme.example"


# --- accounts: writes -----------------------------------------------------------------


def test_account_create_redirects_and_stores(client, world):
    client.force_login(world.rep)
    response = client.post(
        reverse("accounts:account_create"),
        {
            "name": "Initech",
            "kind": "legal_entity",
            "lifecycle_stage": "lead",
            "industry": "Software",
            "manager": world.rep.pk,
        },
    )
    account = Account.objects.get(name="Initech")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account_detail", args=[account.pk])
    assert account.lifecycle_stage == "lead"
    assert account.manager == world.rep
    assert account.customer_id == account.pk


def test_account_create_with_bad_input_rerenders_and_changes_nothing(client, world):
    client.force_login(world.admin)
    before = Account.objects.count()
    response = client.post(
        reverse("accounts:account_create"),
        {"name": "", "kind": "legal_entity", "lifecycle_stage": "nonsense", "employees": "-4"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"name", "lifecycle_stage", "employees"}
    assert Account.objects.count() == before


def test_add_unit_creates_a_child(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:account_add_unit", args=[world.acme_emea.pk]),
        {"name": "Plant Lyon", "kind": "site"},
    )
    unit = Account.objects.get(name="Plant Lyon")
    assert response.status_code == 302
    assert unit.path[: -Account.steplen] == world.acme_emea.path
    assert unit.customer_id == world.acme.pk


def test_add_unit_refuses_a_legal_entity_kind(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:account_add_unit", args=[world.acme.pk]),
        {"name": "Sneaky", "kind": "legal_entity"},
    )
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors
    assert not Account.objects.filter(name="Sneaky").exists()


def test_account_edit_saves_and_bad_input_changes_nothing(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:account_edit", args=[world.acme.pk])
    bad = client.post(url, {"name": "", "kind": "legal_entity"})
    assert bad.status_code == 400
    assert "name" in bad.context["form"].errors
    good = client.post(url, {"name": "Acme Group", "kind": "legal_entity", "city": "Berlin"})
    assert good.status_code == 302
    world.acme.refresh_from_db()
    assert (world.acme.name, world.acme.city) == ("Acme Group", "Berlin")


def test_account_move_rehangs_a_unit_and_refuses_a_loop(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:account_move", args=[world.acme_emea.pk])
    # its own descendant is not even offered
    loop = client.post(url, {"new_parent": world.acme_plant.pk})
    assert loop.status_code == 400
    assert "new_parent" in loop.context["form"].errors
    unit = services.account_create(actor=world.admin, name="Acme Americas", parent=world.acme)
    moved = client.post(
        reverse("accounts:account_move", args=[world.acme_plant.pk]), {"new_parent": unit.pk}
    )
    assert moved.status_code == 302
    world.acme_plant.refresh_from_db()
    assert world.acme_plant.path[: -Account.steplen] == unit.path


def test_account_move_of_an_organisation_explains_why_not(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:account_move", args=[world.acme.pk]), {"new_parent": world.acme.pk}
    )
    assert response.status_code == 400


def test_account_delete_confirms_then_soft_deletes(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:account_delete", args=[world.acme_emea.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account_detail", args=[world.acme.pk])
    world.acme_plant.refresh_from_db()
    assert world.acme_plant.deleted_at is not None
    assert (
        client.get(reverse("accounts:account_detail", args=[world.acme_emea.pk])).status_code == 404
    )


def test_lifecycle_change_is_recorded_and_errors_are_shown(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:account_lifecycle", args=[world.acme.pk])
    same = client.post(url, {"stage": "prospect", "reason": "no change"})
    assert same.status_code == 400  # the current stage is not offered as a move
    assert "stage" in same.context["form"].errors
    bogus = client.post(url, {"stage": "bogus"})
    assert bogus.status_code == 400
    assert "stage" in bogus.context["form"].errors
    ok = client.post(url, {"stage": "opportunity", "reason": "RFP received"})
    assert ok.status_code == 302
    change = LifecycleChange.objects.filter(account=world.acme).first()
    assert (change.previous_stage, change.stage, change.reason) == (
        "prospect",
        "opportunity",
        "RFP received",
    )
    history = client.get(reverse("accounts:account_history", args=[world.acme.pk]))
    assert "RFP received" in history.content.decode()


def test_account_history_names_who_changed_what(client, world):
    services.account_update(
        actor=world.admin, account=world.acme, city="Hamburg", manager=world.rep
    )
    client.force_login(world.admin)
    html = client.get(reverse("accounts:account_history", args=[world.acme.pk])).content.decode()
    assert "Ada Admin" in html
    assert "Hamburg" in html
    assert "Rita Rep" in html  # the manager's name, not their id


# --- contacts: writes -----------------------------------------------------------------


def test_contact_create_redirects_and_stores_with_identities(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:contact_create") + f"?account={world.acme.pk}"
    response = client.post(
        url,
        {
            "first_name": "Dora",
            "last_name": "Diaz",
            "title": "Head of IT",
            "account": world.acme_emea.pk,
            "reports_to": world.acme_cfo.pk,
            "email": "dora@acme.example",
            "phone": "+49 40 123456",
        },
    )
    contact = Contact.objects.get(last_name="Diaz")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:contact_detail", args=[contact.pk])
    assert contact.account == world.acme_emea
    assert contact.reports_to == world.acme_cfo
    assert {i.kind for i in contact.identities.all()} == {"email", "phone"}


def test_contact_create_offers_only_the_organisation(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:contact_create") + f"?account={world.acme.pk}"
    before = Contact.objects.count()
    response = client.post(
        url,
        {
            "first_name": "Eve",
            "last_name": "Evil",
            "account": world.globex_it.pk,
            "reports_to": world.globex_cto.pk,
            "email": "not-an-email",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"account", "reports_to", "email"}
    assert Contact.objects.count() == before


def test_contact_create_duplicate_email_is_a_field_error(client, world):
    client.force_login(world.admin)
    taken = world.acme_cfo.identities.get().value
    response = client.post(
        reverse("accounts:contact_create") + f"?account={world.acme.pk}",
        {"first_name": "Dup", "last_name": "Licate", "account": world.acme.pk, "email": taken},
    )
    assert response.status_code == 409
    assert "email" in response.context["form"].errors or response.context["form"].non_field_errors()
    assert not Contact.objects.filter(last_name="Licate").exists()


def test_contact_edit_saves_and_bad_input_changes_nothing(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:contact_edit", args=[world.acme_buyer.pk])
    data = {
        "first_name": "Ben",
        "last_name": "Buyer",
        "title": "Lead buyer",
        "account": world.acme_plant.pk,
        "reports_to": "",
        "status": "active",
    }
    bad = client.post(url, {**data, "country": "Atlantis"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["country"] == [
        "Unknown country 'Atlantis'; give its name or ISO code."
    ]
    world.acme_buyer.refresh_from_db()
    assert (world.acme_buyer.title, world.acme_buyer.country) == ("Buyer", "")
    good = client.post(url, data)
    assert good.status_code == 302
    world.acme_buyer.refresh_from_db()
    assert (world.acme_buyer.title, world.acme_buyer.reports_to_id) == ("Lead buyer", None)


def test_contact_move_to_another_company_keeps_history(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:contact_move", args=[world.acme_buyer.pk]) + f"?to={world.globex.pk}"
    page = client.get(url)
    assert page.context["leaving"] is True
    response = client.post(
        url, {"account": world.globex_it.pk, "title": "IT buyer", "moved_on": "2000-01-15"}
    )
    assert response.status_code == 400  # before the current job started
    assert "moved_on" in response.context["form"].errors
    response = client.post(
        url,
        {"account": world.globex_it.pk, "title": "IT buyer", "moved_on": date.today().isoformat()},
    )
    assert response.status_code == 302
    world.acme_buyer.refresh_from_db()
    assert world.acme_buyer.customer_id == world.globex.pk
    assert world.acme_buyer.employments.count() == 2
    detail = client.get(reverse("accounts:contact_detail", args=[world.acme_buyer.pk]))
    html = detail.content.decode()
    assert "IT buyer" in html
    assert "Plant Hamburg" in html  # the past employment stays


def test_contact_delete_confirms_then_soft_deletes(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:contact_delete", args=[world.acme_buyer.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert Contact.all_objects.get(pk=world.acme_buyer.pk).deleted_at is not None


def test_identity_add_and_remove(client, world):
    client.force_login(world.admin)
    contact = world.acme_cfo
    response = client.post(
        reverse("accounts:identity_add", args=[contact.pk]),
        {"identity-kind": "erp_id", "identity-value": "c-1001"},
    )
    assert response.status_code == 302
    identity = ContactIdentity.objects.get(contact=contact, kind="erp_id")
    response = client.post(reverse("accounts:identity_remove", args=[contact.pk, identity.pk]))
    assert response.status_code == 302
    assert not ContactIdentity.objects.filter(pk=identity.pk).exists()


def test_duplicate_identity_is_an_inline_error(client, world):
    client.force_login(world.admin)
    taken = world.acme_buyer.identities.get().value
    response = client.post(
        reverse("accounts:identity_add", args=[world.acme_cfo.pk]),
        {"identity-kind": "email", "identity-value": taken.upper()},
    )
    assert response.status_code == 409
    assert "already belongs to another contact" in response.content.decode()
    assert response.context["identity_form"].errors["value"]
    assert not ContactIdentity.objects.filter(contact=world.acme_cfo, normalized=taken).exists()


def test_invalid_identity_is_an_inline_error(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:identity_add", args=[world.acme_cfo.pk]),
        {"identity-kind": "phone", "identity-value": "12"},
    )
    assert response.status_code == 400
    assert "is not a phone number" in response.content.decode()


def test_role_add_update_and_remove(client, world):
    client.force_login(world.admin)
    contact = world.acme_buyer
    url = reverse("accounts:role_add", args=[contact.pk])
    data = {
        "role-role": "champion",
        "role-account": world.acme_emea.pk,
        "role-influence": "4",
        "role-attitude": "2",
    }
    assert client.post(url, data).status_code == 302
    role = BuyingRole.objects.get(contact=contact, role="champion")
    assert (role.account_id, role.influence, role.attitude) == (world.acme_emea.pk, 4, 2)
    assert client.post(url, {**data, "role-influence": "2"}).status_code == 302
    role.refresh_from_db()
    assert role.influence == 2
    removed = client.post(reverse("accounts:role_remove", args=[contact.pk, role.pk]))
    assert removed.status_code == 302
    assert not BuyingRole.objects.filter(pk=role.pk).exists()


def test_role_add_with_bad_input_rerenders_the_contact_page(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:role_add", args=[world.acme_buyer.pk]),
        {
            "role-role": "tyrant",
            "role-account": world.globex.pk,
            "role-influence": "9",
            "role-attitude": "0",
        },
    )
    assert response.status_code == 400
    assert set(response.context["role_form"].errors) == {"role", "account", "influence"}
    assert response.context["contact"] == world.acme_buyer
    assert BuyingRole.objects.filter(contact=world.acme_buyer).count() == 1


def test_contact_history_lists_identity_and_role_changes(client, world):
    services.identity_add(
        actor=world.admin, contact=world.acme_cfo, kind="phone", value="+1 555 0100"
    )
    role = BuyingRole.objects.get(contact=world.acme_cfo)
    services.buying_role_set(
        actor=world.rep, contact=world.acme_cfo, role=role.role, influence=2, attitude=-1
    )
    client.force_login(world.admin)
    response = client.get(reverse("accounts:contact_history", args=[world.acme_cfo.pk]))
    html = response.content.decode()
    assert "+1 555 0100" in html
    assert "Rita Rep" in html
    kinds = [line.kind for line, _ in response.context["audit"]]
    assert "changed" in kinds
    assert "added" in kinds


# --- partners -------------------------------------------------------------------------


def test_partner_create_and_bad_input(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:partner_create")
    duplicate = client.post(url, {"name": "northwind systems", "kind": "var"})
    assert duplicate.status_code == 409
    assert "name" in duplicate.context["form"].errors
    bad = client.post(url, {"name": "Eastwind", "kind": "pirate"})
    assert bad.status_code == 400
    assert not Partner.objects.filter(name="Eastwind").exists()
    ok = client.post(url, {"name": "Eastwind", "kind": "installer", "country": "DK"})
    partner = Partner.objects.get(name="Eastwind")
    assert ok.status_code == 302
    assert ok["Location"] == reverse("accounts:partner_detail", args=[partner.pk])


def test_partner_edit_saves(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:partner_edit", args=[world.partner.pk]),
        {"name": "Northwind Systems", "kind": "var", "website": "northwind.example"},
    )
    assert response.status_code == 302
    world.partner.refresh_from_db()
    assert (world.partner.kind, world.partner.website) == ("var", "northwind.example")


def test_partner_link_create_and_end(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:partner_link_create", args=[world.partner.pk])
    response = client.post(url, {"account": world.globex.pk, "role": "installer"})
    assert response.status_code == 302
    link = PartnerLink.objects.get(partner=world.partner, account=world.globex)
    again = client.post(url, {"account": world.globex.pk, "role": "installer"})
    assert again.status_code == 409
    assert "already serves" in again.content.decode()
    ended = client.post(
        reverse("accounts:partner_link_end", args=[world.partner.pk, link.pk]),
        {"ended_on": ""},
    )
    assert ended.status_code == 302
    link.refresh_from_db()
    assert link.ended_on is not None


def test_partner_link_needs_a_visible_organisation(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:partner_link_create", args=[world.partner.pk]),
        {"account": "999999", "role": "installer"},
    )
    assert response.status_code == 400
    assert "account" in response.context["link_form"].errors


# --- who may do what ------------------------------------------------------------------


def test_analyst_can_view_but_not_write(client, world):
    client.force_login(world.analyst)
    detail = client.get(reverse("accounts:account_detail", args=[world.acme.pk]))
    assert detail.status_code == 200
    assert reverse("accounts:account_edit", args=[world.acme.pk]) not in detail.content.decode()
    contact_page = client.get(reverse("accounts:contact_detail", args=[world.acme_cfo.pk]))
    assert contact_page.status_code == 200
    assert reverse("accounts:identity_add", args=[world.acme_cfo.pk]) not in (
        contact_page.content.decode()
    )
    posts = [
        (
            reverse("accounts:account_create"),
            {"name": "X", "kind": "legal_entity", "lifecycle_stage": "lead"},
        ),
        (
            reverse("accounts:account_edit", args=[world.acme.pk]),
            {"name": "X", "kind": "legal_entity"},
        ),
        (reverse("accounts:account_lifecycle", args=[world.acme.pk]), {"stage": "lost"}),
        (reverse("accounts:account_delete", args=[world.acme.pk]), {}),
        (
            reverse("accounts:identity_add", args=[world.acme_cfo.pk]),
            {"identity-kind": "erp_id", "identity-value": "X1"},
        ),
        (
            reverse("accounts:role_add", args=[world.acme_cfo.pk]),
            {
                "role-role": "champion",
                "role-account": world.acme.pk,
                "role-influence": "3",
                "role-attitude": "0",
            },
        ),
        (
            reverse("accounts:partner_link_create", args=[world.partner.pk]),
            {"account": world.globex.pk, "role": "installer"},
        ),
        (reverse("accounts:contact_delete", args=[world.acme_cfo.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    world.acme.refresh_from_db()
    assert world.acme.name == "Acme Industries"
    assert world.acme.deleted_at is None
    assert not ContactIdentity.objects.filter(kind="erp_id").exists()
    assert not BuyingRole.objects.filter(role="champion").exists()
    assert not PartnerLink.objects.filter(partner=world.partner, account=world.globex).exists()


def test_portal_user_of_another_customer_sees_nothing_of_acme(client, world):
    client.force_login(world.portal_globex)
    hidden = [
        reverse("accounts:account_detail", args=[world.acme.pk]),
        reverse("accounts:account_detail", args=[world.acme_plant.pk]),
        reverse("accounts:account_history", args=[world.acme.pk]),
        reverse("accounts:contact_detail", args=[world.acme_cfo.pk]),
        reverse("accounts:contact_history", args=[world.acme_cfo.pk]),
    ]
    for url in hidden:
        assert client.get(url).status_code == 404, url
    own = client.get(reverse("accounts:account_detail", args=[world.globex.pk]))
    assert own.status_code == 200
    assert "Acme" not in own.content.decode()
    listing = client.get(reverse("accounts:contact_list"))
    assert [c.full_name for c in listing.context["page"].items] == ["Greta Gold"]


def test_partner_user_sees_only_served_accounts_and_own_partner(client, world):
    client.force_login(world.partner_user)
    assert client.get(reverse("accounts:account_detail", args=[world.acme.pk])).status_code == 200
    assert client.get(reverse("accounts:account_detail", args=[world.globex.pk])).status_code == 404
    assert (
        client.get(reverse("accounts:partner_detail", args=[world.partner.pk])).status_code == 200
    )
    other = client.get(reverse("accounts:partner_detail", args=[world.other_partner.pk]))
    assert other.status_code == 404


# --- constant queries -----------------------------------------------------------------


def _grow(world, n: int = 40) -> None:
    """Add n units, contacts with roles and reporting lines, and interactions to Acme."""
    previous = world.acme_cfo
    roles = ["influencer", "specifier", "end_user", "reviewer", "champion", "blocker", "approver"]
    for i in range(n):
        unit = services.account_create(
            actor=world.admin,
            name=f"Acme unit {i}",
            parent=world.acme_emea if i % 2 else world.acme,
        )
        contact = make_contact(world.admin, unit, reports_to=previous, title=f"Title {i}")
        services.buying_role_set(
            actor=world.admin, contact=contact, role=roles[i % len(roles)], influence=1 + i % 5
        )
        services.identity_add(
            actor=world.admin, contact=contact, kind="phone", value=f"+4940{i:06d}"
        )
        make_interaction(world.admin, unit, contacts=[contact, previous])
        previous = contact


# Issue 12: the account and contact pages ask at most this many queries, and as many for
# an organisation of 40 more units, people, roles and interactions as for a small one.
PAGE_QUERY_BOUND = 15


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def test_account_page_queries_do_not_grow_with_the_organisation(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:account_detail", args=[world.acme.pk])
    _response, small = _queries(client, url)
    _grow(world)
    response, large = _queries(client, url)
    assert large == small <= PAGE_QUERY_BOUND
    assert len(response.context["chart"]["nodes"]) > 30  # every grown contact but end users
    assert len(response.context["tree_rows"]) == 43  # Acme, EMEA, Plant and 40 new units


def test_contact_page_queries_do_not_grow_with_the_person(client, world):
    client.force_login(world.admin)
    url = reverse("accounts:contact_detail", args=[world.acme_cfo.pk])
    _response, small = _queries(client, url)
    _grow(world)
    for i in range(5):
        services.identity_add(
            actor=world.admin, contact=world.acme_cfo, kind="erp_id", value=f"E{i}"
        )
    response, large = _queries(client, url)
    assert large == small <= PAGE_QUERY_BOUND
    assert len(response.context["direct_reports"]) == 2


def test_the_organisation_card_nests_units_under_their_parents(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("accounts:account_detail", args=[world.acme_plant.pk])).content
    html = html.decode()
    card = html[
        html.index('<ul class="tree-list">') : html.index("</section>", html.index("tree-title"))
    ]
    # every list item and every nested list is closed, and the plant is marked current
    assert card.count("<li>") == card.count("</li>")
    assert card.count("<ul") == card.count("</ul>")
    assert 'aria-current="page"' in card
    assert card.index("Acme EMEA") < card.index("Plant Hamburg")


@pytest.mark.parametrize(
    "name", ["accounts:account_list", "accounts:contact_list", "accounts:end_users"]
)
def test_lists_issue_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries, name
):
    client.force_login(world.admin)
    _grow(world)
    with django_assert_max_num_queries(12):
        assert client.get(reverse(name)).status_code == 200
