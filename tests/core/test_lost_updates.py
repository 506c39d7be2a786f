"""No lost updates: a save made from an old version is refused, saying who changed what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.core.errors import StaleWrite
from rapport.core.services import api_token_create
from rapport.interactions import services as interaction_services
from rapport.interactions.models import Interaction
from tests.factories import make_interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(world) -> Interaction:
    return make_interaction(world.rep, world.acme, subject="Kick-off")


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')[1]}")


def test_two_writers_from_one_version_the_second_is_refused_and_told_who_and_what(world, meeting):
    # Given two people who opened the same interaction at version 1
    first, second = (
        Interaction.objects.get(pk=meeting.pk),
        Interaction.objects.get(pk=meeting.pk),
    )
    # When the first saves a new subject, then the second saves another from version 1
    interaction_services.interaction_update(
        actor=world.rep, interaction=first, expected_version=1, subject="Kick-off, moved"
    )
    with pytest.raises(StaleWrite) as refused:
        interaction_services.interaction_update(
            actor=world.manager, interaction=second, expected_version=1, subject="Kick-off, done"
        )
    # Then the first person's words are kept, and the refusal names them and both values
    stored = Interaction.objects.get(pk=meeting.pk)
    assert (stored.subject, stored.version) == ("Kick-off, moved", 2)
    assert refused.value.changed_by == world.rep.full_name
    assert refused.value.current_version == 2
    assert refused.value.fields["subject"] == ("Kick-off, moved", "Kick-off, done")
    assert "Now 'Kick-off, moved'; you wanted 'Kick-off, done'." in refused.value.errors["subject"]


def test_a_save_without_a_version_still_counts_the_version_up(world, meeting):
    interaction_services.interaction_update(actor=world.rep, interaction=meeting, subject="A")
    interaction_services.interaction_update(actor=world.rep, interaction=meeting, subject="B")
    assert Interaction.objects.get(pk=meeting.pk).version == 3


def test_the_api_gives_an_etag_and_answers_a_stale_if_match_with_412(world, meeting):
    api = _api(world.rep)
    url = f"/api/v1/interactions/{meeting.pk}"
    read = api.get(url)
    assert read["ETag"] == '"1"'
    assert read.json()["version"] == 1

    saved = api.patch(
        url, {"subject": "Moved"}, content_type="application/json", HTTP_IF_MATCH='"1"'
    )
    assert saved.status_code == 200
    assert saved["ETag"] == '"2"'

    stale = api.patch(
        url, {"subject": "Lost?"}, content_type="application/json", HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "stale"
    assert body["errors"]["subject"] == ["Now 'Moved'; you wanted 'Lost?'."]
    assert Interaction.objects.get(pk=meeting.pk).subject == "Moved"


def test_an_unreadable_if_match_is_a_400_naming_the_header(world, meeting):
    response = _api(world.rep).patch(
        f"/api/v1/interactions/{meeting.pk}",
        {"subject": "x"},
        content_type="application/json",
        HTTP_IF_MATCH="yesterday",
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()["errors"]
    assert Interaction.objects.get(pk=meeting.pk).subject == "Kick-off"


def test_the_edit_form_refuses_a_stale_save_and_lets_the_person_save_again(client, world, meeting):
    client.force_login(world.rep)
    url = f"/interactions/{meeting.pk}/edit/"
    form = {
        "channel": meeting.channel,
        "direction": meeting.direction,
        "occurred_at": timezone.localtime(meeting.occurred_at - timedelta(minutes=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "subject": "Mine",
        "version": "1",
    }
    # Someone else saved first
    interaction_services.interaction_update(
        actor=world.manager, interaction=meeting, subject="Theirs"
    )

    refused = client.post(url, form)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert f"Changed by {world.manager.full_name}" in page
    assert "Now &#x27;Theirs&#x27;; you wanted &#x27;Mine&#x27;." in page
    assert 'name="version" value="2"' in page
    assert Interaction.objects.get(pk=meeting.pk).subject == "Theirs"

    # Having seen both, saving again from the version now kept goes through
    saved = client.post(url, {**form, "version": "2"})
    assert saved.status_code == 302
    assert Interaction.objects.get(pk=meeting.pk).subject == "Mine"


# Accounts, contacts and partners: the records several people keep correcting.

_RECORDS = {
    # kind: (the world's record, the API path, the edit page, the form's other fields,
    #        the field both people change, the service that changes it)
    "account": (
        lambda w: w.globex,
        "/api/v1/accounts/{}",
        "/accounts/{}/edit/",
        lambda w: {"kind": "legal_entity"},
        "name",
        lambda actor, record, **changes: account_services.account_update(
            actor=actor, account=record, **changes
        ),
    ),
    "contact": (
        lambda w: w.acme_cfo,
        "/api/v1/contacts/{}",
        "/contacts/{}/edit/",
        lambda w: {"last_name": "Finch", "status": "active", "account": w.acme.pk},
        "title",
        lambda actor, record, **changes: account_services.contact_update(
            actor=actor, contact=record, **changes
        ),
    ),
    "partner": (
        lambda w: w.other_partner,
        "/api/v1/partners/{}",
        "/partners/{}/edit/",
        lambda w: {"kind": "installer"},
        "name",
        lambda actor, record, **changes: account_services.partner_update(
            actor=actor, partner=record, **changes
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(_RECORDS))
def test_records_read_with_an_etag_refuse_a_stale_if_match_with_412(world, kind):
    pick, api_path, _page, _other, field, _update = _RECORDS[kind]
    record = pick(world)
    api, url = _api(world.rep), api_path.format(record.pk)
    read = api.get(url)
    assert read["ETag"] == f'"{record.version}"' == f'"{read.json()["version"]}"'
    opened = read["ETag"]

    saved = api.patch(url, {field: "First"}, content_type="application/json", HTTP_IF_MATCH=opened)
    assert (saved.status_code, saved.json()[field]) == (200, "First")
    assert saved["ETag"] == f'"{record.version + 1}"'

    stale = api.patch(url, {field: "Second"}, content_type="application/json", HTTP_IF_MATCH=opened)
    assert stale.status_code == 412
    assert stale.json()["errors"][field] == ["Now 'First'; you wanted 'Second'."]
    record.refresh_from_db()
    assert getattr(record, field) == "First"


@pytest.mark.parametrize("kind", sorted(_RECORDS))
def test_edit_pages_refuse_a_stale_save_then_take_a_deliberate_one(client, world, kind):
    pick, _api_path, page, other, field, update = _RECORDS[kind]
    record = pick(world)
    opened = record.version
    client.force_login(world.rep)
    url = page.format(record.pk)
    assert f'name="version" value="{opened}"' in client.get(url).content.decode()
    form = {**other(world), field: "Mine", "version": str(opened)}
    # Someone else saved first
    update(world.manager, type(record).objects.get(pk=record.pk), **{field: "Theirs"})

    refused = client.post(url, form)
    assert refused.status_code == 409
    page_text = refused.content.decode()
    assert f"Changed by {world.manager.full_name}" in page_text
    assert "Now &#x27;Theirs&#x27;; you wanted &#x27;Mine&#x27;." in page_text
    assert f'name="version" value="{opened + 1}"' in page_text
    record.refresh_from_db()
    assert getattr(record, field) == "Theirs"

    saved = client.post(url, {**form, "version": str(opened + 1)})
    assert saved.status_code == 302
    record.refresh_from_db()
    assert getattr(record, field) == "Mine"
