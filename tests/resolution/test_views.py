"""The duplicates pages: live warning, queue, pair, merge, undo, settings, permissions."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.accounts.models import Account, Contact
from rapport.resolution import services
from rapport.resolution.models import DuplicatePair, MergeRecord, PairStatus
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pair(world):
    twin = make_contact(world.admin, world.acme, first_name="Carla", last_name="Fintch", title="")
    return services.pair_open(
        actor=world.admin, kind="contact", first=world.acme_cfo, second=twin, score=0.93
    )


def test_the_contact_form_warns_of_a_near_duplicate_while_typing(world):
    response = _client(world.rep).get(
        "/duplicates/check/contacts/",
        {"first_name": "Karla", "last_name": "Finch", "account": world.acme_plant.pk},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Possible duplicate" in html
    assert "Carla Finch" in html
    assert "same organisation (Acme Industries)" in html
    assert f'href="/contacts/{world.acme_cfo.pk}/"' in html


def test_the_forms_carry_the_live_check(world):
    client = _client(world.rep)
    contact_form = client.get(f"/contacts/new/?account={world.acme.pk}").content.decode()
    assert 'hx-get="/duplicates/check/contacts/"' in contact_form
    account_form = client.get(f"/accounts/{world.acme.pk}/edit/").content.decode()
    assert f'hx-get="/duplicates/check/accounts/?exclude={world.acme.pk}"' in account_form


def test_the_queue_shows_pending_pairs_to_internal_users_only(world, pair):
    html = _client(world.rep).get("/duplicates/").content.decode()
    assert "Carla Fintch" in html
    assert f'href="/duplicates/pairs/{pair.pk}/"' in html
    for outsider in (world.portal_acme, world.partner_user):
        assert _client(outsider).get("/duplicates/").status_code == 403
        assert _client(outsider).get(f"/duplicates/pairs/{pair.pk}/").status_code == 403


def test_merging_from_the_pair_page_with_a_field_choice(world, pair):
    client = _client(world.rep)
    page = client.get(f"/duplicates/pairs/{pair.pk}/")
    assert page.status_code == 200
    assert 'name="field_last_name"' in page.content.decode()

    response = client.post(
        f"/duplicates/pairs/{pair.pk}/",
        {"action": "merge", "keep": "left", "field_last_name": "left", "field_title": "left"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{world.acme_cfo.pk}/"
    survivor = Contact.objects.get(pk=world.acme_cfo.pk)
    assert (survivor.last_name, survivor.title) == ("Finch", "CFO")
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.ACCEPTED


def test_undo_from_the_merge_history(world, pair):
    merge = services.pair_merge(actor=world.rep, pair=pair)
    client = _client(world.manager)
    assert "Undo" in client.get("/duplicates/merges/").content.decode()
    response = client.post(f"/duplicates/merges/{merge.pk}/undo/")
    assert response.status_code == 302
    assert MergeRecord.objects.get(pk=merge.pk).undone_by == world.manager
    assert Contact.objects.filter(pk=pair.right_contact_id).exists()


def test_rejecting_and_deferring(world, pair):
    client = _client(world.rep)
    client.post(f"/duplicates/pairs/{pair.pk}/", {"action": "deferred"})
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.DEFERRED
    client.post(f"/duplicates/pairs/{pair.pk}/", {"action": "rejected"})
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.REJECTED


def test_an_analyst_sees_the_queue_but_cannot_merge(world, pair):
    client = _client(world.analyst)
    assert client.get(f"/duplicates/pairs/{pair.pk}/").status_code == 200
    response = client.post(f"/duplicates/pairs/{pair.pk}/", {"action": "merge", "keep": "left"})
    assert response.status_code == 403
    assert Contact.objects.filter(pk=pair.right_contact_id).exists()


def test_merge_into_from_the_account_page(world):
    dup = make_account(world.admin, "Globex Corp")
    client = _client(world.rep)
    assert "Merge into…" in client.get(f"/accounts/{dup.pk}/").content.decode()
    page = client.get(f"/accounts/{dup.pk}/merge/").content.decode()
    assert "Globex Corporation" in page
    response = client.post(
        "/duplicates/compare/", {"kind": "account", "first": world.globex.pk, "second": dup.pk}
    )
    pair = DuplicatePair.objects.get(kind="account")
    assert response["Location"] == f"/duplicates/pairs/{pair.pk}/?keep=left"
    client.post(f"/duplicates/pairs/{pair.pk}/", {"action": "merge", "keep": "left"})
    assert Account.objects.get(pk=dup.pk).deleted_at is not None


def test_only_admins_allow_automatic_merging(world):
    _client(world.manager).post("/duplicates/settings/", {"auto_merge_enabled": "on"})
    assert services.settings_get().auto_merge_enabled is False
    _client(world.admin).post(
        "/duplicates/settings/", {"auto_merge_enabled": "on", "auto_merge_threshold": "0.995"}
    )
    row = services.settings_get()
    assert (row.auto_merge_enabled, row.auto_merge_threshold, row.updated_by) == (
        True,
        0.995,
        world.admin,
    )


def test_the_queue_costs_a_constant_number_of_queries(world, django_assert_max_num_queries):
    for n in range(6):
        twin = make_contact(world.admin, world.globex, first_name="Greta", last_name=f"Gold{n}")
        services.pair_open(
            actor=world.admin, kind="contact", first=world.globex_cto, second=twin, score=0.9
        )
    client = _client(world.rep)
    with django_assert_max_num_queries(14):
        response = client.get("/duplicates/")
    assert response.content.decode().count("Review</a>") == 6


def test_editing_a_duplicate_offers_compare_and_merge(world):
    twin = make_contact(world.admin, world.acme, first_name="Carla", last_name="Fintch")
    client = _client(world.rep)
    html = client.get(
        "/duplicates/check/contacts/",
        {
            "first_name": "Carla",
            "last_name": "Fintch",
            "account": world.acme.pk,
            "exclude": twin.pk,
        },
    ).content.decode()
    action = f"/duplicates/compare/?kind=contact&amp;first={world.acme_cfo.pk}&amp;second={twin.pk}"
    assert f'formaction="{action}"' in html
    response = client.post(action.replace("&amp;", "&"), {"first_name": "Carla"})
    pair = DuplicatePair.objects.get()
    assert (pair.left_contact_id, pair.right_contact_id) == (world.acme_cfo.pk, twin.pk)
    assert response["Location"] == f"/duplicates/pairs/{pair.pk}/?keep=left"
