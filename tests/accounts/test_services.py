"""Identify services: the account tree, lifecycle, contacts, identities, roles, partners."""

from __future__ import annotations

from datetime import date

import pytest

from rapport.accounts import selectors, services
from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    Employment,
    LifecycleChange,
    PartnerLink,
)
from rapport.core.errors import Conflict, InvalidInput, PermissionDenied
from tests.factories import make_account, make_contact, make_interaction

pytestmark = pytest.mark.django_db


def test_units_carry_their_organisation_and_roll_figures_up(world):
    # Given a three-level tree with contacts and interactions at the bottom
    dept = make_account(world.admin, "Maintenance", parent=world.acme_plant, kind="department")
    make_contact(world.admin, dept)
    make_interaction(world.admin, dept)

    # When the tree is read
    tree = selectors.account_tree(user=world.admin, account=world.acme)

    # Then every unit points at the top and figures roll up
    assert {n.account.customer_id for n in tree} == {world.acme.pk}
    by_name = {n.account.name: n for n in tree}
    assert by_name["Maintenance"].depth == 4
    assert by_name["Maintenance"].interactions == 1
    assert by_name["Plant Hamburg"].interactions == 2
    assert by_name["Acme Industries"].interactions == 2
    assert by_name["Acme Industries"].contacts == 3
    assert by_name["Acme EMEA"].contacts == 2


def test_account_create_rejects_blank_name_and_leaves_nothing(world):
    before = Account.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.account_create(actor=world.admin, name="  ")
    assert "name" in error.value.errors
    assert Account.objects.count() == before


def test_account_create_rejects_unknown_field(world):
    with pytest.raises(InvalidInput) as error:
        services.account_create(actor=world.admin, name="X", colour="red")
    assert error.value.field == "colour"


def test_analyst_cannot_write(world):
    with pytest.raises(PermissionDenied):
        services.account_create(actor=world.analyst, name="Nope")
    assert not Account.objects.filter(name="Nope").exists()


def test_lifecycle_change_appends_history_and_updates_units(world):
    # When Acme moves from prospect to lead then customer
    services.lifecycle_change(
        actor=world.rep, account=world.acme, stage="lead", reason="Replied to campaign"
    )
    services.lifecycle_change(
        actor=world.rep, account=world.acme, stage="customer", reason="First order"
    )

    # Then the history has every step, newest first, and the units share the stage
    history = list(
        LifecycleChange.objects.filter(account=world.acme).values_list("previous_stage", "stage")
    )
    assert history == [("lead", "customer"), ("prospect", "lead"), ("", "prospect")]
    assert set(
        Account.objects.filter(customer=world.acme).values_list("lifecycle_stage", flat=True)
    ) == {"customer"}


def test_lifecycle_change_to_same_stage_conflicts(world):
    with pytest.raises(Conflict):
        services.lifecycle_change(actor=world.rep, account=world.acme, stage="prospect")


def test_lifecycle_change_unknown_stage(world):
    with pytest.raises(InvalidInput) as error:
        services.lifecycle_change(actor=world.rep, account=world.acme, stage="won")
    assert error.value.field == "stage"


def test_account_move_within_organisation_only(world):
    services.account_move(actor=world.admin, account=world.acme_plant, new_parent=world.acme)
    world.acme_plant.refresh_from_db()
    assert world.acme_plant.path[:4] == world.acme.path
    assert world.acme_plant.depth == 2
    with pytest.raises(InvalidInput):
        services.account_move(actor=world.admin, account=world.acme_plant, new_parent=world.globex)
    with pytest.raises(InvalidInput):
        services.account_move(
            actor=world.admin, account=world.acme_emea, new_parent=world.acme_emea
        )


def test_account_delete_is_soft_and_restorable(world):
    services.account_delete(actor=world.admin, account=world.acme_emea)
    assert not Account.objects.filter(pk=world.acme_plant.pk, deleted_at__isnull=True).exists()
    account = Account.objects.get(pk=world.acme_emea.pk)
    services.account_restore(actor=world.admin, account=account)
    assert Account.objects.filter(pk=world.acme_plant.pk, deleted_at__isnull=True).exists()


def test_a_personal_email_or_system_id_names_one_person_whatever_the_spelling(world):
    with pytest.raises(Conflict) as error:
        services.identity_add(
            actor=world.admin,
            contact=world.globex_cto,
            kind="email",
            value=world.acme_cfo.identities.first().value.upper(),
        )
    assert error.value.field == "value"
    services.identity_add(actor=world.admin, contact=world.acme_cfo, kind="erp_id", value="c-100")
    with pytest.raises(Conflict):
        services.identity_add(
            actor=world.admin, contact=world.globex_cto, kind="erp_id", value="C-100 "
        )


def test_a_phone_is_kept_in_e164_and_may_be_shared_by_several_people(world):
    # Given a switchboard number written two ways at two companies
    first = services.identity_add(
        actor=world.admin, contact=world.acme_cfo, kind="phone", value="+49 40 1234-567"
    )
    second = services.identity_add(
        actor=world.admin, contact=world.globex_cto, kind="phone", value="0049 (40) 1234567"
    )
    # Then both people hold it, as one normalised number, marked shared
    assert (first.normalized, second.normalized) == ("+49401234567", "+49401234567")
    assert first.shared
    assert second.shared
    # But one person cannot hold the same number twice
    with pytest.raises(Conflict, match="already belongs to this contact"):
        services.identity_add(
            actor=world.admin, contact=world.acme_cfo, kind="phone", value="+49401234567"
        )


def test_a_phone_without_country_code_is_read_in_the_contacts_country(world):
    contact = services.contact_create(
        actor=world.admin, account=world.acme, first_name="Ada", last_name="Byron", country="AU"
    )
    identity = services.identity_add(
        actor=world.admin, contact=contact, kind="phone", value="(02) 9876 5432"
    )
    assert contact.country == "Australia"
    assert identity.normalized == "+61298765432"


def test_a_team_mailbox_is_shared_and_a_personal_one_is_not(world):
    team = services.identity_add(
        actor=world.admin, contact=world.acme_cfo, kind="email", value="Sales@Acme.example"
    )
    again = services.identity_add(
        actor=world.admin, contact=world.globex_cto, kind="email", value="sales@acme.example"
    )
    assert team.shared
    assert again.shared


def test_a_contact_needs_a_name_or_an_email_and_either_name_may_be_empty(world):
    only_surname = services.contact_create(
        actor=world.admin, account=world.acme, last_name="Okafor"
    )
    only_email = services.contact_create(
        actor=world.admin, account=world.acme, email="k.okafor@acme.example"
    )
    assert (only_surname.full_name, only_email.full_name) == ("Okafor", "(no name)")
    with pytest.raises(InvalidInput) as error:
        services.contact_create(actor=world.admin, account=world.acme, first_name="  ")
    assert error.value.field == "last_name"


def test_a_contacts_place_is_normalised_and_an_unknown_country_names_the_field(world):
    contact = services.contact_create(
        actor=world.admin,
        account=world.acme,
        first_name="Jo",
        last_name="Lee",
        street=" 1 Main St ",
        city="Sydney",
        postcode="2000",
        region="NSW",
        country="au",
    )
    assert (contact.street, contact.country) == ("1 Main St", "Australia")
    with pytest.raises(InvalidInput) as error:
        services.contact_update(actor=world.admin, contact=contact, country="Atlantis")
    assert error.value.field == "country"
    contact.refresh_from_db()
    assert contact.country == "Australia"


def test_a_date_of_birth_is_refused_unless_the_deployment_keeps_it(world, settings):
    with pytest.raises(InvalidInput) as error:
        services.contact_create(
            actor=world.admin,
            account=world.acme,
            last_name="Lee",
            date_of_birth=date(1980, 1, 2),
        )
    assert error.value.field == "date_of_birth"
    settings.RAPPORT_CONTACT_BIRTH_DATE = True
    contact = services.contact_create(
        actor=world.admin, account=world.acme, last_name="Lee", date_of_birth=date(1980, 1, 2)
    )
    assert contact.date_of_birth == date(1980, 1, 2)


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not-an-email"), ("phone", "12"), ("fax", "123456"), ("erp_id", "  ")],
)
def test_bad_identities_name_the_field(world, kind, value):
    before = ContactIdentity.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.identity_add(actor=world.admin, contact=world.acme_cfo, kind=kind, value=value)
    assert error.value.field in {"kind", "value"}
    assert ContactIdentity.objects.count() == before


def test_an_email_domain_is_judged_the_same_each_time_it_is_checked():
    # Django's e-mail rules decide; a domain checked once is not judged again differently
    good = ["ann@firm.example", "bo@firm.example", "cy@localhost", "dee@bücher.example"]
    bad = ["ann@firm..example", "bo@firm..example", "cy@-firm.example", "dee@firm_x.example"]
    for _ in range(2):
        assert [services.identity_check("email", v)[1] for v in good] == [
            "ann@firm.example", "bo@firm.example", "cy@localhost", "dee@bücher.example"
        ]  # fmt: skip
        for value in bad:
            with pytest.raises(InvalidInput, match="is not a valid e-mail address"):
                services.identity_check("email", value)


def test_contact_move_to_another_company_keeps_history(world):
    # Given Ben has a role and an interaction at Acme
    services.buying_role_set(actor=world.admin, contact=world.acme_buyer, role="influencer")

    # When he moves to Globex
    services.contact_move(
        actor=world.admin, contact=world.acme_buyer, to_account=world.globex_it, title="IT Buyer"
    )

    # Then he belongs to Globex, his Acme spell is closed, his Acme roles ended,
    # and the interaction he took part in at Acme still names him
    ben = Contact.objects.get(pk=world.acme_buyer.pk)
    assert ben.customer_id == world.globex.pk
    spells = list(
        Employment.objects.filter(contact=ben).order_by("id").values_list("customer_id", "ended_on")
    )
    assert spells[0][0] == world.acme.pk
    assert spells[0][1] is not None
    assert spells[1] == (world.globex.pk, None)
    assert not BuyingRole.objects.filter(contact=ben).exists()
    assert world.acme_call.participants.filter(contact=ben).exists()
    assert ben.identities.get().customer_id == world.globex.pk


def test_contact_update_rejects_move_across_companies(world):
    with pytest.raises(InvalidInput) as error:
        services.contact_update(actor=world.admin, contact=world.acme_buyer, account=world.globex)
    assert error.value.field == "account"


def test_reports_to_cannot_loop_or_cross_companies(world):
    with pytest.raises(InvalidInput):
        services.contact_update(
            actor=world.admin, contact=world.acme_cfo, reports_to=world.acme_buyer
        )
    with pytest.raises(InvalidInput):
        services.contact_update(
            actor=world.admin, contact=world.acme_buyer, reports_to=world.globex_cto
        )


def test_buying_role_upserts_and_validates(world):
    role = services.buying_role_set(
        actor=world.admin, contact=world.acme_cfo, role="decision_maker", influence=4
    )
    assert role.influence == 4
    assert BuyingRole.objects.filter(contact=world.acme_cfo, role="decision_maker").count() == 1
    with pytest.raises(InvalidInput) as error:
        services.buying_role_set(
            actor=world.admin, contact=world.acme_cfo, role="approver", influence=9
        )
    assert error.value.field == "influence"
    with pytest.raises(InvalidInput):
        services.buying_role_set(
            actor=world.admin, contact=world.acme_cfo, role="approver", account=world.globex
        )


def test_buying_centre_shows_gaps_per_unit(world):
    centre = selectors.buying_centre(user=world.admin, account=world.acme)
    gaps = {(g.unit.name, g.role) for g in centre.gaps}
    assert ("Acme Industries", "approver") in gaps
    assert ("Acme Industries", "decision_maker") not in gaps
    assert ("Acme EMEA", "purchasing") not in gaps  # Ben buys at the plant, inside EMEA
    assert ("Acme EMEA", "decision_maker") in gaps
    assert [m.contact.last_name for m in centre.members] == ["Finch", "Buyer"]


def test_end_users_are_a_group(world):
    user_contact = make_contact(world.admin, world.acme_plant, first_name="Eve", last_name="User")
    services.buying_role_set(actor=world.admin, contact=user_contact, role="end_user", influence=1)
    page = selectors.end_users(user=world.admin)
    assert [c.last_name for c in page.items] == ["User"]
    assert selectors.buying_centre(user=world.admin, account=world.acme).end_user_counts == {
        world.acme_plant.pk: 1
    }


def test_partner_links_end_but_stay(world):
    link = PartnerLink.objects.get(partner=world.partner)
    services.partner_link_end(actor=world.admin, link=link)
    link.refresh_from_db()
    assert link.ended_on is not None
    assert selectors.partner_links(user=world.admin, partner=world.partner).count() == 1
    # a new spell in the same role may start once the old one ended
    services.partner_link_create(
        actor=world.admin, partner=world.partner, account=world.acme, role="reseller_of_record"
    )


def test_partner_names_are_unique(world):
    with pytest.raises(Conflict):
        services.partner_create(actor=world.admin, name="northwind systems", kind="var")


def test_audit_history_records_who_changed_what(world):
    from rapport.core.selectors import history_for

    services.account_update(actor=world.rep, account=world.acme, industry="Robotics")
    entries = history_for(user=world.admin, record=Account.objects.get(pk=world.acme.pk))
    latest = entries[0]
    assert latest.who == "Rita Rep"
    assert latest.kind == "changed"
    assert [(c.field, c.old, c.new) for c in latest.changes] == [
        ("industry", "Manufacturing", "Robotics")
    ]


def test_contact_move_cannot_predate_the_current_job(world):
    from datetime import date

    with pytest.raises(InvalidInput) as error:
        services.contact_move(
            actor=world.admin,
            contact=world.acme_buyer,
            to_account=world.globex,
            moved_on=date(2000, 1, 1),
        )
    assert error.value.field == "moved_on"
    assert Contact.objects.get(pk=world.acme_buyer.pk).customer_id == world.acme.pk


def test_ending_an_ended_partnership_conflicts(world):
    link = PartnerLink.objects.get(partner=world.partner)
    services.partner_link_end(actor=world.admin, link=link)
    first_end = PartnerLink.objects.get(pk=link.pk).ended_on
    with pytest.raises(Conflict):
        services.partner_link_end(actor=world.admin, link=link)
    assert PartnerLink.objects.get(pk=link.pk).ended_on == first_end


def test_unit_portal_user_does_not_see_managers_above_its_unit(world):
    from tests.factories import make_user

    plant_user = make_user("portal", account=world.acme_plant)
    ben = selectors.contact_get(user=plant_user, pk=world.acme_buyer.pk)
    assert ben.reports_to is None  # Carla sits at the top, outside the plant
    carla_as_admin = selectors.contact_get(user=world.admin, pk=world.acme_cfo.pk)
    assert [c.pk for c in carla_as_admin.direct_reports.all()] == [world.acme_buyer.pk]
