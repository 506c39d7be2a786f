"""The catalog and price agreements through the import API: the kinds offers hands down."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rapport.offers.models import PriceAgreement
from tests.api.conftest import BASE
from tests.factories import ProductCategoryFactory, make_laptop

pytestmark = pytest.mark.django_db

PRICES = (
    "Account,SKU,Kind,Value,Valid from,Valid until\n"
    "Acme Industries,LT-14,discount,10,2026-01-01,2026-12-31\n"
    "Acme Industries,LT-14,fixed,900,2026-06-01,\n"
)


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path


def _upload(api, kind: str, content: str):
    return api.client.post(
        f"{BASE}/imports", {"file": SimpleUploadedFile("f.csv", content.encode()), "kind": kind}
    )


def test_prices_upload_dry_run_and_good_rows_by_api(world, api_as):
    make_laptop(world, ProductCategoryFactory(actor=world.admin, name="Hardware"))
    api = api_as(world.manager)

    uploaded = _upload(api, "prices", PRICES)
    assert uploaded.status_code == 201, uploaded.json()
    run = uploaded.json()
    assert run["mapping"] == ["account", "sku", "kind", "value", "valid_from", "valid_until"]
    checked = api.post(f"/imports/{run['id']}/check", {}).json()
    assert (checked["status"], checked["created"], checked["failed"]) == ("checked", 1, 1)
    assert checked["errors"] == [
        {"row": 3, "column": "Valid from", "field": "valid_from",
         "message": "Row 2 prices Laptop 14 for Acme Industries from 2026-01-01 to 2026-12-31: "
         "the dates overlap."},
    ]  # fmt: skip
    assert not PriceAgreement.objects.exists()

    done = api.post(f"/imports/{run['id']}/confirm", {"mode": "good"}).json()

    assert (done["status"], done["created"]) == ("done", 1)
    assert PriceAgreement.objects.get().value == Decimal("10.00")


@pytest.mark.parametrize("kind", ["catalog", "prices"])
def test_a_rep_may_not_upload_the_catalog_or_prices(world, api_as, kind):
    response = _upload(api_as(world.rep), kind, "SKU,Name\nA-1,A\n")

    assert response.status_code == 403
    assert response.json()["message"] in {
        "Only managers and admins may change the catalog.",
        "Only managers and admins may agree a customer's prices.",
    }
