"""Reads of the learning memory, every one scoped by core.access."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Model, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone

from rapport.accounts.models import Account, Contact, ContactStatus
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, newest_after, page_of
from rapport.interactions.models import Channel, Direction, Participant, Side
from rapport.memory.models import (
    IMPLIED_PURPOSES,
    Asking,
    Attribute,
    AttributeKind,
    CommunicationPreference,
    Consent,
    ConsentStatus,
    Contradiction,
    ContradictionStatus,
    Fact,
    FrequencyCap,
    PreferenceBreach,
    Purpose,
    QuestionnaireLink,
    SubjectLevel,
    Verdict,
)

M = TypeVar("M", bound=Model)

# --- profiles, facts and contradictions (X3) -------------------------------------------

LEVELS_SEEN_FROM = {
    # What a profile shows: a unit sees unit and organisation attributes; a person also
    # sees their own.
    "unit": (SubjectLevel.ORGANISATION, SubjectLevel.UNIT),
    "contact": (SubjectLevel.ORGANISATION, SubjectLevel.UNIT, SubjectLevel.CONTACT),
}


@dataclass
class ProfileEntry:
    """One attribute on a profile: what we know (own or inherited), or that we don't."""

    attribute: Attribute
    fact: Fact | None
    inherited_from: Account | None = None
    contradiction: Contradiction | None = None

    @property
    def is_known(self) -> bool:
        return self.fact is not None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return bool(
            self.fact and self.fact.valid_until and self.fact.valid_until < timezone.localdate()
        )

    @property
    def is_stale(self) -> bool:
        days = self.attribute.stale_after_days
        return bool(self.fact and days and (timezone.now() - self.fact.recorded_at).days > days)

    @property
    def age_days(self) -> int | None:
        return None if self.fact is None else (timezone.now() - self.fact.recorded_at).days


@dataclass
class Profile:
    """Everything a subject has taught us, attribute by attribute, and what is still unknown."""

    account: Account
    contact: Contact | None
    entries: list[ProfileEntry]

    @property
    def known(self) -> list[ProfileEntry]:
        return [e for e in self.entries if e.fact is not None]

    @property
    def unknown(self) -> list[ProfileEntry]:
        return [e for e in self.entries if e.fact is None]

    @property
    def contradictions(self) -> list[Contradiction]:
        return [e.contradiction for e in self.entries if e.contradiction is not None]

    def by_kind(self) -> list[tuple[str, list[ProfileEntry]]]:
        """Known entries grouped under the attribute kinds, in catalogue order."""
        groups: dict[str, list[ProfileEntry]] = {}
        for entry in self.known:
            groups.setdefault(entry.attribute.get_kind_display(), []).append(entry)
        return list(groups.items())


def attribute_list(*, kind: str = "", level: str = "") -> list[Attribute]:
    """The live catalogue (not customer data: every signed-in role may read it)."""
    queryset = Attribute.objects.all()
    if kind:
        if kind not in AttributeKind.values:
            raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
        queryset = queryset.filter(kind=kind)
    if level:
        if level not in SubjectLevel.values:
            raise InvalidInput(f"Unknown level {level!r}.", field="level")
        queryset = queryset.filter(level=level)
    return list(queryset.order_by("kind", "label"))


def attribute_get(*, key: str | None = None, pk: int | None = None) -> Attribute:
    """One live attribute by key or id, or NotFound."""
    lookup: dict[str, object] = {"key": key} if key is not None else {"pk": pk}
    try:
        return Attribute.objects.get(**lookup)
    except (Attribute.DoesNotExist, ValueError, TypeError):
        raise NotFound("attribute not found") from None


def _ancestor_paths(account: Account) -> list[str]:
    step = Account.steplen
    return [account.path[: step * depth] for depth in range(1, len(account.path) // step + 1)]


def _facts(user: User) -> QuerySet[Fact]:
    return access.scope(user, Fact.objects.all()).select_related(
        "attribute", "account", "contact", "said_by", "recorded_by", "interaction"
    )


def profile(
    *, user: User, account: Account | None = None, contact: Contact | None = None
) -> Profile:
    """The subject's current facts, those inherited from the units above, and the gaps.

    Three queries whatever the size: the catalogue, the current facts along the path to
    the top of the tree (and the person's own), the open contradictions.
    """
    if contact is not None:
        account = contact.account
    assert account is not None
    levels = LEVELS_SEEN_FROM["contact" if contact is not None else "unit"]
    attributes = list(Attribute.objects.filter(level__in=levels).order_by("kind", "label"))
    subject_facts = Q(account__path__in=_ancestor_paths(account), contact__isnull=True)
    if contact is not None:
        subject_facts |= Q(contact=contact)
    facts = list(
        _facts(user)
        .filter(customer_id=account.customer_pk, superseded_at__isnull=True)
        .filter(subject_facts)
        .order_by("account__depth")
    )
    open_contradictions = {
        c.later_id: c
        for c in access.scope(
            user,
            Contradiction.objects.filter(
                customer_id=account.customer_pk, status=ContradictionStatus.OPEN
            ).select_related("earlier", "earlier__said_by", "earlier__recorded_by"),
        )
    }
    # A deeper unit's answer overrides its parents': later rows in depth order win. (A
    # person's own facts are of contact-level attributes only, so they never collide.)
    best = {fact.attribute_id: fact for fact in facts}
    entries = []
    for attribute in attributes:
        fact = best.get(attribute.pk)
        inherited = None
        if fact is not None and fact.contact_id is None and fact.account_id != account.pk:
            inherited = fact.account
        entries.append(
            ProfileEntry(
                attribute=attribute,
                fact=fact,
                inherited_from=inherited,
                contradiction=open_contradictions.get(fact.pk) if fact else None,
            )
        )
    return Profile(account=account, contact=contact, entries=entries)


def fact_get(*, user: User, pk: int) -> Fact:
    """One fact the user may see, with its provenance."""
    return access.get_visible(_facts(user), user, pk=pk)


def fact_history(
    *,
    user: User,
    attribute: Attribute,
    account: Account | None = None,
    contact: Contact | None = None,
    limit: int = 100,
) -> list[Fact]:
    """Every value this subject has had for the attribute, newest first: nothing is erased."""
    facts = _facts(user).filter(attribute=attribute)
    if contact is not None:
        facts = facts.filter(contact=contact)
    elif account is not None:
        facts = facts.filter(account=account, contact__isnull=True)
    return list(facts.order_by("-recorded_at", "-id")[:limit])


def contradiction_get(*, user: User, pk: int) -> Contradiction:
    """One contradiction the user may see."""
    queryset = Contradiction.objects.select_related(
        "attribute", "account", "contact", "earlier", "later", "earlier__said_by", "later__said_by"
    )
    return access.get_visible(queryset, user, pk=pk)


def contradiction_list(
    *, user: User, account: Account | None = None, status: str = ContradictionStatus.OPEN
) -> list[Contradiction]:
    """Contradictions waiting for a person (or resolved ones), newest first; at most 200."""
    queryset = access.scope(user, Contradiction.objects.all()).select_related(
        "attribute",
        "account",
        "contact",
        "earlier",
        "later",
        "earlier__said_by",
        "later__said_by",
        "earlier__recorded_by",
        "later__recorded_by",
    )
    if status:
        if status not in ContradictionStatus.values:
            raise InvalidInput(f"Unknown status {status!r}.", field="status")
        queryset = queryset.filter(status=status)
    if account is not None:
        queryset = queryset.filter(customer_id=account.customer_pk)
    return list(queryset.order_by("-created_at", "-id")[:200])


def latest_told(*, user: User, contact: Contact) -> Fact | None:
    """The last thing this person told us, as a fact."""
    return _facts(user).filter(said_by=contact).order_by("-recorded_at", "-id").first()


# --- questions: known answers, re-asks, what to ask next (X4) --------------------------


def effective_fact(
    *, account: Account, contact: Contact | None, attribute: Attribute
) -> Fact | None:
    """The current, still valid value answering `attribute` for a subject, if any.

    A unit inherits what its parent units told us. Not scoped: the caller has already
    fetched the subject through core.access (or holds a questionnaire key for it).
    """
    today = timezone.localdate()
    facts = (
        Fact.objects.filter(attribute=attribute, superseded_at__isnull=True)
        .exclude(valid_until__lt=today)
        .select_related("said_by", "attribute")
    )
    if contact is not None and attribute.level == SubjectLevel.CONTACT:
        return facts.filter(contact=contact).first()
    return (
        facts.filter(
            customer_id=account.customer_pk,
            contact__isnull=True,
            account__path__in=_ancestor_paths(account),
        )
        .order_by("-account__depth")
        .first()
    )


def questionnaire_known(*, link: QuestionnaireLink) -> dict[str, Fact | None]:
    """What we already know for each question of a questionnaire, by attribute key."""
    return {
        attribute.key: effective_fact(
            account=link.account, contact=link.contact, attribute=attribute
        )
        for attribute in link.attributes.all()
    }


ASKED_RECENTLY_DAYS = 14


@dataclass
class Suggestion:
    """An attribute worth asking about next, and why."""

    attribute: Attribute
    score: float
    reasons: list[str]
    known: Fact | None = None


def known_answer(
    *,
    user: User,
    attribute: Attribute,
    account: Account | None = None,
    contact: Contact | None = None,
) -> ProfileEntry:
    """What we know for this question about this subject (own or inherited), with provenance."""
    subject_profile = profile(user=user, account=account, contact=contact)
    for entry in subject_profile.entries:
        if entry.attribute.pk == attribute.pk:
            return entry
    raise InvalidInput(
        f"“{attribute.label}” is not asked of a {'person' if contact else 'unit'}.",
        field="attribute",
    )


def next_questions(
    *,
    user: User,
    account: Account | None = None,
    contact: Contact | None = None,
    limit: int = 5,
    subject_profile: Profile | None = None,
) -> list[Suggestion]:
    """The unknown (or stale) attributes most worth asking this subject about, best first.

    The score weighs the attribute's importance and how many segments, offers and
    decisions use it; a stale answer counts half, being worth confirming rather than
    asking. What was asked in the last two weeks and not answered is left alone.
    """
    subject_profile = subject_profile or profile(user=user, account=account, contact=contact)
    since = timezone.now() - timedelta(days=ASKED_RECENTLY_DAYS)
    recent = access.scope(
        user,
        Asking.objects.filter(
            customer_id=subject_profile.account.customer_pk,
            asked_at__gte=since,
            answer__isnull=True,
        ),
    )
    if subject_profile.contact is not None:
        recent = recent.filter(contact=subject_profile.contact)
    else:
        recent = recent.filter(account=subject_profile.account, contact__isnull=True)
    asked = set(recent.values_list("attribute_id", flat=True))
    suggestions = []
    for entry in subject_profile.entries:
        attribute = entry.attribute
        if attribute.pk in asked:
            continue
        uses = list(attribute.used_for or [])
        base = attribute.importance * 2 + len(uses)
        reasons = [f"Used for {', '.join(uses)}"] if uses else []
        if entry.fact is None or entry.is_expired:
            reasons.insert(0, "Unknown" if entry.fact is None else "No longer valid")
            suggestions.append(Suggestion(attribute, float(base), reasons))
        elif entry.is_stale:
            reasons.insert(0, f"Last confirmed {entry.age_days} days ago")
            suggestions.append(Suggestion(attribute, base / 2, reasons, known=entry.fact))
    suggestions.sort(key=lambda s: (-s.score, s.attribute.label))
    return suggestions[:limit]


@dataclass
class ReaskCount:
    name: str
    pk: int
    reasks: int
    askings: int


@dataclass
class ReaskSummary:
    by_account: list[ReaskCount]
    by_employee: list[ReaskCount]
    total_reasks: int
    total_askings: int


def reask_summary(*, user: User, since: datetime | None = None, top: int = 50) -> ReaskSummary:
    """Re-asks counted per organisation and per employee (who asked), most first.

    Three aggregate queries, whatever the number of askings.
    """
    askings = access.scope(user, Asking.objects.all())
    if since is not None:
        askings = askings.filter(asked_at__gte=since)
    counts = {"reasks": Count("id", filter=Q(is_reask=True)), "askings": Count("id")}
    per_account = list(
        askings.values("customer_id", "customer__name").annotate(**counts).order_by("-reasks")[:top]
    )
    per_employee = list(
        askings.filter(asked_by__isnull=False)
        .values("asked_by_id", "asked_by__full_name")
        .annotate(**counts)
        .order_by("-reasks")[:top]
    )
    return ReaskSummary(
        by_account=[
            ReaskCount(r["customer__name"], r["customer_id"], r["reasks"], r["askings"])
            for r in per_account
        ],
        by_employee=[
            ReaskCount(r["asked_by__full_name"], r["asked_by_id"], r["reasks"], r["askings"])
            for r in per_employee
        ],
        **{f"total_{name}": value for name, value in askings.aggregate(**counts).items()},
    )


def asking_get(*, user: User, pk: int) -> Asking:
    """One asking the user may see."""
    queryset = Asking.objects.select_related(
        "attribute", "account", "contact", "asked_by", "known_fact", "answer"
    )
    return access.get_visible(queryset, user, pk=pk)


def asking_list(
    *,
    user: User,
    account: Account | None = None,
    contact: Contact | None = None,
    reasks_only: bool = False,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Asking]:
    """Askings newest first, keyset-paginated."""
    limit = clamp_limit(limit)
    queryset = access.scope(user, Asking.objects.all()).select_related(
        "attribute", "account", "contact", "asked_by", "known_fact", "answer"
    )
    if account is not None:
        queryset = queryset.filter(customer_id=account.customer_pk)
        if not account.is_customer_root:
            queryset = queryset.filter(account__path__startswith=account.path)
    if contact is not None:
        queryset = queryset.filter(contact=contact)
    if reasks_only:
        queryset = queryset.filter(is_reask=True)
    queryset = newest_after(queryset, cursor, "asked_at")
    rows = list(queryset.order_by("-asked_at", "-id")[: limit + 1])
    return page_of(rows, limit, lambda a: [a.asked_at, a.id])


@dataclass
class WhatWeKnow:
    """The account or contact page's memory card: the profile and what to ask next."""

    profile: Profile
    suggestions: list[Suggestion]


def what_we_know(
    *, user: User, account: Account | None = None, contact: Contact | None = None, limit: int = 5
) -> WhatWeKnow:
    """The profile of a subject with its top questions to ask: four queries in all."""
    subject_profile = profile(user=user, account=account, contact=contact)
    suggestions = next_questions(user=user, subject_profile=subject_profile, limit=limit)
    return WhatWeKnow(profile=subject_profile, suggestions=suggestions)


def questionnaire_list(*, user: User, account: Account) -> list[QuestionnaireLink]:
    """The questionnaire links sent to an organisation's people, newest first."""
    return list(
        access.scope(user, QuestionnaireLink.objects.filter(customer_id=account.customer_pk))
        .select_related("contact", "account", "created_by")
        .prefetch_related("attributes")
        .order_by("-created_at")[:50]
    )


def questionnaire_get(*, user: User, pk: int) -> QuestionnaireLink:
    """One questionnaire link the user may see."""
    return access.get_visible(
        QuestionnaireLink.objects.select_related("contact", "account"), user, pk=pk
    )


# --- communication preferences and consent (X5) ----------------------------------------


# Rule for consent: for a person, a purpose and a channel, the newest consent record
# that covers the channel decides — a record naming that channel, or one with a blank
# channel (every channel). So a later "withdrawn, every channel" silences a channel
# granted earlier, and a later "granted by e-mail" reopens e-mail after an earlier
# blanket withdrawal. Purposes in IMPLIED_PURPOSES need no opt-in; the others do.
# An outbound interaction without a purpose counts as service.

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SEVERITY: dict[str, int] = {Verdict.ALLOW: 0, Verdict.WARN: 1, Verdict.BLOCK: 2}


@dataclass(frozen=True)
class Permission:
    """May we contact this person now: allow, warn or block, and why in a rep's words."""

    verdict: str
    reasons: list[str] = field(default_factory=list)

    @property
    def is_blocked(self) -> bool:
        return self.verdict == Verdict.BLOCK


@dataclass(frozen=True)
class ConsentLine:
    """The standing consent for one purpose (and channel), from its newest record."""

    purpose: str
    purpose_label: str
    channel: str
    status: str
    record: Consent | None
    implied: bool


@dataclass(frozen=True)
class ContactPreferences:
    """Everything the contact page's "Communication preferences" card shows."""

    preference: CommunicationPreference | None
    caps: list[FrequencyCap]
    consents: list[ConsentLine]
    history: list[Consent]
    breaches: list[PreferenceBreach]


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


def _purpose_words(purpose: str) -> str:
    return str(Purpose(purpose).label).lower()


def _channel_words(channel: str) -> str:
    return f"by {str(Channel(channel).label).lower()}" if channel in Channel.values else channel


def _contact_zone(preference: CommunicationPreference | None) -> ZoneInfo:
    name = (preference.time_zone if preference else "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _consent_reason(consent: Consent | None, purpose: str, channel: str) -> str | None:
    """Why the standing consent blocks this purpose, or None when it allows it."""
    words = _purpose_words(purpose)
    if consent is not None and consent.status == ConsentStatus.WITHDRAWN:
        scope = f" {_channel_words(consent.channel)}" if consent.channel else ""
        how = f" ({consent.how})" if consent.how else ""
        return f"Withdrew consent to {words}{scope} on {_day(consent.recorded_at)}{how}."
    if consent is None and purpose not in IMPLIED_PURPOSES:
        return f"Has not opted in to {words}: record their consent first."
    return None


def _timing_reasons(
    preference: CommunicationPreference | None, channel: str, at: datetime
) -> list[str]:
    """Warnings for a channel, day or hour the person would rather we did not use."""
    if preference is None:
        return []
    reasons = []
    if preference.preferred_channel and preference.preferred_channel != channel:
        reasons.append(
            f"Prefers to be reached {_channel_words(preference.preferred_channel)}, "
            f"not {_channel_words(channel)}."
        )
    zone = _contact_zone(preference)
    local = at.astimezone(zone)
    where = f"{local:%A %H:%M} for them ({zone.key})"
    days = sorted(int(d) for d in preference.preferred_days or [])
    if days and local.isoweekday() not in days:
        named = ", ".join(WEEKDAYS[d - 1] for d in days)
        reasons.append(f"Prefers to be contacted on {named}; it is {where}.")
    start, end = preference.preferred_from, preference.preferred_until
    if start and end and not (start <= local.time() < end):
        reasons.append(
            f"Prefers to be contacted between {start:%H:%M} and {end:%H:%M}; it is {where}."
        )
    return reasons


def contact_permissions(
    *,
    contacts: Sequence[Contact],
    channel: str,
    purpose: str = "",
    at: datetime | None = None,
    exclude_interaction_id: int | None = None,
) -> dict[int, Permission]:
    """The permission for each of many (visible) contacts, in at most four queries.

    `exclude_interaction_id` leaves the interaction being logged out of the cap count.
    """
    at = at or timezone.now()
    purpose = purpose or Purpose.SERVICE
    ids = [c.pk for c in contacts]
    if not ids:
        return {}
    preferences = {
        p.contact_id: p for p in CommunicationPreference.objects.filter(contact_id__in=ids)
    }
    caps = {
        cap.contact_id: cap
        for cap in FrequencyCap.objects.filter(contact_id__in=ids, channel=channel)
    }
    # Logged times are kept to the minute, so a consent counts from the minute it was
    # recorded: an e-mail logged at 10:15 after a withdrawal at 10:15:30 is caught.
    effective_until = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    standing: dict[int, Consent] = {}
    for consent in Consent.objects.filter(
        contact_id__in=ids,
        purpose=purpose,
        channel__in=[channel, ""],
        recorded_at__lt=effective_until,
    ).order_by("contact_id", "-recorded_at", "-id"):
        standing.setdefault(consent.contact_id, consent)
    touches: dict[int, list[datetime]] = {}
    if caps:
        since = at - timedelta(days=max(cap.per_days for cap in caps.values()))
        sent = Participant.objects.filter(
            contact_id__in=list(caps),
            side=Side.CUSTOMER,
            interaction__direction=Direction.OUTBOUND,
            interaction__channel=channel,
            interaction__deleted_at__isnull=True,
            occurred_at__gt=since,
            occurred_at__lte=at,
        )
        if exclude_interaction_id is not None:
            sent = sent.exclude(interaction_id=exclude_interaction_id)
        for contact_id, occurred_at in sent.values_list("contact_id", "occurred_at"):
            touches.setdefault(contact_id, []).append(occurred_at)
    permissions = {}
    for contact in contacts:
        blocks: list[str] = []
        if contact.status == ContactStatus.LEFT:
            blocks.append("Has left the company: reach whoever took over from them.")
        consent_reason = _consent_reason(standing.get(contact.pk), purpose, channel)
        if consent_reason:
            blocks.append(consent_reason)
        cap = caps.get(contact.pk)
        if cap is not None:
            window_start = at - timedelta(days=cap.per_days)
            used = sum(1 for t in touches.get(contact.pk, []) if t > window_start)
            if used >= cap.max_contacts:
                blocks.append(
                    f"Already contacted {used} time{pluralize(used)} {_channel_words(channel)} "
                    f"in the last {cap.per_days} day{pluralize(cap.per_days)} "
                    f"(their limit is {cap.max_contacts})."
                )
        warnings = _timing_reasons(preferences.get(contact.pk), channel, at)
        verdict = Verdict.BLOCK if blocks else Verdict.WARN if warnings else Verdict.ALLOW
        permissions[contact.pk] = Permission(verdict, blocks + warnings)
    return permissions


def contact_permission(
    *, contact: Contact, channel: str, purpose: str = "", at: datetime | None = None
) -> Permission:
    """May we contact this person on this channel for this purpose now (or `at`)?"""
    return contact_permissions(contacts=[contact], channel=channel, purpose=purpose, at=at)[
        contact.pk
    ]


def worst_verdict(permissions: Iterable[Permission]) -> str:
    """The most severe verdict among several people (allow when there is nobody)."""
    return max((p.verdict for p in permissions), key=_SEVERITY.__getitem__, default=Verdict.ALLOW)


def _scoped(user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    return access.scope(user, queryset, via="contact__account")


def consent_history(*, user: User, contact: Contact) -> QuerySet[Consent]:
    """Every consent record of a person, newest first, with who recorded it."""
    return _scoped(user, Consent.objects.filter(contact=contact)).select_related(
        "recorded_by", "interaction"
    )


def frequency_caps(*, user: User, contact: Contact) -> QuerySet[FrequencyCap]:
    """A person's live frequency caps, by channel."""
    return _scoped(user, FrequencyCap.objects.filter(contact=contact)).order_by("channel")


def frequency_cap_get(*, user: User, contact: Contact, pk: int) -> FrequencyCap:
    """One live frequency cap of a person, or NotFound."""
    return access.get_visible(
        FrequencyCap.objects.filter(contact=contact), user, via="contact__account", pk=pk
    )


def preference_get(*, user: User, contact: Contact) -> CommunicationPreference | None:
    """A person's communication preference, if any was recorded."""
    return _scoped(
        user, CommunicationPreference.objects.filter(contact=contact).select_related("updated_by")
    ).first()


def standing_consents(history: Sequence[Consent]) -> list[ConsentLine]:
    """Per purpose, the newest record of each channel it names, or the implied/unknown default."""
    latest: dict[tuple[str, str], Consent] = {}
    for consent in history:  # newest first
        latest.setdefault((consent.purpose, consent.channel), consent)
    lines = []
    for purpose, label in Purpose.choices:
        named = sorted((c for (p, _), c in latest.items() if p == purpose), key=lambda c: c.channel)
        implied = purpose in IMPLIED_PURPOSES
        if not named:
            status = ConsentStatus.GRANTED if implied else ""
            lines.append(ConsentLine(purpose, str(label), "", status, None, implied))
        for consent in named:
            lines.append(
                ConsentLine(purpose, str(label), consent.channel, consent.status, consent, implied)
            )
    return lines


def contact_preferences(*, user: User, contact: Contact, breaches: int = 5) -> ContactPreferences:
    """The contact page's preferences card: four queries whatever the history's length."""
    history = list(consent_history(user=user, contact=contact))
    return ContactPreferences(
        preference=preference_get(user=user, contact=contact),
        caps=list(frequency_caps(user=user, contact=contact)),
        consents=standing_consents(history),
        history=history,
        breaches=list(
            _scoped(user, PreferenceBreach.objects.filter(contact=contact)).select_related(
                "interaction", "recorded_by"
            )[:breaches]
        ),
    )


def facts_by_ids(*, user: User, customer_id: int, ids: Iterable[int]) -> dict[int, Fact]:
    """The facts of one organisation the user may see, by id (one query); others are left out."""
    return {fact.pk: fact for fact in _facts(user).filter(customer_id=customer_id, pk__in=set(ids))}


def current_successors(*, user: User, facts: Iterable[Fact]) -> dict[int, Fact]:
    """For each superseded fact given, the fact now current for its subject and attribute.

    One query whatever their number; a fact nothing current replaces (retracted) is left out.
    """
    gone = [f for f in facts if f.superseded_at is not None]
    if not gone:
        return {}
    wanted = Q()
    for fact in gone:
        subject = (
            Q(contact_id=fact.contact_id)
            if fact.contact_id
            else Q(account_id=fact.account_id, contact__isnull=True)
        )
        wanted |= Q(attribute_id=fact.attribute_id) & subject
    current = {
        (f.attribute_id, f.contact_id or 0, 0 if f.contact_id else f.account_id): f
        for f in _facts(user).filter(wanted, superseded_at__isnull=True)
    }
    found = {}
    for fact in gone:
        key = (fact.attribute_id, fact.contact_id or 0, 0 if fact.contact_id else fact.account_id)
        if key in current:
            found[fact.pk] = current[key]
    return found
