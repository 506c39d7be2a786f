"""Quiet intervals: learn each organisation's rhythm, list those gone quiet, most valuable first."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.interactions.cadence import cadence_recompute
from rapport.interactions.models import AccountCadence, Commitment
from rapport.interactions.selectors import quiet_alerts
from tests.factories import build_rhythms, make_account, make_contact, make_interaction, rhythm

pytestmark = pytest.mark.django_db


@pytest.fixture
def rhythms(world):
    return build_rhythms(world)


def test_a_quiet_account_is_found_after_recompute(client, world, rhythms):
    # When the rhythms are recomputed
    run = cadence_recompute()
    # Then Acme (40 days silent, allowed 15) and Initech (25 days) are quiet, Globex is not
    assert (run.organisations, run.quiet) == (3, 2)
    acme = AccountCadence.objects.get(customer=world.acme)
    assert acme.typical_gap_days == pytest.approx(10)
    assert acme.allowed_gap_days == pytest.approx(15)
    assert acme.is_quiet is True
    assert acme.overdue_days == pytest.approx(25, abs=0.01)
    assert acme.model_name == "gap-quantile-credibility"
    assert acme.exchanges == 12
    assert AccountCadence.objects.get(customer=world.globex).is_quiet is False
    # and the "Gone quiet" page lists them
    client.force_login(world.rep)
    response = client.get(reverse("interactions:alerts_quiet"))
    body = response.content.decode()
    assert response.status_code == 200
    assert [a.organisation.name for a in response.context["page"].items] == [
        "Acme Industries",
        "Initech",
    ]
    assert "every ~10 days" in body
    assert "40 days" in body
    assert "Rita Rep" in body
    assert "Pick up where we left off: “Quarterly planning”" in body


def test_the_most_valuable_come_first(world, rhythms):
    # Acme: 13 interactions this year x (1 + 2 buyers) = 39; Initech: 12 x 1 = 12
    cadence_recompute()
    weights = dict(AccountCadence.objects.values_list("customer__name", "value_weight"))
    assert weights["Acme Industries"] == 39.0
    assert weights["Initech"] == 12.0
    # Giving Initech many buyers puts it first
    for _ in range(4):
        contact = make_contact(world.admin, rhythms)
        account_services.buying_role_set(actor=world.admin, contact=contact, role="end_user")
    cadence_recompute()
    page = quiet_alerts(user=world.admin)
    assert [a.organisation.name for a in page.items] == ["Initech", "Acme Industries"]


def test_an_open_promise_is_the_suggested_reason(world, rhythms):
    Commitment.objects.create(
        customer=world.acme,
        account=world.acme,
        owed_by="customer",
        description="Send us the forecast",
    )
    Commitment.objects.create(
        customer=world.acme,
        account=world.acme,
        owed_by="us",
        description="Send the revised quote",
        due_on=timezone.localdate().replace(day=1),
    )
    cadence_recompute()
    due = timezone.localdate().replace(day=1)
    assert AccountCadence.objects.get(customer=world.acme).suggestion == (
        f"Deliver what we promised: “Send the revised quote” (due {due.day} {due:%b})."
    )


def test_the_list_is_keyset_paginated(client, world, rhythms):
    for n in range(3):
        rhythm(world, make_account(world.admin, f"Quiet {n}"), every=5, count=8, last_days_ago=60)
    cadence_recompute()
    first = quiet_alerts(user=world.admin, limit=2)
    second = quiet_alerts(user=world.admin, limit=2, cursor=first.next_cursor)
    third = quiet_alerts(user=world.admin, limit=2, cursor=second.next_cursor)
    names = [a.organisation.name for p in (first, second, third) for a in p.items]
    assert len(names) == len(set(names)) == 5
    assert third.next_cursor is None


def test_the_recompute_button_queues_the_task(client, world, rhythms):
    client.force_login(world.rep)
    response = client.post(reverse("interactions:alerts_quiet_recompute"))
    assert response.status_code == 302
    assert AccountCadence.objects.filter(is_quiet=True).count() == 2
    page = client.get(reverse("interactions:alerts_quiet")).content.decode()
    assert "Rhythms learned" in page


def test_the_command_recomputes(world, rhythms, capsys):
    call_command("recompute_cadence")
    assert "Learned the rhythm of 3 organisations; 2 have gone quiet" in capsys.readouterr().out
    assert AccountCadence.objects.count() == 3


def test_a_recompute_replaces_the_rows(world, rhythms):
    cadence_recompute()
    make_interaction(world.admin, world.acme, channel="call", direction="two_way")
    cadence_recompute()
    acme = AccountCadence.objects.get(customer=world.acme)
    assert acme.is_quiet is False
    assert AccountCadence.objects.count() == 3


def test_the_home_page_uses_the_learned_rhythm(client, world, rhythms):
    # Acme was last heard from 40 days ago: under the old fixed 90 days, not quiet
    client.force_login(world.rep)
    before = client.get(reverse("web:home")).context["gone_quiet"]
    assert [r.account.name for r in before] == []
    cadence_recompute()
    after = client.get(reverse("web:home"))
    assert [r.account.name for r in after.context["gone_quiet"]] == ["Acme Industries"]
    assert reverse("interactions:alerts_quiet") in after.content.decode()


def test_a_partner_user_sees_only_its_accounts(client, world, rhythms):
    cadence_recompute()
    client.force_login(world.partner_user)
    response = client.get(reverse("interactions:alerts_quiet"))
    assert [a.organisation.name for a in response.context["page"].items] == ["Acme Industries"]
    assert "Initech" not in response.content.decode()
    assert client.post(reverse("interactions:alerts_quiet_recompute")).status_code == 404


@pytest.mark.parametrize("who", ["portal_acme", "portal_globex"])
def test_portal_users_get_404(client, world, rhythms, who):
    cadence_recompute()
    client.force_login(getattr(world, who))
    assert client.get(reverse("interactions:alerts_quiet")).status_code == 404
    assert client.post(reverse("interactions:alerts_quiet_recompute")).status_code == 404


def test_an_analyst_reads_but_cannot_recompute(client, world, rhythms):
    client.force_login(world.analyst)
    assert client.get(reverse("interactions:alerts_quiet")).status_code == 200
    assert client.post(reverse("interactions:alerts_quiet_recompute")).status_code == 403
    assert AccountCadence.objects.count() == 0


def test_anonymous_is_sent_to_sign_in(client, world):
    assert client.get(reverse("interactions:alerts_quiet")).status_code == 302


def test_the_page_issues_a_bounded_number_of_queries(
    client, world, rhythms, django_assert_max_num_queries
):
    cadence_recompute()
    client.force_login(world.rep)
    url = reverse("interactions:alerts_quiet")
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for n in range(6):
        other = make_account(world.admin, f"Quiet {n}")
        account_services.account_update(actor=world.admin, account=other, manager=world.manager)
        rhythm(world, other, every=5, count=8, last_days_ago=60)
    cadence_recompute()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].items) == 8


def test_the_recompute_issues_a_bounded_number_of_queries(
    world, rhythms, django_assert_max_num_queries
):
    # the run's bookkeeping, the exchanges, the weights, the suggestions, and up to three
    # for the cadences the treatments agree (handed down by offers)
    with django_assert_max_num_queries(15) as small:
        cadence_recompute()
    for n in range(5):
        rhythm(world, make_account(world.admin, f"More {n}"), every=5, count=8, last_days_ago=60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        cadence_recompute()
