"""Importing the catalog (products by SKU) and price agreements through the one pipeline,
from the CLI and the services; exporting both and importing the export again."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rapport.core import access
from rapport.core.errors import PermissionDenied
from rapport.core.models import Role
from rapport.offers import services as offer_services
from rapport.offers.models import PriceAgreement, Product, ProductCategory
from rapport.transfer import services
from rapport.transfer.forms import ImportUploadForm
from tests.factories import ProductCategoryFactory, make_laptop
from tests.transfer.conftest import run_import, table_counts, xlsx_bytes

pytestmark = pytest.mark.django_db


def _errors(run) -> list[tuple[int | None, str, str, str]]:
    return [(e["row"], e["column"], e["field"], e["message"]) for e in run.errors]


@pytest.fixture
def hardware(world):
    return ProductCategoryFactory(actor=world.admin, name="Hardware")


# --- the catalog ---------------------------------------------------------------------------


CATALOG = (
    "SKU,Name,Category,Unit,List price,Cost,Sold from,Sold until,Description\n"
    "dock-1,Docking station,Hardware,piece,189.00,120.00,2026-01-01,,USB-C dock\n"
    'CARE-3Y,Care plan 3 years,Care,licence,"1.200,50",300,01.02.2026,31.12.2028,\n'
)


def test_a_catalog_csv_through_the_cli_adds_products_and_the_new_category(
    world, hardware, tmp_path, capsys
):
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG)

    call_command("import", "catalog", str(path), "--as", world.manager.email)

    out, err = capsys.readouterr()
    assert (
        "columns: SKU→sku, Name→name, Category→category, Unit→unit, List price→list_price, "
        "Cost→cost, Sold from→active_from, Sold until→active_until, Description→description"
    ) in out
    assert "created 2, updated 0, unchanged 0" in out
    assert "note: New product categories will be created: Care." in out
    assert err == ""
    dock = Product.objects.get(sku="DOCK-1")
    assert (dock.name, dock.category, dock.unit, dock.list_price, dock.cost) == (
        "Docking station", hardware, "piece", Decimal("189.00"), Decimal("120.00")
    )  # fmt: skip
    assert (dock.active_from, dock.active_until, dock.description) == (
        date(2026, 1, 1), None, "USB-C dock"
    )  # fmt: skip
    care = Product.objects.get(sku="CARE-3Y")
    assert (care.category.name, care.list_price, care.cost) == (
        "Care", Decimal("1200.50"), Decimal("300.00")
    )  # fmt: skip
    assert (care.active_from, care.active_until) == (date(2026, 2, 1), date(2028, 12, 31))
    assert dock.history.get().history_user == world.manager


def test_a_catalog_xlsx_through_the_services(world, hardware):
    content = xlsx_bytes(
        [
            ["Article number", "Product", "Group", "List price", "Available from"],
            ["LT-15", "Laptop 15", "Hardware", 1499.5, date(2026, 3, 1)],
            ["MS-1", "Mouse", "hardware", 25, None],
        ]
    )

    run = run_import(world.manager, "catalog", content, filename="catalog.xlsx", mode="all")

    assert run.mapping == ["sku", "name", "category", "list_price", "active_from"]
    assert (run.status, run.created, run.failed, run.errors) == ("done", 2, 0, [])
    laptop = Product.objects.get(sku="LT-15")
    assert (laptop.list_price, laptop.active_from, laptop.unit) == (
        Decimal("1499.50"), date(2026, 3, 1), "piece"
    )  # fmt: skip
    assert Product.objects.get(sku="MS-1").category == hardware


def test_reimporting_the_catalog_updates_each_product_by_its_sku(world, hardware):
    run_import(world.manager, "catalog", CATALOG, mode="all")
    dock = Product.objects.get(sku="DOCK-1")
    changed = CATALOG.replace("189.00,120.00", "179.00,").replace("USB-C dock", "")

    again = run_import(world.manager, "catalog", changed, mode="all")

    # one row changes its product (an empty cell keeps the value we have), one is as it was
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 1, 1, 0)
    assert Product.objects.count() == 2
    dock.refresh_from_db()
    assert (dock.list_price, dock.cost, dock.description) == (
        Decimal("179.00"), Decimal("120.00"), "USB-C dock"
    )  # fmt: skip
    assert dock.version == 2
    assert [h.list_price for h in dock.history.order_by("history_date")] == [
        Decimal("189.00"), Decimal("179.00")
    ]  # fmt: skip


BROKEN_CATALOG = (
    "SKU,Name,Category,List price,Sold from,Sold until\n"
    "OK-1,Good product,Hardware,10,,\n"
    "NEG-1,Negative,Hardware,-5,,\n"
    "DATE-1,Bad date,Hardware,10,someday,\n"
    "WIN-1,Backwards,Hardware,10,2026-06-01,2026-01-31\n"
    ",No SKU,Hardware,10,,\n"
    "ok-1,Same SKU again,Hardware,11,,\n"
    "NEW-1,Brand new,,,,\n"
)


def test_catalog_row_errors_name_the_row_and_the_column_and_the_dry_run_writes_nothing(
    world, hardware
):
    before = table_counts()

    run = run_import(world.manager, "catalog", BROKEN_CATALOG, mode=None)

    assert _errors(run) == [
        (3, "List price", "list_price", "It cannot be negative."),
        (4, "Sold from", "active_from",
         "'someday' is not a date (use 2025-03-31 or 31.03.2025)."),
        (5, "Sold until", "active_until", "The product cannot stop being sold before it starts."),
        (6, "SKU", "sku", "Give the product's SKU."),
        (7, "SKU", "sku", "Row 2 has the same SKU."),
        (8, "Category", "category", "Give the new product's category."),
        (8, "List price", "list_price", "Give the new product's list price."),
    ]  # fmt: skip
    assert (run.status, run.created, run.failed) == ("checked", 1, 6)
    assert table_counts() == before


def test_a_window_in_the_wrong_order_counts_the_dates_we_have(world, hardware):
    run_import(world.manager, "catalog", "SKU,Name,Category,List price,Sold from\n"
               "DOCK-1,Dock,Hardware,10,2026-06-01\n", mode="all")  # fmt: skip

    run = run_import(world.manager, "catalog", "SKU,Sold until\nDOCK-1,2026-01-31\n", mode="good",
                     mapping=["sku", "active_until"])  # fmt: skip

    assert _errors(run) == [
        (2, "Sold until", "active_until", "The product cannot stop being sold before it starts.")
    ]
    assert Product.objects.get(sku="DOCK-1").active_until is None


def test_only_those_who_judge_value_add_a_category(world, hardware, monkeypatch):
    # Given a role that may change the catalog but not judge value (none does today)
    monkeypatch.setitem(
        access.ROLE_CAPABILITIES,
        Role.MANAGER,
        access.ROLE_CAPABILITIES[Role.MANAGER] - {access.Capability.JUDGE_VALUE},
    )

    run = run_import(world.manager, "catalog", CATALOG, mode="good")

    assert _errors(run) == [
        (3, "Category", "category",
         "No product category 'Care'; only managers and admins may add one."),
    ]  # fmt: skip
    assert (run.created, run.notes) == (1, [])
    assert not ProductCategory.objects.filter(name="Care").exists()


def test_a_rep_may_not_import_the_catalog_or_prices(world):
    for kind in ("catalog", "prices"):
        with pytest.raises(PermissionDenied):
            services.import_upload(
                actor=world.rep, kind=kind, filename="x.csv", content=b"SKU\nA\n"
            )

    offered = [k for k, _ in ImportUploadForm(user=world.rep).fields["kind"].choices]
    assert "catalog" not in offered
    assert "prices" not in offered
    assert {"catalog", "prices"} <= {
        k for k, _ in ImportUploadForm(user=world.manager).fields["kind"].choices
    }


# --- price agreements ---------------------------------------------------------------------


@pytest.fixture
def catalog(world, hardware):
    care = ProductCategoryFactory(actor=world.admin, name="Care")
    laptop = make_laptop(world, hardware)
    plan = offer_services.product_create(
        actor=world.manager, sku="care-3y", name="Care plan 3 years", category=care,
        list_price=Decimal(200), cost=Decimal(50),
    )  # fmt: skip
    # Globex may buy care plans only
    offer_services.catalog_entry_add(actor=world.manager, account=world.globex, category=care)
    return {"laptop": laptop, "plan": plan}


PRICES = (
    "Account,SKU,Kind,Value,Volume breaks,Currency,Valid from,Valid until,Note\n"
    "Acme Industries,LT-14,discount,10,50:12; 200:20,EUR,2026-01-01,2026-12-31,Framework 2026\n"
    "Acme EMEA,lt-14,Fixed price per unit,850,,,2026-01-01,,\n"
    "Globex Corporation,CARE-3Y,fixed,180,,eur,2026-02-01,,\n"
)


def test_price_agreements_through_the_cli(world, catalog, tmp_path, capsys):
    path = tmp_path / "prices.csv"
    path.write_text(PRICES)

    call_command("import", "prices", str(path), "--as", world.manager.email)

    out, err = capsys.readouterr()
    assert "created 3, updated 0, unchanged 0, flagged for review 0" in out
    assert "bad rows 0" in out
    assert err == ""
    acme = PriceAgreement.objects.get(account=world.acme)
    assert (acme.kind, acme.value, acme.breaks, acme.currency) == (
        "discount", Decimal("10.00"), [["50.00", "12.00"], ["200.00", "20.00"]], "EUR"
    )  # fmt: skip
    assert (acme.valid_from, acme.valid_until, acme.note, acme.agreed_by) == (
        date(2026, 1, 1), date(2026, 12, 31), "Framework 2026", world.manager
    )  # fmt: skip
    emea = PriceAgreement.objects.get(account=world.acme_emea)
    assert (emea.kind, emea.value, emea.valid_until, emea.customer) == (
        "fixed", Decimal("850.00"), None, world.acme
    )  # fmt: skip
    assert PriceAgreement.objects.get(account=world.globex).product == catalog["plan"]


def test_price_rows_break_the_services_rules_by_row_and_column(world, catalog):
    offer_services.price_agreement_create(
        actor=world.manager, account=world.acme_plant, product=catalog["plan"], kind="fixed",
        value="150", valid_from=date(2026, 1, 1),
    )  # fmt: skip
    content = (
        "Account,SKU,Kind,Value,Breaks,Currency,Valid from,Valid until\n"
        "Acme Industries,LT-14,discount,10,,,2026-01-01,2026-06-30\n"  # good
        "Acme Industries,LT-14,discount,12,,,2026-06-01,2026-12-31\n"  # overlaps row 2
        "Acme Industries,LT-14,discount,15,,,2026-07-01,\n"  # good: after row 2
        "Acme Industries,CARE-3Y,fixed,190,,USD,2026-01-01,\n"  # another currency
        "Globex Corporation,LT-14,fixed,900,,,2026-01-01,\n"  # not on Globex's catalog
        "Plant Hamburg,CARE-3Y,fixed,140,,,2026-03-01,\n"  # overlaps what Plant Hamburg has
        "Acme Industries,CARE-3Y,discount,120,,,2026-01-01,\n"  # over 100% (row 5 blocks not)
        "Nobody Ltd,NOPE,cheap,ten,50-12,,soon,\n"  # nothing right
        "Acme Industries,CARE-3Y,fixed,180,1:150,,2027-01-01,2026-01-01\n"  # ends before start
    )
    before = table_counts()

    dry = run_import(world.manager, "prices", content, mode=None)

    acme_laptop = "Laptop 14 for Acme Industries from 2026-01-01 to 2026-06-30"
    expected = [
        (3, "Valid from", "valid_from", f"Row 2 prices {acme_laptop}: the dates overlap."),
        (5, "Currency", "currency",
         "The catalog's prices are in EUR: an agreement in USD cannot be applied to them."),
        (6, "SKU", "sku", "Laptop 14 is not on Globex Corporation's catalog: add it first."),
        (7, "Valid from", "valid_from", (
            f"Agreement #{PriceAgreement.objects.get().pk} already prices Care plan 3 years for "
            "Plant Hamburg from 2026-01-01 to open-ended: end it first, or choose dates that do "
            "not overlap.")),
        (8, "Value", "value", "A discount is at most 100%."),
        (9, "Account", "account", "No account named 'Nobody Ltd' (or with that external id)."),
        (9, "SKU", "sku", "No product with the SKU 'NOPE' in the catalog."),
        (9, "Kind", "kind", "Unknown kind 'cheap'; use fixed or discount."),
        (9, "Value", "value", "'ten' is not a number."),
        (9, "Breaks", "breaks",
         "'50-12': write each break as quantity:value, separated by ';' (50:12; 200:20)."),
        (9, "Valid from", "valid_from", "'soon' is not a date (use 2025-03-31 or 31.03.2025)."),
        (10, "Breaks", "breaks", "A break starts above one unit."),
    ]  # fmt: skip
    assert _errors(dry) == expected
    assert (dry.status, dry.created, dry.failed) == ("checked", 2, 7)
    assert table_counts() == before

    # All or nothing: nothing; the good rows only: those two, each whole
    failed = services.import_confirm(actor=world.manager, run=dry, mode="all")
    assert (failed.status, failed.created) == ("failed", 0)
    assert table_counts() == before
    good = run_import(world.manager, "prices", content, mode="good")
    assert (good.status, good.created, good.failed) == ("done", 2, 7)
    assert _errors(good) == expected
    assert sorted(
        (a.valid_from, a.value) for a in PriceAgreement.objects.filter(account=world.acme)
    ) == [(date(2026, 1, 1), Decimal("10.00")), (date(2026, 7, 1), Decimal("15.00"))]


def test_a_price_row_of_the_same_day_changes_that_agreement(world, catalog):
    run_import(world.manager, "prices", PRICES, mode="all")
    agreement = PriceAgreement.objects.get(account=world.acme)
    changed = PRICES.replace("discount,10,50:12; 200:20", "discount,11,50:13")

    again = run_import(world.manager, "prices", changed, mode="all")

    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 1, 2, 0)
    assert PriceAgreement.objects.count() == 3
    agreement.refresh_from_db()
    assert (agreement.value, agreement.breaks, agreement.version) == (
        Decimal("11.00"), [["50.00", "13.00"]], 2
    )  # fmt: skip
    assert agreement.history.count() == 2


# --- export, and the export imported again ---------------------------------------------------


def _download(user, url: str) -> bytes:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_catalog_and_prices_exported_import_again_as_they_were(world, catalog):
    run_import(world.manager, "prices", PRICES, mode="all")

    products = _download(world.manager, "/export/catalog/?format=csv")
    prices = _download(world.manager, "/export/prices/?format=xlsx")
    before = table_counts()

    rows = list(csv.reader(io.StringIO(products.decode("utf-8-sig"))))
    assert rows == [
        ["sku", "name", "category", "unit", "list price", "cost", "active from", "active until",
         "description"],
        ["CARE-3Y", "Care plan 3 years", "Care", "piece", "200.00", "50.00", "", "", ""],
        ["LT-14", "Laptop 14", "Hardware", "piece", "1000.00", "700.00", "", "", ""],
    ]  # fmt: skip
    again = run_import(world.manager, "catalog", products, filename="catalog.csv", mode="all")
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 2, 0)
    assert again.mapping == [
        "sku", "name", "category", "unit", "list_price", "cost", "active_from", "active_until",
        "description",
    ]  # fmt: skip
    again = run_import(world.manager, "prices", prices, filename="prices.xlsx", mode="all")
    assert again.mapping == [
        "account", "sku", "", "kind", "value", "breaks", "currency", "valid_from",
        "valid_until", "note",
    ]  # fmt: skip
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 3, 0)
    assert table_counts() == before


def test_an_export_imported_where_its_records_are_missing_makes_them_again(world, catalog):
    run_import(world.manager, "prices", PRICES, mode="all")
    products = _download(world.manager, "/export/catalog/?format=xlsx")
    prices = _download(world.manager, f"/export/prices/?format=csv&account={world.acme.pk}")
    assert len(prices.decode("utf-8-sig").splitlines()) == 1 + 2  # Acme's and its division's
    # Given the agreements gone and the products under other SKUs (a database without them)
    PriceAgreement.objects.all().delete()
    for pk in Product.objects.values_list("pk", flat=True):
        Product.objects.filter(pk=pk).update(sku=f"OLD-{pk}")
    renamed = list(Product.objects.values_list("sku", flat=True))

    made = run_import(world.manager, "catalog", products, filename="catalog.xlsx", mode="all")
    agreed = run_import(world.manager, "prices", prices, filename="prices.csv", mode="all")

    assert (made.created, agreed.created) == (2, 2)
    laptop = Product.objects.get(sku="LT-14")
    assert laptop.sku not in renamed
    assert laptop.cost == Decimal("700.00")
    emea = PriceAgreement.objects.get(account=world.acme_emea)
    assert (emea.product, emea.kind, emea.value) == (laptop, "fixed", Decimal("850.00"))
    acme = PriceAgreement.objects.get(account=world.acme)
    assert acme.break_list() == [(Decimal(50), Decimal(12)), (Decimal(200), Decimal(20))]


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("portal_acme", "/export/catalog/", 404),
        ("rep", "/export/prices/?account=nope", 400),
        ("rep", "/export/prices/?account=999999", 400),
    ],
)
def test_the_catalog_export_is_our_staffs_and_bad_filters_are_4xx(world, who, url, status):
    client = Client()
    client.force_login(getattr(world, who))

    assert client.get(url).status_code == status


def test_a_customer_exports_only_its_own_prices(world, catalog):
    run_import(world.manager, "prices", PRICES, mode="all")

    acme = _download(world.portal_acme, "/export/prices/").decode("utf-8-sig").splitlines()
    globex = _download(world.portal_globex, "/export/prices/").decode("utf-8-sig").splitlines()

    assert [row.split(",")[0] for row in acme[1:]] == ["Acme Industries", "Acme EMEA"]
    assert [row.split(",")[0] for row in globex[1:]] == ["Globex Corporation"]


def test_a_dry_run_from_the_cli_of_bad_prices_fails_and_writes_nothing(world, catalog, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(PRICES.replace("EUR,2026-01-01", "GBP,2026-01-01"))
    before = table_counts()

    with pytest.raises(CommandError, match="1 bad rows: an all-or-nothing import would write"):
        call_command("import", "prices", str(path), "--dry-run")

    assert table_counts() == before


def test_the_catalog_page_exports_and_imports_and_the_import_page_offers_the_kinds(world):
    manager, rep = Client(), Client()
    manager.force_login(world.manager)
    rep.force_login(world.rep)

    catalog = manager.get("/catalog/").content.decode()
    offered = manager.get("/import/?kind=catalog").content.decode()
    offered_to_rep = rep.get("/import/").content.decode()

    assert 'data-export="catalog"' in catalog
    assert 'href="/import/?kind=catalog"' in catalog
    assert '<option value="catalog" selected>Catalog (products)</option>' in offered
    assert '<option value="prices">Price agreements</option>' in offered
    assert 'value="catalog"' not in offered_to_rep
    assert 'value="prices"' not in offered_to_rep
    assert 'data-export="catalog"' in rep.get("/catalog/").content.decode()
    assert 'href="/import/?kind=catalog"' not in rep.get("/catalog/").content.decode()
