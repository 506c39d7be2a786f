"""Writes of the timeline: logging, editing and removing interactions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    Partner,
)
from rapport.core import access
from rapport.core.errors import Conflict, InvalidInput
from rapport.core.models import User
from rapport.core.services import soft_delete, validated_save
from rapport.interactions.models import (
    Channel,
    Commitment,
    CommitmentStatus,
    Direction,
    Interaction,
    Outcome,
    Participant,
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
    expected_version: int | None = None,
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
    validated_save(interaction, actor=actor, expected_version=expected_version)
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
def commitment_update(
    *,
    actor: User,
    commitment: Commitment,
    expected_version: int | None = None,
    **changes: Any,
) -> Commitment:
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
    validated_save(commitment, actor=actor, expected_version=expected_version)
    return commitment


# --- interactions brought in from files (transfer's e-mail and calendar ingestion) ----

_IMPORT_CHUNK = 500


@dataclass(frozen=True)
class ImportedInteraction:
    """One interaction read from a file, with the organisation's unit and who took part."""

    customer_id: int
    account: Account
    channel: str
    direction: str
    occurred_at: datetime
    subject: str
    summary: str
    outcome: str
    next_step: str
    external_id: str
    contacts: Sequence[Contact]
    users: Sequence[User]


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
    for start in range(0, len(ids), _IMPORT_CHUNK):
        yield ids[start : start + _IMPORT_CHUNK]


@transaction.atomic
def interactions_import(*, actor: User, rows: Sequence[ImportedInteraction]) -> list[Interaction]:
    """Write many interactions in bulk, keeping interaction_log's invariants (people, roll-ups)."""
    access.ensure_can_write(actor)
    interactions = [
        Interaction(
            customer_id=row.customer_id,
            account=row.account,
            channel=row.channel,
            direction=row.direction,
            occurred_at=row.occurred_at,
            subject=row.subject,
            summary=row.summary,
            outcome=row.outcome,
            next_step=row.next_step,
            logged_by=actor,
            external_id=row.external_id,
        )
        for row in rows
    ]
    bulk_create_with_history(
        interactions, Interaction, batch_size=_IMPORT_CHUNK, default_user=actor
    )
    participants = []
    contact_ids: set[int] = set()
    for interaction, row in zip(interactions, rows, strict=True):
        at = interaction.occurred_at
        for contact in dict.fromkeys(row.contacts):
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
        for user in dict.fromkeys(row.users or [actor]):
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
    return interactions
