"""Batch record linkage (I6): which contacts or organisations are probably the same.

Pure Python over splink (DuckDB), no Django: the runner in the `resolution` app loads the
records in bulk as plain dicts, calls `link_records`, and stores what it returns.

How it works. A Fellegi-Sunter model, trained unsupervised on the records themselves:

1. Normalise every field (`rapport.analytics.names`): case, accents, punctuation, phones to
   their last nine digits, e-mail domains, legal forms dropped from company names, given
   names through a nickname table. Fields that are absent or empty in every record are
   left out of the model, so one engine serves FEBRL-like people (no e-mail) and CRM
   contacts (no date of birth).
2. Blocking: only pairs that agree on at least one cheap key are compared (the union of
   several rules, each on its own field, so a typo in one field does not lose the pair).
3. Each field is compared at graded levels (exact, nickname, Jaro-Winkler ≥ 0.92, one
   typo, swapped with the surname, ...). Exact agreement on a common value counts for less
   than on a rare one (term-frequency adjustment).
4. u (how often non-matches agree at each level) is estimated from random pairs; m (how
   often matches do) by expectation-maximisation, once per training blocking rule so that
   each field is trained on pairs that were not chosen for agreeing on it. Every m is
   floored at 0.001, so no single field can veto a pair the others call a match.
5. Pairs at or above `threshold` are kept; clusters are their connected components.

Under `_SMALL` records there is nothing to learn from, and a fixed model with textbook
m/u values is used instead (see `_use_textbook_values`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rapport.analytics import contact_points, names

MODEL_NAME = "splink-fs"
MODEL_VERSION = "1"

Kind = Literal["person", "organisation"]

# u-estimation budget: random pairs sampled to learn how often non-matches agree.
_U_MAX_PAIRS = 1e5
# Smallest m a level may keep after EM. Unregularised EM drives m of "different" levels
# towards 0 (weights of -50 bits) when the training pairs happen to agree, and then one
# field can veto a pair that every other field calls a match.
_M_FLOOR = 1e-3
# EM needs pairs to learn from; a training rule that admits fewer is skipped.
_EM_MIN_PAIRS = 20
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkedPair:
    """Two records judged the same at `probability`, with the evidence per compared field."""

    left_id: str
    right_id: str
    probability: float
    evidence: dict[str, str]
    # Below the threshold: the fields could not decide, a person should.
    not_sure: bool = False


@dataclass(frozen=True)
class Linkage:
    """The outcome of one batch linkage run."""

    pairs: list[LinkedPair]
    clusters: list[list[str]]
    model: str
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# Preparing the records

# An e-mail address or phone number held by more records than this is shared (a
# switchboard, a role mailbox, a family's address): agreeing on it says little about
# whether two records are one person, so it is left out of blocking and comparison.
_SHARED_AT = 4
# Phones compare on their last 8 digits: "+64 9 482 7854" and "09 482 7854" agree, as do
# E.164 numbers and national ones stored where no country was known.
_PHONE_DIGITS = 8


def _emails(record: Mapping[str, Any]) -> list[str]:
    values = record.get("emails") or []
    found = [names.email_address(value) for value in values]
    return list(dict.fromkeys(address for address in found if address))


def _phones(record: Mapping[str, Any]) -> list[str]:
    values = record.get("phones") or []
    found = [names.phone_digits(value, keep=_PHONE_DIGITS) for value in values]
    return list(dict.fromkeys(number for number in found if number))


def _personal_local(address: str) -> str | None:
    """The mailbox name of a personal address in two parts (jane.doe@), dots removed.

    One-part names (jane@, jdoe@) are too common across organisations to block on.
    """
    local = address.split("@", 1)[0].split("+", 1)[0]
    if not re.search(r"[a-z][._-][a-z]", local) or contact_points.is_shared_mailbox(address):
        return None
    return re.sub(r"[._-]", "", local)


def _named_after(given: str | None, surname: str | None) -> set[str]:
    """The mailbox names made from a person's names: janedoe, doejane, jdoe, jane, doe."""
    g = (given or "").replace(" ", "")
    s = (surname or "").replace(" ", "")
    names_ = {g, s, g + s, s + g, g[:1] + s, g + s[:1], s + g[:1]}
    return {n for n in names_ if n}


def _street(record: Mapping[str, Any]) -> str | None:
    return names.plain(record.get("street"))


_PERSON_FIELDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "given_name": lambda r: names.plain(r.get("given_name")),
    "given_canon": lambda r: names.given_name_canonical(r.get("given_name")),
    "surname": lambda r: names.compact(r.get("surname")),
    "organisation": lambda r: names.organisation_name(r.get("organisation")),
    "organisation_id": lambda r: names.compact(r.get("organisation_id")),
    "emails": _emails,
    "phones": _phones,
    "title": lambda r: names.plain(r.get("title")),
    "street": _street,
    "city": lambda r: names.plain(r.get("city")),
    "postcode": lambda r: names.compact(r.get("postcode")),
    "region": lambda r: names.compact(r.get("region")),
    "country": lambda r: names.plain(r.get("country")),
    "date_of_birth": lambda r: names.date_digits(r.get("date_of_birth")),
}

_ORGANISATION_FIELDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "name": lambda r: names.organisation_name(r.get("name")),
    "domain": lambda r: names.domain(r.get("domain")),
    "phones": _phones,
    "street": _street,
    "city": lambda r: names.plain(r.get("city")),
    "postcode": lambda r: names.compact(r.get("postcode")),
    "country": lambda r: names.plain(r.get("country")),
}
# Columns derived from the fields above for blocking and for the levels of a comparison;
# they are never compared on their own.
_KEYS = frozenset(
    [
        "given_start",
        "surname_start",
        "full_name",
        "email",
        "email_2",
        "email_local",
        "email_locals",
        "email_domain",
        "phone",
        "phone_2",
        "street_start",
        "organisation_key",
    ]
)


def prepare(
    records: Sequence[Mapping[str, Any]], *, kind: Kind, id_field: str = "id"
) -> tuple[list[dict[str, Any]], list[str]]:
    """Normalised rows (`uid`, model columns and keys) and the fields that hold any value."""
    fields = _PERSON_FIELDS if kind == "person" else _ORGANISATION_FIELDS
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for record in records:
        uid = str(record[id_field])
        if uid in seen:
            raise ValueError(f"duplicate record id {uid!r}")
        seen.add(uid)
        row: dict[str, Any] = {"uid": uid}
        for name, normalise in fields.items():
            row[name] = normalise(record)
        rows.append(row)
    _drop_shared(rows)
    # People of no organisation at all (a list of private persons) are compared as if at
    # one: the organisation's blocking rules then work on the names, and the address
    # levels of the workplace comparison apply.
    alone = kind == "person" and not any(r["organisation"] or r["organisation_id"] for r in rows)
    for row in rows:
        _add_keys(row, kind)
        if alone:
            row["organisation_key"] = "-"
    present = [name for name in fields if any(row[name] for row in rows)]
    return rows, present


def _drop_shared(rows: list[dict[str, Any]]) -> None:
    """Leave out addresses and numbers that several records hold (see `_SHARED_AT`)."""
    for column in ("emails", "phones"):
        holders: dict[str, int] = {}
        for row in rows:
            for value in row.get(column) or ():
                holders[value] = holders.get(value, 0) + 1
        for row in rows:
            values = row.get(column) or []
            kept = [
                v
                for v in values
                if holders[v] < _SHARED_AT
                and not (column == "emails" and contact_points.is_shared_mailbox(v))
            ]
            row[column] = kept or None


def _add_keys(row: dict[str, Any], kind: Kind) -> None:
    """Blocking keys and comparison helpers derived from the normalised fields."""
    emails = row.get("emails") or []
    phones = row.get("phones") or []
    row["email"] = emails[0] if emails else None
    row["email_2"] = emails[1] if len(emails) > 1 else None
    row["phone"] = phones[0] if phones else None
    row["phone_2"] = phones[1] if len(phones) > 1 else None
    street = row.get("street")
    row["street_start"] = street[:4] if street else None
    if kind != "person":
        row["name_start"] = row["name"][:3] if row.get("name") else None
        return
    given, surname = row["given_name"], row["surname"]
    row["given_start"] = given[:2] if given else None
    row["surname_start"] = surname[:2] if surname else None
    row["full_name"] = f"{row['given_canon']} {surname}" if given and surname else None
    locals_ = [local for local in map(_personal_local, emails) if local]
    # A mailbox named after the person (jane.doe@, jdoe@) says no more than the names do;
    # only a name of the person's own choosing (jd1974@) is evidence beyond them.
    own = {
        local
        for local in (re.sub(r"[._-]", "", e.split("@", 1)[0].split("+", 1)[0]) for e in emails)
        if local not in _named_after(given, surname)
    }
    row["email_locals"] = sorted(own) or None
    row["email_local"] = locals_[0] if locals_ else None
    domains = [
        d for d in (e.rsplit("@", 1)[1] for e in emails) if d not in names.PUBLIC_MAIL_DOMAINS
    ]
    row["email_domain"] = domains[0] if domains else None
    # The organisation by name, or by id when it has no name: "Acme" and "Acme Pty Ltd"
    # (one company entered twice) share the key, and so do the units of one customer.
    row["organisation_key"] = row["organisation"] or row["organisation_id"]


# ---------------------------------------------------------------------------------------
# Comparisons: splink settings dicts built from small level helpers


def _col(name: str, side: str) -> str:
    return f'"{name}_{side}"'


def _null(name: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{_col(name, 'l')} IS NULL OR {_col(name, 'r')} IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }


def _exact(name: str, *, tf: bool, on: str | None = None, label: str = "exact") -> dict[str, Any]:
    column = on or name
    level: dict[str, Any] = {
        "sql_condition": f"{_col(column, 'l')} = {_col(column, 'r')}",
        "label_for_charts": label,
    }
    if tf:
        level["tf_adjustment_column"] = column
        level["tf_adjustment_weight"] = 1.0
    return level


def _any_in_common(name: str, label: str, on: str | None = None) -> dict[str, Any]:
    column = on or name
    return {
        "sql_condition": f"list_has_any({_col(column, 'l')}, {_col(column, 'r')})",
        "label_for_charts": label,
    }


def _jaro_winkler(name: str, threshold: float) -> dict[str, Any]:
    return {
        "sql_condition": (
            f"jaro_winkler_similarity({_col(name, 'l')}, {_col(name, 'r')}) >= {threshold}"
        ),
        "label_for_charts": f"Jaro-Winkler ≥ {threshold}",
    }


def _typos(name: str, distance: int) -> dict[str, Any]:
    return {
        "sql_condition": (
            f"damerau_levenshtein({_col(name, 'l')}, {_col(name, 'r')}) <= {distance}"
        ),
        "label_for_charts": "one typo" if distance == 1 else f"{distance} typos",
    }


def _custom(sql: str, label: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label}


def _else() -> dict[str, Any]:
    return {"sql_condition": "ELSE", "label_for_charts": "different"}


def _comparison(name: str, levels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_description": name,
        "comparison_levels": levels,
    }


# Given name and surname swapped between the two records (each side may carry a typo).
_SWAPPED_SQL = (
    'jaro_winkler_similarity("given_name_l", "surname_r") >= 0.88'
    ' AND jaro_winkler_similarity("surname_l", "given_name_r") >= 0.88'
)
_SWAP_COUNTED_ELSEWHERE = "swapped with given name"


# Where a person works and the address on record are one comparison, not five: the
# colleagues at one site share the organisation, street, city and postcode, and counting
# each as independent evidence made any two of them a match. Within one organisation the
# address still tells people apart (and, where everyone is at one organisation, as in
# a list of private people, it is the home address).
_WORKPLACE = "organisation_address"


# A person who changed jobs has another work address, phone and title as a matter of
# course: given another organisation, those differences are no further evidence. After
# training, `_with_moves` gives these comparisons a level "different, at another
# organisation" of weight 0 (in training it would have made "different" mean "different,
# at the same organisation", a strong sign of a match to EM); the move is counted once,
# in the workplace comparison, whose "another organisation" level keeps an m of at least
# `_JOB_MOVES`.
_JOB_FIELDS = ("emails", "phones", "title")
_MOVED = "different, at another organisation"
_ANOTHER_ORGANISATION = "another organisation"
# The share of duplicates assumed to be one person before and after a job move. EM
# cannot see it: its training pairs share an address or a number, which movers rarely do.
_JOB_MOVES = 0.05


def _same_organisation_sql(has: set[str]) -> str:
    same = ['"organisation_key_l" = "organisation_key_r"']
    if "organisation_id" in has:
        same.append('"organisation_id_l" = "organisation_id_r"')
    return "(" + " OR ".join(same) + ")"


def _moved(has: set[str]) -> list[dict[str, Any]]:
    same_org = _same_organisation_sql(has)
    return [
        _custom(
            f'"organisation_key_l" IS NOT NULL AND "organisation_key_r" IS NOT NULL'
            f" AND NOT {same_org}",
            _MOVED,
        )
    ]


# The workplace levels as evidence for people of no organisation (see `prepare`).
_ALONE_LABELS: dict[str, str | None] = {
    "same organisation": None,
    "same organisation and street": "same street",
    "same organisation, street alike": "street alike",
    "same organisation and postcode": "same postcode",
    "same organisation and city": "same city",
    "same organisation, another address": "another address",
}


def _with_moves(linker: Any, present: list[str]) -> Any:
    """The trained linker with the job fields' "different, at another organisation" level."""
    from splink import Linker

    moved = _moved(set(present))
    if not moved:
        return linker
    model = linker.misc.save_model_to_json()
    changed = False
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in _JOB_FIELDS:
            continue
        levels = comparison["comparison_levels"]
        different = levels[-1]
        u = float(different["u_probability"])
        # Weight (almost) 0: not exactly, as a level is recognised by its weight and 0
        # is the missing level's.
        levels.insert(-1, {**moved[0], "m_probability": u * (1 + 1e-6), "u_probability": u})
        changed = True
    if not changed:
        return linker
    return Linker(list(linker._input_tables_dict.values()), model, log_level=None)


def _workplace_levels(has: set[str]) -> list[dict[str, Any]]:
    same_org = _same_organisation_sql(has)
    missing = " AND ".join(
        f'("{c}_l" IS NULL OR "{c}_r" IS NULL)' for c in ("street", "postcode", "city")
    )
    levels: list[dict[str, Any]] = [
        {
            "sql_condition": f'("organisation_key_l" IS NULL OR "organisation_key_r" IS NULL)'
            f" AND {missing}",
            "label_for_charts": "missing",
            "is_null_level": True,
        }
    ]
    # Only the address fields the records hold: a level no pair can reach would keep an
    # m of its own and take it from the others.
    if "street" in has:
        levels.append(
            _custom(f'{same_org} AND "street_l" = "street_r"', "same organisation and street")
        )
        levels.append(
            _custom(
                f'{same_org} AND jaro_winkler_similarity("street_l", "street_r") >= 0.88',
                "same organisation, street alike",
            )
        )
    if "postcode" in has:
        levels.append(
            _custom(f'{same_org} AND "postcode_l" = "postcode_r"', "same organisation and postcode")
        )
    if "city" in has:
        levels.append(_custom(f'{same_org} AND "city_l" = "city_r"', "same organisation and city"))
    if has & {"street", "postcode", "city"}:
        levels.append(
            _custom(f"{same_org} AND {missing}", "same organisation, no address to compare")
        )
        levels.append(_custom(same_org, "same organisation, another address"))
    else:
        levels.append(_custom(same_org, "same organisation"))
    if "organisation" in has:
        levels.append(
            _custom(
                'jaro_winkler_similarity("organisation_l", "organisation_r") >= 0.9',
                "organisation name alike",
            )
        )
    if {"street", "postcode"} <= has:
        levels.append(
            _custom(
                '"street_l" = "street_r" AND "postcode_l" = "postcode_r"', "same street elsewhere"
            )
        )
    levels.append({"sql_condition": "ELSE", "label_for_charts": _ANOTHER_ORGANISATION})
    return levels


def _person_comparisons(present: list[str]) -> list[dict[str, Any]]:
    has = set(present)
    out = []
    if "given_name" in has:
        levels = [_null("given_name"), _exact("given_name", tf=True)]
        levels.append(_exact("given_name", tf=False, on="given_canon", label="nickname"))
        levels += [_jaro_winkler("given_name", 0.92), _jaro_winkler("given_name", 0.88)]
        if "surname" in has:
            levels.append(_custom(_SWAPPED_SQL, "swapped with surname"))
        levels.append(
            _custom(
                '(length("given_name_l") = 1 OR length("given_name_r") = 1)'
                ' AND substr("given_name_l", 1, 1) = substr("given_name_r", 1, 1)',
                "initial",
            )
        )
        levels += [_jaro_winkler("given_name", 0.7), _else()]
        out.append(_comparison("given_name", levels))
    if "surname" in has:
        levels = [_null("surname"), _exact("surname", tf=True)]
        levels += [_jaro_winkler("surname", 0.92), _jaro_winkler("surname", 0.88)]
        if "given_name" in has:
            # Weight 0 (see _settle): the swap is already counted once under given_name.
            levels.append(_custom(_SWAPPED_SQL, _SWAP_COUNTED_ELSEWHERE))
        levels += [_jaro_winkler("surname", 0.7), _else()]
        out.append(_comparison("surname", levels))
    out.append(_comparison(_WORKPLACE, _workplace_levels(has)))
    if "emails" in has:
        levels = [_null("emails"), _any_in_common("emails", "same address")]
        levels.append(_any_in_common("emails", "same mailbox name", on="email_locals"))
        # No fuzzy level: robert.torres@acme.com and robert.reynolds@acme.com are alike by
        # the domain they share, swhite@ and jwhite@ are one typo apart, and both are two
        # colleagues.
        levels.append(_else())
        out.append(_comparison("emails", levels))
    if "phones" in has:
        levels = [_null("phones"), _any_in_common("phones", "same number"), _typos("phone", 1)]
        levels.append(_else())
        out.append(_comparison("phones", levels))
    if "title" in has:
        levels = [_null("title"), _exact("title", tf=True), _jaro_winkler("title", 0.9)]
        levels.append(_else())
        out.append(_comparison("title", levels))
    if "date_of_birth" in has:
        levels = [_null("date_of_birth"), _exact("date_of_birth", tf=True)]
        levels += [_typos("date_of_birth", 1), _typos("date_of_birth", 2), _else()]
        out.append(_comparison("date_of_birth", levels))
    return out


def _address_levels(has: set[str]) -> list[dict[str, Any]]:
    """One comparison of an organisation's street, postcode and city, closest first.

    They are one fact, where the organisation is: counted as three independent pieces of
    evidence, two departments in one head office became one organisation.
    """
    missing = " AND ".join(
        f'("{c}_l" IS NULL OR "{c}_r" IS NULL)' for c in ("street", "postcode", "city") if c in has
    )
    levels: list[dict[str, Any]] = [
        {"sql_condition": missing, "label_for_charts": "missing", "is_null_level": True}
    ]
    if "street" in has:
        levels.append(_custom('"street_l" = "street_r"', "same street"))
        levels.append(
            _custom('jaro_winkler_similarity("street_l", "street_r") >= 0.9', "street alike")
        )
    if "postcode" in has:
        levels.append(_custom('"postcode_l" = "postcode_r"', "same postcode"))
    if "city" in has:
        levels.append(_custom('"city_l" = "city_r"', "same city"))
    levels.append(_else())
    return levels


def _organisation_comparisons(present: list[str]) -> list[dict[str, Any]]:
    has = set(present)
    out = []
    if "name" in has:
        levels = [_null("name"), _exact("name", tf=True), _jaro_winkler("name", 0.92)]
        levels += [_jaro_winkler("name", 0.8), _else()]
        out.append(_comparison("name", levels))
    if "domain" in has:
        out.append(_comparison("domain", [_null("domain"), _exact("domain", tf=True), _else()]))
    if "phones" in has:
        levels = [_null("phones"), _any_in_common("phones", "exact"), _typos("phone", 1), _else()]
        out.append(_comparison("phones", levels))
    if has & {"street", "postcode", "city"}:
        out.append(_comparison("address", _address_levels(has)))
    if "country" in has:
        out.append(_comparison("country", [_null("country"), _exact("country", tf=False), _else()]))
    return out


# Blocking rules: each a tuple of parts that must all hold, a part being a column
# ("surname": equal on both sides) or a column pair ("given_name~surname": the left's
# given name is the right's surname, for swapped names). A rule is used when all its
# columns hold values. They follow how one person ends up in a CRM twice:
_PERSON_BLOCKING: tuple[tuple[str, ...], ...] = (
    # typed in again at the same organisation (or one of its units, or its twin without
    # the legal form), with a typo in one of the names, or names swapped
    ("organisation_key", "surname_start"),
    ("organisation_key", "given_start"),
    ("organisation_id", "surname_start"),
    ("organisation_key", "given_name~surname"),
    ("organisation_key", "surname~given_name"),
    # one address or number, wherever the records are
    ("email",),
    ("email~email_2",),
    ("email_2~email",),
    ("email_2",),
    ("phone",),
    ("phone~phone_2",),
    ("phone_2~phone",),
    ("phone_2",),
    # a job move: the same name, or the same jane.doe mailbox at the new domain
    ("full_name",),
    ("email_local",),
    # the company's domain with the surname, when the organisation was named differently
    ("email_domain", "surname_start"),
    # the same home: people records with a date of birth or a postcode
    ("date_of_birth",),
    ("postcode", "surname_start"),
    ("postcode", "given_start"),
)
_ORGANISATION_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("domain",),
    ("phone",),
    ("postcode", "street_start"),
    ("city", "name_start"),
)
# Rules for EM training: each trains every comparison not in it.
_PERSON_TRAINING: tuple[tuple[str, ...], ...] = (
    ("given_name", "surname", "organisation_key"),
    # colleagues and duplicates sharing a surname (or a given name) at one organisation:
    # where the product keeps every e-mail and phone one contact's only, the names have
    # no block of shared identities to be trained on
    ("organisation_key", "surname"),
    ("organisation_key", "given_name"),
    ("email",),
    ("phone",),
    ("date_of_birth",),
    ("postcode", "street"),
)
_ORGANISATION_TRAINING: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("domain",),
    ("phone",),
)
# Rules precise enough to count matches directly, for the prior match probability.
_PERSON_DETERMINISTIC: tuple[tuple[str, ...], ...] = (
    ("given_name", "surname", "organisation_key"),
    ("given_name", "surname", "date_of_birth"),
    ("email",),
    ("given_name", "surname", "phone"),
)
_ORGANISATION_DETERMINISTIC: tuple[tuple[str, ...], ...] = (
    ("name", "domain"),
    ("name", "phone"),
)
# The field each derived key is computed from.
_SOURCE_OF: dict[str, str] = {
    "given_start": "given_name",
    "given_canon": "given_name",
    "surname_start": "surname",
    "full_name": "surname",
    "email": "emails",
    "email_2": "emails",
    "email_local": "emails",
    "email_domain": "emails",
    "phone": "phones",
    "phone_2": "phones",
    "street_start": "street",
    "name_start": "name",
}
# The comparison a person field is compared in.
_COMPARED_IN: dict[str, str] = {
    "given_canon": "given_name",
    "organisation": _WORKPLACE,
    "organisation_id": _WORKPLACE,
    "organisation_key": _WORKPLACE,
    "street": _WORKPLACE,
    "city": _WORKPLACE,
    "postcode": _WORKPLACE,
}


def _columns_of(rule: tuple[str, ...]) -> set[str]:
    cols: set[str] = set()
    for part in rule:
        cols.update(part.split("~"))
    return cols


def _sources_of(rule: tuple[str, ...]) -> set[str]:
    """The fields a rule's columns are computed from."""
    out = {_SOURCE_OF.get(column, column) for column in _columns_of(rule)}
    if "full_name" in _columns_of(rule):
        out.add("given_name")
    return out


def _fields_of(rule: tuple[str, ...]) -> set[str]:
    """The comparisons a rule's columns say something about (EM does not train them)."""
    return {_COMPARED_IN.get(source, source) for source in _sources_of(rule)}


def blocking_rules(kind: Kind, present: list[str], records: int) -> list[tuple[str, ...]]:
    """The blocking rules used for `records` records with these columns present."""
    if kind == "organisation":
        return _usable(_ORGANISATION_BLOCKING, present)
    return _usable(_PERSON_BLOCKING, present)


def _rule_sql(rule: tuple[str, ...]) -> str:
    """The SQL join condition of a blocking rule (see `_PERSON_BLOCKING`)."""
    conditions = []
    for part in rule:
        left, _, right = part.partition("~")
        conditions.append(f'l."{left}" = r."{right or left}"')
    return " AND ".join(conditions)


def _usable(rules: tuple[tuple[str, ...], ...], present: list[str]) -> list[tuple[str, ...]]:
    has = {*present, "organisation_key"}
    return [rule for rule in rules if _sources_of(rule) <= has]


# ---------------------------------------------------------------------------------------
# The engine

# Pairs from here up to the threshold are kept too, flagged "not sure": the fields could
# not decide, so a person should, rather than the pair vanishing.
REVIEW_FROM = 0.2
# The same normalised name at the same organisation is always at least a "not sure"
# candidate, whatever the other fields say.
_SAME_NAME_SAME_ORGANISATION = ("given_name", "surname", "organisation_key")


def link_records(
    records: Sequence[Mapping[str, Any]],
    *,
    kind: Kind,
    id_field: str = "id",
    threshold: float = 0.5,
    review_from: float = REVIEW_FROM,
    seed: int = 0,
    u_max_pairs: float = _U_MAX_PAIRS,
) -> Linkage:
    """Find the records that are probably the same person or organisation.

    Returns the pairs at or above `review_from` (left_id < right_id, strongest first)
    with the level each field agreed at; those below `threshold` are flagged `not_sure`,
    as is every pair of people with the same normalised name at the same organisation
    that the fields put lower still. Clusters are the connected components of the pairs
    at or above `threshold`. The trained model (m/u per level, blocking rules, prior,
    counts) is in `parameters` for audit. `u_max_pairs` is the number of random pairs u
    is learned from; the same `seed` gives the same result.
    """
    if kind not in ("person", "organisation"):
        raise ValueError(f"unknown kind {kind!r}")
    review_from = min(review_from, threshold)
    rows, present = prepare(records, kind=kind, id_field=id_field)
    alone = not {"organisation", "organisation_id"} & set(present)
    comparisons = (
        _person_comparisons(present) if kind == "person" else _organisation_comparisons(present)
    )
    blocking = blocking_rules(kind, present, len(rows))
    base_parameters: dict[str, Any] = {
        "kind": kind,
        "records": len(rows),
        "columns": present,
        "threshold": threshold,
        "review_from": review_from,
        "seed": seed,
    }
    if len(rows) < 2 or not comparisons or not blocking:
        return Linkage([], [], MODEL_NAME, MODEL_VERSION, {**base_parameters, "pairs": 0})

    linker = _train(
        rows, present, comparisons, blocking, kind=kind, seed=seed, u_max_pairs=u_max_pairs
    )
    if kind == "person":
        linker = _with_moves(linker, present)
    fields = [c["output_column_name"] for c in comparisons]
    columns = ", ".join(f'"mw_{name}"' for name in fields)
    select = f"SELECT uid_l, uid_r, match_probability, {columns} FROM p"
    try:
        predictions = linker.inference.predict(
            threshold_match_probability=review_from, warning_mode="never"
        )
        result = predictions.as_duckdbpyrelation().query("p", select).fetchall()
        found = {(str(row[0]), str(row[1])) for row in result}
        if kind == "person" and _usable((_SAME_NAME_SAME_ORGANISATION,), present):
            result += [
                row
                for row in _same_name_pairs(linker, select)
                if (str(row[0]), str(row[1])) not in found
            ]
        levels = _levels_by_weight(linker)
        prior = _prior(linker)
        trained = _trained_levels(linker)
        candidates = _count(linker)
    finally:
        linker._db_api.duckdb_con.close()

    pairs: list[LinkedPair] = []
    for row in result:
        left, right, probability = str(row[0]), str(row[1]), float(row[2])
        if right < left:
            left, right = right, left
        evidence = {}
        for name, weight in zip(fields, row[3:], strict=True):
            label = _level_at(levels[name], weight)
            if label is not None and name == _WORKPLACE and alone:
                label = _ALONE_LABELS.get(label)
            if label is not None:
                evidence[name] = label
        pairs.append(LinkedPair(left, right, probability, evidence, probability < threshold))
    pairs.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))
    clusters = connected_components([(p.left_id, p.right_id) for p in pairs if not p.not_sure])
    parameters = {
        **base_parameters,
        "splink_version": _splink_version(),
        "blocking_rules": [_rule_sql(rule) for rule in blocking],
        "candidate_pairs": candidates,
        "probability_two_random_records_match": prior,
        "comparisons": trained,
        "pairs": sum(not p.not_sure for p in pairs),
        "not_sure": sum(p.not_sure for p in pairs),
        "clusters": len(clusters),
    }
    return Linkage(pairs, clusters, MODEL_NAME, MODEL_VERSION, parameters)


def _same_name_pairs(linker: Any, select: str) -> list[tuple[Any, ...]]:
    """Every pair with the same normalised name at the same organisation, scored by the
    trained model (a second linker on the same table, blocking on nothing else)."""
    from splink import Linker

    model = linker.misc.save_model_to_json()
    model["blocking_rules_to_generate_predictions"] = [_rule_sql(_SAME_NAME_SAME_ORGANISATION)]
    same = Linker(list(linker._input_tables_dict.values()), model, log_level=None)
    predictions = same.inference.predict(warning_mode="never")
    return list(predictions.as_duckdbpyrelation().query("p", select).fetchall())  # type: ignore[union-attr]


def _count(linker: Any) -> int:
    """How many candidate pairs the blocking rules let through."""
    try:
        table = linker.inference.compute_blocked_pairs_for_predict().as_duckdbpyrelation()
        return int(table.aggregate("count(*)").fetchall()[0][0])
    except Exception:  # the count is for audit only
        logger.debug("counting candidate pairs failed", exc_info=True)
        return -1


def _train(
    rows: list[dict[str, Any]],
    present: list[str],
    comparisons: list[dict[str, Any]],
    blocking: list[tuple[str, ...]],
    *,
    kind: Kind,
    seed: int,
    u_max_pairs: float,
) -> Any:
    """A splink linker on the rows, with u by random sampling and m by per-rule EM.

    The prior (the probability that two random records match) is counted, not assumed:
    the pairs that precise rules call matches (the same name at the same organisation,
    the same e-mail address, ...) over all pairs, divided by the rules' recall. Within
    one organisation the organisation comparison's weight lifts it to the share of
    matches among that organisation's pairs, so a prior over all N² pairs is the
    per-organisation prior in disguise; what made a match impossible was a prior
    assumed (one in 0.7·N² pairs) whenever the rules named no column the records had.
    It is kept between `_PRIOR_FLOOR` and 0.5.
    """
    linker = _linker(rows, comparisons, blocking)
    if len(rows) < _SMALL:
        _use_textbook_values(linker)
        _settle(linker, u_max_pairs)
        return linker
    training = linker.training
    deterministic = _usable(
        _PERSON_DETERMINISTIC if kind == "person" else _ORGANISATION_DETERMINISTIC, present
    )
    total = len(rows) * (len(rows) - 1) / 2
    matches = _pairs_matching(rows, deterministic) / _DETERMINISTIC_RECALL
    prior = min(0.5, max(matches / total, _PRIOR_FLOOR / total))
    linker._settings_obj._probability_two_random_records_match = prior

    training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed, num_chunks=1)
    rules = _usable(_PERSON_TRAINING if kind == "person" else _ORGANISATION_TRAINING, present)
    fields = {comparison["output_column_name"] for comparison in comparisons}
    trained: set[str] = set()
    for rule in rules:
        # Each session trains the comparisons outside its rule; a comparison trained in
        # several takes the median, so that no one rule's kind of pairs decides its m.
        if _pairs_under(rows, rule) < _EM_MIN_PAIRS:
            continue
        # A failed session can leave the settings without the rule's comparisons.
        before = copy.deepcopy(linker._settings_obj)
        try:
            with _m_floored_in_em():
                training.estimate_parameters_using_expectation_maximisation(
                    _rule_sql(rule), estimate_without_term_frequencies=True
                )
        except Exception:  # EM failed on this rule's pairs: train on the others
            logger.debug("EM on %s failed", rule, exc_info=True)
            linker._settings_obj = before
        else:
            trained |= fields - _fields_of(rule)
    # A comparison no session could train (too few pairs shared an address, a number, a
    # name) keeps textbook m values rather than splink's defaults by level order.
    _use_textbook_m(linker, fields - trained)
    # EM moves the prior towards the share of matches among its training pairs; the
    # counted prior is the one that holds for all pairs.
    linker._settings_obj._probability_two_random_records_match = prior
    _settle(linker, u_max_pairs)
    return linker


@contextlib.contextmanager
def _m_floored_in_em() -> Iterator[None]:
    """Keep every m EM estimates at least `_M_FLOOR_EM` while it iterates.

    A level whose pairs all weigh as non-matches gets m = 0.0 by underflow, which splink
    5 refuses (and log(0) has no weight): the whole session failed, and with it the
    training of every field it was to train. A tiny floor is the regularisation that
    `_settle` applies anyway, moved into the iterations.
    """
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def floored(fixed: Any, level: Any, name: str, lookup: dict[str, dict[int, Any]]) -> None:
        for by_level in lookup.values():
            for record in by_level.values():
                m = record.get("m_probability")
                if isinstance(m, float | int) and m < _M_FLOOR_EM:
                    record["m_probability"] = _M_FLOOR_EM
        original(fixed, level, name, lookup)

    em.populate_m_u_from_lookup = floored  # type: ignore[assignment]
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


_M_FLOOR_EM = 1e-6
# The share of true matches the precise rules are assumed to find.
_DETERMINISTIC_RECALL = 0.7
# The prior never drops below this many matches among all pairs, so that a data set
# where the precise rules find nothing still lets strong evidence through.
_PRIOR_FLOOR = 1.0


def _pairs_matching(rows: list[dict[str, Any]], rules: list[tuple[str, ...]]) -> int:
    """How many pairs agree on every column of at least one of the equality rules."""
    found: set[tuple[str, str]] = set()
    for rule in rules:
        groups: dict[tuple[Any, ...], list[str]] = {}
        for row in rows:
            key = tuple(row[column] for column in rule)
            if all(key):
                groups.setdefault(key, []).append(row["uid"])
        for members in groups.values():
            if len(members) > 50:  # a value too common to be a person's (see _SHARED_AT)
                continue
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    found.add((a, b) if a < b else (b, a))
    return len(found)


# Below this many records there is too little to learn from: among 3 records, 1 pair in 3
# agrees on the surname because it is the duplicate, so sampled u would say agreement
# means nothing. Such inputs get a fixed model with textbook m/u values instead.
_SMALL = 50
_SMALL_PRIOR = 1e-3
# (m, u) by level label; the u of "exact" depends on how discriminating the field is.
_TEXTBOOK_LEVELS: dict[str, tuple[float, float]] = {
    "exact": (0.8, 0.01),
    "nickname": (0.05, 0.001),
    "Jaro-Winkler ≥ 0.92": (0.08, 0.003),
    "Jaro-Winkler ≥ 0.9": (0.08, 0.003),
    "Jaro-Winkler ≥ 0.88": (0.03, 0.005),
    "Jaro-Winkler ≥ 0.8": (0.03, 0.02),
    "Jaro-Winkler ≥ 0.7": (0.02, 0.05),
    "swapped with surname": (0.02, 1e-4),
    "swapped with given name": (0.02, 1e-4),
    "initial": (0.02, 0.01),
    "same mailbox name": (0.1, 0.001),
    "same address": (0.8, 1e-5),
    "same number": (0.6, 1e-5),
    # The workplace levels (their m sum to 1): one employer in ten pairs of a small list.
    "same organisation and street": (0.3, 0.002),
    "same organisation, street alike": (0.05, 0.003),
    "same organisation and postcode": (0.1, 0.01),
    "same organisation and city": (0.1, 0.03),
    "same organisation, no address to compare": (0.3, 0.03),
    "same organisation": (0.5, 0.05),
    "same organisation, another address": (0.05, 0.1),
    "organisation name alike": (0.05, 0.005),
    "same street elsewhere": (0.01, 0.001),
    "another organisation": (0.04, 0.5),
    "one typo": (0.05, 0.001),
    "2 typos": (0.02, 0.005),
    "different": (0.05, 0.9),
}
_TEXTBOOK_EXACT_U: dict[str, float] = {
    "given_name": 0.01,
    "surname": 0.005,
    "date_of_birth": 1e-4,
    "title": 0.05,
    "street": 0.001,
    "city": 0.05,
    "postcode": 0.01,
    "region": 0.2,
    "country": 0.5,
    "name": 0.001,
    "domain": 0.001,
}


_CHANNELS_DIFFERENT = (0.3, 0.95)


def _use_textbook_values(linker: Any) -> None:
    """Fixed m/u and prior for inputs too small to train on (see `_SMALL`)."""
    linker._settings_obj._probability_two_random_records_match = _SMALL_PRIOR
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            m, u = _TEXTBOOK_LEVELS.get(level.label_for_charts, (0.05, 0.01))
            if level.label_for_charts == "different" and comparison.output_column_name in (
                "emails",
                "phones",
            ):
                m, u = _CHANNELS_DIFFERENT  # a person has several addresses and numbers
            if level.label_for_charts == "exact":
                u = _TEXTBOOK_EXACT_U.get(comparison.output_column_name, u)
            level.m_probability, level.u_probability = m, u
            # Term frequencies from a handful of records say nothing about the population.
            level._tf_adjustment_weight = 0.0


def _use_textbook_m(linker: Any, untrained: set[str]) -> None:
    """Textbook m for the levels of comparisons EM did not train (u stays as sampled)."""
    for comparison in linker._settings_obj.comparisons:
        if comparison.output_column_name not in untrained:
            continue
        for level in comparison.comparison_levels:
            if not level.is_null_level:
                level.m_probability = _TEXTBOOK_LEVELS.get(level.label_for_charts, (0.05, 0.01))[0]


def _pairs_under(rows: list[dict[str, str | None]], rule: tuple[str, ...]) -> int:
    """How many pairs agree on every column of a plain equality rule."""
    groups: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(row[column] or "" for column in rule)
        if all(key):
            groups[key] = groups.get(key, 0) + 1
    return sum(n * (n - 1) // 2 for n in groups.values())


# Columns holding several values a record (compared with list_has_any).
_LIST_COLUMNS = frozenset(["emails", "phones", "email_locals"])


def _linker(
    rows: list[dict[str, Any]],
    comparisons: list[dict[str, Any]],
    blocking: list[tuple[str, ...]],
) -> Any:
    """An untrained splink linker over the rows in a private in-memory DuckDB."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    connection = duckdb.connect()
    # One thread: DuckDB's seeded sampling is only repeatable single-threaded.
    connection.execute("SET threads TO 1")
    db = DuckDBAPI(connection)
    columns = list(rows[0]) if rows else ["uid"]
    arrays = {}
    for name in columns:
        values = [row[name] for row in rows]
        listed = name in _LIST_COLUMNS
        arrays[name] = pa.array(values, type=pa.list_(pa.string()) if listed else pa.string())
    table = db.register(pa.table(arrays))
    settings = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "uid",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [_rule_sql(rule) for rule in blocking],
        "retain_matching_columns": False,
        # Keeps each comparison's match weight (mw_<name>), from which evidence is read.
        "retain_intermediate_calculation_columns": True,
    }
    return Linker(table, settings, log_level=None)


def blocked_pairs(
    records: Sequence[Mapping[str, Any]], *, kind: Kind, id_field: str = "id"
) -> set[tuple[str, str]]:
    """The candidate pairs blocking lets through (to measure blocking recall)."""
    rows, present = prepare(records, kind=kind, id_field=id_field)
    comparisons = (
        _person_comparisons(present) if kind == "person" else _organisation_comparisons(present)
    )
    blocking = blocking_rules(kind, present, len(rows))
    if len(rows) < 2 or not comparisons or not blocking:
        return set()
    linker = _linker(rows, comparisons, blocking)
    try:
        table = linker.inference.compute_blocked_pairs_for_predict().as_duckdbpyrelation()
        return {(a, b) if a < b else (b, a) for a, b in _id_pairs(table)}
    finally:
        linker._db_api.duckdb_con.close()


def _id_pairs(table: Any) -> list[tuple[str, str]]:
    columns = table.columns
    # splink 5 names the id columns join_key_l/_r in blocked pairs, uid_l/_r elsewhere.
    left = next(c for c in columns if c in ("uid_l", "join_key_l"))
    right = next(c for c in columns if c in ("uid_r", "join_key_r"))
    return [(str(a), str(b)) for a, b in table.select(left, right).fetchall()]


# Ways of writing one name that happen whether or not the training pairs showed them: a
# level's m is kept at least this share of its textbook m. EM learns names from the
# pairs a block admits (all alike when they share a number written two ways).
_NAME_VARIANTS = frozenset(["nickname", "Jaro-Winkler ≥ 0.92", "swapped with surname", "initial"])
_VARIANT_FLOOR_SHARE = 0.5


# A person's given name or surname seldom differs outright between two of their records
# (a swap, an initial, a nickname have levels of their own): EM, meeting colleagues who
# share a surname at one organisation in its block, put a quarter of matches there, and
# two colleagues on one switchboard became one person.
_NAME_DIFFERENT_MAX = 0.1
# A person has several numbers and addresses (desk, mobile, private): records of one
# person differing on them is ordinary, however alike EM's training pairs were.
_CHANNEL_DIFFERENT_MIN = 0.05


def _m_floor(level: Any) -> float:
    label = level.label_for_charts
    if label == _ANOTHER_ORGANISATION:
        return _JOB_MOVES
    if label in _NAME_VARIANTS:
        return _VARIANT_FLOOR_SHARE * _TEXTBOOK_LEVELS[label][0]
    return _M_FLOOR


def _settle(linker: Any, u_max_pairs: float) -> None:
    """Make the trained m and u usable everywhere, including levels training never saw.

    - A level no random pair reached gets u = 1 / pairs sampled (rarer than that).
    - Every m is raised to at least `_M_FLOOR`, then each comparison renormalised.
    - The surname's swap level gets weight 0: the swap is counted under given_name.
    """
    for comparison in linker._settings_obj.comparisons:
        levels = [level for level in comparison.comparison_levels if not level.is_null_level]
        for level in levels:
            if level.u_probability is None or float(level.u_probability) <= 0:
                level.u_probability = 1 / u_max_pairs
        raised = [max(float(level.m_probability or 0.0), _m_floor(level)) for level in levels]
        if comparison.output_column_name in ("given_name", "surname"):
            raised = [
                min(m, _NAME_DIFFERENT_MAX) if level.label_for_charts == "different" else m
                for level, m in zip(levels, raised, strict=True)
            ]
        if comparison.output_column_name in ("emails", "phones"):
            raised = [
                max(m, _CHANNEL_DIFFERENT_MIN) if level.label_for_charts == "different" else m
                for level, m in zip(levels, raised, strict=True)
            ]
        total = sum(raised)
        for level, m in zip(levels, raised, strict=True):
            level.m_probability = m / total
        for level in levels:
            if level.label_for_charts == _SWAP_COUNTED_ELSEWHERE:
                # Not exactly 1: the level is recognised by its weight, and 0 is "missing".
                level.m_probability = float(level.u_probability) * (1 + 1e-6)


def _levels_by_weight(linker: Any) -> dict[str, list[tuple[float, str | None]]]:
    """Per comparison, each level's match weight and label (None for the missing level).

    Splink 5's predictions carry each comparison's match weight (`mw_<name>`), not the
    level index; the weight is written into the SQL from the same float, so it identifies
    the level exactly (the first, most specific, if two levels happen to weigh the same).
    """
    out: dict[str, list[tuple[float, str | None]]] = {}
    for comparison in linker._settings_obj.comparisons:
        out[comparison.output_column_name] = [
            (
                float(level._match_weight) if level._match_weight is not None else math.nan,
                None if level.is_null_level else level.label_for_charts,
            )
            for level in comparison.comparison_levels
        ]
    return out


def _level_at(levels: list[tuple[float, str | None]], weight: float | None) -> str | None:
    if weight is None:
        return None
    for level_weight, label in levels:
        if math.isclose(level_weight, weight, rel_tol=1e-9, abs_tol=1e-12):
            return label
    return None


def _trained_levels(linker: Any) -> dict[str, dict[str, dict[str, float | None]]]:
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for comparison in linker._settings_obj.comparisons:
        out[comparison.output_column_name] = {
            level.label_for_charts: {
                "m": _finite(level.m_probability),
                "u": _finite(level.u_probability),
            }
            for level in comparison.comparison_levels
            if not level.is_null_level
        }
    return out


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _prior(linker: Any) -> float:
    return float(linker._settings_obj._probability_two_random_records_match)


def _splink_version() -> str:
    import splink

    return str(splink.__version__)


def pairs_in_clusters(clusters: Sequence[Sequence[str]]) -> set[tuple[str, str]]:
    """Every (smaller id, larger id) pair inside the same cluster."""
    return {
        (a, b) if a < b else (b, a)
        for cluster in clusters
        for i, a in enumerate(cluster)
        for b in cluster[i + 1 :]
    }


@dataclass(frozen=True)
class PairScore:
    """Precision, recall and F1 of found pairs against the true ones."""

    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float


def score_pairs(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> PairScore:
    """Score pairs (each ordered smaller id first) against all true pairs."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return PairScore(hits, len(found) - hits, len(truth) - hits, precision, recall, f1)


def connected_components(edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Clusters of size ≥ 2 from undirected edges, each sorted, ordered by first member."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for left, right in edges:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return sorted(sorted(group) for group in groups.values() if len(group) > 1)
