"""Writes of the timeline: logging, editing and removing interactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from rapport.accounts.models import Account, BuyingRole, Contact, Partner
from rapport.core import access
from rapport.core.errors import InvalidInput
from rapport.core.models import User
from rapport.core.services import soft_delete, validated_save
from rapport.interactions.models import Channel, Direction, Interaction, Outcome, Participant, Side

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
) -> Interaction:
    """Put one interaction on the timeline, with the people on both sides."""
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
    return interaction
