"""Issue 11 on import: weak evidence never merges people, the new columns, and bulk speed
(queries that do not grow with the rows, progress in rows per second)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from rapport.accounts.models import Account, Contact, ContactIdentity, Employment
from rapport.resolution.models import DuplicatePair
from rapport.transfer.models import ImportRun
from tests.factories import make_contact
from tests.transfer.conftest import run_import, table_counts

pytestmark = pytest.mark.django_db


def _contact_pairs() -> set[tuple[str, str, str]]:
    return {
        (*sorted((p.left_contact.full_name, p.right_contact.full_name)), p.source)
        for p in DuplicatePair.objects.filter(kind="contact").select_related(
            "left_contact", "right_contact"
        )
    }


def _with_identity(world, contact, kind: str, value: str) -> None:
    from rapport.accounts import services

    services.identity_add(actor=world.admin, contact=contact, kind=kind, value=value)


# --- weak evidence: created and flagged, never merged ------------------------------------


@pytest.mark.parametrize(
    ("company", "where"), [("Globex IT", "another company"), ("Acme Industries", "same company")]
)
def test_two_people_sharing_a_phone_both_exist_flagged(world, company, where):
    # Given Carla Finch at Acme with the switchboard number
    _with_identity(world, world.acme_cfo, "phone", "+49 40 1234 5000")

    # When a file brings someone else who gives the same number
    run = run_import(
        world.rep, "contacts", f"first,last,company,phone\nOtto,Brandt,{company},+49 40 12345000\n"
    )

    # Then both people exist, and the new one is flagged and put up for review with Carla
    assert (run.status, run.created, run.updated, run.flagged) == ("done", 1, 0, 1), where
    otto = Contact.objects.get(first_name="Otto")
    carla = Contact.objects.get(pk=world.acme_cfo.pk)
    assert (carla.first_name, carla.last_name) == ("Carla", "Finch")
    assert run.duplicates[0]["matches"] == [
        {"id": carla.pk, "label": "Carla Finch", "score": 0.7,
         "reasons": ["same phone +49 40 12345000"]},
    ]  # fmt: skip
    assert _contact_pairs() == {("Carla Finch", "Otto Brandt", "import")}
    # the number is held by both, as a shared identity
    assert set(
        ContactIdentity.objects.filter(kind="phone").values_list("contact_id", "normalized")
    ) == {(carla.pk, "+494012345000"), (otto.pk, "+494012345000")}


def test_two_rows_sharing_a_phone_in_one_file_both_exist_flagged(world):
    content = (
        "first,last,company,phone\n"
        "Otto,Brandt,Acme Industries,+49 40 12345000\n"
        "Ute,Lenz,Globex IT,+49 (40) 1234-5000\n"
    )

    run = run_import(world.rep, "contacts", content)

    assert (run.created, run.flagged, run.skipped) == (2, 1, 0)
    assert run.duplicates[0]["message"] == "Looks like the person of row 2."
    assert _contact_pairs() == {("Otto Brandt", "Ute Lenz", "import")}


def test_a_shared_mailbox_never_merges_two_people(world):
    _with_identity(world, world.acme_cfo, "email", "info@acme.example")

    run = run_import(
        world.rep,
        "contacts",
        "first,last,company,email\nOtto,Brandt,Acme Industries,Info@Acme.example\n",
    )

    assert (run.created, run.updated, run.flagged) == (1, 0, 1)
    assert run.duplicates[0]["matches"][0]["reasons"] == ["same team mailbox Info@Acme.example"]
    assert Contact.objects.get(pk=world.acme_cfo.pk).first_name == "Carla"
    assert _contact_pairs() == {("Carla Finch", "Otto Brandt", "import")}


@pytest.mark.parametrize(
    ("column", "kind", "value"),
    [("email", "email", "carla@acme.example"), ("external id", "external_id", "CRM-77")],
)
def test_a_personal_email_or_external_id_matches_the_person_we_have(world, column, kind, value):
    _with_identity(world, world.acme_cfo, kind, value)
    before = Contact.objects.count()

    run = run_import(
        world.rep,
        "contacts",
        f"first,last,company,{column},title\nCarla,Finch,Acme Industries,{value},CEO\n",
    )

    assert (run.created, run.updated, run.flagged, run.duplicates) == (0, 1, 0, [])
    assert Contact.objects.count() == before
    assert Contact.objects.get(pk=world.acme_cfo.pk).title == "CEO"
    assert DuplicatePair.objects.count() == 0


# --- the new columns ----------------------------------------------------------------------


def test_crm_export_headers_map_to_the_address_and_phones(world):
    content = (
        "First Name,Last Name,Account Name,Mobile Phone,Mailing Street,Mailing City,"
        "Mailing Zip/Postal Code,Mailing State/Province,Mailing Country\n"
        "Ida,Roth,Acme Industries,0170 1234567,Hafenstr. 1,Hamburg,20459,HH,Deutschland\n"
    )

    run = run_import(world.rep, "contacts", content)

    assert run.mapping == [
        "first_name", "last_name", "account", "phone", "street", "city", "postcode", "region",
        "country",
    ]  # fmt: skip
    ida = Contact.objects.get(first_name="Ida")
    assert (ida.street, ida.city, ida.postcode, ida.region, ida.country) == (
        "Hafenstr. 1", "Hamburg", "20459", "HH", "Germany",
    )  # fmt: skip
    # a number without a country code is read in the contact's country
    assert list(ida.identities.values_list("value", "normalized", "shared")) == [
        ("0170 1234567", "+491701234567", True)
    ]
    assert Employment.objects.filter(contact=ida, account=world.acme).count() == 1
    assert ida.history.get().history_user == world.rep


def test_account_columns_for_the_billing_address(world):
    content = (
        "Account Name,Billing Street,Billing City,Billing Zip/Postal Code,"
        "Billing State/Province,Billing Country\n"
        "Umbrella Ltd,1 Long Lane,Leeds,ls1 4ap,West Yorkshire,UK\n"
    )

    run = run_import(world.rep, "accounts", content)

    assert (run.status, run.created) == ("done", 1)
    umbrella = Account.objects.get(name="Umbrella Ltd")
    assert (umbrella.street, umbrella.city, umbrella.postcode, umbrella.region) == (
        "1 Long Lane", "Leeds", "LS1 4AP", "West Yorkshire",
    )  # fmt: skip
    assert (umbrella.country, umbrella.customer_id, umbrella.depth) == (
        "United Kingdom", umbrella.pk, 1,
    )  # fmt: skip
    assert umbrella.history.get().history_user == world.rep


def test_a_date_of_birth_is_refused_unless_the_deployment_keeps_it(world, settings):
    content = "first,last,company,date of birth\nIda,Roth,Acme Industries,1980-03-31\n"

    settings.RAPPORT_CONTACT_BIRTH_DATE = False
    refused = run_import(world.rep, "contacts", content, mode="all")
    settings.RAPPORT_CONTACT_BIRTH_DATE = True
    kept = run_import(world.rep, "contacts", content, mode="all")

    assert refused.errors == [
        {"row": 2, "column": "date of birth", "field": "date_of_birth",
         "message": "This deployment does not keep dates of birth (RAPPORT_CONTACT_BIRTH_DATE)."},
    ]  # fmt: skip
    assert (kept.status, kept.created) == ("done", 1)
    assert Contact.objects.get(first_name="Ida").date_of_birth == date(1980, 3, 31)


def test_units_may_name_a_parent_by_an_external_id_later_in_the_file(world):
    content = "id,name,parent\nU-1,Plant North,O-1\nO-1,Northwind,\nU-2,Plant South,O-1\n"

    run = run_import(world.rep, "accounts", content)

    assert (run.status, run.created) == ("done", 3)
    northwind = Account.objects.get(name="Northwind")
    assert northwind.numchild == 2
    assert sorted(a.name for a in Account.objects.get_children(northwind)) == [
        "Plant North",
        "Plant South",
    ]
    assert {a.customer_id for a in Account.objects.get_descendants(northwind)} == {northwind.pk}


def test_units_under_an_account_we_have_extend_its_tree(world):
    before = Account.objects.get(pk=world.acme.pk).numchild

    run = run_import(world.rep, "accounts", "name,parent\nAcme West,Acme Industries\n")

    world.acme.refresh_from_db()
    assert (run.created, world.acme.numchild) == (1, before + 1)
    assert Account.objects.get_children(world.acme).count() == before + 1
    west = Account.objects.get(name="Acme West")
    assert (Account.objects.get_parent(west), west.customer_id) == (world.acme, world.acme.pk)


# --- all or nothing, dry run --------------------------------------------------------------


def test_a_dry_run_writes_nothing(world):
    before = table_counts()
    content = (
        "first,last,company,phone,email,role\n"
        "Otto,Brandt,Acme Industries,+49 40 12345000,o@x.example,champion\n"
    )

    run = run_import(world.rep, "contacts", content, mode=None)

    assert (run.status, run.created, run.flagged) == ("checked", 1, 0)
    assert table_counts() == before


def test_a_bad_row_anywhere_writes_nothing(world):
    before = table_counts()
    rows = "".join(f"P{n},Q{n},Acme Industries,p{n}@x.example\n" for n in range(120))
    content = "first,last,company,email\n" + rows + "Bad,Row,Nope Corp,bad@x.example\n"

    run = run_import(world.rep, "contacts", content, mode="all")

    assert (run.status, run.created, run.failed) == ("failed", 0, 1)
    assert run.errors[0]["row"] == 122
    assert table_counts() == before


# --- bulk: queries do not grow with the rows; progress in rows per second ------------------


def _people_file(count: int) -> str:
    rows = "".join(
        f"P{n},Q{n},Acme Industries,p{n}@x.example,+49 40 1234{n:04d},Buyer,champion\n"
        for n in range(count)
    )
    return "first,last,company,email,phone,title,role\n" + rows


def _queries_of_import(world, content: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run = run_import(world.rep, "contacts", content)
    assert run.status == "done"
    return len(queries)


def test_import_queries_do_not_grow_with_the_rows(world, django_assert_max_num_queries):
    small = _queries_of_import(world, _people_file(50))
    Contact.objects.filter(first_name__startswith="P").delete()

    with django_assert_max_num_queries(small):
        run = run_import(world.rep, "contacts", _people_file(500).replace("x.example", "y.example"))

    assert (run.created, run.failed) == (500, 0)


def test_the_cli_reports_rows_per_second(world, tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text(_people_file(30))

    call_command("import", "contacts", str(path), "--as", world.rep.email)

    out = capsys.readouterr().out
    assert "dry run: 30 rows in " in out
    assert "import: 30 rows in " in out
    assert out.count(" rows/s") == 2
    run = ImportRun.objects.get()
    assert (run.created, run.rows_per_second is not None) == (30, True)


def test_a_contact_we_have_is_updated_in_bulk_with_history(world):
    make_contact(world.admin, world.globex_it, first_name="Gil", last_name="Grau")
    gil = Contact.objects.get(first_name="Gil")
    _with_identity(world, gil, "external_id", "G-1")

    run = run_import(
        world.rep, "contacts", "first,last,company,id,city\nGil,Grau,Globex IT,G-1,Bonn\n"
    )

    gil.refresh_from_db()
    assert (run.updated, gil.city) == (1, "Bonn")
    latest = gil.history.order_by("-history_date", "-history_id").first()
    assert (latest.history_type, latest.history_user, latest.city) == ("~", world.rep, "Bonn")
