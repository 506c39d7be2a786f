"""Importing accounts and contacts: mapping, dry run, row errors, duplicates, idempotence."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Account, BuyingRole, Contact, ContactIdentity
from rapport.core.errors import InvalidInput, PermissionDenied
from rapport.transfer import services
from rapport.transfer.models import AccountKey, ImportRun
from tests.transfer.conftest import run_import, table_counts, xlsx_bytes

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    "Account ID;Company;Parent;Kind;Industry;Website;Country;City;Owner\n"
    "C-1;Initech;;;Software;initech.example;US;Austin;{manager}\n"
    "C-2;Initech Labs;C-1;division;;;;;\n"
    "C-3;Initech Lab Austin;Initech Labs;site;;;;Austin;\n"
)


def test_accounts_with_parents_by_external_id_and_name(world):
    content = ACCOUNTS.format(manager=world.manager.email)

    run = run_import(world.rep, "accounts", content)

    assert run.status == "done"
    assert (run.created, run.updated, run.unchanged, run.failed) == (3, 0, 0, 0)
    assert run.mapping == [
        "external_id", "name", "parent", "kind", "industry", "website", "country", "city",
        "manager",
    ]  # fmt: skip
    top = Account.objects.get(name="Initech")
    labs = Account.objects.get(name="Initech Labs")
    site = Account.objects.get(name="Initech Lab Austin")
    assert (top.depth, top.manager, top.website, top.industry) == (
        1, world.manager, "initech.example", "Software",
    )  # fmt: skip
    assert Account.objects.get_parent(labs) == top
    assert labs.kind == "division"
    assert Account.objects.get_parent(site) == labs
    assert site.kind == "site"
    assert site.customer_id == top.pk
    assert set(AccountKey.objects.values_list("external_id", "account__name")) == {
        ("C-1", "Initech"), ("C-2", "Initech Labs"), ("C-3", "Initech Lab Austin"),
    }  # fmt: skip


def test_children_before_their_parents_in_the_file_still_import(world):
    content = "name,parent\nChild Unit,Parent Org\nParent Org,\n"

    run = run_import(world.rep, "accounts", content)

    assert (run.status, run.created) == ("done", 2)
    assert Account.objects.get_parent(Account.objects.get(name="Child Unit")).name == "Parent Org"


def test_reimporting_the_same_accounts_adds_nothing(world):
    content = ACCOUNTS.format(manager=world.manager.email)
    run_import(world.rep, "accounts", content)
    before = table_counts()

    again = run_import(world.rep, "accounts", content)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert table_counts() == before


def test_reimport_with_a_changed_value_updates_the_account(world):
    run_import(world.rep, "accounts", "id,name,city\nX-9,Hooli,Palo Alto\n")

    again = run_import(world.rep, "accounts", "id,name,city\nX-9,Hooli,Mountain View\n")

    assert (again.created, again.updated) == (0, 1)
    assert Account.objects.get(name="Hooli").city == "Mountain View"


def test_an_existing_account_with_the_same_name_is_updated_not_duplicated(world):
    run = run_import(world.rep, "accounts", "name,industry\nAcme Industries,Manufacturing\n")

    assert (run.created, run.updated, run.unchanged) == (0, 0, 1)
    assert Account.objects.filter(name="Acme Industries").count() == 1


BROKEN_ACCOUNTS = (
    "name,parent,kind,employees,owner\n"
    "Good One,,,10,\n"
    ",,,,\n"  # blank line: not a row
    "No Parent,Nowhere Ltd,,,\n"
    "Bad Kind,,planet,,\n"
    "Good Two,Good One,division,,\n"
    "Bad Staff,,,lots,nobody@example.com\n"
)


def test_dry_run_reports_every_bad_row_with_its_column_and_writes_nothing(world):
    before = table_counts()

    run = run_import(world.rep, "accounts", BROKEN_ACCOUNTS, mode=None)

    assert run.status == "checked"
    assert run.dry_run
    assert (run.created, run.failed) == (2, 3)
    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [
        (4, "parent", "No account named 'Nowhere Ltd' (or with that external id)."),
        (5, "kind", "Unknown kind 'planet'; use one of Legal entity, Division, Department, Site."),
        (7, "employees", "'lots' is not a whole number."),
        (7, "owner", "No colleague with the e-mail 'nobody@example.com'."),
    ]
    assert table_counts() == before


def test_all_or_nothing_with_bad_rows_fails_and_changes_nothing(world):
    before = table_counts()

    run = run_import(world.rep, "accounts", BROKEN_ACCOUNTS, mode="all")

    assert run.status == "failed"
    assert (run.created, run.failed) == (0, 3)
    assert len(run.errors) == 4
    assert table_counts() == before


def test_good_rows_only_keeps_the_good_and_reports_the_bad(world):
    run = run_import(world.rep, "accounts", BROKEN_ACCOUNTS, mode="good")

    assert run.status == "done"
    assert (run.created, run.failed) == (2, 3)
    assert Account.objects.get_parent(Account.objects.get(name="Good Two")).name == "Good One"
    assert not Account.objects.filter(name__in=["No Parent", "Bad Kind", "Bad Staff"]).exists()
    report = services.error_report(run=run).decode("utf-8-sig").splitlines()
    assert report == [
        "row,name,parent,kind,employees,owner,error",
        "4,No Parent,Nowhere Ltd,,,,parent: No account named 'Nowhere Ltd' (or with that external id).",
        "5,Bad Kind,,planet,,,\"kind: Unknown kind 'planet'; use one of Legal entity, Division, Department, Site.\"",
        "7,Bad Staff,,,lots,nobody@example.com,employees: 'lots' is not a whole number.; owner: No colleague with the e-mail 'nobody@example.com'.",
    ]


def test_every_row_is_accounted_for(world):
    run = run_import(world.rep, "accounts", BROKEN_ACCOUNTS + "Good One,,,,\n", mode="good")

    outcomes = run.created + run.updated + run.unchanged + run.skipped + run.failed
    assert outcomes == run.total == 6
    # The second "Good One" is the same name under the same parent: flagged, left out
    assert run.skipped == 1
    assert run.duplicates == [
        {"row": 8, "message": "Same name and parent as row 2.", "matches": []}
    ]


def test_a_changed_mapping_is_saved_and_used(world):
    content = "Firm,Place,Remarks\nPied Piper,Palo Alto,compression\n"
    run = services.import_upload(
        actor=world.rep, kind="accounts", filename="a.csv", content=content.encode()
    )
    assert run.mapping == ["", "", ""]

    with pytest.raises(InvalidInput) as refused:
        services.import_check(actor=world.rep, run=run)
    assert refused.value.errors == {"name": ["Choose the column that holds Name (it is required)."]}

    run = services.import_check(actor=world.rep, run=run, mapping=["name", "city", "description"])
    run = services.import_confirm(actor=world.rep, run=run, mode="all")

    assert ImportRun.objects.get(pk=run.pk).mapping == ["name", "city", "description"]
    piper = Account.objects.get(name="Pied Piper")
    assert (piper.city, piper.description) == ("Palo Alto", "compression")


def test_xlsx_accounts(world):
    content = xlsx_bytes(
        [["Name", "Employees", "Country"], ["Vandelay", 12, "US"], ["Kramerica", None, ""]]
    )

    run = run_import(world.rep, "accounts", content, filename="accounts.xlsx")

    assert (run.file_format, run.status, run.created) == ("xlsx", "done", 2)
    assert Account.objects.get(name="Vandelay").employees == 12


# --- contacts ------------------------------------------------------------------------

CONTACTS = (
    "First name,Last name,Company,Title,E-mail,E-mail 2,Phone,External id,Buying role\n"
    'Ann,Lee,Acme Industries,CTO,ann@acme.example,ann.lee@acme.example,+49 40 1234567,CRM-1,"decision maker, champion"\n'
    "Bo,Chen,Plant Hamburg,Engineer,bo@acme.example,,,CRM-2,Specifier\n"
)


def test_contacts_with_identities_and_buying_roles(world):
    run = run_import(world.rep, "contacts", CONTACTS)

    assert (run.status, run.created, run.failed) == ("done", 2, 0)
    ann = Contact.objects.get(first_name="Ann", last_name="Lee")
    assert (ann.account, ann.title) == (world.acme, "CTO")
    assert set(ann.identities.values_list("kind", "value", "is_primary")) == {
        ("email", "ann@acme.example", True),
        ("email", "ann.lee@acme.example", False),
        ("phone", "+49 40 1234567", True),
        ("external_id", "CRM-1", True),
    }
    assert set(BuyingRole.objects.filter(contact=ann).values_list("role", flat=True)) == {
        "decision_maker", "champion",
    }  # fmt: skip
    bo = Contact.objects.get(first_name="Bo")
    assert bo.account == world.acme_plant
    assert list(BuyingRole.objects.filter(contact=bo).values_list("role", flat=True)) == [
        "specifier"
    ]


def test_reimporting_contacts_adds_nothing_and_a_new_identity_updates(world):
    run_import(world.rep, "contacts", CONTACTS)
    before = table_counts()

    again = run_import(world.rep, "contacts", CONTACTS)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert table_counts() == before

    changed = run_import(
        world.rep,
        "contacts",
        "first,last,company,email,phone\nBo,Chen,Plant Hamburg,bo@acme.example,040 555 1234\n",
    )
    assert (changed.created, changed.updated) == (0, 1)
    assert ContactIdentity.objects.filter(contact__first_name="Bo", kind="phone").count() == 1


def test_contact_row_errors_name_their_columns(world):
    content = (
        "first name,last name,company,email,role\n"
        "Cy,Dunn,Nope Corp,cy@x.example,\n"
        "Di,,Acme Industries,not-an-email,wizard\n"
        "Ed,Eve,Acme Industries,ed@x.example,\n"
        ",,Acme Industries,,\n"
    )

    run = run_import(world.rep, "contacts", content, mode="good")

    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [
        (2, "company", "No account named 'Nope Corp' (or with that external id)."),
        (3, "email", "'not-an-email' is not a valid e-mail address."),
        (3, "role", "Unknown buying role 'wizard'; use one of decision_maker, approver, "
         "reviewer, specifier, influencer, end_user, purchasing, champion, blocker."),
        (5, "last name", "Give a first name, a last name or an e-mail address."),
    ]  # fmt: skip
    assert (run.created, run.failed) == (1, 3)
    assert Contact.objects.filter(first_name="Ed").exists()


def test_a_contact_with_only_a_surname_or_only_an_email_is_a_contact(world):
    content = (
        "first,last,company,email\n,Okafor,Acme Industries,\n,,Acme Industries,zed@zed.example\n"
    )

    run = run_import(world.rep, "contacts", content, mode="all")

    assert (run.status, run.created, run.failed) == ("done", 2, 0)
    assert set(Contact.objects.filter(account=world.acme).values_list(
        "first_name", "last_name", "identities__value"
    )) >= {("", "Okafor", None), ("", "", "zed@zed.example")}  # fmt: skip


def test_an_email_of_someone_at_another_organisation_is_an_error(world):
    ContactIdentity.objects.create(
        contact=world.globex_cto, customer=world.globex, kind="email", value="greta@globex.example",
        normalized="greta@globex.example",
    )  # fmt: skip

    run = run_import(
        world.rep,
        "contacts",
        "first,last,company,email\nGreta,Gold,Acme Industries,greta@globex.example\n",
    )

    assert run.errors == [
        {"row": 2, "column": "email", "field": "email",
         "message": "greta@globex.example belongs to Greta Gold at another organisation."},
    ]  # fmt: skip


def test_the_same_person_twice_in_a_file_is_flagged(world):
    content = "first,last,company,email\nFay,Fox,Acme Industries,fay@x.example\nFay,Fox,Acme Industries,FAY@x.example\n"

    run = run_import(world.rep, "contacts", content)

    assert (run.created, run.skipped) == (1, 1)
    assert run.duplicates == [
        {"row": 3, "message": "Same email as row 2 (FAY@x.example).", "matches": []}
    ]
    assert Contact.objects.filter(first_name="Fay").count() == 1


def test_flagged_duplicates_can_be_imported_anyway(world):
    content = "first,last,company,email\nFay,Fox,Acme Industries,fay@x.example\nFay,Fox,Acme Industries,FAY@x.example\n"

    run = run_import(world.rep, "contacts", content, skip_duplicates=False)

    # not skipped: the second row finds the person the first made and adds nothing new
    assert (run.created, run.unchanged, run.skipped) == (1, 1, 0)


def test_xlsx_contacts(world):
    content = xlsx_bytes(
        [
            ["Vorname", "Nachname", "Firma", "Mail"],
            ["Gil", "Grau", "Globex IT", "gil@globex.example"],
        ]
    )

    run = run_import(world.rep, "contacts", content, filename="people.xlsx")

    assert (run.status, run.created) == ("done", 1)
    assert Contact.objects.get(first_name="Gil").account == world.globex_it


# --- who may import -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["analyst", "partner_user", "portal_acme"])
def test_only_staff_who_write_may_import(world, who):
    before = table_counts()

    with pytest.raises(PermissionDenied):
        services.import_upload(
            actor=getattr(world, who), kind="accounts", filename="a.csv", content=b"name\nX\n"
        )

    assert table_counts() == before
    assert ImportRun.objects.count() == 0


def test_unreadable_file_is_refused_at_upload(world):
    with pytest.raises(InvalidInput) as refused:
        services.import_upload(
            actor=world.rep, kind="accounts", filename="a.xls", content=b"\xd0\xcf"
        )

    assert refused.value.errors == {
        "file": [".xls files cannot be read: save the sheet as .xlsx or .csv and upload that."]
    }
