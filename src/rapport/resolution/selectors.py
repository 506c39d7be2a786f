"""Reads of identity resolution: probable duplicates on entry, the review queue, merge history.

The online check is built for every keystroke at large size: candidates come from a few
index lookups (exact identities, blocking-key ranges, the same organisation's people),
a few hundred at most, and only those are scored with rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio, token_sort_ratio

from rapport.accounts import keys
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.accounts.services import identity_normalize
from rapport.analytics.names import given_name_canonical, organisation_name, plain
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
SAME_ORGANISATION_ROWS = 300
MIN_SCORE = 0.75
# Country codes tried when a number is typed without one (and dropped when it has one).
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
    }
)


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing record that is probably the one being entered, and why."""

    record: Any
    score: float
    reasons: tuple[str, ...] = field(default=())

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def phone_variants(raw: str) -> list[str]:
    """The stored forms a phone number may have: with or without its country code."""
    normalized = identity_normalize(IdentityKind.PHONE, raw)
    digits = normalized.lstrip("+")
    if len(digits) < 6:
        return []
    variants = {normalized, digits, "+" + digits}
    if normalized.startswith("+"):
        for length in (1, 2, 3):
            national = digits[length:]
            if len(national) >= 6:
                variants.update({"0" + national, national})
            if national.startswith("0"):  # +44 (0)20 …: the trunk zero written in
                variants.add("+" + digits[:length] + national[1:])
                variants.add(national)
    else:
        national = digits[1:] if digits.startswith("0") else digits
        variants.update("+" + code + national for code in _COUNTRY_CODES)
    return sorted(variants)


def _key_range(prefix: str) -> Q:
    # A range, not LIKE: an index range scan on both SQLite and PostgreSQL.
    return Q(match_key__gte=prefix, match_key__lt=prefix + "~")


def _similar(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a, b) if a and b else 0.0


def _given_names(typed: str, stored: str) -> tuple[float, str]:
    """How alike two given names are, and why (nickname, initial, typo)."""
    a, b = plain(typed) or "", plain(stored) or ""
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 1.0, ""
    if given_name_canonical(a) == given_name_canonical(b):
        return 0.95, f"{typed.strip()} and {stored} are the same name (nickname)"
    first_a, first_b = a.split()[0], b.split()[0]
    if (len(first_a) == 1 or len(first_b) == 1) and first_a[0] == first_b[0]:
        return 0.85, f"initial {first_a[0].upper()} matches {stored}"
    score = _similar(a, b)
    return score, f"first name {typed.strip()} ≈ {stored}" if score >= 0.85 else ""


def _surnames(typed: str, stored: str) -> tuple[float, str]:
    a, b = plain(typed) or "", plain(stored) or ""
    if not a or not b:
        return 0.0, ""
    if a.replace(" ", "") == b.replace(" ", ""):
        return 1.0, ""
    score = _similar(a, b)
    return score, f"last name {typed.strip()} ≈ {stored}" if score >= 0.85 else ""


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
    """The people already on file who are probably this one, best first, with reasons."""
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email, phone = (email or "").strip(), (phone or "").strip()
    if not (last_name or email or phone):
        return []
    # Each retrieval is one index lookup returning the rows to score (no second query by a
    # long list of ids: compiling it would cost more than the lookups themselves).
    live = access.scope(user, Contact.objects.order_by()).values_list(
        "pk", "first_name", "last_name", "customer_id"
    )
    rows: dict[int, tuple[str, str, int]] = {}
    why: dict[int, list[str]] = {}
    boost: dict[int, float] = {}

    def found(found_rows: Any, reason: str = "", score: float = 0.0) -> None:
        for pk, first, last, customer_id in found_rows:
            rows[pk] = (first, last, customer_id)
            why.setdefault(pk, [])
            if reason:
                why[pk].append(reason)
            boost[pk] = max(boost.get(pk, 0.0), score)

    if "@" in email:
        address = identity_normalize(IdentityKind.EMAIL, email)
        owners = _owners(IdentityKind.EMAIL, [address])
        found(live.filter(pk__in=owners) if owners else [], f"same e-mail {address}", 0.97)
    variants = phone_variants(phone) if phone else []
    if variants:
        owners = _owners(IdentityKind.PHONE, variants)
        found(live.filter(pk__in=owners) if owners else [], f"same phone number {phone}", 0.9)
    if last_name:
        for prefix in keys.contact_key_prefixes(first_name, last_name):
            found(live.filter(_key_range(prefix)).order_by("match_key")[:BLOCK_ROWS])
    organisation = None
    if account_id is not None:
        organisation = access.visible_accounts(user).filter(pk=account_id).first()
        if organisation is not None and last_name:
            found(live.filter(customer_id=organisation.customer_pk)[:SAME_ORGANISATION_ROWS])
    rows.pop(exclude_id, None)  # type: ignore[arg-type]
    if not rows:
        return []
    typed_domain = email.rsplit("@", 1)[1].lower() if "@" in email else ""
    if typed_domain in _FREE_MAIL:
        typed_domain = ""
    scored: list[tuple[float, int, list[str], bool]] = []
    for pk, (first, last, customer_id) in rows.items():
        reasons = list(why[pk])
        last_score, last_why = _surnames(last_name, last)
        first_score, first_why = _given_names(first_name, first)
        if first_name:
            name_score = (last_score + first_score) / 2
            swapped = (_surnames(last_name, first)[0] + _given_names(first_name, last)[0]) / 2
            if swapped > name_score and swapped >= 0.9:
                name_score = swapped
                reasons.append("first and last names swapped")
        else:
            name_score = last_score * 0.9
        if name_score >= 0.8:
            reasons.extend(r for r in (last_why, first_why) if r)
            if last_score == 1 and first_score == 1:
                reasons.insert(0, "same name")
        score = max(name_score, boost.get(pk, 0.0))
        same_organisation = organisation is not None and customer_id == organisation.customer_pk
        if same_organisation:
            score += 0.04
        if score >= MIN_SCORE - 0.03:
            scored.append((score, pk, reasons, same_organisation))
    # The e-mail domain only tips the close calls: ask for the few that are.
    domains = _email_domains([pk for _, pk, _, _ in scored]) if typed_domain and scored else {}
    for i, (score, pk, reasons, same_organisation) in enumerate(scored):
        if typed_domain in domains.get(pk, ()):
            score += 0.03
            reasons.append(f"same e-mail domain {typed_domain}")
        scored[i] = (round(min(score, 0.99), 3), pk, reasons, same_organisation)
    scored = [row for row in scored if row[0] >= MIN_SCORE]
    scored.sort(key=lambda row: (-row[0], row[1]))
    best = scored[:limit]
    records = Contact.objects.select_related("account").in_bulk([pk for _, pk, _, _ in best])
    matches = []
    for score, pk, reasons, same_organisation in best:
        contact = records[pk]
        if same_organisation:
            reasons.append(f"same organisation ({contact.account.name})")
        matches.append(DuplicateMatch(contact, score, tuple(dict.fromkeys(reasons))))
    return matches


def _owners(kind: str, normalized: list[str]) -> list[int]:
    """Who holds one of these identities (by the `normalized` index alone; deleted people
    drop out with the final, scoped query)."""
    rows = ContactIdentity.objects.filter(normalized__in=normalized).values_list(
        "contact_id", "kind"
    )
    return [contact_id for contact_id, found_kind in rows if found_kind == kind][:BLOCK_ROWS]


def _email_domains(contact_ids: list[int]) -> dict[int, set[str]]:
    domains: dict[int, set[str]] = {}
    # By contact only (the contact index); the kind is sorted out here, as filtering on it
    # in SQL tempts the planner into scanning the (kind, normalized) index instead.
    rows = ContactIdentity.objects.filter(contact_id__in=contact_ids).values_list(
        "contact_id", "kind", "normalized"
    )
    for contact_id, kind, address in rows:
        if kind == IdentityKind.EMAIL:
            domains.setdefault(contact_id, set()).add(address.rsplit("@", 1)[-1])
    return domains


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
