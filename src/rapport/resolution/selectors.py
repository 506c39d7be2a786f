"""Reads of identity resolution: probable duplicates on entry, the review queue, merge history.

The online check is built for every keystroke at large size: candidates come from a few
index lookups (exact identities, blocking-key ranges, the same organisation's people),
a few hundred at most, and only those are scored with rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio, token_sort_ratio

from rapport.accounts import keys
from rapport.accounts import services as account_services
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.accounts.services import identity_normalize
from rapport.analytics.names import NICKNAMES, given_name_canonical, organisation_name, plain
from rapport.core import access, runs
from rapport.core.errors import InvalidInput
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.resolution.models import (
    DedupeRun,
    DuplicatePair,
    MergeRecord,
    PairStatus,
    RecordKind,
)

BLOCK_ROWS = 200
# Rows per blocking-key lookup of a person: a common name has thousands; the organisation's
# own people come from their own lookup, so these only need the best-keyed few.
KEY_ROWS = 100
SAME_ORGANISATION_ROWS = 300
MIN_SCORE = 0.75
# Evidence beside the names, added to the name score (rank by the sum; show it capped).
# A personal e-mail names one person; a phone or a team mailbox is shared by many and
# only tips a close call, it never makes a match on its own.
PERSONAL_EMAIL_FLOOR = 0.9
PERSONAL_EMAIL = 0.1
SHARED_EMAIL = 0.03
PHONE = 0.04
SAME_ORGANISATION = 0.06
SAME_UNIT = 0.02
SAME_DOMAIN = 0.03
# Country codes tried when a number is typed without one and no country is known.
_COUNTRY_CODES = (
    "1",
    "44",
    "49",
    "33",
    "31",
    "32",
    "34",
    "39",
    "41",
    "43",
    "45",
    "46",
    "47",
    "61",
    "64",
    "353",
)
_FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "bigpond.com",
    }
)
_NAME_FAMILY: dict[str, set[str]] = {}
for _nickname, _full_name in NICKNAMES.items():
    _NAME_FAMILY.setdefault(_full_name, {_full_name}).add(_nickname)


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing record that is probably the one being entered, and why."""

    record: Any
    score: float
    reasons: tuple[str, ...] = field(default=())

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def phone_variants(raw: str, region: str | None = None) -> list[str]:
    """The stored forms a typed phone number may have: E.164 read in `region`, or, where no
    country is known, the digits as typed and with each common country code."""
    normalized = identity_normalize(IdentityKind.PHONE, raw, region=region)
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) < 6:
        return []
    variants = {normalized, digits}  # a number saved where no country was known: its digits
    if not normalized.startswith("+"):
        national = digits[1:] if digits.startswith("0") else digits
        variants.update("+" + code + national for code in _COUNTRY_CODES)
    return sorted(variants)


def _key_range(prefix: str) -> Q:
    # A range, not LIKE: an index range scan on both SQLite and PostgreSQL.
    return Q(match_key__gte=prefix, match_key__lt=prefix + "~")


def _spellings(name: str) -> list[str]:
    """The ways a name is stored (as typed, Capitalised, lower, UPPER): exact index lookups."""
    name = name.strip()
    return sorted({name, name.capitalize(), name.title(), name.lower(), name.upper()} - {""})


def _given_family(first_name: str) -> list[str]:
    """The typed given name and its nickname family (Bob, Rob, Robert), in stored spellings."""
    canonical = given_name_canonical(first_name) or ""
    names = {first_name, *_NAME_FAMILY.get(canonical, {canonical} if canonical else set())}
    return [spelling for name in names for spelling in _spellings(name)]


@lru_cache(maxsize=65_536)
def _plain(name: str) -> str:
    # Names repeat (a few thousand spellings cover most people): a check scores up to a
    # thousand candidates, and normalising each afresh was most of its time.
    return plain(name) or ""


@lru_cache(maxsize=65_536)
def _canonical(name: str) -> str:
    return given_name_canonical(name) or ""


@lru_cache(maxsize=16_384)
def _organisation(name: str) -> str:
    return organisation_name(name) or ""


def _similar(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a, b) if a and b else 0.0


def _given_names(typed: str, stored: str) -> tuple[float, str]:
    """How alike two given names are, and why (nickname, initial, typo)."""
    a, b = _plain(typed), _plain(stored)
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 1.0, ""
    if _canonical(a) == _canonical(b):
        return 0.95, f"{typed.strip()} and {stored} are the same name (nickname)"
    first_a, first_b = a.split()[0], b.split()[0]
    if (len(first_a) == 1 or len(first_b) == 1) and first_a[0] == first_b[0]:
        return 0.85, f"initial {first_a[0].upper()} matches {stored}"
    score = _similar(a, b)
    return score, f"first name {typed.strip()} ≈ {stored}" if score >= 0.85 else ""


def _surnames(typed: str, stored: str) -> tuple[float, str]:
    a, b = _plain(typed), _plain(stored)
    if not a or not b:
        return 0.0, ""
    if a.replace(" ", "") == b.replace(" ", ""):
        return 1.0, ""
    score = _similar(a, b)
    return score, f"last name {typed.strip()} ≈ {stored}" if score >= 0.85 else ""


def _name_score(first_name: str, last_name: str, first: str, last: str) -> tuple[float, list[str]]:
    """How alike the typed and the stored names are (0..1), and why."""
    reasons: list[str] = []
    last_score, last_why = _surnames(last_name, last)
    first_score, first_why = _given_names(first_name, first)
    if first_name and last_name:
        score = (last_score + first_score) / 2
        swapped = (_surnames(last_name, first)[0] + _given_names(first_name, last)[0]) / 2
        if swapped > score and swapped >= 0.9:
            return swapped, ["first and last names swapped"]
    elif last_name:
        score = last_score * 0.9  # a surname alone: colleagues may share it
    else:
        score = first_score * 0.6  # a given name alone says little
    if score >= 0.8:
        reasons.extend(r for r in (last_why, first_why) if r)
        if last_score == 1 and first_score == 1:
            reasons.insert(0, "same name")
    return score, reasons


def contact_duplicates(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    account_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[DuplicateMatch]:
    """The people already on file who are probably this one, best first, with reasons.

    Candidates come from a fixed set of index lookups (the identities typed, blocking keys
    of the name and of its one-slip misspellings, the organisation's people of that name),
    sent as one statement; each is scored by name similarity plus the evidence around it
    (personal e-mail strong; phone and team mailbox weak; organisation, e-mail domain).
    Four queries whatever the data size.
    """
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email, phone = (email or "").strip(), (phone or "").strip()
    if not (first_name or last_name or email):
        return []
    # The account being entered into: its organisation, and the country a phone is read in.
    unit_id: int | None = None
    customer_id: int | None = None
    typed_organisation, country = "", ""
    entered_into = (
        access.visible_accounts(user)
        .filter(pk=account_id)
        .values_list("pk", "customer_id", "name", "customer__name", "country")
        .first()
        if account_id is not None
        else None
    )
    if entered_into is not None:
        unit_id, top_id, name, customer_name, country = entered_into
        customer_id = top_id or unit_id
        typed_organisation = organisation_name(customer_name or name) or ""
    address = identity_normalize(IdentityKind.EMAIL, email) if "@" in email else ""
    numbers: list[str] = []
    if phone:
        region = account_services.phone_region(account=Account(country=country or ""))
        numbers = phone_variants(phone, region)
    rows, held = _contact_candidates(
        first_name=first_name,
        last_name=last_name,
        identities=[address, *numbers] if address else numbers,
        customer_id=customer_id,
    )
    rows.pop(exclude_id, None)  # type: ignore[arg-type]
    if not rows:
        return []
    scored: dict[int, tuple[float, list[str], int]] = {}
    for pk, (first, last, their_customer, their_unit) in rows.items():
        score, reasons = _name_score(first_name, last_name, first, last)
        evidence = (
            {
                kind if kind != IdentityKind.EMAIL or not shared else "shared email"
                for kind, normalized, shared in held[pk]
                if normalized == address or (kind == IdentityKind.PHONE and normalized in numbers)
            }
            if pk in held
            else ()
        )
        if IdentityKind.EMAIL in evidence:
            # One person's address: strong, and stronger still when the name agrees.
            score = max(score, PERSONAL_EMAIL_FLOOR) + PERSONAL_EMAIL
            reasons.insert(0, f"same e-mail {address}")
        elif "shared email" in evidence:
            score += SHARED_EMAIL
            reasons.append(f"same shared mailbox {address}")
        if IdentityKind.PHONE in evidence:
            score += PHONE
            reasons.append(f"same phone number {phone}")
        place = 0
        if customer_id is not None and their_customer == customer_id:
            score += SAME_ORGANISATION + (SAME_UNIT if their_unit == unit_id else 0.0)
            place = 1
        if score >= MIN_SCORE - SAME_DOMAIN - SAME_ORGANISATION:
            scored[pk] = (score, reasons, place)
    # E-mail domains and organisation names only tip the close calls: ask for the few.
    typed_domain = address.rsplit("@", 1)[1] if address else ""
    if typed_domain in _FREE_MAIL:
        typed_domain = ""
    organisations: dict[int, str] = {}
    if scored and (typed_domain or typed_organisation):
        # Only those that could still reach the first `limit` places with both bonuses.
        floor = (
            sorted((score for score, _, _ in scored.values()), reverse=True)[:limit][-1]
            - SAME_DOMAIN
            - SAME_ORGANISATION
        )
        close = [pk for pk, (score, _, _) in scored.items() if score >= floor]
        domains, organisations = _contact_context(close)
        for pk, (score, reasons, place) in scored.items():
            if typed_domain and typed_domain in domains.get(pk, ()):
                score += SAME_DOMAIN
                reasons.append(f"same e-mail domain {typed_domain}")
            if (
                place == 0
                and typed_organisation
                and _organisation(organisations.get(pk, "")) == typed_organisation
            ):
                # The same company entered twice ("Acme" and "Acme Pty Ltd").
                score += SAME_ORGANISATION
                place = 2
            scored[pk] = (score, reasons, place)
    ranked = sorted(
        ((score, pk) for pk, (score, _, _) in scored.items() if score >= MIN_SCORE),
        key=lambda row: (-row[0], row[1]),
    )
    # Only now the user's view: what they may not see drops out of the ranking.
    wanted = [pk for _, pk in (ranked if not access.sees_everything(user) else ranked[:limit])]
    records = access.scope(user, Contact.objects.select_related("account")).in_bulk(wanted)
    matches = []
    for score, pk in ranked:
        contact = records.get(pk)
        if contact is None:
            continue
        _, reasons, place = scored[pk]
        if place == 1:
            reasons.append(f"same organisation ({contact.account.name})")
        elif place == 2:
            reasons.append(f"same organisation under another name ({organisations[pk]})")
        matches.append(
            DuplicateMatch(contact, round(min(score, 0.99), 3), tuple(dict.fromkeys(reasons)))
        )
        if len(matches) == limit:
            break
    return matches


def _next_letter(name: str) -> tuple[str, str] | None:
    initial = name.strip()[:1]
    return (initial, chr(ord(initial) + 1)) if initial else None


def _contact_candidates(
    *, first_name: str, last_name: str, identities: list[str], customer_id: int | None
) -> tuple[dict[int, tuple[str, str, int, int]], dict[int, list[tuple[str, str, bool]]]]:
    """Live people who may be this one, from every lookup at once, and the identities typed
    that they hold.

    One UNION ALL of index lookups, each with its own limit so that a common name cannot
    crowd out the rest. Hand-written because compiling a dozen ORM querysets per keystroke
    costs more than running them; the caller applies the user's scope to the winners.
    """
    contact, identity = Contact._meta.db_table, ContactIdentity._meta.db_table
    columns = "c.id, c.first_name, c.last_name, c.customer_id, c.account_id"
    parts: list[str] = []
    params: list[Any] = []

    def part(where: str, values: list[Any], rows: int, order: str = "") -> None:
        parts.append(
            # typed NULLs: PostgreSQL reads a bare NULL as text, which no boolean unites with
            f"SELECT * FROM (SELECT {columns}, NULL AS kind, NULL AS normalized,"
            f" CAST(NULL AS BOOLEAN) AS shared"
            f" FROM {contact} c WHERE c.deleted_at IS NULL AND {where}{order} LIMIT {rows}) AS p{len(parts)}"
        )
        params.extend(values)

    def one_of(values: list[str]) -> str:
        return ", ".join(["%s"] * len(values))

    if identities:
        parts.append(
            f"SELECT * FROM (SELECT {columns}, i.kind, i.normalized, i.shared FROM {identity} i"
            f" JOIN {contact} c ON c.id = i.contact_id WHERE i.normalized IN ({one_of(identities)})"
            f" AND i.deleted_at IS NULL AND c.deleted_at IS NULL LIMIT {BLOCK_ROWS}) AS p{len(parts)}"
        )
        params.extend(identities)
    surname, given = keys.surname_code(last_name), keys.given_code(first_name)
    if last_name:
        if given:
            # Same-sounding names; then the surname misspelt by one slip, given name kept.
            part("c.match_key = %s", [surname + given], KEY_ROWS)
            slips = [code + given for code in keys.surname_code_slips(last_name)[1:]]
            if slips:
                part(f"c.match_key IN ({one_of(slips)})", slips, KEY_ROWS)
        for prefix in keys.contact_key_prefixes(first_name, last_name):
            part(
                "c.match_key >= %s AND c.match_key < %s",
                [prefix, prefix + "~"],
                KEY_ROWS,
                " ORDER BY c.match_key",
            )
    if customer_id is not None and (first_name or last_name):
        # The organisation's people of this name however common it is elsewhere, by the
        # (customer, last_name, first_name) index.
        surnames, family = _spellings(last_name), _given_family(first_name)
        if last_name:
            where, values = (
                f"c.customer_id = %s AND c.last_name IN ({one_of(surnames)})",
                [
                    customer_id,
                    *surnames,
                ],
            )
            if first_name:
                initial = _next_letter(first_name)
                ranges = " OR ".join(["(c.first_name >= %s AND c.first_name < %s)"] * 2)
                where += f" AND ({ranges} OR c.first_name IN ({one_of(family)}))"
                assert initial is not None
                values += [initial[0].upper(), initial[1].upper()]
                values += [initial[0].lower(), initial[1].lower(), *family]
            part(where, values, SAME_ORGANISATION_ROWS)
            if first_name:
                # Whatever the given name (Carla typed, Karla on file), a few of them.
                part(
                    f"c.customer_id = %s AND c.last_name IN ({one_of(surnames)})",
                    [customer_id, *surnames],
                    KEY_ROWS,
                )
            if surname:
                # A surname that sounds the same, whatever the given name: both slipped
                # at once (Karla Fincch typed, Carla Finch on file).
                part(
                    "c.customer_id = %s AND c.match_key >= %s AND c.match_key < %s",
                    [customer_id, surname, surname + "~"],
                    KEY_ROWS,
                    " ORDER BY c.match_key",
                )
        if first_name and last_name:
            # A slip in the surname with the given name as on file; or the names swapped.
            initial = _next_letter(last_name)
            assert initial is not None
            ranges = " OR ".join(["(c.last_name >= %s AND c.last_name < %s)"] * 2)
            part(
                f"c.customer_id = %s AND ({ranges}) AND c.first_name IN ({one_of(family)})",
                [
                    customer_id,
                    initial[0].upper(),
                    initial[1].upper(),
                    initial[0].lower(),
                    initial[1].lower(),
                    *family,
                ],
                SAME_ORGANISATION_ROWS,
            )
            swapped_last, swapped_first = _spellings(first_name), _spellings(last_name)
            part(
                f"c.customer_id = %s AND c.last_name IN ({one_of(swapped_last)})"
                f" AND c.first_name IN ({one_of(swapped_first)})",
                [customer_id, *swapped_last, *swapped_first],
                BLOCK_ROWS,
            )
        elif first_name:
            given_names = _spellings(first_name)
            part(
                f"c.customer_id = %s AND c.first_name IN ({one_of(given_names)})",
                [customer_id, *given_names],
                BLOCK_ROWS,
            )
    rows: dict[int, tuple[str, str, int, int]] = {}
    held: dict[int, list[tuple[str, str, bool]]] = {}
    if not parts:
        return rows, held
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for pk, first, last, customer, unit, kind, normalized, shared in cursor.fetchall():
            rows[pk] = (first, last, customer, unit)
            if kind is not None:
                held.setdefault(pk, []).append((kind, normalized, bool(shared)))
    return rows, held


def _contact_context(contact_ids: list[int]) -> tuple[dict[int, set[str]], dict[int, str]]:
    """The e-mail domains and the organisation name of each of a few candidates (one query)."""
    contact, identity = Contact._meta.db_table, ContactIdentity._meta.db_table
    account = Account._meta.db_table
    marks = ", ".join(["%s"] * len(contact_ids))
    domains: dict[int, set[str]] = {}
    organisations: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.contact_id, 'e', i.normalized FROM {identity} i"
            f" WHERE i.contact_id IN ({marks}) AND i.kind = %s AND i.deleted_at IS NULL"
            f" UNION ALL SELECT c.id, 'o', a.name FROM {contact} c JOIN {account} a"
            f" ON a.id = c.customer_id WHERE c.id IN ({marks})",
            [*contact_ids, IdentityKind.EMAIL, *contact_ids],
        )
        rows = cursor.fetchall()
    for pk, what, value in rows:
        if what == "e":
            domains.setdefault(pk, set()).add(value.rsplit("@", 1)[-1])
        else:
            organisations[pk] = value
    return domains, organisations


def account_duplicates(
    *,
    user: User,
    name: str,
    website: str = "",
    phone: str = "",
    city: str = "",
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[DuplicateMatch]:
    """The accounts already on file that are probably this company, best first, with reasons."""
    name, website, city = (name or "").strip(), (website or "").strip(), (city or "").strip()
    # As for people: each lookup returns the rows to score; only the best become records.
    live = access.scope(user, Account.objects.filter(deleted_at__isnull=True).order_by(), via="")
    rows: dict[int, tuple[str, str]] = {}
    why: dict[int, list[str]] = {}
    boost: dict[int, float] = {}

    def found(found_rows: Any, reason: str = "", score: float = 0.0) -> None:
        for pk, found_name, found_city in found_rows:
            rows[pk] = (found_name, found_city)
            why.setdefault(pk, [])
            if reason:
                why[pk].append(reason)
            boost[pk] = max(boost.get(pk, 0.0), score)

    columns = ("pk", "name", "city")
    domain = keys.web_domain(website)
    if domain:
        found(
            live.filter(web_domain=domain).values_list(*columns)[:BLOCK_ROWS],
            f"same website {domain}",
            0.95,
        )
    prefix = keys.account_key_prefix(name)
    if prefix:
        found(
            live.filter(_key_range(prefix)).order_by("match_key").values_list(*columns)[:BLOCK_ROWS]
        )
    variants = phone_variants(phone) if phone else []
    if variants:
        owners = ContactIdentity.objects.filter(normalized__in=variants).values_list(
            "contact__account_id", "kind"
        )
        units = [pk for pk, kind in owners[:BLOCK_ROWS] if kind == IdentityKind.PHONE]
        if units:
            found(
                live.filter(pk__in=units).values_list(*columns),
                f"phone {phone} belongs to one of their people",
                0.85,
            )
    rows.pop(exclude_id, None)  # type: ignore[arg-type]
    if not rows:
        return []
    typed = organisation_name(name) or ""
    scored = []
    for pk, (their_name, their_city) in rows.items():
        reasons = list(why[pk])
        theirs = organisation_name(their_name) or ""
        name_score = 0.0
        if typed and theirs:
            name_score = (token_sort_ratio(typed, theirs) + token_set_ratio(typed, theirs)) / 200
            if typed == theirs:
                reasons.insert(
                    0,
                    "same name"
                    if plain(name) == plain(their_name)
                    else f"same name without legal form ({theirs})",
                )
            elif name_score >= 0.8:
                reasons.append(f"name {name} ≈ {their_name}")
        score = max(name_score, boost.get(pk, 0.0))
        if city and their_city and plain(city) == plain(their_city):
            score += 0.04
            reasons.append(f"same city ({their_city})")
        score = min(score, 0.99)
        if score >= MIN_SCORE:
            scored.append((round(score, 3), pk, tuple(dict.fromkeys(reasons))))
    scored.sort(key=lambda row: (-row[0], row[1]))
    best = scored[:limit]
    records = Account.objects.in_bulk([pk for _, pk, _ in best])
    return [DuplicateMatch(records[pk], score, reasons) for score, pk, reasons in best]


# --- the review queue --------------------------------------------------------------------


def _visible_pairs(user: User) -> QuerySet[DuplicatePair]:
    """Pairs whose both records the user may see (portal and partner users: their own only)."""
    pairs = DuplicatePair.objects.all()
    for via in ("left_unit", "right_unit"):
        pairs = access.scope(user, pairs, via=via)
    return pairs


def _live(pairs: QuerySet[DuplicatePair]) -> QuerySet[DuplicatePair]:
    return pairs.filter(
        Q(
            kind=RecordKind.CONTACT,
            left_contact__deleted_at__isnull=True,
            right_contact__deleted_at__isnull=True,
        )
        | Q(
            kind=RecordKind.ACCOUNT,
            left_account__deleted_at__isnull=True,
            right_account__deleted_at__isnull=True,
        )
    )


def pair_list(
    *,
    user: User,
    kind: str = "",
    status: str = PairStatus.PENDING,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[DuplicatePair]:
    """The review queue: most probable first, keyset-paginated, both sides visible and live."""
    limit = clamp_limit(limit)
    if kind and kind not in RecordKind.values:
        raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
    if status and status not in PairStatus.values:
        raise InvalidInput(f"Unknown status {status!r}.", field="status")
    pairs = _visible_pairs(user)
    if kind:
        pairs = pairs.filter(kind=kind)
    if status:
        pairs = pairs.filter(status=status)
    if status != PairStatus.ACCEPTED:
        pairs = _live(pairs)
    if cursor:
        probability, last_id = decode_cursor(cursor, 2)
        if not isinstance(probability, int | float) or not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        pairs = pairs.filter(
            Q(probability__lt=probability) | Q(probability=probability, id__gt=last_id)
        )
    rows = list(
        pairs.select_related(
            "left_contact__account", "right_contact__account", "left_account", "right_account"
        ).order_by("-probability", "id")[: limit + 1]
    )
    return page_of(rows, limit, lambda p: [p.probability, p.pk])


def pair_get(*, user: User, pk: int) -> DuplicatePair:
    """One pair of the queue (NotFound if either side is hidden from the user)."""
    return access.get_visible(
        _visible_pairs(user).select_related(
            "left_contact__account",
            "right_contact__account",
            "left_account",
            "right_account",
            "decided_by",
        ),
        user,
        via="left_unit",
        pk=pk,
    )


def pair_counts(*, user: User) -> dict[str, int]:
    """How many live pairs wait for review, per kind."""
    pairs = _live(_visible_pairs(user).filter(status=PairStatus.PENDING))
    counts = dict.fromkeys(RecordKind.values, 0)
    for kind in RecordKind.values:
        counts[kind] = pairs.filter(kind=kind).count()
    return counts


def merge_list(
    *, user: User, cursor: str | None = None, limit: int | None = None
) -> Page[MergeRecord]:
    """Merges, newest first (internal users only see them all; others see none)."""
    limit = clamp_limit(limit)
    merges = MergeRecord.objects.all()
    if not access.can(user, access.Capability.USE_STAFF_TOOLS):
        merges = merges.none()
    if cursor:
        raw, last_id = decode_cursor(cursor, 2)
        if not isinstance(last_id, int) or not isinstance(raw, str):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        merges = merges.filter(Q(merged_at__lt=raw) | Q(merged_at=raw, id__lt=last_id))
    rows = list(
        merges.select_related(
            "keep_contact",
            "absorbed_contact",
            "keep_account",
            "absorbed_account",
            "merged_by",
            "undone_by",
        ).order_by("-merged_at", "-id")[: limit + 1]
    )
    return page_of(rows, limit, lambda m: [m.merged_at, m.pk])


def merge_get(*, user: User, pk: int) -> MergeRecord:
    """One merge record (internal users)."""
    from rapport.core.errors import NotFound

    merge = None
    if access.can(user, access.Capability.USE_STAFF_TOOLS):
        merge = (
            MergeRecord.objects.select_related(
                "keep_contact", "absorbed_contact", "keep_account", "absorbed_account", "merged_by"
            )
            .filter(pk=pk)
            .first()
        )
    if merge is None:
        raise NotFound("merge not found")
    return merge


def run_latest(*, kind: str) -> DedupeRun | None:
    """The newest batch run of a kind."""
    runs.sweep()  # a run whose worker died shows as failed, not at 0 % for ever
    return (
        DedupeRun.objects.filter(kind=kind)
        .select_related("run")
        .order_by("-created_at", "-id")
        .first()
    )


def run_get(*, user: User, pk: int) -> DedupeRun:
    """One batch run (internal users)."""
    from rapport.core.errors import NotFound

    runs.sweep()
    run = (
        DedupeRun.objects.select_related("run").filter(pk=pk).first()
        if access.can(user, access.Capability.USE_STAFF_TOOLS)
        else None
    )
    if run is None:
        raise NotFound("run not found")
    return run
