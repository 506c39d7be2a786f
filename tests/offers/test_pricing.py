"""Pricing one line: list, an agreement's fixed price or discount, volume breaks, and the
words that say why (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.offers import pricing


def _terms(**overrides):
    fields = {
        "agreement_id": 7,
        "kind": pricing.DISCOUNT,
        "value": Decimal(10),
        "agreed_for": "Acme Industries",
    }
    return pricing.Terms(**{**fields, **overrides})


def test_without_an_agreement_a_line_is_at_list_with_its_options():
    price = pricing.price(
        list_price=Decimal(1000), options_price=Decimal(150), quantity=Decimal(3), terms=None
    )
    assert (price.unit_price, price.total, price.discount) == (
        Decimal("1150.00"),
        Decimal("3450.00"),
        Decimal(0),
    )
    assert price.source == "list"
    assert price.explanation == (
        "List price 1,000.00 + options 150.00 = 1,150.00 per unit.",
        "No price agreement applies: list price.",
        "1,150.00 × 3 = 3,450.00.",  # noqa: RUF001
    )


def test_a_discount_applies_to_the_whole_configuration_and_says_where_it_was_agreed():
    price = pricing.price(
        list_price=Decimal(1000),
        options_price=Decimal(150),
        quantity=Decimal(2),
        terms=_terms(inherited_by="Hamburg plant", valid="from 1 Jan 2026"),
    )
    assert price.unit_price == Decimal("1035.00")
    assert price.total == Decimal("2070.00")
    assert price.discount == Decimal("230.00")
    assert price.explanation[1] == (
        "Price agreement #7 (agreed for Acme Industries, which Hamburg plant inherits, "
        "valid from 1 Jan 2026)."
    )
    assert price.explanation[2] == "10% off list: 1,035.00 per unit."


def test_a_fixed_price_replaces_the_products_list_price_and_options_stay_at_list():
    price = pricing.price(
        list_price=Decimal(1000),
        options_price=Decimal(150),
        quantity=Decimal(1),
        terms=_terms(kind=pricing.FIXED, value=Decimal(800)),
    )
    assert price.unit_price == Decimal("950.00")
    assert price.explanation[2] == "Fixed price 800.00 per unit, options at list: 950.00."


@pytest.mark.parametrize(
    ("quantity", "unit", "reached"),
    [
        (Decimal(49), Decimal("90.00"), None),
        (Decimal(50), Decimal("85.00"), Decimal(50)),
        (Decimal(199), Decimal("85.00"), Decimal(50)),
        (Decimal(200), Decimal("80.00"), Decimal(200)),
    ],
)
def test_the_highest_volume_break_the_quantity_reaches_applies(quantity, unit, reached):
    terms = _terms(breaks=((Decimal(50), Decimal(15)), (Decimal(200), Decimal(20))))
    price = pricing.price(
        list_price=Decimal(100), options_price=Decimal(0), quantity=quantity, terms=terms
    )
    assert price.unit_price == unit
    assert price.break_quantity == reached
    assert price.source == ("agreement" if reached is None else "volume break")
    if reached is not None:
        assert price.explanation[2].startswith(f"Volume break from {reached}: ")


def test_prices_round_half_up_to_the_cent_per_unit_before_the_quantity():
    price = pricing.price(
        list_price=Decimal("9.99"),
        options_price=Decimal(0),
        quantity=Decimal(3),
        terms=_terms(value=Decimal("12.5")),
    )
    assert price.unit_price == Decimal("8.74")  # 8.74125
    assert price.total == Decimal("26.22")


def test_breaks_out_of_order_and_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="ascend"):
        _terms(breaks=((Decimal(200), Decimal(20)), (Decimal(50), Decimal(15))))
    with pytest.raises(ValueError, match="kind"):
        _terms(kind="rebate")
    with pytest.raises(ValueError, match="positive"):
        pricing.price(
            list_price=Decimal(1), options_price=Decimal(0), quantity=Decimal(0), terms=None
        )
