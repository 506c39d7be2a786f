"""The timeline pages: the htmx partial, the global timeline, logging and correcting."""

from __future__ import annotations

import html
import re
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.interactions.models import Interaction, Participant
from tests.factories import make_interaction

pytestmark = pytest.mark.django_db

PARTIAL = reverse("interactions:timeline_partial")
CREATE = reverse("interactions:interaction_create")
MORE_URL = re.compile(r'hx-get="([^"]*cursor=[^"]*)"')
# One partial: session, user, the account, the page of interactions, its participants (+1 spare).
PARTIAL_QUERY_BOUND = 6


def partial(client, **params):
    return client.get(PARTIAL, params)


def next_url(response) -> str | None:
    found = MORE_URL.search(response.content.decode())
    return html.unescape(found.group(1)) if found else None


def log_form(world, **overrides):
    """A valid POST body for logging a call with Acme's buyer at the plant."""
    data = {
        "account": world.acme_plant.pk,
        "channel": "meeting",
        "direction": "two_way",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "subject": "Quarterly business review",
        "summary": "Walked through the roadmap.",
        "outcome": "positive",
        "next_step": "Send the pricing proposal by Friday",
        "contacts": [world.acme_buyer.pk],
        "users": [world.rep.pk],
        "partner": world.partner.pk,
    }
    data.update(overrides)
    return data


# --- the partial ----------------------------------------------------------------------


def test_account_partial_rolls_up_the_tree_and_shows_only_that_organisation(client, world):
    client.force_login(world.admin)

    response = partial(client, account=world.acme.pk)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Acme site survey" in body
    assert "Globex renewal terms" not in body
    assert 'class="timeline"' in body
    assert body.count('class="timeline-item') == 1
    assert reverse("interactions:interaction_detail", args=[world.acme_call.pk]) in body
    assert reverse("accounts:account_detail", args=[world.acme_plant.pk]) in body
    assert reverse("accounts:contact_detail", args=[world.acme_buyer.pk]) in body
    assert "Ben Buyer" in body


def test_partial_without_subtree_shows_only_the_unit_itself(client, world):
    client.force_login(world.admin)

    rolled_up = partial(client, account=world.acme.pk, subtree=1)
    unit_only = partial(client, account=world.acme.pk, subtree=0)

    assert "Acme site survey" in rolled_up.content.decode()
    assert "Acme site survey" not in unit_only.content.decode()
    assert "empty-state" in unit_only.content.decode()


def test_partial_filters_by_channel_contact_and_dates(client, world):
    client.force_login(world.admin)
    old = make_interaction(
        world.admin,
        world.acme,
        channel="email",
        subject="Old e-mail",
        occurred_at=timezone.now() - timedelta(days=400),
        contacts=[world.acme_cfo],
    )

    by_channel = partial(
        client, account=world.acme.pk, channel=["email", "meeting"]
    ).content.decode()
    by_contact = partial(client, contact=world.acme_cfo.pk).content.decode()
    by_person = partial(client, account=world.acme.pk, person=world.acme_buyer.pk).content.decode()
    recent = partial(
        client, account=world.acme.pk, since=(timezone.localdate() - timedelta(days=30)).isoformat()
    ).content.decode()
    window = partial(
        client,
        since=(old.occurred_at - timedelta(days=1)).date().isoformat(),
        until=(old.occurred_at + timedelta(days=1)).date().isoformat(),
    ).content.decode()

    assert "Old e-mail" in by_channel
    assert "Acme site survey" not in by_channel
    assert "Old e-mail" in by_contact
    assert "Acme site survey" not in by_contact
    assert "Acme site survey" in by_person
    assert "Old e-mail" not in by_person
    assert "Acme site survey" in recent
    assert "Old e-mail" not in recent
    assert "Old e-mail" in window
    assert "Acme site survey" not in window


def test_partial_marks_partner_sourced_interactions_outcome_and_next_step(client, world):
    client.force_login(world.admin)
    make_interaction(
        world.admin,
        world.acme,
        partner=world.partner,
        outcome="positive",
        subject="Joint demo",
        next_step="Trial licence for the plant",
    )

    body = partial(client, account=world.acme.pk).content.decode()

    assert "via Northwind Systems" in body
    assert "Positive" in body
    assert "Trial licence for the plant" in body


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"since": "2024-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMiwzXQ"}, "cursor"),  # valid base64 JSON, wrong shape
        ({"account": "acme"}, "account"),
        ({"contact": "1.5"}, "contact"),
        ({"unit": "-3"}, "unit"),
        ({"person": "x"}, "person"),
        ({"subtree": "maybe"}, "subtree"),
        ({"limit": "5000"}, "limit"),
    ],
)
def test_bad_parameters_are_a_400_fragment_naming_the_field(client, world, params, field):
    client.force_login(world.admin)

    response = partial(client, **params)

    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-field="{field}"' in body
    assert "data-error-message" in body
    assert "<html" not in body


def test_blank_filters_from_a_filter_form_mean_no_filter(client, world):
    client.force_login(world.admin)

    response = partial(
        client, account=world.acme.pk, channel="", unit="", person="", since="", until="", cursor=""
    )

    assert response.status_code == 200
    assert "Acme site survey" in response.content.decode()


def test_unknown_pk_is_a_404_fragment(client, world):
    client.force_login(world.admin)

    response = partial(client, account=999999)

    assert response.status_code == 404
    assert "<html" not in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, world):
    response = partial(client, account=world.acme.pk)

    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_keyset_walk_through_the_load_more_links_returns_every_interaction_once(client, world):
    client.force_login(world.admin)
    start = timezone.now() - timedelta(days=1)
    # Twenty share one timestamp, so the cursor must break ties by id.
    for n in range(60):
        make_interaction(
            world.admin,
            world.acme_emea,
            subject=f"Walk {n:02d}",
            occurred_at=start if n < 20 else start - timedelta(minutes=n),
        )

    seen: list[str] = []
    url: str | None = f"{PARTIAL}?account={world.acme.pk}"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += re.findall(r">(Walk \d\d|Acme site survey)</a>", response.content.decode())
        if pages:
            assert 'class="timeline"' not in response.content.decode()  # appended, not nested
        url = next_url(response)
        pages += 1

    assert pages == 3  # 61 items at 25 a page
    assert len(seen) == 61
    assert len(set(seen)) == 61


def test_load_more_keeps_every_filter(client, world):
    client.force_login(world.admin)
    for _ in range(3):
        make_interaction(world.admin, world.acme, channel="email")

    response = partial(client, account=world.acme.pk, channel=["email", "call"], limit=2, subtree=1)

    url = next_url(response)
    assert url is not None
    assert f"account={world.acme.pk}" in url
    assert "channel=email" in url
    assert "channel=call" in url
    assert "limit=2" in url
    assert "subtree=1" in url
    assert 'hx-swap="outerHTML"' in response.content.decode()


def _partial_queries(client, account) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = partial(client, account=account.pk)
    assert response.status_code == 200
    return len(queries)


def test_partial_issues_the_same_number_of_queries_for_5_or_60_interactions(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.admin)
    for n in range(5):
        make_interaction(
            world.admin,
            world.acme_plant,
            contacts=[world.acme_buyer, world.acme_cfo],
            users=[world.admin, world.rep],
            partner=world.partner,
            subject=f"Few {n}",
        )
    few = _partial_queries(client, world.acme)
    for n in range(55):
        make_interaction(
            world.admin,
            world.acme_plant,
            contacts=[world.acme_buyer, world.acme_cfo],
            users=[world.admin, world.rep],
            partner=world.partner,
            subject=f"Many {n}",
        )

    many = _partial_queries(client, world.acme)
    with django_assert_max_num_queries(PARTIAL_QUERY_BOUND):
        partial(client, account=world.acme.pk)

    assert few == many


# --- who sees what --------------------------------------------------------------------


def test_portal_user_of_another_organisation_gets_404_for_acme(client, world):
    client.force_login(world.portal_globex)

    detail = client.get(reverse("interactions:interaction_detail", args=[world.acme_call.pk]))
    timeline = partial(client, account=world.acme.pk)
    by_contact = partial(client, contact=world.acme_buyer.pk)
    by_unit = partial(client, unit=world.acme_plant.pk)
    everything = partial(client).content.decode()

    assert detail.status_code == 404
    assert timeline.status_code == 404
    assert by_contact.status_code == 404
    assert by_unit.status_code == 404
    assert "Acme site survey" not in everything
    assert "Globex renewal terms" in everything


def test_partner_user_sees_the_accounts_its_partner_serves_only(client, world):
    client.force_login(world.partner_user)

    acme = partial(client, account=world.acme.pk)
    globex = partial(client, account=world.globex.pk)
    globex_detail = client.get(
        reverse("interactions:interaction_detail", args=[world.globex_mail.pk])
    )
    acme_detail = client.get(reverse("interactions:interaction_detail", args=[world.acme_call.pk]))

    assert acme.status_code == 200
    assert "Acme site survey" in acme.content.decode()
    assert globex.status_code == 404
    assert globex_detail.status_code == 404
    assert acme_detail.status_code == 200


@pytest.mark.parametrize("role", ["analyst", "partner_user", "portal_acme"])
def test_read_only_roles_see_no_write_buttons_and_are_refused(client, world, role):
    user = getattr(world, role)
    client.force_login(user)
    detail_url = reverse("interactions:interaction_detail", args=[world.acme_call.pk])
    before = Interaction.objects.count()

    detail = client.get(detail_url).content.decode()
    listing = client.get(reverse("interactions:interaction_list")).content.decode()
    form = client.get(CREATE, {"account": world.acme.pk})
    post = client.post(f"{CREATE}?account={world.acme.pk}", log_form(world))
    edit = client.post(
        reverse("interactions:interaction_edit", args=[world.acme_call.pk]), {"subject": "Hacked"}
    )
    delete = client.post(reverse("interactions:interaction_delete", args=[world.acme_call.pk]))

    assert CREATE not in detail
    assert CREATE not in listing
    assert reverse("interactions:interaction_edit", args=[world.acme_call.pk]) not in detail
    assert (form.status_code, post.status_code, edit.status_code, delete.status_code) == (403,) * 4
    assert Interaction.objects.count() == before
    world.acme_call.refresh_from_db()
    assert world.acme_call.subject == "Acme site survey"
    assert world.acme_call.deleted_at is None


# --- logging --------------------------------------------------------------------------


def test_log_form_offers_only_the_organisation_and_preselects_the_contact(client, world):
    client.force_login(world.rep)

    response = client.get(CREATE, {"account": world.acme.pk, "contact": world.acme_cfo.pk})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Plant Hamburg" in body
    assert "Acme EMEA" in body
    assert "Globex" not in body  # neither its units nor its people
    assert "Greta Gold" not in body
    assert re.search(rf'name="contacts" value="{world.acme_cfo.pk}"[^>]* checked', body)
    assert not re.search(rf'name="contacts" value="{world.acme_buyer.pk}"[^>]* checked', body)
    assert re.search(rf'name="users" value="{world.rep.pk}"[^>]* checked', body)
    assert re.search(rf'<option value="{world.acme.pk}" selected>', body)
    assert 'type="datetime-local"' in body


def test_log_without_an_account_first_asks_for_the_organisation(client, world):
    client.force_login(world.rep)

    response = client.get(CREATE, {"q": "acme"})

    body = response.content.decode()
    assert response.status_code == 200
    assert f"?account={world.acme.pk}" in body
    assert "Globex" not in body


def test_logging_puts_the_interaction_on_the_account_timeline(client, world):
    client.force_login(world.rep)

    response = client.post(f"{CREATE}?account={world.acme.pk}", log_form(world))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account_detail", args=[world.acme.pk])
    logged = Interaction.objects.get(subject="Quarterly business review")
    assert logged.account == world.acme_plant
    assert logged.partner == world.partner
    assert logged.logged_by == world.rep
    assert set(
        Participant.objects.filter(interaction=logged).values_list("side", "contact_id", "user_id")
    ) == {
        ("customer", world.acme_buyer.pk, None),
        ("us", None, world.rep.pk),
    }
    body = partial(client, account=world.acme.pk).content.decode()
    assert "Quarterly business review" in body
    assert "via Northwind Systems" in body


def test_the_time_entered_is_read_in_the_current_time_zone(client, world, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    client.force_login(world.rep)

    client.post(
        f"{CREATE}?account={world.acme.pk}", log_form(world, occurred_at="2024-07-01T09:30")
    )

    logged = Interaction.objects.get(subject="Quarterly business review")
    assert logged.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == "2024-07-01 07:30"


def test_logging_returns_to_a_safe_next_url_only(client, world):
    client.force_login(world.rep)
    contact_page = reverse("accounts:contact_detail", args=[world.acme_buyer.pk])

    safe = client.post(f"{CREATE}?account={world.acme.pk}&next={contact_page}", log_form(world))
    unsafe = client.post(
        f"{CREATE}?account={world.acme.pk}&next=https://evil.example/",
        log_form(world, subject="Two"),
    )

    assert safe["Location"] == contact_page
    assert unsafe["Location"] == reverse("accounts:account_detail", args=[world.acme.pk])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"channel": "fax"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"occurred_at": "next tuesday"}, "occurred_at"),
        ({"account": "999999"}, "account"),
        ({"contacts": ["999999"]}, "contacts"),
        ({"users": ["999999"]}, "users"),
        ({"outcome": "ecstatic"}, "outcome"),
    ],
)
def test_bad_input_re_renders_with_the_field_error_and_saves_nothing(
    client, world, overrides, field
):
    client.force_login(world.rep)
    before = (Interaction.objects.count(), Participant.objects.count())

    response = client.post(f"{CREATE}?account={world.acme.pk}", log_form(world, **overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert (
        'class="invalid-feedback' in response.content.decode()
        or "is-invalid" in response.content.decode()
    )
    assert (Interaction.objects.count(), Participant.objects.count()) == before


def test_people_of_another_organisation_cannot_be_slipped_in(client, world):
    client.force_login(world.rep)

    response = client.post(
        f"{CREATE}?account={world.acme.pk}",
        log_form(world, contacts=[world.globex_cto.pk], account=world.globex_it.pk),
    )

    assert response.status_code == 400
    assert {"contacts", "account"} <= set(response.context["form"].errors)
    assert not Interaction.objects.filter(subject="Quarterly business review").exists()


def test_log_form_for_an_invisible_account_is_404(client, world):
    client.force_login(world.rep)

    response = client.get(CREATE, {"account": 999999})

    assert response.status_code == 404


# --- one interaction ------------------------------------------------------------------


def test_detail_shows_everything_about_the_interaction(client, world):
    client.force_login(world.rep)
    interaction = make_interaction(
        world.admin,
        world.acme_plant,
        contacts=[world.acme_buyer],
        users=[world.rep],
        subject="Line 3 downtime",
        summary="Gearbox failed twice.",
        outcome="negative",
        next_step="Engineer visit",
        partner=world.partner,
    )

    response = client.get(reverse("interactions:interaction_detail", args=[interaction.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Line 3 downtime",
        "Gearbox failed twice.",
        "Negative",
        "Engineer visit",
        "Ben Buyer",
        "Rita Rep",
        "Northwind Systems",
        "Plant Hamburg",
    ):
        assert text in body
    assert reverse("interactions:interaction_edit", args=[interaction.pk]) in body
    assert reverse("interactions:interaction_history", args=[interaction.pk]) in body


def test_edit_corrects_the_interaction_and_history_shows_before_and_after(client, world):
    client.force_login(world.rep)
    url = reverse("interactions:interaction_edit", args=[world.acme_call.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "Acme site survey" in form.content.decode()

    response = client.post(
        url,
        {
            "channel": "meeting",
            "direction": "two_way",
            "occurred_at": timezone.localtime(world.acme_call.occurred_at).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "subject": "Acme site survey (rescheduled)",
            "summary": "",
            "outcome": "neutral",
            "next_step": "",
            "contacts": [world.acme_cfo.pk],
            "partner": "",
        },
    )

    assert response.status_code == 302
    world.acme_call.refresh_from_db()
    assert world.acme_call.subject == "Acme site survey (rescheduled)"
    assert list(
        world.acme_call.participants.filter(side="customer").values_list("contact_id", flat=True)
    ) == [world.acme_cfo.pk]
    history = client.get(reverse("interactions:interaction_history", args=[world.acme_call.pk]))
    body = history.content.decode()
    assert history.status_code == 200
    assert "Acme site survey (rescheduled)" in body
    assert "Rita Rep" in body


def test_edit_with_bad_input_is_400_and_changes_nothing(client, world):
    client.force_login(world.rep)

    response = client.post(
        reverse("interactions:interaction_edit", args=[world.acme_call.pk]),
        {"channel": "call", "direction": "outbound", "occurred_at": "", "subject": "New"},
    )

    assert response.status_code == 400
    assert "occurred_at" in response.context["form"].errors
    world.acme_call.refresh_from_db()
    assert world.acme_call.subject == "Acme site survey"


def test_delete_asks_first_then_takes_it_off_the_timeline(client, world):
    client.force_login(world.rep)
    url = reverse("interactions:interaction_delete", args=[world.acme_call.pk])

    confirm = client.get(url)
    still_there = partial(client, account=world.acme.pk).content.decode()
    deleted = client.post(url)

    assert confirm.status_code == 200
    assert 'method="post"' in confirm.content.decode()
    assert "Acme site survey" in still_there
    assert deleted.status_code == 302
    assert "Acme site survey" not in partial(client, account=world.acme.pk).content.decode()
    assert (
        client.get(
            reverse("interactions:interaction_detail", args=[world.acme_call.pk])
        ).status_code
        == 404
    )


# --- the global timeline page ---------------------------------------------------------


def test_global_timeline_page_has_a_filter_bar_and_the_first_page(client, world):
    client.force_login(world.rep)

    everything = client.get(reverse("interactions:interaction_list")).content.decode()
    emails = client.get(
        reverse("interactions:interaction_list"), {"channel": ["email"], "since": "2024-01-01"}
    ).content.decode()

    assert 'name="channel"' in everything
    assert 'name="since"' in everything
    assert 'name="until"' in everything
    assert "Acme site survey" in everything
    assert "Globex renewal terms" in everything
    assert "Globex renewal terms" in emails
    assert "Acme site survey" not in emails
    assert 'value="2024-01-01"' in emails


def test_global_timeline_load_more_keeps_the_filters(client, world):
    client.force_login(world.rep)
    for _ in range(26):
        make_interaction(world.admin, world.globex, channel="email")

    response = client.get(
        reverse("interactions:interaction_list"),
        {"channel": ["email"], "since": "2024-01-01", "account": world.globex.pk},
    )

    url = next_url(response)
    assert response.status_code == 200
    assert url is not None
    assert url.startswith(f"{PARTIAL}?")
    assert "channel=email" in url
    assert "since=2024-01-01" in url
    assert f"account={world.globex.pk}" in url
    assert "Globex Corporation" in response.content.decode()


def test_global_timeline_with_a_bad_date_is_400_with_the_field_error(client, world):
    client.force_login(world.rep)

    response = client.get(reverse("interactions:interaction_list"), {"since": "31/12/2024"})

    assert response.status_code == 400
    assert "since" in response.context["filters"].errors


def test_global_timeline_page_for_an_invisible_account_is_404(client, world):
    client.force_login(world.portal_globex)

    response = client.get(reverse("interactions:interaction_list"), {"account": world.acme.pk})

    assert response.status_code == 404
