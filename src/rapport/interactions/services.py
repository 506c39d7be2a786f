"""Writes of the timeline: logging, editing and removing interactions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from simple_history.utils import bulk_create_with_history

from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    IdentityKind,
    Partner,
)
from rapport.core import access
from rapport.core.errors import Conflict, InvalidInput
from rapport.core.models import User
from rapport.core.services import soft_delete, validated_save
from rapport.interactions import ingestion
from rapport.interactions.models import (
    Channel,
    Commitment,
    CommitmentStatus,
    Direction,
    IngestionFormat,
    IngestionItem,
    IngestionRun,
    IngestionStatus,
    Interaction,
    Outcome,
    Participant,
    ReviewStatus,
    Side,
    Thread,
    ThreadStatus,
)

INTERACTION_FIELDS = {
    "channel",
    "direction",
    "occurred_at",
    "subject",
    "summary",
    "outcome",
    "next_step",
    "partner",
}


def _check_participants(account: Account, contacts: Sequence[Contact]) -> None:
    for contact in contacts:
        if contact.customer_id != account.customer_id:
            raise InvalidInput(
                f"{contact} does not belong to {account}'s organisation.", field="contacts"
            )


def _refresh_engagement(*, account_ids: set[int], contact_ids: set[int]) -> None:
    """Recompute the roll-up counters of the units and people an interaction touched."""
    for account_id in account_ids:
        stats = Interaction.objects.filter(account_id=account_id).aggregate(last=Max("occurred_at"))
        Account.objects.filter(pk=account_id).update(
            interaction_count=Interaction.objects.filter(account_id=account_id).count(),
            last_interaction_at=stats["last"],
        )
    for contact_id in contact_ids:
        last = Participant.objects.filter(
            contact_id=contact_id, interaction__deleted_at__isnull=True
        ).aggregate(last=Max("occurred_at"))["last"]
        Contact.all_objects.filter(pk=contact_id).update(last_engaged_at=last)
        BuyingRole.objects.filter(contact_id=contact_id).update(last_engaged_at=last)


@transaction.atomic
def interaction_log(
    *,
    actor: User,
    account: Account,
    channel: str,
    direction: str,
    subject: str,
    occurred_at: datetime | None = None,
    summary: str = "",
    outcome: str = "",
    next_step: str = "",
    contacts: Sequence[Contact] = (),
    users: Sequence[User] = (),
    partner: Partner | None = None,
    external_id: str = "",
    thread: Thread | None = None,
    new_thread_title: str = "",
    commitments: Sequence[CommitmentSpec] = (),
    purpose: str = "",
) -> Interaction:
    """Put one interaction on the timeline, with the people on both sides.

    The timeline alone: memory.outreach.interaction_log_learned wraps this call with the
    consent check and what was learned (memory is the higher app, so the use case is its).
    """
    access.ensure_can_write(actor)
    if channel not in Channel.values:
        raise InvalidInput(f"Unknown channel {channel!r}.", field="channel")
    if direction not in Direction.values:
        raise InvalidInput(f"Unknown direction {direction!r}.", field="direction")
    if outcome and outcome not in Outcome.values:
        raise InvalidInput(f"Unknown outcome {outcome!r}.", field="outcome")
    _check_participants(account, contacts)
    occurred_at = occurred_at or timezone.now()
    if timezone.is_naive(occurred_at):
        raise InvalidInput("Give the time with its time zone.", field="occurred_at")
    interaction = Interaction(
        customer_id=account.customer_pk,
        account=account,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        subject=(subject or "").strip(),
        summary=summary or "",
        outcome=outcome or "",
        next_step=(next_step or "").strip(),
        partner=partner,
        logged_by=actor,
        external_id=external_id,
        purpose=purpose or "",
    )
    validated_save(interaction, actor=actor)
    our_side = list(users) or [actor]
    Participant.objects.bulk_create(
        [
            Participant(
                interaction=interaction,
                customer_id=interaction.customer_id,
                side=Side.CUSTOMER,
                contact=c,
                occurred_at=occurred_at,
            )
            for c in dict.fromkeys(contacts)
        ]
        + [
            Participant(
                interaction=interaction,
                customer_id=interaction.customer_id,
                side=Side.US,
                user=u,
                occurred_at=occurred_at,
            )
            for u in dict.fromkeys(our_side)
        ]
    )
    Account.objects.filter(pk=account.pk).update(interaction_count=F("interaction_count") + 1)
    contact_ids = {c.pk for c in contacts}
    Account.objects.filter(pk=account.pk, last_interaction_at__lt=occurred_at).update(
        last_interaction_at=occurred_at
    )
    Account.objects.filter(pk=account.pk, last_interaction_at__isnull=True).update(
        last_interaction_at=occurred_at
    )
    Contact.objects.filter(pk__in=contact_ids, last_engaged_at__lt=occurred_at).update(
        last_engaged_at=occurred_at
    )
    Contact.objects.filter(pk__in=contact_ids, last_engaged_at__isnull=True).update(
        last_engaged_at=occurred_at
    )
    BuyingRole.objects.filter(contact_id__in=contact_ids).exclude(
        last_engaged_at__gte=occurred_at
    ).update(last_engaged_at=occurred_at)
    _continuity_recorded(
        actor=actor,
        interaction=interaction,
        thread=thread,
        new_thread_title=new_thread_title,
        commitments=commitments,
    )
    return interaction


@transaction.atomic
def interaction_update(
    *,
    actor: User,
    interaction: Interaction,
    contacts: Sequence[Contact] | None = None,
    **changes: Any,
) -> Interaction:
    """Correct an interaction; the previous version stays in its audit history."""
    access.ensure_can_write(actor)
    unknown = sorted(set(changes) - INTERACTION_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    for name, allowed in (("channel", Channel.values), ("direction", Direction.values)):
        if name in changes and changes[name] not in allowed:
            raise InvalidInput(f"Unknown {name} {changes[name]!r}.", field=name)
    if changes.get("outcome") and changes["outcome"] not in Outcome.values:
        raise InvalidInput(f"Unknown outcome {changes['outcome']!r}.", field="outcome")
    touched_contacts = set(
        interaction.participants.filter(contact__isnull=False).values_list("contact_id", flat=True)
    )
    for name, value in changes.items():
        setattr(interaction, name, value if value is not None or name == "partner" else "")
    validated_save(interaction, actor=actor)
    if contacts is not None:
        _check_participants(interaction.account, contacts)
        interaction.participants.filter(side=Side.CUSTOMER).delete()
        Participant.objects.bulk_create(
            [
                Participant(
                    interaction=interaction,
                    customer_id=interaction.customer_id,
                    side=Side.CUSTOMER,
                    contact=c,
                    occurred_at=interaction.occurred_at,
                )
                for c in dict.fromkeys(contacts)
            ]
        )
        touched_contacts |= {c.pk for c in contacts}
    interaction.participants.update(occurred_at=interaction.occurred_at)
    _refresh_engagement(account_ids={interaction.account_id}, contact_ids=touched_contacts)
    _threads_refreshed({interaction.thread_id})
    return interaction


@transaction.atomic
def interaction_delete(*, actor: User, interaction: Interaction) -> Interaction:
    """Soft-delete an interaction and take it out of the roll-ups."""
    access.ensure_can_write(actor)
    soft_delete(interaction, actor=actor)
    contact_ids = set(
        interaction.participants.filter(contact__isnull=False).values_list("contact_id", flat=True)
    )
    _refresh_engagement(account_ids={interaction.account_id}, contact_ids=contact_ids)
    _threads_refreshed({interaction.thread_id})
    return interaction


# --- threads and commitments: picking up where we left off (X2) -------------------------

# A due date further out than this is a typing slip, not a promise anyone will track.
MAX_COMMITMENT_YEARS = 5


@dataclass(frozen=True)
class CommitmentSpec:
    """A commitment made during an interaction, created with it in one step."""

    owed_by: str
    description: str
    due_on: date | None = None
    owner_user: User | None = None
    owner_contact: Contact | None = None


def _threads_refreshed(thread_ids: set[int | None]) -> None:
    """Point each thread at its latest live interaction (after an edit or a removal)."""
    for thread_id in {pk for pk in thread_ids if pk is not None}:
        latest = (
            Interaction.objects.filter(thread_id=thread_id)
            .order_by("-occurred_at", "-id")
            .values_list("pk", "occurred_at")
            .first()
        )
        Thread.objects.filter(pk=thread_id).update(
            last_interaction_id=latest[0] if latest else None,
            last_interaction_at=latest[1] if latest else None,
        )


def _thread_continued(thread: Thread, interaction: Interaction) -> None:
    """Make the interaction the thread's last exchange unless a later one is already there."""
    if thread.last_interaction_at is None or interaction.occurred_at >= thread.last_interaction_at:
        Thread.objects.filter(pk=thread.pk).update(
            last_interaction=interaction, last_interaction_at=interaction.occurred_at
        )
        thread.last_interaction = interaction
        thread.last_interaction_at = interaction.occurred_at


def _checked_thread(thread: Thread, account: Account, field: str = "thread") -> None:
    if thread.customer_id != account.customer_pk:
        raise InvalidInput("The thread belongs to another organisation.", field=field)
    if thread.status != ThreadStatus.OPEN:
        raise InvalidInput(f"“{thread.title}” is closed; reopen it first.", field=field)


def _checked_title(title: str, field: str = "title") -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("Give the thread a title.", field=field)
    if len(title) > 200:
        raise InvalidInput("Keep the title to 200 characters.", field=field)
    return title


def _checked_owner(
    *,
    owed_by: str,
    owner_user: User | None,
    owner_contact: Contact | None,
    account: Account,
    prefix: str = "",
) -> None:
    """The owner must be on the side that owes: one of our people, or one of theirs."""
    if not owed_by:
        raise InvalidInput(
            "Say who owes it: us, the customer or a partner.", field=f"{prefix}owed_by"
        )
    if owed_by not in Side.values:
        raise InvalidInput(f"Unknown side {owed_by!r}.", field=f"{prefix}owed_by")
    if owed_by == Side.US:
        if owner_contact is not None:
            raise InvalidInput(
                "We owe it: the owner is one of our people, not a contact.",
                field=f"{prefix}owner_contact",
            )
        if owner_user is not None and not access.can(owner_user, access.Capability.ACT_FOR_US):
            raise InvalidInput(
                f"{owner_user} is not one of our people.", field=f"{prefix}owner_user"
            )
        return
    if owner_user is not None:
        raise InvalidInput(
            "They owe it: the owner is one of their people, not one of ours.",
            field=f"{prefix}owner_user",
        )
    if owner_contact is not None and owed_by == Side.PARTNER:
        raise InvalidInput(
            "A partner's commitment has no customer contact as owner.",
            field=f"{prefix}owner_contact",
        )
    if owner_contact is not None and owner_contact.customer_id != account.customer_pk:
        raise InvalidInput(
            f"{owner_contact} does not work for {account}'s organisation.",
            field=f"{prefix}owner_contact",
        )


def _checked_due(due_on: date | None, made_on: date, field: str = "due_on") -> None:
    """A due date falls between the day the promise was made and a few years after."""
    if due_on is None:
        return
    if due_on < made_on:
        raise InvalidInput(
            f"The due date is before the promise was made ({made_on:%d %b %Y}).", field=field
        )
    if due_on > made_on.replace(year=min(made_on.year + MAX_COMMITMENT_YEARS, 9999)):
        raise InvalidInput(
            f"The due date is more than {MAX_COMMITMENT_YEARS} years away.", field=field
        )


def _checked_description(description: str, field: str = "description") -> str:
    description = (description or "").strip()
    if not description:
        raise InvalidInput("Say what is owed.", field=field)
    if len(description) > 500:
        raise InvalidInput("Keep it to 500 characters.", field=field)
    return description


def _made_on(interaction: Interaction | None) -> date:
    """The day a commitment was made: its interaction's day, else today."""
    if interaction is None:
        return timezone.localdate()
    return timezone.localdate(interaction.occurred_at)


def _new_commitment(
    *,
    actor: User,
    account: Account,
    spec: CommitmentSpec,
    interaction: Interaction | None,
    thread: Thread | None,
    prefix: str = "",
) -> Commitment:
    """Check one commitment and build it (unsaved); an owner of ours defaults to the actor."""
    description = _checked_description(spec.description, field=f"{prefix}description")
    _checked_owner(
        owed_by=spec.owed_by,
        owner_user=spec.owner_user,
        owner_contact=spec.owner_contact,
        account=account,
        prefix=prefix,
    )
    _checked_due(spec.due_on, _made_on(interaction), field=f"{prefix}due_on")
    owner_user = spec.owner_user
    if (
        spec.owed_by == Side.US
        and owner_user is None
        and access.can(actor, access.Capability.ACT_FOR_US)
    ):
        owner_user = actor
    return Commitment(
        customer_id=account.customer_pk,
        account=account,
        interaction=interaction,
        thread=thread,
        owed_by=spec.owed_by,
        owner_user=owner_user,
        owner_contact=spec.owner_contact,
        description=description,
        due_on=spec.due_on,
        created_by=actor,
    )


def _continuity_recorded(
    *,
    actor: User,
    interaction: Interaction,
    thread: Thread | None,
    new_thread_title: str,
    commitments: Sequence[CommitmentSpec],
) -> None:
    """The thread and the commitments of a logged interaction, in its transaction."""
    account = interaction.account
    if thread is not None and (new_thread_title or "").strip():
        raise InvalidInput(
            "Continue a thread or start a new one, not both.", field="new_thread_title"
        )
    if thread is not None:
        _checked_thread(thread, account)
    elif (new_thread_title or "").strip():
        thread = Thread(
            customer_id=account.customer_pk,
            account=account,
            title=_checked_title(new_thread_title, field="new_thread_title"),
            opened_by=actor,
        )
        validated_save(thread, actor=actor)
    if thread is not None:
        Interaction.objects.filter(pk=interaction.pk).update(thread=thread)
        interaction.thread = thread
        _thread_continued(thread, interaction)
    for index, spec in enumerate(commitments):
        commitment = _new_commitment(
            actor=actor,
            account=account,
            spec=spec,
            interaction=interaction,
            thread=thread,
            prefix=f"commitments.{index}.",
        )
        validated_save(commitment, actor=actor)


@transaction.atomic
def thread_open(*, actor: User, account: Account, title: str) -> Thread:
    """Start a topic that will run across interactions."""
    access.ensure_can_write(actor)
    thread = Thread(
        customer_id=account.customer_pk,
        account=account,
        title=_checked_title(title),
        opened_by=actor,
    )
    validated_save(thread, actor=actor)
    return thread


@transaction.atomic
def thread_close(*, actor: User, thread: Thread) -> Thread:
    """Close a thread: the topic is settled; its history stays."""
    access.ensure_can_write(actor)
    if thread.status == ThreadStatus.CLOSED:
        raise Conflict(f"“{thread.title}” is already closed.", field="status")
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = timezone.now()
    validated_save(thread, actor=actor)
    return thread


@transaction.atomic
def thread_reopen(*, actor: User, thread: Thread) -> Thread:
    """Open a closed thread again: the topic came back."""
    access.ensure_can_write(actor)
    if thread.status == ThreadStatus.OPEN:
        raise Conflict(f"“{thread.title}” is already open.", field="status")
    thread.status = ThreadStatus.OPEN
    thread.closed_at = None
    validated_save(thread, actor=actor)
    return thread


@transaction.atomic
def commitment_create(
    *,
    actor: User,
    account: Account,
    owed_by: str,
    description: str,
    due_on: date | None = None,
    owner_user: User | None = None,
    owner_contact: Contact | None = None,
    interaction: Interaction | None = None,
    thread: Thread | None = None,
) -> Commitment:
    """Record who owes what to whom, by when (outside of logging an interaction)."""
    access.ensure_can_write(actor)
    if interaction is not None and interaction.customer_id != account.customer_pk:
        raise InvalidInput("The interaction is with another organisation.", field="interaction")
    if thread is not None and thread.customer_id != account.customer_pk:
        raise InvalidInput("The thread belongs to another organisation.", field="thread")
    spec = CommitmentSpec(
        owed_by=owed_by,
        description=description,
        due_on=due_on,
        owner_user=owner_user,
        owner_contact=owner_contact,
    )
    commitment = _new_commitment(
        actor=actor, account=account, spec=spec, interaction=interaction, thread=thread
    )
    validated_save(commitment, actor=actor)
    return commitment


def _ensure_open(commitment: Commitment) -> None:
    if commitment.status != CommitmentStatus.OPEN:
        raise Conflict(
            f"The commitment is already {commitment.get_status_display().lower()}.",
            field="status",
        )


@transaction.atomic
def commitment_complete(*, actor: User, commitment: Commitment) -> Commitment:
    """Mark a commitment kept: done now, by the actor."""
    access.ensure_can_write(actor)
    _ensure_open(commitment)
    commitment.status = CommitmentStatus.DONE
    commitment.done_at = timezone.now()
    commitment.done_by = actor
    validated_save(commitment, actor=actor)
    return commitment


@transaction.atomic
def commitment_cancel(*, actor: User, commitment: Commitment) -> Commitment:
    """Release a commitment nobody owes any more (it is not counted as broken)."""
    access.ensure_can_write(actor)
    _ensure_open(commitment)
    commitment.status = CommitmentStatus.CANCELLED
    commitment.done_at = timezone.now()
    commitment.done_by = actor
    validated_save(commitment, actor=actor)
    return commitment


COMMITMENT_FIELDS = {"description", "due_on", "owner_user", "owner_contact"}


@transaction.atomic
def commitment_update(*, actor: User, commitment: Commitment, **changes: Any) -> Commitment:
    """Change an open commitment's wording, due date or owner; history keeps the old values."""
    access.ensure_can_write(actor)
    unknown = sorted(set(changes) - COMMITMENT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    _ensure_open(commitment)
    if "description" in changes:
        commitment.description = _checked_description(changes["description"])
    if "due_on" in changes:
        made_on = _made_on(commitment.interaction) if commitment.interaction_id else None
        _checked_due(changes["due_on"], made_on or timezone.localdate(commitment.created_at))
        commitment.due_on = changes["due_on"]
    if "owner_user" in changes or "owner_contact" in changes:
        owner_user = changes.get("owner_user", commitment.owner_user)
        owner_contact = changes.get("owner_contact", commitment.owner_contact)
        _checked_owner(
            owed_by=commitment.owed_by,
            owner_user=owner_user,
            owner_contact=owner_contact,
            account=commitment.account,
        )
        commitment.owner_user = owner_user
        commitment.owner_contact = owner_contact
    validated_save(commitment, actor=actor)
    return commitment


# --- ingestion (X10): interactions from CSV, e-mail and calendar files ----------------

INGESTION_MAX_BYTES = 200 * 1024 * 1024
# Keep a run's stored error list readable (and its JSON small) for a wholly broken file.
INGESTION_MAX_ERRORS = 1000
_INGESTION_CHUNK = 500

ProgressCallback = Callable[[int, int], None]


def ingestion_start(
    *,
    actor: User,
    filename: str,
    content: bytes,
    format: str | None = None,
    dry_run: bool = False,
    background: bool = True,
    progress: ProgressCallback | None = None,
) -> IngestionRun:
    """Keep an uploaded file and import it: queued for the worker, or now (the CLI)."""
    access.ensure_can_write(actor)
    filename = Path(filename or "upload").name[:300] or "upload"
    if not content:
        raise InvalidInput("The file is empty.", field="file")
    if len(content) > INGESTION_MAX_BYTES:
        raise InvalidInput(
            f"The file is larger than {INGESTION_MAX_BYTES // (1024 * 1024)} MB.", field="file"
        )
    if format and format not in IngestionFormat.values:
        raise InvalidInput(
            f"Unknown format {format!r}; use one of {', '.join(IngestionFormat.values)}.",
            field="format",
        )
    format = format or ingestion.detect_format(filename, content)
    if format is None:
        raise InvalidInput(
            "Cannot tell the file's format: name it .csv, .eml, .mbox or .ics, or choose one.",
            field="format",
        )
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        run = IngestionRun(
            format=format, filename=filename, sha256=sha256, dry_run=dry_run, created_by=actor
        )
        validated_save(run, actor=actor)
        folder = Path(settings.VAR_DIR) / "ingestion"
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"{run.pk:06d}-{sha256[:12]}{Path(filename).suffix.lower()[:8]}"
        stored.write_bytes(content)
        run.stored_path = str(stored)
        run.save(update_fields=["stored_path", "updated_at"])
    if background:
        from rapport.interactions.tasks import ingestion_run

        ingestion_run.enqueue(run.pk)
        run.refresh_from_db()
        return run
    return ingestion_process(run=run, progress=progress)


@dataclass
class _Planned:
    """What one candidate becomes: an interaction per organisation, or a review item."""

    candidate: ingestion.Candidate
    direction: str
    users: list[User]
    by_customer: dict[int, list[Contact]]
    accounts: dict[int, Account]
    reason: str = ""


@dataclass
class _Plan:
    interactions: list[_Planned]
    review: list[_Planned]
    duplicates: int

    @property
    def created(self) -> int:
        return sum(len(p.by_customer) for p in self.interactions)


def _direction(candidate: ingestion.Candidate, ours: set[str], theirs: set[str]) -> str:
    """From us = outbound, from them = inbound; unknown sender: inbound if sent to one of us."""
    if candidate.direction:
        return candidate.direction
    sender = candidate.sender
    if sender is None:
        return Direction.TWO_WAY
    if sender.email in ours:
        return Direction.OUTBOUND
    if sender.email in theirs:
        return Direction.INBOUND
    named_ours = any(a.email in ours for a in candidate.addresses)
    return Direction.INBOUND if named_ours else Direction.OUTBOUND


def _people_by_email(emails: list[str]) -> tuple[dict[str, User], dict[str, Contact]]:
    """Our staff and the customers' contacts behind the addresses, in a few chunked queries."""
    users: dict[str, User] = {}
    contacts: dict[str, Contact] = {}
    for start in range(0, len(emails), _INGESTION_CHUNK):
        chunk = emails[start : start + _INGESTION_CHUNK]
        for user in User.objects.filter(
            email__in=chunk,
            is_active=True,
            role__in=access.roles_with(access.Capability.ACT_FOR_US),
        ):
            users[user.email.lower()] = user
        identities = ContactIdentity.objects.filter(
            kind=IdentityKind.EMAIL, normalized__in=chunk, contact__deleted_at__isnull=True
        ).select_related("contact__account")
        for identity in identities:
            contacts.setdefault(identity.normalized, identity.contact)
    return users, contacts


def _shared_path(paths: set[str]) -> str:
    """The tree path of the deepest unit above all the given units (an organisation's own)."""
    first, last = min(paths), max(paths)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    step = Account.steplen
    return first[: max(step, size - size % step)]


def _shared_unit(contacts: list[Contact], units: dict[str, Account]) -> Account:
    """The deepest unit above every contact of one organisation (their own unit if they share it)."""
    paths = {c.account.path for c in contacts}
    if len(paths) == 1:
        return contacts[0].account
    return units[_shared_path(paths)]


def _ingestion_plan(*, candidates: list[ingestion.Candidate]) -> _Plan:
    """Match every candidate's people and decide what it becomes, counting what exists already."""
    emails = sorted({a.email for c in candidates for a in c.addresses})
    users, contacts = _people_by_email(emails)
    ours = set(users)
    theirs = {email for email in contacts if email not in ours}
    # Units shared by contacts of different units of one organisation, fetched in one go.
    wanted_paths: set[str] = set()
    for candidate in candidates:
        by_customer: dict[int, set[str]] = {}
        for address in candidate.addresses:
            if address.email in theirs:
                contact = contacts[address.email]
                by_customer.setdefault(contact.customer_id, set()).add(contact.account.path)
        for paths in by_customer.values():
            if len(paths) > 1:
                wanted_paths.add(_shared_path(paths))
    units = {a.path: a for a in Account.objects.filter(path__in=wanted_paths)}

    ids = [c.external_id for c in candidates]
    existing: set[tuple[int, str]] = set()
    queued: set[str] = set()
    for start in range(0, len(ids), _INGESTION_CHUNK):
        chunk = ids[start : start + _INGESTION_CHUNK]
        existing |= set(
            Interaction.all_objects.filter(external_id__in=chunk).values_list(
                "customer_id", "external_id"
            )
        )
        queued |= set(
            IngestionItem.objects.filter(external_id__in=chunk).values_list(
                "external_id", flat=True
            )
        )

    plan = _Plan(interactions=[], review=[], duplicates=0)
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.external_id in seen:  # the same message twice in one file
            plan.duplicates += 1
            continue
        seen.add(candidate.external_id)
        grouped: dict[int, list[Contact]] = {}
        for address in candidate.addresses:
            if address.email in theirs:
                contact = contacts[address.email]
                grouped.setdefault(contact.customer_id, []).append(contact)
        planned = _Planned(
            candidate=candidate,
            direction=_direction(candidate, ours, theirs),
            users=[users[a.email] for a in candidate.addresses if a.email in ours],
            by_customer={},
            accounts={},
        )
        if not grouped:
            if candidate.external_id in queued:
                plan.duplicates += 1
                continue
            strangers = [a.email for a in candidate.addresses if a.email not in ours]
            planned.reason = (
                f"No address matches a contact: {', '.join(strangers)}"[:300]
                if strangers
                else "Only our own people take part: no organisation to attach it to."
            )
            plan.review.append(planned)
            continue
        for customer_id, people in grouped.items():
            if (customer_id, candidate.external_id) in existing:
                plan.duplicates += 1
                continue
            planned.by_customer[customer_id] = people
            planned.accounts[customer_id] = _shared_unit(people, units)
        if planned.by_customer:
            plan.interactions.append(planned)
    return plan


def _roll_up(*, account_ids: set[int], contact_ids: set[int]) -> None:
    """Recount the roll-up counters of the units and people an import touched, in SQL.

    One UPDATE per few hundred rows with correlated subqueries over the timeline indexes,
    instead of interaction_log's per-row arithmetic: the same result, without a round
    trip per unit or person.
    """
    live = Interaction.objects.filter(account_id=OuterRef("pk")).order_by().values("account_id")
    for chunk in _chunks(sorted(account_ids)):
        Account.objects.filter(pk__in=chunk).update(
            interaction_count=Coalesce(Subquery(live.annotate(n=Count("id")).values("n")), 0),
            last_interaction_at=Subquery(live.annotate(last=Max("occurred_at")).values("last")),
        )

    def engaged(contact: OuterRef) -> Subquery:
        return Subquery(
            Participant.objects.filter(contact_id=contact, interaction__deleted_at__isnull=True)
            .order_by()
            .values("contact_id")
            .annotate(last=Max("occurred_at"))
            .values("last")
        )

    for chunk in _chunks(sorted(contact_ids)):
        Contact.all_objects.filter(pk__in=chunk).update(last_engaged_at=engaged(OuterRef("pk")))
        BuyingRole.objects.filter(contact_id__in=chunk).update(
            last_engaged_at=engaged(OuterRef("contact_id"))
        )


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), _INGESTION_CHUNK):
        yield ids[start : start + _INGESTION_CHUNK]


def _ingestion_write(*, run: IngestionRun, actor: User, plan: _Plan) -> None:
    """Write a plan in bulk, keeping interaction_log's invariants (people, customer ids, roll-ups)."""
    interactions: list[Interaction] = []
    people: list[tuple[Interaction, list[Contact], list[User]]] = []
    for planned in plan.interactions:
        candidate = planned.candidate
        for customer_id, contacts in planned.by_customer.items():
            interaction = Interaction(
                customer_id=customer_id,
                account=planned.accounts[customer_id],
                channel=candidate.channel,
                direction=planned.direction,
                occurred_at=candidate.occurred_at,
                subject=candidate.subject,
                summary=candidate.summary,
                outcome=candidate.outcome,
                next_step=candidate.next_step,
                logged_by=actor,
                external_id=candidate.external_id,
            )
            interactions.append(interaction)
            people.append((interaction, contacts, planned.users or [actor]))
    bulk_create_with_history(
        interactions, Interaction, batch_size=_INGESTION_CHUNK, default_user=actor
    )
    participants = []
    contact_ids: set[int] = set()
    for interaction, contacts, users in people:
        at = interaction.occurred_at
        for contact in dict.fromkeys(contacts):
            contact_ids.add(contact.pk)
            participants.append(
                Participant(
                    interaction=interaction,
                    customer_id=interaction.customer_id,
                    side=Side.CUSTOMER,
                    contact=contact,
                    occurred_at=at,
                )
            )
        for user in dict.fromkeys(users):
            participants.append(
                Participant(
                    interaction=interaction,
                    customer_id=interaction.customer_id,
                    side=Side.US,
                    user=user,
                    occurred_at=at,
                )
            )
    Participant.objects.bulk_create(participants, batch_size=1000)
    _roll_up(account_ids={i.account_id for i in interactions}, contact_ids=contact_ids)
    IngestionItem.objects.bulk_create(
        [
            IngestionItem(
                run=run,
                external_id=p.candidate.external_id,
                occurred_at=p.candidate.occurred_at,
                channel=p.candidate.channel,
                subject=p.candidate.subject,
                addresses=[a.as_dict() for a in p.candidate.addresses],
                payload={**p.candidate.as_payload(), "direction": p.direction},
                reason=p.reason,
            )
            for p in plan.review
        ],
        batch_size=_INGESTION_CHUNK,
    )
    # A message waiting for review that now matches someone is resolved by this import.
    first_by_id: dict[str, Interaction] = {}
    for interaction in interactions:
        first_by_id.setdefault(interaction.external_id, interaction)
    ids = list(first_by_id)
    now = timezone.now()
    for start in range(0, len(ids), _INGESTION_CHUNK):
        waiting = IngestionItem.objects.filter(
            external_id__in=ids[start : start + _INGESTION_CHUNK], status=ReviewStatus.OPEN
        )
        for item in waiting:
            item.status = ReviewStatus.ATTACHED
            item.interaction = first_by_id[item.external_id]
            item.resolved_by = actor
            item.resolved_at = now
            item.save(
                update_fields=["status", "interaction", "resolved_by", "resolved_at", "updated_at"]
            )


def _run_finished(run: IngestionRun, *, status: str, **counts: Any) -> IngestionRun:
    for name, value in counts.items():
        setattr(run, name, value)
    run.status = status
    run.processed = run.total
    run.finished_at = timezone.now()
    run.save()
    return run


def _run_failed(run: IngestionRun, errors: Sequence[ingestion.RowError]) -> IngestionRun:
    kept = [e.as_dict() for e in errors[:INGESTION_MAX_ERRORS]]
    if len(errors) > INGESTION_MAX_ERRORS:
        more = len(errors) - INGESTION_MAX_ERRORS
        kept.append({"row": None, "field": "file", "message": f"… and {more} more errors."})
    return _run_finished(
        run, status=IngestionStatus.FAILED, errors=kept, created=0, queued_for_review=0
    )


def ingestion_process(
    *, run: IngestionRun, progress: ProgressCallback | None = None
) -> IngestionRun:
    """Read a queued run's file, match its people, and write it all or (on any bad row) nothing.

    Reading reports progress as it goes (outside any transaction, so pages polling the run
    see it); the writing is one transaction with the run's final counts, so a run is done
    and its rows are there, or it failed and nothing is.
    """
    if run.status != IngestionStatus.QUEUED:
        return run  # a task delivered twice does the work once
    actor = run.created_by
    run.status = IngestionStatus.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at", "updated_at"])

    def report(done: int, total: int) -> None:
        IngestionRun.objects.filter(pk=run.pk).update(processed=done, total=total)
        if progress is not None:
            progress(done, total)

    try:
        if actor is None or not access.can(actor, access.Capability.RUN_IMPORTS):
            refused = "Whoever started the import may not change customer data any more."
            return _run_failed(run, [ingestion.RowError(None, "file", refused)])
        try:
            parsed = ingestion.parse_file(Path(run.stored_path), run.format, progress=report)
        except ingestion.MalformedFile as exc:
            return _run_failed(run, [ingestion.RowError(None, "file", exc.message)])
        except OSError as exc:
            return _run_failed(run, [ingestion.RowError(None, "file", f"Cannot read it: {exc}")])
        run.total = parsed.total
        report(parsed.total, parsed.total)
        if parsed.errors:
            return _run_failed(run, parsed.errors)
        if run.dry_run:
            plan = _ingestion_plan(candidates=parsed.candidates)
            return _run_finished(
                run,
                status=IngestionStatus.DONE,
                created=plan.created,
                duplicates=plan.duplicates,
                queued_for_review=len(plan.review),
            )
        with transaction.atomic():
            plan = _ingestion_plan(candidates=parsed.candidates)
            _ingestion_write(run=run, actor=actor, plan=plan)
            return _run_finished(
                run,
                status=IngestionStatus.DONE,
                created=plan.created,
                duplicates=plan.duplicates,
                queued_for_review=len(plan.review),
            )
    except Exception as exc:
        # Whatever went wrong, the run must not stay "running" for ever; the writing
        # transaction has rolled back, so nothing of the file is stored.
        _run_failed(run, [ingestion.RowError(None, "file", f"The import stopped: {exc}")])
        raise


def _staff_named(addresses: Sequence[dict[str, Any]]) -> list[User]:
    emails = [str(a.get("email", "")).lower() for a in addresses if a.get("email")]
    users = User.objects.filter(
        email__in=emails, is_active=True, role__in=access.roles_with(access.Capability.ACT_FOR_US)
    )
    return list(users)


@transaction.atomic
def ingestion_item_attach(
    *, actor: User, item: IngestionItem, account: Account, contacts: Sequence[Contact] = ()
) -> IngestionItem:
    """Log a message or event from the review queue on an account, with the contacts chosen."""
    access.ensure_can_write(actor)
    item = IngestionItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"This item is {item.get_status_display().lower()} already.", field="status")
    payload = item.payload or {}
    occurred_at = parse_datetime(str(payload.get("occurred_at", ""))) or item.occurred_at
    interaction = interaction_log(
        actor=actor,
        account=account,
        channel=item.channel,
        direction=str(payload.get("direction") or Direction.INBOUND),
        subject=item.subject or ingestion.NO_SUBJECT,
        occurred_at=occurred_at,
        summary=str(payload.get("summary", "")),
        outcome=str(payload.get("outcome", "")),
        next_step=str(payload.get("next_step", "")),
        contacts=contacts,
        users=_staff_named(item.addresses),
        external_id=item.external_id,
    )
    item.status = ReviewStatus.ATTACHED
    item.interaction = interaction
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    validated_save(item, actor=actor)
    return item


@transaction.atomic
def ingestion_item_dismiss(*, actor: User, item: IngestionItem) -> IngestionItem:
    """Take an item off the review queue without logging it (it stays, marked dismissed)."""
    access.ensure_can_write(actor)
    item = IngestionItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"This item is {item.get_status_display().lower()} already.", field="status")
    item.status = ReviewStatus.DISMISSED
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    validated_save(item, actor=actor)
    return item
