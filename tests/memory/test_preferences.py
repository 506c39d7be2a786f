"""Communication preferences, caps and consent: the services, logging with them, the pages."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.core.errors import Conflict, InvalidInput, PermissionDenied
from rapport.interactions.models import Interaction
from rapport.memory import outreach, services
from rapport.memory.models import (
    CommunicationPreference,
    Consent,
    FrequencyCap,
    PreferenceBreach,
)
from tests.factories import make_interaction

pytestmark = pytest.mark.django_db


def _withdraw_marketing(world, contact=None):
    return services.consent_record(
        actor=world.rep,
        contact=contact or world.acme_cfo,
        purpose="marketing",
        status="withdrawn",
        how="reply to newsletter",
    )


def _mail(world, **kwargs):
    kwargs.setdefault("contacts", [world.acme_cfo])
    return outreach.interaction_log_learned(
        actor=world.rep,
        account=world.acme,
        channel="email",
        direction="outbound",
        subject="Autumn offers",
        purpose=kwargs.pop("purpose", "marketing"),
        **kwargs,
    )


# --- services ----------------------------------------------------------------------------


def test_preferences_are_set_and_their_history_kept(world):
    first = services.preference_set(
        actor=world.rep,
        contact=world.acme_cfo,
        preferred_channel="call",
        preferred_days=[5, 1, 3],
        preferred_from=time(9),
        preferred_until=time(12),
        time_zone="Europe/Berlin",
        language="de",
    )
    second = services.preference_set(
        actor=world.manager, contact=world.acme_cfo, preferred_channel="email", language="en-GB"
    )
    assert second.pk == first.pk
    assert CommunicationPreference.objects.count() == 1
    stored = CommunicationPreference.objects.get()
    assert (stored.preferred_channel, stored.language, stored.updated_by) == (
        "email",
        "en-GB",
        world.manager,
    )
    assert stored.customer_id == world.acme.pk
    assert [h.preferred_days for h in stored.history.order_by("history_id")] == [[1, 3, 5], []]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"preferred_days": [0]}, "preferred_days"),
        ({"preferred_days": [8]}, "preferred_days"),
        ({"preferred_from": time(12), "preferred_until": time(9)}, "preferred_until"),
        ({"preferred_from": time(12)}, "preferred_until"),
        ({"preferred_until": time(12)}, "preferred_from"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"language": "German"}, "language"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(world, changes, field):
    with pytest.raises(InvalidInput) as error:
        services.preference_set(actor=world.rep, contact=world.acme_cfo, **changes)
    assert error.value.field == field
    assert CommunicationPreference.objects.count() == 0


def test_caps_are_set_per_channel_replaced_and_lifted(world):
    cap = services.frequency_cap_set(
        actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=2, per_days=30
    )
    again = services.frequency_cap_set(
        actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=4, per_days=7
    )
    assert again.pk == cap.pk
    assert (again.max_contacts, again.per_days) == (4, 7)
    services.frequency_cap_remove(actor=world.rep, cap=again)
    assert FrequencyCap.objects.count() == 0
    assert FrequencyCap.all_objects.count() == 1
    with pytest.raises(InvalidInput) as error:
        services.frequency_cap_set(
            actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=0, per_days=7
        )
    assert error.value.field == "max_contacts"
    with pytest.raises(InvalidInput) as error:
        services.frequency_cap_set(
            actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=1, per_days=400
        )
    assert error.value.field == "per_days"


def test_consent_history_is_never_overwritten(world):
    services.consent_record(
        actor=world.rep, contact=world.acme_cfo, purpose="marketing", status="granted", how="form"
    )
    _withdraw_marketing(world)
    assert list(Consent.objects.order_by("id").values_list("status", "how", "recorded_by")) == [
        ("granted", "form", world.rep.pk),
        ("withdrawn", "reply to newsletter", world.rep.pk),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": "gossip"}, "purpose"),
        ({"status": "maybe"}, "status"),
        ({"channel": "pigeon"}, "channel"),
        ({"how": "  "}, "how"),
    ],
)
def test_bad_consent_is_refused(world, changes, field):
    arguments = {"purpose": "marketing", "status": "granted", "how": "form", **changes}
    with pytest.raises(InvalidInput) as error:
        services.consent_record(actor=world.rep, contact=world.acme_cfo, **arguments)
    assert error.value.field == field
    assert Consent.objects.count() == 0


def test_consent_names_only_an_interaction_of_the_same_organisation(world):
    with pytest.raises(InvalidInput) as error:
        services.consent_record(
            actor=world.rep,
            contact=world.acme_cfo,
            purpose="marketing",
            status="granted",
            how="on the call",
            interaction=world.globex_mail,
        )
    assert error.value.field == "interaction"


@pytest.mark.parametrize("who", ["analyst", "portal_acme", "partner_user"])
def test_only_writers_change_preferences(world, who):
    user = getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.preference_set(actor=user, contact=world.acme_cfo, language="de")
    with pytest.raises(PermissionDenied):
        _withdraw_marketing(type("W", (), {"rep": user, "acme_cfo": world.acme_cfo})())
    assert Consent.objects.count() == CommunicationPreference.objects.count() == 0


# --- logging an outbound interaction -------------------------------------------------------


def test_e_mailing_someone_who_withdrew_consent_is_blocked(world):
    _withdraw_marketing(world)
    before = Interaction.objects.count()
    with pytest.raises(Conflict) as error:
        _mail(world)
    today = timezone.localdate()
    reason = (
        f"Carla Finch: Withdrew consent to marketing on {today.day} {today:%b %Y} "
        "(reply to newsletter)."
    )
    assert error.value.errors == {"contacts": [reason]}
    assert Interaction.objects.count() == before
    assert PreferenceBreach.objects.count() == 0


def test_an_override_logs_it_and_records_the_breach(world):
    _withdraw_marketing(world)
    interaction = _mail(world, override_reason="They asked for the price list on the phone.")
    breach = PreferenceBreach.objects.get()
    assert breach.interaction == interaction
    assert interaction.purpose == "marketing"
    assert (breach.contact, breach.verdict, breach.recorded_by) == (
        world.acme_cfo,
        "block",
        world.rep,
    )
    assert breach.override_reason == "They asked for the price list on the phone."
    assert breach.reasons[0].startswith("Withdrew consent to marketing on ")


def test_a_warning_logs_it_and_records_the_breach(world):
    services.preference_set(actor=world.rep, contact=world.acme_cfo, preferred_channel="call")
    interaction = _mail(world, purpose="service")
    breach = PreferenceBreach.objects.get()
    assert (breach.interaction, breach.verdict, breach.override_reason) == (interaction, "warn", "")
    assert breach.reasons == ["Prefers to be reached by call, not by e-mail."]


def test_only_the_blocked_people_stop_a_log_and_allowed_ones_record_nothing(world):
    _withdraw_marketing(world, contact=world.acme_buyer)
    services.consent_record(
        actor=world.rep, contact=world.acme_cfo, purpose="marketing", status="granted", how="form"
    )
    with pytest.raises(Conflict) as error:
        _mail(world, contacts=[world.acme_cfo, world.acme_buyer])
    assert list(error.value.errors) == ["contacts"]
    assert error.value.errors["contacts"][0].startswith("Ben Buyer: Withdrew consent")
    _mail(world, contacts=[world.acme_cfo, world.acme_buyer], override_reason="Replied to them")
    assert list(PreferenceBreach.objects.values_list("contact", flat=True)) == [world.acme_buyer.pk]


@pytest.mark.parametrize("direction", ["inbound", "two_way"])
def test_only_outbound_interactions_are_checked(world, direction):
    _withdraw_marketing(world)
    outreach.interaction_log_learned(
        actor=world.rep,
        account=world.acme,
        channel="email",
        direction=direction,
        subject="They wrote to us",
        purpose="marketing",
        contacts=[world.acme_cfo],
    )
    assert PreferenceBreach.objects.count() == 0


def test_an_unknown_purpose_is_bad_input(world):
    with pytest.raises(InvalidInput) as error:
        _mail(world, purpose="gossip")
    assert error.value.field == "purpose"


def test_the_logged_interaction_does_not_count_against_its_own_cap(world):
    services.frequency_cap_set(
        actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=1, per_days=30
    )
    _mail(world, purpose="service")
    with pytest.raises(Conflict):
        _mail(world, purpose="service")
    assert PreferenceBreach.objects.count() == 0


# --- pages -------------------------------------------------------------------------------


def test_the_contact_page_shows_the_card(client, world):
    services.preference_set(
        actor=world.rep,
        contact=world.acme_cfo,
        preferred_channel="call",
        preferred_days=[1, 2, 3, 4, 5],
        preferred_from=time(9),
        preferred_until=time(17),
        time_zone="Europe/Berlin",
        language="de",
    )
    services.frequency_cap_set(
        actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=2, per_days=30
    )
    _withdraw_marketing(world)
    _mail(world, override_reason="Asked for it")
    client.force_login(world.rep)
    card_url = reverse("memory:contact_preferences_card", args=[world.acme_cfo.pk])
    page = client.get(reverse("accounts:contact_detail", args=[world.acme_cfo.pk])).content.decode()
    assert f'hx-get="{card_url}"' in page  # htmx draws the card after the page (issue 12)
    body = client.get(card_url).content.decode()
    assert "Communication preferences" in body
    assert "Mon\u2013Fri" in body
    assert "09:00\u201317:00" in body
    assert "(Europe/Berlin)" in body
    assert "At most 2 by e-mail per 30 days" in body
    assert "Withdrawn" in body
    assert "reply to newsletter" in body
    assert "Overridden block" in body
    assert "Override: Asked for it" in body


def test_consent_is_recorded_from_the_contact_page(client, world):
    client.force_login(world.rep)
    url = reverse("memory:contact_consent_record", args=[world.acme_cfo.pk])
    response = client.post(
        url,
        {"consent-purpose": "marketing", "consent-status": "withdrawn", "consent-how": "Phone"},
    )
    assert response.status_code == 302
    assert response.url.endswith("#preferences")
    assert Consent.objects.get().status == "withdrawn"


def test_a_bad_consent_form_shows_the_error_next_to_the_field(client, world):
    client.force_login(world.rep)
    url = reverse("memory:contact_consent_record", args=[world.acme_cfo.pk])
    response = client.post(url, {"consent-purpose": "marketing", "consent-status": "granted"})
    assert response.status_code == 400
    assert response.context["consent_form"].errors == {"how": ["This field is required."]}
    assert Consent.objects.count() == 0


def test_preferences_are_edited_with_errors_next_to_fields(client, world):
    client.force_login(world.rep)
    url = reverse("memory:contact_preferences", args=[world.acme_cfo.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "preference-preferred_from": "17:00",
            "preference-preferred_until": "09:00",
            "preference-language": "de",
        },
    )
    assert bad.status_code == 400
    assert bad.context["preference_form"].errors == {
        "preferred_until": ["The preferred hours must end after they start."]
    }
    good = client.post(
        url,
        {
            "preference-preferred_channel": "call",
            "preference-preferred_days": ["1", "2"],
            "preference-preferred_from": "09:00",
            "preference-preferred_until": "12:00",
            "preference-time_zone": "Europe/Berlin",
            "preference-language": "de",
        },
    )
    assert good.status_code == 302
    stored = CommunicationPreference.objects.get()
    assert (stored.preferred_days, stored.time_zone) == ([1, 2], "Europe/Berlin")


def test_caps_are_set_and_lifted_on_the_edit_page(client, world):
    client.force_login(world.rep)
    response = client.post(
        reverse("memory:contact_cap_set", args=[world.acme_cfo.pk]),
        {"cap-channel": "email", "cap-max_contacts": "3", "cap-per_days": "14"},
    )
    assert response.status_code == 302
    cap = FrequencyCap.objects.get()
    assert (cap.max_contacts, cap.per_days) == (3, 14)
    bad = client.post(
        reverse("memory:contact_cap_set", args=[world.acme_cfo.pk]),
        {"cap-channel": "email", "cap-max_contacts": "0", "cap-per_days": "14"},
    )
    assert bad.status_code == 400
    assert "max_contacts" in bad.context["cap_form"].errors
    client.post(reverse("memory:contact_cap_remove", args=[world.acme_cfo.pk, cap.pk]))
    assert FrequencyCap.objects.count() == 0


def test_the_log_form_blocks_with_the_reason_next_to_their_people(client, world):
    _withdraw_marketing(world)
    client.force_login(world.rep)
    url = f"{reverse('interactions:interaction_create')}?account={world.acme.pk}"
    data = {
        "account": world.acme.pk,
        "channel": "email",
        "direction": "outbound",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "subject": "Autumn offers",
        "purpose": "marketing",
        "contacts": [world.acme_cfo.pk],
        "users": [world.rep.pk],
    }
    response = client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors["contacts"]
    assert errors[0].startswith("Carla Finch: Withdrew consent to marketing on ")
    assert "reply to newsletter" in errors[0]
    assert 'name="override_reason"' in response.content.decode()
    assert not Interaction.objects.filter(subject="Autumn offers").exists()
    # With an override reason it is logged and the breach recorded
    response = client.post(url, {**data, "override_reason": "They asked on the phone"})
    assert response.status_code == 302
    assert PreferenceBreach.objects.get().override_reason == "They asked on the phone"


def test_the_live_check_shows_each_person_verdict(client, world):
    _withdraw_marketing(world)
    client.force_login(world.rep)
    url = reverse("memory:contact_permission_check")
    params = {
        "contacts": [world.acme_cfo.pk, world.acme_buyer.pk],
        "channel": "email",
        "purpose": "marketing",
        "direction": "outbound",
    }
    response = client.get(url, params)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="block"' in body
    assert "Withdrew consent to marketing" in body
    assert "Has not opted in to marketing" in body  # Ben never opted in
    inbound = client.get(url, {**params, "direction": "inbound"}).content.decode()
    assert "data-verdict" not in inbound


def test_the_live_check_never_shows_another_organisations_people(client, world):
    _withdraw_marketing(world, contact=world.globex_cto)
    client.force_login(world.portal_acme)
    url = reverse("memory:contact_permission_check")
    body = client.get(
        url, {"contacts": [world.globex_cto.pk], "channel": "email", "purpose": "marketing"}
    ).content.decode()
    assert "Greta" not in body
    assert "data-verdict" not in body


@pytest.mark.parametrize("who", ["analyst", "portal_acme", "partner_user"])
def test_readers_cannot_change_preferences_on_the_pages(client, world, who):
    client.force_login(getattr(world, who))
    pk = world.acme_cfo.pk
    posts = [
        (reverse("memory:contact_preferences", args=[pk]), {"preference-language": "de"}),
        (
            reverse("memory:contact_consent_record", args=[pk]),
            {"consent-purpose": "marketing", "consent-status": "granted", "consent-how": "x"},
        ),
        (
            reverse("memory:contact_cap_set", args=[pk]),
            {"cap-channel": "email", "cap-max_contacts": "1", "cap-per_days": "1"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    assert Consent.objects.count() == CommunicationPreference.objects.count() == 0
    assert FrequencyCap.objects.count() == 0


def test_the_other_organisations_portal_user_sees_nothing(client, world):
    client.force_login(world.portal_globex)
    url = reverse("memory:contact_preferences", args=[world.acme_cfo.pk])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(reverse("memory:contact_preferences", args=[world.acme_cfo.pk]))
    assert response.status_code == 302
    assert "/login" in response.url or "login" in response.url


def test_the_edit_page_issues_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.rep)
    url = reverse("memory:contact_preferences", args=[world.acme_cfo.pk])
    with django_assert_max_num_queries(14) as small:
        assert client.get(url).status_code == 200
    for n in range(6):
        services.consent_record(
            actor=world.rep,
            contact=world.acme_cfo,
            purpose="marketing",
            status="granted" if n % 2 else "withdrawn",
            how=f"form {n}",
            recorded_at=timezone.now() - timedelta(days=n),
        )
        services.frequency_cap_set(
            actor=world.rep,
            contact=world.acme_cfo,
            channel=["email", "call", "meeting", "web", "event", "survey"][n],
            max_contacts=1,
            per_days=30,
        )
        make_interaction(
            world.rep,
            world.acme,
            contacts=[world.acme_cfo],
            channel="web",
            purpose="marketing",
            override_reason="test",
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
