"""Where we left off (X2): the card of the account and contact pages, the department view,
my commitments, thread pages; scoped by core.access and bounded in queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.core.errors import InvalidInput
from rapport.interactions import selectors, services
from rapport.interactions.models import Commitment
from rapport.interactions.services import CommitmentSpec
from tests.factories import make_contact, make_interaction

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def quote_call(world, *, days_ago=0, due_in=1, account=None, contacts=None, **kwargs):
    """A call on which we promised the revised quote."""
    return make_interaction(
        world.rep,
        account or world.acme_plant,
        contacts=[world.acme_buyer] if contacts is None else contacts,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        commitments=[
            CommitmentSpec(
                owed_by="us",
                description="Send the revised quote",
                due_on=today() - timedelta(days=days_ago) + timedelta(days=due_in),
            )
        ],
        **kwargs,
    )


def descriptions(commitments):
    return [c.description for c in commitments]


# --- the selector -----------------------------------------------------------------------


def test_the_commitment_made_on_a_call_is_where_we_left_off_with_account_and_contact(world):
    # Given a call with the buyer on a new thread, with our promise and theirs
    call = quote_call(world, new_thread_title="2027 renewal")
    make_interaction(
        world.rep,
        world.acme_plant,
        contacts=[world.acme_buyer],
        thread=call.thread,
        subject="Volumes",
        commitments=[
            CommitmentSpec(
                owed_by="customer", description="Confirm volumes", owner_contact=world.acme_buyer
            )
        ],
    )

    # When we look at the organisation and at the buyer
    for left_off in (
        selectors.where_we_left_off(user=world.rep, account=world.acme),
        selectors.where_we_left_off(user=world.rep, contact=world.acme_buyer),
    ):
        # Then both show the open thread with its last exchange and both promises
        assert [t.title for t in left_off.threads] == ["2027 renewal"]
        assert left_off.threads[0].last_interaction.subject in {"Volumes", call.subject}
        assert descriptions(left_off.ours) == ["Send the revised quote"]
        assert descriptions(left_off.theirs) == ["Confirm volumes"]
        assert (left_off.open_threads, left_off.open_ours, left_off.open_theirs) == (1, 1, 1)
        assert (left_off.overdue_count, left_off.overdue) == (0, [])


def test_overdue_commitments_are_counted_and_listed_first(world):
    # Given a promise due two days ago and one due tomorrow
    quote_call(world, days_ago=5, due_in=3)
    quote_call(world, days_ago=0, due_in=1)

    left_off = selectors.where_we_left_off(user=world.rep, account=world.acme)

    assert [c.due_on for c in left_off.ours] == [
        today() - timedelta(days=2),
        today() + timedelta(days=1),
    ]
    assert left_off.overdue_count == 1
    assert [c.due_on for c in left_off.overdue] == [today() - timedelta(days=2)]
    assert [c.is_overdue for c in left_off.ours] == [True, False]


def test_completing_a_commitment_or_closing_a_thread_takes_it_off(world):
    call = quote_call(world, new_thread_title="Quote")
    commitment = Commitment.objects.get()

    services.commitment_complete(actor=world.rep, commitment=commitment)
    services.thread_close(actor=world.rep, thread=call.thread)

    left_off = selectors.where_we_left_off(user=world.rep, account=world.acme)
    assert (left_off.ours, left_off.threads, left_off.open_ours, left_off.open_threads) == (
        [],
        [],
        0,
        0,
    )


def test_an_organisation_rolls_its_units_up_a_unit_shows_its_own_subtree(world):
    # Given a promise at the plant (under EMEA) and one at the head office
    quote_call(world)
    services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Board pack"
    )

    def ours(account):
        return descriptions(selectors.where_we_left_off(user=world.rep, account=account).ours)

    # Then the organisation sees both, EMEA and the plant only the plant's, Globex nothing
    assert sorted(ours(world.acme)) == ["Board pack", "Send the revised quote"]
    assert ours(world.acme_emea) == ["Send the revised quote"]
    assert ours(world.acme_plant) == ["Send the revised quote"]
    assert ours(world.globex) == []
    unit_view = selectors.where_we_left_off(
        user=world.rep, account=world.acme, unit=world.acme_emea
    )
    assert descriptions(unit_view.ours) == ["Send the revised quote"]


def test_a_contact_sees_the_last_thing_they_told_us_and_what_they_owe(world):
    # Given the CFO wrote to us last week, we called her yesterday, and she owes us a signature
    make_interaction(
        world.rep,
        world.acme,
        contacts=[world.acme_cfo],
        direction="inbound",
        channel="email",
        subject="Budget approved",
        summary="The budget for next year is approved.",
        occurred_at=timezone.now() - timedelta(days=7),
    )
    make_interaction(
        world.rep,
        world.acme,
        contacts=[world.acme_cfo],
        direction="outbound",
        subject="Follow-up call",
        occurred_at=timezone.now() - timedelta(days=1),
    )
    services.commitment_create(
        actor=world.rep,
        account=world.acme,
        owed_by="customer",
        description="Sign the order",
        owner_contact=world.acme_cfo,
    )

    cfo = selectors.where_we_left_off(user=world.rep, contact=world.acme_cfo)
    buyer = selectors.where_we_left_off(user=world.rep, contact=world.acme_buyer)

    assert cfo.last_told.subject == "Budget approved"
    assert descriptions(cfo.theirs) == ["Sign the order"]
    assert (buyer.last_told, buyer.theirs) == (None, [])


def test_a_portal_user_of_another_organisation_sees_nothing_a_partner_user_only_acme(world):
    quote_call(world)
    services.commitment_create(
        actor=world.rep, account=world.globex, owed_by="us", description="Globex report"
    )

    assert (
        descriptions(selectors.where_we_left_off(user=world.portal_globex, account=world.acme).ours)
        == []
    )
    assert descriptions(
        selectors.where_we_left_off(user=world.partner_user, account=world.acme).ours
    ) == ["Send the revised quote"]
    assert selectors.where_we_left_off(user=world.partner_user, account=world.globex).ours == []
    assert descriptions(selectors.my_commitments(user=world.rep)) == [
        "Send the revised quote",
        "Globex report",
    ]


def test_the_selector_needs_a_subject(world):
    with pytest.raises(InvalidInput):
        selectors.where_we_left_off(user=world.rep)


# --- pages --------------------------------------------------------------------------------


def test_the_account_and_contact_pages_open_with_where_we_left_off(client, world):
    quote_call(world, new_thread_title="2027 renewal")
    client.force_login(world.rep)

    for url in (
        reverse("accounts:account_detail", args=[world.acme.pk]),
        reverse("accounts:contact_detail", args=[world.acme_buyer.pk]),
    ):
        page = client.get(url).content.decode()
        card = page.index("Where we left off")
        assert card < page.index("Send the revised quote")
        assert "2027 renewal" in page
        assert (
            reverse("interactions:commitment_complete", args=[Commitment.objects.get().pk]) in page
        )
    account_page = client.get(
        reverse("accounts:account_detail", args=[world.acme.pk])
    ).content.decode()
    assert reverse("interactions:account_left_off", args=[world.acme.pk]) in account_page
    assert account_page.index("Where we left off") < account_page.index("Buying centre")


def test_completing_from_the_card_with_htmx_answers_with_the_row(client, world):
    quote_call(world)
    commitment = Commitment.objects.get()
    client.force_login(world.rep)

    response = client.post(
        reverse("interactions:commitment_complete", args=[commitment.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert f'id="commitment-{commitment.pk}"' in response.content.decode()
    assert "done" in response.content.decode()
    commitment.refresh_from_db()
    assert (commitment.status, commitment.done_by) == ("done", world.rep)


def test_completing_without_htmx_returns_to_the_page(client, world):
    quote_call(world)
    commitment = Commitment.objects.get()
    client.force_login(world.rep)
    back = reverse("accounts:account_detail", args=[world.acme.pk])

    response = client.post(
        reverse("interactions:commitment_cancel", args=[commitment.pk]), {"next": back}
    )

    assert (response.status_code, response["Location"]) == (302, back)
    commitment.refresh_from_db()
    assert commitment.status == "cancelled"


@pytest.mark.parametrize(
    ("who", "status"), [("portal_globex", 404), ("analyst", 403), ("partner_user", 403)]
)
def test_others_cannot_complete_or_close(client, world, who, status):
    call = quote_call(world, new_thread_title="T")
    commitment = Commitment.objects.get()
    client.force_login(getattr(world, who))

    for url in (
        reverse("interactions:commitment_complete", args=[commitment.pk]),
        reverse("interactions:commitment_cancel", args=[commitment.pk]),
        reverse("interactions:thread_close", args=[call.thread_id]),
    ):
        assert client.post(url).status_code == status
    commitment.refresh_from_db()
    call.thread.refresh_from_db()
    assert (commitment.status, call.thread.status) == ("open", "open")


def test_the_portal_user_of_another_organisation_cannot_see_threads_or_the_department_view(
    client, world
):
    call = quote_call(world, new_thread_title="T")
    client.force_login(world.portal_globex)

    assert (
        client.get(reverse("interactions:thread_detail", args=[call.thread_id])).status_code == 404
    )
    assert (
        client.get(reverse("interactions:account_left_off", args=[world.acme.pk])).status_code
        == 404
    )


def test_closing_a_thread_from_the_card(client, world):
    call = quote_call(world, new_thread_title="Renewal")
    client.force_login(world.rep)

    response = client.post(
        reverse("interactions:thread_close", args=[call.thread_id]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Closed" in response.content.decode()
    call.thread.refresh_from_db()
    assert call.thread.status == "closed"


def test_the_department_view_has_one_section_per_busy_unit(client, world):
    quote_call(world)
    services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Board pack"
    )
    services.thread_open(actor=world.rep, account=world.acme_emea, title="EMEA rollout")
    client.force_login(world.rep)

    response = client.get(reverse("interactions:account_left_off", args=[world.acme.pk]))

    by_unit = response.context["by_unit"]
    assert [s.unit.name for s in by_unit.sections] == [
        "Acme Industries",
        "Acme EMEA",
        "Plant Hamburg",
    ]
    assert [(descriptions(s.ours), [t.title for t in s.threads]) for s in by_unit.sections] == [
        (["Board pack"], []),
        ([], ["EMEA rollout"]),
        (["Send the revised quote"], []),
    ]
    assert (by_unit.quiet_units, by_unit.truncated) == (0, False)


def test_my_commitments_lists_what_i_owe_overdue_first(client, world):
    quote_call(world, days_ago=0, due_in=4)
    quote_call(world, days_ago=4, due_in=2)
    services.commitment_create(
        actor=world.manager, account=world.acme, owed_by="us", description="Not mine"
    )
    client.force_login(world.rep)

    response = client.get(reverse("interactions:commitment_mine"))

    assert [c.due_on for c in response.context["commitments"]] == [
        today() - timedelta(days=2),
        today() + timedelta(days=4),
    ]
    assert response.context["overdue"] == 1
    assert "My commitments" in response.content.decode()


def test_the_thread_page_shows_its_exchanges_and_commitments(client, world):
    call = quote_call(world, new_thread_title="Renewal")
    make_interaction(world.rep, world.acme_plant, thread=call.thread, subject="Second call")
    client.force_login(world.analyst)

    response = client.get(reverse("interactions:thread_detail", args=[call.thread_id]))

    assert response.status_code == 200
    assert [i.subject for i in response.context["interactions"]] == [
        "Second call",
        call.subject,
    ] or [i.subject for i in response.context["interactions"]] == [call.subject, "Second call"]
    assert descriptions(response.context["commitments"]) == ["Send the revised quote"]


# --- bounded queries at two sizes ---------------------------------------------------------


def grow(world, n):
    """n more calls, each on its own thread with a promise each way, at the plant."""
    for i in range(n):
        buyer = make_contact(world.admin, world.acme_plant, first_name=f"P{i}", last_name="Grow")
        make_interaction(
            world.rep,
            world.acme_plant if i % 2 else world.acme_emea,
            contacts=[buyer, world.acme_buyer],
            direction="two_way",
            new_thread_title=f"Topic {i}",
            commitments=[
                CommitmentSpec(owed_by="us", description=f"Ours {i}", due_on=today()),
                CommitmentSpec(owed_by="customer", description=f"Theirs {i}", owner_contact=buyer),
            ],
        )


def count_queries(action):
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_where_we_left_off_is_four_queries_whatever_the_size(world):
    small = [
        count_queries(lambda: selectors.where_we_left_off(user=world.rep, account=world.acme)),
        count_queries(
            lambda: selectors.where_we_left_off(user=world.rep, contact=world.acme_buyer)
        ),
    ]
    grow(world, 14)
    # The partner's accounts are looked up once per request (core.access caches them).
    selectors.where_we_left_off(user=world.partner_user, account=world.acme_emea)
    large = [
        count_queries(lambda: selectors.where_we_left_off(user=world.rep, account=world.acme)),
        count_queries(
            lambda: selectors.where_we_left_off(user=world.rep, contact=world.acme_buyer)
        ),
        count_queries(
            lambda: selectors.where_we_left_off(user=world.partner_user, account=world.acme_emea)
        ),
    ]
    # threads with their count, their last exchanges' people (when any thread is open),
    # both sides' commitments with their counts, the last thing told
    assert max(small) <= 4
    assert large == [4, 4, 4]
    left_off = selectors.where_we_left_off(user=world.rep, account=world.acme)
    assert (len(left_off.threads), left_off.open_threads) == (8, 14)
    assert (len(left_off.ours), left_off.open_ours, left_off.open_theirs) == (10, 14, 14)


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("interactions:account_left_off", args=[w.acme.pk]),
        lambda w: reverse("interactions:commitment_mine"),
        lambda w: reverse("interactions:thread_detail", args=[w.thread.pk]),
    ],
    ids=["department view", "my commitments", "thread page"],
)
def test_pages_issue_a_bounded_number_of_queries(client, world, django_assert_max_num_queries, url):
    world.thread = quote_call(world, new_thread_title="Renewal").thread
    client.force_login(world.rep)
    with django_assert_max_num_queries(10):
        assert client.get(url(world)).status_code == 200
    grow(world, 12)
    for _ in range(5):
        make_interaction(
            world.rep, world.acme_plant, thread=world.thread, contacts=[world.acme_buyer]
        )
    with django_assert_max_num_queries(10):
        assert client.get(url(world)).status_code == 200


# --- the demo and benchmark data ----------------------------------------------------------


def test_the_demo_data_has_open_threads_and_commitments_where_we_left_off():
    from rapport.core.models import User
    from rapport.demo import generator
    from rapport.interactions.models import Interaction, Thread

    counts = generator.generate(size="small", seed=3, flush=True)

    assert counts["threads"] == Thread.objects.count() > 0
    assert counts["commitments"] == Commitment.objects.count() > counts["threads"]
    thread = Thread.objects.filter(status="open").order_by("id").first()
    latest = Interaction.objects.filter(thread=thread).order_by("-occurred_at", "-id").first()
    assert (thread.last_interaction_id, thread.last_interaction_at) == (
        latest.pk,
        latest.occurred_at,
    )
    assert set(Commitment.objects.values_list("status", flat=True)) == {"open", "done", "cancelled"}
    assert (
        not Commitment.objects.exclude(customer_id=thread.customer_id)
        .filter(thread=thread)
        .exists()
    )
    demo_user = User.objects.get(email="demo@rapport.example")
    left_off = selectors.where_we_left_off(user=demo_user, account=thread.customer)
    assert left_off.threads
    assert left_off.ours or left_off.theirs
