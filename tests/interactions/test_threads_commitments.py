"""Threads and commitments (X2): created while logging, kept up to date, validated by field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.core.errors import Conflict, InvalidInput, PermissionDenied
from rapport.interactions import services
from rapport.interactions.models import Commitment, CommitmentStatus, Interaction, Thread
from rapport.interactions.services import CommitmentSpec
from tests.factories import make_interaction

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def log_call(world, actor=None, **kwargs):
    """A call with Acme's buyer at the plant, logged by the rep unless said otherwise."""
    kwargs.setdefault("contacts", [world.acme_buyer])
    return make_interaction(actor or world.rep, world.acme_plant, **kwargs)


# --- logging with a thread and commitments, in one step ---------------------------------


def test_logging_a_call_starts_a_thread_and_records_its_commitments(world):
    # Given a call on which we promised a quote and the buyer promised the volumes
    promise = CommitmentSpec(
        owed_by="us", description="Send the revised quote", due_on=today() + timedelta(days=1)
    )
    theirs = CommitmentSpec(
        owed_by="customer",
        description="Confirm next year's volumes",
        owner_contact=world.acme_buyer,
    )

    # When the rep logs it with a new thread
    call = log_call(world, new_thread_title="  2027 renewal ", commitments=[promise, theirs])

    # Then the thread exists, the call is its last exchange, and both promises hang off the call
    thread = Thread.objects.get()
    assert (thread.title, thread.status, thread.opened_by) == ("2027 renewal", "open", world.rep)
    assert (thread.customer_id, thread.account_id) == (world.acme.pk, world.acme_plant.pk)
    assert (thread.last_interaction_id, thread.last_interaction_at) == (call.pk, call.occurred_at)
    assert Interaction.objects.get(pk=call.pk).thread_id == thread.pk
    ours, owed_to_us = Commitment.objects.order_by("id")
    assert (ours.owed_by, ours.owner_user, ours.owner_contact) == ("us", world.rep, None)
    assert (ours.description, ours.due_on) == ("Send the revised quote", promise.due_on)
    assert (ours.interaction_id, ours.thread_id, ours.created_by) == (call.pk, thread.pk, world.rep)
    assert (ours.customer_id, ours.account_id, ours.status) == (
        world.acme.pk,
        world.acme_plant.pk,
        "open",
    )
    assert (owed_to_us.owed_by, owed_to_us.owner_user, owed_to_us.owner_contact) == (
        "customer",
        None,
        world.acme_buyer,
    )
    assert ours.history.first().history_user == world.rep


def test_a_later_call_on_the_thread_becomes_its_last_exchange_an_earlier_one_does_not(world):
    # Given a thread started by a call two days ago
    first = log_call(
        world, occurred_at=timezone.now() - timedelta(days=2), new_thread_title="Rollout"
    )
    thread = Thread.objects.get()

    # When a call of today and then one backdated to last week continue it
    latest = log_call(world, thread=thread, occurred_at=timezone.now())
    log_call(world, thread=Thread.objects.get(), occurred_at=timezone.now() - timedelta(days=7))

    # Then today's call is where we left off
    thread.refresh_from_db()
    assert thread.last_interaction_id == latest.pk
    assert thread.interactions.count() == 3
    assert first.pk != latest.pk


def test_correcting_or_deleting_the_last_exchange_moves_the_thread_back(world):
    # Given a thread with two calls
    older = log_call(
        world, occurred_at=timezone.now() - timedelta(days=3), new_thread_title="Audit"
    )
    thread = Thread.objects.get()
    newer = log_call(world, thread=thread, occurred_at=timezone.now() - timedelta(days=1))

    # When the newer call is moved back before the older one
    services.interaction_update(
        actor=world.rep,
        interaction=Interaction.objects.get(pk=newer.pk),
        occurred_at=timezone.now() - timedelta(days=5),
    )
    # Then the older one is the last exchange
    thread.refresh_from_db()
    assert thread.last_interaction_id == older.pk

    # When the older one is deleted, the other is; when both are, the thread has none
    services.interaction_delete(actor=world.rep, interaction=Interaction.objects.get(pk=older.pk))
    thread.refresh_from_db()
    assert thread.last_interaction_id == newer.pk
    services.interaction_delete(actor=world.rep, interaction=Interaction.objects.get(pk=newer.pk))
    thread.refresh_from_db()
    assert (thread.last_interaction_id, thread.last_interaction_at) == (None, None)


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"owed_by": "us", "description": ""}, "commitments.0.description", "Say what is owed."),
        ({"owed_by": "", "description": "Quote"}, "commitments.0.owed_by", "Say who owes it"),
        ({"owed_by": "them", "description": "Quote"}, "commitments.0.owed_by", "Unknown side"),
        (
            {"owed_by": "us", "description": "Quote", "owner_contact": "acme_buyer"},
            "commitments.0.owner_contact",
            "the owner is one of our people",
        ),
        (
            {"owed_by": "us", "description": "Quote", "owner_user": "portal_acme"},
            "commitments.0.owner_user",
            "is not one of our people",
        ),
        (
            {"owed_by": "customer", "description": "Volumes", "owner_user": "rep"},
            "commitments.0.owner_user",
            "the owner is one of their people",
        ),
        (
            {"owed_by": "customer", "description": "Volumes", "owner_contact": "globex_cto"},
            "commitments.0.owner_contact",
            "does not work for",
        ),
        (
            {"owed_by": "partner", "description": "Install", "owner_contact": "acme_buyer"},
            "commitments.0.owner_contact",
            "partner's commitment",
        ),
        (
            {"owed_by": "us", "description": "Quote", "due_on": -1},
            "commitments.0.due_on",
            "before the promise was made",
        ),
        (
            {"owed_by": "us", "description": "Quote", "due_on": 6 * 366},
            "commitments.0.due_on",
            "more than 5 years away",
        ),
    ],
)
def test_a_bad_commitment_names_its_field_and_logs_nothing(world, spec, field, message):
    # Given a commitment that breaks a rule
    for key in ("owner_user", "owner_contact"):
        if key in spec:
            spec[key] = getattr(world, spec[key])
    if "due_on" in spec:
        spec["due_on"] = today() + timedelta(days=spec["due_on"])
    interactions = Interaction.objects.count()

    # When it is logged with a call
    with pytest.raises(InvalidInput) as error:
        log_call(
            world,
            occurred_at=timezone.now(),
            new_thread_title="Renewal",
            commitments=[CommitmentSpec(**spec)],
        )

    # Then the error names the field and nothing was stored
    assert list(error.value.errors) == [field]
    assert message in error.value.message
    assert Interaction.objects.count() == interactions
    assert (Thread.objects.count(), Commitment.objects.count()) == (0, 0)


def test_a_thread_must_be_open_of_the_same_organisation_and_not_doubled(world):
    # Given a closed Acme thread and an open Globex one
    closed = services.thread_open(actor=world.rep, account=world.acme, title="Old topic")
    services.thread_close(actor=world.rep, thread=closed)
    globex = services.thread_open(actor=world.rep, account=world.globex, title="Globex topic")

    # When calls try to continue them, or both continue and start one
    for thread, title, field in (
        (closed, "", "thread"),
        (globex, "", "thread"),
        (
            services.thread_open(actor=world.rep, account=world.acme, title="Open"),
            "New",
            "new_thread_title",
        ),
    ):
        with pytest.raises(InvalidInput) as error:
            log_call(world, thread=thread, new_thread_title=title)
        # Then each is refused on its field
        assert list(error.value.errors) == [field]
    with pytest.raises(InvalidInput) as error:
        services.thread_open(actor=world.rep, account=world.acme, title="  ")
    assert list(error.value.errors) == ["title"]


# --- changing threads and commitments ---------------------------------------------------


def test_closing_and_reopening_a_thread(world):
    thread = services.thread_open(actor=world.rep, account=world.acme_emea, title="Pilot")
    assert (thread.customer_id, thread.status) == (world.acme.pk, "open")

    services.thread_close(actor=world.rep, thread=thread)
    thread.refresh_from_db()
    assert thread.status == "closed"
    assert thread.closed_at is not None
    with pytest.raises(Conflict):
        services.thread_close(actor=world.rep, thread=thread)

    services.thread_reopen(actor=world.manager, thread=thread)
    thread.refresh_from_db()
    assert (thread.status, thread.closed_at) == ("open", None)
    with pytest.raises(Conflict):
        services.thread_reopen(actor=world.rep, thread=thread)


def test_completing_and_cancelling_a_commitment(world):
    # Given two open commitments
    quote = services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Quote"
    )
    visit = services.commitment_create(
        actor=world.rep,
        account=world.acme,
        owed_by="customer",
        description="Site visit",
        owner_contact=world.acme_cfo,
    )
    assert quote.owner_user == world.rep  # ours defaults to whoever recorded it

    # When one is done and the other cancelled
    services.commitment_complete(actor=world.manager, commitment=quote)
    services.commitment_cancel(actor=world.rep, commitment=visit)

    # Then each says so, with who and when; a settled one cannot change again
    quote.refresh_from_db()
    visit.refresh_from_db()
    assert (quote.status, quote.done_by) == (CommitmentStatus.DONE, world.manager)
    assert (visit.status, visit.done_by) == (CommitmentStatus.CANCELLED, world.rep)
    assert quote.done_at is not None
    for change in (services.commitment_complete, services.commitment_cancel):
        with pytest.raises(Conflict):
            change(actor=world.rep, commitment=quote)
    with pytest.raises(Conflict):
        services.commitment_update(actor=world.rep, commitment=quote, description="Other")


def test_updating_a_commitment_checks_its_due_date_and_owner(world):
    commitment = services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Quote"
    )
    services.commitment_update(
        actor=world.rep,
        commitment=commitment,
        due_on=today() + timedelta(days=3),
        owner_user=world.manager,
        description=" Revised quote ",
    )
    commitment.refresh_from_db()
    assert (commitment.due_on, commitment.owner_user, commitment.description) == (
        today() + timedelta(days=3),
        world.manager,
        "Revised quote",
    )
    for changes, field in (
        ({"due_on": today() - timedelta(days=1)}, "due_on"),
        ({"owner_contact": world.acme_cfo}, "owner_contact"),
        ({"owner_user": world.partner_user}, "owner_user"),
        ({"description": ""}, "description"),
        ({"status": "done"}, "status"),
    ):
        with pytest.raises(InvalidInput) as error:
            services.commitment_update(actor=world.rep, commitment=commitment, **changes)
        assert list(error.value.errors) == [field]
    commitment.refresh_from_db()
    assert commitment.owner_user == world.manager


def test_commitments_on_another_organisations_interaction_or_thread_are_refused(world):
    globex_thread = services.thread_open(actor=world.rep, account=world.globex, title="G")
    for kwargs, field in (
        ({"interaction": world.globex_mail}, "interaction"),
        ({"thread": globex_thread}, "thread"),
    ):
        with pytest.raises(InvalidInput) as error:
            services.commitment_create(
                actor=world.rep, account=world.acme, owed_by="us", description="X", **kwargs
            )
        assert list(error.value.errors) == [field]


@pytest.mark.parametrize("who", ["analyst", "partner_user", "portal_acme"])
def test_read_only_users_cannot_change_threads_or_commitments(world, who):
    user = getattr(world, who)
    thread = services.thread_open(actor=world.rep, account=world.acme, title="T")
    commitment = services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="C"
    )
    attempts = [
        lambda: services.thread_open(actor=user, account=world.acme, title="Mine"),
        lambda: services.thread_close(actor=user, thread=thread),
        lambda: services.commitment_create(
            actor=user, account=world.acme, owed_by="us", description="Mine"
        ),
        lambda: services.commitment_complete(actor=user, commitment=commitment),
        lambda: services.commitment_cancel(actor=user, commitment=commitment),
        lambda: services.commitment_update(actor=user, commitment=commitment, description="M"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    commitment.refresh_from_db()
    thread.refresh_from_db()
    assert (thread.status, commitment.status, commitment.description) == ("open", "open", "C")


# --- the logging form -------------------------------------------------------------------


def form_data(world, **overrides):
    data = {
        "account": world.acme_plant.pk,
        "channel": "call",
        "direction": "two_way",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "subject": "Pricing call",
        "contacts": [world.acme_buyer.pk],
        "users": [world.rep.pk],
        "thread": "",
        "new_thread_title": "2027 renewal",
        "commitment_1_owed_by": "us",
        "commitment_1_who": "",
        "commitment_1_what": "Send the revised quote",
        "commitment_1_due": (today() + timedelta(days=1)).isoformat(),
        "commitment_2_owed_by": "customer",
        "commitment_2_who": f"contact:{world.acme_buyer.pk}",
        "commitment_2_what": "Confirm the volumes",
        "commitment_2_due": "",
        "commitment_3_owed_by": "us",
        "commitment_3_who": "",
        "commitment_3_what": "",
        "commitment_3_due": "",
    }
    data.update(overrides)
    return data


def test_the_log_form_offers_open_threads_and_records_commitments(client, world):
    # Given an open Acme thread and a closed one
    open_thread = services.thread_open(actor=world.rep, account=world.acme, title="Rollout")
    closed = services.thread_open(actor=world.rep, account=world.acme, title="Finished")
    services.thread_close(actor=world.rep, thread=closed)
    client.force_login(world.rep)
    url = f"{reverse('interactions:interaction_create')}?account={world.acme_plant.pk}"

    # When the rep opens the form
    page = client.get(url).content.decode()
    # Then the open thread is offered, the closed one not, with three commitment rows
    assert "Threads and commitments" in page
    assert "Rollout · Acme Industries" in page
    assert "Finished" not in page
    assert page.count('name="commitment_') == 12

    # When the rep logs a call with two commitments on a new thread
    response = client.post(url, form_data(world))

    # Then both are stored on the call and the new thread
    assert response.status_code == 302
    call = Interaction.objects.get(subject="Pricing call")
    assert call.thread.title == "2027 renewal"
    rows = list(
        Commitment.objects.order_by("id").values_list(
            "owed_by", "owner_user", "owner_contact", "description", "interaction"
        )
    )
    assert rows == [
        ("us", world.rep.pk, None, "Send the revised quote", call.pk),
        ("customer", None, world.acme_buyer.pk, "Confirm the volumes", call.pk),
    ]
    assert open_thread.pk != call.thread_id


def test_the_log_form_shows_a_bad_commitment_next_to_its_field(client, world):
    client.force_login(world.rep)
    url = f"{reverse('interactions:interaction_create')}?account={world.acme_plant.pk}"
    yesterday = (today() - timedelta(days=1)).isoformat()

    response = client.post(url, form_data(world, commitment_2_due=yesterday))

    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["commitment_2_due"][0]
        .startswith("The due date is before the promise was made")
    )
    assert (
        Interaction.objects.filter(subject="Pricing call").count(),
        Commitment.objects.count(),
    ) == (0, 0)

    response = client.post(url, form_data(world, commitment_1_who=f"contact:{world.acme_buyer.pk}"))
    assert response.status_code == 400
    assert "commitment_1_who" in response.context["form"].errors


def test_logging_from_a_thread_page_preselects_the_thread(client, world):
    thread = services.thread_open(actor=world.rep, account=world.acme, title="Rollout")
    client.force_login(world.rep)

    response = client.get(
        reverse("interactions:interaction_create"), {"account": world.acme.pk, "thread": thread.pk}
    )

    assert response.context["form"]["thread"].value() == str(thread.pk)
    assert f'<option value="{thread.pk}" selected>' in response.content.decode()
