"""Writes of the learning memory: facts, askings, questionnaires, preferences and consent.

Each service runs in one transaction, checks the actor through core.access and keeps
history: a fact is superseded, never overwritten; a consent is followed by a newer one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import Conflict, InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.services import soft_delete, validated_save
from rapport.interactions.models import Channel, Interaction
from rapport.memory.models import (
    Asking,
    Attribute,
    CommunicationPreference,
    Consent,
    ConsentStatus,
    Contradiction,
    ContradictionStatus,
    Fact,
    FactSource,
    FrequencyCap,
    Purpose,
    QuestionnaireLink,
    SubjectLevel,
    ValueType,
)
from rapport.memory.selectors import effective_fact
from rapport.memory.values import display_value, parse_value

# What the customer tells us in person, with no employee of ours in between.
CUSTOMER_SOURCES = frozenset({FactSource.PORTAL, FactSource.QUESTIONNAIRE})

# --- facts and contradictions (X3) -----------------------------------------------------

ATTRIBUTE_FIELDS = {
    "label",
    "kind",
    "value_type",
    "level",
    "choices",
    "unit",
    "question",
    "help_text",
    "used_for",
    "importance",
    "stale_after_days",
}


def _check_attribute(attribute: Attribute) -> None:
    if attribute.value_type in (ValueType.CHOICE, ValueType.MULTI_CHOICE):
        choices = attribute.choices
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            raise InvalidInput("A choice needs a list of options.", field="choices")
        if len({c.casefold() for c in choices}) != len(choices):
            raise InvalidInput("Options must differ.", field="choices")
    if not isinstance(attribute.used_for, list) or not all(
        isinstance(u, str) for u in attribute.used_for
    ):
        raise InvalidInput("List what depends on it as text.", field="used_for")


@transaction.atomic
def attribute_create(*, actor: User, key: str, **fields: Any) -> Attribute:
    """Add something customers can teach us to the catalogue (admins only)."""
    access.ensure_admin(actor)
    unknown = sorted(set(fields) - ATTRIBUTE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    if Attribute.all_objects.filter(key=key).exists():
        raise Conflict(f"An attribute with key {key!r} exists already.", field="key")
    attribute = Attribute(key=key, **fields)
    _check_attribute(attribute)
    validated_save(attribute, actor=actor)
    return attribute


@transaction.atomic
def attribute_update(
    *, actor: User, attribute: Attribute, expected_version: int | None = None, **changes: Any
) -> Attribute:
    """Change a catalogue entry; facts already recorded keep their values (admins only)."""
    access.ensure_admin(actor)
    unknown = sorted(set(changes) - ATTRIBUTE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    changes_type = changes.get("value_type", attribute.value_type) != attribute.value_type
    if changes_type and attribute.facts.exists():
        raise Conflict(
            "Facts are recorded with this value type; add a new attribute instead.",
            field="value_type",
        )
    for name, value in changes.items():
        setattr(attribute, name, value)
    _check_attribute(attribute)
    validated_save(attribute, actor=actor, expected_version=expected_version)
    return attribute


@transaction.atomic
def attribute_retire(*, actor: User, attribute: Attribute) -> Attribute:
    """Take an attribute out of the catalogue; its facts stay in every history (admins only)."""
    access.ensure_admin(actor)
    soft_delete(attribute, actor=actor)
    return attribute


# A source is the person who told us (their contact), else who recorded it through which door.
Teller = tuple[str, int | None, int | None]

DEFAULT_CONFIDENCE = {
    FactSource.PORTAL: 100,
    FactSource.QUESTIONNAIRE: 100,
    FactSource.INTERACTION: 90,
    FactSource.USER: 80,
    FactSource.IMPORT: 70,
}
# Without an attribute-specific window, a value told within this many days still stands
# against a different one from someone else (so the two contradict, not supersede).
FRESH_DAYS = 180


@dataclass(frozen=True)
class FactSubject:
    """What a fact is about: an org unit, or a person (with their unit)."""

    account: Account
    contact: Contact | None = None

    @property
    def customer_id(self) -> int:
        return self.account.customer_pk

    def __str__(self) -> str:
        return str(self.contact or self.account)


@dataclass
class FactRecorded:
    fact: Fact
    superseded: Fact | None
    contradiction: Contradiction | None


def fact_subject_for(
    attribute: Attribute, *, account: Account | None = None, contact: Contact | None = None
) -> FactSubject:
    """Where a value of `attribute` is kept, told about `account` or by/about `contact`.

    Organisation-level values go to the top of the tree, unit-level ones to the unit (a
    person's unit when a person told us), contact-level ones to the person.
    """
    if contact is not None:
        account = contact.account
    if account is None:
        raise InvalidInput("Say which account or contact this is about.", field="account")
    if attribute.level == SubjectLevel.CONTACT:
        if contact is None:
            raise InvalidInput(
                f"“{attribute.label}” is about a person: choose a contact.", field="contact"
            )
        return FactSubject(account=account, contact=contact)
    if attribute.level == SubjectLevel.ORGANISATION and not account.is_customer_root:
        account = account.customer or account
    return FactSubject(account=account)


def _current_fact(subject: FactSubject, attribute: Attribute) -> Fact | None:
    facts = Fact.objects.select_for_update().filter(attribute=attribute, superseded_at__isnull=True)
    if subject.contact is not None:
        return facts.filter(contact=subject.contact).first()
    return facts.filter(account=subject.account, contact__isnull=True).first()


def _teller(fact: Fact) -> Teller:
    if fact.said_by_id is not None:
        return ("contact", fact.said_by_id, None)
    return (fact.source, fact.recorded_by_id, None)


def _still_fresh(fact: Fact, attribute: Attribute, now: datetime) -> bool:
    days = attribute.stale_after_days or FRESH_DAYS
    return (now - fact.recorded_at).days < days


@transaction.atomic
def fact_record(
    *,
    actor: User | None,
    attribute: Attribute,
    value: Any,
    source: str,
    account: Account | None = None,
    contact: Contact | None = None,
    interaction: Interaction | None = None,
    said_by: Contact | None = None,
    confidence: int | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    note: str = "",
) -> FactRecorded:
    """Remember what a customer taught us; the value it replaces stays in history.

    A different value from someone else while the old one is still fresh is a
    contradiction: the new value becomes current and both are flagged for a person.
    `actor` is None only for the customer's own answers (portal, questionnaire), whose
    callers have already checked what the customer may answer.
    """
    if source not in FactSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", field="source")
    if actor is not None or source not in CUSTOMER_SOURCES:
        access.ensure_can_write(actor)
    if attribute.deleted_at is not None:
        raise InvalidInput(f"“{attribute.label}” is retired from the catalogue.", field="attribute")
    subject = fact_subject_for(attribute, account=account, contact=contact)
    if said_by is not None and said_by.customer_id != subject.customer_id:
        raise InvalidInput(f"{said_by} is not part of {subject.account}.", field="said_by")
    if interaction is not None and interaction.customer_id != subject.customer_id:
        raise InvalidInput("That interaction was with another organisation.", field="interaction")
    if subject.contact is not None and said_by is None and source in CUSTOMER_SOURCES:
        said_by = subject.contact
    stored = parse_value(attribute, value)
    confidence = DEFAULT_CONFIDENCE[FactSource(source)] if confidence is None else confidence
    if not 1 <= confidence <= 100:
        raise InvalidInput("Confidence is a percentage from 1 to 100.", field="confidence")
    valid_from = valid_from or timezone.localdate()
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("'valid until' is before 'valid from'.", field="valid_until")
    now = timezone.now()
    current = _current_fact(subject, attribute)
    fact = Fact(
        customer_id=subject.customer_id,
        account=subject.account,
        contact=subject.contact,
        attribute=attribute,
        value=stored,
        display=display_value(attribute, stored),
        source=source,
        interaction=interaction,
        said_by=said_by,
        recorded_by=actor,
        recorded_at=now,
        confidence=confidence,
        valid_from=valid_from,
        valid_until=valid_until,
        note=(note or "").strip()[:500],
    )
    contradiction = None
    if current is not None:
        # The old value leaves "current" first, so the one-current-fact constraint holds.
        current.superseded_at = now
        current._history_user = actor  # type: ignore[attr-defined]
        current.save(update_fields=["superseded_at", "updated_at"])
    validated_save(fact, actor=actor)
    if current is not None:
        current.superseded_by = fact
        current.save(update_fields=["superseded_by", "updated_at"])
        if (
            current.value != stored
            and _teller(current) != _teller(fact)
            and _still_fresh(current, attribute, now)
        ):
            contradiction = Contradiction.objects.create(
                customer_id=subject.customer_id,
                account=subject.account,
                contact=subject.contact,
                attribute=attribute,
                earlier=current,
                later=fact,
            )
    return FactRecorded(fact=fact, superseded=current, contradiction=contradiction)


@transaction.atomic
def contradiction_resolve(
    *, actor: User, contradiction: Contradiction, keep: str, note: str = ""
) -> Contradiction:
    """A person decides which of two contradicting values stands; the other stays in history."""
    access.ensure_can_write(actor)
    contradiction = Contradiction.objects.select_for_update().get(pk=contradiction.pk)
    if contradiction.status != ContradictionStatus.OPEN:
        raise Conflict("This contradiction is already resolved.", field="keep")
    if keep not in ("earlier", "later"):
        raise InvalidInput("Keep 'earlier' or 'later'.", field="keep")
    kept = contradiction.earlier if keep == "earlier" else contradiction.later
    current = _current_fact(
        FactSubject(account=contradiction.account, contact=contradiction.contact),
        contradiction.attribute,
    )
    resolution = current
    if current is None or current.value != kept.value:
        # Keeping the earlier value is a new statement by the person who decided.
        resolution = fact_record(
            actor=actor,
            attribute=contradiction.attribute,
            value=kept.value,
            source=FactSource.USER,
            account=contradiction.account,
            contact=contradiction.contact,
            said_by=kept.said_by,
            confidence=100,
            note=f"Kept after a contradiction: {note}".strip().rstrip(":")[:500],
        ).fact
        # Recording it was a decision, not a new clash.
        Contradiction.objects.filter(later=resolution).delete()
    contradiction.status = ContradictionStatus.RESOLVED
    contradiction.resolved_by = actor
    contradiction.resolved_at = timezone.now()
    contradiction.resolution = resolution
    contradiction.note = (note or "").strip()[:500]
    validated_save(contradiction, actor=actor)
    return contradiction


@dataclass(frozen=True)
class LearnedFact:
    """Something learned on an interaction: the attribute, the value, and who it is about.

    `contact` is the person who told us (and the subject of contact-level attributes);
    `account` the unit it is about, by default the interaction's unit.
    """

    attribute: Attribute
    value: Any
    contact: Contact | None = None
    account: Account | None = None


def facts_learned(
    *,
    actor: User,
    interaction: Interaction,
    learned: Sequence[LearnedFact],
    contacts: Sequence[Contact],
) -> list[Fact]:
    """Record what an interaction taught us, in the interaction's transaction.

    When only one of their people took part, they are who told us. Errors name the
    row: `learned.<n>.<field>`.
    """
    facts = []
    sole_teller = contacts[0] if len(contacts) == 1 else None
    for index, item in enumerate(learned):
        teller = item.contact or sole_teller
        try:
            facts.append(
                fact_record(
                    actor=actor,
                    attribute=item.attribute,
                    value=item.value,
                    source=FactSource.INTERACTION,
                    account=item.account or (None if item.contact else interaction.account),
                    contact=item.contact,
                    interaction=interaction,
                    said_by=teller,
                ).fact
            )
        except InvalidInput as error:
            field = f"learned.{index}.{error.field or 'value'}"
            raise InvalidInput(f"{item.attribute.label}: {error.message}", field=field) from None
    return facts


# --- askings and questionnaires (X4) ---------------------------------------------------

QUESTIONNAIRE_DAYS = 30
QUESTIONNAIRE_MAX = 12


class AlreadyKnown(Conflict):
    """Asking something we already know: show the answer instead, or say why we ask again."""

    def __init__(self, fact: Fact) -> None:
        told = f" by {fact.said_by}" if fact.said_by_id else ""
        super().__init__(
            f"We already know {fact.attribute.label.lower()}: {fact.display} "
            f"(told{told} via {fact.get_source_display().lower()}, "
            f"recorded {fact.recorded_at:%-d %b %Y}). Give a reason to ask again.",
            field="reason",
        )
        self.fact = fact


def _effective_fact(subject: FactSubject, attribute: Attribute) -> Fact | None:
    return effective_fact(account=subject.account, contact=subject.contact, attribute=attribute)


@transaction.atomic
def question_ask(
    *,
    actor: User,
    attribute: Attribute,
    account: Account | None = None,
    contact: Contact | None = None,
    channel: str = "",
    interaction: Interaction | None = None,
    reason: str = "",
) -> Asking:
    """Record that we ask a question; asking what we already know needs a stated reason."""
    access.ensure_can_write(actor)
    subject = fact_subject_for(attribute, account=account, contact=contact)
    if channel and channel not in Channel.values:
        raise InvalidInput(f"Unknown channel {channel!r}.", field="channel")
    if interaction is not None and interaction.customer_id != subject.customer_id:
        raise InvalidInput("That interaction was with another organisation.", field="interaction")
    known = _effective_fact(subject, attribute)
    reason = (reason or "").strip()
    if known is not None and not reason:
        raise AlreadyKnown(known)
    asking = Asking(
        customer_id=subject.customer_id,
        account=subject.account,
        contact=contact or subject.contact,
        attribute=attribute,
        asked_by=actor,
        channel=channel or (interaction.channel if interaction else ""),
        interaction=interaction,
        known_fact=known,
        is_reask=known is not None,
        reask_reason=reason[:500] if known is not None else "",
    )
    validated_save(asking, actor=actor)
    return asking


@transaction.atomic
def question_answer(
    *, actor: User | None, asking: Asking, value: Any, confidence: int | None = None
) -> Asking:
    """Record the answer to a question we asked; it becomes a fact told by the person asked."""
    asking = Asking.objects.select_for_update().select_related("attribute").get(pk=asking.pk)
    if asking.answer_id is not None:
        raise Conflict("This question has been answered already.", field="value")
    source = FactSource.INTERACTION if asking.interaction_id else FactSource.USER
    if actor is None:
        source = FactSource.QUESTIONNAIRE
    recorded = fact_record(
        actor=actor,
        attribute=asking.attribute,
        value=value,
        source=source,
        account=asking.account,
        contact=asking.contact,
        interaction=asking.interaction,
        said_by=asking.contact,
        confidence=confidence,
    )
    asking.answer = recorded.fact
    asking.answered_at = timezone.now()
    asking.save(update_fields=["answer", "answered_at", "updated_at"])
    return asking


def _questionnaire_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def questionnaire_create(
    *,
    actor: User,
    attributes: Sequence[Attribute],
    account: Account | None = None,
    contact: Contact | None = None,
    days_valid: int = QUESTIONNAIRE_DAYS,
) -> tuple[QuestionnaireLink, str]:
    """A link to send a customer's person: the chosen questions, theirs to answer or skip.

    The key is returned once; only its hash is stored.
    """
    access.ensure_can_write(actor)
    if contact is not None:
        account = contact.account
    if account is None:
        raise InvalidInput("Say which account or contact the questions are for.", field="account")
    chosen = list(dict.fromkeys(attributes))
    if not chosen:
        raise InvalidInput("Choose at least one question.", field="attributes")
    if len(chosen) > QUESTIONNAIRE_MAX:
        raise InvalidInput(
            f"Ask at most {QUESTIONNAIRE_MAX} questions at a time.", field="attributes"
        )
    for attribute in chosen:
        fact_subject_for(attribute, account=account, contact=contact)
    if not 1 <= days_valid <= 90:
        raise InvalidInput("A link lives from 1 to 90 days.", field="days_valid")
    key = secrets.token_urlsafe(24)
    link = QuestionnaireLink(
        customer_id=account.customer_pk,
        account=account,
        contact=contact,
        key_hash=_questionnaire_hash(key),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days_valid),
    )
    validated_save(link, actor=actor)
    link.attributes.set(chosen)
    return link, key


@transaction.atomic
def questionnaire_revoke(*, actor: User, link: QuestionnaireLink) -> QuestionnaireLink:
    """Switch a questionnaire link off; answers already given stay."""
    access.ensure_can_write(actor)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    return link


def questionnaire_for_key(key: str) -> QuestionnaireLink:
    """The live questionnaire a key opens, or NotFound (expired, revoked and unknown alike)."""
    link = (
        QuestionnaireLink.objects.select_related("account", "contact", "account__customer")
        .filter(key_hash=_questionnaire_hash(key or ""))
        .first()
    )
    if link is None or not link.is_live:
        raise NotFound("This questionnaire link is not valid any more.")
    return link


@transaction.atomic
def questionnaire_answer(*, link: QuestionnaireLink, answers: dict[str, Any]) -> list[Fact]:
    """Record what the customer chose to answer on a questionnaire; blanks are skipped.

    Every answer is an asking answered on the web by the person the link was for, and a
    fact from "the customer, via a questionnaire". A pre-filled value sent back unchanged
    is not recorded again. All or nothing: one bad answer records none.
    """
    link = QuestionnaireLink.objects.select_for_update().get(pk=link.pk)
    if not link.is_live:
        raise NotFound("This questionnaire link is not valid any more.")
    by_key = {a.key: a for a in link.attributes.all()}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise InvalidInput(f"Unknown question {unknown[0]!r}.", field=unknown[0])
    recorded: list[Fact] = []
    errors: dict[str, list[str]] = {}
    for key, raw in answers.items():
        if raw in (None, "", []):
            continue
        attribute = by_key[key]
        subject = fact_subject_for(attribute, account=link.account, contact=link.contact)
        try:
            known = _effective_fact(subject, attribute)
            if known is not None and known.value == parse_value(attribute, raw):
                continue
            asking = Asking.objects.create(
                customer_id=link.customer_id,
                account=subject.account,
                contact=link.contact,
                attribute=attribute,
                asked_by=None,
                channel=Channel.WEB,
                known_fact=known,
            )
            answered = question_answer(actor=None, asking=asking, value=raw)
            assert answered.answer is not None
            recorded.append(answered.answer)
        except InvalidInput as error:
            errors[key] = [error.message]
    if errors:
        transaction.set_rollback(True)
        first = next(iter(errors))
        raise InvalidInput(f"{by_key[first].label}: {errors[first][0]}", errors=errors)
    link.last_answered_at = timezone.now()
    link.save(update_fields=["last_answered_at", "updated_at"])
    return recorded


# --- communication preferences and consent (X5) ----------------------------------------


# A BCP 47 language tag as people write it: "de", "en-GB", "pt-BR", "zh-Hant".
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _check_channel(channel: str, *, field: str = "channel", blank: bool = False) -> str:
    channel = (channel or "").strip()
    if blank and not channel:
        return ""
    if channel not in Channel.values:
        raise InvalidInput(f"Unknown channel {channel!r}.", field=field)
    return channel


def _same_organisation(contact: Contact, interaction: Interaction | None) -> None:
    if interaction is not None and interaction.customer_id != contact.customer_id:
        raise InvalidInput("That interaction was with another organisation.", field="interaction")


@transaction.atomic
def preference_set(
    *,
    actor: User,
    contact: Contact,
    preferred_channel: str = "",
    preferred_days: Sequence[int] = (),
    preferred_from: time | None = None,
    preferred_until: time | None = None,
    time_zone: str = "",
    language: str = "",
    notes: str = "",
    source: str = FactSource.USER,
) -> CommunicationPreference:
    """Record how a person likes to be reached; the previous version stays in its history."""
    access.ensure_can_write(actor)
    preferred_channel = _check_channel(preferred_channel, field="preferred_channel", blank=True)
    days = sorted(set(preferred_days))
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise InvalidInput(
            "Days are ISO weekdays: 1 (Monday) to 7 (Sunday).", field="preferred_days"
        )
    if (preferred_from is None) != (preferred_until is None):
        field = "preferred_until" if preferred_until is None else "preferred_from"
        raise InvalidInput("Give both ends of the preferred hours, or neither.", field=field)
    if (
        preferred_from is not None
        and preferred_until is not None
        and preferred_from >= preferred_until
    ):
        raise InvalidInput(
            "The preferred hours must end after they start.", field="preferred_until"
        )
    time_zone = (time_zone or "").strip()
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"Unknown time zone {time_zone!r}: use a name like Europe/Berlin.",
                field="time_zone",
            ) from None
    language = (language or "").strip()
    if language and not LANGUAGE_TAG.match(language):
        raise InvalidInput(
            f"{language!r} is not a language code: use one like de, en-GB or pt-BR.",
            field="language",
        )
    if source not in FactSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", field="source")
    preference = CommunicationPreference.objects.filter(contact=contact).first()
    if preference is None:
        preference = CommunicationPreference(customer_id=contact.customer_id, contact=contact)
    preference.preferred_channel = preferred_channel
    preference.preferred_days = days
    preference.preferred_from = preferred_from
    preference.preferred_until = preferred_until
    preference.time_zone = time_zone
    preference.language = language
    preference.notes = (notes or "").strip()
    preference.updated_by = actor
    preference.source = source
    validated_save(preference, actor=actor)
    return preference


@transaction.atomic
def frequency_cap_set(
    *, actor: User, contact: Contact, channel: str, max_contacts: int, per_days: int
) -> FrequencyCap:
    """Limit outbound touches on a channel; setting a channel's cap again replaces it."""
    access.ensure_can_write(actor)
    channel = _check_channel(channel)
    if not isinstance(max_contacts, int) or max_contacts < 1:
        raise InvalidInput("Allow at least one contact.", field="max_contacts")
    if not isinstance(per_days, int) or not 1 <= per_days <= 366:
        raise InvalidInput("The window is 1 to 366 days.", field="per_days")
    cap = FrequencyCap.objects.filter(contact=contact, channel=channel).first()
    if cap is None:
        cap = FrequencyCap(customer_id=contact.customer_id, contact=contact, channel=channel)
    cap.max_contacts = max_contacts
    cap.per_days = per_days
    validated_save(cap, actor=actor)
    return cap


@transaction.atomic
def frequency_cap_remove(*, actor: User, cap: FrequencyCap) -> FrequencyCap:
    """Lift a frequency cap (soft delete: its history stays)."""
    access.ensure_can_write(actor)
    soft_delete(cap, actor=actor)
    return cap


@transaction.atomic
def consent_record(
    *,
    actor: User,
    contact: Contact,
    purpose: str,
    status: str,
    how: str,
    channel: str = "",
    source: str = FactSource.USER,
    interaction: Interaction | None = None,
    recorded_at: datetime | None = None,
) -> Consent:
    """Record a grant or withdrawal of consent; earlier records are kept, never changed."""
    access.ensure_can_write(actor)
    if purpose not in Purpose.values:
        raise InvalidInput(f"Unknown purpose {purpose!r}.", field="purpose")
    if status not in ConsentStatus.values:
        raise InvalidInput("Say whether consent was granted or withdrawn.", field="status")
    channel = _check_channel(channel, blank=True)
    how = (how or "").strip()
    if not how:
        raise InvalidInput(
            "Say how they told us (web form, call, reply to an e-mail …).", field="how"
        )
    if source not in FactSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", field="source")
    _same_organisation(contact, interaction)
    recorded_at = recorded_at or timezone.now()
    if timezone.is_naive(recorded_at):
        raise InvalidInput("Give the time with its time zone.", field="recorded_at")
    if recorded_at > timezone.now() + timedelta(minutes=5):
        raise InvalidInput("Consent cannot be recorded in the future.", field="recorded_at")
    consent = Consent(
        customer_id=contact.customer_id,
        contact=contact,
        purpose=purpose,
        channel=channel,
        status=status,
        recorded_at=recorded_at,
        how=how,
        source=source,
        interaction=interaction,
        recorded_by=actor,
    )
    validated_save(consent, actor=actor)
    return consent
