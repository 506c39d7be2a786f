"""Merging keeps everything, re-points it to the survivor, and can be undone exactly."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.accounts.models import Account, BuyingRole, Contact, ContactIdentity, PartnerLink
from rapport.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from rapport.interactions import services as interaction_services
from rapport.interactions.models import AccountCadence, Interaction, Participant
from rapport.memory import services as memory_services
from rapport.memory.models import Fact, FactSource
from rapport.memory.selectors import attribute_get
from rapport.offers.models import ProductCategory
from rapport.resolution import services
from rapport.resolution.models import DuplicatePair, MergeRecord, PairStatus
from rapport.valuation.models import OrderLine
from tests.factories import make_account, make_contact, make_interaction, make_partner

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[dict]]:
    """Every domain table's rows (audit history and the merge's own records excepted)."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label == "resolution" or model.__name__.startswith("Historical"):
            continue
        if model._meta.app_label in {"sessions", "admin", "django_tasks_database", "axes"}:
            continue
        tables[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return tables


def _fact(actor, key, value, **subject):
    return memory_services.fact_record(
        actor=actor,
        attribute=attribute_get(key=key),
        value=value,
        source=FactSource.USER,
        **subject,
    ).fact


def _order(account, ref):
    category, _ = ProductCategory.objects.get_or_create(name="Sensors")
    return OrderLine.objects.create(
        customer_id=account.customer_pk,
        account=account,
        ordered_on=date(2026, 1, 5),
        product="Probe",
        category=category,
        revenue=Decimal("100.00"),
        external_id=ref,
    )


@pytest.fixture
def twins(world):
    """Two records of one person at Acme, each with a life of their own."""
    keep = world.acme_cfo
    absorbed = make_contact(
        world.admin,
        world.acme_emea,
        first_name="Karla",
        last_name="Finch",
        title="Chief Financial Officer",
        email="carla.finch@acme.example",
        phone="+44 20 7946 0000",
    )
    # the same e-mail on both: the absorbed one's copy was removed, and lives on in history
    removed = account_services.identity_add(
        actor=world.admin, contact=absorbed, kind="email", value="old@acme.example"
    )
    account_services.identity_remove(actor=world.admin, identity=removed)
    account_services.identity_add(
        actor=world.admin, contact=keep, kind="email", value="old@acme.example"
    )
    account_services.buying_role_set(
        actor=world.admin, contact=absorbed, role="decision_maker", influence=4
    )
    account_services.buying_role_set(actor=world.admin, contact=absorbed, role="champion")
    _fact(world.admin, "pref-meeting-format", "video", contact=keep)
    _fact(world.admin, "pref-meeting-format", "in person", contact=absorbed)
    call = make_interaction(world.admin, world.acme_emea, contacts=[absorbed, keep])
    interaction_services.commitment_create(
        actor=world.admin,
        account=world.acme_emea,
        owed_by="customer",
        description="Send the budget",
        owner_contact=absorbed,
        interaction=call,
    )
    memory_services.preference_set(actor=world.admin, contact=absorbed, preferred_channel="call")
    account_services.contact_update(
        actor=world.admin, contact=world.acme_buyer, reports_to=absorbed
    )
    return keep, absorbed


def test_a_contact_merge_repoints_everything_and_undo_restores_every_row(world, twins):
    # Given two records of Carla Finch
    keep, absorbed = twins
    primary = keep.identities.get(kind="email", is_primary=True).value
    before = snapshot()

    # When the rep merges the second into the first
    merge = services.contact_merge(actor=world.rep, keep=keep, absorbed=absorbed)

    # Then everything of hers belongs to the survivor and the duplicate is gone
    assert not Contact.objects.filter(pk=absorbed.pk).exists()
    assert set(ContactIdentity.all_objects.filter(contact=absorbed)) == set()
    emails = ContactIdentity.objects.filter(contact=keep, kind="email")
    assert sorted(emails.values_list("value", "is_primary")) == sorted(
        [("carla.finch@acme.example", False), ("old@acme.example", False), (primary, True)]
    )
    assert sorted(BuyingRole.objects.filter(contact=keep).values_list("role", flat=True)) == [
        "champion",
        "decision_maker",
        "decision_maker",
    ]
    current = Fact.objects.filter(contact=keep, superseded_at__isnull=True)
    assert [f.display for f in current] == ["in person"]
    assert Participant.objects.filter(contact=keep).count() == 2
    assert Contact.objects.get(pk=world.acme_buyer.pk).reports_to_id == keep.pk
    assert keep.communication_preference.preferred_channel == "call"
    assert merge.before["absorbed"]["first_name"] == "Karla"
    assert merge.summary["participants"] == 1

    # When the merge is undone
    services.merge_undo(actor=world.rep, merge=merge)

    # Then every domain row is exactly as it was
    assert snapshot() == before
    merge.refresh_from_db()
    assert merge.undone_by == world.rep


def test_an_account_subtree_merge_into_another_organisation_undoes_exactly(world):
    # Given Globex, recorded twice: the duplicate with a unit, people, history, orders, partners
    admin = world.admin
    dup = make_account(admin, "Globex Corp.", website="https://globex.example", city="Springfield")
    dup_unit = make_account(admin, "Globex Labs", parent=dup)
    dup_site = make_account(admin, "Lab 7", parent=dup_unit, kind="site")
    person = make_contact(admin, dup_site, first_name="Hank", last_name="Scorpio")
    make_contact(admin, dup, first_name="Homer", last_name="Simpson")
    make_interaction(admin, dup_site, contacts=[person], external_id="msg-1@globex")
    make_interaction(admin, world.globex, contacts=[world.globex_cto], external_id="msg-1@globex")
    account_services.buying_role_set(actor=admin, contact=person, role="approver")
    _fact(admin, "con-annual-budget", "100000", account=dup)
    _fact(admin, "con-annual-budget", "250000", account=world.globex)
    _order(dup_site, "ERP-1")
    _order(dup, "ERP-2")
    account_services.partner_link_create(
        actor=admin, partner=world.other_partner, account=dup, role="installer"
    )
    account_services.partner_link_create(
        actor=admin, partner=make_partner(admin, "Eastwind"), account=dup_unit, role="service"
    )
    thread = interaction_services.thread_open(actor=admin, account=dup, title="Renewal")
    interaction_services.commitment_create(
        actor=admin, account=dup_unit, owed_by="us", description="Quote", thread=thread
    )
    now = timezone.now()
    AccountCadence.objects.create(
        customer=dup, model_name="m", model_version="1", computed_at=now, exchanges=3
    )
    AccountCadence.objects.create(
        customer=world.globex, model_name="m", model_version="1", computed_at=now, exchanges=9
    )
    before = snapshot()

    # When the duplicate organisation is merged into Globex Corporation
    merge = services.account_merge(actor=world.manager, keep=world.globex, absorbed=dup)

    # Then its units hang under Globex, and everything underneath belongs to Globex
    labs = Account.objects.get(pk=dup_unit.pk)
    assert labs.path.startswith(world.globex.path)
    assert labs.depth == 2
    assert Account.objects.get(pk=dup_site.pk).customer_id == world.globex.pk
    assert Account.objects.get(pk=dup.pk).deleted_at is not None
    assert Contact.objects.get(pk=person.pk).customer_id == world.globex.pk
    assert ContactIdentity.objects.get(contact=person).customer_id == world.globex.pk
    # the same message imported into both organisations: one is kept, the copy soft-deleted
    copies = Interaction.all_objects.filter(external_id="msg-1@globex")
    assert sorted(c.deleted_at is None for c in copies) == [False, True]
    assert copies.get(deleted_at__isnull=True).account_id == world.globex.pk
    assert Fact.objects.filter(account=world.globex, superseded_at__isnull=True).count() == 1
    assert OrderLine.objects.filter(customer=world.globex).count() == 2
    assert PartnerLink.objects.filter(account=world.globex, role="installer").count() == 1
    assert PartnerLink.objects.get(account=dup_unit).customer_id == world.globex.pk
    assert world.globex.cadence.exchanges == 9
    assert Account.objects.get(pk=world.globex.pk).numchild == 2

    # When it is undone
    services.merge_undo(actor=world.manager, merge=merge)

    # Then the database is exactly as before, tree paths included
    assert snapshot() == before


def test_merging_a_unit_into_another_unit_of_the_same_organisation(world):
    # Given Acme's plant and a duplicate site record under Acme EMEA
    dup = make_account(world.admin, "Hamburg plant", parent=world.acme_emea, kind="site")
    worker = make_contact(world.admin, dup, first_name="Uwe", last_name="Kranz")
    before = snapshot()

    merge = services.account_merge(actor=world.rep, keep=world.acme_plant, absorbed=dup)

    assert Contact.objects.get(pk=worker.pk).account_id == world.acme_plant.pk
    assert Contact.objects.get(pk=worker.pk).customer_id == world.acme.pk
    services.merge_undo(actor=world.rep, merge=merge)
    assert snapshot() == before


def test_field_choices_take_the_newer_value_by_default_and_the_users_choice_wins(world, twins):
    keep, absorbed = twins
    merge = services.contact_merge(
        actor=world.rep, keep=keep, absorbed=absorbed, choices={"first_name": "keep"}
    )
    keep.refresh_from_db()
    assert (keep.first_name, keep.title) == ("Carla", "Chief Financial Officer")
    assert merge.choices["title"] == "absorbed"
    assert merge.before["keep"]["title"] == "CFO"


def test_undo_refuses_when_a_moved_row_changed_since(world, twins):
    keep, absorbed = twins
    merge = services.contact_merge(actor=world.rep, keep=keep, absorbed=absorbed)
    role = BuyingRole.objects.filter(contact=keep, role="champion").get()
    BuyingRole.objects.filter(pk=role.pk).update(contact=world.acme_buyer)
    with pytest.raises(Conflict):
        services.merge_undo(actor=world.rep, merge=merge)
    assert MergeRecord.objects.get(pk=merge.pk).undone_at is None


def test_a_merge_cannot_be_undone_twice(world, twins):
    keep, absorbed = twins
    merge = services.contact_merge(actor=world.rep, keep=keep, absorbed=absorbed)
    services.merge_undo(actor=world.rep, merge=merge)
    with pytest.raises(Conflict):
        services.merge_undo(actor=world.rep, merge=merge)


def test_an_account_cannot_be_merged_into_its_own_unit(world):
    with pytest.raises(InvalidInput) as err:
        services.account_merge(actor=world.admin, keep=world.acme_plant, absorbed=world.acme)
    assert err.value.field == "keep"


@pytest.mark.parametrize("role", ["analyst", "partner_user", "portal_acme"])
def test_only_writers_merge(world, twins, role):
    keep, absorbed = twins
    with pytest.raises(PermissionDenied):
        services.contact_merge(actor=getattr(world, role), keep=keep, absorbed=absorbed)
    assert Contact.objects.filter(pk=absorbed.pk).exists()


def test_accepting_a_pair_merges_it_and_undo_reopens_it(world, twins):
    keep, absorbed = twins
    pair = services.pair_open(
        actor=world.rep, kind="contact", first=keep, second=absorbed, score=0.9
    )
    merge = services.pair_merge(actor=world.rep, pair=pair, keep="left")
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (PairStatus.ACCEPTED, world.rep)
    assert merge.keep_contact_id == min(keep.pk, absorbed.pk)
    services.merge_undo(actor=world.rep, merge=merge)
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.PENDING


def test_merging_a_missing_contact_is_not_found(world, twins):
    keep, _ = twins
    with pytest.raises(NotFound) as err:
        services.contact_merge(actor=world.rep, keep=keep, absorbed=Contact(pk=10**9))
    assert err.value.field == "absorbed"


def test_merge_history_lists_newest_first(world, twins):
    keep, absorbed = twins
    merge = services.contact_merge(actor=world.rep, keep=keep, absorbed=absorbed)
    assert list(MergeRecord.objects.all()) == [merge]
    assert merge.merged_at <= timezone.now() + timedelta(seconds=1)
