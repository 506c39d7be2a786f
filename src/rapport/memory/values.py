"""Typed values of attributes: parse what a person or file gave us, and say it back in words.

Values are stored as JSON: text and choices as strings, numbers and money as numbers,
dates as ISO strings, multi-choices as lists, booleans as booleans and structured values
as {name: value} objects.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rapport.core.errors import InvalidInput
from rapport.memory.models import Attribute, ValueType

MAX_TEXT = 500
_TRUE = {"true", "yes", "y", "1", "on", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", "off", "nein", "non"}


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, field="value")


def _number(raw: Any, label: str) -> float | int:
    if isinstance(raw, bool):
        raise _bad(f"{label} must be a number.")
    if isinstance(raw, int | float):
        number = Decimal(str(raw))
    else:
        text = str(raw).strip().replace(",", "").replace("_", "").replace(" ", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _bad(f"{label} must be a number, not {str(raw)[:40]!r}.") from None
    if not number.is_finite() or abs(number) > Decimal("1e15"):
        raise _bad(f"{label} is out of range.")
    value = float(number)
    return int(value) if value.is_integer() and math.isfinite(value) else value


def _choices_of(attribute: Attribute) -> list[str]:
    return [str(choice) for choice in attribute.choices or []]


def _pick(raw: Any, attribute: Attribute) -> str:
    text = str(raw).strip()
    for choice in _choices_of(attribute):
        if choice.casefold() == text.casefold():
            return choice
    allowed = ", ".join(_choices_of(attribute))
    raise _bad(f"{text[:40]!r} is not one of: {allowed}.")


def _structured(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        pairs = {str(k).strip(): str(v).strip() for k, v in raw.items()}
    else:
        pairs = {}
        for line in str(raw).replace(";", "\n").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise _bad(f"Write each entry as 'name: value' ({line.strip()[:40]!r}).")
            pairs[name.strip()] = value.strip()
    if not pairs:
        raise _bad("Give at least one 'name: value' entry.")
    if any(len(k) > 100 or len(v) > 200 for k, v in pairs.items()):
        raise _bad("A structured entry is too long.")
    return pairs


def parse_value(attribute: Attribute, raw: Any) -> Any:
    """The JSON value an attribute stores for `raw`, or InvalidInput on field `value`."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        raise _bad(f"Give a value for {attribute.label}.")
    kind = attribute.value_type
    if kind == ValueType.TEXT:
        text = str(raw).strip()
        if len(text) > MAX_TEXT or "\x00" in text:
            raise _bad(f"Keep it under {MAX_TEXT} characters.")
        return text
    if kind in (ValueType.NUMBER, ValueType.MONEY):
        return _number(raw, attribute.label)
    if kind == ValueType.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise _bad(f"Give a date as YYYY-MM-DD, not {str(raw)[:40]!r}.") from None
    if kind == ValueType.CHOICE:
        return _pick(raw, attribute)
    if kind == ValueType.MULTI_CHOICE:
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        picked = [_pick(item, attribute) for item in items if str(item).strip()]
        if not picked:
            raise _bad(f"Pick at least one of: {', '.join(_choices_of(attribute))}.")
        order = _choices_of(attribute)
        return sorted(set(picked), key=order.index)
    if kind == ValueType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _bad(f"Answer yes or no, not {str(raw)[:40]!r}.")
    if kind == ValueType.STRUCTURED:
        return _structured(raw)
    raise _bad(f"{attribute.label} has an unknown value type.")


def display_value(attribute: Attribute, value: Any) -> str:
    """The stored value as a person reads it ("EUR 250,000", "SAP, Workday", "Yes")."""
    kind = attribute.value_type
    if kind == ValueType.MONEY:
        amount = f"{value:,.2f}".removesuffix(".00")
        return f"{attribute.unit} {amount}".strip()
    if kind == ValueType.NUMBER:
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"
        return f"{shown} {attribute.unit}".strip()
    if kind == ValueType.MULTI_CHOICE:
        return ", ".join(str(v) for v in value)
    if kind == ValueType.BOOLEAN:
        return "Yes" if value else "No"
    if kind == ValueType.DATE:
        return date.fromisoformat(value).strftime("%-d %b %Y")
    if kind == ValueType.STRUCTURED:
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)[:MAX_TEXT]


def form_value(attribute: Attribute, value: Any) -> str:
    """The stored value as it is typed back into a form field (to pre-fill it)."""
    kind = attribute.value_type
    if kind == ValueType.MULTI_CHOICE:
        return ", ".join(str(v) for v in value)
    if kind == ValueType.BOOLEAN:
        return "yes" if value else "no"
    if kind == ValueType.STRUCTURED:
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
