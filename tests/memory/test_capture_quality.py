"""Capture quality (X9): per employee and period, on a small hand-built data set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import Role
from rapport.interactions import services
from rapport.interactions.models import Commitment
from rapport.memory import scorecards
from rapport.memory.models import Asking, Attribute, Fact
from tests.factories import make_interaction, make_user

pytestmark = pytest.mark.django_db

DAYS = 30


def today():
    return timezone.localdate()


def days_ago(n: int):
    return timezone.now() - timedelta(days=n)


@pytest.fixture
def scored(world):
    """The rep and the manager's last 30 days, with things just outside it."""
    rep, manager = world.rep, world.manager
    # Interactions: the rep logged four in the period (two with an outcome, three with a
    # next step), one before it and one deleted; the manager one without either.
    for outcome, next_step in (
        ("positive", "Send quote"),
        ("", "Call back"),
        ("negative", "Visit"),
        ("", ""),
    ):
        make_interaction(
            rep, world.acme, outcome=outcome, next_step=next_step, occurred_at=days_ago(3)
        )
    make_interaction(rep, world.acme, outcome="positive", occurred_at=days_ago(DAYS + 5))
    deleted = make_interaction(rep, world.acme, outcome="positive", occurred_at=days_ago(1))
    services.interaction_delete(actor=rep, interaction=deleted)
    make_interaction(manager, world.globex, occurred_at=days_ago(10))

    # Facts: the rep taught three in the period and one before it; the manager one.
    attribute = Attribute.objects.create(
        key="leftoff-budget",
        label="Budget",
        kind="need",
        value_type="text",
        level="organisation",
        question="What is the budget?",
    )

    def fact(user, when):
        return Fact.objects.create(
            customer=world.acme,
            account=world.acme,
            attribute=attribute,
            value="x",
            display="x",
            source="user",
            recorded_by=user,
            recorded_at=when,
            superseded_at=when,
        )

    for when in (days_ago(1), days_ago(2), days_ago(20), days_ago(DAYS + 1)):
        fact(rep, when)
    fact(manager, days_ago(5))

    # Askings: the rep re-asked twice in the period, asked once afresh, re-asked once before.
    for is_reask, when in (
        (True, days_ago(1)),
        (True, days_ago(9)),
        (False, days_ago(2)),
        (True, days_ago(DAYS + 3)),
    ):
        Asking.objects.create(
            customer=world.acme,
            account=world.acme,
            attribute=attribute,
            asked_by=rep,
            asked_at=when,
            is_reask=is_reask,
        )

    # Commitments of the rep falling due in the period: one kept, one done late, one still
    # open; one cancelled, one due after the period and one owed by the customer don't count.
    def commitment(owed_by="us", **stored):
        made = services.commitment_create(
            actor=rep,
            account=world.acme,
            owed_by=owed_by,
            description="c",
            owner_contact=world.acme_cfo if owed_by == "customer" else None,
        )
        Commitment.objects.filter(pk=made.pk).update(**stored)

    commitment(due_on=today() - timedelta(days=4), status="done", done_at=days_ago(6))
    commitment(due_on=today() - timedelta(days=10), status="done", done_at=days_ago(2))
    commitment(due_on=today() - timedelta(days=1))
    commitment(due_on=today() - timedelta(days=5), status="cancelled", done_at=days_ago(7))
    commitment(due_on=today() + timedelta(days=3))
    commitment(owed_by="customer", due_on=today() - timedelta(days=2))
    return world


def rows_by_name(rows):
    return {row.user.full_name: row for row in rows}


def test_capture_quality_counts_each_employee_exactly(scored):
    rows = rows_by_name(
        scorecards.capture_quality(
            user=scored.manager, since=today() - timedelta(days=DAYS - 1), until=today()
        )
    )

    rep, manager = rows["Rita Rep"], rows["Max Manager"]
    assert (rep.interactions, rep.with_outcome, rep.with_next_step) == (4, 2, 3)
    assert (rep.outcome_share, rep.next_step_share) == (0.5, 0.75)
    assert (rep.facts_taught, rep.reasks) == (3, 2)
    assert (rep.commitments_due, rep.commitments_kept, rep.kept_share) == (3, 1, 1 / 3)
    assert (manager.interactions, manager.with_outcome, manager.with_next_step) == (1, 0, 0)
    assert (manager.facts_taught, manager.reasks, manager.commitments_due) == (1, 0, 0)
    assert (manager.kept_share, rows["Ann Analyst"].outcome_share) == (None, None)
    assert set(rows) >= {"Ada Admin", "Rita Rep", "Max Manager", "Ann Analyst"}
    assert not {"Paul Partner", "Polly Portal", "Gus Globex"} & set(rows)


def test_a_shorter_period_counts_less(scored):
    rows = rows_by_name(
        scorecards.capture_quality(
            user=scored.rep, since=today() - timedelta(days=1), until=today()
        )
    )
    rep = rows["Rita Rep"]
    assert (rep.interactions, rep.facts_taught, rep.reasks, rep.commitments_due) == (0, 1, 1, 1)


def test_capture_quality_is_for_staff_only_and_checks_the_period(world):
    for user in (world.portal_acme, world.partner_user):
        with pytest.raises(NotFound):
            scorecards.capture_quality(user=user, since=today(), until=today())
    with pytest.raises(InvalidInput) as error:
        scorecards.capture_quality(user=world.rep, since=today(), until=today() - timedelta(days=1))
    assert list(error.value.errors) == ["since"]


def test_capture_quality_is_five_queries_whatever_the_number_of_people(scored):
    def count():
        with CaptureQueriesContext(connection) as queries:
            scorecards.capture_quality(
                user=scored.rep, since=today() - timedelta(days=29), until=today()
            )
        return len(queries)

    small = count()
    for i in range(6):
        user = make_user(Role.REP, full_name=f"Extra {i}")
        make_interaction(user, scored.acme, outcome="positive")
    assert small == count() == 5


# --- the scorecard page -------------------------------------------------------------------


def test_the_scorecard_page_highlights_me_and_sorts_by_column(client, scored):
    client.force_login(scored.rep)

    response = client.get(
        reverse("interactions:scorecard_capture"), {"period": "30", "sort": "-facts"}
    )

    assert response.status_code == 200
    names = [row.user.full_name for row in response.context["rows"]]
    assert names[:2] == ["Rita Rep", "Max Manager"]
    page = response.content.decode()
    assert 'class="is-me" aria-current="true"' in page
    assert "1/3" in page

    response = client.get(reverse("interactions:scorecard_capture"), {"sort": "name"})
    names = [row.user.full_name for row in response.context["rows"]]
    assert names == sorted(names, key=str.lower)


def test_the_scorecard_takes_a_custom_period_and_refuses_a_bad_one(client, scored):
    client.force_login(scored.manager)
    url = reverse("interactions:scorecard_capture")
    since = (today() - timedelta(days=1)).isoformat()

    response = client.get(url, {"period": "custom", "since": since, "until": today().isoformat()})
    assert response.status_code == 200
    assert rows_by_name(response.context["rows"])["Rita Rep"].facts_taught == 1

    response = client.get(url, {"period": "custom", "since": today().isoformat(), "until": since})
    assert response.status_code == 400
    assert "since" in response.context["form"].errors
    assert client.get(url, {"period": "custom"}).status_code == 400


@pytest.mark.parametrize("who", ["portal_acme", "partner_user"])
def test_the_scorecard_page_is_not_found_for_outside_users(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("interactions:scorecard_capture")).status_code == 404
