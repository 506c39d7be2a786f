"""What a file of interactions becomes: the people matched, the organisations, the review queue.

`ingestion_plan` matches every candidate's addresses to our staff and the customers'
contacts and decides what it becomes (an interaction per organisation, or an item for a
person to review), counting what exists already; `ingestion_write` writes a plan, the
interactions through `interactions.services`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.core import access
from rapport.core.models import User
from rapport.interactions import services as interaction_services
from rapport.interactions.models import Direction, Interaction
from rapport.transfer import ingestion
from rapport.transfer.models import IngestionItem, IngestionRun, ReviewStatus

CHUNK = 500


@dataclass
class Planned:
    """What one candidate becomes: an interaction per organisation, or a review item."""

    candidate: ingestion.Candidate
    direction: str
    users: list[User]
    by_customer: dict[int, list[Contact]]
    accounts: dict[int, Account]
    reason: str = ""


@dataclass
class Plan:
    interactions: list[Planned]
    review: list[Planned]
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
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start : start + CHUNK]
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


def ingestion_plan(*, candidates: list[ingestion.Candidate]) -> Plan:
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
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
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

    plan = Plan(interactions=[], review=[], duplicates=0)
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
        planned = Planned(
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


def ingestion_write(*, run: IngestionRun, actor: User, plan: Plan) -> None:
    """Write a plan: the interactions in bulk, the review items, and resolve waiting ones."""
    rows = [
        interaction_services.ImportedInteraction(
            customer_id=customer_id,
            account=planned.accounts[customer_id],
            channel=planned.candidate.channel,
            direction=planned.direction,
            occurred_at=planned.candidate.occurred_at,
            subject=planned.candidate.subject,
            summary=planned.candidate.summary,
            outcome=planned.candidate.outcome,
            next_step=planned.candidate.next_step,
            external_id=planned.candidate.external_id,
            contacts=contacts,
            users=planned.users,
        )
        for planned in plan.interactions
        for customer_id, contacts in planned.by_customer.items()
    ]
    interactions = interaction_services.interactions_import(actor=actor, rows=rows)
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
        batch_size=CHUNK,
    )
    # A message waiting for review that now matches someone is resolved by this import.
    first_by_id: dict[str, Interaction] = {}
    for interaction in interactions:
        first_by_id.setdefault(interaction.external_id, interaction)
    ids = list(first_by_id)
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        waiting = IngestionItem.objects.filter(
            external_id__in=ids[start : start + CHUNK], status=ReviewStatus.OPEN
        )
        for item in waiting:
            item.status = ReviewStatus.ATTACHED
            item.interaction = first_by_id[item.external_id]
            item.resolved_by = actor
            item.resolved_at = now
            item.save(
                update_fields=["status", "interaction", "resolved_by", "resolved_at", "updated_at"]
            )
