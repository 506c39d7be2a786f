"""Websites are plain http(s) addresses: a javascript: link never gets in, nor out as a link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.accounts.models import Account, Partner
from rapport.core.validators import web_href

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript://%0aalert(document.domain)",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "ftp://acme.com",
]


@pytest.mark.parametrize("website", HOSTILE)
def test_the_api_refuses_a_non_web_address_naming_the_field(world, rep_api, website):
    before = Account.objects.count()

    response = rep_api.post("/accounts", {"name": "Initech", "website": website})

    assert response.status_code == 400
    assert "website" in response.json()["errors"]
    assert Account.objects.count() == before


@pytest.mark.parametrize("website", HOSTILE[:2])
def test_updating_to_a_non_web_address_changes_nothing(world, rep_api, website):
    world.acme.website = "acme.example"
    world.acme.save(update_fields=["website"])

    response = rep_api.patch(f"/accounts/{world.acme.pk}", {"website": website})

    assert response.status_code == 400
    assert "website" in response.json()["errors"]
    world.acme.refresh_from_db()
    assert world.acme.website == "acme.example"


@pytest.mark.parametrize("website", ["acme.com", "https://acme.com/about", "http://acme.com"])
def test_ordinary_addresses_are_kept_as_typed(world, rep_api, website):
    response = rep_api.post("/accounts", {"name": "Initech", "website": website})

    assert response.status_code == 201, response.json()
    assert response.json()["website"] == website


def test_the_account_form_names_the_website_field(client, world):
    client.force_login(world.rep)

    response = client.post(
        reverse("accounts:account_create"),
        {
            "name": "Initech",
            "kind": "legal_entity",
            "lifecycle_stage": "prospect",
            "website": "javascript:alert(1)",
        },
    )

    assert response.status_code == 400
    assert "http or https only" in response.content.decode()
    assert not Account.objects.filter(name="Initech").exists()


def test_a_hostile_address_stored_before_validation_is_never_a_link(client, world):
    Account.objects.filter(pk=world.acme.pk).update(website=HOSTILE[0])
    Partner.objects.filter(pk=world.partner.pk).update(website=HOSTILE[1])
    client.force_login(world.rep)

    pages = [
        client.get(reverse("accounts:account_detail", args=[world.acme.pk])),
        client.get(reverse("accounts:partner_detail", args=[world.partner.pk])),
        client.get(reverse("accounts:partner_list")),
    ]

    for page in pages:
        assert page.status_code == 200
        assert 'href="javascript' not in page.content.decode().lower()


@pytest.mark.parametrize(
    ("stored", "href"),
    [
        ("acme.com", "https://acme.com"),
        ("acme.com:8443/shop", "https://acme.com:8443/shop"),
        ("http://acme.com", "http://acme.com"),
        ("http:acme.com", None),
        ("mailto:sales@acme.com", None),
        ("https://javascript:alert(1)", None),
        ("", None),
    ],
)
def test_web_href(stored, href):
    assert web_href(stored) == href


def test_an_imported_non_web_address_is_a_bad_row_naming_the_column(world, tmp_path):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "accounts.csv"
    path.write_text("name,website\nInitech,javascript:alert(1)\nHooli,hooli.example\n")
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import", "accounts", str(path), "--as", world.admin.email, stdout=out, stderr=out
        )

    assert "row 2, website: Give a web address" in out.getvalue()
    assert not Account.objects.filter(name__in=["Initech", "Hooli"]).exists()
