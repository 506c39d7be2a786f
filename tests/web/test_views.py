"""Sign-in, the home dashboard, search and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.accounts.models import Account
from rapport.core.models import ApiToken
from rapport.core.services import api_token_authenticate, api_token_create
from tests.factories import make_account, make_interaction

pytestmark = pytest.mark.django_db

HOME = reverse("web:home")
LOGIN = reverse("web:login")
SEARCH = reverse("web:search")
TOKENS = reverse("web:token_list")
HOME_QUERY_BOUND = 10

ROLES = ["admin", "manager", "rep", "analyst", "partner_user", "portal_acme", "portal_globex"]


# --- signing in and out ---------------------------------------------------------------


def test_login_page_renders_the_form(client, world):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    assert 'name="password"' in response.content.decode()
    assert "demo_login" not in response.context or not response.context["demo_login"]


def test_login_with_the_right_password_opens_home(client, world):
    response = client.post(
        LOGIN, {"username": world.admin.email, "password": "correct-horse-battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_login_honours_a_safe_next_only(client, world):
    credentials = {"username": world.admin.email, "password": "correct-horse-battery"}
    safe = client.post(f"{LOGIN}?next={SEARCH}", credentials)
    client.logout()
    unsafe = client.post(f"{LOGIN}?next=https://evil.example/", credentials)

    assert safe["Location"] == SEARCH
    assert unsafe["Location"] == HOME


def test_login_with_a_wrong_password_stays_on_the_form(client, world):
    response = client.post(LOGIN, {"username": world.admin.email, "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(HOME).status_code == 302


def test_login_shows_the_demo_credentials_when_configured(client, world, settings):
    settings.RAPPORT_DEMO_LOGIN = {"email": "demo@example.com", "password": "demo-pass"}

    response = client.get(LOGIN)

    assert response.context["demo_login"] == {"email": "demo@example.com", "password": "demo-pass"}


def test_a_signed_in_user_is_sent_home_from_the_login_page(client, world):
    client.force_login(world.rep)

    assert client.get(LOGIN)["Location"] == HOME


def test_logout_is_post_only(client, world):
    client.force_login(world.rep)

    refused = client.get(reverse("web:logout"))
    response = client.post(reverse("web:logout"))

    assert refused.status_code == 405
    assert response.status_code == 302
    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize("url", [HOME, SEARCH, TOKENS])
def test_pages_need_sign_in(client, world, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# --- home -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_home_renders_for_every_role(client, world, role):
    client.force_login(getattr(world, role))

    response = client.get(HOME)

    assert response.status_code == 200


def test_home_shows_headline_figures_scoped_to_the_user(client, world):
    make_interaction(world.admin, world.acme, occurred_at=timezone.now() - timedelta(days=45))

    client.force_login(world.admin)
    admin = client.get(HOME).context["summary"]
    client.force_login(world.portal_globex)
    portal = client.get(HOME).context["summary"]

    assert (admin.organisations, admin.contacts, admin.interactions_30d) == (2, 3, 2)
    assert (portal.organisations, portal.contacts, portal.interactions_30d) == (1, 1, 1)


def test_home_lists_my_accounts_and_those_gone_quiet(client, world):
    quiet = make_account(world.admin, "Initech")
    silent = make_account(world.admin, "Umbrella")
    # Acme EMEA sits inside Acme, which the rep manages too: it is not listed twice.
    for account in (world.acme, world.acme_emea, quiet, silent, world.globex_it):
        # Fresh rows: account_update saves every field, stale roll-up counters included.
        fresh = Account.objects.get(pk=account.pk)
        account_services.account_update(actor=world.admin, account=fresh, manager=world.rep)
    make_interaction(world.admin, quiet, occurred_at=timezone.now() - timedelta(days=120))
    make_interaction(world.admin, world.globex, occurred_at=timezone.now() - timedelta(days=1))
    client.force_login(world.rep)

    response = client.get(HOME)

    mine = [row.account.name for row in response.context["my_accounts"]]
    gone = [row.account.name for row in response.context["gone_quiet"]]
    # Acme's last interaction is at its plant: it rolls up to Acme itself. Globex IT's
    # own interaction is recent; its parent's newer one does not count for it.
    assert mine == ["Acme Industries", "Globex IT", "Initech", "Umbrella"]
    assert gone == ["Umbrella", "Initech"]
    assert [row.interactions for row in response.context["my_accounts"]] == [1, 1, 1, 0]
    body = response.content.decode()
    assert "never contacted" in body
    assert "120 days" in body
    assert "Acme site survey" in body  # recent interactions
    assert "Globex renewal terms" in body


def test_home_shows_the_last_ten_interactions_with_a_load_more(client, world):
    for n in range(12):
        make_interaction(world.admin, world.acme, subject=f"Recent {n:02d}")
    client.force_login(world.rep)

    response = client.get(HOME)

    body = response.content.decode()
    assert body.count('class="timeline-item') == 10
    assert f'hx-get="{reverse("interactions:timeline_partial")}?limit=10&amp;cursor=' in body


def test_home_issues_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for n in range(15):
        account = make_account(world.admin, f"Managed {n}")
        account_services.account_update(actor=world.admin, account=account, manager=world.rep)
        make_interaction(world.admin, account, contacts=[], users=[world.rep, world.admin])
    client.force_login(world.rep)

    with django_assert_max_num_queries(HOME_QUERY_BOUND):
        response = client.get(HOME)

    assert response.status_code == 200


# --- search ---------------------------------------------------------------------------


def test_search_finds_acme_its_people_and_its_interactions(client, world):
    client.force_login(world.rep)

    by_name = client.get(SEARCH, {"q": "acme"})
    by_person = client.get(SEARCH, {"q": "Finch"})
    by_title = client.get(SEARCH, {"q": "cfo"})

    body = by_name.content.decode()
    assert by_name.status_code == 200
    assert "Acme Industries" in body
    assert "Acme EMEA" in body
    assert "Acme site survey" in body
    assert "Globex" not in body
    assert reverse("accounts:account_detail", args=[world.acme.pk]) in body
    assert "Carla Finch" in by_person.content.decode()
    assert reverse("accounts:contact_detail", args=[world.acme_cfo.pk]) in by_title.content.decode()


def test_search_with_a_short_query_shows_a_hint(client, world):
    client.force_login(world.rep)

    response = client.get(SEARCH, {"q": "a"})

    assert response.status_code == 200
    assert "at least two characters" in response.content.decode()
    assert "accounts" not in response.context


def test_search_is_scoped_to_what_the_user_may_see(client, world):
    client.force_login(world.portal_globex)

    body = (
        client.get(SEARCH, {"q": "acme"}).content.decode()
        + client.get(SEARCH, {"q": "Finch"}).content.decode()
    )

    assert "Acme Industries" not in body
    assert "Carla Finch" not in body
    assert "Acme site survey" not in body


def test_search_links_to_the_full_lists_and_loads_more_interactions(client, world):
    for n in range(12):
        make_account(world.admin, f"Acme Spin-off {n}")
        make_interaction(world.admin, world.acme, subject=f"Acme follow-up {n:02d}")
    client.force_login(world.rep)

    response = client.get(SEARCH, {"q": "acme"})

    body = response.content.decode()
    assert f"{reverse('accounts:account_list')}?q=acme" in body
    assert len(response.context["page"].items) == 10
    more = response.context["more_url"]
    assert "section=interactions" in more
    rest = client.get(more)
    assert rest.status_code == 200
    assert rest.content.decode().count('class="timeline-item') == 3  # 13 matches, 10 shown
    assert 'class="timeline"' not in rest.content.decode()


def test_search_with_a_bad_cursor_is_a_400_fragment(client, world):
    client.force_login(world.rep)

    response = client.get(SEARCH, {"q": "acme", "section": "interactions", "cursor": "garbage"})

    assert response.status_code == 400
    assert 'data-field="cursor"' in response.content.decode()


# --- API tokens -----------------------------------------------------------------------


def test_token_is_created_and_its_key_shown_only_once(client, world):
    client.force_login(world.rep)

    created = client.post(TOKENS, {"name": "ERP sync"})
    key = created.context["new_key"]
    listed = client.get(TOKENS)

    token = ApiToken.objects.get(user=world.rep)
    assert created.status_code == 200
    assert key in created.content.decode()
    assert api_token_authenticate(key) == world.rep
    assert created["Cache-Control"].startswith("max-age=0")
    assert key not in listed.content.decode()
    assert "ERP sync" in listed.content.decode()
    assert token.prefix in listed.content.decode()


def test_token_without_a_name_is_400(client, world):
    client.force_login(world.rep)

    response = client.post(TOKENS, {"name": "  "})

    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_token_can_be_revoked(client, world):
    token, key = api_token_create(user=world.rep, name="Laptop")
    client.force_login(world.rep)

    response = client.post(reverse("web:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert response.status_code == 302
    assert token.revoked_at is not None
    assert api_token_authenticate(key) is None
    assert "Revoked" in client.get(TOKENS).content.decode()


def test_someone_elses_token_cannot_be_revoked_or_seen(client, world):
    token, key = api_token_create(user=world.manager, name="Manager's")
    client.force_login(world.rep)

    listed = client.get(TOKENS).content.decode()
    response = client.post(reverse("web:token_revoke", args=[token.pk]))
    refused_get = client.get(reverse("web:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert "Manager's" not in listed
    assert response.status_code == 404
    assert refused_get.status_code == 405
    assert token.revoked_at is None
    assert api_token_authenticate(key) == world.manager


def test_every_page_names_its_icon_and_favicon_ico_finds_it(client, world):
    client.force_login(world.rep)

    home = client.get(HOME).content.decode()
    login_page = Client().get(LOGIN).content.decode()
    icon = client.get("/favicon.ico")

    assert 'rel="icon" href="/static/web/favicon.svg"' in home
    assert 'rel="icon" href="/static/web/favicon.svg"' in login_page
    assert icon.status_code == 301
    assert icon["Location"] == "/static/web/favicon.svg"
    assert client.get(icon["Location"]).status_code == 200


def test_machine_names_read_as_words():
    from rapport.web.templatetags.web_tags import humanise

    assert humanise("organisation_address") == "Organisation address"
    assert humanise("given_name") == "Given name"
    assert humanise(None) == ""


def test_the_admin_says_it_is_rapports(client, world):
    client.force_login(world.admin)
    html = client.get("/admin/").content.decode()
    assert "<title>Records | Rapport</title>" in html
