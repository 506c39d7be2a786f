"""Money is always shown with the deployment's currency."""

from __future__ import annotations

import pytest

from rapport.core.money import money_text


@pytest.mark.parametrize(
    ("value", "places", "code", "shown"),
    [
        (12345.4, 0, "EUR", "€12,345"),
        (-1234.5, 2, "EUR", "-€1,234.50"),
        (-0.4, 0, "USD", "$0"),
        (987654, 0, "CHF", "CHF 987,654"),
        (None, 0, "EUR", "—"),
    ],
)
def test_an_amount_is_written_with_its_currency(value, places, code, shown):
    assert money_text(value, places, code=code) == shown


def test_the_deployment_currency_comes_from_settings(settings):
    settings.RAPPORT_CURRENCY = "gbp"
    assert money_text(1500) == "£1,500"
