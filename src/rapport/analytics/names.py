"""Normalising names, phones, e-mails and addresses before records are compared.

Pure Python, no Django. Record linkage compares strings; two spellings of the same thing
("O'Brien" and "obrien", "+61 2 9876 5432" and "(02) 9876-5432") should compare equal
before any fuzzy measure is asked, so that the fuzzy levels are left for real typos.

The nickname table is our own short list of common English diminutives (Bill → William).
It maps a given name to a canonical form so that "Bob" and "Robert" share one; it is
deliberately small and unambiguous-first (a diminutive that belongs to two names maps to
the more common one).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_DIGIT = re.compile(r"\D+")

# Canonical given name -> diminutives and variants seen in English-speaking CRMs.
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "alexander": ("alex", "alec", "sandy", "xander"),
    "alexandra": ("alexa", "lexi", "sasha"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony", "ant"),
    "barbara": ("barb", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "catherine": ("cathy", "cath", "kate", "katie", "kathy", "katherine", "kathryn", "cate"),
    "charles": ("charlie", "chuck", "chas"),
    "christine": ("chris", "chrissy", "christina", "tina"),
    "christopher": ("kit", "topher"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy", "davey"),
    "deborah": ("deb", "debbie", "debra"),
    "donald": ("don", "donny"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "elisabeth", "bess"),
    "frederick": ("fred", "freddie", "freddy"),
    "gregory": ("greg",),
    "henry": ("harry", "hank"),
    "isabella": ("bella", "izzy", "isabel", "isabelle"),
    "jacob": ("jake",),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny", "jenn"),
    "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jonny",),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry", "laurie"),
    "leonard": ("leo", "len", "lenny"),
    "margaret": ("maggie", "meg", "peggy", "marge", "margie", "greta"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mick", "mikey", "mickey"),
    "nathan": ("nate",),
    "nicholas": ("nick", "nicky", "nic"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("paddy",),
    "peter": ("pete",),
    "rebecca": ("becky", "bec", "becca"),
    "richard": ("rick", "ricky", "dick", "rich", "richie"),
    "robert": ("rob", "bob", "bobby", "robbie", "bert"),
    "ronald": ("ron", "ronnie"),
    "samantha": ("sam", "sammy"),
    "samuel": ("sammie",),
    "stephen": ("steve", "stevie", "steven"),
    "susan": ("sue", "susie", "suzy", "suzanne"),
    "theodore": ("theo",),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "vicki", "tori"),
    "william": ("bill", "billy", "will", "willy", "liam"),
    "zachary": ("zach", "zack"),
}
NICKNAMES: dict[str, str] = {
    variant: canonical for canonical, variants in _NICKNAMES.items() for variant in variants
}

# Words that say what kind of company it is, not which one ("Acme Pty Ltd" = "ACME").
_LEGAL_FORMS = frozenset(
    [
        "ab",
        "ag",
        "as",
        "asa",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "llp",
        "lp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pte",
        "pty",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
        "the",
    ]
)


def plain(value: object) -> str | None:
    """Lower case, accents and punctuation removed, single spaces; None when nothing is left."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("'", "").replace("\u2019", "")  # O'Brien -> obrien, not "o brien"
    text = _NON_ALNUM.sub(" ", text).strip()
    return text or None


def compact(value: object) -> str | None:
    """`plain` without any spaces: for codes and names that are split inconsistently."""
    text = plain(value)
    return text.replace(" ", "") if text else None


def given_name_canonical(value: object) -> str | None:
    """The canonical form of a given name's first word: nicknames resolved (bob -> robert)."""
    text = plain(value)
    if not text:
        return None
    first = text.split(" ")[0]
    return NICKNAMES.get(first, first)


def phone_digits(value: object, *, keep: int = 9) -> str | None:
    """The last `keep` digits of a phone number, so that +61 2 ... and (02) ... agree."""
    if value is None:
        return None
    digits = _NON_DIGIT.sub("", str(value))
    if len(digits) < 6:
        return None
    return digits[-keep:]


def email_address(value: object) -> str | None:
    """An e-mail address lower-cased and trimmed, or None if it has no @."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    return text if "@" in text else None


def email_local(value: object) -> str | None:
    """The part of an e-mail address before the @, without dots or a +tag."""
    address = email_address(value)
    if not address:
        return None
    local = address.split("@", 1)[0].split("+", 1)[0].replace(".", "")
    return local or None


def domain(value: object) -> str | None:
    """A web or e-mail domain: acme.com from 'https://www.Acme.com/about' or 'jo@acme.com'."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].strip(".")
    if text.startswith("www."):
        text = text[4:]
    return text if "." in text else None


def organisation_name(value: object) -> str | None:
    """A company name without legal forms or '&'/'and' noise: 'The Acme Co. Pty Ltd' -> 'acme'."""
    text = plain(str(value).replace("&", " and ")) if value is not None else None
    if not text:
        return None
    words = [word for word in text.split(" ") if word not in _LEGAL_FORMS and word != "and"]
    return " ".join(words) or text


def date_digits(value: object) -> str | None:
    """A date as YYYYMMDD digits (dates, datetimes and strings with any separators)."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%Y%m%d")
    digits = _NON_DIGIT.sub("", str(value))
    return digits or None


# Free mail providers: sharing one says nothing about sharing an employer.
PUBLIC_MAIL_DOMAINS = frozenset(
    [
        "aol.com",
        "bigpond.com",
        "gmail.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.com",
        "yahoo.co.uk",
    ]
)
