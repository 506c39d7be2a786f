"""Postal addresses written for people: the lines of a work address, and the country names.

A stored place is five fields (street, city, postcode, region, country). Pages show it as
the lines a letter would carry in that country, leaving out whatever is empty; forms offer
the country names Rapport stores (the names `place_normalize` writes).
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

import pycountry

from rapport.analytics import contact_points

# Where the postcode comes before the town ("10115 Berlin"); elsewhere it follows it.
_POSTCODE_FIRST = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CH",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MC",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "TR",
        "AR",
        "BR",
        "CL",
        "MX",
        "DZ",
        "MA",
        "TN",
        "IL",
    ]
)
# Where the postcode stands on a line of its own under the town.
_POSTCODE_OWN_LINE = frozenset({"GB", "IE"})


class Place(Protocol):
    street: str
    city: str
    postcode: str
    region: str
    country: str


def address_lines(place: Place) -> list[str]:
    """The non-empty lines of a place's address, in the order its country writes them."""
    street, city, postcode = place.street or "", place.city or "", place.postcode or ""
    region, country = place.region or "", place.country or ""
    code = contact_points.country_code(country) if country else None
    lines = [street]
    if code in _POSTCODE_FIRST:
        lines += [f"{postcode} {city}".strip(), region]
    elif code in _POSTCODE_OWN_LINE:
        lines += [city, region, postcode]
    else:
        # "Springfield, IL 62701", "Sydney NSW 2000": town, then region and postcode.
        tail = f"{region} {postcode}".strip()
        lines.append(f"{city}, {tail}" if city and tail else city or tail)
    lines.append(country)
    return [line for line in lines if line]


def place_line(place: Place) -> str:
    """A place in a few words for a line of text: "Lyon, France"."""
    return ", ".join(part for part in (place.city, place.country) if part)


@cache
def country_names() -> tuple[str, ...]:
    """Every country's name as Rapport stores it, alphabetically (for pickers)."""
    names = {contact_points.country_name(c.alpha_2) for c in pycountry.countries}
    return tuple(sorted(name for name in names if name))
