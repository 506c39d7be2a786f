"""Export of the lists: CSV streamed and XLSX, the page's filters, and only what the user sees."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from rapport.accounts import services
from rapport.accounts.models import Contact
from rapport.offers.models import ProductCategory
from rapport.valuation.models import OrderLine
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def _get(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_accounts_as_csv_stream_with_the_list_filters(world):
    response = _get(world.rep, "/export/accounts/?format=csv&q=acme")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="accounts-')
    rows = _csv(response)
    assert rows[0][:4] == ["id", "name", "kind", "organisation"]
    assert [row[1] for row in rows[1:]] == ["Acme Industries"]


def test_accounts_export_walks_every_page(world):
    for number in range(205):
        make_account(world.admin, f"Bulk {number:03d}")

    rows = _csv(_get(world.rep, "/export/accounts/?q=bulk"))

    assert len(rows) == 1 + 205
    assert rows[1][1] == "Bulk 000"
    assert rows[-1][1] == "Bulk 204"


def test_contacts_as_xlsx(world):
    response = _get(world.rep, f"/export/contacts/?format=xlsx&account={world.acme.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "first name", "last name")
    assert sorted(row[2] for row in rows[1:]) == ["Buyer", "Finch"]
    roles = rows[0].index("buying roles")
    assert {row[roles] for row in rows[1:]} == {"Decision maker", "Purchasing / gatekeeper"}


def _contact_rows(user, url: str) -> list[dict[str, str]]:
    rows = _csv(_get(user, url))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_contacts_export_carries_the_work_address_and_phone(world):
    services.contact_update(
        actor=world.admin,
        contact=world.acme_buyer,
        first_name="",
        street="Elbchaussee 12",
        postcode="22763",
        city="Hamburg",
        region="",
        country="DE",
    )
    services.identity_add(
        actor=world.admin, contact=world.acme_buyer, kind="phone", value="040 1234567"
    )

    rows = _contact_rows(world.rep, "/export/contacts/?format=csv&q=buyer")

    assert list(rows[0]) == [
        "id", "first name", "last name", "title", "account", "organisation", "status",
        "e-mail", "phone", "street", "postcode", "city", "region", "country",
        "buying roles", "last engaged",
    ]  # fmt: skip
    buyer = rows[0]
    # E.164, with the quote that keeps a spreadsheet from reading "+49…" as a formula
    assert (buyer["first name"], buyer["last name"], buyer["phone"]) == (
        "",
        "Buyer",
        "'+49401234567",
    )
    assert [buyer[k] for k in ("street", "postcode", "city", "region", "country")] == [
        "Elbchaussee 12",
        "22763",
        "Hamburg",
        "",
        "Germany",
    ]


def test_contacts_export_carries_the_birth_date_only_where_kept(world, settings):
    Contact.objects.filter(pk=world.acme_cfo.pk).update(date_of_birth=date(1980, 2, 1))

    without = _contact_rows(world.rep, "/export/contacts/?q=finch")
    settings.RAPPORT_CONTACT_BIRTH_DATE = True
    with_it = _contact_rows(world.rep, "/export/contacts/?q=finch")

    assert "date of birth" not in without[0]
    assert "1980-02-01" not in without[0].values()
    assert with_it[0]["date of birth"] == "1980-02-01"


def test_accounts_export_carries_the_address(world):
    services.account_update(
        actor=world.admin,
        account=world.acme,
        street="1 Canal Street",
        postcode="m1 3he",
        city="Manchester",
        region="Greater Manchester",
        country="GB",
    )

    rows = _csv(_get(world.rep, "/export/accounts/?q=acme"))

    acme = dict(zip(rows[0], rows[1], strict=True))
    assert [acme[k] for k in ("street", "postcode", "city", "region", "country")] == [
        "1 Canal Street",
        "M1 3HE",
        "Manchester",
        "Greater Manchester",
        "United Kingdom",
    ]


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("rep", ["Acme Industries", "Globex Corporation"]),
        ("portal_acme", ["Acme EMEA", "Acme Industries", "Plant Hamburg"]),
        ("portal_globex", ["Globex Corporation", "Globex IT"]),
        ("partner_user", ["Acme EMEA", "Acme Industries", "Plant Hamburg"]),
    ],
)
def test_an_export_holds_only_what_the_user_may_see(world, who, names):
    rows = _csv(_get(getattr(world, who), "/export/accounts/"))

    assert sorted(row[1] for row in rows[1:]) == names


@pytest.mark.parametrize("who", ["portal_acme", "partner_user"])
def test_timeline_and_contacts_exports_are_scoped(world, who):
    user = getattr(world, who)

    timeline = _csv(_get(user, "/export/interactions/"))
    contacts = _csv(_get(user, "/export/contacts/"))

    assert [row[4] for row in timeline[1:]] == ["Acme site survey"]
    assert sorted(row[2] for row in contacts[1:]) == ["Buyer", "Finch"]


def test_timeline_export_honours_channel_filter(world):
    rows = _csv(_get(world.rep, "/export/interactions/?channel=email"))

    assert [(row[2], row[4]) for row in rows[1:]] == [("E-mail", "Globex renewal terms")]


def test_partners_and_end_users(world):
    partners = _csv(_get(world.partner_user, "/export/partners/"))
    end_users = _csv(_get(world.rep, "/export/end-users/"))

    assert [row[1] for row in partners[1:]] == ["Northwind Systems"]
    assert end_users[1:] == []


def test_order_lines_hide_our_costs_from_a_customer(world):
    category = ProductCategory.objects.create(name="Hardware")
    OrderLine.objects.create(
        customer=world.acme, account=world.acme_plant, ordered_on=date(2025, 1, 2), product="Pump",
        category=category, revenue=Decimal("100.00"), cost=Decimal("60.00"),
    )  # fmt: skip
    OrderLine.objects.create(
        customer=world.globex, account=world.globex, ordered_on=date(2025, 1, 3), product="Valve",
        category=category, revenue=Decimal("50.00"),
    )  # fmt: skip

    staff = _csv(_get(world.rep, "/export/order-lines/"))
    portal = _csv(_get(world.portal_acme, "/export/order-lines/"))

    assert [(row[4], row[8]) for row in staff[1:]] == [("Valve", "0.00"), ("Pump", "60.00")]
    assert [(row[4], row[7], row[8]) for row in portal[1:]] == [("Pump", "100.00", "")]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/export/nothing/", 404),
        ("/export/accounts/?format=pdf", 400),
        ("/export/accounts/?stage=sleeping", 400),
        ("/export/contacts/?account=999999", 400),
    ],
)
def test_bad_exports_are_4xx_not_broken_streams(world, url, status):
    assert _get(world.rep, url).status_code == status


def test_anonymous_export_is_sent_to_sign_in(world):
    response = Client().get("/export/accounts/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_export_command_writes_csv_and_xlsx(world, tmp_path, capsys):
    csv_path = tmp_path / "accounts.csv"
    xlsx_path = tmp_path / "contacts.xlsx"

    call_command("export", "accounts", "-o", str(csv_path), "--filter", "q=globex")
    call_command("export", "contacts", "-o", str(xlsx_path), "--as", world.portal_acme.email)

    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Globex Corporation"]
    sheet = load_workbook(xlsx_path, read_only=True).worksheets[0]
    assert sorted(r[2] for r in list(sheet.iter_rows(values_only=True))[1:]) == ["Buyer", "Finch"]
    assert "1 accounts written to" in capsys.readouterr().err
