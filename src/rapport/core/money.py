"""Money as Rapport shows it: whole units with thousands separators and the currency.

A deployment reports in one currency (RAPPORT_CURRENCY, an ISO 4217 code): order lines,
wallets and values are all kept in it, so a figure is never shown without it.
"""

from __future__ import annotations

from django.conf import settings

# Symbols written before the amount; any other currency is written as its code.
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥"}


def currency() -> str:
    """The deployment's currency code (EUR unless RAPPORT_CURRENCY says otherwise)."""
    return str(getattr(settings, "RAPPORT_CURRENCY", "EUR") or "EUR").upper()


def money_text(value: float | int | None, places: int = 0, *, code: str | None = None) -> str:
    """'€12,345', '-€1,234.50', 'CHF 12,345'; an em dash for no figure."""
    if value is None:
        return "—"
    code = (code or currency()).upper()
    amount = float(value)
    digits = f"{abs(amount):,.{places}f}"
    sign = "-" if round(amount, places) < 0 else ""
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"
