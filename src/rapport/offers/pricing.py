"""What one line costs a customer, and why, in words.

Pure Python (no Django, no database): the selectors gather a product's list price, the
prices of the options chosen and the price agreement that governs the line (the one
agreed nearest the ordering unit, up its account tree), and `price` says what the unit
and the line cost and each step that led there. An order of a hundred lines is priced
from rows loaded once, whatever its length.

The terms a B2B price agreement has:
* a fixed price per unit for the product (its options are added at list), or a
  discount in percent off the list price of the configuration (product and options);
* volume breaks: from a quantity on, another fixed price or discount replaces the base
  one (the highest break the quantity reaches applies);
* validity dates and the unit it was agreed for (it holds for that unit and below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FIXED = "fixed"
DISCOUNT = "discount"


@dataclass(frozen=True)
class Terms:
    """One price agreement as pricing reads it."""

    agreement_id: int
    kind: str  # FIXED (value: a unit price) or DISCOUNT (value: percent off list)
    value: Decimal
    breaks: tuple[tuple[Decimal, Decimal], ...] = ()  # (from quantity, value), ascending
    agreed_for: str = ""  # the unit's name
    inherited_by: str = ""  # the ordering unit's name when the agreement is from above it
    valid: str = ""  # "from 1 Jan 2026 to 31 Dec 2026", as the caller writes dates

    def __post_init__(self) -> None:
        if self.kind not in (FIXED, DISCOUNT):
            raise ValueError(f"unknown agreement kind {self.kind!r}")
        quantities = [q for q, _v in self.breaks]
        if quantities != sorted(quantities) or len(set(quantities)) != len(quantities):
            raise ValueError("breaks must ascend by quantity, each quantity once")

    def value_at(self, quantity: Decimal) -> tuple[Decimal, Decimal | None]:
        """The value that holds for this quantity, and the break's quantity (None: base)."""
        value, reached = self.value, None
        for from_quantity, break_value in self.breaks:
            if quantity >= from_quantity:
                value, reached = break_value, from_quantity
        return value, reached


@dataclass(frozen=True)
class Price:
    """A line priced: list, what applied, the unit price and the total, with the reasons."""

    list_price: Decimal  # the product's, per unit
    options_price: Decimal  # the chosen options', per unit, at list
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    agreement_id: int | None
    break_quantity: Decimal | None
    explanation: tuple[str, ...]

    @property
    def list_unit(self) -> Decimal:
        return self.list_price + self.options_price

    @property
    def list_total(self) -> Decimal:
        return _cents(self.list_unit * self.quantity)

    @property
    def discount(self) -> Decimal:
        """What the customer saves against list on the line (never below zero)."""
        return max(self.list_total - self.total, Decimal(0))

    @property
    def source(self) -> str:
        if self.agreement_id is None:
            return "list"
        return "volume break" if self.break_quantity is not None else "agreement"


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(quantity: Decimal) -> str:
    """12, 2.5: a quantity or percent without trailing zeros."""
    return format(quantity.normalize(), "f")


def price(
    *,
    list_price: Decimal,
    options_price: Decimal,
    quantity: Decimal,
    terms: Terms | None,
    money: Callable[[Decimal], str] | None = None,
) -> Price:
    """Price a line: the governing agreement's terms at this quantity, or list without one.

    `money` writes an amount for the explanation (the caller's currency format); a
    plain two-decimal number without it.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    write = money or (lambda amount: f"{amount:,.2f}")
    list_unit = list_price + options_price
    said = [
        f"List price {write(list_price)}"
        + (f" + options {write(options_price)} = {write(list_unit)}" if options_price else "")
        + " per unit."
    ]
    agreement_id: int | None = None
    reached: Decimal | None = None
    unit = list_unit
    if terms is not None:
        agreement_id = terms.agreement_id
        value, reached = terms.value_at(quantity)
        where = f"agreed for {terms.agreed_for}" if terms.agreed_for else "agreed"
        if terms.inherited_by:
            where += f", which {terms.inherited_by} inherits"
        if terms.valid:
            where += f", valid {terms.valid}"
        said.append(f"Price agreement #{terms.agreement_id} ({where}).")
        step = f"Volume break from {_number(reached)}: " if reached is not None else ""
        if terms.kind == FIXED:
            unit = value + options_price
            said.append(
                f"{step}fixed price {write(value)} per unit"
                + (f", options at list: {write(unit)}." if options_price else ".")
            )
        else:
            unit = list_unit * (Decimal(100) - value) / Decimal(100)
            said.append(f"{step}{_number(value)}% off list: {write(_cents(unit))} per unit.")
        said[-1] = said[-1][0].upper() + said[-1][1:]
    else:
        said.append("No price agreement applies: list price.")
    unit = _cents(max(unit, Decimal(0)))
    total = _cents(unit * quantity)
    said.append(f"{write(unit)} × {_number(quantity)} = {write(total)}.")  # noqa: RUF001
    return Price(
        list_price=list_price,
        options_price=options_price,
        quantity=quantity,
        unit_price=unit,
        total=total,
        agreement_id=agreement_id,
        break_quantity=reached,
        explanation=tuple(said),
    )
