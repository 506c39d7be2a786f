"""Work addresses, phones and people without a full name on the Identify pages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from rapport.accounts import services
from rapport.accounts.models import Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _create(client, world, **data):
    url = reverse("accounts:contact_create") + f"?account={world.acme.pk}"
    return client.post(url, {"account": world.acme_emea.pk, **data})


def test_a_contact_with_only_a_surname_is_created(client, world):
    client.force_login(world.rep)

    response = _create(client, world, last_name="Okafor", city="Hamburg", country="DE")

    contact = Contact.objects.get(last_name="Okafor")
    assert response.status_code == 302
    assert (contact.first_name, contact.city, contact.country) == ("", "Hamburg", "Germany")


def test_a_contact_with_only_an_email_is_created(client, world):
    client.force_login(world.rep)

    response = _create(client, world, email="k.jansen@acme.example")

    assert response.status_code == 302
    contact = Contact.objects.get(identities__value="k.jansen@acme.example")
    assert (contact.first_name, contact.last_name, contact.full_name) == ("", "", "(no name)")


def test_a_contact_without_name_or_email_is_an_error_on_the_last_name(client, world):
    client.force_login(world.rep)
    before = Contact.objects.count()

    response = _create(client, world, title="Buyer")

    assert response.status_code == 400
    assert response.context["form"].errors["last_name"] == [
        "Give a first name, a last name or an e-mail address."
    ]
    assert Contact.objects.count() == before


def test_an_unknown_country_is_an_error_on_its_field(client, world):
    client.force_login(world.rep)

    response = _create(client, world, last_name="Okafor", country="Atlantis")

    assert response.status_code == 400
    assert response.context["form"].errors["country"] == [
        "Unknown country 'Atlantis'; give its name or ISO code."
    ]
    assert 'name="country" value="Atlantis" list="country-names"' in response.content.decode()
    assert 'class="form-control is-invalid" aria-invalid="true"' in response.content.decode()
    assert not Contact.objects.filter(last_name="Okafor").exists()


def test_the_country_box_suggests_stored_names_and_takes_typing(client, world):
    client.force_login(world.rep)

    response = client.get(reverse("accounts:contact_create") + f"?account={world.acme.pk}")

    html = response.content.decode()
    assert '<input type="text" name="country"' in html
    assert '<datalist id="country-names">' in html
    assert '<option value="Germany">' in html
    assert html.count('<datalist id="country-names">') == 1


def test_birth_date_is_not_asked_for_by_default(client, world):
    client.force_login(world.rep)

    create = client.get(reverse("accounts:contact_create") + f"?account={world.acme.pk}")
    edit = client.get(reverse("accounts:contact_edit", args=[world.acme_cfo.pk]))
    sent = _create(client, world, last_name="Okafor", date_of_birth="1980-02-01")

    assert "date_of_birth" not in create.context["form"].fields
    assert "date_of_birth" not in edit.context["form"].fields
    assert 'name="date_of_birth"' not in create.content.decode()
    assert sent.status_code == 302
    assert Contact.objects.get(last_name="Okafor").date_of_birth is None


def test_birth_date_is_asked_for_and_kept_where_the_deployment_wants_it(client, world, settings):
    settings.RAPPORT_CONTACT_BIRTH_DATE = True
    client.force_login(world.rep)

    sent = _create(client, world, last_name="Okafor", date_of_birth="1980-02-01")
    contact = Contact.objects.get(last_name="Okafor")
    edit = client.get(reverse("accounts:contact_edit", args=[contact.pk]))
    page = client.get(reverse("accounts:contact_detail", args=[contact.pk]))

    assert sent.status_code == 302
    assert contact.date_of_birth == date(1980, 2, 1)
    assert edit.context["form"]["date_of_birth"].value() == date(1980, 2, 1)
    assert "Born 1 Feb 1980" in _text(page)


def test_contact_edit_saves_the_work_address(client, world):
    client.force_login(world.rep)
    buyer = world.acme_buyer
    url = reverse("accounts:contact_edit", args=[buyer.pk])
    data = {
        "first_name": "",
        "last_name": "Buyer",
        "account": world.acme_plant.pk,
        "status": "active",
        "street": " Elbchaussee 12 ",
        "postcode": "22763",
        "city": "Hamburg",
        "country": "Deutschland",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    buyer.refresh_from_db()
    assert (buyer.first_name, buyer.street, buyer.postcode, buyer.city, buyer.country) == (
        "",
        "Elbchaussee 12",
        "22763",
        "Hamburg",
        "Germany",
    )
    form = client.get(url).context["form"]
    assert (form["street"].value(), form["country"].value()) == ("Elbchaussee 12", "Germany")


def test_account_form_takes_the_address_and_names_a_bad_country(client, world):
    client.force_login(world.rep)
    url = reverse("accounts:account_edit", args=[world.acme.pk])
    data = {
        "name": "Acme Industries",
        "kind": "legal_entity",
        "street": "1 Canal Street",
        "postcode": "m1 3he",
        "city": "Manchester",
        "region": "Greater Manchester",
        "country": "UK",
    }

    bad = client.post(url, {**data, "country": "Narnia"})
    good = client.post(url, data)

    assert bad.status_code == 400
    assert list(bad.context["form"].errors) == ["country"]
    assert good.status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.address_lines == [
        "1 Canal Street",
        "Manchester",
        "Greater Manchester",
        "M1 3HE",
        "United Kingdom",
    ]
    page = client.get(reverse("accounts:account_detail", args=[world.acme.pk]))
    assert (
        '<address class="postal-address">1 Canal Street<br>Manchester<br>Greater Manchester'
        "<br>M1 3HE<br>United Kingdom</address>"
    ) in page.content.decode()


def _placed_surname_only(world) -> Contact:
    contact = make_contact(
        world.admin,
        world.acme_plant,
        first_name="",
        last_name="Okafor",
        street="Elbchaussee 12",
        postcode="22763",
        city="Hamburg",
        country="DE",
    )
    services.identity_add(
        actor=world.admin, contact=contact, kind="phone", value="040 1234567", is_primary=True
    )
    services.identity_add(
        actor=world.admin, contact=contact, kind="email", value="info@acme.example"
    )
    services.buying_role_set(actor=world.admin, contact=contact, role="end_user")
    return contact


def test_contact_page_shows_address_phone_and_shared_badge(client, world):
    contact = _placed_surname_only(world)
    client.force_login(world.rep)

    response = client.get(reverse("accounts:contact_detail", args=[contact.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<address class="postal-address">Elbchaussee 12<br>22763 Hamburg<br>Germany</address>'
    ) in html
    assert '<a href="tel:+49401234567" title="Call +49401234567">+49 40 1234567</a>' in html
    assert '<a href="mailto:info@acme.example">info@acme.example</a>' in html
    # the phone and the team mailbox are both shared, the personal e-mail is not
    assert html.count('title="A switchboard or team mailbox: several people may use it"') == 2
    text = _text(response)
    assert "Hamburg, Germany" in text
    assert "None" not in text
    assert "- Okafor" not in text


@pytest.mark.parametrize(
    "page",
    [
        "accounts:contact_list",
        "accounts:end_users",
        "accounts:account_detail",
        "accounts:contact_detail",
        "accounts:contact_edit",
        "accounts:contact_history",
        "accounts:contact_move",
    ],
)
def test_a_contact_without_a_first_name_has_no_stray_separators(client, world, page):
    contact = _placed_surname_only(world)
    no_name = make_contact(world.admin, world.acme_plant, first_name="", last_name="")
    services.buying_role_set(actor=world.admin, contact=no_name, role="influencer")
    client.force_login(world.admin)
    args = {
        "accounts:account_detail": [world.acme.pk],
        "accounts:contact_detail": [contact.pk],
        "accounts:contact_edit": [contact.pk],
        "accounts:contact_history": [contact.pk],
        "accounts:contact_move": [contact.pk],
    }.get(page, [])
    query = f"?account={world.acme.pk}" if not args else ""

    response = client.get(reverse(page, args=args) + query)

    text = _text(response)
    assert response.status_code == 200
    assert "None" not in text
    assert not re.search(
        r"(^|\s)[-\u2013\u2014\u00b7,] ?Okafor", text.replace("Nobody reports to Okafor", "")
    )
    if page == "accounts:contact_list":
        html = response.content.decode()  # the org chart's people are JSON in a script
        assert "Okafor" in html
        assert no_name.full_name in html
        assert not re.search(r"[-\u2013\u2014\u00b7,] ?Okafor", html)


def test_avatar_of_a_nameless_contact_is_a_question_mark(client, world):
    contact = make_contact(world.admin, world.acme_plant, first_name="", last_name="")
    client.force_login(world.rep)

    response = client.get(reverse("accounts:contact_detail", args=[contact.pk]))

    assert 'title="(no name)" aria-hidden="true">?</span>' in response.content.decode()


def test_portal_user_sees_the_work_address_of_their_own_people_only(client, world):
    contact = _placed_surname_only(world)
    greta = world.globex_cto
    services.contact_update(actor=world.admin, contact=greta, street="Ölweg 1", city="Oslo")

    client.force_login(world.portal_acme)
    own = client.get(reverse("accounts:contact_detail", args=[contact.pk]))
    other = client.get(reverse("accounts:contact_detail", args=[greta.pk]))

    assert own.status_code == 200
    assert "Elbchaussee 12" in own.content.decode()
    assert other.status_code == 404
    assert "Ölweg" not in other.content.decode()
