"""Fixtures of the Customize tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.offers import services
from tests.factories import ProductCategoryFactory, make_laptop


@pytest.fixture
def catalog(world):
    """A laptop with options (Hardware) and a three-year care plan (Care), by a manager."""
    hardware = ProductCategoryFactory(actor=world.admin, name="Hardware")
    care = ProductCategoryFactory(actor=world.admin, name="Care")
    laptop = make_laptop(world, hardware)
    plan = services.product_create(
        actor=world.manager,
        sku="care-3y",
        name="Care plan 3 years",
        category=care,
        list_price=Decimal(200),
        cost=Decimal(50),
    )
    return {"laptop": laptop, "plan": plan, "hardware": hardware, "care": care}
