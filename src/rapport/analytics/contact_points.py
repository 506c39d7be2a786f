"""Phones, e-mail addresses and postal places in the one form Rapport stores and matches.

Pure Python, no Django. A phone becomes E.164 through `phonenumbers` (Google's
libphonenumber data), a country one English name through `pycountry` (ISO 3166), so that
"(02) 9876 5432" in Australia and "+61 2 9876-5432" are one number, and "DE", "Germany"
and "Deutschland" one country.

Which identities name exactly one person matters to the import and to duplicate search:
a switchboard number or a group mailbox (info@, sales@) is shared by many people and is
never proof that two records are one person (`is_shared_mailbox`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
import pycountry

_NON_DIGIT = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")

# Local parts of mailboxes that a team reads, not one person.
_SHARED_MAILBOXES = frozenset(
    {
        "accounts",
        "accountspayable",
        "admin",
        "billing",
        "careers",
        "contact",
        "enquiries",
        "finance",
        "hello",
        "help",
        "hr",
        "info",
        "inquiries",
        "invoices",
        "jobs",
        "mail",
        "marketing",
        "noreply",
        "no-reply",
        "office",
        "orders",
        "postmaster",
        "press",
        "procurement",
        "purchasing",
        "reception",
        "sales",
        "service",
        "support",
        "team",
        "webmaster",
    }
)

# Names people write that ISO 3166 does not list.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "great britain": "GB",
    "britain": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "united states of america": "US",
    "deutschland": "DE",
    "holland": "NL",
    "the netherlands": "NL",
    "nederland": "NL",
    "schweiz": "CH",
    "suisse": "CH",
    "österreich": "AT",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "brasil": "BR",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "uae": "AE",
}


def email_normalized(value: object) -> str | None:
    """An e-mail address trimmed and lower-cased ('mailto:' dropped), or None without an @."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    return text if "@" in text.strip("@") else None


def is_shared_mailbox(email: object) -> bool:
    """Whether an address is a team's mailbox (info@, sales@, ...) rather than one person's."""
    address = email_normalized(email)
    if not address:
        return False
    local = address.split("@", 1)[0].split("+", 1)[0]
    return local in _SHARED_MAILBOXES or local.replace(".", "") in _SHARED_MAILBOXES


def _country(value: object) -> object | None:
    text = _SPACES.sub(" ", str(value or "")).strip()
    if not text:
        return None
    return _country_named(text)


@lru_cache(maxsize=4096)  # a file names the same few countries on every row
def _country_named(text: str) -> object | None:
    code = _COUNTRY_ALIASES.get(text.lower())
    try:
        if code:
            return pycountry.countries.get(alpha_2=code)
        return pycountry.countries.lookup(text)
    except LookupError:
        return None


def country_name(value: object) -> str | None:
    """The English short name of a country from a name, alias or ISO code, or None if unknown."""
    country = _country(value)
    if country is None:
        return None
    return str(getattr(country, "common_name", None) or country.name)  # type: ignore[attr-defined]


def country_code(value: object) -> str | None:
    """The ISO 3166 alpha-2 code of a country name, alias or code, or None if unknown."""
    country = _country(value)
    return None if country is None else str(country.alpha_2)  # type: ignore[attr-defined]


def postcode_normalized(value: object) -> str:
    """A postcode upper-cased with single spaces ('sw1a  1aa' -> 'SW1A 1AA')."""
    return _SPACES.sub(" ", str(value or "")).strip().upper()


class PhoneError(ValueError):
    """A value that is not a phone number; the message says why in words for a person."""


def phone_e164(value: object, region: str | None = None) -> str:
    """A phone number in E.164 (+61298765432), read in `region` when it has no country code.

    Without a country code and without a region the number cannot be placed: its digits
    are kept as they are (no +), so that it still matches the same number typed the same
    way. Raises PhoneError when the value cannot be a phone number anywhere.
    """
    return _phone_e164(str(value or "").strip(), region or None)


# A site's switchboard comes in with everyone who works there: parsed once per import.
@lru_cache(maxsize=65536)
def _phone_e164(text: str, region: str | None) -> str:
    digits = _NON_DIGIT.sub("", text)
    if len(digits) < 6:
        raise PhoneError(f"{text!r} is not a phone number.")
    if text.startswith("00"):
        text = "+" + text[2:].lstrip()
    if not text.startswith("+") and not region:
        return digits
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{text!r} is not a phone number.") from None
    if not phonenumbers.is_possible_number(number):
        where = "" if text.startswith("+") else f" in {region}"
        raise PhoneError(f"{text!r} is not a possible phone number{where}.")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.extension:
        e164 += f";ext={number.extension}"
    return e164


def phone_display(value: str) -> str:
    """A stored number written for people: international format, or as stored if unplaced."""
    if not value.startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value.replace(";ext=", " ext. "), None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
