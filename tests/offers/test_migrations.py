"""ProductCategory moved from valuation to offers: the rows, and the rows citing them, stay."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from rapport.offers.models import ProductCategory
from rapport.valuation.models import OrderLine
from tests.factories import make_account, make_user

BEFORE = [("valuation", "0001_initial"), ("offers", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_categories_and_the_order_lines_citing_them_survive_the_move() -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = _migrate(BEFORE)
    try:
        # given a category in valuation's table and an order line citing it
        old = executor.loader.project_state([("valuation", "0001_initial")]).apps
        assert ProductCategory._meta.db_table not in connection.introspection.table_names()
        account = make_account(make_user())
        category = old.get_model("valuation", "ProductCategory").objects.create(
            name="Spare parts", description="Bearings, seals, filters"
        )
        line = old.get_model("valuation", "OrderLine").objects.create(
            customer_id=account.pk,
            account_id=account.pk,
            ordered_on=date(2026, 3, 2),
            product="Bearing 6204",
            category_id=category.pk,
            revenue=Decimal("120.00"),
        )

        # when the move is applied
        _migrate(latest)
    finally:
        _migrate(latest)

    # then the catalog holds the same row under its own table, and the line still cites it
    moved = ProductCategory.objects.get(pk=category.pk)
    assert (moved.name, moved.description) == ("Spare parts", "Bearings, seals, filters")
    assert OrderLine.objects.get(pk=line.pk).category == moved
    tables = connection.introspection.table_names()
    assert "offers_productcategory" in tables
    assert "valuation_productcategory" not in tables
