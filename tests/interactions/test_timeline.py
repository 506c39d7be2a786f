"""The one timeline: logging, roll-ups, filters and keyset pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core.errors import InvalidInput, PermissionDenied
from rapport.interactions import selectors, services
from rapport.interactions.models import Interaction
from tests.factories import make_interaction

pytestmark = pytest.mark.django_db


def test_logging_updates_roll_ups_and_engagement(world):
    when = timezone.now()
    services.interaction_log(
        actor=world.rep,
        account=world.acme_plant,
        channel="meeting",
        direction="two_way",
        subject="Plant walk",
        contacts=[world.acme_buyer, world.acme_cfo],
        occurred_at=when,
    )
    plant = Account.objects.get(pk=world.acme_plant.pk)
    assert plant.interaction_count == 2
    assert plant.last_interaction_at == when
    assert Contact.objects.get(pk=world.acme_cfo.pk).last_engaged_at == when
    assert world.acme_cfo.buying_roles.get().last_engaged_at == when
    interaction = Interaction.objects.get(subject="Plant walk")
    assert {p.customer_id for p in interaction.participants.all()} == {world.acme.pk}
    sides = sorted((p.side, p.contact_id or p.user_id) for p in interaction.participants.all())
    assert sides == sorted(
        [("customer", world.acme_buyer.pk), ("customer", world.acme_cfo.pk), ("us", world.rep.pk)]
    )


def test_participants_must_belong_to_the_organisation(world):
    before = Interaction.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.interaction_log(
            actor=world.rep,
            account=world.acme,
            channel="call",
            direction="outbound",
            subject="Wrong people",
            contacts=[world.globex_cto],
        )
    assert error.value.field == "contacts"
    assert Interaction.objects.count() == before


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("channel", {"channel": "fax"}),
        ("direction", {"direction": "sideways"}),
        ("outcome", {"outcome": "great"}),
        ("subject", {"subject": ""}),
        ("occurred_at", {"occurred_at": timezone.now().replace(tzinfo=None)}),
    ],
)
def test_bad_interactions_name_the_field(world, field, kwargs):
    values = {"channel": "call", "direction": "outbound", "subject": "ok"} | kwargs
    with pytest.raises(InvalidInput) as error:
        services.interaction_log(actor=world.rep, account=world.acme, **values)
    assert field in error.value.errors


def test_read_only_roles_cannot_log(world):
    for user in (world.analyst, world.partner_user, world.portal_acme):
        with pytest.raises(PermissionDenied):
            make_interaction(user, world.acme)


def test_account_timeline_rolls_up_the_tree_and_unit_timeline_does_not(world):
    top = make_interaction(world.admin, world.acme, subject="Top-level call")
    rolled = selectors.timeline(user=world.admin, account=world.acme)
    assert {i.subject for i in rolled.items} == {"Acme site survey", "Top-level call"}
    own = selectors.timeline(user=world.admin, account=world.acme, subtree=False)
    assert [i.pk for i in own.items] == [top.pk]
    emea = selectors.timeline(user=world.admin, account=world.acme_emea)
    assert [i.subject for i in emea.items] == ["Acme site survey"]


def test_contact_timeline_follows_the_person(world):
    page = selectors.timeline(user=world.admin, contact=world.acme_buyer)
    assert [i.subject for i in page.items] == ["Acme site survey"]


def test_filters_by_channel_person_unit_and_date(world):
    now = timezone.now()
    make_interaction(
        world.admin,
        world.acme,
        channel="email",
        subject="Old mail",
        occurred_at=now - timedelta(days=40),
    )
    make_interaction(
        world.admin, world.acme_emea, channel="email", subject="New mail", contacts=[world.acme_cfo]
    )
    emails = selectors.timeline(user=world.admin, account=world.acme, channels=["email"])
    assert [i.subject for i in emails.items] == ["New mail", "Old mail"]
    recent = selectors.timeline(
        user=world.admin, account=world.acme, since=(now - timedelta(days=7)).date()
    )
    assert "Old mail" not in {i.subject for i in recent.items}
    by_person = selectors.timeline(user=world.admin, account=world.acme, person=world.acme_cfo)
    assert [i.subject for i in by_person.items] == ["New mail"]
    by_unit = selectors.timeline(user=world.admin, account=world.acme, unit=world.acme_plant)
    assert [i.subject for i in by_unit.items] == ["Acme site survey"]
    with pytest.raises(InvalidInput):
        selectors.timeline(user=world.admin, channels=["pigeon"])


def test_keyset_pages_cover_everything_once_even_with_equal_times(world):
    same_time = timezone.now() - timedelta(days=1)
    created = {
        make_interaction(world.admin, world.globex, occurred_at=same_time).pk for _ in range(12)
    }
    created |= {make_interaction(world.admin, world.globex).pk for _ in range(13)}
    seen: list[int] = []
    cursor = None
    while True:
        page = selectors.timeline(user=world.admin, account=world.globex, cursor=cursor, limit=7)
        seen += [i.pk for i in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert created | {world.globex_mail.pk} == set(seen)


def test_bad_cursor_is_bad_input(world):
    for cursor in ("garbage", "W10", "WyJ4IiwgMV0"):
        with pytest.raises(InvalidInput) as error:
            selectors.timeline(user=world.admin, cursor=cursor)
        assert error.value.field == "cursor"


def test_delete_takes_it_out_of_the_roll_ups(world):
    services.interaction_delete(actor=world.admin, interaction=world.acme_call)
    assert Account.objects.get(pk=world.acme_plant.pk).interaction_count == 0
    assert Contact.objects.get(pk=world.acme_buyer.pk).last_engaged_at is None
    assert selectors.timeline(user=world.admin, account=world.acme).items == []


def test_update_keeps_history(world):
    services.interaction_update(
        actor=world.rep, interaction=world.acme_call, subject="Acme site survey (done)"
    )
    assert world.acme_call.history.count() == 2
    assert world.acme_call.history.first().history_user == world.rep


def test_timeline_queries_are_bounded(world, django_assert_max_num_queries):
    for _ in range(30):
        make_interaction(world.admin, world.acme, contacts=[world.acme_cfo, world.acme_buyer])
    with django_assert_max_num_queries(3):
        page = selectors.timeline(user=world.admin, account=world.acme, limit=25)
        for item in page.items:
            _ = [(p.contact, p.user) for p in item.participants.all()]
            _ = (item.account.name, item.partner, item.logged_by)
