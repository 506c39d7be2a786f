"""Pages of the learning memory, as people use them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.memory import services
from rapport.memory.models import Asking, Fact, FactSource
from rapport.memory.selectors import attribute_get

pytestmark = pytest.mark.django_db


def _teach(world, key, value, **subject):
    return services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key=key),
        value=value,
        source=FactSource.USER,
        **subject,
    ).fact


def test_profile_pages_show_facts_inherited_values_and_what_to_ask(client, world):
    _teach(world, "con-payment-terms", "60 days", account=world.acme)
    _teach(
        world, "pref-meeting-format", "video", contact=world.acme_buyer, said_by=world.acme_buyer
    )
    client.force_login(world.rep)

    page = client.get(
        reverse("memory:contact_profile", args=[world.acme_buyer.pk])
    ).content.decode()

    assert "What we know about Ben Buyer" in page
    assert "60 days" in page
    assert "from Acme Industries" in page
    assert "video" in page
    assert "told by" in page
    assert "Ask next" in page
    account_page = client.get(
        reverse("memory:account_profile", args=[world.acme.pk])
    ).content.decode()
    assert "60 days" in account_page


def test_account_and_contact_pages_carry_the_what_we_know_card(client, world):
    _teach(world, "spec-seats", 120, account=world.acme)
    client.force_login(world.rep)
    card_url = reverse("memory:account_what_we_know", args=[world.acme.pk])
    account_page = client.get(
        reverse("accounts:account_detail", args=[world.acme.pk])
    ).content.decode()
    # The page shows the card's place; htmx fills it after first paint (issue 12).
    assert "What we know" in account_page
    assert f'hx-get="{card_url}"' in account_page
    card = client.get(card_url).content.decode()
    assert "120 users" in card
    assert "Worth asking next" in card
    card_url = reverse("memory:contact_what_we_know", args=[world.acme_cfo.pk])
    contact_page = client.get(
        reverse("accounts:contact_detail", args=[world.acme_cfo.pk])
    ).content.decode()
    assert f'hx-get="{card_url}"' in contact_page
    assert "120 users" in client.get(card_url).content.decode()


def test_the_what_we_know_card_is_the_profile_s_and_nobody_else_s(client, world):
    _teach(world, "spec-seats", 120, account=world.acme)
    client.force_login(world.portal_globex)
    for url in (
        reverse("memory:account_what_we_know", args=[world.acme.pk]),
        reverse("memory:contact_what_we_know", args=[world.acme_cfo.pk]),
    ):
        assert client.get(url).status_code == 404


def test_recording_a_fact_on_the_web(client, world):
    client.force_login(world.rep)
    url = (
        f"{reverse('memory:fact_record')}?account={world.acme_plant.pk}&attribute=need-integration"
    )
    assert client.get(url).status_code == 200

    response = client.post(url, {"value": ["SAP", "Workday"], "source": "user", "confidence": "70"})

    assert response.status_code == 302
    fact = Fact.objects.get()
    assert (fact.display, fact.confidence, fact.account) == ("SAP, Workday", 70, world.acme_plant)
    bad = client.post(url, {"value": [], "source": "user"})
    assert bad.status_code == 400
    assert "This field is required" in bad.content.decode()


def test_the_ask_page_shows_the_known_answer_and_a_reask_needs_a_reason(client, world):
    _teach(
        world, "pref-meeting-format", "video", contact=world.acme_buyer, said_by=world.acme_buyer
    )
    client.force_login(world.manager)
    url = f"{reverse('memory:question_ask')}?contact={world.acme_buyer.pk}&attribute=pref-meeting-format"

    page = client.get(url).content.decode()
    assert "We already know this" in page
    assert "video" in page

    refused = client.post(url, {"channel": "call", "answer": ""})
    assert refused.status_code == 400
    assert Asking.objects.count() == 0

    confirmed = client.post(
        url, {"channel": "call", "reason": "Confirm for the visit", "answer": "video"}
    )
    assert confirmed.status_code == 302
    asking = Asking.objects.get()
    assert asking.is_reask
    assert asking.reask_reason == "Confirm for the visit"
    reasks = client.get(reverse("memory:reask_list")).content.decode()
    assert "Confirm for the visit" in reasks
    assert "Max Manager" in reasks


def test_logging_a_call_records_what_we_learned_in_one_step(client, world):
    client.force_login(world.rep)
    url = f"{reverse('interactions:interaction_create')}?account={world.acme_plant.pk}"
    form = client.get(url).content.decode()
    assert "What we learned" in form

    response = client.post(
        url,
        {
            "account": world.acme_plant.pk,
            "channel": "call",
            "direction": "two_way",
            "occurred_at": "2026-11-30T10:00",
            "subject": "Call about the rollout",
            "contacts": [world.acme_buyer.pk],
            "users": [world.rep.pk],
            "learned_1_about": f"contact:{world.acme_buyer.pk}",
            "learned_1_attribute": "pref-meeting-format",
            "learned_1_value": "phone",
            "learned_2_attribute": "need-integration",
            "learned_2_value": ["SAP", "Workday"],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    facts = {f.attribute.key: f for f in Fact.objects.select_related("attribute", "interaction")}
    assert facts["pref-meeting-format"].contact == world.acme_buyer
    assert facts["pref-meeting-format"].source == "interaction"
    assert facts["need-integration"].value == ["SAP", "Workday"]
    assert facts["need-integration"].interaction.subject == "Call about the rollout"


def test_a_bad_learned_value_is_shown_next_to_its_row_and_nothing_is_logged(client, world):
    client.force_login(world.rep)
    url = f"{reverse('interactions:interaction_create')}?account={world.acme_plant.pk}"
    before = world.acme_plant.interactions.count()
    response = client.post(
        url,
        {
            "account": world.acme_plant.pk,
            "channel": "call",
            "direction": "two_way",
            "occurred_at": "2026-11-30T10:00",
            "subject": "Call",
            "users": [world.rep.pk],
            "learned_1_attribute": "spec-seats",
            "learned_1_value": "lots",
        },
    )
    assert response.status_code == 400
    assert "must be a number" in response.content.decode()
    assert world.acme_plant.interactions.count() == before
    assert Fact.objects.count() == 0


def test_the_value_field_follows_the_attribute_type(client, world):
    client.force_login(world.rep)
    url = reverse("memory:value_field")
    choice = client.get(url, {"name": "learned_1_value", "learned_1_attribute": "need-uptime"})
    assert "<select" in choice.content.decode()
    assert "mission-critical" in choice.content.decode()
    date = client.get(url, {"name": "learned_2_value", "learned_2_attribute": "plan-budget-cycle"})
    assert 'type="date"' in date.content.decode()
    assert client.get(url, {"name": "x<y", "attribute": "need-uptime"}).status_code == 400


def test_the_customers_questionnaire_page(client, world):
    _teach(world, "pref-meeting-format", "video", contact=world.acme_buyer)
    chosen = [attribute_get(key=k) for k in ("pref-meeting-format", "spec-seats")]
    _, key = services.questionnaire_create(
        actor=world.rep, attributes=chosen, contact=world.acme_buyer
    )
    url = reverse("memory:questionnaire", args=[key])

    page = client.get(url).content.decode()
    assert "Hello Ben" in page
    assert "What we don&#x27;t know yet" in page or "What we don't know yet" in page
    assert 'value="video"' in page or "selected>video" in page
    assert "Globex" not in page

    bad = client.post(url, {"spec-seats": "several"})
    assert bad.status_code == 400
    done = client.post(url, {"pref-meeting-format": "video", "spec-seats": "25"})
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    assert Fact.objects.filter(source="questionnaire").count() == 1
    assert client.get(reverse("memory:questionnaire", args=["not-a-key"])).status_code == 404


def test_contradictions_are_resolved_from_their_page(client, world):
    _teach(world, "con-annual-budget", 200000, account=world.acme, said_by=world.acme_cfo)
    _teach(world, "con-annual-budget", 80000, account=world.acme, said_by=world.acme_buyer)
    client.force_login(world.manager)
    page = client.get(reverse("memory:contradiction_list")).content.decode()
    assert "EUR 200,000" in page
    assert "EUR 80,000" in page
    contradiction_id = world.acme.contradictions.get().pk
    response = client.post(
        reverse("memory:contradiction_resolve", args=[contradiction_id]), {"keep": "earlier"}
    )
    assert response.status_code == 302
    assert Fact.objects.get(superseded_at__isnull=True).value == 200000


def test_outside_and_read_only_users(client, world):
    _teach(world, "spec-seats", 9, account=world.globex)
    client.force_login(world.portal_acme)
    assert client.get(reverse("memory:account_profile", args=[world.globex.pk])).status_code == 404
    client.force_login(world.analyst)
    assert client.get(reverse("memory:account_profile", args=[world.globex.pk])).status_code == 200
    url = f"{reverse('memory:fact_record')}?account={world.globex.pk}&attribute=spec-seats"
    assert client.get(url).status_code == 403
    assert client.post(url, {"value": "3", "source": "user"}).status_code == 403
    client.logout()
    assert client.get(reverse("memory:attribute_list")).status_code == 302


def test_the_profile_page_issues_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.rep)
    url = reverse("memory:contact_profile", args=[world.acme_buyer.pk])
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    for key, value in [
        ("spec-seats", 3),
        ("need-uptime", "high"),
        ("con-payment-terms", "30 days"),
    ]:
        _teach(world, key, value, account=world.acme_plant)
    _teach(world, "pref-topics", "events", contact=world.acme_buyer)
    services.questionnaire_create(
        actor=world.rep, attributes=[attribute_get(key="pref-topics")], contact=world.acme_buyer
    )
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
