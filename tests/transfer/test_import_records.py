"""Importing interactions (through the timeline's ingestion), order lines and subscriptions;
probable duplicates of existing accounts and contacts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from rapport.accounts.models import Contact
from rapport.interactions.models import Interaction
from rapport.offers.models import ProductCategory
from rapport.resolution.models import DuplicatePair
from rapport.transfer.models import AccountKey, IngestionItem
from rapport.valuation.models import OrderLine, Subscription
from tests.factories import make_contact
from tests.transfer.conftest import run_import, table_counts, xlsx_bytes

pytestmark = pytest.mark.django_db


# --- interactions ---------------------------------------------------------------------


def _with_email(world):
    from rapport.accounts import services

    services.identity_add(
        actor=world.admin, contact=world.acme_buyer, kind="email", value="ben@acme.example"
    )


INTERACTIONS = (
    "Date,Type,Subject,Participants,Notes\n"
    "2025-03-04 10:00,call,Pricing call,ben@acme.example,Talked price\n"
    "2025-03-05,meeting,Site visit,ben@acme.example,\n"
    "someday,pigeon,,ben@acme.example,\n"
    "2025-03-06,email,Stranger mail,who@nowhere.example,\n"
)


def test_interactions_go_through_the_ingestion_with_row_errors_by_column(world):
    _with_email(world)
    before = Interaction.objects.count()

    run = run_import(world.rep, "interactions", INTERACTIONS, mode="good")

    assert run.mapping == ["occurred_at", "channel", "subject", "participants", "summary"]
    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [
        (4, "Date", "'someday' is not a date (use ISO 8601)."),
        (4, "Type", "Unknown channel 'pigeon'; use one of email, call, meeting, web, portal, "
         "edi, support, partner, event, training, survey."),
        (4, "Subject", "Give a subject."),
    ]  # fmt: skip
    assert (run.status, run.created, run.failed) == ("done", 2, 1)
    assert run.notes == ["1 named nobody we know and wait in the review queue."]
    assert Interaction.objects.count() == before + 2
    call = Interaction.objects.get(subject="Pricing call")
    assert (call.account, call.summary) == (world.acme_plant, "Talked price")
    assert IngestionItem.objects.filter(subject="Stranger mail").count() == 1


def test_reimporting_interactions_adds_nothing(world):
    _with_email(world)
    run_import(world.rep, "interactions", INTERACTIONS, mode="good")
    before = table_counts()

    again = run_import(world.rep, "interactions", INTERACTIONS, mode="good")

    # the two interactions and the stranger's mail waiting for review: all there already
    assert (again.created, again.unchanged) == (0, 3)
    assert {k: v for k, v in table_counts().items() if k != "transfer.IngestionRun"} == {
        k: v for k, v in before.items() if k != "transfer.IngestionRun"
    }


def test_interactions_all_or_nothing_with_a_bad_row_changes_nothing(world):
    _with_email(world)
    before = table_counts()

    run = run_import(world.rep, "interactions", INTERACTIONS, mode="all")

    assert (run.status, run.created, run.failed) == ("failed", 0, 1)
    assert table_counts() == before


def test_the_cli_still_imports_interactions_as_before(world, tmp_path):
    _with_email(world)
    path = tmp_path / "calls.csv"
    path.write_text(
        "occurred_at,channel,subject,to\n2025-03-04T10:00:00,call,CLI call,ben@acme.example\n"
    )

    call_command("import", "interactions", str(path), "--as", world.rep.email)

    assert Interaction.objects.filter(subject="CLI call").count() == 1


# --- order lines and subscriptions ---------------------------------------------------------

ORDERS = (
    "Customer,Date,Order,Item,Product line,Qty,Net,COGS,Line id\n"
    'Acme Industries,2025-01-15,SO-1,Widget,Hardware,3,"1,200.00",700,L-1\n'
    "ACME-ERP,15.02.2025,SO-2,Service hours,Services,10,950.5,,L-2\n"
    "Nope,2025-01-15,SO-3,Widget,Hardware,1,10,,L-3\n"
    "Acme Industries,tomorrow,SO-4,Widget,Hardware,0,ten,-1,L-4\n"
)


def test_order_lines_reference_accounts_by_name_or_external_id_and_create_categories(world):
    AccountKey.objects.create(account=world.acme_emea, external_id="ACME-ERP")
    ProductCategory.objects.create(name="Hardware")

    dry = run_import(world.manager, "order_lines", ORDERS, mode=None)
    assert dry.notes == ["New product categories will be created: Services."]
    assert not ProductCategory.objects.filter(name="Services").exists()

    from rapport.transfer import services

    run = services.import_confirm(actor=world.manager, run=dry, mode="good")

    assert (run.status, run.created, run.failed) == ("done", 2, 2)
    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [
        (4, "Customer", "No account named 'Nope' (or with that external id)."),
        (5, "Date", "'tomorrow' is not a date (use 2025-03-31 or 31.03.2025)."),
        (5, "Net", "'ten' is not a number."),
        (5, "COGS", "It cannot be negative."),
        (5, "Qty", "The quantity must be more than 0."),
    ]
    widget = OrderLine.objects.get(external_id="L-1")
    assert (widget.account, widget.customer, widget.revenue, widget.cost, widget.quantity) == (
        world.acme, world.acme, Decimal("1200.00"), Decimal("700.00"), Decimal("3.000"),
    )  # fmt: skip
    assert (widget.source, widget.order_ref, widget.category.name) == ("import", "SO-1", "Hardware")
    hours = OrderLine.objects.get(external_id="L-2")
    assert (hours.account, hours.customer, str(hours.ordered_on)) == (
        world.acme_emea, world.acme, "2025-02-15",
    )  # fmt: skip
    assert hours.category.name == "Services"


def test_reimporting_order_lines_adds_nothing_with_or_without_line_ids(world):
    content = "account,date,product,category,revenue\nGlobex IT,2025-01-01,Seats,Software,100\n"
    run_import(world.manager, "order_lines", ORDERS.replace("Nope", "Acme Industries"), mode="good")
    first = run_import(world.manager, "order_lines", content)
    assert first.created == 1
    before = table_counts()

    again = run_import(world.manager, "order_lines", content)
    and_again = run_import(
        world.manager, "order_lines", ORDERS.replace("Nope", "Acme Industries"), mode="good"
    )

    assert (again.created, again.unchanged) == (0, 1)
    assert (and_again.created, and_again.unchanged) == (0, 2)  # ACME-ERP names no account here
    assert table_counts() == before
    assert OrderLine.objects.get(product="Seats").external_id.startswith("order_lines:")


def test_order_lines_all_or_nothing_changes_nothing(world):
    before = table_counts()

    run = run_import(world.manager, "order_lines", ORDERS, mode="all")

    assert (run.status, run.failed) == ("failed", 3)
    assert table_counts() == before
    assert not ProductCategory.objects.exists()


def test_subscriptions_from_xlsx(world):
    content = xlsx_bytes(
        [
            ["Account", "Plan", "Category", "Start", "End", "MRR", "Billing", "Contract id"],
            [
                "Globex Corporation",
                "Support Gold",
                "Support",
                "2024-01-01",
                "2026-12-31",
                500,
                "monthly",
                "K-1",
            ],
            [
                "Globex IT",
                "Licences",
                "Software",
                "2024-06-01",
                "2024-01-01",
                1200,
                "fortnightly",
                "K-2",
            ],
        ]
    )

    run = run_import(world.manager, "subscriptions", content, filename="contracts.xlsx")

    assert (run.created, run.failed) == (1, 1)
    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [
        (3, "End", "The end is before the start."),
        (3, "Billing", "Unknown billing period 'fortnightly'; use one of month, quarter, year."),
    ]
    gold = Subscription.objects.get(external_id="K-1")
    assert (gold.account, gold.name, gold.billing_period, gold.recurring_revenue) == (
        world.globex, "Support Gold", "month", Decimal("500.00"),
    )  # fmt: skip
    again = run_import(world.manager, "subscriptions", content, filename="contracts.xlsx")
    assert (again.created, again.unchanged) == (0, 1)


# --- probable duplicates of existing records --------------------------------------------------


def _pairs(kind: str) -> set[tuple[str, str, str]]:
    """The review queue's pairs of a kind, by the two records' names and where they came from."""
    pairs = DuplicatePair.objects.filter(kind=kind)
    if kind == "contact":
        return {
            (*tuple(sorted((p.left_contact.full_name, p.right_contact.full_name))), p.source)
            for p in pairs.select_related("left_contact", "right_contact")
        }
    return {
        (*tuple(sorted((p.left_account.name, p.right_account.name))), p.source)
        for p in pairs.select_related("left_account", "right_account")
    }


def test_a_contact_like_one_we_have_is_created_flagged_and_put_up_for_review(world):
    # Same name at the same organisation, another e-mail: weak evidence, never a merge.
    run = run_import(
        world.rep,
        "contacts",
        "first,last,company,email\nCarla,Finch,Acme Industries,carla.f@other.example\n",
    )

    assert (run.created, run.updated, run.skipped, run.flagged) == (1, 0, 0, 1)
    [flag] = run.duplicates
    assert (flag["row"], flag["message"], flag["review"]) == (
        2, "Looks like a person we have.", True,
    )  # fmt: skip
    assert flag["matches"] == [
        {"id": world.acme_cfo.pk, "label": "Carla Finch", "score": 0.7,
         "reasons": ["similar name at the same organisation"]},
    ]  # fmt: skip
    assert Contact.objects.filter(first_name="Carla").count() == 2
    assert _pairs("contact") == {("Carla Finch", "Carla Finch", "import")}


def test_an_account_like_one_we_have_is_created_and_put_up_for_review(world):
    run = run_import(world.rep, "accounts", "name\nAcme Industries GmbH\n", skip_duplicates=True)

    assert (run.created, run.skipped, run.flagged) == (1, 0, 1)
    assert run.duplicates[0]["matches"][0]["id"] == world.acme.pk
    assert _pairs("account") == {("Acme Industries", "Acme Industries GmbH", "import")}


def test_a_contact_import_with_a_typo_in_the_name_is_still_flagged(world):
    make_contact(world.admin, world.globex_it, first_name="Jonathan", last_name="Smithers")

    run = run_import(world.rep, "contacts", "first,last,company\nJonathon,Smithers,Globex IT\n")

    assert (run.created, run.flagged) == (1, 1)
    assert run.duplicates[0]["matches"][0]["label"] == "Jonathan Smithers"
    assert _pairs("contact") == {("Jonathan Smithers", "Jonathon Smithers", "import")}


def test_a_rep_may_not_add_product_categories_by_import(world):
    ProductCategory.objects.create(name="Hardware")
    content = "account,date,product,category,revenue\nGlobex IT,2025-01-01,Seats,Software,100\nGlobex IT,2025-01-01,Bolts,hardware,5\n"

    run = run_import(world.rep, "order_lines", content)

    assert run.errors == [
        {"row": 2, "column": "category", "field": "category",
         "message": "No product category 'Software'; only managers and admins may add one."},
    ]  # fmt: skip
    assert run.created == 1
    assert list(ProductCategory.objects.values_list("name", flat=True)) == ["Hardware"]


def test_the_same_name_at_the_same_account_twice_in_a_file_is_flagged(world):
    content = (
        "first,last,company\nLou,Lark,Globex IT\nLou,Lark,Globex IT\nLou,Lark,Acme Industries\n"
    )

    run = run_import(world.rep, "contacts", content)

    # Two Lou Larks at Globex may be two people: both are created, the pair goes for review.
    assert (run.created, run.skipped, run.flagged) == (3, 0, 1)
    assert run.duplicates == [
        {"row": 3, "message": "Looks like the person of row 2.", "review": True,
         "matches": [{"row": 2, "label": "Lou Lark", "score": 0.7,
                      "reasons": ["similar name at the same organisation"]}]},
    ]  # fmt: skip
    assert _pairs("contact") == {("Lou Lark", "Lou Lark", "import")}
